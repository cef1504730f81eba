"""`lmscope segment` and `lmscope bpe` as a user scripts them: JSON shape, agreement with jieba itself, the
hand-worked BPE merges, and one-sentence errors with exit code 2."""
from __future__ import annotations

import json

import jieba
import pytest

from lmscope.backend.tokenize.bpe import EOW, TIE_RULE
from lmscope.gui.cli import main

LEARNER = "我们一起来学习大语言模型"
TEXT = "我们一起来学习大语言模型，他来到了网易杭研大厦。GPT-4o 很强！"
TOY = "low:5, lower:2, newest:6, widest:3"
# The first merges of the toy corpus, worked by hand in tests/backend/test_bpe.py.
TOY_MERGES = [["e", "s", 9], ["es", "t", 9], ["est", EOW, 9], ["l", "o", 7], ["lo", "w", 7], ["n", "e", 6]]


@pytest.fixture(scope="module")
def reference() -> jieba.Tokenizer:
    """jieba's own API on its own tokenizer: what the command must agree with."""
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    return tokenizer


def run_json(capsys, *argv: str) -> dict:
    assert main([*argv, "--json"]) == 0
    out, err = capsys.readouterr()
    assert err == "" and out.count("\n") == 1  # one JSON object on one line, nothing else
    return json.loads(out)


def test_segment_json_shape(capsys):
    result = run_json(capsys, "segment", LEARNER, "--pos")
    assert set(result) == {"text", "mode", "hmm", "pos", "words"}
    assert (result["text"], result["mode"], result["hmm"], result["pos"]) == (LEARNER, "precise", True, True)
    assert result["words"][0] == {"word": "我们", "start": 0, "end": 2, "tag": "r"}
    for word in result["words"]:
        assert LEARNER[word["start"]:word["end"]] == word["word"]
    assert "tag" not in run_json(capsys, "segment", LEARNER)["words"][0]


@pytest.mark.parametrize("mode", ["precise", "full", "search"])
@pytest.mark.parametrize("hmm", [True, False])
def test_segment_equals_jieba(capsys, reference, mode, hmm):
    argv = ["segment", TEXT, "--mode", mode] + ([] if hmm else ["--no-hmm"])
    words = [w["word"] for w in run_json(capsys, *argv)["words"]]
    expected = {"precise": lambda: reference.lcut(TEXT, HMM=hmm),
                "full": lambda: [w for w in reference.lcut(TEXT, cut_all=True, HMM=hmm) if w],
                "search": lambda: reference.lcut_for_search(TEXT, HMM=hmm)}[mode]()
    assert words == expected


def test_segment_plain_output(capsys):
    assert main(["segment", LEARNER]) == 0
    assert capsys.readouterr().out == "我们 / 一 / 起来 / 学习 / 大 / 语言 / 模型\n"


def test_bpe_toy_merges(capsys):
    result = run_json(capsys, "bpe", "--words", TOY, "--merges", "20")
    assert result["merges"][:len(TOY_MERGES)] == TOY_MERGES
    assert len(result["merges"]) == 15 and result["requested_merges"] == 20  # then every word is one symbol
    assert result["segmentation"][0] == {"word": "low", "count": 5, "tokens": ["low</w>"]}
    assert result["vocab_size"] == 11 + 15 and result["tie_rule"] == TIE_RULE
    assert main(["bpe", "--words", TOY, "--merges", "2"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[:2] == ["   0  e + s  (9)", "   1  es + t  (9)"] and out[2] == "low: l o w </w>"


def test_bpe_corpus_file(capsys, tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("low low low low low lower lower newest newest newest newest newest newest "
                      "widest widest widest", encoding="utf-8")
    from_file = run_json(capsys, "bpe", "--corpus", str(corpus), "--merges", "6")
    assert from_file["merges"] == TOY_MERGES


def one_sentence_error(capsys, argv: list[str], fragment: str) -> None:
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("lmscope: ") and err.endswith(".\n") and err.count("\n") == 1
    assert fragment in err


def test_errors_are_one_sentence_with_exit_code_2(capsys, tmp_path):
    (tmp_path / "latin1.txt").write_bytes("café".encode("latin-1"))
    cases = [
        (["segment", "", "--json"], "no text"),
        (["segment", "  \n", "--json"], "no text"),
        (["bpe", "--corpus", str(tmp_path / "missing.txt"), "--merges", "5"], "Cannot read"),
        (["bpe", "--corpus", str(tmp_path), "--merges", "5"], "Cannot read"),
        (["bpe", "--corpus", str(tmp_path / "latin1.txt"), "--merges", "5"], "not UTF-8"),
        (["bpe", "--words", "low5, lower:2", "--merges", "5", "--json"], "word:count"),
        (["bpe", "--words", "low:0", "--merges", "5"], "count 0"),
        (["bpe", "--words", "", "--merges", "5"], "no words"),
        (["bpe", "--words", TOY, "--merges", "-1", "--json"], "≥ 0"),
        (["bpe", "--words", TOY, "--merges=-3"], "≥ 0"),
    ]
    for argv, fragment in cases:
        one_sentence_error(capsys, argv, fragment)
