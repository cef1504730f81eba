"""Load over training: for the selected layer, load per expert at every snapshot (a collapse shows as one bright
row), the auxiliary-loss-free bias when the run used it, and MaxVio of every layer over steps — beside the same
pictures of a second run, to compare (say) training with and without balancing."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSplitter, QVBoxLayout, QWidget

from lmscope.widgets.colorbar import ColorBar, HoverReadout, reserve_colorbar_space
from lmscope.widgets.moe.data import LoadTimeline
from lmscope.widgets.style import CURVE_PENS, fmt, make_plot_widget


def _step_rect(steps: np.ndarray) -> tuple[float, float]:
    """Left edge and width of an image whose columns are centred on ``steps`` (spaced evenly or not)."""
    x0, x1 = float(steps[0]), float(steps[-1])
    width = max(1.0, x1 - x0) * (len(steps) / max(1, len(steps) - 1))
    return x0 - width / len(steps) / 2, width


class RunView(QWidget):
    """One run: load heatmap (experts × snapshot steps) of a layer, the bias heatmap, MaxVio curves."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.note = QLabel(self.tr("No training snapshots yet."))
        self.note.setWordWrap(True)
        self.load_plot = make_plot_widget(left=self.tr("expert"), bottom=self.tr("training step"))
        self.load_image = pg.ImageItem(axisOrder="row-major")
        self.load_plot.addItem(self.load_image)
        self.load_bar = ColorBar(self.load_image, "magma", self.tr("load"), plot=self.load_plot)
        self.bias_plot = make_plot_widget(left=self.tr("expert (bias)"), bottom=self.tr("training step"))
        self.bias_image = pg.ImageItem(axisOrder="row-major")
        self.bias_plot.addItem(self.bias_image)
        # diverging: blue lowered, white 0, red raised
        self.bias_bar = ColorBar(self.bias_image, "CET-D1", self.tr("bias"), plot=self.bias_plot)
        self.hover_label = QLabel(" ")
        self.readouts = [HoverReadout(self.load_image, self.hover_label, self._describe_load),
                         HoverReadout(self.bias_image, self.hover_label, self._describe_bias)]
        self.bias_plot.setXLink(self.load_plot)
        self.vio_plot = make_plot_widget(left="MaxVio", bottom=self.tr("training step"))
        self.vio_plot.addLegend(offset=(-10, 10))
        self.vio_plot.setXLink(self.load_plot)
        reserve_colorbar_space(self.vio_plot)  # its steps line up with the heatmaps' above
        self.vio_curves: list[pg.PlotDataItem] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.note)
        layout.addWidget(self.load_plot, 3)
        layout.addWidget(self.bias_plot, 2)
        layout.addWidget(self.vio_plot, 2)
        layout.addWidget(self.hover_label)
        self.timeline: LoadTimeline | None = None
        self.row = 0

    def set_timeline(self, timeline: LoadTimeline | None, row: int) -> None:
        self.timeline = timeline
        for curve in self.vio_curves:
            self.vio_plot.removeItem(curve)
        self.vio_curves = []
        self.vio_plot.getPlotItem().legend.clear()
        if timeline is None or len(timeline.steps) == 0:
            self.load_image.clear()
            self.bias_image.clear()
            self.bias_plot.setVisible(False)
            self.note.setText(self.tr("No MoE load recorded for this run."))
            return
        row = min(max(row, 0), len(timeline.layers) - 1)
        vio = timeline.max_violation
        for i, layer in enumerate(timeline.layers):
            pen = pg.mkPen(CURVE_PENS[i % len(CURVE_PENS)].color(), width=2.5 if i == row else 1)
            curve = self.vio_plot.plot(timeline.steps, vio[:, i], pen=pen, name=f"L{layer}")
            self.vio_curves.append(curve)
        self.set_row(row)

    def set_row(self, row: int) -> None:
        timeline = self.timeline
        if timeline is None or len(timeline.steps) == 0:
            return
        row = min(max(row, 0), len(timeline.layers) - 1)
        self.row = row
        e = timeline.load.shape[-1]
        x0, width = _step_rect(np.asarray(timeline.steps, float))
        load = np.ascontiguousarray(timeline.load[:, row, :].T, dtype=np.float32)  # (E, S)
        self.load_image.setImage(load, autoLevels=False, levels=(0.0, max(float(load.max()), 1e-9)))
        self.load_image.setRect(x0, 0, width, e)
        has_bias = timeline.bias is not None
        self.bias_plot.setVisible(has_bias)
        if has_bias:
            bias = np.ascontiguousarray(timeline.bias[:, row, :].T, dtype=np.float32)
            span = max(float(np.abs(bias).max()), 1e-9)
            self.bias_image.setImage(bias, autoLevels=False, levels=(-span, span))
            self.bias_image.setRect(x0, 0, width, e)
            self.bias_plot.autoRange()
        for i, curve in enumerate(self.vio_curves):
            curve.setPen(pg.mkPen(CURVE_PENS[i % len(CURVE_PENS)].color(), width=2.5 if i == row else 1))
        last = timeline.load[-1, row]
        self.note.setText(
            self.tr("{label} · layer {layer}: load per expert at {n} snapshots (steps {first}–{last}); now max "
                    "{max:.3f} vs ideal {ideal:.3f}, MaxVio {vio:.3f}").format(
                label=timeline.label or self.tr("training"), layer=timeline.layers[row], n=len(timeline.steps),
                first=int(timeline.steps[0]), last=int(timeline.steps[-1]), max=last.max(), ideal=1 / e,
                vio=e * last.max() - 1)
            + (self.tr(" · bias: aux-loss-free balancing (red = raised, blue = lowered)") if has_bias else ""))
        self.load_plot.autoRange()


    def _describe_load(self, row: int, col: int, value: float) -> str:
        return self.tr("layer {0} · step {1} · expert {2}: load {3}").format(
            self.timeline.layers[self.row], int(self.timeline.steps[col]), row, fmt(value))

    def _describe_bias(self, row: int, col: int, value: float) -> str:
        return self.tr("layer {0} · step {1} · expert {2}: selection bias {3}").format(
            self.timeline.layers[self.row], int(self.timeline.steps[col]), row, fmt(value))


class OverTrainingView(QWidget):
    """The current run beside a run chosen to compare with."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.compare_box = QComboBox()
        self.compare_box.addItem(self.tr("— none —"), -1)
        self.compare_box.setMinimumContentsLength(18)
        self.current = RunView()
        self.other = RunView()
        self.other.setVisible(False)
        row = QHBoxLayout()
        row.addWidget(QLabel(self.tr("Compare with run")))
        row.addWidget(self.compare_box)
        row.addStretch(1)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.current)
        split.addWidget(self.other)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(split, 1)
        self.compare_box.currentIndexChanged.connect(self._on_compare)
        self._runs: list[LoadTimeline] = []
        self.row = 0

    def set_runs(self, current: LoadTimeline | None, others: list[LoadTimeline], compare: str = "") -> None:
        """The current run and earlier runs to compare with; ``compare`` is the label to select (if present)."""
        self._runs = list(others)
        self.current.set_timeline(current, self.row)
        self.compare_box.blockSignals(True)
        self.compare_box.clear()
        self.compare_box.addItem(self.tr("— none —"), -1)
        self.compare_box.addItems([run.label for run in others])
        labels = [run.label for run in others]
        self.compare_box.setCurrentIndex(labels.index(compare) + 1 if compare in labels else 0)
        self.compare_box.blockSignals(False)
        self._on_compare(self.compare_box.currentIndex())

    def compared(self) -> str:
        index = self.compare_box.currentIndex() - 1
        return self._runs[index].label if 0 <= index < len(self._runs) else ""

    def set_row(self, row: int) -> None:
        self.row = row
        self.current.set_row(row)
        self.other.set_row(row)

    def _on_compare(self, index: int) -> None:
        run = self._runs[index - 1] if 0 < index <= len(self._runs) else None
        self.other.setVisible(run is not None)
        self.other.set_timeline(run, self.row)
