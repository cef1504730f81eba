"""The text BPE learns from: a corpus file read as UTF-8, split into words by one stated rule, and counted.

The rule (:data:`PRETOKENIZE_RULE`) is shown in the tokenizer explorer beside BPE's tie rule; the word types keep
the order they first appear in, which is the order BPE's tie rule scans.
"""
from __future__ import annotations

import unicodedata
from collections import Counter
from pathlib import Path

from lmscope.backend.errors import BadInputError

PRETOKENIZE_RULE = ("Words are split at whitespace; each run of CJK characters is one word, each run of other "
                    "letters, digits and '_' is one word, and every other character (punctuation, emoji) is a word "
                    "of its own. Combining marks, joiners and emoji skin tones stay with the character before them.")

WordCounts = list[tuple[str, int]]


def _char_kind(ch: str) -> str:
    if ch.isspace():
        return "space"
    category = unicodedata.category(ch)
    if category[0] == "M" or ch in "\u200c\u200d\ufe0e\ufe0f" or "\U0001F3FB" <= ch <= "\U0001F3FF":
        return "mark"
    if category[0] == "L" and unicodedata.east_asian_width(ch) == "W":
        return "cjk"  # Han, kana, hangul: wide letters, written without spaces between words
    if category[0] in "LN" or ch == "_":
        return "word"
    return "symbol"


def pretokenize(text: str) -> list[str]:
    """Split text into the words BPE learns from, following :data:`PRETOKENIZE_RULE`."""
    words: list[str] = []
    current, current_kind = "", "space"
    for ch in text:
        kind = _char_kind(ch)
        if kind == "mark" and current:
            current += ch
            continue
        if current and (kind != current_kind or kind == "symbol"):
            words.append(current)
            current = ""
        current_kind = "symbol" if kind == "mark" else kind
        current = "" if kind == "space" else current + ch
    if current:
        words.append(current)
    return words


def word_counts_from_text(text: str) -> WordCounts:
    """Word types with their counts, in order of first appearance (the order the tie rule scans)."""
    return list(Counter(pretokenize(text)).items())


def read_corpus(path: str | Path) -> str:
    """The text of a UTF-8 corpus file, as one sentence of error if it cannot be read."""
    path = Path(path)
    try:
        return path.read_bytes().decode("utf-8-sig")
    except OSError as error:
        raise BadInputError(f"Cannot read the corpus {path}: {error.strerror or error}.") from error
    except UnicodeDecodeError as error:
        raise BadInputError(f"The corpus {path} is not UTF-8 text.") from error
