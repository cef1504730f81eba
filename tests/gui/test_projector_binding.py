"""The projector in the real window: the demo model's embeddings in PCA, a word's neighbours, word2vec streaming into
the scatter and Cancel, and a session that reopens with the same picture."""
from __future__ import annotations

import numpy as np

from lmscope.backend.embeddings.vectors import WordVectors, neighbors
from lmscope.widgets.projector.state import ProjectorState


def idle(window, qtbot):
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=120_000)


def test_projector_shows_the_demo_embeddings_and_finds_neighbours(demo_window, qtbot):
    binding = demo_window.bindings["projector"]
    panel = binding.panel
    idle(demo_window, qtbot)
    loaded = demo_window.document.loaded
    matrix = loaded.model.embed.weight.detach().numpy()
    assert tuple(panel.labels) == loaded.tokenizer.tokens
    centred = matrix.astype(np.float64) - matrix.mean(0)
    u, s, _ = np.linalg.svd(centred, full_matrices=False)
    expected = u[:, :2] * s[:2]
    signs = np.sign((panel.coords * expected).sum(0))
    np.testing.assert_allclose(panel.coords, expected * signs, rtol=1e-3, atol=1e-3)
    assert "%" in panel.explained.text()
    panel.search_edit.setText("模")
    panel.run_search()
    assert panel.labels[panel.selected] == "模"
    qtbot.waitUntil(lambda: panel.table.rowCount() == 10, timeout=30_000)
    expected_words = [w for w, _ in neighbors(WordVectors(loaded.tokenizer.tokens, matrix), "模", 10)]
    assert panel.neighbour_words() == expected_words
    assert panel.scatter.label_count() >= 11  # the selection and its neighbours are labelled


def test_word2vec_streams_into_the_scatter_and_cancels(demo_window, qtbot):
    binding = demo_window.bindings["projector"]
    panel = binding.panel
    idle(demo_window, qtbot)
    moves = []
    original = panel.move_points
    panel.move_points = lambda coords: (moves.append(coords.copy()), original(coords))
    panel.w2v["epochs"].setValue(200)
    panel.w2v["dim"].setValue(16)
    panel.train_button.click()
    job = binding._jobs["train"]
    qtbot.waitUntil(lambda: len(moves) >= 2, timeout=120_000)
    assert panel.title.text().startswith("<b>word2vec on demo corpus")
    assert not np.array_equal(moves[0], moves[-1])  # the points move while training
    with qtbot.waitSignal(job.cancelled, timeout=30_000):
        panel.cancel_button.click()
    assert panel.train_status.text() == "Cancelled." and panel.train_button.isEnabled()


def test_session_reopens_with_the_same_picture(demo_window, qtbot, tmp_path, make_window):
    binding = demo_window.bindings["projector"]
    idle(demo_window, qtbot)
    binding.panel.select(5)
    idle(demo_window, qtbot)
    path = tmp_path / "projector.h5"
    with qtbot.waitSignal(demo_window.runner.jobFinished, timeout=60_000):
        demo_window.save_session(path, include_weights=False)
    again = make_window("again")
    with qtbot.waitSignal(again.runner.jobFinished, timeout=60_000):
        again.open_session(path)
    idle(again, qtbot)
    restored = again.bindings["projector"]
    assert tuple(restored.panel.labels) == tuple(binding.panel.labels)
    np.testing.assert_array_equal(restored.panel.coords, binding.panel.coords)
    assert restored.panel.selected == 5
    saved = ProjectorState.from_tree(binding.state().to_tree())
    assert saved.source == "model" and saved.vectors.size == 0  # the model rebuilds its own vectors


def test_analogy_evaluation_on_a_file_agrees_with_gensim_section_by_section(demo_window, qtbot, tmp_path):
    from gensim.models import KeyedVectors

    binding = demo_window.bindings["projector"]
    panel = binding.panel
    idle(demo_window, qtbot)
    points = binding.points
    han = [w for w in points.labels if "\u4e00" <= w <= "\u9fff"][:12]
    lines = [": first"] + [" ".join(han[i:i + 4]) for i in range(8)] + [": second", "不在 词表 里 啊"] + \
        [" ".join(han[i + 1:i + 5]) for i in range(6)]
    path = tmp_path / "questions.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    binding.on_evaluate(str(path))
    qtbot.waitUntil(lambda: panel.evaluation.table.rowCount() > 0, timeout=60_000)
    kv = KeyedVectors(points.vectors.shape[1])
    kv.add_vectors(list(points.labels), points.vectors)
    _, sections = kv.evaluate_word_analogies(str(path))
    theirs = [(s["section"], f"{len(s['correct'])} / {len(s['correct']) + len(s['incorrect'])}")
              for s in sections if s["section"] != "Total accuracy" and s["correct"] + s["incorrect"]]
    assert [(name, counts) for name, counts, _ in panel.evaluation.section_rows()] == theirs
    assert "questions right" in panel.evaluation.summary.text()
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\xff\xfe not text")
    binding.on_evaluate(str(bad))
    qtbot.waitUntil(lambda: "UTF-8" in panel.evaluation.summary.text(), timeout=60_000)
    assert "\n" not in panel.evaluation.summary.text()
