"""FlashAttention tile simulator panel: HBM and SRAM side by side, the running softmax state, traffic counters.

The panel draws plain data (:class:`FlashSetup` once per run, :class:`FlashFrame` per step, :class:`FlashCurves`),
shows and edits its settings as a :class:`FlashSimState` (``state()`` / ``set_state``), and reports intent through
signals: new settings, step by a delta, seek to a step. Playback is a QTimer here on the GUI thread; it only asks
for steps, the binding (gui/panels/flashsim.py) owns the run and answers.
"""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import QElapsedTimer, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QButtonGroup, QCheckBox, QComboBox, QFrame, QGridLayout, QHBoxLayout, QLabel, QPushButton, QScrollArea,
    QSlider, QSpinBox, QSplitter, QTabWidget, QToolButton, QVBoxLayout, QWidget,
)

from lmscope.widgets.flashsim.views import (  # noqa: F401 - re-exported for the binding and tests
    BACKGROUND, COLORS, CURRENT, CURVE_COLORS, CURVE_NAMES, ERROR_FLOOR, MAX_PIXELS, SPEEDS, TICK_MS, FlashCurves,
    FlashFrame, FlashSetup, HbmView, SramView, block_of,
)
from lmscope.widgets.flashsim.plots import RowStatePlots, TrafficCurves
from lmscope.widgets.flashsim.state import MAX_D, MAX_N, MAX_SEED, MAX_SRAM_BYTES, FlashSimState
from lmscope.widgets.keys import panel_keys
from lmscope.widgets.style import value_label
from lmscope.widgets.glossary import FLASH, explain


class FlashSimPanel(QWidget):
    """Settings, playback, the HBM/SRAM picture, counters, and the softmax state and traffic curves in tabs."""

    settingsChanged = Signal(object)  # a FlashSimState: every setting the controls show (see state())
    stepRequested = Signal(int)  # move by this many steps (negative = back)
    seekRequested = Signal(int)  # go to this step
    playingChanged = Signal(bool)

    def __init__(self, max_n: int = MAX_N, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._setup: FlashSetup | None = None
        self._frame_step = 0
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._tick)
        self._clock = QElapsedTimer()
        self._played = 0  # steps asked for since the clock started
        self._build_settings(max_n)
        self._build_playback()
        self._build_views()
        # The pictures scroll below the fixed controls when the dock is small, rather than crushing each other.
        self._splitter.setMinimumSize(700, 720)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self._splitter)
        # Playback keys work while the focus is in the playback row or the pictures, not in the settings (where
        # Space ticks a check box and the arrows change a number).
        self.player = QWidget()
        player = QVBoxLayout(self.player)
        player.setContentsMargins(0, 0, 0, 0)
        player.addLayout(self._playback_row)
        player.addWidget(scroll, 1)
        self.key_actions = panel_keys(self.player, (
            (self.tr("Play / pause"), "Space", self.toggle_play),
            (self.tr("Step back"), "Left", lambda: self.stepRequested.emit(-1)),
            (self.tr("Step"), "Right", lambda: self.stepRequested.emit(1)),
            (self.tr("To step 0"), "Home", lambda: self.seekRequested.emit(0)),
            (self.tr("To the last step"), "End", lambda: self.seekRequested.emit(self._total()))),
            self.tr("playback and pictures"))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.message_label)
        layout.addLayout(self._settings_grid)
        layout.addWidget(self.player, 1)
        explain(self, FLASH)

    # --- construction --------------------------------------------------------------------------------------
    def _spin(self, low: int, high: int, value: int, special: str = "") -> QSpinBox:
        spin = QSpinBox()
        spin.setRange(low, high)
        spin.setValue(value)
        spin.setKeyboardTracking(False)  # typing 1024 asks for one run, not for 1, 10, 102 and 1024
        if special:
            spin.setSpecialValueText(special)
        spin.valueChanged.connect(self._emit_settings)
        return spin

    def _build_settings(self, max_n: int) -> None:
        self.message_label = QLabel("")
        self.message_label.setWordWrap(True)
        self.algo_buttons = QButtonGroup(self)
        algo_row = QHBoxLayout()
        algo_row.setSpacing(0)
        for index, (key, text) in enumerate((("fa1", "FA1"), ("fa2", "FA2"))):
            button = QToolButton()
            button.setText(text)
            button.setCheckable(True)
            button.setChecked(index == 0)
            button.setProperty("algo", key)
            self.algo_buttons.addButton(button, index)
            algo_row.addWidget(button)
        self.algo_buttons.idClicked.connect(self._emit_settings)
        self.source_box = QComboBox()
        self.source_box.addItem(self.tr("random Q, K, V"), "random")
        self.source_box.currentIndexChanged.connect(self._emit_settings)
        self.seed_spin = self._spin(0, MAX_SEED, 0)
        self.causal_box = QCheckBox(self.tr("causal"))
        self.causal_box.toggled.connect(self._emit_settings)
        self.n_spin = self._spin(1, max_n, 64)
        self.n_spin.setToolTip(self.tr("The panel steps through at most N = {max_n}; `lmscope flashsim` takes any N.")
                               .format(max_n=max_n))
        self.d_spin = self._spin(1, MAX_D, 16)
        self.sram_spin = self._spin(1, MAX_SRAM_BYTES, 1024)
        self.sram_spin.setSuffix(" B")
        self.dtype_box = QComboBox()
        self.dtype_box.addItems([self.tr("fp16"), self.tr("fp32"), self.tr("fp64")])
        self.dtype_box.setCurrentText("fp32")
        self.dtype_box.currentIndexChanged.connect(self._emit_settings)
        self.m_label = value_label("M = 256")
        self.br_spin = self._spin(0, max_n, 0, self.tr("paper"))
        self.bc_spin = self._spin(0, max_n, 0, self.tr("paper"))
        grid = QGridLayout()
        cells = [[("", algo_row), (self.tr("Input"), self.source_box), (self.tr("seed"), self.seed_spin),
                  ("", self.causal_box)],
                 [("N", self.n_spin), ("d", self.d_spin), ("SRAM", self.sram_spin), ("", self.dtype_box),
                  ("", self.m_label), ("Br", self.br_spin), ("Bc", self.bc_spin)]]
        for row, items in enumerate(cells):
            column = 0
            for text, widget in items:
                if text:
                    grid.addWidget(QLabel(text), row, column, Qt.AlignmentFlag.AlignRight)
                    column += 1
                if isinstance(widget, QHBoxLayout):
                    grid.addLayout(widget, row, column)
                else:
                    grid.addWidget(widget, row, column, 1, 3 if widget is self.source_box else 1)
                column += 3 if widget is self.source_box else 1
        grid.setColumnStretch(grid.columnCount(), 1)
        self._settings_grid = grid

    def _build_playback(self) -> None:
        self.reset_button = QPushButton(self.tr("|◀ Start"))
        self.back_button = QPushButton(self.tr("◀ Step back"))
        self.play_button = QPushButton(self.tr("▶ Play"))
        self.pause_button = QPushButton(self.tr("❚❚ Pause"))
        self.step_button = QPushButton(self.tr("Step ▶"))
        self.end_button = QPushButton(self.tr("End ▶|"))
        self.reset_button.setToolTip(self.tr("Back to step 0"))
        self.end_button.setToolTip(self.tr("To the last step"))
        self.speed_box = QComboBox()
        for speed in SPEEDS:
            self.speed_box.addItem(self.tr("{speed} steps/s").format(speed=speed), speed)
        self.speed_box.setCurrentIndex(SPEEDS.index(8))
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 0)
        self.step_label = value_label(self.tr("step {step:,} / {total_steps:,}").format(step=0, total_steps=0))
        self.reset_button.clicked.connect(lambda: self.seekRequested.emit(0))
        self.end_button.clicked.connect(lambda: self.seekRequested.emit(self._total()))
        self.back_button.clicked.connect(lambda: self.stepRequested.emit(-1))
        self.step_button.clicked.connect(lambda: self.stepRequested.emit(1))
        self.play_button.clicked.connect(self.play)
        self.pause_button.clicked.connect(self.pause)
        self.speed_box.currentIndexChanged.connect(self._restart_clock)
        self.slider.valueChanged.connect(self._on_slider)
        buttons = QHBoxLayout()
        for widget in (self.reset_button, self.back_button, self.play_button, self.pause_button,
                       self.step_button, self.end_button, self.speed_box):
            buttons.addWidget(widget)
        buttons.addStretch(1)
        scrub = QHBoxLayout()  # a row of its own, so a narrow dock never squeezes the slider away
        scrub.addWidget(self.slider, 1)
        scrub.addWidget(self.step_label)
        self.pause_button.setEnabled(False)
        self._playback_row = QVBoxLayout()
        self._playback_row.addLayout(buttons)
        self._playback_row.addLayout(scrub)

    def _build_views(self) -> None:
        self.hbm_view = HbmView()
        self.sram_view = SramView()
        self.sram_legend = QLabel("")
        self.transfers_label = QLabel("")
        for label in (self.sram_legend, self.transfers_label):
            label.setWordWrap(True)
        sram = QWidget()
        column = QVBoxLayout(sram)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(QLabel(self.tr("<b>SRAM</b> (on chip, capacity M)")))
        column.addWidget(self.sram_view, 1)
        column.addWidget(self.sram_legend)
        column.addWidget(self.transfers_label)
        hbm = QWidget()
        column = QVBoxLayout(hbm)
        column.setContentsMargins(0, 0, 0, 0)
        self.hbm_caption = QLabel("")
        self.hbm_caption.setWordWrap(True)
        column.addWidget(QLabel(self.tr("<b>HBM</b> (off chip)")))
        column.addWidget(self.hbm_view, 1)
        column.addWidget(self.hbm_caption)
        memory = QSplitter(Qt.Orientation.Horizontal)
        memory.addWidget(hbm)
        memory.addWidget(sram)
        memory.setSizes([600, 400])
        self.tabs = QTabWidget()
        self.row_plots = RowStatePlots()
        self.curves = TrafficCurves()
        self.tabs.addTab(self.row_plots, self.tr("m, ℓ and error per row"))
        self.tabs.addTab(self.curves, self.tr("HBM traffic vs M and N"))
        self._splitter = QSplitter(Qt.Orientation.Vertical)
        self._splitter.addWidget(memory)
        self._splitter.addWidget(self._build_counters())
        self._splitter.addWidget(self.tabs)
        self._splitter.setSizes([400, 110, 390])
        for index, stretch in enumerate((3, 0, 2)):  # the HBM/SRAM picture grows first, the counters never
            self._splitter.setStretchFactor(index, stretch)
        self._splitter.setChildrenCollapsible(False)
        for view in (self.hbm_view, self.sram_view):
            view.setMinimumHeight(200)
        self.tabs.setMinimumHeight(240)

    def _build_counters(self) -> QWidget:
        box = QWidget()
        grid = QGridLayout(box)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setVerticalSpacing(1)
        for column, text in enumerate((self.tr("HBM accesses"), self.tr("reads"), self.tr("writes"), self.tr("total"),
                                       self.tr("bytes"))):
            header = QLabel(text)
            header.setStyleSheet("font-weight: bold")
            grid.addWidget(header, 0, column, Qt.AlignmentFlag.AlignRight)
        self.counter_labels: dict[str, list[QLabel]] = {}
        for row, key in enumerate(("so_far", "whole", "standard"), start=1):
            cells = [QLabel("")] + [value_label("—") for _ in range(4)]
            for column, cell in enumerate(cells):
                grid.addWidget(cell, row, column, Qt.AlignmentFlag.AlignRight)
            self.counter_labels[key] = cells
        self.ratio_label = QLabel("")
        self.error_label = value_label("")
        self.peak_label = value_label("")
        grid.addWidget(self.ratio_label, 4, 0, 1, 5)
        grid.addWidget(self.error_label, 5, 0, 1, 3)
        grid.addWidget(self.peak_label, 5, 3, 1, 2, Qt.AlignmentFlag.AlignRight)
        return box

    def sizeHint(self):  # noqa: N802 - Qt API
        hint = super().sizeHint()
        hint.setWidth(max(hint.width(), 760))
        hint.setHeight(max(hint.height(), 900))
        return hint

    # --- data in -------------------------------------------------------------------------------------------
    def set_sources(self, sources: list[tuple[str, str]]) -> None:
        """Input choices as (key, label); the first is always random Q, K, V."""
        current = self.source_box.currentData()
        self.source_box.blockSignals(True)
        self.source_box.clear()
        for key, label in sources:
            self.source_box.addItem(label, key)
        self.source_box.setCurrentIndex(max(0, self.source_box.findData(current)))
        self.source_box.blockSignals(False)

    def state(self) -> FlashSimState:
        """What the controls show, and the step on screen (Br/Bc = 0 means the paper's block size)."""
        shown = FlashSimState(
            algo=str(self.algo_buttons.checkedButton().property("algo")), n=self.n_spin.value(),
            d=self.d_spin.value(), sram_bytes=self.sram_spin.value(), dtype=self.dtype_box.currentText(),
            br=self.br_spin.value(), bc=self.bc_spin.value(), causal=self.causal_box.isChecked(),
            seed=self.seed_spin.value(), step=self._frame_step)
        return shown.with_source_key(str(self.source_box.currentData()))

    def set_state(self, state: FlashSimState, shape_locked: bool = False) -> None:
        """Show these settings without reporting them back; N and d are locked when a real head sets them. The
        step is shown by the next :meth:`set_frame`."""
        widgets = [self.algo_buttons, self.n_spin, self.d_spin, self.sram_spin, self.dtype_box, self.br_spin,
                   self.bc_spin, self.causal_box, self.seed_spin, self.source_box]
        for widget in widgets:
            widget.blockSignals(True)
        self.algo_buttons.button(0 if state.algo == "fa1" else 1).setChecked(True)
        for spin, value in ((self.n_spin, state.n), (self.d_spin, state.d), (self.sram_spin, state.sram_bytes),
                            (self.br_spin, state.br), (self.bc_spin, state.bc), (self.seed_spin, state.seed)):
            spin.setValue(value)
        self.dtype_box.setCurrentText(state.dtype)
        self.causal_box.setChecked(state.causal)
        self.source_box.setCurrentIndex(max(0, self.source_box.findData(state.source_key)))
        for widget in widgets:
            widget.blockSignals(False)
        self.n_spin.setEnabled(not shape_locked)
        self.d_spin.setEnabled(not shape_locked)
        self.seed_spin.setEnabled(state.random)

    @property
    def message(self) -> str:
        return self.message_label.text()

    def set_message(self, text: str, error: bool = False) -> None:
        self.message_label.setText(text)
        self.message_label.setStyleSheet("color: #ff6060;" if error else "")

    def set_setup(self, setup: FlashSetup) -> None:
        """A new run: redraw the geometry and the whole-pass counters; the frame follows with set_frame."""
        self._setup = setup
        self.hbm_view.set_setup(setup)
        self.sram_view.set_setup(setup)
        self.m_label.setText(self.tr("M = {m:,} el.").format(m=setup.m))
        tr, tc = setup.tile_step.shape
        caption = (self.tr("{source}. S = QKᵀ/√d in {tr} × {tc} tiles of Br × Bc = {br} × {bc}, never stored in HBM; "
                           "{steps:,} visited. {current} current · {visited} visited (fading) · {todo} to do · "
                           "{skipped} skipped (causal)") if setup.causal else
                   self.tr("{source}. S = QKᵀ/√d in {tr} × {tc} tiles of Br × Bc = {br} × {bc}, never stored in HBM; "
                           "{steps:,} visited. {current} current · {visited} visited (fading) · {todo} to do"))
        self.hbm_caption.setText(caption.format(
            source=setup.source, tr=tr, tc=tc, br=setup.br, bc=setup.bc, steps=setup.total_steps,
            current=f"<span style='color:{CURRENT}'>■</span>", visited=f"<span style='color:{COLORS['S']}'>■</span>",
            todo="<span style='color:#2a3a4a'>■</span>", skipped="<span style='color:#3a3a3a'>■</span>"))
        self.slider.blockSignals(True)
        self.slider.setRange(0, setup.total_steps)
        self.slider.blockSignals(False)
        name = setup.algo.upper()
        self.counter_labels["so_far"][0].setText(self.tr("<b>{name}</b> so far").format(name=name))
        self.counter_labels["whole"][0].setText(self.tr("{name} whole pass").format(name=name))
        self.counter_labels["standard"][0].setText(self.tr("standard attention"))
        self._set_counter("whole", setup.reads, setup.writes)
        self._set_counter("standard", setup.standard_reads, setup.standard_writes)
        ratio = (setup.standard_reads + setup.standard_writes) / max(1, setup.reads + setup.writes)
        if setup.algo == "fa1":  # docs/flashattention.md: FA1 moves less once M ≳ 3d² + 4d
            verdict = (self.tr("{name} moves fewer elements; it wins once M ≳ 3d² + 4d = {m:,}") if ratio >= 1
                       else self.tr("{name} moves more elements here; it wins once M ≳ 3d² + 4d = {m:,}"))
        else:
            verdict = self.tr("{name} moves fewer elements") if ratio >= 1 else self.tr("{name} moves more elements "
                                                                                        "here")
        verdict = verdict.format(name=name, m=3 * setup.d ** 2 + 4 * setup.d)
        self.ratio_label.setText(self.tr("standard / {name} = {ratio:.2f}×: {verdict}")
                                 .format(name=name, ratio=ratio, verdict=verdict))
        self.row_plots.set_setup(setup)

    def _set_counter(self, key: str, reads: int, writes: int) -> None:
        size = self._setup.dtype_bytes if self._setup else 1
        for cell, value in zip(self.counter_labels[key][1:], (reads, writes, reads + writes)):
            cell.setText(f"{value:,}")
        self.counter_labels[key][4].setText(_bytes(size * (reads + writes)))

    def set_curves(self, curves: FlashCurves) -> None:
        self.curves.set_curves(curves)

    def set_frame(self, frame: FlashFrame) -> None:
        """Draw the state after ``frame.step`` tiles; playback stops by itself at the last step."""
        setup = self._setup
        if setup is None:
            return
        self._frame_step = frame.step
        self.hbm_view.set_step(frame.step, frame.tile)
        self.sram_view.set_frame(frame, setup.m)
        self.row_plots.set_frame(frame, setup)
        self._set_counter("so_far", frame.hbm_reads, frame.hbm_writes)
        self.error_label.setText(self.tr("max |O − exact| = {value:.2e}").format(value=float(frame.error.max())))
        self.peak_label.setText(self.tr("peak SRAM {peak_sram:,} = {value:.2f} × M")
                                .format(peak_sram=frame.peak_sram, value=frame.peak_sram / setup.m))
        used = sum(p[2] for p in frame.sram_parts)
        self.sram_legend.setText(" · ".join(f"<span style='color:{COLORS[c]}'>■</span> {text} {size:,}"
                                            for c, text, size in frame.sram_parts)
                                 + self.tr(" = <b>{used:,}</b> of M = {m:,}").format(used=used, m=setup.m)
                                 + (" <span style='color:#ff6060'>" + self.tr("(over M: the paper's bound is O(M))")
                                    + "</span>"
                                    if used > setup.m else ""))
        self.transfers_label.setText(frame.transfers)
        self.step_label.setText(self.tr("step {step:,} / {total_steps:,}")
                                .format(step=frame.step, total_steps=setup.total_steps))
        self.slider.blockSignals(True)
        self.slider.setValue(frame.step)
        self.slider.blockSignals(False)
        self.back_button.setEnabled(frame.step > 0)
        self.step_button.setEnabled(frame.step < setup.total_steps)
        if frame.step >= setup.total_steps:
            self.pause()

    # --- playback ------------------------------------------------------------------------------------------
    @property
    def playing(self) -> bool:
        return self._timer.isActive()

    def _total(self) -> int:
        return self._setup.total_steps if self._setup else 0

    def play(self) -> None:
        if self._setup is None or self.playing:
            return
        if self._frame_step >= self._total():
            self.seekRequested.emit(0)  # Play at the end replays from the start
        self._restart_clock()
        self._timer.start()
        self.play_button.setEnabled(False)
        self.pause_button.setEnabled(True)
        self.playingChanged.emit(True)

    def toggle_play(self) -> None:
        self.pause() if self.playing else self.play()

    def pause(self) -> None:
        if not self.playing:
            return
        self._timer.stop()
        self.play_button.setEnabled(True)
        self.pause_button.setEnabled(False)
        self.playingChanged.emit(False)

    @property
    def speed(self) -> int:
        return int(self.speed_box.currentData())

    def _restart_clock(self) -> None:
        self._clock.start()
        self._played = 0

    def _tick(self) -> None:
        # Steps follow the clock, not the tick count: a late tick catches up instead of slowing playback, and
        # above 60 steps a second one tick moves several steps.
        due = int(self._clock.elapsed() * self.speed / 1000) - self._played
        if due > 0:
            self._played += due
            self.stepRequested.emit(due)

    def _on_slider(self, value: int) -> None:
        self.seekRequested.emit(value)

    def _emit_settings(self, *_: Any) -> None:
        self.settingsChanged.emit(self.state())


def _bytes(count: int) -> str:
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if count >= size:
            return f"{count / size:.2f} {unit}"
    return f"{count} B"

