"""The application shell, headless: demo start-up, jobs that stream, fail and get cancelled, layout."""
from __future__ import annotations

import time

import numpy as np
import pytest

from lmscope.backend.jobs import JobProgress
from lmscope.backend.models.config import PRESETS
from lmscope.backend.training.loop import TrainSettings


def test_demo_start_up_fills_histograms_for_every_layer(demo_window):
    doc = demo_window.document
    assert doc.loaded is not None and doc.current_trace is not None
    n_layer = doc.loaded.model.cfg.n_layer
    panel = demo_window.bindings["histograms"].panel
    assert panel.layer_box.count() == n_layer == doc.current_trace.trace.n_layer
    assert panel.table.rowCount() == 7  # every site of the selected layer
    x, y = panel.current_curve.getData()
    assert x is not None and len(y) > 10 and np.nansum(y) > 0
    # the demo ships its own training history: the training panel and the over-training view have data
    training = demo_window.bindings["training"].panel
    assert len(training.train_curve.getData()[1]) == len(doc.history) > 100
    assert panel.timeline_image.image is not None
    assert "CPU" in demo_window.device_label.text()
    assert demo_window.run_action.isEnabled()


def test_switching_layer_and_site_redraws(demo_window, qtbot):
    panel = demo_window.bindings["histograms"].panel
    before = panel.current_curve.getData()[1].copy()
    with qtbot.waitSignal(panel.selectionChanged):
        panel.select(panel.layer_box.count() - 1, "mlp_post")
    after = panel.current_curve.getData()[1]
    assert demo_window.document.selection.layer == panel.layer_box.count() - 1
    assert not np.array_equal(before, after)
    assert "layer 3" in panel.hist_plot.getPlotItem().titleLabel.text


def test_run_prompt_adds_a_trace_that_can_be_compared(demo_window, qtbot):
    with qtbot.waitSignal(demo_window.runner.jobFinished, timeout=60_000):
        assert demo_window.run_prompt("注意力机制 attention")
    doc = demo_window.document
    assert len(doc.traces) == 2 and doc.current_trace.trace.text == "注意力机制 attention"
    panel = demo_window.bindings["histograms"].panel
    assert panel.compare_box.count() == 2  # none + the demo capture
    panel.compare_box.setCurrentIndex(1)  # the second click of "compare two models"
    assert len(panel.reference_curve.getData()[1]) > 0
    assert panel.table.rowCount() == 14  # each site and its reference


def test_live_training_streams_and_adds_a_model(demo_window, qtbot):
    events = []
    demo_window.document.trainingAppended.connect(events.append)
    cfg = PRESETS["tiny-rmsnorm"].replace(n_layer=1)
    settings = TrainSettings(steps=40, batch_size=4, seq_len=32, snapshot_every=10)
    with qtbot.waitSignal(demo_window.runner.jobFinished, timeout=120_000) as finished:
        assert demo_window.train(cfg, settings, "rms test")
    assert finished.args[0].title == "Training rms test" and finished.args[1] is True
    doc = demo_window.document
    assert doc.history.steps == list(range(1, 41)) and len(doc.history.snapshots) == 5
    assert sum(events) == 40  # (batching itself is tested without timing in tests/gui/test_worker.py)
    training = demo_window.bindings["training"].panel
    assert len(training.train_curve.getData()[0]) == 40
    assert training.step_label.text() == "step 40 / 40"
    assert doc.loaded.model.cfg.norm == "rmsnorm" and doc.current_trace.label == "rms test"


def test_cancel_stops_training(demo_window, qtbot):
    cfg = PRESETS["tiny"]
    with qtbot.waitSignal(demo_window.document.trainingAppended, timeout=60_000):
        demo_window.train(cfg, TrainSettings(steps=100_000, batch_size=4, seq_len=16), "long")
    assert demo_window.cancel_button.isVisible()
    with qtbot.waitSignal(demo_window.runner.jobFinished, timeout=30_000) as finished:
        demo_window.cancel_button.click()
    assert finished.args[1] is False
    assert not demo_window.runner.busy and not demo_window.cancel_button.isVisible()
    assert demo_window.train_action.isEnabled()


def _exploding_job():
    yield JobProgress(0.5, "about to fail")
    raise RuntimeError("the job broke on purpose")


def test_a_job_that_raises_reports_and_the_app_stays_usable(window, qtbot):
    with qtbot.waitSignal(window.runner.jobFailed, timeout=10_000) as failed:
        window.start_job("Boom", _exploding_job)
    assert failed.args[0].message == "RuntimeError: the job broke on purpose"
    assert "Traceback" in failed.args[0].details
    assert "Boom failed: RuntimeError" in window.statusBar().currentMessage()
    assert window.error_dialog is not None and window.error_dialog.isVisible()
    assert not window.runner.busy
    with qtbot.waitSignal(window.runner.jobFinished, timeout=10_000):
        assert window.start_job("Again", lambda: iter([JobProgress(1.0, "fine")]))


def test_corrupt_checkpoint_gives_one_clear_sentence(window, qtbot, tmp_path):
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "config.json").write_text('{"d_model": 64}')
    (folder / "vocab.json").write_text('{"kind": "char", "tokens": ["<unk>", "a"]}')
    (folder / "model.safetensors").write_bytes(b"\x80\x04 definitely not safetensors")
    with qtbot.waitSignal(window.runner.jobFailed, timeout=30_000) as failed:
        window.open_model_folder(str(folder))
    failure = failed.args[0]
    assert failure.details == ""  # our own error: no traceback for the user
    assert "vocabulary has 2 tokens" in failure.message or "safetensors" in failure.message
    assert window.document.loaded is None


def _endless_job():
    while True:
        time.sleep(0.005)
        yield JobProgress(-1, "working")


def test_closing_mid_job_stops_the_thread(window, qtbot):
    window.start_job("Endless", _endless_job)
    qtbot.wait(50)
    assert window.runner.busy
    window.close()
    assert not window.runner.busy


def test_a_second_job_waits_and_the_status_bar_says_so(window, qtbot):
    first = window.start_job("Endless", _endless_job)
    second = window.start_job("Second", lambda: iter([JobProgress(1.0, "quick")]))
    qtbot.waitUntil(lambda: window.cancel_button.isVisible(), timeout=10_000)
    assert window.runner.running is first and window.runner.waiting == (second,)
    assert window.waiting_label.isVisible() and window.waiting_label.text() == "+1 waiting"
    assert "Second" in window.waiting_label.toolTip()
    with qtbot.waitSignal(second.finished, timeout=10_000) as done:
        window.cancel_button.click()  # cancels the running job; the waiting one then runs
    assert done.args == [True] and not window.runner.busy
    assert not window.waiting_label.isVisible() and not window.cancel_button.isVisible()


def test_layout_survives_restart_and_resets(window, make_window):
    dock = window.docks["dock.training"]
    dock.hide()
    window.close()
    again = make_window("lmscope")  # the same settings file: the layout the first window saved
    assert not again.docks["dock.training"].isVisible()
    again.reset_layout()
    assert again.docks["dock.training"].isVisible()
    assert {"dock.training", "dock.histograms", "dock.notes"} <= set(again.docks)
    again.close()


@pytest.mark.parametrize("suffix", [".png", ".svg"])
def test_export_figure(demo_window, tmp_path, suffix):
    from lmscope.gui.export import export_widget

    path = export_widget(demo_window.docks["dock.histograms"].panel, tmp_path / f"h{suffix}")
    assert path.stat().st_size > 1000


def test_screenshots_of_window_and_every_dock(demo_window, tmp_path):
    from PySide6.QtGui import QImage

    from lmscope.gui.screenshot import write_screenshots

    paths = write_screenshots(demo_window, tmp_path)
    assert {p.name for p in paths} == {"main_window.png"} | {f"{n.removeprefix('dock.')}.png"
                                                             for n in demo_window.docks}
    for path in paths:
        image = QImage(str(path))
        assert image.width() > 300 and image.height() > 200, path
    assert not any(dock.isFloating() for dock in demo_window.docks.values())  # the layout is put back
    assert demo_window.docks["dock.training"].isVisible()
