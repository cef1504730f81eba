"""Where the projector's points come from: a model's embedding matrix, word vectors, a trace's residual stream.

An :class:`EmbeddingSource` turns into a :class:`PointSet`: the vectors, one label per point and metadata columns to
colour by. A new kind of model only needs to hand :func:`embedding_matrix_source` its matrix and token strings (a
Hugging Face model: ``get_input_embeddings().weight``, which :func:`embedding_matrix_source` reads from
backend/models/hf.py's ``HFModel``, and the tokenizer's tokens); a model object that has an ``embedding_matrix()``
method is asked for it directly.

Contextual points: the residual stream entering block l (``blocks.{l}.hook_resid_pre``) for l < L and leaving the
last block (``blocks.{L−1}.hook_resid_post``) for l = L; every token occurrence of every pooled trace is a point. In
trajectory mode each occurrence contributes one point per layer 0 … L, and ``groups`` links them in layer order.
"""
from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from lmscope.backend.embeddings.pos import POS_COLUMN, pos_column
from lmscope.backend.embeddings.vectors import WordVectors
from lmscope.backend.errors import BadInputError
from lmscope.backend.trace import Trace

SCRIPTS = ("Han", "Latin", "digit", "punct", "space", "other")


def script_of(label: str) -> str:
    """The script class of a token or word, by its first non-space character (a "Ġ"/"##" marker skipped)."""
    text = label.removeprefix("##").lstrip("Ġ▁")
    stripped = text.strip()
    if not stripped:
        return "space"
    ch = stripped[0]
    if "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff":
        return "Han"
    if ch.isdigit():
        return "digit"
    category = unicodedata.category(ch)
    if category[0] in "PS":
        return "punct"
    if ch.isalpha() and ("LATIN" in unicodedata.name(ch, "") or ch.isascii()):
        return "Latin"
    return "other"


@dataclass(frozen=True)
class PointSet:
    """Points in their original space, labelled, with columns to colour by (numbers or category names)."""

    kind: str  # "model", "word2vec", "file", "contextual"
    title: str
    labels: tuple[str, ...]
    vectors: np.ndarray = field(repr=False)  # (n, d) float32
    columns: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    groups: np.ndarray | None = field(default=None, repr=False)  # (n,) trajectory id, or None

    def __post_init__(self) -> None:
        if self.vectors.ndim != 2 or len(self.vectors) != len(self.labels):
            raise BadInputError(f"{len(self.labels)} labels for vectors of shape {self.vectors.shape}.")

    def __len__(self) -> int:
        return len(self.labels)

    def word_vectors(self) -> WordVectors:
        counts = self.columns.get("frequency")
        return WordVectors(self.labels, self.vectors, None if counts is None else counts.astype(np.int64))


class EmbeddingSource(Protocol):
    """Anything that can give the projector its points."""

    kind: str

    def points(self) -> PointSet: ...


def _script_column(labels: Sequence[str]) -> np.ndarray:
    return np.array([script_of(label) for label in labels])


def text_columns(labels: Sequence[str]) -> dict[str, np.ndarray]:
    """The columns every labelled point set has: script, and POS from jieba when any label is Chinese."""
    columns = {"script": _script_column(labels)}
    pos = pos_column(labels)
    if pos is not None:
        columns[POS_COLUMN] = pos
    return columns


@dataclass
class MatrixSource:
    """Rows of an embedding matrix, labelled by their tokens (``counts``: corpus frequency of each token, if known)."""

    matrix: np.ndarray
    tokens: Sequence[str]
    title: str
    counts: np.ndarray | None = None
    kind: str = "model"

    def points(self) -> PointSet:
        matrix = np.ascontiguousarray(self.matrix, dtype=np.float32)
        if matrix.ndim != 2 or len(matrix) != len(self.tokens):
            raise BadInputError(f"An embedding matrix of shape {matrix.shape} does not match {len(self.tokens)} "
                                "tokens.")
        columns = {**text_columns(self.tokens), "token id": np.arange(len(matrix), dtype=np.float64)}
        if self.counts is not None:
            columns["frequency"] = np.asarray(self.counts, dtype=np.float64)
        return PointSet(self.kind, self.title, tuple(self.tokens), matrix, columns)


def embedding_matrix_source(model: Any, tokens: Sequence[str], title: str,  # noqa: ANN401 - any model
                            counts: np.ndarray | None = None) -> MatrixSource:
    """The input embedding matrix of ``model``: its ``embedding_matrix()`` if it has one, else TinyGPT's table."""
    if hasattr(model, "embedding_matrix"):
        matrix = model.embedding_matrix()
    elif hasattr(model, "hf") and hasattr(model.hf, "get_input_embeddings"):  # backend/models/hf.py's HFModel
        matrix = model.hf.get_input_embeddings().weight
    elif hasattr(model, "embed") and hasattr(model.embed, "weight"):
        matrix = model.embed.weight
    else:
        raise BadInputError(f"{type(model).__name__} exposes no embedding matrix.")
    if hasattr(matrix, "detach"):
        matrix = matrix.detach().float().cpu().numpy()
    tokens = list(tokens)[:len(matrix)]
    tokens += [f"<row {i}>" for i in range(len(tokens), len(matrix))]  # rows padded past the tokenizer's vocabulary
    if counts is not None:
        counts = np.resize(np.asarray(counts, dtype=np.float64), len(matrix))
    return MatrixSource(np.array(matrix, dtype=np.float32), tokens, title, counts)


def token_counts(tokens: Sequence[str], text: str) -> np.ndarray:
    """How often each single-character token occurs in ``text`` (the demo's character vocabulary)."""
    index = {t: i for i, t in enumerate(tokens)}
    counts = np.zeros(len(tokens), dtype=np.float64)
    for ch in text:
        i = index.get(ch)
        if i is not None:
            counts[i] += 1
    return counts


@dataclass
class WordVectorSource:
    vectors: WordVectors
    title: str
    kind: str = "word2vec"

    def points(self) -> PointSet:
        wv = self.vectors
        columns = {**text_columns(wv.words), "rank": np.arange(len(wv), dtype=np.float64)}
        if wv.counts is not None:
            columns["frequency"] = np.asarray(wv.counts, dtype=np.float64)
        return PointSet(self.kind, self.title, wv.words, wv.vectors, columns)


def residual_at(trace: Trace, layer: int) -> np.ndarray:
    """The residual stream (batch, pos, d) entering block ``layer``, or leaving the last block for layer = L."""
    n_layer = trace.n_layer
    if not 0 <= layer <= n_layer:
        raise BadInputError(f"The capture has layers 0–{n_layer}; there is no layer {layer}.")
    name = f"blocks.{layer}.hook_resid_pre" if layer < n_layer else f"blocks.{n_layer - 1}.hook_resid_post"
    if name not in trace.tensors:
        raise BadInputError(f"The capture did not record {name}; capture every hook to see contextual embeddings.")
    return np.asarray(trace.tensors[name], dtype=np.float32)


@dataclass
class ContextualSource:
    """Residual-stream vectors of every token occurrence in ``traces`` at ``layer``; ``layer=None``: trajectories."""

    traces: Sequence[Trace]
    layer: int | None
    kind: str = "contextual"

    def points(self) -> PointSet:
        if not self.traces:
            raise BadInputError("There is no capture to take contextual embeddings from.")
        n_layer = min(t.n_layer for t in self.traces)
        layers = list(range(n_layer + 1)) if self.layer is None else [self.layer]
        vectors, labels, layer_col, position, trace_col, groups = [], [], [], [], [], []
        group = 0
        for t_index, trace in enumerate(self.traces):
            by_layer = [residual_at(trace, layer)[0] for layer in layers]  # first sequence of the batch
            n_pos = by_layer[0].shape[0]
            strings = list(trace.token_strings)[:n_pos]
            for pos in range(n_pos):
                for layer, resid in zip(layers, by_layer):
                    vectors.append(resid[pos])
                    labels.append(strings[pos] if pos < len(strings) else str(pos))
                    layer_col.append(layer)
                    position.append(pos)
                    trace_col.append(t_index)
                    groups.append(group)
                group += 1
        dims = {v.shape[-1] for v in vectors}
        if len(dims) != 1:
            raise BadInputError("The pooled captures come from models of different widths.")
        columns = {"layer": np.asarray(layer_col, np.float64), "position": np.asarray(position, np.float64),
                   "capture": np.asarray(trace_col, np.float64), **text_columns(labels)}
        where = "layers 0–%d (trajectories)" % n_layer if self.layer is None else f"layer {self.layer}"
        title = f"residual stream at {where} · {len(self.traces)} capture{'s' if len(self.traces) > 1 else ''}"
        return PointSet(self.kind, title, tuple(labels), np.stack(vectors).astype(np.float32), columns,
                        np.asarray(groups, np.int64) if self.layer is None else None)
