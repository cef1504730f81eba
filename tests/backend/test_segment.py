"""jieba segmentation: our Segmenter against jieba's own API on a separate tokenizer, and the DAG/DP/HMM view."""
from __future__ import annotations

import json
import math

import jieba
import jieba.finalseg
import jieba.posseg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lmscope.backend.errors import BadInputError
from lmscope.backend.tokenize.segment import Segmenter, segment_summary

LEARNER = "我们一起来学习大语言模型"
SENTENCES = [
    LEARNER,
    "他来到了网易杭研大厦",
    "小明硕士毕业于中国科学院计算所，后在日本京都大学深造",
    "iPhone 15 Pro 售价 7999元，GPT-4o 很强！3.14% 的人用 C++ 和 a_b。",
    "我爱😀北京天安门\r\n café cafe\u0301 ＡＢＣ１２３ 한국어 日本語のテキスト",
    "  多个   空格\t和\n换行  ",
]


@pytest.fixture(scope="module")
def segmenter() -> Segmenter:
    """One loaded Segmenter for the tests that add no user words (loading takes ~0.7 s)."""
    seg = Segmenter()
    seg.load()
    return seg


@pytest.fixture(scope="module")
def reference() -> jieba.Tokenizer:
    """jieba's own API on a tokenizer of its own, so the comparison is not with ourselves."""
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    return tokenizer


def words(tokens) -> list[str]:
    return [t.word for t in tokens]


@pytest.mark.parametrize("text", SENTENCES)
@pytest.mark.parametrize("hmm", [True, False])
def test_modes_equal_jieba(segmenter, reference, text, hmm):
    precise = segmenter.segment(text, "precise", hmm)
    assert words(precise) == reference.lcut(text, HMM=hmm)
    assert words(segmenter.segment(text, "search", hmm)) == reference.lcut_for_search(text, HMM=hmm)
    assert words(segmenter.segment(text, "full", hmm)) == [w for w in reference.lcut(text, cut_all=True) if w]
    assert all(text[t.start:t.end] == t.word for t in precise)
    for mode in ("search", "full"):
        assert all(text[t.start:t.end] == t.word for t in segmenter.segment(text, mode, hmm))


@pytest.mark.parametrize("text", SENTENCES)
def test_pos_tags_equal_jieba_posseg(segmenter, reference, text):
    expected = [(p.word, p.flag) for p in jieba.posseg.POSTokenizer(reference).cut(text)]
    tokens = segmenter.segment(text, pos=True)
    assert [(t.word, t.tag) for t in tokens] == expected
    assert all(text[t.start:t.end] == t.word for t in tokens)


def best_route_score(block) -> float:
    """An independent DP over the explanation's own arcs: the best sum of log-probabilities end to end."""
    best = {len(block.text): 0.0}
    for k in range(len(block.text) - 1, -1, -1):
        best[k] = max(arc.logprob + best[arc.end] for arc in block.arcs if arc.start == k)
    return best[0]


@pytest.mark.parametrize("text", SENTENCES)
@pytest.mark.parametrize("hmm", [True, False])
def test_dag_route_reproduces_jieba(segmenter, reference, text, hmm):
    explanation = segmenter.explain(text, hmm=hmm)
    assert list(explanation.words) == reference.lcut(text, HMM=hmm)
    assert "".join(b.text for b in explanation.blocks) == text
    for block in explanation.blocks:
        assert text[block.start:block.start + len(block.text)] == block.text
        if not block.is_han:
            continue
        assert [a.start for a in block.route] == [0] + [a.end for a in block.route[:-1]]
        assert block.route[-1].end == len(block.text)
        score = sum(a.logprob for a in block.route)
        assert math.isclose(score, block.best[0]) and math.isclose(score, best_route_score(block))
        for arc in block.arcs:
            assert math.isclose(arc.logprob, math.log(arc.freq / explanation.total))


def test_hmm_span_finds_an_unknown_word(segmenter):
    explanation = segmenter.explain("他来到了网易杭研大厦")
    (block,) = explanation.blocks
    (span,) = block.hmm_spans
    assert (span.text, span.states, span.words) == ("杭研", "BE", ("杭研",))
    assert "杭研" in explanation.words
    assert not segmenter.explain("他来到了网易杭研大厦", hmm=False).blocks[0].hmm_spans


def test_learner_adds_a_user_word(segmenter):
    learner = Segmenter()
    before = words(learner.segment(LEARNER))
    assert before == ["我们", "一", "起来", "学习", "大", "语言", "模型"]
    total = learner.explain(LEARNER).total
    added = learner.add_word("大语言模型")
    assert words(learner.segment(LEARNER)) == ["我们", "一", "起来", "学习", "大语言模型"]
    assert learner.explain(LEARNER).words[-1] == "大语言模型"
    assert added.freq == learner.word_freq("大语言模型") >= 1
    # The change stays in this Segmenter: not in another one, nor in jieba's global tokenizer.
    assert words(segmenter.segment(LEARNER)) == before
    assert "大语言模型" not in jieba.dt.FREQ
    learner.add_word("大语言模型", 5)  # re-weighting replaces the earlier addition
    assert learner.explain(LEARNER).total == total + 5
    learner.remove_word("大语言模型")
    assert words(learner.segment(LEARNER)) == before
    assert learner.explain(LEARNER).total == total and learner.user_words() == []


def test_add_word_matches_jieba_add_word_and_delete_does_not_leak():
    ours, theirs = Segmenter(), jieba.Tokenizer()
    text = "我们一起来学习大语言模型，了解注意力机制"
    ours.add_word("大语言模型", 20)
    theirs.add_word("大语言模型", 20)
    assert words(ours.segment(text)) == theirs.lcut(text)
    ours.delete_word("注意力")
    assert "注意力" not in words(ours.segment(text, hmm=False))
    assert "注意力" not in jieba.finalseg.Force_Split_Words  # jieba's del_word would add it process-wide
    ours.remove_word("注意力")
    assert "注意力" in words(ours.segment(text))
    with pytest.raises(BadInputError):
        ours.remove_word("从未添加")


def test_user_dictionary_file(tmp_path):
    seg = Segmenter()
    good = tmp_path / "user.txt"
    good.write_text("\ufeff大语言模型 10 nz\n\n注意力机制\n", encoding="utf-8")
    assert [(u.word, u.freq, u.tag) for u in seg.load_user_dict(good)][0] == ("大语言模型", 10, "nz")
    assert ("大语言模型", "nz") in [(t.word, t.tag) for t in seg.segment(LEARNER, pos=True)]
    (tmp_path / "gbk.txt").write_bytes("大语言模型 3".encode("gbk"))
    (tmp_path / "spaces.txt").write_text("大 语言 模型 3 N\n", encoding="utf-8")
    (tmp_path / "empty.txt").write_text("\n", encoding="utf-8")
    for name, message in [("missing.txt", "Cannot read"), ("gbk.txt", "UTF-8"), ("spaces.txt", "Line 1"),
                          ("empty.txt", "no words")]:
        with pytest.raises(BadInputError, match=message):
            seg.load_user_dict(tmp_path / name)


def test_summary_for_the_command_line(segmenter):
    summary = segment_summary(LEARNER, pos=True, segmenter=segmenter)
    assert summary["words"][0] == {"word": "我们", "start": 0, "end": 2, "tag": "r"}
    assert "tag" not in segment_summary(LEARNER, mode="search", segmenter=segmenter)["words"][0]
    json.dumps(summary)
    for kwargs in [{"text": ""}, {"text": " \n"}, {"text": LEARNER, "mode": "fast"},
                   {"text": LEARNER, "mode": "full", "pos": True}]:
        with pytest.raises(BadInputError):
            segment_summary(segmenter=segmenter, **kwargs)


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from("我们学习大语言模型的人工智能ab1 .，😀\u0301é\n-%") | st.characters(),
               max_size=30))
def test_any_unicode_agrees_with_jieba(segmenter, reference, text):
    for hmm in (True, False):
        assert list(segmenter.explain(text, hmm).words) == reference.lcut(text, HMM=hmm)
        assert words(segmenter.segment(text, "full", hmm)) == [w for w in reference.lcut(text, cut_all=True) if w]
    segmenter.segment(text, "search")
    segmenter.segment(text, pos=True)
