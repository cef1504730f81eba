"""Chinese word segmentation with jieba, and a look inside it, for the tokenizer explorer and `lmscope segment`.

Everything runs on a private ``jieba.Tokenizer`` (never jieba's global one), so user words added in one session or
test never reach another. No Qt here: the GUI calls :meth:`Segmenter.load` in its worker thread.
"""
from __future__ import annotations

import logging
import math
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

import jieba
import jieba.posseg as posseg

from lmscope.backend.errors import BadInputError
from lmscope.backend.tokenize.hmm import hmm_cut

MODES = ("precise", "full", "search")


def jieba_cache_dir() -> Path:
    """A cache folder only this user can write, for jieba's dictionary cache.

    jieba loads its cache with ``marshal`` from ``/tmp/jieba.cache`` by default — a file any local user can plant,
    and marshal data can crash the interpreter. Ours is ``$XDG_CACHE_HOME/lmscope/jieba`` (``~/.cache/…``), made
    with mode 0700 and checked to be a real folder we own that nobody else can write; failing that, a fresh private
    temporary folder (the dictionary is then rebuilt, ~1 s).
    """
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    folder = base / "lmscope" / "jieba"
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if _private(folder):
            return folder
        info = folder.lstat()
        if stat.S_ISDIR(info.st_mode) and (not hasattr(os, "getuid") or info.st_uid == os.getuid()):
            folder.chmod(0o700)  # ours but too open (made by an older version, or by hand): close it
            if _private(folder):
                return folder
    except OSError:
        pass
    return Path(tempfile.mkdtemp(prefix="lmscope-jieba-"))  # 0700 by construction


def _private(path: Path) -> bool:
    """A real folder (not a symlink), ours, that no one else can write."""
    info = path.lstat()
    owned = not hasattr(os, "getuid") or info.st_uid == os.getuid()
    return stat.S_ISDIR(info.st_mode) and owned and not info.st_mode & 0o077


def _remove_foreign_cache(folder: Path) -> None:
    """A cache file in our folder that is not ours, or that others can write, is removed before jieba reads it."""
    for cache in folder.glob("jieba*.cache"):
        try:
            info = cache.lstat()
            foreign = hasattr(os, "getuid") and info.st_uid != os.getuid()
            if foreign or not stat.S_ISREG(info.st_mode) or info.st_mode & 0o022:
                cache.unlink()
        except OSError:
            pass

# The block regexes of jieba.Tokenizer.cut: runs of Han/ASCII word characters are segmented with the dictionary;
# everything else is split on whitespace (kept whole) and otherwise cut character by character.
_RE_HAN = jieba.re_han_default
_RE_SKIP = jieba.re_skip_default
_RE_ENG = jieba.re_eng


@dataclass(frozen=True)
class Token:
    """One segmented word: ``text[start:end] == word``; ``tag`` is a jieba POS tag when asked for, else None."""

    word: str
    start: int
    end: int
    tag: str | None = None


@dataclass(frozen=True)
class UserWord:
    """A change the user made to the dictionary: a frequency (0 = never pick it) and an optional POS tag."""

    word: str
    freq: int
    tag: str | None = None


@dataclass(frozen=True)
class DagArc:
    """A candidate word ``block[start:end]``; ``logprob = log(freq / total)``, unknown single characters freq 1."""

    start: int
    end: int
    word: str
    freq: int
    logprob: float
    in_dictionary: bool


@dataclass(frozen=True)
class HmmSpan:
    """A run of single characters left by the route that went to the HMM; ``states`` has one B/M/E/S per char."""

    start: int
    end: int
    text: str
    states: str
    words: tuple[str, ...]


@dataclass(frozen=True)
class Block:
    """One regex block of the sentence; only Han/ASCII-word blocks (``is_han``) have a DAG, a route and HMM spans.

    Offsets inside ``arcs``, ``route``, ``hmm_spans`` and ``best`` are relative to the block; ``start`` places the
    block in the sentence. ``best[i]`` is the DP value: max log-probability of segmenting ``text[i:]``.
    """

    start: int
    text: str
    is_han: bool
    arcs: tuple[DagArc, ...] = ()
    route: tuple[DagArc, ...] = ()
    best: tuple[float, ...] = ()
    hmm_spans: tuple[HmmSpan, ...] = ()
    words: tuple[str, ...] = ()


@dataclass(frozen=True)
class Explanation:
    """How jieba's precise mode reaches its answer for one sentence: DAG, DP route, HMM spans, per block."""

    text: str
    hmm: bool
    total: int
    blocks: tuple[Block, ...]

    @property
    def words(self) -> tuple[str, ...]:
        return tuple(w for block in self.blocks for w in block.words)


class Segmenter:
    """A private jieba tokenizer with POS tagging, user words and an explanation of the algorithm."""

    def __init__(self) -> None:
        self._tokenizer = jieba.Tokenizer()
        self._pos: posseg.POSTokenizer | None = None
        # Dictionary state before the first user change to each word, so a change can be undone exactly.
        self._saved: dict[str, tuple[int | None, str | None]] = {}
        self._user: dict[str, UserWord] = {}

    @property
    def loaded(self) -> bool:
        return self._pos is not None

    def load(self) -> None:
        """Load the dictionary (about 1 s, from jieba's cache in our private cache folder); later calls return at once."""
        if self._pos is not None:
            return
        # jieba logs "Building prefix dict..." to stderr at DEBUG; that would pollute `lmscope segment --json` runs.
        jieba.setLogLevel(logging.WARNING)
        folder = jieba_cache_dir()
        _remove_foreign_cache(folder)
        self._tokenizer.tmp_dir = str(folder)
        jieba.dt.tmp_dir = jieba.dt.tmp_dir or str(folder)  # jieba's global tokenizer too, should anyone use it
        self._tokenizer.initialize()
        self._pos = posseg.POSTokenizer(self._tokenizer)

    # --- segmentation -------------------------------------------------------------------------------------

    def segment(self, text: str, mode: str = "precise", hmm: bool = True, pos: bool = False) -> list[Token]:
        """Words of ``text`` exactly as jieba's ``cut`` / ``cut(cut_all=True)`` / ``cut_for_search`` give them.

        Full mode drops the empty strings jieba yields there. ``pos=True`` (precise mode only) uses jieba.posseg,
        whose HMM for unknown words differs from ``cut``'s, so its words may differ for out-of-dictionary text.
        """
        if mode not in MODES:
            raise BadInputError(f"Unknown segmentation mode {mode!r}; choose one of {', '.join(MODES)}.")
        self.load()
        if pos:
            if mode != "precise":
                raise BadInputError("POS tags are only available in precise mode.")
            return self._segment_pos(text, hmm)
        if mode == "full":
            return self._segment_full(text)
        jieba_mode = "default" if mode == "precise" else "search"
        return [Token(w, s, e) for w, s, e in self._tokenizer.tokenize(text, mode=jieba_mode, HMM=hmm)]

    def _segment_pos(self, text: str, hmm: bool) -> list[Token]:
        assert self._pos is not None
        tokens, start = [], 0
        for pair in self._pos.cut(text, HMM=hmm):
            tokens.append(Token(pair.word, start, start + len(pair.word), pair.flag))
            start += len(pair.word)
        return tokens

    def _segment_full(self, text: str) -> list[Token]:
        tokens, start = [], 0
        for blk in _RE_HAN.split(text):
            if _RE_HAN.match(blk):
                tokens += [Token(w, start + s, start + e) for w, s, e in self._cut_all_block(blk)]
            elif blk:
                offset = start
                for piece in _RE_SKIP.split(blk):
                    if piece:
                        tokens.append(Token(piece, offset, offset + len(piece)))
                    offset += len(piece)
            start += len(blk)
        return tokens

    def _cut_all_block(self, blk: str) -> list[tuple[str, int, int]]:
        """jieba's ``__cut_all`` with offsets: every dictionary word, single ASCII letters/digits glued together."""
        dag = self._tokenizer.get_DAG(blk)
        out: list[tuple[str, int, int]] = []
        old_j, eng_start, eng_end, eng_buf = -1, -1, -1, ""
        for k, ends in dag.items():
            if eng_start >= 0 and not _RE_ENG.match(blk[k]):
                out.append((eng_buf, eng_start, eng_end))
                eng_start = -1
            if len(ends) == 1 and k > old_j:
                word = blk[k:ends[0] + 1]
                if _RE_ENG.match(word):
                    if eng_start < 0:
                        eng_start, eng_buf = k, word
                    else:
                        eng_buf += word
                    eng_end = ends[0] + 1
                if eng_start < 0:
                    out.append((word, k, ends[0] + 1))
                old_j = ends[0]
            else:
                for j in ends:
                    if j > k:
                        out.append((blk[k:j + 1], k, j + 1))
                        old_j = j
        if eng_start >= 0:
            out.append((eng_buf, eng_start, eng_end))
        return out

    # --- user words -----------------------------------------------------------------------------------------

    def add_word(self, word: str, freq: int | None = None, tag: str | None = None) -> UserWord:
        """Add (or re-weight) a word; ``freq=None`` lets jieba suggest one just high enough to cut it out whole.

        Like ``jieba.Tokenizer.add_word`` (the frequency is added to the total), except that adding a word again
        first undoes the earlier addition, and freq 0 does not touch jieba's process-wide force-split set.
        """
        word = _check_word(word)
        if freq is not None and (isinstance(freq, bool) or not isinstance(freq, int) or freq < 0):
            raise BadInputError(f"The frequency of {word!r} must be a whole number ≥ 0, not {freq!r}.")
        self.load()
        assert self._pos is not None
        if word in self._user:
            self.remove_word(word)
        tok = self._tokenizer
        if freq is None:
            freq = tok.suggest_freq(word, False)
        self._saved[word] = (tok.FREQ.get(word), self._pos.word_tag_tab.get(word))
        tok.FREQ[word] = freq
        tok.total += freq
        for end in range(1, len(word)):
            tok.FREQ.setdefault(word[:end], 0)  # prefix markers let get_DAG walk on to the whole word
        if tag:
            self._pos.word_tag_tab[word] = tag
        self._user[word] = UserWord(word, freq, tag or None)
        return self._user[word]

    def delete_word(self, word: str) -> UserWord:
        """Give a word frequency 0 so the DAG never picks it (the HMM may still produce it for unknown runs)."""
        return self.add_word(word, 0)

    def remove_word(self, word: str) -> None:
        """Undo the user's change to ``word``, restoring the dictionary's own entry (if it had one)."""
        if word not in self._user:
            raise BadInputError(f"{word!r} is not a user word.")
        assert self._pos is not None
        change = self._user.pop(word)
        freq, tag = self._saved.pop(word)
        self._tokenizer.total -= change.freq
        # A word that was absent stays as a 0 entry: for jieba that only marks a prefix, the same as absent.
        self._tokenizer.FREQ[word] = freq or 0
        if tag is None:
            self._pos.word_tag_tab.pop(word, None)
        else:
            self._pos.word_tag_tab[word] = tag

    def user_words(self) -> list[UserWord]:
        """The user's changes, oldest first."""
        return list(self._user.values())

    def load_user_dict(self, path: str | Path) -> list[UserWord]:
        """Add every word of a jieba user dictionary (UTF-8 lines ``word [freq] [tag]``); returns what was added."""
        entries = _read_user_dict(Path(path))
        return [self.add_word(word, freq, tag) for word, freq, tag in entries]

    def word_freq(self, word: str) -> int:
        """The word's dictionary frequency (0 when it is not a dictionary word)."""
        self.load()
        return self._tokenizer.FREQ.get(word) or 0

    # --- the algorithm, shown -----------------------------------------------------------------------------

    def explain(self, text: str, hmm: bool = True) -> Explanation:
        """DAG, DP route and HMM spans of precise mode; ``explanation.words == jieba's cut(text, HMM=hmm)``."""
        self.load()
        blocks, start = [], 0
        for blk in _RE_HAN.split(text):
            if _RE_HAN.match(blk):
                blocks.append(self._explain_han(blk, start, hmm))
            elif blk:
                words = []
                for piece in _RE_SKIP.split(blk):
                    words += [piece] if _RE_SKIP.match(piece) else list(piece)
                blocks.append(Block(start, blk, False, words=tuple(words)))
            start += len(blk)
        return Explanation(text, hmm, self._tokenizer.total, tuple(blocks))

    def _explain_han(self, blk: str, start: int, hmm: bool) -> Block:
        tok = self._tokenizer
        dag = tok.get_DAG(blk)
        route: dict[int, tuple[float, int]] = {}
        tok.calc(blk, dag, route)  # jieba's own DP, so the route is exactly the one cut() follows
        log_total = math.log(tok.total)
        arcs = {}
        for k, ends in dag.items():
            for j in ends:
                freq = tok.FREQ.get(blk[k:j + 1]) or 0
                arcs[k, j + 1] = DagArc(k, j + 1, blk[k:j + 1], freq or 1, math.log(freq or 1) - log_total, freq > 0)
        path, x = [], 0
        while x < len(blk):
            path.append(arcs[x, route[x][1] + 1])
            x = route[x][1] + 1
        words, spans = (_words_with_hmm(tok, path) if hmm else (_words_without_hmm(path), []))
        best = tuple(route[i][0] for i in range(len(blk) + 1))
        return Block(start, blk, True, tuple(arcs.values()), tuple(path), best, tuple(spans), tuple(words))


def _words_without_hmm(path: list[DagArc]) -> list[str]:
    """jieba's ``__cut_DAG_NO_HMM``: route words, with runs of single ASCII letters/digits glued into one word."""
    words, buf = [], ""
    for arc in path:
        if len(arc.word) == 1 and _RE_ENG.match(arc.word):
            buf += arc.word
            continue
        if buf:
            words.append(buf)
            buf = ""
        words.append(arc.word)
    return words + ([buf] if buf else [])


def _words_with_hmm(tok: jieba.Tokenizer, path: list[DagArc]) -> tuple[list[str], list[HmmSpan]]:
    """jieba's ``__cut_DAG``: runs of single characters that are not themselves a dictionary word go to the HMM."""
    words: list[str] = []
    spans: list[HmmSpan] = []
    run: list[DagArc] = []
    arcs: list[DagArc | None] = [*path, None]  # None flushes the last run
    for arc in arcs:
        if arc is not None and arc.end - arc.start == 1:
            run.append(arc)
            continue
        buf = "".join(a.word for a in run)
        if len(buf) == 1 or (buf and tok.FREQ.get(buf)):
            words += list(buf)
        elif buf:
            states, hmm_words = hmm_cut(buf)
            spans.append(HmmSpan(run[0].start, run[-1].end, buf, states, tuple(hmm_words)))
            words += hmm_words
        run = []
        if arc is not None:
            words.append(arc.word)
    return words, spans


def _check_word(word: str) -> str:
    if not isinstance(word, str) or not word.strip():
        raise BadInputError("A user word must be a non-empty text.")
    if any(ch.isspace() for ch in word):
        raise BadInputError(f"The user word {word!r} contains whitespace, which jieba never puts inside a word.")
    return word


def _read_user_dict(path: Path) -> list[tuple[str, int | None, str | None]]:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as error:
        raise BadInputError(f"Cannot read the user dictionary {path}: {error.strerror or error}.") from error
    except UnicodeDecodeError as error:
        raise BadInputError(f"The user dictionary {path} is not UTF-8 text.") from error
    entries = []
    for lineno, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        word, freq, tag = jieba.re_userdict.match(line).groups()  # always matches: at least one character
        if any(ch.isspace() for ch in word):
            raise BadInputError(f"Line {lineno} of {path} is not 'word [frequency] [tag]': {line!r}.")
        entries.append((word, int(freq) if freq else None, tag.strip() if tag else None))
    if not entries:
        raise BadInputError(f"The user dictionary {path} has no words.")
    return entries


def segment_summary(text: str, mode: str = "precise", hmm: bool = True, pos: bool = False,
                    segmenter: Segmenter | None = None) -> dict:
    """What `lmscope segment TEXT [--mode] [--no-hmm] [--pos] --json` prints: the words with offsets (and tags)."""
    if not isinstance(text, str) or not text.strip():
        raise BadInputError("There is no text to segment.")
    tokens = (segmenter or Segmenter()).segment(text, mode=mode, hmm=hmm, pos=pos)
    words = []
    for token in tokens:
        entry: dict = {"word": token.word, "start": token.start, "end": token.end}
        if pos:
            entry["tag"] = token.tag
        words.append(entry)
    return {"text": text, "mode": mode, "hmm": hmm, "pos": pos, "words": words}
