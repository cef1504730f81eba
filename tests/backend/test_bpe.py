"""BPE trainer and encoder: a hand-worked table, a brute-force reference, and round trips. No Qt."""
from __future__ import annotations

import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lmscope.backend.tokenize.bpe import (EOW, TIE_RULE, BpeTrainer, bpe_summary, decode, encode, encode_word, pair_table,
                         parse_word_counts, pretokenize, train_bpe, train_steps, word_counts_from_text)
from lmscope.backend.errors import BadInputError

TOY = "low:5, lower:2, newest:6, widest:3"

# Worked by hand with the tie rule (first occurrence scanning low, lower, newest, widest, each left to right).
# Start: low = l o w </w> (5), lower = l o w e r </w> (2), newest = n e w e s t </w> (6), widest = w i d e s t </w> (3)
# Counts: (l,o) 7, (o,w) 7, (w,</w>) 5, (w,e) 2+6=8, (e,r) 2, (r,</w>) 2, (n,e) 6, (e,w) 6, (e,s) 6+3=9,
#         (s,t) 9, (t,</w>) 9, (w,i) 3, (i,d) 3, (d,e) 3.
#  0 (e,s) 9        ties with (s,t), (t,</w>) at 9; (e,s) is met first in newest. (w,e) drops to 2.
#  1 (es,t) 9       beats (t,</w>) 9: its position in newest is earlier.
#  2 (est,</w>) 9   the only 9 left.
#  3 (l,o) 7        ties with (o,w) 7; met first in low.
#  4 (lo,w) 7       now low = low </w>, lower = low e r </w>.
#  5 (n,e) 6        ties with (e,w) 6 and (w,est</w>) 6 in newest; leftmost wins.
#  6 (ne,w) 6       beats (w,est</w>) 6, further left.
#  7 (new,est</w>) 6
#  8 (low,</w>) 5
#  9 (w,i) 3        ties with (i,d) 3, (d,est</w>) 3 in widest; leftmost wins.
# 10 (wi,d) 3
# 11 (wid,est</w>) 3
# 12 (low,e) 2      ties with (e,r) 2, (r,</w>) 2 in lower; leftmost wins.
# 13 (lowe,r) 2
# 14 (lower,</w>) 2 every word is one symbol now: training stops after 15 merges.
TOY_MERGES = [
    ("e", "s", 9), ("es", "t", 9), ("est", EOW, 9), ("l", "o", 7), ("lo", "w", 7), ("n", "e", 6), ("ne", "w", 6),
    ("new", "est</w>", 6), ("low", EOW, 5), ("w", "i", 3), ("wi", "d", 3), ("wid", "est</w>", 3),
    ("low", "e", 2), ("lowe", "r", 2), ("lower", EOW, 2),
]


def naive_merge(symbols: list[str], left: str, right: str) -> list[str]:
    """The paper's reference code: a regex over the space-joined symbols (test symbols never contain spaces)."""
    pattern = re.compile(r"(?<!\S)" + re.escape(left + " " + right) + r"(?!\S)")
    return pattern.sub(left + right, " ".join(symbols)).split(" ")


def naive_train(word_counts: list[tuple[str, int]], merges: int):
    """Brute force: recount every pair every step; `max` keeps the first maximum in scan (insertion) order."""
    segments = [list(word) + [EOW] for word, _ in word_counts]
    learned = []
    history = [[tuple(s) for s in segments]]
    for _ in range(merges):
        counts: dict[tuple[str, str], int] = {}
        for symbols, (_, freq) in zip(segments, word_counts):
            for pair in zip(symbols, symbols[1:]):
                counts[pair] = counts.get(pair, 0) + freq
        if not counts:
            break
        best = max(counts, key=counts.get)
        learned.append((best[0], best[1], counts[best]))
        segments = [naive_merge(s, *best) for s in segments]
        history.append([tuple(s) for s in segments])
    return learned, history


def recount(symbols_per_word: list[list[str]], freqs: list[int]) -> dict[tuple[str, str], int]:
    counts: dict[tuple[str, str], int] = {}
    for symbols, freq in zip(symbols_per_word, freqs):
        for pair in zip(symbols, symbols[1:]):
            counts[pair] = counts.get(pair, 0) + freq
    return counts


# Small alphabets make ties, repeated letters (`a a a`) and symbols rebuilt along different paths common.
corpora = st.lists(st.tuples(st.text("abc", min_size=1, max_size=8), st.integers(1, 5)),
                   min_size=1, max_size=8, unique_by=lambda wc: wc[0])


def test_toy_corpus_gives_the_hand_worked_merges():
    model = train_bpe(parse_word_counts(TOY), 100)
    assert [(m.left, m.right, m.count) for m in model.merges] == TOY_MERGES
    assert [m.rank for m in model.merges] == list(range(15))
    assert model.segmentation() == [("low</w>",), ("lower</w>",), ("newest</w>",), ("widest</w>",)]
    assert model.segmentation(3) == [("l", "o", "w", EOW), ("l", "o", "w", "e", "r", EOW),
                                     ("n", "e", "w", "est</w>"), ("w", "i", "d", "est</w>")]
    assert "first" in TIE_RULE


def test_lowest_shows_which_merges_apply_in_order():
    model = train_bpe(parse_word_counts(TOY), 100)
    encoded = encode_word(model, "lowest")
    assert encoded.tokens == ("low", "est</w>")
    assert [m.symbol for m in encoded.applied] == ["es", "est", "est</w>", "lo", "low"]
    assert encode_word(model, "lowest", k=3).tokens == ("l", "o", "w", "est</w>")


def test_pair_table_top_row_is_the_next_merge():
    model = train_bpe(parse_word_counts(TOY), 100)
    assert pair_table(model, 0, top=3) == [(("e", "s"), 9), (("s", "t"), 9), (("t", EOW), 9)]
    for merge in model.merges:
        assert pair_table(model, merge.rank, top=1)[0] == ((merge.left, merge.right), merge.count)
    assert pair_table(model, len(model.merges)) == []


@settings(max_examples=300, deadline=None)
@given(corpora, st.integers(0, 40))
def test_heap_trainer_equals_brute_force(word_counts, merges):
    learned, history = naive_train(word_counts, merges)
    model = train_bpe(word_counts, merges)
    assert [(m.left, m.right, m.count) for m in model.merges] == learned
    for k, segments in enumerate(history):
        assert model.segmentation(k) == segments
    final = model.segmentation()
    for (word, _), segments in zip(word_counts, final):
        assert encode_word(model, word).tokens == segments  # encoding a training word replays training


@settings(max_examples=200, deadline=None)
@given(corpora)
def test_incremental_counts_equal_a_full_recount_at_every_step(word_counts):
    trainer = BpeTrainer(word_counts)
    while True:
        counts = recount(trainer.symbols, trainer.freqs)
        assert trainer.pair_counts() == counts
        for pair, words in trainer.where.items():
            assert words == {i for i, s in enumerate(trainer.symbols) if pair in set(zip(s, s[1:]))}
        if trainer.step() is None:
            break
    assert all(len(s) == 1 for s in trainer.symbols)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_encode_decode_round_trips_any_unicode(text):
    model = train_bpe(word_counts_from_text(text) or [("x", 1)], 30)
    tokens = [t for word in encode(model, text) for t in word.tokens]
    assert decode(tokens) == " ".join(pretokenize(text))


def test_chinese_emoji_and_combining_marks():
    text = "我们一起来学习大语言模型。café cafe\u0301 👍🏽 😀😀 naïve naïve"
    words = pretokenize(text)
    assert words[:2] == ["我们一起来学习大语言模型", "。"]
    assert "cafe\u0301" in words and "👍🏽" in words and words.count("😀") == 2
    model = train_bpe(word_counts_from_text(text), 50)
    assert decode(t for w in encode(model, text) for t in w.tokens) == " ".join(words)


def test_steps_report_changed_words():
    steps = list(train_steps(parse_word_counts(TOY), 2))
    assert steps[0].merge.symbol == "es"
    assert steps[0].changed == ((2, ("n", "e", "w", "es", "t", EOW)), (3, ("w", "i", "d", "es", "t", EOW)))


@pytest.mark.parametrize("spec, bad", [("low:5, lower", "'lower'"), ("low:x", "'low:x'"), (":3", "':3'"),
                                       ("low:0", "'low:0'"), ("lo w:2", "'lo w:2'"), ("a</w>:1", "'a</w>:1'")])
def test_malformed_word_list_names_the_item(spec, bad):
    with pytest.raises(BadInputError, match=bad):
        parse_word_counts(spec)


def test_bad_inputs(tmp_path):
    with pytest.raises(BadInputError):
        train_steps(parse_word_counts(TOY), -1)
    with pytest.raises(BadInputError):
        bpe_summary(words="  ", merges=3)
    with pytest.raises(BadInputError):
        bpe_summary(text=" \n ", merges=3)
    with pytest.raises(BadInputError, match="Cannot read"):
        bpe_summary(corpus=tmp_path / "missing.txt", merges=3)
    (tmp_path / "latin1.txt").write_bytes("café".encode("latin-1"))
    with pytest.raises(BadInputError, match="UTF-8"):
        bpe_summary(corpus=tmp_path / "latin1.txt", merges=3)


def test_summary_for_the_command_line(tmp_path):
    summary = bpe_summary(words=TOY, merges=4)
    assert summary["merges"] == [list(m) for m in TOY_MERGES[:4]]
    assert summary["segmentation"][0] == {"word": "low", "count": 5, "tokens": ["lo", "w", EOW]}
    json.dumps(summary)
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("low " * 5 + "lower " * 2 + "newest " * 6 + "widest " * 3, encoding="utf-8")
    assert bpe_summary(corpus=corpus, merges=100)["merges"] == [list(m) for m in TOY_MERGES]
