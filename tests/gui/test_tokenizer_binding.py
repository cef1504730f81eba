"""The tokenizer explorer in the real window: the learner's scenario end to end, the one worker, sessions, and
token selection shared with the other panels."""
from __future__ import annotations

import time

import h5py
import numpy as np
from PySide6.QtCore import Qt

from lmscope.backend.tokenize.bpe import pair_table, parse_word_counts, train_bpe
from lmscope.backend.jobs import JobProgress
from lmscope.sessions.hdf5 import read_tree, write_tree
from lmscope.widgets.tokenizer.state import TokenizerState

LEARNER = "我们一起来学习大语言模型"
BEFORE = ["我们", "一", "起来", "学习", "大", "语言", "模型"]
AFTER = ["我们", "一", "起来", "学习", "大语言模型"]




def binding(window):
    return window.bindings["tokenizer"]


def words(panel) -> list[str]:
    return [span.label for span in panel.jieba.words_view.rows[0].spans]


def route(panel) -> list[str]:
    return [arc.word for arc in panel.jieba.dag_view.arcs if arc.on_route]


def job_done(kind: str):
    """A check for runner.jobFinished: the tokenizer panel's job of ``kind`` ("jieba" or "bpe") ended."""
    return lambda job, _completed=True: job.kind == f"tokenizer.{kind}"


def submit(qtbot, window, text: str) -> None:
    """Type a text and press Return, waiting for jieba's dictionary if this loads it."""
    panel = binding(window).panel
    panel.text_edit.setText(text)
    if binding(window).jieba.ready:
        qtbot.keyClick(panel.text_edit, Qt.Key.Key_Return)
        return
    with qtbot.waitSignal(window.runner.jobFinished, timeout=30_000, check_params_cb=job_done("jieba")):
        qtbot.keyClick(panel.text_edit, Qt.Key.Key_Return)
        assert binding(window).jieba.status == "loading" and "Loading jieba" in panel.status_label.text()


def train(qtbot, window, source: str, merges: int, words: str = "") -> None:
    bpe = binding(window).panel.bpe
    bpe.source_box.setCurrentIndex(bpe.source_box.findData(source))
    bpe.words_edit.setText(words)
    bpe.merges_spin.setValue(merges)
    with qtbot.waitSignal(window.runner.jobFinished, timeout=30_000, check_params_cb=job_done("bpe")):
        bpe.train_button.click()


def test_learner_scenario(window, qtbot):
    b, panel = binding(window), binding(window).panel
    submit(qtbot, window, LEARNER)
    assert words(panel) == BEFORE == route(panel)
    assert "一起" in [arc.word for arc in panel.jieba.dag_view.arcs]  # in the DAG, but not on the route
    assert "一… −46.29 beat 一起… −47.50" in panel.jieba.route_label.toPlainText()

    panel.jieba.word_edit.setText("大语言模型")
    panel.jieba.add_button.click()
    assert words(panel) == AFTER == route(panel)
    assert panel.jieba.user_model.rowCount() == 1
    panel.show_tab("compare")  # the comparison redraws when shown
    assert [s.label for s in panel.compare.view.rows[1].spans] == AFTER
    panel.show_tab("jieba")
    panel.jieba.word_edit.setText("大 语言")
    panel.jieba.add_button.click()
    assert "whitespace" in panel.status_label.text() and words(panel) == AFTER
    panel.jieba.user_table.selectRow(0)
    panel.jieba.remove_button.click()
    assert words(panel) == BEFORE and panel.jieba.user_model.rowCount() == 0
    panel.show_tab("bpe")

    train(qtbot, window, "demo", 120)
    assert len(b.bpe.model.merges) == 120 and panel.bpe.step_value == 0
    for _ in range(50):
        panel.bpe.step_button.click()
    assert b.bpe.step == panel.bpe.step_value == 50
    last, upcoming = b.bpe.model.merges[49], b.bpe.model.merges[50]
    assert f"step 50 / 120: {last.left} + {last.right}" in panel.bpe.step_label.text()
    assert panel.bpe.merge_model.marked_row == 49
    # The pair table at step 50 is headed by the pair merge 50 joins: replay and training agree.
    assert pair_table(b.bpe.model, 50)[0] == ((upcoming.left, upcoming.right), upcoming.count)
    assert panel.bpe.pair_model.index(0, 1).data() == f"{upcoming.count:,}"
    assert "changed by this step" in panel.bpe.corpus_label.text()
    panel.bpe.encode_edit.setText("lowest")
    panel.bpe.encode_edit.textEdited.emit("lowest")
    encoded = panel.bpe.encode_view.rows[0].spans
    assert "".join(s.label for s in encoded) == "lowest</w>" and "50 merges" in panel.bpe.encode_view.rows[0].name


def _endless():
    while True:
        time.sleep(0.005)
        yield JobProgress(-1, "working")


def test_a_busy_worker_makes_requests_wait_then_run(window, qtbot):
    b, panel = binding(window), binding(window).panel
    assert window.start_job("Endless", _endless)
    panel.text_edit.setText(LEARNER)
    qtbot.keyClick(panel.text_edit, Qt.Key.Key_Return)
    assert b.jieba.status == "loading" and "Waiting for “Endless”" in panel.status_label.text()
    with qtbot.waitSignal(window.runner.jobFinished, timeout=30_000, check_params_cb=job_done("jieba")):
        window.runner.cancel()
    assert words(panel) == BEFORE and panel.status_label.text() == ""


def test_a_user_dictionary_loads_in_the_worker(window, qtbot, tmp_path):
    b, panel = binding(window), binding(window).panel
    submit(qtbot, window, LEARNER)
    good, bad = tmp_path / "user.txt", tmp_path / "gbk.txt"
    good.write_text("大语言模型 10 nz\n", encoding="utf-8")
    bad.write_bytes("注意力 3".encode("gbk"))
    with qtbot.waitSignal(window.runner.jobFinished, timeout=30_000, check_params_cb=job_done("jieba")):
        panel.jieba.loadDictionaryRequested.emit(str(good))
    assert words(panel) == AFTER and panel.jieba.user_model.rowCount() == 1
    with qtbot.waitSignal(window.runner.jobFailed, timeout=30_000):
        panel.jieba.loadDictionaryRequested.emit(str(bad))
    assert "not UTF-8" in panel.status_label.text() and b.jieba.ready
    assert panel.jieba.add_button.isEnabled() and words(panel) == AFTER


def _plain(value) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    if isinstance(value, list):
        return all(isinstance(v, str) for v in value)
    return isinstance(value, (str, int, float, bool, np.ndarray))


def test_session_state_round_trip(window, qtbot, tmp_path, make_window):
    b, panel = binding(window), binding(window).panel
    submit(qtbot, window, LEARNER)
    panel.jieba.pos_box.setChecked(True)
    panel.jieba.word_edit.setText("大语言模型")
    panel.jieba.freq_spin.setValue(50)
    panel.jieba.tag_edit.setText("nz")
    panel.jieba.add_button.click()
    toy = "low:5, lower:2, newest:6, widest:3"
    train(qtbot, window, "words", 20, toy)
    panel.bpe.slider.setValue(7)
    state = b.state().to_tree()  # what the session writer stores
    assert _plain(state)
    assert state["jieba"]["user_words"] == ["大语言模型"] and state["jieba"]["user_freqs"].tolist() == [50]
    assert state["bpe"]["merge_left"][:3] == ["e", "es", "est"] and state["bpe"]["step"] == 7
    with h5py.File(tmp_path / "part.h5", "w") as f:  # what a session file stores and gives back
        write_tree(f.create_group("tokenizer"), state)
    with h5py.File(tmp_path / "part.h5", "r") as f:
        stored = read_tree(f["tokenizer"])

    other = make_window("other")
    restored = binding(other)
    restored.apply_state(TokenizerState.from_tree(stored))
    qtbot.waitUntil(lambda: restored.jieba.ready and restored.bpe.model is not None
                    and not other.runner.busy, timeout=60_000)
    assert words(restored.panel) == AFTER and restored.panel.jieba.pos
    assert restored.panel.jieba.words_view.rows[0].spans[-1].note == "nz"
    assert restored.bpe.model.merges == train_bpe(parse_word_counts(toy), 20).merges
    assert restored.panel.bpe.step_value == restored.bpe.step == 7
    again = restored.state().to_tree()
    for part in ("jieba", "bpe"):
        for key, value in state[part].items():
            assert np.array_equal(again[part][key], value) if isinstance(value, np.ndarray) else \
                again[part][key] == value, key
    other.runner.shutdown()
    other.close()


def test_token_selection_is_shared_with_the_document(demo_window, qtbot):
    b, panel = binding(demo_window), binding(demo_window).panel
    doc = demo_window.document
    # once the demo is in, the panel loads jieba in the worker and opens on the default text, segmented
    assert b.jieba.ready and b.jieba.segmented is not None and b.jieba.segmented.request.text == panel.text
    assert panel.text == doc.current_trace.trace.text and b.linked()
    demo_window.docks["dock.tokenizer"].raise_()
    panel.show_tab("compare")
    view = panel.compare.view
    model_row = next(i for i, row in enumerate(view.rows) if row.name.startswith("model"))
    rect = dict(view.span_rects(model_row))[3]
    qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=rect.center().toPoint())
    assert doc.selection.position == 3 and view.highlight == (3, 4)
    characters = dict(view.span_rects(0))[9]  # any row selects the model token under it
    qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=characters.center().toPoint())
    assert doc.selection.position == 9
    doc.set_selection(position=5)  # another panel selects a position
    assert view.highlight == (5, 6)
    assert panel.compare.stats_model.index(3, 1).data() == str(doc.current_trace.trace.n_pos)

    submit(qtbot, demo_window, "别的文字")
    assert not b.linked() and view.highlight == (-1, -1) and not panel.compare.run_button.isHidden()
    with qtbot.waitSignal(demo_window.runner.jobFinished, timeout=60_000):
        panel.compare.run_button.click()
    assert doc.current_trace.trace.text == "别的文字" and b.linked()
    doc.set_selection(position=2)
    assert view.highlight == (2, 3)
    panel.show_tab("jieba")  # clicking a jieba word selects the model token at its first character
    strip = panel.jieba.words_view
    last = len(strip.rows[0].spans) - 1
    qtbot.mouseClick(strip, Qt.MouseButton.LeftButton, pos=dict(strip.span_rects(0))[last].center().toPoint())
    assert doc.selection.position == strip.rows[0].spans[last].start > 0
