"""The FlashAttention panel on plain data, with qtbot: playback intent, the highlighted tile, pixels, counters."""
from __future__ import annotations

import time

import numpy as np
import pytest
from PySide6.QtCore import QPointF
from PySide6.QtGui import QColor

from lmscope.widgets.flashsim.panel import CURRENT, FlashCurves, FlashFrame, FlashSetup, FlashSimPanel, block_of
from lmscope.widgets.flashsim.state import FlashSimState

N, BR, BC = 8, 2, 2  # 4 × 4 tiles


def fa1_order(causal: bool) -> np.ndarray:
    """FA1 visits K/V blocks j in the outer loop and Q blocks i inside; causal skips tiles above the diagonal."""
    tile_step = np.full((4, 4), -1)
    step = 0
    for j in range(4):
        for i in range(j if causal else 0, 4):
            tile_step[i, j] = step
            step += 1
    return tile_step


def make_setup(causal: bool = False) -> FlashSetup:
    return FlashSetup(algo="fa1", n=N, d=4, m=32, br=BR, bc=BC, causal=causal, tile_step=fa1_order(causal),
                      dtype_bytes=4, reads=1234, writes=567, standard_reads=2000, standard_writes=1500,
                      peak_sram=40, source="test input")


def make_frame(setup: FlashSetup, step: int) -> FlashFrame:
    """The frame after ``step`` tiles, with made-up but well-formed numbers."""
    tile = None if step == 0 else tuple(int(a[0]) for a in np.nonzero(setup.tile_step == step - 1))
    m = np.full(N, -np.inf)
    if tile is not None:
        m[: (tile[0] + 1) * BR] = 1.5
    scores = None if tile is None else np.array([[0.5, -np.inf], [0.25, 1.0]])
    parts = () if tile is None else (("Q", "Qᵢ", 8), ("O", "Oᵢ", 8), ("K", "Kⱼ", 8), ("V", "Vⱼ", 8),
                                     ("S", "S/P̃", 4), ("vec", "m, ℓ", 4))
    return FlashFrame(step=step, tile=tile, m=m, l=np.full(N, float(step)), error=np.full(N, 10.0 ** -step),
                      scores=scores, sram_parts=parts, peak_sram=40 if step else 0, hbm_reads=100 * step,
                      hbm_writes=10 * step, transfers=f"step {step}")




@pytest.fixture
def panel(qtbot):
    p = FlashSimPanel(max_n=1024)
    qtbot.addWidget(p)
    p.resize(900, 900)
    p.show()
    setup = make_setup()
    p.set_setup(setup)
    p.set_frame(make_frame(setup, 0))
    return p


def test_step_buttons_report_intent(panel, qtbot):
    with qtbot.waitSignal(panel.stepRequested) as signal:
        panel.step_button.click()
    assert signal.args == [1]
    assert not panel.back_button.isEnabled()  # nothing to undo at step 0
    panel.set_frame(make_frame(panel._setup, 5))
    with qtbot.waitSignal(panel.stepRequested) as signal:
        panel.back_button.click()
    assert signal.args == [-1]
    with qtbot.waitSignal(panel.seekRequested) as signal:
        panel.end_button.click()
    assert signal.args == [16]
    with qtbot.waitSignal(panel.seekRequested) as signal:
        panel.reset_button.click()
    assert signal.args == [0]
    with qtbot.waitSignal(panel.seekRequested) as signal:
        panel.slider.setValue(7)
    assert signal.args == [7]
    assert panel.step_label.text() == "step 5 / 16"


class FakeClock:
    """Stands in for the panel's QElapsedTimer, so which steps a tick asks for does not depend on machine load."""

    def __init__(self) -> None:
        self.ms = 0

    def start(self) -> None:
        self.ms = 0

    def elapsed(self) -> int:
        return self.ms


def test_play_ticks_steps_and_pause_stops(panel, qtbot):
    panel.speed_box.setCurrentIndex(panel.speed_box.findData(30))
    real_clock, panel._clock = panel._clock, FakeClock()
    with qtbot.waitSignal(panel.playingChanged) as signal:
        panel.play_button.click()
    assert signal.args == [True] and panel.playing and panel.pause_button.isEnabled()
    panel._clock.ms = 40  # 1.2 steps are due at 30 steps a second
    with qtbot.waitSignal(panel.stepRequested, timeout=2000) as signal:
        pass
    assert signal.args == [1]
    panel._clock.ms = 110  # a late tick catches up: 3.3 due, 1 asked for already
    with qtbot.waitSignal(panel.stepRequested, timeout=2000) as signal:
        pass
    assert signal.args == [2]
    panel._clock = real_clock
    with qtbot.waitSignal(panel.playingChanged) as signal:
        panel.pause_button.click()
    assert signal.args == [False] and not panel.playing
    panel.speed_box.setCurrentIndex(panel.speed_box.findData(240))
    steps: list[int] = []
    panel.stepRequested.connect(steps.append)
    start = time.perf_counter()
    panel.play()
    assert panel._timer.interval() == 16  # ~60 ticks a second, each asking for the steps that are due
    qtbot.waitUntil(lambda: sum(steps) >= 60, timeout=3000)
    assert time.perf_counter() - start >= 60 / 240 - 0.02  # never faster than the chosen speed
    assert max(steps) >= 2  # 240 steps a second take several steps per tick
    with qtbot.waitSignal(panel.playingChanged) as signal:
        panel.set_frame(make_frame(panel._setup, 16))  # the last step stops playback by itself
    assert signal.args == [False] and not panel.step_button.isEnabled()


def test_play_at_the_end_replays_from_the_start(panel, qtbot):
    panel.set_frame(make_frame(panel._setup, 16))
    with qtbot.waitSignal(panel.seekRequested) as signal:
        panel.play()
    assert signal.args == [0]
    panel.pause()


def test_current_tile_is_outlined_and_painted(panel, qtbot):
    setup = panel._setup
    panel.set_frame(make_frame(setup, 7))  # the 7th tile is (i=2, j=1): FA1 sweeps i inside j
    view = panel.hbm_view
    outline = view.outlines[0].rect()
    sx, sy = view._origin["S"]
    assert (outline.x() - sx, outline.y() - sy, outline.width(), outline.height()) == pytest.approx((2, 4, 2, 2))
    assert panel.row_plots.regions[0].getRegion() == (4, 6)  # the m/ℓ/error bars highlight Q block 2's rows
    image = view.grab().toImage()

    def color_at(i: int, j: int) -> QColor:
        x, y = view.tile_center(i, j)
        point = view.mapFromScene(QPointF(x, y))
        return image.pixelColor(point.x(), point.y())

    current, expected = color_at(2, 1), QColor(CURRENT)
    assert abs(current.red() - expected.red()) < 8 and abs(current.green() - expected.green()) < 8
    assert abs(current.blue() - expected.blue()) < 8
    visited, todo = color_at(0, 0), color_at(0, 3)
    assert visited.red() > 120 and visited.red() > visited.blue()  # orange family, faded
    assert todo.blue() > todo.red()  # not yet visited: dark slate blue


def test_causal_skipped_tiles_are_grey(qtbot):
    p = FlashSimPanel()
    qtbot.addWidget(p)
    p.resize(800, 800)
    p.show()
    setup = make_setup(causal=True)
    p.set_setup(setup)
    assert setup.total_steps == 10
    p.set_frame(make_frame(setup, 3))
    codes = p.hbm_view.tiles.image
    rows, cols = block_of(N, BR, N), block_of(N, BC, N)
    tile_codes = codes[np.searchsorted(rows, np.arange(4)), :][:, np.searchsorted(cols, np.arange(4))]
    assert tile_codes[0, 3] == 1 and tile_codes[1, 2] == 1  # above the diagonal: skipped
    assert tile_codes[2, 0] == 2  # step 3 is tile (2, 0)
    assert tile_codes[3, 0] == 0 and tile_codes[0, 0] >= 3
    assert "skipped (causal)" in p.hbm_caption.text()


def test_counters_and_sram(panel):
    setup = panel._setup
    panel.set_frame(make_frame(setup, 3))
    so_far = [label.text() for label in panel.counter_labels["so_far"][1:]]
    assert so_far == ["300", "30", "330", "1.29 KiB"]  # 330 elements × 4 bytes
    assert [c.text() for c in panel.counter_labels["whole"][1:4]] == ["1,234", "567", "1,801"]
    assert [c.text() for c in panel.counter_labels["standard"][1:4]] == ["2,000", "1,500", "3,500"]
    assert panel.ratio_label.text().startswith("standard / FA1 = 1.94×")
    assert panel.error_label.text() == "max |O − exact| = 1.00e-03"
    assert "= <b>40</b> of M = 32" in panel.sram_legend.text() and "over M" in panel.sram_legend.text()
    assert panel.sram_view.overflow.isVisible()
    assert panel.transfers_label.text() == "step 3"
    masked = panel.sram_view.scores.image
    assert np.isnan(masked[0, 1]) and masked[1, 1] == 1.0  # masked score shows the grey hatch through


def test_state_bars_leave_gaps_for_unvisited_rows(panel):
    panel.set_frame(make_frame(panel._setup, 1))  # tile (0, 0): rows 0–1 have m, the rest −∞
    _, m = panel.row_plots.bars[0].getData()
    assert np.all(m[:2] == 1.5) and np.all(np.isnan(m[2:]))
    _, error = panel.row_plots.bars[2].getData()
    assert np.all(np.isfinite(error))


def test_settings_round_trip_and_report(panel, qtbot):
    settings = FlashSimState(algo="fa2", n=128, d=32, sram_bytes=4096, dtype="fp16", br=8, bc=0, causal=True,
                             seed=3, source="random")
    with qtbot.assertNotEmitted(panel.settingsChanged):
        panel.set_state(settings)
    assert panel.state() == settings
    with qtbot.waitSignal(panel.settingsChanged) as signal:
        panel.algo_buttons.button(0).click()
    assert signal.args[0] == settings.replace(algo="fa1")
    panel.set_sources([("random", "random Q, K, V"), ("head:0:1", "layer 0 · head 1")])
    panel.set_state(settings.replace(source="head", layer=0, head=1), shape_locked=True)
    assert not panel.n_spin.isEnabled() and not panel.seed_spin.isEnabled()
    assert panel.state().source_key == "head:0:1"


def test_curves_mark_the_current_setting(panel):
    x = np.array([32.0, 64.0, 128.0])
    curves = FlashCurves(vs_m={"standard": (x, np.full(3, 5e4)), "fa1": (x, 1e6 / x), "fa2": (x, 5e5 / x)},
                         vs_n={"standard": (x, x**2), "fa1": (x, x**2 / 2), "fa2": (x, x**2 / 3)},
                         current_m=(64.0, 1e6 / 64), current_n=(64.0, 64.0**2 / 2))
    panel.set_curves(curves)
    mx, my = panel.curves.markers["m"].xData, panel.curves.markers["m"].yData  # data, not log-mapped
    assert mx[0] == 64.0 and my[0] == pytest.approx(15625.0)
    assert panel.curves.plots["m"].getPlotItem().ctrl.logXCheck.isChecked()
