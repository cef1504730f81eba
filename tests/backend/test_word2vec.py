"""word2vec against its formulas and against gensim (the peer): vocabulary, noise table, subsampling, windows,
loss, and analogy quality on a corpus with planted structure."""
from __future__ import annotations

import jieba
import numpy as np
import pytest
from gensim.models import Word2Vec
from gensim.test.utils import datapath

from lmscope.backend.embeddings.corpus import CorpusError, build_corpus, corpus_from_text, read_corpus
from lmscope.backend.embeddings.synthetic import analogy_corpus
from lmscope.backend.embeddings.vectors import evaluate_analogies
from lmscope.backend.embeddings import word2vec as word2vec_module
from lmscope.backend.embeddings.word2vec import (
    Word2VecFinished, Word2VecProgress, Word2VecSettings, Word2VecSnapshot, cbow_contexts, keep_probabilities,
    skipgram_pairs, train_word2vec, unigram_distribution, unigram_table,
)
from lmscope.backend.errors import ConfigError


@pytest.fixture(scope="module")
def lee():
    return read_corpus(datapath("lee_background.cor"), min_count=5)


@pytest.fixture(scope="module")
def gensim_vocab(lee):
    model = Word2Vec(vector_size=10, min_count=5, sample=1e-3, workers=1, seed=1)
    model.build_vocab(lee.sentences())
    return model


def test_vocabulary_counts_and_order_match_gensim(lee, gensim_vocab):
    wv = gensim_vocab.wv
    assert set(lee.words) == set(wv.index_to_key)
    assert all(int(c) == wv.get_vecattr(w, "count") for w, c in zip(lee.words, lee.counts))
    assert list(lee.counts) == sorted(lee.counts, reverse=True)
    assert lee.raw_words == 59890 and len(lee.ids) == lee.counts.sum()


def test_noise_distribution_and_table_match_the_formula_and_gensim(lee, gensim_vocab):
    counts = np.array([100, 50, 10, 1])
    p = unigram_distribution(counts)
    np.testing.assert_allclose(p, counts ** 0.75 / (counts ** 0.75).sum())
    table = unigram_table(counts, size=1_000_000)
    assert len(table) == 1_000_000
    np.testing.assert_allclose(np.bincount(table, minlength=4) / len(table), p, atol=1e-6)
    # gensim keeps the same distribution as a cumulative table scaled to 2^31 − 1.
    cum = gensim_vocab.cum_table.astype(np.float64)
    theirs = np.diff(np.concatenate([[0], cum])) / cum[-1]
    ours = unigram_distribution(lee.counts)
    order = [gensim_vocab.wv.key_to_index[w] for w in lee.words]
    np.testing.assert_allclose(ours, theirs[order], atol=2e-9)


def test_subsampling_matches_the_formula_and_gensim(lee, gensim_vocab):
    counts = np.array([1000.0, 100.0, 1.0])
    t = 1e-3 * counts.sum()
    np.testing.assert_allclose(keep_probabilities(counts, 1e-3), np.minimum(1, (np.sqrt(counts / t) + 1) * t / counts))
    assert (keep_probabilities(counts, 0) == 1).all()
    keep = keep_probabilities(lee.counts, 1e-3)
    theirs = np.array([gensim_vocab.wv.get_vecattr(w, "sample_int") for w in lee.words]) / 2 ** 32
    np.testing.assert_allclose(keep, theirs, atol=1e-9)


def _naive_pairs(words, sentence, reach, window):
    pairs = []
    for i in range(len(words)):
        for j in range(max(0, i - reach[i]), min(len(words), i + reach[i] + 1)):
            if j != i and sentence[j] == sentence[i]:
                pairs.append((words[i], words[j]))
    return sorted(pairs)


def test_windows_match_a_plain_loop():
    rng = np.random.default_rng(3)
    words = rng.integers(0, 50, 300)
    sentence = np.sort(rng.integers(0, 20, 300))
    reach = 4 - rng.integers(0, 4, 300)
    centre, context = skipgram_pairs(words, sentence, reach, 4)
    expected = _naive_pairs(words, sentence, reach, 4)
    assert sorted(zip(centre.tolist(), context.tolist())) == expected
    c, ctx, count = cbow_contexts(words, sentence, reach, 4, pad=999)
    got = sorted((int(a), int(b)) for a, row in zip(c, ctx) for b in row if b != 999)
    assert got == expected and (count == (ctx != 999).sum(1)).all()
    assert all((row[:n] != 999).all() and (row[n:] == 999).all() for row, n in zip(ctx, count))  # words first


def test_chinese_lines_are_segmented_by_jieba_and_others_on_whitespace():
    text = "我们一起来学习大语言模型。\nthe model  predicts the next token\n"
    corpus = corpus_from_text(text * 3, min_count=1)
    sentences = list(corpus.sentences())
    assert sentences[0] == [w for w in jieba.lcut(text.splitlines()[0]) if not w.isspace()]
    assert sentences[1] == "the model predicts the next token".split()


@pytest.mark.parametrize("content, message", [
    (b"\xff\xfe\x00binary", "not UTF-8"),
    (b"one one one", "seen at least"),
    (b"a\x00b c d\n", "NUL"),
])
def test_hostile_corpus_files_are_one_sentence(tmp_path, content, message):
    path = tmp_path / "corpus.txt"
    path.write_bytes(content)
    with pytest.raises(CorpusError, match=message) as info:
        read_corpus(path, min_count=1)
    assert "\n" not in str(info.value)
    with pytest.raises(CorpusError, match="does not exist"):
        read_corpus(tmp_path / "missing.txt")


def test_settings_are_checked():
    with pytest.raises(ConfigError, match="window"):
        Word2VecSettings(window=0).check()
    with pytest.raises(ConfigError, match="subsample"):
        Word2VecSettings(subsample=1.5).check()


def _train(corpus, **kw):
    events = list(train_word2vec(corpus, Word2VecSettings(**kw)))
    return events, events[-1]


@pytest.mark.parametrize("sg", [True, False])
def test_loss_decreases_and_runs_are_reproducible(planted, sg, monkeypatch):
    corpus = planted[0]
    events, done = _train(corpus, sg=sg, dim=16, epochs=2, seed=7, snapshot_every=10)
    assert isinstance(done, Word2VecFinished)
    progress = [e for e in events if isinstance(e, Word2VecProgress)]
    assert progress[-1].words_done == progress[-1].total_words == 2 * len(corpus.ids)
    assert done.losses[-1] < done.losses[0] - 0.5  # from log 2 + 5 log 2 ≈ 4.16 at the start
    assert progress[-1].alpha < 0.025 * 0.1  # linear decay towards min_alpha
    snaps = [e for e in events if isinstance(e, Word2VecSnapshot)]
    assert snaps and snaps[0].vectors.shape == (len(corpus.words), 16)
    assert not np.array_equal(snaps[0].vectors, done.vectors.vectors)  # the points move while training
    assert len(done.losses) > 10
    # The loss curve does not depend on how fast this machine is (CI once saw one progress event in all of training).
    monkeypatch.setattr(word2vec_module, "REPORT_SECONDS", 1e9)
    _, again = _train(corpus, sg=sg, dim=16, epochs=2, seed=7)
    np.testing.assert_array_equal(again.vectors.vectors, done.vectors.vectors)
    np.testing.assert_array_equal(again.losses, done.losses)


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    folder = tmp_path_factory.mktemp("planted")
    data = analogy_corpus(entities=12, sentences=4000)
    data.write(folder / "corpus.txt", folder / "questions.txt")
    return build_corpus(data.sentences, 5), folder / "questions.txt", data


@pytest.mark.parametrize("sg", [True, False])
def test_planted_analogies_are_found_about_as_well_as_gensim(planted, sg):
    corpus, questions, data = planted
    _, done = _train(corpus, sg=sg, dim=50, epochs=5, seed=1)
    ours = evaluate_analogies(done.vectors, questions).total.accuracy
    theirs = Word2Vec(data.sentences, vector_size=50, window=5, min_count=5, sg=int(sg), negative=5, workers=1,
                      epochs=5, seed=1).wv.evaluate_word_analogies(questions)[0]
    assert theirs > 0.7  # the structure is there to be found
    assert ours >= theirs - 0.15
