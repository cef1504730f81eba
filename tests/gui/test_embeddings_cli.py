"""`lmscope word2vec | neighbors | analogy` as a user scripts them: the vectors load in gensim, the evaluation
agrees with gensim's, the session opens with the projector's picture, and bad input is one sentence, exit 2."""
from __future__ import annotations

import json

import numpy as np
import pytest
from gensim.models import KeyedVectors

from lmscope.backend.embeddings.synthetic import analogy_corpus
from lmscope.gui.cli import main
from lmscope.sessions import open_session
from lmscope.widgets.projector.state import ProjectorState


def run_json(capsys, *argv: str) -> dict:
    assert main([*argv, "--json"]) == 0
    out, _ = capsys.readouterr()
    assert out.count("\n") == 1  # one JSON object on stdout, progress (if any) on stderr
    return json.loads(out)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    folder = tmp_path_factory.mktemp("w2v")
    analogy_corpus(entities=8, sentences=2000).write(folder / "corpus.txt", folder / "questions.txt")
    argv = ["word2vec", "--corpus", str(folder / "corpus.txt"), "--dim", "24", "--epochs", "4", "--cbow",
            "--export-vectors", str(folder / "vectors.txt"), "-o", str(folder / "session.h5"), "--json"]
    assert main(argv) == 0
    return folder


def test_word2vec_writes_vectors_gensim_reads_and_a_session(trained, capsys):
    kv = KeyedVectors.load_word2vec_format(str(trained / "vectors.txt"))
    assert "lion·he" in kv.key_to_index and kv.vector_size == 24
    session = open_session(trained / "session.h5")
    try:
        state = ProjectorState.from_tree(session.panels["projector"])
    finally:
        session.close()
    assert state.source == "word2vec" and not state.word2vec.sg and state.word2vec.dim == 24
    assert state.labels == tuple(kv.index_to_key) and state.coords.shape == (len(kv), 2)
    np.testing.assert_allclose(state.vectors, kv.vectors, rtol=1e-5, atol=1e-6)
    assert 0 < sum(state.explained) <= 1


def test_neighbors_and_analogy_commands(trained, capsys):
    result = run_json(capsys, "neighbors", str(trained / "vectors.txt"), "lion·he", "--k", "4")
    kv = KeyedVectors.load_word2vec_format(str(trained / "vectors.txt"))
    assert [n["word"] for n in result["neighbors"]] == [w for w, _ in kv.most_similar("lion·he", topn=4)]
    result = run_json(capsys, "analogy", str(trained / "vectors.txt"), "lion·she", "lion·he", "bear·he")
    theirs = kv.most_similar(positive=["lion·she", "bear·he"], negative=["lion·he"], topn=10)
    assert [r["word"] for r in result["results"]] == [w for w, _ in theirs]


def test_analogy_eval_agrees_with_gensim(trained, capsys):
    result = run_json(capsys, "analogy", str(trained / "vectors.txt"), "--eval", str(trained / "questions.txt"))
    kv = KeyedVectors.load_word2vec_format(str(trained / "vectors.txt"))
    score, sections = kv.evaluate_word_analogies(str(trained / "questions.txt"))
    assert [(s["section"], s["correct"], s["incorrect"]) for s in result["sections"]] == [
        (s["section"], len(s["correct"]), len(s["incorrect"])) for s in sections[:-1]]
    assert result["total"]["accuracy"] == pytest.approx(score)


@pytest.mark.parametrize("argv, message", [
    (["word2vec", "--corpus", "/nonexistent/corpus.txt"], "does not exist"),
    (["word2vec", "--corpus", "{corpus}", "--window", "0"], "window"),
    (["neighbors", "{vectors}", "nosuchword"], "not in the vocabulary"),
    (["neighbors", "{corpus}", "lion·he"], "not a word2vec file"),
    (["analogy", "{vectors}", "a", "b"], "three words"),
    (["analogy", "{vectors}"], "either three words"),
    (["analogy", "{vectors}", "--eval", "{vectors}"], "before any ': section' line"),
])
def test_bad_input_is_one_sentence_and_exit_2(trained, capsys, argv, message):
    argv = [a.format(corpus=trained / "corpus.txt", vectors=trained / "vectors.txt") for a in argv]
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == "" and message in err and err.count("\n") == 1
