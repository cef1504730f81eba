"""Points to 2-D or 3-D: exact PCA (ours), t-SNE (openTSNE: Barnes–Hut below 10k points, FFT above) and UMAP (umap-learn), as jobs.

PCA is the SVD of the centred data: coordinates U·S, components Vᵀ, explained variance S²/(n − 1) and its ratio to
the total variance; each component's sign is fixed so its largest loading is positive (scikit-learn's rule), so the
same data always gives the same picture.

t-SNE and UMAP block inside compiled code (openTSNE's neighbour search, numba's JIT and layout), where Python cannot
stop them. :func:`tsne_job` and :func:`umap_job` therefore run them in a child process
(:mod:`projection_child`) and poll it every ``POLL_SECONDS``: each poll is a ``yield``, so the app's Cancel closes
the generator within a tenth of a second and the ``finally`` kills the child. t-SNE reports every 25 iterations
with the current coordinates, so the points move; umap-learn offers no such hook, so UMAP reports its stage only.
"""
from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lmscope.backend.errors import BadInputError, LmscopeError
from lmscope.backend.jobs import JobProgress

METHODS = ("pca", "tsne", "umap")
POLL_SECONDS = 0.1
MAX_PCA_BYTES = 8 << 30  # float32 copies SVD may hold (centred data and U)


@dataclass(frozen=True)
class Projection:
    method: str  # "pca", "tsne" or "umap"
    coords: np.ndarray = field(repr=False)  # (n, n_components) float32
    explained: tuple[float, ...] = ()  # PCA: fraction of the variance each component explains
    params: dict = field(default_factory=dict)
    components: np.ndarray | None = field(default=None, repr=False)  # PCA: (k, d) unit directions


@dataclass(frozen=True)
class ProjectionUpdate:
    """Coordinates part way through an iterative projection (t-SNE), for a live picture."""

    method: str
    coords: np.ndarray = field(repr=False)
    iteration: int
    total: int


class ProjectionError(LmscopeError):
    """t-SNE or UMAP failed in its process; the message is its last words."""


def _check_points(points: np.ndarray, least: int) -> np.ndarray:
    points = np.asarray(points)
    if points.ndim != 2 or points.shape[1] < 1:
        raise BadInputError(f"Points must be an (n, d) array, not shape {points.shape}.")
    if len(points) < least:
        raise BadInputError(f"{len(points)} points are too few to project; at least {least} are needed.")
    if not np.isfinite(points).all():
        raise BadInputError("Some points hold values that are not finite numbers.")
    return np.ascontiguousarray(points, dtype=np.float32)


def pca(points: np.ndarray, n_components: int = 2) -> Projection:
    """Exact PCA: the SVD of the centred points (in float64 for points of ≤ 64 dimensions, else float32)."""
    points = _check_points(points, 2)
    n, d = points.shape
    k = min(n_components, d, n)
    if n * d * 8 > MAX_PCA_BYTES:
        raise BadInputError(f"{n:,} × {d:,} points are more than exact PCA holds in memory here.")
    work = points.astype(np.float64 if d <= 64 else np.float32)
    centred = work - work.mean(axis=0)
    u, s_all, vt = np.linalg.svd(centred, full_matrices=False)
    total = float((s_all.astype(np.float64) ** 2).sum() / max(1, n - 1))  # all of the variance, every direction
    u, s, vt = u[:, :k], s_all[:k], vt[:k]
    signs = np.sign(vt[np.arange(k), np.argmax(np.abs(vt), axis=1)])
    signs[signs == 0] = 1
    u, vt = u * signs, vt * signs[:, None]
    variance = s.astype(np.float64) ** 2 / max(1, n - 1)
    coords = (u * s).astype(np.float32)
    if k < n_components:  # a 1-D data set shown in 2-D: the missing axis is zero
        coords = np.pad(coords, ((0, 0), (0, n_components - k)))
    explained = tuple(float(v / total) if total > 0 else 0.0 for v in variance)
    return Projection("pca", coords, explained, {"n_components": n_components}, vt.astype(np.float32))


def pca_job(points: np.ndarray, n_components: int = 2) -> Iterator[object]:
    yield JobProgress(-1.0, f"PCA of {len(points):,} points…")
    yield pca(points, n_components)


def _package_root() -> str:
    import lmscope

    return str(Path(lmscope.__file__).parent.parent)  # unresolved: a symlinked lmscope stays where it is linked


def _reader(stream, lines: "queue.SimpleQueue[str | None]") -> None:  # noqa: ANN001 - a text stream
    for line in stream:
        lines.put(line.rstrip("\r\n"))
    lines.put(None)


def _child_job(method: str, points: np.ndarray, params: dict) -> Iterator[object]:
    """Run ``method`` in a child process; yields progress (and t-SNE updates) until it ends or is cancelled."""
    label = {"tsne": "t-SNE", "umap": "UMAP"}[method]
    folder = Path(tempfile.mkdtemp(prefix=f"lmscope-{method}-"))
    process = None
    try:
        np.save(folder / "points.npy", points)
        (folder / "params.json").write_text(json.dumps({"method": method, **params}), encoding="utf-8")
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([_package_root(), *filter(None, [env.get("PYTHONPATH")])])
        env.setdefault("OMP_NUM_THREADS", str(params.get("n_jobs", 1)))
        process = subprocess.Popen([sys.executable, "-m", "lmscope.backend.embeddings.projection_child", str(folder)],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        lines: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        threading.Thread(target=_reader, args=(process.stdout, lines), daemon=True).start()
        started, stage, finished = time.perf_counter(), f"starting {label}", False
        while not finished:
            try:
                line = lines.get(timeout=POLL_SECONDS)
            except queue.Empty:
                yield JobProgress(-1.0, f"{label}: {stage} ({time.perf_counter() - started:.0f} s)…")
                continue
            if line is None:
                break
            if line.startswith("stage "):
                stage = line[6:]
                yield JobProgress(-1.0, f"{label}: {stage}…")
            elif line.startswith("iter "):
                done, total = (int(x) for x in line.split()[1:3])
                yield JobProgress(done / total, f"{label}: iteration {done}/{total}")
                try:
                    coords = np.load(folder / "partial.npy", allow_pickle=False)
                except (OSError, ValueError):
                    continue  # the next chunk's picture will do
                yield ProjectionUpdate(method, coords, done, total)
            elif line == "done":
                finished = True
        code = process.wait()
        if code != 0 or not finished:
            last = (process.stderr.read() or "").strip().splitlines()
            raise ProjectionError(f"{label} stopped with an error: {last[-1] if last else f'exit code {code}'}")
        coords = np.load(folder / "embedding.npy", allow_pickle=False)
        yield Projection(method, coords, (), dict(params))
    finally:
        if process is not None and process.poll() is None:
            process.kill()  # Cancel: the generator was closed while the library computed
            process.wait()
        if process is not None:
            for stream in (process.stdout, process.stderr):
                if stream is not None:
                    stream.close()
        shutil.rmtree(folder, ignore_errors=True)


def tsne_job(points: np.ndarray, perplexity: float = 30.0, exaggeration: float = 1.0, seed: int = 0,
             n_components: int = 2, n_iter: int = 500, metric: str = "euclidean",
             n_jobs: int = 1) -> Iterator[object]:
    """openTSNE with its defaults (250 early-exaggeration iterations at 12, then ``n_iter`` at ``exaggeration``)."""
    points = _check_points(points, 4)
    if not 1 <= perplexity < len(points) / 3:
        raise BadInputError(f"Perplexity {perplexity:g} needs more than {3 * perplexity:.0f} points; there are "
                            f"{len(points):,}.")
    if metric not in ("euclidean", "cosine"):
        raise BadInputError(f"Unknown metric {metric!r}; choose euclidean or cosine.")
    params = {"perplexity": float(perplexity), "exaggeration": float(exaggeration), "seed": int(seed),
              "n_components": int(n_components), "n_iter": int(n_iter), "metric": metric, "n_jobs": int(n_jobs)}
    yield from _child_job("tsne", points, params)


def umap_job(points: np.ndarray, n_neighbors: int = 15, min_dist: float = 0.1, metric: str = "euclidean",
             seed: int = 0, n_components: int = 2, n_jobs: int = 1) -> Iterator[object]:
    """umap-learn's UMAP; the first run of a machine also compiles umap's numba code (~40 s)."""
    points = _check_points(points, 4)
    if not 2 <= n_neighbors < len(points):
        raise BadInputError(f"UMAP needs 2 ≤ neighbours < {len(points):,} points; {n_neighbors} was asked for.")
    if not 0 <= min_dist <= 1:
        raise BadInputError(f"UMAP's min_dist is {min_dist:g}; it must be between 0 and 1.")
    if metric not in ("euclidean", "cosine"):
        raise BadInputError(f"Unknown metric {metric!r}; choose euclidean or cosine.")
    params = {"n_neighbors": int(n_neighbors), "min_dist": float(min_dist), "metric": metric, "seed": int(seed),
              "n_components": int(n_components), "n_jobs": int(n_jobs)}
    yield from _child_job("umap", points, params)


def run_to_end(job: Iterator[object]) -> Projection:
    """The final :class:`Projection` of a projection job (command line and tests)."""
    result = None
    for event in job:
        if isinstance(event, Projection):
            result = event
    if result is None:
        raise ProjectionError("The projection ended without a result.")
    return result
