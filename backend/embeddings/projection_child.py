"""The child process that runs t-SNE (openTSNE) or UMAP (umap-learn) for :mod:`projection`.

Both libraries block inside compiled code for seconds to minutes, with no way to stop them from another thread, so
the app runs them here and Cancel kills this process at once. Protocol: ``python -m
lmscope.backend.embeddings.projection_child FOLDER``; FOLDER holds ``points.npy`` and ``params.json``; progress
goes to stdout as lines ``stage TEXT``, ``iter DONE TOTAL`` (after writing ``partial.npy`` atomically) and, last,
``done`` once ``embedding.npy`` is written. Imports numpy and the library only: nothing of lmscope.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np

TSNE_EARLY_ITERS, TSNE_EARLY_EXAGGERATION = 250, 12.0  # openTSNE's (and van der Maaten's) defaults
TSNE_CHUNK = 25  # iterations between two pictures of the moving points


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def save(folder: Path, name: str, array: np.ndarray) -> None:
    tmp = folder / f"{name}.tmp.npy"
    np.save(tmp, np.ascontiguousarray(array, dtype=np.float32))
    os.replace(tmp, folder / f"{name}.npy")


def run_tsne(points: np.ndarray, params: dict, folder: Path) -> np.ndarray:
    from openTSNE import TSNEEmbedding, affinity, initialization

    say("stage nearest neighbours and affinities")
    aff = affinity.PerplexityBasedNN(points, perplexity=params["perplexity"], metric=params["metric"],
                                     n_jobs=params["n_jobs"], random_state=params["seed"], verbose=False)
    init = initialization.pca(points, n_components=params["n_components"], random_state=params["seed"])
    embedding = TSNEEmbedding(init, aff, negative_gradient_method="auto", n_jobs=params["n_jobs"],
                              random_state=params["seed"])
    phases = [(TSNE_EARLY_ITERS, TSNE_EARLY_EXAGGERATION, 0.5), (params["n_iter"], params["exaggeration"], 0.8)]
    total, done = sum(n for n, _, _ in phases), 0
    say("stage optimising")
    for n_iter, exaggeration, momentum in phases:
        for start in range(0, n_iter, TSNE_CHUNK):
            step = min(TSNE_CHUNK, n_iter - start)
            # inplace keeps the optimizer's gains and momentum between chunks: the same run as one long call.
            embedding.optimize(step, inplace=True, exaggeration=exaggeration, momentum=momentum,
                               learning_rate="auto", n_jobs=params["n_jobs"])
            done += step
            save(folder, "partial", np.asarray(embedding))
            say(f"iter {done} {total}")
    return np.asarray(embedding)


def run_umap(points: np.ndarray, params: dict, folder: Path) -> np.ndarray:
    say("stage compiling and loading umap-learn")
    import umap

    reducer = umap.UMAP(n_neighbors=params["n_neighbors"], min_dist=params["min_dist"], metric=params["metric"],
                        n_components=params["n_components"], random_state=params["seed"],
                        n_jobs=params["n_jobs"] if params["seed"] is None else 1)
    say("stage nearest neighbours, graph and layout")
    return reducer.fit_transform(points)


def main(folder: str) -> int:
    path = Path(folder)
    params = json.loads((path / "params.json").read_text(encoding="utf-8"))
    points = np.load(path / "points.npy", allow_pickle=False)
    run = run_tsne if params["method"] == "tsne" else run_umap
    save(path, "embedding", run(points, params, path))
    say("done")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
