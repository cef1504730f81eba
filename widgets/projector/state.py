"""What the projector shows and its settings, Qt-free: the points' source, the projection and its coordinates.

A session stores this tree, so a teammate opens the same picture: the labels and coordinates always, the original
vectors when they cannot be rebuilt from the session (a word2vec run or an imported file), never the raw corpus.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from lmscope.widgets.state import PanelState, array, bounded, choice, items, text

SOURCES = ("model", "word2vec", "contextual", "file")
METHODS = ("pca", "tsne", "umap")
METRICS = ("cosine", "euclidean")
MAX_POINTS = 4_000_000


@dataclass(frozen=True)
class Word2VecForm(PanelState):
    """The word2vec trainer's settings (``lmscope word2vec`` takes the same)."""

    corpus: str = text("", max_chars=4096)  # a file, or empty for the demo corpus
    sg: bool = True
    dim: int = bounded(50, 2, 1024)
    window: int = bounded(5, 1, 50)
    negative: int = bounded(5, 1, 50)
    min_count: int = bounded(2, 1, 1_000_000)
    epochs: int = bounded(20, 1, 1000)
    subsample: float = bounded(1e-3, 0.0, 0.5)
    seed: int = bounded(1, 0, 2**31 - 1)


@dataclass(frozen=True)
class ProjectorState(PanelState):
    source: str = choice("model", *SOURCES[1:])
    title: str = text("", max_chars=400)
    layer: int = bounded(-1, -1, 10_000)  # contextual points: a layer, or −1 for trajectories over every layer
    method: str = choice("pca", "tsne", "umap")
    n_components: int = bounded(2, 2, 3)
    perplexity: float = bounded(30.0, 2.0, 500.0)
    exaggeration: float = bounded(1.0, 1.0, 100.0)
    n_neighbors: int = bounded(15, 2, 500)
    min_dist: float = bounded(0.1, 0.0, 1.0)
    seed: int = bounded(0, 0, 2**31 - 1)
    metric: str = choice("cosine", "euclidean")  # for neighbours, in the original space
    k: int = bounded(10, 1, 1000)
    colour_by: str = text("script", max_chars=100)
    search: str = text("", max_chars=1000)
    regex: bool = False
    selected: int = bounded(-1, -1, MAX_POINTS)
    word2vec: Word2VecForm = field(default_factory=Word2VecForm)
    explained: tuple[float, ...] = items((), max_items=3, lo=0.0, hi=1.0)
    labels: tuple[str, ...] = items((), max_items=MAX_POINTS)
    coords: np.ndarray = array("float32", ndim=2, max_items=3 * MAX_POINTS, columns=(2, 3))
    vectors: np.ndarray = array("float32", ndim=2, max_items=1 << 30)  # empty when the source can rebuild them

    def check_shapes(self) -> None:
        """The arrays must describe the same points (a file could pair 10 labels with 20 coordinates)."""
        from lmscope.widgets.state import StateError

        n = len(self.labels)
        if len(self.coords) not in (0, n) or (self.vectors.size and len(self.vectors) != n):
            raise StateError(f"The saved projector state has {n:,} labels but {len(self.coords):,} coordinates "
                             f"and {len(self.vectors):,} vectors.")
