"""The projector's jobs: train word2vec on a file or the demo corpus, gather points, find neighbours, import files.

Each is a generator that yields :class:`~lmscope.backend.jobs.JobProgress` for the status bar and result events for
the projector; it runs the same in the GUI worker, the command line and tests.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lmscope.backend.demo import demo_corpus
from lmscope.backend.embeddings.corpus import Corpus, corpus_from_text, read_corpus
from lmscope.backend.embeddings.formats import read_tsv, read_vectors, write_tsv, write_word2vec
from lmscope.backend.embeddings.pos import pos_column
from lmscope.backend.embeddings.projection import Projection, ProjectionUpdate, pca, pca_job, tsne_job, umap_job
from lmscope.backend.embeddings.sources import EmbeddingSource, PointSet, WordVectorSource
from lmscope.backend.embeddings.vectors import (AnalogyEvaluation, WordVectors, analogy_rows, iter_evaluate_analogies,
                                                nearest, row_norms)
from lmscope.backend.embeddings.word2vec import (Word2VecFinished, Word2VecProgress, Word2VecSettings,
                                                 Word2VecSnapshot, train_word2vec)
from lmscope.backend.errors import BadInputError
from lmscope.backend.jobs import JobProgress
from lmscope.backend.tokenize.segment import Segmenter


@dataclass(frozen=True)
class CorpusReady:
    name: str
    words: int  # in-vocabulary words
    vocab: int
    sentences: int
    labels: tuple[str, ...] = field(repr=False)  # the vocabulary, most frequent first
    counts: np.ndarray = field(repr=False)
    pos: np.ndarray | None = field(default=None, repr=False)  # POS class from jieba per word; None for no Chinese


@dataclass(frozen=True)
class PointsReady:
    points: PointSet


@dataclass(frozen=True)
class NeighborsFound:
    query: int  # row of the query point, −1 for an analogy
    rows: np.ndarray
    distances: np.ndarray  # 1 − cosine or L2, in the points' original space
    metric: str
    title: str = ""


def load_corpus(path: str | None, min_count: int, segmenter: Segmenter | None = None) -> tuple[Corpus, str]:
    """A corpus file, or the demo corpus when ``path`` is empty."""
    if path:
        return read_corpus(path, min_count, segmenter), Path(path).name
    return corpus_from_text(demo_corpus(), min_count, segmenter, name="demo corpus"), "demo corpus"


def word2vec_job(settings: Word2VecSettings, corpus_path: str | None = None,
                 segmenter: Segmenter | None = None) -> Iterator[object]:
    """Read and segment the corpus, then train; word2vec's own events pass through, progress is labelled."""
    settings.check()
    yield JobProgress(-1.0, f"Reading {Path(corpus_path).name if corpus_path else 'the demo corpus'}…")
    corpus, name = load_corpus(corpus_path, settings.min_count, segmenter)
    yield CorpusReady(name, len(corpus.ids), len(corpus.words), corpus.n_sentences, corpus.words, corpus.counts,
                      pos_column(corpus.words, segmenter))
    label = f"word2vec {settings.architecture} on {name}"
    for event in train_word2vec(corpus, settings):
        if isinstance(event, Word2VecProgress):
            yield JobProgress(event.words_done / event.total_words,
                              f"{label}: epoch {event.epoch + 1}/{settings.epochs}, loss {event.loss:.3f}, "
                              f"{event.words_per_s:,.0f} words/s")
        elif isinstance(event, Word2VecFinished):
            yield PointsReady(WordVectorSource(event.vectors, f"{label} · {settings.dim}-d").points())
        yield event


def points_job(source: EmbeddingSource) -> Iterator[object]:
    yield JobProgress(-1.0, "Gathering the points…")
    yield PointsReady(source.points())


def import_job(path: str, metadata: str | None = None) -> Iterator[object]:
    """A word2vec (text/binary) or TSV file as points; a TSV's extra metadata columns become colourable columns."""
    yield JobProgress(-1.0, f"Reading {Path(path).name}…")
    if Path(path).suffix.lower() == ".tsv":
        if metadata is None and Path(path).with_name("metadata.tsv").is_file():
            metadata = str(Path(path).with_name("metadata.tsv"))
        wv, extra = read_tsv(path, metadata)
    else:
        wv, extra = read_vectors(path), {}
    points = WordVectorSource(wv, f"{Path(path).name} · {wv.dim}-d").points()
    for name, values in extra.items():
        try:
            points.columns[name] = np.asarray(values, dtype=np.float64)
        except ValueError:
            points.columns[name] = np.asarray(values)
    yield PointsReady(PointSet("file", points.title, points.labels, points.vectors, points.columns))


def neighbors_job(vectors: np.ndarray, row: int, k: int, metric: str) -> Iterator[object]:
    """The ``k`` nearest neighbours of point ``row`` in the original space (exact, chunked)."""
    if not 0 <= row < len(vectors):
        raise BadInputError(f"There is no point {row}.")
    rows, dist = nearest(vectors, vectors[row], k, metric, exclude=[row])
    yield NeighborsFound(row, rows, dist, metric)


def analogy_job(points: PointSet, a: str, b: str, c: str, k: int = 10) -> Iterator[object]:
    """a − b + c over the points' unit vectors, inputs excluded; distances are 1 − cosine."""
    wv = WordVectors(points.labels, points.vectors)
    rows, sims = analogy_rows(wv, wv.row(a), wv.row(b), wv.row(c), k, norms=row_norms(wv.vectors))
    yield NeighborsFound(-1, rows, 1.0 - sims, "cosine", f"{a} − {b} + {c}")


@dataclass(frozen=True)
class AnalogiesEvaluated:
    file: str
    evaluation: AnalogyEvaluation


def evaluate_job(points: PointSet, path: str, restrict_vocab: int = 300_000) -> Iterator[object]:
    """Accuracy per section of the points' vectors on a ``questions-words.txt`` file (gensim's rules)."""
    name = Path(path).name
    yield JobProgress(-1.0, f"Evaluating analogies on {name}…")
    wv = WordVectors(points.labels, points.vectors)
    for event in iter_evaluate_analogies(wv, path, restrict_vocab):
        if isinstance(event, AnalogyEvaluation):
            yield AnalogiesEvaluated(name, event)
        else:
            yield JobProgress(-1.0, f"Evaluating analogies on {name}: {event:,} questions")


def project_job(points: PointSet, settings: dict) -> Iterator[object]:
    """Project ``points`` with ``settings["method"]`` (pca, tsne or umap) and that method's parameters."""
    method = settings.get("method", "pca")
    n_components = int(settings.get("n_components", 2))
    if method == "pca":
        yield from pca_job(points.vectors, n_components)
    elif method == "tsne":
        yield from tsne_job(points.vectors, perplexity=float(settings.get("perplexity", 30.0)),
                            exaggeration=float(settings.get("exaggeration", 1.0)), seed=int(settings.get("seed", 0)),
                            n_components=n_components)
    elif method == "umap":
        yield from umap_job(points.vectors, n_neighbors=int(settings.get("n_neighbors", 15)),
                            min_dist=float(settings.get("min_dist", 0.1)), seed=int(settings.get("seed", 0)),
                            n_components=n_components)
    else:
        raise BadInputError(f"Unknown projection {method!r}; choose pca, tsne or umap.")


def source_job(source: EmbeddingSource, settings: dict) -> Iterator[object]:
    """Gather a source's points, then project them."""
    yield JobProgress(-1.0, "Gathering the points…")
    points = source.points()
    yield PointsReady(points)
    yield from project_job(points, settings)


def align(coords: np.ndarray, previous: np.ndarray | None) -> np.ndarray:
    """Rotate/reflect ``coords`` onto ``previous`` (orthogonal Procrustes), so a live PCA does not flip or spin
    between two snapshots of the same points."""
    if previous is None or previous.shape != coords.shape:
        return coords
    u, _, vt = np.linalg.svd(coords.T.astype(np.float64) @ previous.astype(np.float64))
    return (coords @ (u @ vt)).astype(np.float32)


def word2vec_live_job(settings: Word2VecSettings, corpus_path: str | None = None,
                      segmenter: Segmenter | None = None) -> Iterator[object]:
    """:func:`word2vec_job` plus a PCA of every vector snapshot (in the worker), aligned with the previous one:
    what the projector draws while the words cluster."""
    previous = None
    for event in word2vec_job(settings, corpus_path, segmenter):
        if isinstance(event, Word2VecSnapshot):
            previous = align(pca(event.vectors).coords, previous)
            yield ProjectionUpdate("pca", previous, event.step, 0)
        elif isinstance(event, Word2VecFinished):
            final = pca(event.vectors.vectors)
            yield event
            yield Projection("pca", align(final.coords, previous), final.explained, {"n_components": 2},
                             final.components)
        else:
            yield event


def export_job(points: PointSet, path: str) -> Iterator[object]:
    """word2vec text (or binary for .bin), or TensorBoard TSV (vectors.tsv + metadata.tsv beside it) for .tsv."""
    yield JobProgress(-1.0, f"Writing {Path(path).name}…")
    wv = WordVectors(points.labels, points.vectors)
    if path.lower().endswith(".tsv"):
        columns = {k: v for k, v in points.columns.items() if k != "token id"}
        write_tsv(wv, path, Path(path).with_name("metadata.tsv"), columns)
    else:
        write_word2vec(wv, path, binary=path.lower().endswith(".bin"))
    yield JobProgress(1.0, f"Wrote {Path(path).name}")
