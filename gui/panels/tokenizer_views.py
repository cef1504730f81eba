"""Backend results turned into the tokenizer explorer's plain view data (spans, rows, arcs, table rows).

Split from :mod:`lmscope.gui.panels.tokenizer` so the binding stays about state and events; these functions are pure.
"""
from __future__ import annotations

from PySide6.QtCore import QCoreApplication
from collections.abc import Sequence
from functools import cache

import numpy as np

from lmscope.backend.tokenize.bpe import BpeModel, encode
from lmscope.backend.tokenize.bytelevel import bytes_to_unicode, char_bytes, to_byte_level
from lmscope.backend.models.checkpoint import LoadedModel
from lmscope.backend.demo import demo_corpus
from lmscope.backend.tokenize.segment import DagArc, Explanation, Segmenter
from lmscope.backend.tokenize.spans import (TokenSpan, VocabTable, arc_tooltip, bpe_spans, bpe_vocab, byte_spans, char_spans,
                                 jieba_spans, minus, model_vocab, route_summary, vocab_table)
from lmscope.backend.tokenize.jobs import Segmented, pos_name
from lmscope.widgets.tokenizer.dag import Arc, HmmMark
from lmscope.widgets.terms import term
from lmscope.widgets.tokenizer.spans import Span, SpanRow

# Each row alternates between two palette colours so neighbouring tokens stand apart.
# Vermillion (5) is left out: it reads as the red of unknown tokens.
ROW_COLORS = {"characters": (-1, -1), "jieba": (1, 4), "bpe": (2, 3), "model": (0, 6), "bytes": (7, -1)}
POS_COLORS = {"n": 0, "v": 1, "a": 2, "d": 3, "r": 4, "m": 7, "q": 7, "p": 6, "c": 6, "u": 6}
BYTES_SHOWN = 200  # characters in the byte view: each is up to four columns wide


def to_spans(spans: Sequence[TokenSpan], row: str, notes: bool = True) -> tuple[Span, ...]:
    even, odd = ROW_COLORS[row]
    return tuple(Span(s.start, s.end, s.token, s.tooltip, odd if i % 2 else even, s.note if notes else "",
                      s.unknown) for i, s in enumerate(spans))


def pos_color(tag: str) -> int:
    return POS_COLORS.get(tag[:1], -1) if tag else -1


# --- jieba ---------------------------------------------------------------------------------------------------

def jieba_row(segmented: Segmented, segmenter: Segmenter) -> tuple[SpanRow, list[tuple], str]:
    """The words as one row (POS tags as coloured labels), the offsets table, and the POS legend."""
    spans = jieba_spans(segmented.tokens, segmenter)
    if segmented.request.pos and segmented.request.mode == "precise":
        row_spans = tuple(Span(s.start, s.end, s.token, s.tooltip, pos_color(s.note), s.note, s.unknown)
                          for s in spans)
    else:
        row_spans = to_spans(spans, "jieba")
    unknown = sum(s.unknown for s in spans)
    summary = (QCoreApplication.translate("TokenizerViews", "{n} words, {unknown} not in dictionary") if unknown
               else QCoreApplication.translate("TokenizerViews", "{n} words")).format(n=len(spans), unknown=unknown)
    table = [(s.token, s.start, s.end, s.note, segmenter.word_freq(s.token)) for s in spans]
    tags = sorted({s.note for s in spans if s.note})
    legend = " · ".join(f"<b>{tag}</b> {pos_name(tag)}" for tag in tags)
    return SpanRow(f"jieba · {segmented.request.mode}", row_spans, summary), table, legend


def dag_view(explanation: Explanation) -> tuple[list[Arc], list[str], list[HmmMark], list[bool], str]:
    """Arcs, node labels, HMM marks and Han flags on sentence offsets, and the route summary (HTML)."""
    arcs, marks = [], []
    labels = [""] * (len(explanation.text) + 1)
    han = [False] * len(explanation.text)
    for block in explanation.blocks:
        if not block.is_han:
            continue
        s0 = block.start
        route = {(a.start, a.end) for a in block.route}
        for arc in block.arcs:
            on_route = (arc.start, arc.end) in route
            arcs.append(Arc(s0 + arc.start, s0 + arc.end, arc.word, arc_tooltip(arc, explanation.total, block),
                            on_route, arc.in_dictionary, _route_label(arc) if on_route else ""))
        for i, best in enumerate(block.best):
            labels[s0 + i] = minus(best, 1)
        han[s0:s0 + len(block.text)] = [True] * len(block.text)
        marks += [HmmMark(s0 + h.start, s0 + h.end, h.states, " / ".join(h.words)) for h in block.hmm_spans]
    return arcs, labels, marks, han, route_summary(explanation)


def _route_label(arc: DagArc) -> str:
    """A single character's arc is too narrow for the word and its number; the character is right below it."""
    return minus(arc.logprob) if arc.end - arc.start == 1 else f"{arc.word} {minus(arc.logprob)}"


# --- BPE -----------------------------------------------------------------------------------------------------

def encoding_row(model: BpeModel, text: str, k: int) -> tuple[int, SpanRow, list[str]]:
    """``text`` encoded with the first ``k`` merges, and the merges each word used, in the order they applied."""
    spans = bpe_spans(model, text, k)
    applied = []
    for word in encode(model, text, k):
        steps = ", ".join(f"#{m.rank} {m.left}+{m.right}" for m in word.applied) or "no merge"
        applied.append(f"{word.word}: {steps} ⇒ {' '.join(word.tokens)}")
    row = SpanRow(f"BPE · {k} merges", to_spans(spans, "bpe"), f"{len(spans)} tokens")
    return len(text), row, applied


# --- comparison ----------------------------------------------------------------------------------------------

def comparison(text: str, jieba: list[TokenSpan] | None, bpe: tuple[list[TokenSpan], int, int] | None,
               model: tuple[list[TokenSpan], int, str] | None, jieba_note: str
               ) -> tuple[list[SpanRow], list[tuple], dict[str, list[int]]]:
    """Rows, statistics and copyable ids for one text. ``bpe`` is (spans, step, vocabulary size at that step);
    ``model`` is (spans, vocabulary size, description); ``None`` shows a row with a hint instead of spans."""
    n = max(1, len(text))
    chars, nbytes = char_spans(text), byte_spans(text)
    total_bytes = sum(s.token_id or 0 for s in nbytes)
    rows = [SpanRow("characters", to_spans(chars, "characters", notes=False), f"{len(chars)} characters")]
    stats: list[tuple] = [("characters", len(chars), 1.0, None, None, None)]
    ids = {"characters (code points)": [ord(ch) for ch in text]}

    def add(name: str, key: str, spans: list[TokenSpan], vocab: int | None, unknown: bool = True) -> None:
        unk = sum(s.unknown for s in spans)
        rows.append(SpanRow(name, to_spans(spans, key), f"{len(spans)} tokens"))
        stats.append((name, len(spans), n / max(1, len(spans)), unk if unknown else None,
                      unk / max(1, len(spans)) if unknown else None, vocab))

    if jieba is None:
        rows.append(SpanRow("jieba words", empty_hint=jieba_note))
        stats.append(("jieba words", None, None, None, None, None))
    else:
        add("jieba words", "jieba", jieba, None)
    if bpe is None:
        rows.append(SpanRow("our BPE", empty_hint="Train BPE in the “BPE step by step” tab."))
        stats.append(("our BPE", None, None, None, None, None))
    else:
        add(f"our BPE · {bpe[1]} merges", "bpe", bpe[0], bpe[2])
        ids["our BPE"] = [-1 if s.token_id is None else s.token_id for s in bpe[0]]
    if model is None:
        rows.append(SpanRow("model tokenizer", empty_hint="No model loaded."))
        stats.append(("model tokenizer", None, None, None, None, None))
    else:
        add(f"model · {model[2]}", "model", model[0], model[1])
        ids["model tokenizer"] = [s.token_id or 0 for s in model[0]]
    rows.append(SpanRow("UTF-8 bytes (GPT-2)", to_spans(nbytes, "bytes", notes=False), f"{total_bytes} bytes"))
    stats.append(("UTF-8 bytes (byte-level BPE before merges)", total_bytes, n / max(1, total_bytes), 0, 0.0, 256))
    ids["UTF-8 bytes"] = list(text.encode("utf-8", errors="replace"))
    return rows, stats, ids


def bytes_rows(text: str, model: list[TokenSpan] | None) -> tuple[int, list[SpanRow], str]:
    """The byte view: characters over their bytes, each byte in hex and as GPT-2's stand-in, model tokens."""
    shown = text[:BYTES_SHOWN]
    table = bytes_to_unicode()
    chars, hexes, stand_ins, starts = [], [], [], []
    offset = 0
    for c in char_bytes(shown):
        starts.append(offset)
        chars.append(Span(offset, offset + len(c.data), c.char, f"{c.char!r} U+{ord(c.char):04X} → {c.hex}",
                          -1 if len(c.data) == 1 else 4))
        for b in c.data:
            hexes.append(Span(offset, offset + 1, f"{b:02X}", f"byte {b} = 0x{b:02X}", 0))
            stand_ins.append(Span(offset, offset + 1, table[b], f"0x{b:02X} → {table[b]!r} (U+{ord(table[b]):04X})",
                                  2))
            offset += 1
    starts.append(offset)
    rows = [SpanRow("characters", tuple(chars)), SpanRow("UTF-8 bytes (hex)", tuple(hexes)),
            SpanRow("GPT-2 byte symbols", tuple(stand_ins), f"{len(stand_ins)} symbols")]
    if model is not None:
        spans = [s for s in model if s.end <= len(shown)]
        rows.append(SpanRow("model tokens", tuple(Span(starts[s.start], starts[s.end], s.token, s.tooltip,
                                                         6 if i % 2 else 0, s.note, s.unknown)
                                                    for i, s in enumerate(spans)), f"{len(spans)} tokens"))
    summary = (f"{len(text)} characters → {len(text.encode('utf-8', errors='replace'))} UTF-8 bytes. A byte-level "
               "BPE (GPT-2) starts from one symbol per byte, so it never needs an unknown token; a Chinese "
               "character is 3 bytes and may end up as 1–3 tokens. Space is byte 0x20, written Ġ. "
               f"Byte-level string: {to_byte_level(shown[:40])}" + ("…" if len(shown) > 40 else "")
               + (f" (first {BYTES_SHOWN} characters shown)" if len(text) > BYTES_SHOWN else ""))
    return offset, rows, summary


# --- vocabulary browser --------------------------------------------------------------------------------------

@cache
def corpus_text() -> str:
    """The demo corpus, read once: the vocabulary browser counts the model's token frequencies in it."""
    return demo_corpus()


def vocabulary(source: str, bpe: BpeModel | None, step: int, loaded: LoadedModel | None) -> tuple[VocabTable, str]:
    """The table the browser shows for ``source`` ("model" or "bpe"), with a line saying what it is."""
    if source == "bpe":
        if bpe is None:
            return vocab_table([], np.zeros(0)), QCoreApplication.translate(
                "TokenizerViews", "Train BPE in the “BPE step by step” tab to browse its vocabulary.")
        table = bpe_vocab(bpe, step)
        return table, QCoreApplication.translate(
            "TokenizerViews", "Our BPE after {step} merges: {n:,} symbols. Frequency: occurrences in the training "
                              "corpus segmented at this step.").format(step=step, n=len(table.tokens))
    if loaded is None:
        return vocab_table([], np.zeros(0)), QCoreApplication.translate("TokenizerViews", "No model loaded.")
    table = model_vocab(loaded.tokenizer, corpus_text())
    return table, QCoreApplication.translate(
        "TokenizerViews", "{source}: {n:,} tokens, one per character, <unk> for any other. Frequency: occurrences in "
                          "the demo corpus.").format(source=term(str(loaded.source)), n=len(table.tokens))
