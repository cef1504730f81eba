"""Byte-pair encoding (Sennrich et al., arXiv 1508.07909), learned step by step for the tokenizer explorer.

Training is a generator of merges (:func:`train_steps`) that keeps pair counts incrementally; :func:`train_bpe`
collects it into a :class:`BpeModel` that can replay the corpus at any step, encode new text and list pair counts.
The words it learns from come from :mod:`lmscope.backend.tokenize.corpus`. No Qt here; `lmscope bpe` prints
:func:`bpe_summary`.
"""
from __future__ import annotations

import bisect
import heapq
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lmscope.backend.errors import BadInputError
from lmscope.backend.tokenize.corpus import WordCounts, pretokenize, read_corpus, word_counts_from_text

EOW = "</w>"
TIE_RULE = ("When pairs tie on count, the pair met first wins: scan the words in the order they first appear in "
            "the corpus, each word left to right.")

Pair = tuple[str, str]


@dataclass(frozen=True)
class Merge:
    """Merge number ``rank`` (0-based) joins ``left`` + ``right``; ``count`` is the pair's weighted count then."""

    rank: int
    left: str
    right: str
    count: int

    @property
    def symbol(self) -> str:
        return self.left + self.right


@dataclass(frozen=True)
class BpeStep:
    """One training step: the merge, and ``changed`` = (word index, its symbols after the merge) per word."""

    merge: Merge
    changed: tuple[tuple[int, tuple[str, ...]], ...]


@dataclass(frozen=True)
class EncodedWord:
    """A word's final symbols and the merges that built them, in the order they applied."""

    word: str
    tokens: tuple[str, ...]
    applied: tuple[Merge, ...]


# --- word:count lists -------------------------------------------------------------------------------------------------

def parse_word_counts(spec: str) -> WordCounts:
    """Parse ``"low:5, lower:2"`` (commas or new lines between items); a repeated word adds up its counts."""
    counts: Counter[str] = Counter()
    for item in spec.replace("\n", ",").split(","):
        item = item.strip()
        if not item:
            continue
        word, colon, number = item.rpartition(":")
        word = word.strip()
        if not colon or not word or any(ch.isspace() for ch in word) or not number.strip().isdigit():
            raise BadInputError(f"{item!r} is not of the form word:count (e.g. low:5).")
        if EOW in word:
            raise BadInputError(f"{item!r} contains the end-of-word marker {EOW}, which BPE keeps for itself.")
        if int(number) == 0:
            raise BadInputError(f"{item!r} has count 0; counts must be at least 1.")
        counts[word] += int(number)
    return list(counts.items())


# --- training --------------------------------------------------------------------------------------------------

def _merge_symbols(symbols: Sequence[str], left: str, right: str) -> list[str]:
    """Replace every ``left right`` by ``left+right``, left to right without overlaps (``a a a`` → ``aa a``)."""
    out, i, n = [], 0, len(symbols)
    while i < n:
        if i + 1 < n and symbols[i] == left and symbols[i + 1] == right:
            out.append(left + right)
            i += 2
        else:
            out.append(symbols[i])
            i += 1
    return out


def _pair_positions(symbols: Sequence[str]) -> tuple[Counter, dict[Pair, int]]:
    """Occurrences of each adjacent pair, and the character offset where each first occurs."""
    counts: Counter = Counter(zip(symbols, symbols[1:]))
    first: dict[Pair, int] = {}
    offset = 0
    for pair in zip(symbols, symbols[1:]):
        first.setdefault(pair, offset)
        offset += len(pair[0])
    return counts, first


class BpeTrainer:
    """Incremental BPE training state: pair counts, pair → words index, and a heap keyed by the tie rule.

    A pair's position is (word index, character offset) of its first occurrence; character offsets do not move
    when a merge changes other parts of a word, so positions stay comparable across steps. The heap holds
    (-count, position bound, pair). ``first[p]`` is exact unless ``p`` is in ``loose``, where it is only a lower
    bound (the pair vanished from the word that held its first occurrence); such a pair is re-measured when it
    reaches the top, which keeps the choice exact without rescanning every word per merge.
    """

    def __init__(self, word_counts: Sequence[tuple[str, int]]) -> None:
        self.words = [w for w, _ in word_counts]
        self.freqs = [f for _, f in word_counts]
        self.symbols: list[list[str]] = [list(w) + [EOW] for w in self.words]
        self.counts: dict[Pair, int] = {}
        self.where: dict[Pair, set[int]] = {}
        self.first: dict[Pair, tuple[int, int]] = {}
        self.loose: set[Pair] = set()
        self.rank = 0
        for i, symbols in enumerate(self.symbols):
            occurrences, first = _pair_positions(symbols)
            for pair, n in occurrences.items():
                self.counts[pair] = self.counts.get(pair, 0) + n * self.freqs[i]
                self.where.setdefault(pair, set()).add(i)
                self.first.setdefault(pair, (i, first[pair]))
        self.heap = [(-c, self.first[p], p) for p, c in self.counts.items()]
        heapq.heapify(self.heap)

    def _best_pair(self) -> Pair | None:
        while self.heap:
            negcount, position, pair = heapq.heappop(self.heap)
            if self.counts.get(pair) != -negcount or self.first.get(pair) != position:
                continue  # stale: a newer entry carries the pair's current count and position
            if pair in self.loose:
                word = min(self.where[pair])
                self.first[pair] = (word, _pair_positions(self.symbols[word])[1][pair])
                self.loose.discard(pair)
                heapq.heappush(self.heap, (negcount, self.first[pair], pair))
                continue
            return pair
        return None

    def step(self) -> BpeStep | None:
        """Merge the best pair everywhere; None when no word has two symbols left."""
        pair = self._best_pair()
        if pair is None:
            return None
        merge = Merge(self.rank, pair[0], pair[1], self.counts[pair])
        self.rank += 1
        affected = sorted(self.where[pair])
        touched: dict[Pair, int] = {}  # pair -> count before this step
        new_first: dict[Pair, tuple[int, int]] = {}  # first position of each pair among the affected words, after
        changed = []
        for i in affected:
            old_counts, _ = _pair_positions(self.symbols[i])
            self.symbols[i] = _merge_symbols(self.symbols[i], *pair)
            new_counts, first = _pair_positions(self.symbols[i])
            freq = self.freqs[i]
            for p, n in old_counts.items():
                touched.setdefault(p, self.counts[p])
                self.counts[p] -= n * freq
                if p not in new_counts:
                    self.where[p].discard(i)
            for p, n in new_counts.items():
                touched.setdefault(p, self.counts.get(p, 0))
                self.counts[p] = self.counts.get(p, 0) + n * freq
                self.where.setdefault(p, set()).add(i)
                new_first.setdefault(p, (i, first[p]))
            changed.append((i, tuple(self.symbols[i])))
        affected_set = set(affected)
        for p, old_count in touched.items():
            self._update_position(p, old_count, new_first.get(p), affected_set)
        return BpeStep(merge, tuple(changed))

    def _update_position(self, p: Pair, old_count: int, seen: tuple[int, int] | None, affected: set[int]) -> None:
        """Refresh ``first[p]`` after a step and push a heap entry if the count or the position moved."""
        count = self.counts[p]
        if count == 0:
            del self.counts[p], self.where[p], self.first[p]
            self.loose.discard(p)
            return
        old = self.first.get(p)
        if old is None:  # a brand-new pair occurs only in affected words, so `seen` is exact
            position = seen
        elif p in self.loose or old[0] in affected:
            # No occurrence lies before `old`, and the word old[0] was rescanned if it held one, so unaffected
            # words holding p all come after old[0]: an occurrence seen in an affected word up to old[0] is the
            # true first. Otherwise `old` stays a valid lower bound.
            if seen is not None and seen[0] <= old[0]:
                position = seen
                self.loose.discard(p)
            else:
                position = old
                self.loose.add(p)
        else:  # the old first occurrence is untouched, so only an earlier new one can beat it
            position = min(old, seen) if seen is not None else old
        assert position is not None
        self.first[p] = position
        if count != old_count or position != old:
            heapq.heappush(self.heap, (-count, position, p))

    def pair_counts(self) -> dict[Pair, int]:
        return dict(self.counts)


def _check_inputs(word_counts: Sequence[tuple[str, int]], merges: int) -> None:
    if isinstance(merges, bool) or not isinstance(merges, int) or merges < 0:
        raise BadInputError(f"The number of merges must be a whole number ≥ 0, not {merges!r}.")
    if not word_counts:
        raise BadInputError("The corpus has no words to learn from.")


def train_steps(word_counts: Sequence[tuple[str, int]], merges: int) -> Iterator[BpeStep]:
    """Yield up to ``merges`` training steps (fewer if every word becomes one symbol).

    Not itself a generator function, so bad input raises here rather than at the first ``next()``.
    """
    _check_inputs(word_counts, merges)
    return _steps(BpeTrainer(word_counts), merges)


def _steps(trainer: BpeTrainer, merges: int) -> Iterator[BpeStep]:
    for _ in range(merges):
        step = trainer.step()
        if step is None:
            return
        yield step


# --- the learned model -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class BpeModel:
    """Learned merges plus the training corpus's word types and each word's segmentation history."""

    words: tuple[str, ...]
    counts: tuple[int, ...]
    merges: tuple[Merge, ...]
    # Per word: the ranks of the merges that changed it, and its symbols right after each of them.
    history: tuple[tuple[tuple[int, ...], tuple[tuple[str, ...], ...]], ...] = field(repr=False)

    @property
    def vocab(self) -> list[str]:
        """Initial characters (first-appearance order), then ``</w>``, then each new symbol in merge order."""
        symbols = dict.fromkeys(ch for word in self.words for ch in word)
        symbols[EOW] = None
        symbols.update(dict.fromkeys(m.symbol for m in self.merges))
        return list(symbols)

    def segmentation(self, k: int | None = None) -> list[tuple[str, ...]]:
        """Each word type's symbols after the first ``k`` merges (all by default): a bisect per word."""
        k = len(self.merges) if k is None else max(0, min(k, len(self.merges)))
        result = []
        for word, (ranks, states) in zip(self.words, self.history):
            last = bisect.bisect_left(ranks, k) - 1  # changes by merges with rank < k are visible after k merges
            result.append(states[last] if last >= 0 else tuple(word) + (EOW,))
        return result

    def pair_ranks(self) -> dict[Pair, tuple[int, ...]]:
        """Ranks at which each pair was merged (a pair can be merged twice if its left symbol is rebuilt)."""
        ranks: dict[Pair, list[int]] = {}
        for m in self.merges:
            ranks.setdefault((m.left, m.right), []).append(m.rank)
        return {pair: tuple(r) for pair, r in ranks.items()}


def train_bpe(word_counts: Sequence[tuple[str, int]], merges: int) -> BpeModel:
    """Run :func:`train_steps` to the end and keep what the replay slider and the encoder need."""
    steps = train_steps(word_counts, merges)
    ranks: list[list[int]] = [[] for _ in word_counts]
    states: list[list[tuple[str, ...]]] = [[] for _ in word_counts]
    learned = []
    for step in steps:
        learned.append(step.merge)
        for i, symbols in step.changed:
            ranks[i].append(step.merge.rank)
            states[i].append(symbols)
    history = tuple((tuple(r), tuple(s)) for r, s in zip(ranks, states))
    return BpeModel(tuple(w for w, _ in word_counts), tuple(c for _, c in word_counts), tuple(learned), history)


def pair_table(model: BpeModel, k: int, top: int = 20) -> list[tuple[Pair, int]]:
    """The ``top`` pairs by count after ``k`` merges, ties in :data:`TIE_RULE` order (row 0 is merge k)."""
    counts: dict[Pair, int] = {}  # insertion order = scan order, so a stable sort by count keeps the tie rule
    for symbols, freq in zip(model.segmentation(k), model.counts):
        for pair in zip(symbols, symbols[1:]):
            counts[pair] = counts.get(pair, 0) + freq
    return sorted(counts.items(), key=lambda item: -item[1])[:top]


# --- encoding --------------------------------------------------------------------------------------------------

def encode_word(model: BpeModel, word: str, k: int | None = None,
                ranks: dict[Pair, tuple[int, ...]] | None = None) -> EncodedWord:
    """Apply the first ``k`` merges in rank order, as training did: a merge whose pair is absent is skipped."""
    k = len(model.merges) if k is None else k
    ranks = model.pair_ranks() if ranks is None else ranks
    symbols, applied, last = list(word) + [EOW], [], -1
    while True:
        # The next merge to apply is the lowest rank after the last one applied whose pair is present now;
        # every rank in between is absent and stays absent until this merge runs.
        best = k
        for pair in zip(symbols, symbols[1:]):
            pair_ranks = ranks.get(pair, ())
            i = bisect.bisect_right(pair_ranks, last)
            if i < len(pair_ranks) and pair_ranks[i] < best:
                best = pair_ranks[i]
        if best >= k:
            return EncodedWord(word, tuple(symbols), tuple(applied))
        merge = model.merges[best]
        symbols = _merge_symbols(symbols, merge.left, merge.right)
        applied.append(merge)
        last = best


def encode(model: BpeModel, text: str, k: int | None = None) -> list[EncodedWord]:
    """Pretokenize ``text`` and encode each word with the first ``k`` merges (all by default)."""
    ranks = model.pair_ranks()
    return [encode_word(model, word, k, ranks) for word in pretokenize(text)]


def decode(tokens: Iterable[str]) -> str:
    """Join tokens into words (a word ends with the token that ends in ``</w>``), words joined by spaces."""
    words, current = [], ""
    for token in tokens:
        current += token
        if current.endswith(EOW):
            words.append(current[:-len(EOW)])
            current = ""
    return " ".join(words + ([current] if current else []))


# --- command line ----------------------------------------------------------------------------------------------

def bpe_summary(*, merges: int, words: str | None = None, text: str | None = None,
                corpus: str | Path | None = None) -> dict:
    """What `lmscope bpe (--corpus FILE | --words "low:5,lower:2") --merges K --json` prints.

    Give exactly one of ``words`` (a word:count list), ``text`` or ``corpus`` (a UTF-8 file). ``merges`` lists
    [left, right, count] in order; ``segmentation`` is each word type's final symbols.
    """
    if sum(x is not None for x in (words, text, corpus)) != 1:
        raise BadInputError("Give exactly one of a word list, a text or a corpus file.")
    if words is not None:
        word_counts = parse_word_counts(words)
    else:
        word_counts = word_counts_from_text(read_corpus(corpus) if corpus is not None else text or "")
    model = train_bpe(word_counts, merges)
    return {
        "merges": [[m.left, m.right, m.count] for m in model.merges],
        "requested_merges": merges,
        "segmentation": [{"word": w, "count": c, "tokens": list(s)}
                         for w, c, s in zip(model.words, model.counts, model.segmentation())],
        "vocab_size": len(model.vocab),
        "tie_rule": TIE_RULE,
    }
