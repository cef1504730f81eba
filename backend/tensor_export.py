"""Captured tensors out of lmscope as files: ``.npy`` (one tensor), ``.csv`` (one tensor, at most 2-D after the batch
axis is dropped for a single sequence) or ``.safetensors`` (any number, by name). Written atomically: a temporary file
beside the target, flushed, fsynced and renamed over it, so a failed export never leaves a half-written file.
"""
from __future__ import annotations

import fnmatch
import io
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from safetensors.numpy import save as safetensors_bytes

from lmscope.backend.errors import BadInputError

FORMATS = (".npy", ".csv", ".safetensors")
CSV_MAX_CELLS = 50_000_000  # beyond this a CSV is no longer something a person opens; use .npy or .safetensors


def select_names(available: Iterable[str], patterns: Iterable[str]) -> list[str]:
    """The available tensor names matching any pattern (exact name or glob), in the trace's order."""
    available, patterns = list(available), list(patterns)
    chosen = [n for n in available if any(n == p or fnmatch.fnmatchcase(n, p) for p in patterns)]
    unmatched = [p for p in patterns if not any(n == p or fnmatch.fnmatchcase(n, p) for n in available)]
    if unmatched:
        raise BadInputError(f"No captured tensor is called {unmatched[0]!r}; `lmscope info FILE` lists the names.")
    return chosen


def export_tensors(tensors: Mapping[str, np.ndarray], out: str | Path) -> Path:
    """Write ``tensors`` to ``out``; the format follows its suffix (see :data:`FORMATS`)."""
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in FORMATS:
        raise BadInputError(f"Export to {', '.join(FORMATS)}; {out.name!r} has none of these suffixes.")
    if not tensors:
        raise BadInputError("There is no tensor to export.")
    if suffix in (".npy", ".csv") and len(tensors) != 1:
        raise BadInputError(f"A {suffix} file holds one tensor and {len(tensors)} were chosen; "
                            "export them to a .safetensors file, or one at a time.")
    if out.is_dir():
        raise BadInputError(f"{out} is a folder; give a file name ending in {suffix}.")
    if not out.parent.is_dir():
        raise BadInputError(f"The folder {out.parent} does not exist.")
    if suffix == ".npy":
        buffer = io.BytesIO()
        np.save(buffer, np.ascontiguousarray(next(iter(tensors.values()))), allow_pickle=False)
        data = buffer.getvalue()
    elif suffix == ".csv":
        data = _csv(next(iter(tensors.items())))
    else:
        data = safetensors_bytes({name: np.ascontiguousarray(a) for name, a in tensors.items()})
    _write_atomically(out, data)
    return out


@dataclass(frozen=True)
class TensorsExported:
    path: Path
    names: tuple[str, ...]


def export_job(tensors: Mapping[str, np.ndarray], names: Iterable[str], out: str | Path) -> Iterator[object]:
    """The GUI's export: reading lazily stored tensors and writing the file both happen in the worker."""
    from lmscope.backend.jobs import JobProgress

    names = tuple(names)
    yield JobProgress(-1.0, f"Writing {Path(out).name}…")
    path = export_tensors({name: np.asarray(tensors[name]) for name in names}, out)
    yield TensorsExported(path, names)


def _csv(item: tuple[str, np.ndarray]) -> bytes:
    name, array = item
    array = np.asarray(array)
    if array.ndim >= 3 and array.shape[0] == 1:
        array = array[0]  # one sequence: drop the batch axis
    if array.ndim > 2:
        raise BadInputError(f"{name} has shape {array.shape}; a CSV holds at most 2 dimensions — export it as .npy "
                            "or .safetensors, or choose one head.")
    if array.size > CSV_MAX_CELLS:
        raise BadInputError(f"{name} has {array.size:,} values, too many for a CSV; export it as .npy.")
    buffer = io.StringIO()
    buffer.write(f"# {name} shape={list(array.shape)} dtype={array.dtype}\n")
    np.savetxt(buffer, np.atleast_2d(array), delimiter=",", fmt="%.9g" if array.dtype.kind == "f" else "%d")
    return buffer.getvalue().encode("utf-8")


def _write_atomically(out: Path, data: bytes) -> None:
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, out)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise BadInputError(f"Could not write {out}: {exc.strerror or exc}.") from None
