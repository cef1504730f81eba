"""Word-vector files, neighbours, analogies, the analogy evaluation and projections, each against a peer: gensim's
reader and evaluator, a brute-force numpy search, numpy's SVD, scikit-learn's PCA."""
from __future__ import annotations

import time

import numpy as np
import pytest
from gensim.models import KeyedVectors, Word2Vec
from gensim.test.utils import datapath

from lmscope.backend.demo import DEFAULT_PROMPT, load_demo
from lmscope.backend.capture import capture
from lmscope.backend.embeddings import vectors as vectors_module
from lmscope.backend.embeddings.formats import VectorFileError, printable_word, read_tsv, read_vectors, write_tsv, write_word2vec
from lmscope.backend.embeddings.projection import Projection, ProjectionUpdate, pca, run_to_end, tsne_job
from lmscope.backend.embeddings.sources import ContextualSource, embedding_matrix_source, script_of
from lmscope.backend.embeddings.vectors import WordVectors, analogy, evaluate_analogies, nearest, neighbors
from lmscope.backend.errors import BadInputError


@pytest.fixture(scope="module")
def lee_model():
    sentences = [line.split() for line in open(datapath("lee_background.cor"), encoding="utf-8")]
    return Word2Vec(sentences, vector_size=48, min_count=3, workers=1, epochs=8, seed=3)


@pytest.fixture(scope="module")
def lee_vectors(lee_model):
    kv = lee_model.wv
    return WordVectors(tuple(kv.index_to_key), kv.vectors.copy(),
                       np.array([kv.get_vecattr(w, "count") for w in kv.index_to_key]))


@pytest.mark.parametrize("binary", [False, True])
def test_our_files_load_in_gensim_and_theirs_in_ours(tmp_path, lee_model, lee_vectors, binary):
    ours = tmp_path / ("ours.bin" if binary else "ours.txt")
    write_word2vec(lee_vectors, ours, binary=binary)
    kv = KeyedVectors.load_word2vec_format(str(ours), binary=binary)
    assert kv.index_to_key == list(lee_vectors.words)
    np.testing.assert_allclose(kv.vectors, lee_vectors.vectors, rtol=0 if binary else 1e-5, atol=0 if binary else 1e-6)
    theirs = tmp_path / ("theirs.bin" if binary else "theirs.txt")
    lee_model.wv.save_word2vec_format(str(theirs), binary=binary)
    back = read_vectors(theirs)
    assert back.words == tuple(lee_model.wv.index_to_key)
    np.testing.assert_allclose(back.vectors, lee_model.wv.vectors, rtol=1e-5, atol=1e-6)


def test_tsv_round_trip_with_metadata_columns(tmp_path, lee_vectors):
    small = WordVectors(lee_vectors.words[:50], lee_vectors.vectors[:50], lee_vectors.counts[:50])
    write_tsv(small, tmp_path / "vectors.tsv", tmp_path / "metadata.tsv", {"count": small.counts})
    lines = (tmp_path / "metadata.tsv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "word\tcount" and len(lines) == 51  # a header exactly when there are several columns
    back, columns = read_tsv(tmp_path / "vectors.tsv", tmp_path / "metadata.tsv")
    assert back.words == small.words and columns["count"] == [str(c) for c in small.counts]
    np.testing.assert_allclose(back.vectors, small.vectors, rtol=1e-5, atol=1e-6)
    write_tsv(small, tmp_path / "v2.tsv", tmp_path / "m2.tsv")
    assert len((tmp_path / "m2.tsv").read_text(encoding="utf-8").splitlines()) == 50  # one column: no header
    assert read_tsv(tmp_path / "v2.tsv", tmp_path / "m2.tsv")[0].words == small.words


def test_whitespace_tokens_get_visible_stand_ins(tmp_path):
    wv = WordVectors((" ", "a b", "\n", ""), np.eye(4, dtype=np.float32))
    write_word2vec(wv, tmp_path / "v.txt")
    assert KeyedVectors.load_word2vec_format(str(tmp_path / "v.txt")).index_to_key == ["␠", "a␠b", "␤", "∅"]
    assert printable_word("x\ty") == "x␉y"


@pytest.mark.parametrize("content, message", [
    (b"2 2\na 1 2\nb 1\n", "not 'word' followed by 2 numbers"),
    (b"2 2\na 1 2\n", "header declares 2"),
    (b"3 2\na 1 2\nb 1\n", "truncated"),
    (b"9999999999 300\n", "more than lmscope loads"),
    (b"1000000 300\nx 1 2\n", "truncated"),
    (b"2 2\na 1 nan\nb 1 2\n", "not a finite number"),
    (b"2 2\na 1 x\nb 1 2\n", "not a number"),
    (b"hello world\n", "count dimension"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "count dimension"),
    (b"2 2\n" + b"\xff\xfe " + bytes(8) + b"b " + bytes(8), "not UTF-8"),
    (b"2 2\nabc " + bytes(8) + b"b " + bytes(3), "truncated"),
])
def test_hostile_vector_files_are_one_sentence(tmp_path, content, message):
    path = tmp_path / "vectors.bin"
    path.write_bytes(content)
    with pytest.raises(VectorFileError, match=message) as info:
        read_vectors(path)
    assert "\n" not in str(info.value)


def test_missing_and_ragged_tsv_files(tmp_path):
    with pytest.raises(VectorFileError, match="does not exist"):
        read_vectors(tmp_path / "nothing.txt")
    (tmp_path / "v.tsv").write_text("1\t2\n3\n", encoding="utf-8")
    with pytest.raises(VectorFileError, match="Line 2"):
        read_tsv(tmp_path / "v.tsv")


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_neighbours_match_brute_force_across_chunks(monkeypatch, metric):
    rng = np.random.default_rng(0)
    points = rng.normal(size=(1000, 16)).astype(np.float32)
    points[5] = 0  # a zero vector has cosine 0 with everything
    monkeypatch.setattr(vectors_module, "CHUNK_ROWS", 97)  # many chunks, merged
    for q in (0, 5, 999):
        rows, dist = nearest(points, points[q], k=12, metric=metric, exclude=[q])
        if metric == "cosine":
            norms = np.linalg.norm(points, axis=1)
            sims = points @ points[q] / np.where(norms * norms[q] > 0, norms * norms[q], np.inf)
            brute = 1 - sims
        else:
            brute = np.linalg.norm(points - points[q], axis=1)
        brute[q] = np.inf
        order = np.lexsort((np.arange(len(brute)), brute))[:12]
        assert rows.tolist() == order.tolist()
        np.testing.assert_allclose(dist, brute[order], rtol=1e-4, atol=1e-5)


def test_neighbours_and_analogies_agree_with_gensim(lee_model, lee_vectors):
    kv = lee_model.wv
    for word in ("government", "Australia", "police"):
        ours = neighbors(lee_vectors, word, 10)
        theirs = kv.most_similar(word, topn=10)
        assert [w for w, _ in ours] == [w for w, _ in theirs]
        np.testing.assert_allclose([1 - d for _, d in ours], [s for _, s in theirs], atol=1e-5)
    ours = analogy(lee_vectors, "Australia", "Sydney", "Melbourne", 10)
    theirs = kv.most_similar(positive=["Australia", "Melbourne"], negative=["Sydney"], topn=10)
    assert [w for w, _ in ours] == [w for w, _ in theirs]
    with pytest.raises(BadInputError, match="not in the vocabulary"):
        analogy(lee_vectors, "Australia", "Sydney", "nonexistentword", 10)


def test_analogy_evaluation_agrees_with_gensim_section_by_section(lee_model, lee_vectors):
    questions = datapath("questions-words.txt")
    ours = evaluate_analogies(lee_vectors, questions)
    score, sections = lee_model.wv.evaluate_word_analogies(questions)
    theirs = {s["section"]: (len(s["correct"]), len(s["incorrect"])) for s in sections}
    assert [s.section for s in ours.sections] + ["Total accuracy"] == [s["section"] for s in sections]
    assert {s.section: (s.correct, s.incorrect) for s in ours.sections} == {
        k: v for k, v in theirs.items() if k != "Total accuracy"}
    assert ours.total.accuracy == pytest.approx(score)
    assert ours.total.correct + ours.total.incorrect > 50  # enough questions were in the vocabulary to mean something
    assert ours.questions == 19544


def test_pca_equals_numpy_svd_up_to_sign_and_sklearn_variance():
    from sklearn.decomposition import PCA

    rng = np.random.default_rng(1)
    points = (rng.normal(size=(500, 20)) @ rng.normal(size=(20, 20)) + 3).astype(np.float32)
    ours = pca(points, 3)
    centred = points.astype(np.float64) - points.astype(np.float64).mean(0)
    u, s, vt = np.linalg.svd(centred, full_matrices=False)
    expected = u[:, :3] * s[:3]
    signs = np.sign((ours.coords * expected).sum(0))
    np.testing.assert_allclose(ours.coords, expected * signs, rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(np.abs(ours.components), np.abs(vt[:3]), atol=1e-5)
    np.testing.assert_allclose(ours.explained, PCA(3).fit(points).explained_variance_ratio_, rtol=1e-4)
    assert (np.abs(ours.components).argmax(1) == np.abs(ours.components).argmax(1)).all()
    assert all(ours.components[i, np.abs(ours.components[i]).argmax()] > 0 for i in range(3))


def _clusters(n_per: int = 60, dim: int = 10, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=10, size=(3, dim))
    labels = np.repeat(np.arange(3), n_per)
    return (centres[labels] + rng.normal(size=(3 * n_per, dim))).astype(np.float32), labels


def _neighbour_purity(coords: np.ndarray, labels: np.ndarray) -> float:
    d = ((coords[:, None] - coords[None]) ** 2).sum(-1)
    np.fill_diagonal(d, np.inf)
    return float((labels[d.argmin(1)] == labels).mean())


def test_tsne_separates_clusters_and_streams_moving_points():
    points, labels = _clusters()
    events = list(tsne_job(points, perplexity=10, seed=0, n_iter=50))
    updates = [e for e in events if isinstance(e, ProjectionUpdate)]
    result = events[-1]
    assert isinstance(result, Projection) and result.coords.shape == (180, 2)
    assert len(updates) == (250 + 50) // 25 and not np.array_equal(updates[0].coords, result.coords)
    assert _neighbour_purity(result.coords, labels) > 0.95


def test_cancelling_tsne_stops_its_process_at_once():
    points, _ = _clusters(n_per=100)
    job = tsne_job(points, perplexity=20, seed=0, n_iter=5000)
    for event in job:
        if isinstance(event, ProjectionUpdate):
            break
    start = time.perf_counter()
    job.close()  # what the worker does on Cancel
    assert time.perf_counter() - start < 2.0


def test_projection_inputs_are_checked():
    with pytest.raises(BadInputError, match="Perplexity"):
        next(tsne_job(np.zeros((20, 3)), perplexity=30))
    with pytest.raises(BadInputError, match="finite"):
        pca(np.array([[1.0, np.nan], [0.0, 1.0]]))


def test_scripts():
    assert [script_of(t) for t in ("模型", "model", "Ġthe", "##ing", "42", "，", " ", "→", "Ω")] == [
        "Han", "Latin", "Latin", "Latin", "digit", "punct", "space", "punct", "other"]


def test_model_embeddings_and_contextual_points_come_from_the_model():
    loaded = load_demo()
    source = embedding_matrix_source(loaded.model, loaded.tokenizer.tokens, "demo")
    points = source.points()
    np.testing.assert_array_equal(points.vectors, loaded.model.embed.weight.detach().numpy())
    assert points.labels == loaded.tokenizer.tokens
    ids = loaded.tokenizer.encode(DEFAULT_PROMPT)
    trace = capture(loaded.model, ids, token_strings=loaded.tokenizer.token_strings(ids))
    at1 = ContextualSource([trace], layer=1).points()
    np.testing.assert_array_equal(at1.vectors, trace.tensors["blocks.1.hook_resid_pre"][0])
    trajectories = ContextualSource([trace, trace], layer=None).points()
    n_layer, n_pos = trace.n_layer, trace.n_pos
    assert len(trajectories) == 2 * n_pos * (n_layer + 1)
    np.testing.assert_array_equal(trajectories.vectors[n_layer], trace.tensors[f"blocks.{n_layer - 1}.hook_resid_post"][0, 0])
    assert (np.diff(trajectories.columns["layer"][: n_layer + 1]) == 1).all()
    assert len(np.unique(trajectories.groups)) == 2 * n_pos


@pytest.mark.slow  # umap-learn compiles its numba code on a machine's first run: ~40 s idle, minutes when busy
def test_umap_separates_clusters_in_its_own_process():
    from lmscope.backend.embeddings.projection import umap_job

    points, labels = _clusters(n_per=60)
    result = run_to_end(umap_job(points, n_neighbors=10, seed=0))
    assert result.coords.shape == (180, 2)
    assert _neighbour_purity(result.coords, labels) > 0.95
