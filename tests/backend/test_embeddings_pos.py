"""POS from jieba as a colour column: our one-pass tagging of many labels against jieba.posseg word by word (the
peer), the coarse classes, and the column on the point sets that have Chinese labels."""
from __future__ import annotations

import jieba.posseg
import numpy as np

from lmscope.backend.embeddings.jobs import CorpusReady, word2vec_job
from lmscope.backend.embeddings.pos import POS_COLUMN, pos_class, pos_column, pos_tags
from lmscope.backend.embeddings.sources import MatrixSource, WordVectorSource
from lmscope.backend.embeddings.vectors import WordVectors
from lmscope.backend.embeddings.word2vec import Word2VecSettings

WORDS = ["模型", "语言模型", "大语言模型", "学习", "美丽", "的", "我们", "北京", "跑", "很快", "研究生", "hello",
         "2024", "3.14", "，", "。", "GPT模型", "Ġthe", "##ing", "▁token", "a", "x y", "  ", "一丝不苟", "了"]


def _peer_tag(word: str) -> str:
    """jieba.posseg on the word alone: the last non-space piece's tag."""
    text = " ".join(word.removeprefix("##").lstrip("Ġ▁").split())
    pieces = [p for p in jieba.posseg.lcut(text) if not p.word.isspace()]
    return pieces[-1].flag if pieces else "x"


def test_tags_of_many_labels_at_once_equal_posseg_word_by_word():
    ours = pos_tags(WORDS + WORDS[::-1])
    assert ours.tolist() == [_peer_tag(w) for w in WORDS + WORDS[::-1]]
    assert dict(zip(WORDS, ours))["模型"] == "n" and dict(zip(WORDS, ours))["学习"] == "v"


def test_coarse_classes():
    assert [pos_class(t) for t in ("n", "nr", "ns", "vn", "v", "a", "ad", "d", "r", "m", "q", "uj", "p", "eng", "x",
                                   "i", "g", "")] == [
        "noun", "noun", "noun", "verb", "verb", "adjective", "adjective", "adverb", "pronoun", "number", "number",
        "function word", "function word", "English", "non-word", "idiom", "other", "non-word"]
    column = pos_column(WORDS)
    assert column is not None and column.tolist()[:4] == ["noun", "noun", "noun", "verb"]
    assert pos_column(["the", "model", "2024"]) is None  # no Chinese: jieba would call everything "eng"


def test_point_sets_with_chinese_labels_can_be_coloured_by_pos():
    words = ("模型", "学习", "的", "hello")
    wv = WordVectors(words, np.eye(4, dtype=np.float32))
    points = WordVectorSource(wv, "w").points()
    assert points.columns[POS_COLUMN].tolist() == ["noun", "verb", "function word", "English"]
    english = MatrixSource(np.eye(2, dtype=np.float32), ["the", "cat"], "m").points()
    assert POS_COLUMN not in english.columns and "script" in english.columns


def test_word2vec_job_tags_the_demo_corpus_vocabulary_before_training():
    events = word2vec_job(Word2VecSettings(dim=8, epochs=1, min_count=1), None)
    ready = next(e for e in events if isinstance(e, CorpusReady))
    events.close()
    assert ready.pos is not None and len(ready.pos) == ready.vocab
    by_word = dict(zip(ready.labels, ready.pos))
    assert all(by_word[w] == pos_class(_peer_tag(w)) for w in list(by_word)[:200])
