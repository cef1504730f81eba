"""What the tokenizer explorer shows and its settings, as Qt-free panel state (glue's viewer state).

:class:`TokenizerState` holds the text and tab, a :class:`JiebaState` (options and user words) and a
:class:`BpeState` (the training form, what was trained, the learned merges with the corpus they came from, and the
replay step). ``to_tree()`` writes exactly the keys and value types session format 1 has always stored for this
panel, so older files restore as they did. A session file is hostile: every string, list and number has a limit
here, and lists that belong together must have the same length.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from lmscope.widgets.state import PanelState, StateError, bounded, choice, items
from lmscope.widgets.state import text as text_field

MAX_TEXT = 2000  # characters in the explorer's text: enough for a paragraph, small enough that every view redraws
TABS = ("jieba", "bpe", "vocab", "compare")
MODES = ("precise", "full", "search")
BPE_SOURCES = ("demo", "file", "words")
MAX_USER_WORDS = 200_000  # a large domain dictionary; jieba's own has ~350k words
MAX_WORD_CHARS = 256  # one jieba word
MAX_TAG_CHARS = 32  # a POS tag: jieba's are one to four letters
MAX_FREQ = 10**15  # jieba's dictionary total is ~6·10⁷
MAX_MERGES = 100_000  # the merges box's own maximum
MAX_CORPUS_WORDS = 500_000  # word types; the demo corpus has 1,768, a 10 MB English text ~10⁵
MAX_CORPUS_WORD_CHARS = 10_000  # a run of CJK characters without punctuation is one word
MAX_SYMBOL_CHARS = MAX_CORPUS_WORD_CHARS + len("</w>")
MAX_COUNT = 10**15
MAX_WORD_LIST = 32_767  # a QLineEdit's own maximum
MAX_PATH = 4096


def _same_length(state: PanelState, *names: str) -> None:
    lengths = {name: len(getattr(state, name)) for name in names}
    if len(set(lengths.values())) > 1:
        listed = ", ".join(f"{name} {length:,}" for name, length in lengths.items())
        raise StateError(f"The saved tokenizer panel state has lists of different lengths ({listed}).")


@dataclass(frozen=True)
class JiebaState(PanelState):
    """jieba's options, and the user's words (``user_freqs[i]`` and ``user_tags[i]`` belong to ``user_words[i]``;
    an empty tag is none). ``pos`` is the box as ticked; POS tags apply in precise mode only."""

    STATE_LABEL = "tokenizer panel's jieba state"

    mode: str = choice(*MODES)
    hmm: bool = True
    pos: bool = False
    user_words: tuple[str, ...] = items((), MAX_USER_WORDS, max_chars=MAX_WORD_CHARS)
    user_freqs: tuple[int, ...] = items((), MAX_USER_WORDS, 0, MAX_FREQ)
    user_tags: tuple[str, ...] = items((), MAX_USER_WORDS, max_chars=MAX_TAG_CHARS)

    def __post_init__(self) -> None:
        _same_length(self, "user_words", "user_freqs", "user_tags")


@dataclass(frozen=True)
class BpeState(PanelState):
    """The training form (``source``, ``words``, ``path``, ``merges_asked``); the source the merges were trained on
    (``trained_*``, ``requested``); the merges in rank order with their counts; the corpus's word types with their
    counts (the replay needs every word's history, so a restore retrains on them); and the replay ``step``."""

    STATE_LABEL = "tokenizer panel's BPE state"

    source: str = choice(*BPE_SOURCES)
    words: str = text_field("", MAX_WORD_LIST)
    path: str = text_field("", MAX_PATH)
    merges_asked: int = bounded(200, 0, MAX_MERGES)
    trained_source: str = choice(*BPE_SOURCES)
    trained_words: str = text_field("", MAX_WORD_LIST)
    trained_path: str = text_field("", MAX_PATH)
    requested: int = bounded(0, 0, MAX_MERGES)
    step: int = bounded(0, 0, MAX_MERGES)
    merge_left: tuple[str, ...] = items((), MAX_MERGES, max_chars=MAX_SYMBOL_CHARS)
    merge_right: tuple[str, ...] = items((), MAX_MERGES, max_chars=MAX_SYMBOL_CHARS)
    merge_counts: tuple[int, ...] = items((), MAX_MERGES, 0, MAX_COUNT)
    corpus_words: tuple[str, ...] = items((), MAX_CORPUS_WORDS, max_chars=MAX_CORPUS_WORD_CHARS)
    corpus_counts: tuple[int, ...] = items((), MAX_CORPUS_WORDS, 1, MAX_COUNT)

    def __post_init__(self) -> None:
        _same_length(self, "merge_left", "merge_right", "merge_counts")
        _same_length(self, "corpus_words", "corpus_counts")
        if self.merge_left and not self.corpus_words:
            raise StateError("The saved tokenizer panel state has BPE merges but not the corpus they came from.")


@dataclass(frozen=True)
class TokenizerState(PanelState):
    """The explorer: its text (``follow_capture``: it shows the current capture's text until the user types
    another), the tab shown (index into :data:`TABS`), and the jieba and BPE parts."""

    STATE_LABEL = "tokenizer panel state"

    text: str = text_field("", MAX_TEXT)
    follow_capture: bool = False
    tab: int = bounded(0, 0, len(TABS) - 1)
    jieba: JiebaState = dataclasses.field(default_factory=JiebaState)
    bpe: BpeState = dataclasses.field(default_factory=BpeState)
