"""Word vectors and what one asks of them: nearest neighbours, analogies, and an analogy evaluation file.

Neighbours are exact (brute force) in the vectors' own space, in chunks of ``CHUNK_ROWS`` rows, so a query over a
million vectors holds one chunk of scores at a time. Analogies use 3CosAdd over unit vectors: a − b + c, nearest
by cosine, the three query words excluded (Mikolov et al.; gensim's ``most_similar``). The evaluation reads the
``questions-words.txt`` format (": section" lines, then "A B C D" meaning A:B :: C:D) with gensim's rules, so our
per-section counts can be checked against ``KeyedVectors.evaluate_word_analogies``.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lmscope.backend.errors import BadInputError

CHUNK_ROWS = 65_536  # 65k × 4 B scores per query; 65k × 768 floats when a chunk of the matrix is normalised
METRICS = ("cosine", "euclidean")
MAX_EVAL_LINE = 10_000  # characters; an analogy line is four words
MAX_EVAL_LINES = 10_000_000


@dataclass
class WordVectors:
    """Rows of ``vectors`` are the points; ``words[i]`` labels row i. ``counts`` are corpus counts when known."""

    words: tuple[str, ...]
    vectors: np.ndarray  # (V, D) float32
    counts: np.ndarray | None = None  # (V,) int64
    index: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.vectors = np.ascontiguousarray(self.vectors, dtype=np.float32)
        if self.vectors.ndim != 2 or self.vectors.shape[0] != len(self.words):
            raise BadInputError(f"{len(self.words)} words but vectors of shape {self.vectors.shape}.")
        self.index = {}
        for i, w in enumerate(self.words):
            self.index.setdefault(w, i)  # a repeated word: the first (most frequent) row answers for it

    def __len__(self) -> int:
        return len(self.words)

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    def row(self, word: str) -> int:
        i = self.index.get(word)
        if i is None:
            raise BadInputError(f"{word!r} is not in the vocabulary ({len(self.words):,} words).")
        return i


def row_norms(vectors: np.ndarray) -> np.ndarray:
    norms = np.empty(len(vectors), dtype=np.float32)
    for a in range(0, len(vectors), CHUNK_ROWS):
        chunk = vectors[a:a + CHUNK_ROWS]
        norms[a:a + CHUNK_ROWS] = np.sqrt(np.einsum("ij,ij->i", chunk, chunk, dtype=np.float32))
    return norms


def _unit(v: np.ndarray) -> np.ndarray:
    n = float(np.linalg.norm(v))
    return v / n if n > 0 else v


def nearest(vectors: np.ndarray, query: np.ndarray, k: int = 10, metric: str = "cosine",
            exclude: Sequence[int] = (), norms: np.ndarray | None = None,
            limit: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` rows nearest ``query`` (D,), closest first, as (indices, distances).

    Distances are 1 − cosine similarity for ``"cosine"`` and the L2 distance for ``"euclidean"``. ``exclude`` rows
    are never returned; only the first ``limit`` rows are searched when given. Zero vectors have cosine 0.
    """
    if metric not in METRICS:
        raise BadInputError(f"Unknown metric {metric!r}; choose cosine or euclidean.")
    n = len(vectors) if limit is None else min(limit, len(vectors))
    k = max(0, min(int(k), n - len(set(exclude))))
    query = np.asarray(query, dtype=np.float32)
    if norms is None:
        norms = row_norms(vectors[:n])
    excluded = np.asarray(sorted(set(int(i) for i in exclude)), dtype=np.int64)
    best_i, best_d = np.zeros(0, np.int64), np.zeros(0, np.float32)
    q_unit, q_sq = _unit(query), float(query @ query)
    for a in range(0, n, CHUNK_ROWS):
        chunk = vectors[a:min(n, a + CHUNK_ROWS)]
        dots = chunk @ (q_unit if metric == "cosine" else query)
        cn = norms[a:a + len(chunk)]
        if metric == "cosine":
            dist = 1.0 - np.divide(dots, cn, out=np.zeros_like(dots), where=cn > 0)
        else:
            dist = np.sqrt(np.maximum(cn * cn - 2 * dots + q_sq, 0.0))
        drop = excluded[(excluded >= a) & (excluded < a + len(chunk))] - a
        dist[drop] = np.inf
        take = min(k, len(chunk))
        if take == 0:
            continue
        part = np.argpartition(dist, take - 1)[:take] if take < len(chunk) else np.arange(len(chunk))
        best_i = np.concatenate([best_i, part + a])
        best_d = np.concatenate([best_d, dist[part]])
        if len(best_i) > k:
            keep = np.argpartition(best_d, k - 1)[:k]
            best_i, best_d = best_i[keep], best_d[keep]
    order = np.lexsort((best_i, best_d))  # by distance, ties by row (the more frequent word first)
    best_i, best_d = best_i[order], best_d[order]
    finite = np.isfinite(best_d)
    return best_i[finite], best_d[finite]


def neighbors(wv: WordVectors, word: str, k: int = 10, metric: str = "cosine") -> list[tuple[str, float]]:
    i = wv.row(word)
    idx, dist = nearest(wv.vectors, wv.vectors[i], k, metric, exclude=[i])
    return [(wv.words[j], float(d)) for j, d in zip(idx.tolist(), dist.tolist())]


def analogy_rows(wv: WordVectors, a: int, b: int, c: int, k: int = 10, norms: np.ndarray | None = None,
                 limit: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Rows nearest unit(a) − unit(b) + unit(c) by cosine, excluding a, b, c: (indices, cosine similarities)."""
    norms = row_norms(wv.vectors) if norms is None else norms
    unit = [wv.vectors[i] / norms[i] if norms[i] > 0 else wv.vectors[i] for i in (a, b, c)]
    target = _unit(unit[0] - unit[1] + unit[2])
    idx, dist = nearest(wv.vectors, target, k, "cosine", exclude=[a, b, c], norms=norms, limit=limit)
    return idx, 1.0 - dist


def analogy(wv: WordVectors, a: str, b: str, c: str, k: int = 10) -> list[tuple[str, float]]:
    """a − b + c: ``analogy(wv, "king", "man", "woman")`` should put "queen" first."""
    idx, sims = analogy_rows(wv, wv.row(a), wv.row(b), wv.row(c), k)
    return [(wv.words[j], float(s)) for j, s in zip(idx.tolist(), sims.tolist())]


@dataclass(frozen=True)
class SectionResult:
    section: str
    correct: int
    incorrect: int

    @property
    def accuracy(self) -> float:
        total = self.correct + self.incorrect
        return self.correct / total if total else 0.0


@dataclass(frozen=True)
class AnalogyEvaluation:
    sections: tuple[SectionResult, ...]  # in file order; sections with no usable question included
    total: SectionResult
    skipped_oov: int  # questions with a word outside the first ``restrict_vocab`` words
    questions: int

    def to_dict(self) -> dict:
        return {"sections": [{"section": s.section, "correct": s.correct, "incorrect": s.incorrect,
                              "accuracy": s.accuracy} for s in self.sections],
                "total": {"correct": self.total.correct, "incorrect": self.total.incorrect,
                          "accuracy": self.total.accuracy},
                "skipped_oov": self.skipped_oov, "questions": self.questions}


def _eval_lines(path: Path):  # noqa: ANN202 - a generator of (line number, text)
    if not path.is_file():
        raise BadInputError(f"The analogy file {path} does not exist or is not a file.")
    try:
        with path.open("r", encoding="utf-8") as f:
            for number in range(1, MAX_EVAL_LINES + 1):
                line = f.readline(MAX_EVAL_LINE + 1)
                if not line:
                    return
                if len(line) > MAX_EVAL_LINE:
                    raise BadInputError(f"Line {number} of {path.name} is longer than {MAX_EVAL_LINE:,} "
                                        "characters; it is not an analogy file.")
                yield number, line
            raise BadInputError(f"{path.name} has more than {MAX_EVAL_LINES:,} lines; lmscope stops there.")
    except UnicodeDecodeError:
        raise BadInputError(f"The analogy file {path.name} is not UTF-8 text.") from None


def evaluate_analogies(wv: WordVectors, path: str | Path, restrict_vocab: int = 300_000,
                       case_insensitive: bool = True) -> AnalogyEvaluation:
    """Accuracy per section on a ``questions-words.txt`` file (see :func:`iter_evaluate_analogies`)."""
    for event in iter_evaluate_analogies(wv, path, restrict_vocab, case_insensitive):
        if isinstance(event, AnalogyEvaluation):
            return event
    raise AssertionError("iter_evaluate_analogies ends with its evaluation")  # pragma: no cover


def iter_evaluate_analogies(wv: WordVectors, path: str | Path, restrict_vocab: int = 300_000,
                            case_insensitive: bool = True, every: int = 500) -> Iterator[int | AnalogyEvaluation]:
    """Accuracy per section on a ``questions-words.txt`` file, with gensim's ``evaluate_word_analogies`` rules;
    yields the number of questions read every ``every`` questions (a job's chance to report and to be cancelled),
    then the :class:`AnalogyEvaluation`.

    For "A B C D" the prediction is the nearest of B − A + C among the first ``restrict_vocab`` words, inputs
    excluded; words are compared upper-cased when ``case_insensitive`` (the first, most frequent spelling of a word
    answers for all its cases). Questions with a word outside that vocabulary are skipped; malformed lines too.
    """
    path = Path(path)
    keys = wv.words[:restrict_vocab]
    fold = (lambda w: w.upper()) if case_insensitive else (lambda w: w)  # noqa: E731
    ok_vocab: dict[str, int] = {}
    for i, w in enumerate(keys):
        ok_vocab.setdefault(fold(w), i)
    norms = row_norms(wv.vectors[:len(keys)])
    sections: list[list] = []
    skipped = questions = 0
    for number, line in _eval_lines(path):
        if line.startswith(": "):
            sections.append([line.lstrip(": ").strip(), 0, 0])
            continue
        if not sections:
            raise BadInputError(f"Line {number} of {path.name} comes before any ': section' line; it is not an "
                                "analogy file in the questions-words format.")
        parts = [fold(w) for w in line.split()]
        if len(parts) != 4:
            continue
        questions += 1
        if questions % every == 0:
            yield questions
        a, b, c, expected = parts
        if not all(w in ok_vocab for w in parts):
            skipped += 1
            continue
        idx, _ = analogy_rows(wv, ok_vocab[b], ok_vocab[a], ok_vocab[c], k=5, norms=norms, limit=len(keys))
        ignore, predicted = {a, b, c}, None
        for j in idx.tolist():
            predicted = fold(wv.words[j])
            if predicted in ok_vocab and predicted not in ignore:
                break
        sections[-1][1 if predicted == expected else 2] += 1
    results = tuple(SectionResult(name, ok, bad) for name, ok, bad in sections)
    total = SectionResult("Total accuracy", sum(s.correct for s in results), sum(s.incorrect for s in results))
    yield AnalogyEvaluation(results, total, skipped, questions)
