"""The two panels on plain data, with qtbot: what they draw and the intent they report."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from lmscope.backend.stats import STAT_COLUMNS, STAT_FIELDS, HistogramStats
from lmscope.widgets.histograms import HistogramsPanel, HistogramsState, SiteHistogram, Timeline
from lmscope.widgets.training import TrainingPanel

SITES = {"resid_pre": "residual in", "mlp_post": "MLP post-activation"}


def hist(center: float, n: int = 1000) -> SiteHistogram:
    values = np.random.default_rng(int(center * 10) + 5).normal(center, 1.0, n)
    counts, edges = np.histogram(values, bins=20)
    return SiteHistogram(edges=edges, counts=counts, stats={"mean": float(values.mean()), "std": 1.0,
                                                            "kurtosis": 0.0, "max_abs": 4.0, "frac_zero": 0.0,
                                                            "dead_frac": 0.25, "frac_outlier": 0.0})


@pytest.fixture
def panel(qtbot):
    p = HistogramsPanel(SITES, STAT_COLUMNS)
    qtbot.addWidget(p)
    data = {(layer, site): hist(layer * 3 + i) for layer in range(2) for i, site in enumerate(SITES)}
    p.set_histograms("demo", 2, data)
    return p


def test_widgets_import_no_torch_h5py_or_backend():
    # This process already has torch loaded (other tests), so check in a clean interpreter.
    code = (
        "import pkgutil, importlib, sys, lmscope.widgets\n"
        "for m in pkgutil.walk_packages(lmscope.widgets.__path__, 'lmscope.widgets.'):\n"
        "    importlib.import_module(m.name)\n"
        "bad = [n for n in sys.modules if n.split('.')[0] in ('torch', 'h5py')\n"
        "       or n.split('.')[:2] in (['lmscope', 'backend'], ['lmscope', 'sessions'], ['lmscope', 'gui'])]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_histogram_density_integrates_to_one(panel):
    x, y = panel.current_curve.getData()
    assert len(x) == 21 and len(y) == 20
    assert float(np.sum(y * np.diff(x))) == pytest.approx(1.0)
    assert panel.table.rowCount() == 2
    assert panel.table.item(1, 6).text() == "25.00 %"  # dead units column


def test_selection_emits_and_redraws(panel, qtbot):
    with qtbot.waitSignal(panel.selectionChanged) as signal:
        panel.layer_box.setCurrentIndex(1)
    assert signal.args == [1, "resid_pre"]
    x, _ = panel.current_curve.getData()
    assert x.mean() == pytest.approx(3.0, abs=0.5)  # layer 1's resid_pre is centred on 3
    with qtbot.waitSignal(panel.selectionChanged) as signal:
        panel.table.cellClicked.emit(1, 0)
    assert signal.args == [1, "mlp_post"]


def test_compare_reports_intent_and_draws_reference(panel, qtbot):
    panel.set_compare_options(["other model"])
    with qtbot.waitSignal(panel.compareChanged) as signal:
        panel.compare_box.setCurrentIndex(1)
    assert signal.args == [0]
    panel.set_reference("other model", {(0, "resid_pre"): hist(10.0)})
    x, _ = panel.reference_curve.getData()
    assert x.mean() == pytest.approx(10.0, abs=0.5)
    assert panel.table.rowCount() == 3 and "other model" in panel.table.item(1, 0).text()


def test_log_scale_has_no_infinities(panel):
    panel.log_box.setChecked(True)
    _, y = panel.current_curve.getData()
    assert np.all(np.isfinite(y))


def test_timeline_pixels_show_the_densest_cell(panel, qtbot):
    density = np.zeros((5, 10))
    density[3, 7] = 1.0  # snapshot 3, value bin 7
    timeline = Timeline(steps=np.arange(5) * 10.0, grid=np.linspace(0, 10, 11), density=density,
                        mean=np.full(5, 5.0), std=np.ones(5), label="run")
    panel.set_timeline(timeline)
    image = panel.timeline_image.image
    assert image.shape == (10, 5)  # row-major: value bins × snapshots
    assert np.unravel_index(np.argmax(image), image.shape) == (7, 3)
    panel.timeline_image.render()
    qimage = panel.timeline_image.qimage
    hot, cold = qimage.pixelColor(3, 7), qimage.pixelColor(0, 0)
    assert hot.red() > 200 and hot.green() > 200  # viridis top: yellow
    assert cold.red() < 100 and cold.blue() > 50  # viridis bottom: dark purple
    panel.set_timeline(None)
    assert "No training snapshots" in panel.timeline_note.text()


def test_training_panel_streams(qtbot):
    p = TrainingPanel()
    qtbot.addWidget(p)
    steps = np.arange(1, 51)
    p.set_history("run", steps, 5 - np.log(steps), np.full(50, 1e-3), np.array([0, 50]), np.array([5.0, 1.2]))
    p.set_status(50, 100, 1.09, 12345.0)
    assert len(p.train_curve.getData()[0]) == 50
    assert p.step_label.text() == "step 50 / 100" and "12,345" in p.speed_label.text()
    p.log_loss.setChecked(True)
    assert p.loss_plot.getPlotItem().ctrl.logYCheck.isChecked()


def test_stat_columns_are_derived_once_from_the_dataclass():
    # Format 1 sessions store exactly these columns in this order; a new field must bump the format.
    assert STAT_FIELDS == ("n", "mean", "std", "min", "max", "kurtosis", "frac_zero", "frac_outlier",
                           "frac_nonfinite", "dead_frac")
    assert all(hasattr(HistogramStats, name) or name in STAT_FIELDS for name, _, _ in STAT_COLUMNS)


def test_histograms_state_round_trips_and_refuses_hostile_values(panel):
    panel.set_state(HistogramsState(site="mlp_post", log_y=True, tab=1), layer=1)
    state = panel.state(compare_to=3)
    assert (state.site, state.log_y, state.tab, state.compare_to, panel.layer) == ("mlp_post", True, 1, 3, 1)
    assert HistogramsState.from_tree(state.to_tree()) == state
    from lmscope.widgets.state import StateError
    for bad in ({"tab": 7}, {"log_y": "yes"}, {"compare_to": float("inf")}, {"site": "x" * 10_000}, []):
        with pytest.raises(StateError):
            HistogramsState.from_tree(bad)


def test_a_plot_exports_alone_at_twice_its_size_and_copies_its_data(qtbot, tmp_path):
    from PySide6.QtGui import QImage
    from PySide6.QtWidgets import QApplication

    from lmscope.widgets.style import copy_plot_data, export_plot, make_plot_widget

    plot = make_plot_widget(left="loss", bottom="step")
    qtbot.addWidget(plot)
    plot.resize(400, 300)
    plot.show()
    plot.plot([1, 2, 3], [0.5, 0.25, 0.125], name="train")
    qtbot.waitExposed(plot)
    item = plot.getPlotItem()
    menu_texts = [a.text() for a in item.getViewBox().menu.actions()]
    assert "Copy data (TSV)" in menu_texts and "Export this plot as PNG (2×)…" in menu_texts
    text = copy_plot_data(item)
    assert text.splitlines() == ["train x\ttrain y", "1\t0.5", "2\t0.25", "3\t0.125"]
    assert QApplication.clipboard().text() == text
    png = export_plot(item, str(tmp_path / "p.png"))
    image = QImage(png)
    assert abs(image.width() - 2 * item.sceneBoundingRect().width()) <= 2
    svg = export_plot(item, str(tmp_path / "p.svg"))
    assert "<svg" in open(svg, encoding="utf-8").read()
