"""A training corpus for word2vec: a text file (or the demo corpus) read line by line into word ids.

One line is one sentence (gensim's ``LineSentence``): a line with Han characters is segmented by jieba with the
tokenizer explorer's settings (precise mode, HMM on, through :class:`~lmscope.backend.tokenize.segment.Segmenter`),
dropping the whitespace it keeps; any other line is split on whitespace. Sentences longer than ``MAX_SENTENCE``
words are cut into pieces of that length, as gensim does. Memory stays bounded on a hostile file: lines are read
in pieces of at most ``MAX_LINE_CHARS``, distinct words are capped, and the corpus is read once into one int32 per word.
"""
from __future__ import annotations

import re
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lmscope.backend.errors import BadInputError
from lmscope.backend.tokenize.segment import Segmenter

MAX_SENTENCE = 10_000  # words; gensim's MAX_WORDS_IN_BATCH cuts longer sentences the same way
MAX_LINE_CHARS = 1_000_000  # a line longer than this is read (and split) in pieces: a 1 GB line costs 1 MB
MAX_TYPES = 5_000_000  # distinct words before min-count: about 0.5 GB of dictionary, the most we accept
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


class CorpusError(BadInputError):
    """A corpus file that cannot be used, with one sentence saying why."""


@dataclass
class Corpus:
    """Sentences as word ids over a frequency-sorted vocabulary (most frequent first; ties by first appearance).

    ``ids`` holds every in-vocabulary word of the corpus in order; sentence s is ``ids[offsets[s]:offsets[s+1]]``.
    Words under ``min_count`` are dropped before windows are taken, as word2vec and gensim do.
    """

    words: tuple[str, ...]
    counts: np.ndarray  # (V,) int64, raw corpus counts
    ids: np.ndarray  # (N,) int32
    offsets: np.ndarray  # (S + 1,) int64
    raw_words: int  # every word read, including those under min-count
    index: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.index = {w: i for i, w in enumerate(self.words)}

    @property
    def n_sentences(self) -> int:
        return len(self.offsets) - 1

    def sentences(self) -> Iterator[list[str]]:
        """The kept words of each sentence (what a peer such as gensim is given to train on the same text)."""
        words = self.words
        for s in range(self.n_sentences):
            yield [words[i] for i in self.ids[self.offsets[s]:self.offsets[s + 1]].tolist()]


def _lines(path: Path) -> Iterator[str]:
    if not path.is_file():
        raise CorpusError(f"The corpus {path} does not exist or is not a file.")
    try:
        with path.open("r", encoding="utf-8", newline=None) as f:
            lineno = 0
            while True:
                line = f.readline(MAX_LINE_CHARS)
                if not line:
                    return
                lineno += 1
                if "\x00" in line:
                    raise CorpusError(f"The corpus {path.name} is not text (line {lineno} holds a NUL byte).")
                yield line
    except UnicodeDecodeError:
        raise CorpusError(f"The corpus {path.name} is not UTF-8 text.") from None
    except OSError as exc:
        raise CorpusError(f"The corpus {path.name} cannot be read ({exc.strerror or type(exc).__name__}).") from None


class WordSplitter:
    """Words of one line: jieba for lines with Han characters, whitespace for the rest."""

    def __init__(self, segmenter: Segmenter | None = None) -> None:
        self._segmenter = segmenter

    def __call__(self, line: str) -> list[str]:
        if _HAN.search(line):
            if self._segmenter is None:
                self._segmenter = Segmenter()
            return [t.word for t in self._segmenter.segment(line, mode="precise", hmm=True) if not t.word.isspace()]
        return line.split()


def _sentences(lines: Iterable[str], split: Callable[[str], list[str]]) -> Iterator[list[str]]:
    for line in lines:
        words = split(line)
        for start in range(0, len(words), MAX_SENTENCE):
            yield words[start:start + MAX_SENTENCE]


def build_corpus(sentences: Iterable[list[str]], min_count: int = 5, name: str = "corpus") -> Corpus:
    """One pass over ``sentences``: provisional ids in first-appearance order, then the words kept by ``min_count``
    renumbered by descending count (stable, so ties stay in the order they were first met, as in gensim)."""
    if min_count < 1:
        raise CorpusError(f"min-count is {min_count}; it must be at least 1.")
    first: dict[str, int] = {}
    pids = array("i")
    ends = array("q")
    for sentence in sentences:
        for w in sentence:
            pid = first.get(w)
            if pid is None:
                pid = first[w] = len(first)
                if pid >= MAX_TYPES:
                    raise CorpusError(f"The {name} has more than {MAX_TYPES:,} distinct words; lmscope stops there.")
            pids.append(pid)
        if sentence:
            ends.append(len(pids))
    provisional = np.frombuffer(pids, dtype=np.int32) if len(pids) else np.zeros(0, np.int32)
    counts = np.bincount(provisional, minlength=len(first)).astype(np.int64)
    order = np.argsort(-counts, kind="stable")
    order = order[counts[order] >= min_count]
    if len(order) < 2:
        raise CorpusError(f"The {name} has {len(order)} word(s) seen at least {min_count} times; word2vec needs "
                          "more (lower --min-count or use a longer text).")
    remap = np.full(len(first), -1, dtype=np.int32)
    remap[order] = np.arange(len(order), dtype=np.int32)
    mapped = remap[provisional]
    keep = mapped >= 0
    kept_before = np.concatenate([[0], np.cumsum(keep)])
    offsets = np.unique(kept_before[np.concatenate([[0], np.frombuffer(ends, dtype=np.int64)])])
    words = list(first)
    return Corpus(words=tuple(words[i] for i in order.tolist()), counts=counts[order], ids=mapped[keep],
                  offsets=offsets.astype(np.int64), raw_words=len(provisional))


def read_corpus(path: str | Path, min_count: int = 5, segmenter: Segmenter | None = None) -> Corpus:
    path = Path(path)
    split = WordSplitter(segmenter)
    return build_corpus(_sentences(_lines(path), split), min_count, name=f"corpus {path.name}")


def corpus_from_text(text: str, min_count: int = 5, segmenter: Segmenter | None = None,
                     name: str = "text") -> Corpus:
    split = WordSplitter(segmenter)
    return build_corpus(_sentences(text.splitlines(), split), min_count, name=name)
