"""Sessions in the app: save, close, reopen and see the same thing; bad files; sessions without a model."""
from __future__ import annotations

import numpy as np

from lmscope.backend.demo import demo_dir


def new_window(make_window, name="second"):
    return make_window(name, size=(1400, 900))


def idle(window, qtbot):
    """Other panels may start their own background work (e.g. loading jieba); wait for the one worker."""
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=60_000)


def save(window, qtbot, path, **kwargs):
    idle(window, qtbot)
    with qtbot.waitSignal(window.runner.jobFinished, timeout=60_000) as done:
        assert window.save_session(path, **kwargs)
    assert done.args[1] is True


def open_in(window, qtbot, path):
    idle(window, qtbot)
    with qtbot.waitSignal(window.runner.jobFinished, timeout=60_000):
        assert window.open_session(path)


def pixels(window, widget) -> np.ndarray:
    """The panel drawn at a fixed size, whatever the dock layout around it."""
    dock = window.docks["dock.histograms"]
    dock.setFloating(True)
    dock.resize(900, 700)
    for _ in range(5):
        from PySide6.QtWidgets import QApplication

        QApplication.processEvents()
    image = widget.grab().toImage()
    data = np.frombuffer(image.constBits(), dtype=np.uint8, count=image.sizeInBytes())
    return data.reshape(image.height(), image.bytesPerLine()).copy()


def test_save_close_reopen_shows_the_same(demo_window, qtbot, tmp_path, make_window):
    demo_window.resize(1400, 900)
    hist = demo_window.bindings["histograms"]
    hist.panel.select(2, "mlp_post")
    demo_window.document.set_selection(head=3, position=5)
    demo_window.document.set_notes("# why\nhead 2.3 looks at 学习")
    qtbot.wait(50)
    before = pixels(demo_window, hist.panel)
    path = tmp_path / "look.h5"
    save(demo_window, qtbot, path)
    assert not demo_window.document.dirty and demo_window.windowTitle().startswith("look.h5")
    demo_window.close()

    again = new_window(make_window)
    open_in(again, qtbot, path)
    doc = again.document
    assert (doc.selection.layer, doc.selection.head, doc.selection.position) == (2, 3, 5)
    panel = again.bindings["histograms"].panel
    assert (panel.layer, panel.site) == (2, "mlp_post")
    assert doc.notes.startswith("# why") and doc.loaded is not None  # weights travel by default
    qtbot.wait(50)
    np.testing.assert_array_equal(pixels(again, panel), before)
    assert str(path) in again.recent_sessions()


def test_unreadable_file_keeps_the_current_session(demo_window, qtbot, tmp_path):
    bad = tmp_path / "bad.h5"
    bad.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\x00" * 100)
    traces_before = list(demo_window.document.traces)
    idle(demo_window, qtbot)
    with qtbot.waitSignal(demo_window.runner.jobFailed, timeout=30_000) as failed:
        assert demo_window.open_session(bad)
    message = failed.args[0].message
    assert "bad.h5" in message and "\n" not in message and failed.args[0].details == ""
    assert demo_window.error_dialog.isVisible()
    assert demo_window.document.traces == traces_before and demo_window.document.loaded is not None


def test_session_without_weights_disables_rerun_until_attached(demo_window, qtbot, tmp_path, make_window):
    path = tmp_path / "light.h5"
    save(demo_window, qtbot, path, include_weights=False)
    again = new_window(make_window)
    open_in(again, qtbot, path)
    assert again.document.loaded is None and len(again.document.traces) == 1
    panel = again.bindings["histograms"].panel
    assert panel.layer_box.count() == 4 and len(panel.current_curve.getData()[1]) > 0  # still shows everything
    assert not again.run_action.isEnabled() and "Attach model" in again.run_action.toolTip()
    assert again.attach_action.isEnabled()
    idle(again, qtbot)
    with qtbot.waitSignal(again.runner.jobFinished, timeout=60_000):
        assert again.attach_model(str(demo_dir()))
    assert again.document.loaded is not None and again.run_action.isEnabled()


def test_attaching_the_wrong_model_is_refused(window, qtbot, tmp_path, make_window):
    from lmscope.backend.models.checkpoint import save_model
    from lmscope.backend.models.config import PRESETS
    from lmscope.backend.models.tinygpt import TinyGPT
    from lmscope.backend.models.tokenizer import CharTokenizer

    path = tmp_path / "light.h5"
    with qtbot.waitSignal(window.demoReady, timeout=60_000):
        window.open_demo()
    save(window, qtbot, path, include_weights=False)
    other = tmp_path / "other"
    tok = CharTokenizer.train("abc def")
    save_model(other, TinyGPT(PRESETS["tiny"].replace(vocab_size=tok.vocab_size)), tok)
    again = new_window(make_window)
    open_in(again, qtbot, path)
    idle(again, qtbot)
    with qtbot.waitSignal(again.runner.jobFailed, timeout=60_000) as failed:
        assert again.attach_model(str(other))
    assert "not the model this session was captured with" in failed.args[0].message
    assert again.document.loaded is None


def test_unsaved_marker_bookmarks_and_close_asks(demo_window, qtbot, tmp_path):
    assert not demo_window.document.dirty and not demo_window.isWindowModified()
    demo_window.document.set_selection(layer=1, head=2, position=4)
    notes = demo_window.bindings["notes"].panel
    notes.bookmark_text.setText("previous-token head?")
    notes.add_button.click()
    assert demo_window.document.dirty and demo_window.isWindowModified()
    assert notes.bookmarks.count() == 1
    demo_window.document.set_selection(layer=3, head=0, position=0)
    notes.bookmarks.itemClicked.emit(notes.bookmarks.item(0))
    sel = demo_window.document.selection
    assert (sel.layer, sel.head, sel.position) == (1, 2, 4)
    assert demo_window.bindings["histograms"].panel.layer == 1
    asked = []
    demo_window.confirm_discard = lambda: asked.append(True) or False
    demo_window.close()
    assert asked and demo_window.isVisible()  # the user said Cancel: the window stays
    demo_window.confirm_discard = lambda: True


def test_state_of_an_unknown_panel_survives_open_and_save(demo_window, qtbot, tmp_path, make_window):
    from lmscope.sessions import open_session

    first, second = tmp_path / "a.h5", tmp_path / "b.h5"
    save(demo_window, qtbot, first)
    import h5py

    from lmscope.sessions.hdf5 import write_tree

    with h5py.File(first, "a") as f:  # as a newer lmscope with a "router" panel would have written it
        write_tree(f["ui/panels"].create_group("router"), {"expert": 3, "note": "专家"})
    again = new_window(make_window)
    open_in(again, qtbot, first)
    save(again, qtbot, second)
    reopened = open_session(second)
    assert reopened.panels["router"] == {"expert": 3, "note": "专家"}
    reopened.close()


def test_session_storage_choices_apply_to_every_save_and_are_remembered(demo_window, qtbot, tmp_path, make_window,
                                                                         monkeypatch):
    import h5py

    from lmscope.sessions import writer

    actions = demo_window.storage_actions
    assert not actions["float16"].isChecked() and not actions["store_logits"].isChecked()
    logits_bytes = demo_window.document.current_trace.trace["logits"].nbytes
    monkeypatch.setattr(writer, "STORE_LOGITS_BYTES", logits_bytes - 1)  # the demo's logits count as long here
    plain = tmp_path / "plain.h5"
    save(demo_window, qtbot, plain)
    actions["float16"].setChecked(True)
    actions["store_logits"].setChecked(True)
    chosen = tmp_path / "chosen.h5"
    save(demo_window, qtbot, chosen)
    with h5py.File(plain, "r") as f:
        tensors = f["traces/0/tensors"]
        assert "logits" not in tensors and tensors["blocks.0.attn.hook_q"].dtype == np.float32
    with h5py.File(chosen, "r") as f:
        tensors = f["traces/0/tensors"]
        assert tensors["logits"].dtype == np.float16 and tensors["blocks.0.attn.hook_q"].dtype == np.float16
    demo_window.settings.sync()
    from pathlib import Path

    again = make_window(Path(demo_window.settings.fileName()).stem)  # the same settings file: remembered
    assert again.storage_actions["float16"].isChecked() and again.storage_actions["store_logits"].isChecked()
