"""The tokenizer explorer's Qt-free side: jobs, replay steps, aligned spans, the byte-level table. No Qt."""
from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lmscope.backend.tokenize.bpe import EOW, encode, parse_word_counts, train_bpe, word_counts_from_text
from lmscope.backend.tokenize.bytelevel import bytes_to_unicode, char_bytes, from_byte_level, to_byte_level
from lmscope.backend.demo import demo_corpus
from lmscope.backend.errors import BadInputError
from lmscope.backend.jobs import JobProgress
from lmscope.backend.tokenize.segment import Segmenter, UserWord
from lmscope.backend.tokenize.spans import (bpe_spans, bpe_vocab, bpe_vocab_size, byte_spans, char_spans, jieba_spans, model_spans,
                                 model_vocab, route_choices, route_summary, token_at)
from lmscope.backend.models.tokenizer import CharTokenizer
from lmscope.backend.tokenize.jobs import (EXPLAIN_LIMIT, BpeSource, BpeTrained, SegmenterReady, SegmentRequest,
                                    bpe_train_job, bpe_word_counts, changed_symbols, load_segmenter_job, pos_name,
                                    segment_text, words_at_step)

LEARNER = "我们一起来学习大语言模型"
TOY = "low:5, lower:2, newest:6, widest:3"


@pytest.fixture(scope="module")
def segmenter() -> Segmenter:
    seg = Segmenter()
    seg.load()
    return seg


# --- GPT-2 byte level ------------------------------------------------------------------------------------------

def test_byte_table_is_gpt2s():
    table = bytes_to_unicode()
    assert len(table) == 256 and len(set(table.values())) == 256
    assert table[0x20] == "Ġ" and table[0x0A] == "Ċ" and table[0x00] == "Ā"  # the shifted bytes, in byte order
    assert all(table[b] == chr(b) for b in range(ord("!"), ord("~") + 1))
    assert not any(ch.isspace() for ch in table.values())
    (we,) = char_bytes("我")
    assert (we.data, we.hex, we.stand_ins) == (b"\xe6\x88\x91", "E6 88 91", "æĪĳ")
    assert to_byte_level("a b") == "aĠb"


@settings(max_examples=100, deadline=None)
@given(st.text())
def test_byte_level_round_trips(text):
    encoded = text.encode("utf-8", errors="replace").decode("utf-8")
    assert from_byte_level(to_byte_level(text)) == encoded
    assert len(to_byte_level(text)) == len(text.encode("utf-8", errors="replace"))


# --- BPE job and replay ----------------------------------------------------------------------------------------

def test_bpe_job_equals_train_bpe_on_the_toy_and_reports_progress():
    events = list(bpe_train_job(BpeSource("words", TOY), 40))
    assert isinstance(events[0], JobProgress) and isinstance(events[-1], BpeTrained)
    trained = events[-1]
    assert trained.model == train_bpe(parse_word_counts(TOY), 40) and trained.requested == 40
    # the hand-worked table in test_bpe.py: e+s, es+t, est+</w>, l+o, lo+w first
    assert [(m.left, m.right, m.count) for m in trained.model.merges[:5]] == [
        ("e", "s", 9), ("es", "t", 9), ("est", EOW, 9), ("l", "o", 7), ("lo", "w", 7)]
    assert len(trained.model.merges) == 15  # every word is one symbol then


def test_bpe_job_on_the_demo_corpus_yields_progress_between_merges():
    events = list(bpe_train_job(BpeSource("demo"), 120))
    progress = [e for e in events if isinstance(e, JobProgress)]
    assert len(progress) >= 120 // 25 and all(0 <= p.fraction <= 1 for p in progress)
    assert events[-1].model == train_bpe(word_counts_from_text(demo_corpus()), 120)


def test_bpe_sources_fail_with_one_sentence(tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_text("low lower low", encoding="utf-8")
    assert bpe_word_counts(BpeSource("file", path=str(corpus))) == [("low", 2), ("lower", 1)]
    for source, message in [(BpeSource("file"), "Choose a text file"),
                            (BpeSource("file", path=str(tmp_path / "none.txt")), "Cannot read"),
                            (BpeSource("words", "low"), "word:count"), (BpeSource("tiktoken"), "Unknown BPE")]:
        with pytest.raises(BadInputError, match=message):
            list(bpe_train_job(source, 10))


def test_words_at_step_highlight_what_the_merge_made():
    model = train_bpe(parse_word_counts(TOY), 15)
    step1 = words_at_step(model, 1)  # after e+s
    assert [(w.word, w.symbols, w.changed) for w in step1] == [
        ("low", ("l", "o", "w", EOW), ()), ("lower", ("l", "o", "w", "e", "r", EOW), ()),
        ("newest", ("n", "e", "w", "es", "t", EOW), (3,)), ("widest", ("w", "i", "d", "es", "t", EOW), (3,))]
    assert all(not w.changed for w in words_at_step(model, 0))
    assert changed_symbols(("ab", "c"), ("a", "bc")) == (0, 1)


# --- jieba job -------------------------------------------------------------------------------------------------

def test_load_job_adds_user_words_then_segments(tmp_path):
    seg = Segmenter()
    user_dict = tmp_path / "dict.txt"
    user_dict.write_text("注意力机制 10 n\n", encoding="utf-8")
    request = SegmentRequest(LEARNER + "和注意力机制", pos=True)
    events = list(load_segmenter_job(seg, [UserWord("大语言模型", 20)], request, str(user_dict)))
    ready = events[-1]
    assert isinstance(ready, SegmenterReady) and all(isinstance(e, JobProgress) for e in events[:-1])
    assert [w.word for w in ready.user_words] == ["大语言模型", "注意力机制"]
    assert [(t.word, t.tag) for t in ready.segmented.tokens][-3:] == [("大语言模型", "x"), ("和", "c"),
                                                                      ("注意力机制", "n")]
    assert ready.segmented.explanation.words[-1] == "注意力机制"
    assert events[-1].segmented.request == request


def test_segment_text_limits_the_picture_not_the_words(segmenter):
    text = LEARNER * 40  # 480 characters
    segmented = segment_text(segmenter, SegmentRequest(text, mode="search", pos=True))
    assert segmented.tokens == tuple(segmenter.segment(text, "search"))  # POS applies to precise mode only
    assert segmented.explained_chars == EXPLAIN_LIMIT and segmented.explanation.text == text[:EXPLAIN_LIMIT]


def test_route_choices_explain_the_learner_sentence(segmenter):
    (block,) = segmenter.explain(LEARNER).blocks
    choices = {c.chosen.word: c for c in route_choices(block)}
    # 一 + 起来 beats 一起 + 来: compare the two totals by hand from the arcs and the DP values.
    one, together = choices["一"], choices["一"].rival
    assert together.word == "一起"
    assert math.isclose(one.chosen_score, one.chosen.logprob + block.best[3])
    assert math.isclose(one.rival_score, together.logprob + block.best[4])
    assert 0 < one.margin < min(c.margin for c in choices.values() if c.chosen.word != "一") + 1e-9
    assert all(math.isclose(c.chosen_score, block.best[c.chosen.start]) for c in choices.values())
    summary = route_summary(segmenter.explain(LEARNER))
    assert "−52.70" in summary and "一… −46.29 beat 一起… −47.50" in summary


# --- aligned spans ---------------------------------------------------------------------------------------------

def test_spans_lie_on_character_offsets(segmenter):
    text = "lowest 我们, newer x"
    model = train_bpe(parse_word_counts(TOY), 15)
    spans = bpe_spans(model, text)
    assert [(s.token, s.start, s.end) for s in spans][:3] == [("low", 0, 3), ("est</w>", 3, 6), ("我", 7, 8)]
    for s in spans:
        assert text[s.start:s.end] == s.token.removesuffix(EOW)
    lone = [s for s in spans if s.token == EOW]
    assert lone and all(s.start == s.end for s in lone)
    assert {s.token for s in spans if s.unknown} == {"我", "们", ",", "x"}  # not in the toy corpus
    assert [s.token_id for s in bpe_spans(model, "low")] == [model.vocab.index("low</w>")]
    assert encode(model, "low")[0].tokens == ("low</w>",)
    words = jieba_spans(segmenter.segment(LEARNER + "，杭研"), segmenter)
    assert [s.unknown for s in words][-3:] == [False, False, True]  # punctuation is not a missing word
    assert [s.token for s in char_spans("ab")] == ["a", "b"] and char_spans("我")[0].token_id == 0x6211
    assert [s.token_id for s in byte_spans("a我")] == [1, 3]


def test_model_spans_and_vocabulary_counts():
    tokenizer = CharTokenizer.train("low lower 我们")
    spans = model_spans(tokenizer, "我low€")
    assert [(s.start, s.end, s.unknown) for s in spans] == [(0, 1, False), (1, 2, False), (2, 3, False),
                                                             (3, 4, False), (4, 5, True)]
    assert spans[-1].token_id == tokenizer.unk_id and spans[-1].token == "€"
    assert token_at(spans, 4) == 4 and token_at(spans, 9) == -1
    vocab = model_vocab(tokenizer, "lol €")
    counts = Counter(tokenizer.encode("lol €"))
    assert vocab.frequency.tolist() == [counts[i] for i in range(tokenizer.vocab_size)]
    assert vocab.n_bytes[vocab.tokens.index("我")] == 3


def test_bpe_vocab_grows_one_symbol_per_merge():
    model = train_bpe(parse_word_counts(TOY), 15)
    base = bpe_vocab(model, 0)
    assert sorted(base.tokens) == sorted(set("lowernstid") | {EOW})
    assert int(base.frequency[base.tokens.index("e")]) == 2 + 6 * 2 + 3  # lower, newest twice, widest
    after = bpe_vocab(model, 3)
    assert len(after.tokens) == len(base.tokens) + 3 == bpe_vocab_size(model, 3) and "est</w>" in after.tokens
    assert np.all(after.ids == [model.vocab.index(t) for t in after.tokens])
    assert int(after.frequency[after.tokens.index("est</w>")]) == 9


def test_pos_names():
    assert pos_name("r") == "pronoun" and pos_name(None) == ""
    assert pos_name("nrj") == "person name" and pos_name("Q") == "unlisted tag"
