"""Head ablation (zero or mean, re-run, top-k before/after) and token-by-token generation: the KV cache growing row
by row, the new query row's attention at each step, and the top 10 of the next-token distribution. Every step is
kept: the step slider scrubs back through them (the cache as it was after that step, and that step's distribution)."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDoubleSpinBox, QGroupBox, QHBoxLayout, QLabel, QListWidget, QPushButton, QSlider,
    QSpinBox, QSplitter, QVBoxLayout, QWidget,
)

from lmscope.widgets.attention.heatmap import display_token
from lmscope.widgets.attention.masks import TopKTable
from lmscope.widgets.attention.state import ABLATION_MODES, STRATEGIES, GenerationState
from lmscope.widgets.state import field_range
from lmscope.widgets.colorbar import ColorBar, HoverReadout
from lmscope.widgets.glossary import GENERATION, explain
from lmscope.widgets.style import PALETTE, cjk_font, fmt, make_plot_widget
from lmscope.widgets.terms import add_choices, current_key, set_key


class AblationView(QGroupBox):
    addSelectedRequested = Signal()
    removeRequested = Signal(int)
    runRequested = Signal()
    modeChanged = Signal(str)  # "zero" or "mean"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Head ablation"), parent)
        self.heads = QListWidget()
        self.heads.setMaximumWidth(110)
        self.add_button = QPushButton(self.tr("Add selected head"))
        self.remove_button = QPushButton(self.tr("Remove"))
        self.mode_box = QComboBox()
        add_choices(self.mode_box, ABLATION_MODES)
        self.mode_box.setToolTip(self.tr("zero: z = 0; mean: z = the head's mean z over the prompt's positions"))
        self.run_button = QPushButton(self.tr("Re-run with ablation"))
        self.result = QLabel(self.tr("Pick heads, then re-run: the next-token distribution at the selected position "
                             "is compared before and after."))
        self.result.setWordWrap(True)
        self.result.setFont(cjk_font(10))
        self.table = TopKTable()
        buttons = QHBoxLayout()
        for widget in (self.add_button, self.remove_button, QLabel(self.tr("mode")), self.mode_box, self.run_button):
            buttons.addWidget(widget)
        body = QHBoxLayout()
        body.addWidget(self.heads)
        body.addWidget(self.table, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.result)
        layout.addLayout(body, 1)
        self.add_button.clicked.connect(self.addSelectedRequested)
        self.remove_button.clicked.connect(lambda: self.removeRequested.emit(self.heads.currentRow()))
        self.run_button.clicked.connect(self.runRequested)
        self.mode_box.currentIndexChanged.connect(lambda _: self.modeChanged.emit(self.mode))

    @property
    def mode(self) -> str:
        return current_key(self.mode_box)

    def set_mode(self, mode: str) -> None:
        set_key(self.mode_box, mode)

    def set_heads(self, labels: list[str]) -> None:
        """The heads the binding will ablate, as "L3H1"."""
        self.heads.clear()
        self.heads.addItems(labels)

    def set_result(self, title: str, before: list[tuple[str, float]], after: list[tuple[str, float]]) -> None:
        self.result.setText(title)
        self.table.set_rows(before, after)


class GenerationView(QGroupBox):
    generateRequested = Signal()
    stepChanged = Signal(int)  # the generated step shown, 1-based

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Generation (KV cache)"), parent)
        self.strategy = QComboBox()
        add_choices(self.strategy, STRATEGIES)
        self.temperature = QDoubleSpinBox()
        self.top_k, self.steps, self.seed = QSpinBox(), QSpinBox(), QSpinBox()
        for name, box in self._boxes():
            box.setRange(*field_range(GenerationState, name))
        self.set_state(GenerationState())
        self.ablation_box = QCheckBox(self.tr("with ablation"))
        self.generate_button = QPushButton(self.tr("Generate"))
        controls = QHBoxLayout()
        for label, widget in (("", self.strategy), ("T", self.temperature), ("k", self.top_k),
                              (self.tr("tokens"), self.steps), (self.tr("seed"), self.seed)):
            if label:
                controls.addWidget(QLabel(label))
            controls.addWidget(widget)
        controls.addWidget(self.ablation_box)
        controls.addWidget(self.generate_button)
        self.step_slider = QSlider(Qt.Orientation.Horizontal)
        self.step_slider.setRange(1, 1)
        self.step_slider.setEnabled(False)
        self.step_slider.setToolTip(self.tr("Scrub back through the generated steps: the K cache after that step, "
                                            "its new query row and the distribution its token was drawn from."))
        self.step_label = QLabel(self.tr("step —"))
        scrub = QHBoxLayout()
        scrub.addWidget(QLabel(self.tr("step")))
        scrub.addWidget(self.step_slider, 1)
        scrub.addWidget(self.step_label)
        self.text = QLabel("")
        self.text.setWordWrap(True)
        self.text.setFont(cjk_font(11))
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.cache_plot = make_plot_widget(left=self.tr("cache position"), bottom=self.tr("key dimension"))
        self.cache_plot.getPlotItem().invertY(True)
        self.cache_image = pg.ImageItem(axisOrder="row-major")
        self.cache_plot.addItem(self.cache_image)
        self.cache_bar = ColorBar(self.cache_image, "CET-L1", plot=self.cache_plot)
        self.query_plot = make_plot_widget(left=self.tr("step"), bottom=self.tr("key position"))
        self.query_plot.getPlotItem().invertY(True)
        self.query_image = pg.ImageItem(axisOrder="row-major")
        self.query_plot.addItem(self.query_image)
        self.query_bar = ColorBar(self.query_image, "viridis", plot=self.query_plot)
        self.hover_label = QLabel(" ")
        self.readouts = [
            HoverReadout(self.cache_image, self.hover_label, lambda r, c, v: self.tr(
                "K cache row {0}, dimension {1}: {2}").format(r, c, fmt(v))),
            HoverReadout(self.query_image, self.hover_label, lambda r, c, v: self.tr(
                "step {0}, key {1}: weight {2}").format(r, c, fmt(v)))]
        self.top_plot = make_plot_widget(left="p")
        self.top_plot.getPlotItem().getAxis("bottom").setStyle(tickFont=cjk_font(10))
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.7, brush=PALETTE[0])
        self.top_plot.addItem(self.bars)
        self.title = QLabel("")
        self.title.setWordWrap(True)
        split = QSplitter(Qt.Orientation.Horizontal)
        for widget in (self.cache_plot, self.query_plot, self.top_plot):
            split.addWidget(widget)
        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addLayout(scrub)
        layout.addWidget(self.text)
        layout.addWidget(self.title)
        layout.addWidget(split, 1)
        layout.addWidget(self.hover_label)
        self.generate_button.clicked.connect(self.generateRequested)
        self.step_slider.valueChanged.connect(self.stepChanged)
        explain(self, GENERATION)

    @property
    def selected_step(self) -> int:
        """The generated step shown (1-based)."""
        return self.step_slider.value()

    def set_step_count(self, n: int) -> None:
        """``n`` steps exist; a slider at the last step follows the new last one, one scrubbed back stays."""
        following = self.step_slider.value() == self.step_slider.maximum()
        self.step_slider.blockSignals(True)
        self.step_slider.setRange(1, max(1, n))
        if following or n == 0:
            self.step_slider.setValue(max(1, n))
        self.step_slider.blockSignals(False)
        self.step_slider.setEnabled(n > 1)

    def select_step(self, step: int) -> None:
        self.step_slider.setValue(step)

    def _boxes(self) -> tuple[tuple[str, QSpinBox | QDoubleSpinBox], ...]:
        return (("temperature", self.temperature), ("top_k", self.top_k), ("steps", self.steps), ("seed", self.seed))

    def state(self) -> GenerationState:
        return GenerationState(strategy=current_key(self.strategy), temperature=self.temperature.value(),
                               top_k=self.top_k.value(), steps=self.steps.value(), seed=self.seed.value())

    def set_state(self, state: GenerationState) -> None:
        set_key(self.strategy, state.strategy)
        for name, box in self._boxes():
            box.setValue(getattr(state, name))

    @property
    def with_ablation(self) -> bool:
        """Generate with the ablation spec applied (not saved in sessions)."""
        return self.ablation_box.isChecked()

    def show_generation(self, prompt: str, generated: list[str], keys: np.ndarray, query_rows: np.ndarray,
                        top: list[tuple[str, float]], title: str) -> None:
        """``keys`` (cache positions, d_head) of one layer/kv head; ``query_rows`` (steps, max positions) the new
        query row's weights at each step (NaN beyond the cache); ``top`` the latest next-token top 10."""
        tail = prompt[-60:]
        new = "".join(generated)
        self.text.setText(self.tr("<span style='color:#9a9a9a'>…{value}</span><b style='color:#E69F00'>{value2}</b>")
                          .format(value=_html(tail), value2=_html(new)))
        self.title.setText(self.tr("{title}: K cache has {value} rows; each step appends one and computes only the new "
                                   "query row.")
                           .format(title=title, value=keys.shape[0]))
        self.cache_plot.setTitle(self.tr("K cache ({value} rows)").format(value=keys.shape[0]))
        if keys.size:
            lim = float(np.abs(keys).max()) or 1.0
            self.cache_image.setImage(np.ascontiguousarray(keys, dtype=np.float32), autoLevels=False,
                                      levels=(-lim, lim))
            self.cache_plot.getPlotItem().getViewBox().autoRange(padding=0.02)
        self.query_plot.setTitle(self.tr("new query row's attention"))
        if query_rows.size:
            self.query_image.setImage(np.ascontiguousarray(query_rows, dtype=np.float32), autoLevels=False,
                                      levels=(0.0, 1.0))
            self.query_plot.getPlotItem().getViewBox().autoRange(padding=0.02)
        self.step_label.setText(self.tr("{0} of {1}").format(len(generated), self.step_slider.maximum()))
        self.top_plot.setTitle(self.tr("next token, step {value}").format(value=len(generated)))
        self.bars.setOpts(x=np.arange(len(top)), height=[p for _, p in top], width=0.7)
        self.top_plot.getPlotItem().getAxis("bottom").setTicks(
            [[(i, display_token(t)) for i, (t, _) in enumerate(top)]])
        self.top_plot.getPlotItem().getViewBox().setRange(xRange=(-0.6, max(1, len(top)) - 0.4), yRange=(0, 1))


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\n", "⏎")


class InterventionsView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ablation = AblationView()
        self.generation = GenerationView()
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.ablation)
        split.addWidget(self.generation)
        split.setSizes([300, 400])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(split)
