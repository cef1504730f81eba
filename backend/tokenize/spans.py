"""One text cut by each tokenizer, as plain spans on character offsets, and jieba's decision made readable.

What the tokenizer explorer aligns and explains, computed without Qt: token spans with ids, unknown flags and the
words a tooltip shows; vocabulary tables; and, for jieba's precise mode, the DAG arcs, the DP route and where the
route beat its strongest rival.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from lmscope.backend.tokenize.bpe import EOW, BpeModel, encode_word, pretokenize
from lmscope.backend.tokenize.bytelevel import char_bytes
from lmscope.backend.tokenize.segment import Block, DagArc, Explanation, Segmenter, Token
from lmscope.backend.models.tokenizer import CharTokenizer
from lmscope.backend.tokenize.jobs import pos_name


@dataclass(frozen=True)
class TokenSpan:
    """One token over ``text[start:end]`` (empty for BPE's lone ``</w>``), with its id if it has one."""

    start: int
    end: int
    token: str
    token_id: int | None = None
    unknown: bool = False
    tooltip: str = ""
    note: str = ""  # a short second label: an id, a POS tag


def _where(start: int, end: int) -> str:
    return f"characters {start}–{end}" if end - start != 1 else f"character {start}"


def char_spans(text: str) -> list[TokenSpan]:
    """Every character; its id is the Unicode code point."""
    return [TokenSpan(i, i + 1, ch, ord(ch), tooltip=f"{ch!r} U+{ord(ch):04X} · {_where(i, i + 1)}")
            for i, ch in enumerate(text)]


def jieba_spans(tokens: Sequence[Token], segmenter: Segmenter) -> list[TokenSpan]:
    """jieba's words; unknown when the dictionary lacks the word (the HMM made it up, or it is not Chinese)."""
    spans = []
    for t in tokens:
        freq = segmenter.word_freq(t.word)
        tip = f"{t.word} · {_where(t.start, t.end)} · " + (f"dictionary frequency {freq:,}" if freq else
                                                            "not in the dictionary")
        if t.tag:
            tip += f" · {t.tag}: {pos_name(t.tag)}"
        # Whitespace and punctuation are not words a dictionary could miss; only letters, digits and Han count.
        unknown = freq == 0 and any(ch.isalnum() for ch in t.word)
        spans.append(TokenSpan(t.start, t.end, t.word, None, unknown, tip, t.tag or ""))
    return spans


def bpe_spans(model: BpeModel, text: str, k: int | None = None) -> list[TokenSpan]:
    """``text`` encoded with the first ``k`` merges, on character offsets; ids index ``model.vocab``.

    A symbol is unknown when it is not in the vocabulary (a character the training corpus never had).
    """
    vocab = {symbol: i for i, symbol in enumerate(model.vocab)}
    ranks = model.pair_ranks()
    spans, cursor = [], 0
    for word in pretokenize(text):
        start = text.index(word, cursor)  # pretokenize only drops whitespace, so words come in order
        offset = start
        for symbol in encode_word(model, word, k, ranks).tokens:
            length = len(symbol) - (len(EOW) if symbol.endswith(EOW) else 0)
            token_id = vocab.get(symbol)
            tip = f"{symbol} · " + (f"id {token_id}" if token_id is not None else "not in the vocabulary")
            spans.append(TokenSpan(offset, offset + length, symbol, token_id, token_id is None,
                                   f"{tip} · {_where(offset, offset + length)}",
                                   "" if token_id is None else str(token_id)))
            offset += length
        cursor = start + len(word)
    return spans


def model_spans(tokenizer: CharTokenizer, text: str) -> list[TokenSpan]:
    """The model tokenizer's tokens over the text. A Hugging Face tokenizer reports each token's character offsets
    (added special tokens such as [CLS] cover nothing and show as zero-width marks; byte-level pieces of one character
    share it); the character tokenizer's tokens each cover their string's length, an unknown token one character."""
    if hasattr(tokenizer, "encode_with_offsets"):
        return _offset_spans(tokenizer, text)
    ids = tokenizer.encode(text)
    unk = tokenizer.unk_id
    spans, offset = [], 0
    for token_id, token in zip(ids, tokenizer.token_strings(ids)):
        length = 1 if token_id == unk else len(token)
        shown = text[offset:offset + length]
        tip = f"id {token_id} · {token!r}" + (f" (for {shown!r}, not in the vocabulary)" if token_id == unk else "")
        spans.append(TokenSpan(offset, offset + length, token if token_id != unk else shown, int(token_id),
                               token_id == unk, f"{tip} · {_where(offset, offset + length)}", str(token_id)))
        offset += length
    return spans


def _offset_spans(tokenizer: Any, text: str) -> list[TokenSpan]:  # noqa: ANN401 - an HFTokenizer
    unk, specials = tokenizer.unk_id, set(getattr(tokenizer, "special_ids", ()) or ())
    spans = []
    for token_id, start, end in tokenizer.encode_with_offsets(text):
        (token,) = tokenizer.token_strings([token_id])
        special = token_id in specials and end <= start
        kind = "special token, added by the tokenizer" if special else f"for {text[start:end]!r}"
        spans.append(TokenSpan(start, end, token, int(token_id), token_id == unk,
                               f"id {token_id} · {token!r} ({kind}) · {_where(start, end)}", str(token_id)))
    return spans


def model_description(tokenizer: Any) -> str:  # noqa: ANN401 - a ModelTokenizer
    """What the model's tokens are, for the comparison row: "characters", "byte-level BPE", "WordPiece"…"""
    return str(getattr(tokenizer, "kind", "") or "characters") if hasattr(tokenizer, "encode_with_offsets") \
        else "characters"


def byte_spans(text: str) -> list[TokenSpan]:
    """One span per character holding its GPT-2 byte stand-ins; ``token_id`` is the character's byte count."""
    return [TokenSpan(c.offset, c.offset + 1, c.stand_ins, len(c.data), False,
                      f"{c.char!r} → UTF-8 {c.hex} ({len(c.data)} byte{'s' * (len(c.data) > 1)}) → {c.stand_ins}")
            for c in char_bytes(text)]


def token_at(spans: Sequence[TokenSpan], offset: int) -> int:
    """Index of the span covering character ``offset`` (−1 if none)."""
    for i, span in enumerate(spans):
        if span.start <= offset < span.end:
            return i
    return -1


# --- vocabularies ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class VocabTable:
    ids: np.ndarray  # (V,) int64
    tokens: list[str]
    frequency: np.ndarray  # (V,) int64 occurrences in the reference text
    length: np.ndarray  # (V,) characters
    n_bytes: np.ndarray  # (V,) UTF-8 bytes


def vocab_table(tokens: Sequence[str], frequency: np.ndarray, ids: np.ndarray | None = None) -> VocabTable:
    tokens = list(tokens)
    return VocabTable(np.arange(len(tokens), dtype=np.int64) if ids is None else np.asarray(ids, dtype=np.int64),
                      tokens, np.asarray(frequency, dtype=np.int64),
                      np.asarray([len(t) for t in tokens], dtype=np.int64),
                      np.asarray([len(t.encode("utf-8", errors="replace")) for t in tokens], dtype=np.int64))


def model_vocab(tokenizer: CharTokenizer, corpus: str) -> VocabTable:
    """The model's vocabulary with each token's frequency in ``corpus`` (the demo corpus, for the browser)."""
    frequency = np.bincount(np.asarray(tokenizer.encode(corpus), dtype=np.int64), minlength=tokenizer.vocab_size)
    return vocab_table(tokenizer.tokens, frequency)


def bpe_vocab(model: BpeModel, k: int | None = None) -> VocabTable:
    """Our BPE's vocabulary after ``k`` merges (ids index ``model.vocab``), with each symbol's count in the
    training corpus segmented at that step."""
    k = len(model.merges) if k is None else k
    vocab = model.vocab
    present = {ch for word in model.words for ch in word} | {EOW} | {m.symbol for m in model.merges[:k]}
    index = {symbol: i for i, symbol in enumerate(vocab)}
    frequency = np.zeros(len(vocab), dtype=np.int64)
    for symbols, count in zip(model.segmentation(k), model.counts):
        for symbol in symbols:
            frequency[index[symbol]] += count
    keep = [i for i, symbol in enumerate(vocab) if symbol in present]
    return vocab_table([vocab[i] for i in keep], frequency[keep], np.asarray(keep))


def bpe_vocab_size(model: BpeModel, k: int) -> int:
    """Symbols known after ``k`` merges: the corpus's characters, ``</w>`` and each new merged symbol."""
    initial = {ch for word in model.words for ch in word} | {EOW}
    return len(initial | {m.symbol for m in model.merges[:k]})


# --- jieba's decision, readable ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class RouteChoice:
    """At route node ``chosen.start`` the chosen word beat the best other word starting there; a score is the
    word's own log P plus the best score of the rest of the block."""

    chosen: DagArc
    chosen_score: float
    rival: DagArc
    rival_score: float

    @property
    def margin(self) -> float:
        return self.chosen_score - self.rival_score


def route_choices(block: Block) -> list[RouteChoice]:
    """For each route word that had a competitor, the strongest one: where the DP's decisions were made."""
    by_start: dict[int, list[DagArc]] = {}
    for arc in block.arcs:
        by_start.setdefault(arc.start, []).append(arc)
    choices = []
    for chosen in block.route:
        rivals = [a for a in by_start.get(chosen.start, []) if a.end != chosen.end]
        if rivals:
            rival = max(rivals, key=lambda a: a.logprob + block.best[a.end])
            choices.append(RouteChoice(chosen, chosen.logprob + block.best[chosen.end], rival,
                                       rival.logprob + block.best[rival.end]))
    return choices


def minus(value: float, digits: int = 2) -> str:
    """A number with a real minus sign, as the DAG labels show it."""
    return f"{value:.{digits}f}".replace("-", "−")


def arc_tooltip(arc: DagArc, total: int, block: Block) -> str:
    source = f"dictionary frequency {arc.freq:,}" if arc.in_dictionary else "not in the dictionary: counted as 1"
    rest = block.best[arc.end]
    return (f"{arc.word} ({source})\nlog P = log({arc.freq:,} / {total:,}) = {minus(arc.logprob)}\n"
            f"best for the rest after it: {minus(rest)}; together {minus(arc.logprob + rest)}")


def route_summary(explanation: Explanation, limit: int = 3) -> str:
    """HTML: the route's words and their sum, the closest decisions, and what the HMM did."""
    parts = []
    for block in explanation.blocks:
        if not block.is_han:
            continue
        terms = " + ".join(f"{a.word} ({minus(a.logprob)})" for a in block.route)
        parts.append(f"<b>Route</b> {terms} = <b>{minus(block.best[0])}</b>, the highest total of "
                     f"log P(w) = log(freq / {explanation.total:,}) over every path through the DAG.")
        closest = sorted(route_choices(block), key=lambda c: c.margin)[:limit]
        if closest:
            calls = "; ".join(f"{c.chosen.word}… {minus(c.chosen_score)} beat {c.rival.word}… "
                              f"{minus(c.rival_score)} (by {c.margin:.2f})" for c in closest)
            parts.append(f"<b>Closest calls</b>: {calls}.")
        for span in block.hmm_spans:
            parts.append(f"<b>HMM</b>: {span.text} is a run of single characters the dictionary does not join; "
                         f"Viterbi states {span.states} → {' / '.join(span.words)}.")
    return "<br>".join(parts) or "No Chinese or alphanumeric run here: jieba splits it by its regular expressions."
