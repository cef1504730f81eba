"""The tokenizer explorer's work, without Qt: jieba loading and segmentation, and BPE training as a job, with the
replay of one training step.

Jobs are generators yielding :class:`~lmscope.backend.jobs.JobProgress` and result events, as everywhere in lmscope; the
quick helpers (one sentence, one replay step) are plain functions the GUI may call directly.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from lmscope.backend.tokenize.bpe import (BpeModel, Merge, WordCounts, parse_word_counts, read_corpus, train_steps,
                         word_counts_from_text)
from lmscope.backend.demo import demo_corpus
from lmscope.backend.errors import BadInputError
from lmscope.backend.jobs import JobProgress
from lmscope.backend.tokenize.segment import Explanation, Segmenter, Token, UserWord

EXPLAIN_LIMIT = 400  # characters whose DAG is drawn: beyond that the picture is unreadable anyway
PROGRESS_EVERY = 25  # merges between progress events (each is also a point where the job can be cancelled)
BPE_SOURCES = ("demo", "file", "words")

# jieba's part-of-speech tags (ICTCLAS set plus jieba's own), for tooltips and the legend.
POS_NAMES = {
    "n": "noun", "nr": "person name", "nrfg": "person name", "nrt": "person name (transliterated)",
    "ns": "place name", "nt": "organisation", "nz": "other proper noun", "ng": "noun morpheme", "nw": "work title",
    "f": "direction word", "s": "place word", "t": "time word", "tg": "time morpheme",
    "v": "verb", "vd": "verb used as adverb", "vn": "verbal noun", "vg": "verb morpheme", "vi": "intransitive verb",
    "vq": "verb + complement", "a": "adjective", "ad": "adjective used as adverb", "an": "nominal adjective",
    "ag": "adjective morpheme", "b": "distinguishing word", "z": "status word", "d": "adverb", "df": "adverb (不)",
    "dg": "adverb morpheme", "m": "numeral", "mq": "numeral + measure word", "q": "measure word",
    "r": "pronoun", "rr": "personal pronoun", "rz": "demonstrative pronoun", "rg": "pronoun morpheme",
    "p": "preposition", "c": "conjunction", "u": "particle", "uj": "particle 的", "ul": "particle 了",
    "uv": "particle 地", "ud": "particle 得", "ug": "particle 过", "uz": "particle 着", "y": "modal particle",
    "e": "interjection", "o": "onomatopoeia", "i": "idiom", "l": "fixed expression", "j": "abbreviation",
    "h": "prefix", "k": "suffix", "g": "morpheme", "x": "non-word (symbol, unknown)", "eng": "English",
    "w": "punctuation", "xc": "other function word",
}


def pos_name(tag: str | None) -> str:
    """A tag's meaning; an unlisted tag falls back to its two-, then one-letter prefix (``nrj`` → ``nr``)."""
    if not tag:
        return ""
    return POS_NAMES.get(tag) or POS_NAMES.get(tag[:2]) or POS_NAMES.get(tag[0], "unlisted tag")


# --- jieba ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SegmentRequest:
    """What the user asked jieba for: ``pos`` only applies in precise mode."""

    text: str
    mode: str = "precise"
    hmm: bool = True
    pos: bool = False


@dataclass(frozen=True)
class Segmented:
    """jieba's words for a request, and how precise mode found them (for at most :data:`EXPLAIN_LIMIT` chars)."""

    request: SegmentRequest
    tokens: tuple[Token, ...]
    explanation: Explanation = field(repr=False)
    explained_chars: int


@dataclass(frozen=True)
class SegmenterReady:
    """The job is done with the segmenter: the dictionary is loaded, the user words are in it, and ``segmented``
    holds the request's result (None when there was none). Always the job's last event, so the GUI may use the
    segmenter again as soon as it arrives."""

    user_words: tuple[UserWord, ...]
    segmented: Segmented | None = None


def segment_text(segmenter: Segmenter, request: SegmentRequest) -> Segmented:
    """Segment one text (fast once the dictionary is loaded: ~5 ms per 1,000 characters)."""
    pos = request.pos and request.mode == "precise"
    tokens = segmenter.segment(request.text, mode=request.mode, hmm=request.hmm, pos=pos)
    head = request.text[:EXPLAIN_LIMIT]
    return Segmented(request, tuple(tokens), segmenter.explain(head, hmm=request.hmm), len(head))


def load_segmenter_job(segmenter: Segmenter, user_words: Sequence[UserWord] = (),
                       request: SegmentRequest | None = None, dictionary: str | None = None) -> Iterator[object]:
    """Load jieba's dictionary (~1 s the first time), add ``user_words`` and the words of the user dictionary
    file ``dictionary``, then segment ``request`` if given."""
    yield JobProgress(-1.0, "Loading jieba's dictionary…")
    segmenter.load()
    for word in user_words:
        segmenter.add_word(word.word, word.freq, word.tag)
    if dictionary:
        yield JobProgress(-1.0, f"Reading the user dictionary {dictionary}…")
        segmenter.load_user_dict(dictionary)
    segmented = segment_text(segmenter, request) if request is not None and request.text else None
    yield SegmenterReady(tuple(segmenter.user_words()), segmented)


# --- BPE -----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class BpeSource:
    """Where BPE learns from: the demo corpus, a UTF-8 text file, or a typed ``word:count`` list."""

    kind: str = "demo"
    words: str = ""
    path: str = ""

    def describe(self) -> str:
        if self.kind == "file":
            return self.path.rsplit("/", 1)[-1] or "text file"
        return "demo corpus" if self.kind == "demo" else "word list"


@dataclass(frozen=True)
class BpeTrained:
    model: BpeModel = field(repr=False)
    source: BpeSource
    requested: int  # merges asked for; the model may hold fewer when every word became one symbol


def bpe_word_counts(source: BpeSource) -> WordCounts:
    """The word types and counts BPE trains on, in order of first appearance (the tie rule's scan order)."""
    if source.kind == "demo":
        return word_counts_from_text(demo_corpus())
    if source.kind == "file":
        if not source.path:
            raise BadInputError("Choose a text file to train BPE on.")
        return word_counts_from_text(read_corpus(source.path))
    if source.kind == "words":
        return parse_word_counts(source.words)
    raise BadInputError(f"Unknown BPE source {source.kind!r}; choose one of {', '.join(BPE_SOURCES)}.")


def bpe_train_job(source: BpeSource, merges: int, word_counts: WordCounts | None = None) -> Iterator[object]:
    """Learn ``merges`` merges step by step (what :func:`lmscope.backend.tokenize.bpe.train_bpe` does, with progress events)."""
    yield JobProgress(0.0, f"Reading the {source.describe()}…")
    counts = list(word_counts) if word_counts is not None else bpe_word_counts(source)
    steps = train_steps(counts, merges)
    ranks: list[list[int]] = [[] for _ in counts]
    states: list[list[tuple[str, ...]]] = [[] for _ in counts]
    learned: list[Merge] = []
    for step in steps:
        learned.append(step.merge)
        for i, symbols in step.changed:
            ranks[i].append(step.merge.rank)
            states[i].append(symbols)
        if len(learned) % PROGRESS_EVERY == 0:
            yield JobProgress(len(learned) / max(1, merges), f"Learning BPE merges: {len(learned)}/{merges}")
    history = tuple((tuple(r), tuple(s)) for r, s in zip(ranks, states))
    model = BpeModel(tuple(w for w, _ in counts), tuple(c for _, c in counts), tuple(learned), history)
    yield BpeTrained(model, source, merges)


def changed_symbols(before: Sequence[str], after: Sequence[str]) -> tuple[int, ...]:
    """Indices of the symbols in ``after`` that did not exist in ``before`` (compared by character span)."""
    spans, offset = set(), 0
    for symbol in before:
        spans.add((offset, offset + len(symbol)))
        offset += len(symbol)
    changed, offset = [], 0
    for i, symbol in enumerate(after):
        if (offset, offset + len(symbol)) not in spans:
            changed.append(i)
        offset += len(symbol)
    return tuple(changed)


@dataclass(frozen=True)
class WordAtStep:
    word: str
    count: int
    symbols: tuple[str, ...]
    changed: tuple[int, ...]  # symbols made by the step's merge (merge k − 1)


def words_at_step(model: BpeModel, k: int) -> list[WordAtStep]:
    """Every word type after ``k`` merges, with the symbols that merge ``k − 1`` just created."""
    after = model.segmentation(k)
    before = model.segmentation(k - 1) if k > 0 else after
    return [WordAtStep(w, c, a, changed_symbols(b, a) if a != b else ())
            for w, c, a, b in zip(model.words, model.counts, after, before)]
