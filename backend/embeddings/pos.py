"""Part of speech from jieba (``jieba.posseg``) as a column to colour the projector's points by.

A point is a word type (or a token), not an occurrence, so it gets the tag jieba.posseg gives the word on its own:
the dictionary's tag for a dictionary word; for a word posseg cuts into pieces (a word jieba's HMM found, "语言模型"),
the tag of the last piece — the head of a Chinese compound; English letters are "eng", numbers "m", punctuation "x"
(posseg's own rules). Tokens' "Ġ", "▁" and "##" markers are dropped first, as for the script column.

All labels are tagged in one posseg pass over the labels joined by newlines: posseg cuts text into blocks at every
character outside [Han a-z A-Z 0-9 + # & . _], so no word spans two labels, and one call costs far less than one
call per label (~0.6 ms each). The fine ICTCLAS tags (n, nr, ns, vn, uj…) are grouped into a few classes, so the
colours mean something; :data:`POS_CLASSES` is the table.
"""
from __future__ import annotations

import re
import threading
from collections.abc import Sequence

import numpy as np

from lmscope.backend.tokenize.segment import Segmenter

POS_COLUMN = "POS (jieba)"
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# jieba's tags by their first letter (ICTCLAS), then whole tags that have a class of their own.
POS_CLASSES = {
    "n": "noun", "f": "noun", "s": "noun", "t": "noun",  # nouns, direction, place and time words
    "v": "verb",
    "a": "adjective", "b": "adjective", "z": "adjective",  # adjectives, distinguishing and status words
    "d": "adverb",
    "r": "pronoun",
    "m": "number", "q": "number",  # numerals and measure words
    "p": "function word", "c": "function word", "u": "function word", "y": "function word", "e": "function word",
    "o": "function word",  # prepositions, conjunctions, particles, modal particles, interjections, onomatopoeia
    "i": "idiom", "l": "idiom", "j": "idiom",  # idioms, fixed expressions, abbreviations
    "eng": "English",
    "x": "non-word",  # punctuation, symbols, whitespace
}
_default: Segmenter | None = None
_lock = threading.Lock()


def pos_class(tag: str) -> str:
    """The coarse class of a jieba POS tag: ``POS_CLASSES`` by the whole tag, then by its first letter."""
    if not tag:
        return "non-word"
    return POS_CLASSES.get(tag) or POS_CLASSES.get(tag[0], "other")


def _stripped(label: str) -> str:
    text = str(label).removeprefix("##").lstrip("Ġ▁")
    return " ".join(text.split())  # newlines (and any whitespace run) become one space: one label, one line


def pos_tags(labels: Sequence[str], segmenter: Segmenter | None = None) -> np.ndarray:
    """jieba's POS tag of each label (see the module's docstring); "x" for a label that is only whitespace."""
    global _default
    words = [_stripped(label) for label in labels]
    unique = sorted(set(words))
    text = "\n".join(unique)
    starts = np.cumsum([0] + [len(w) + 1 for w in unique[:-1]]) if unique else np.zeros(0, np.int64)
    if segmenter is None:
        with _lock:
            if _default is None:
                _default = Segmenter()
            segmenter = _default
    tags = ["x"] * len(unique)
    with _lock:  # one POSTokenizer is not safe to share between threads
        tokens = segmenter.segment(text, mode="precise", hmm=True, pos=True) if text else []
    for token in tokens:
        if token.word.isspace() or not token.tag:
            continue
        i = int(np.searchsorted(starts, token.start, side="right")) - 1
        tags[i] = token.tag  # pieces come in order, so the last one wins
    by_word = dict(zip(unique, tags))
    return np.array([by_word[w] for w in words], dtype=str)


def pos_column(labels: Sequence[str], segmenter: Segmenter | None = None) -> np.ndarray | None:
    """The coarse POS class of each label, or None when no label holds a Han character (jieba's tags say nothing
    useful about an English vocabulary: every word would be "eng")."""
    if not any(_HAN.search(str(label)) for label in labels):
        return None
    return np.array([pos_class(tag) for tag in pos_tags(labels, segmenter)])
