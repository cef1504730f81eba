"""Training panel: loss and learning-rate curves streamed live, with step counter and throughput.

Fed plain arrays by gui/panels/training.py; keeps nothing but what it draws and its one setting, the loss scale
(:class:`TrainingState`). The snapshot with the lowest validation loss — the weights the trainer keeps — is marked
("best validation, step N"), so early stopping can be seen on the curve. With no history the plots are cleared and
say so, rather than keeping the previous run's axes.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from lmscope.widgets.state import PanelState
from lmscope.widgets.style import CURVE_PENS, make_plot_widget, value_label


@dataclass(frozen=True)
class TrainingState(PanelState):
    """Whether the loss is drawn on a log scale."""

    log_loss: bool = False


class TrainingPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.run_label = QLabel(self.tr("No training run yet: Model → Train new model…"))
        self.run_label.setObjectName("runLabel")
        self.step_label = value_label(self.tr("step —"))
        self.loss_label = value_label(self.tr("loss —"))
        self.speed_label = value_label(self.tr("— tok/s"))
        self.log_loss = QCheckBox(self.tr("log loss"))
        header = QHBoxLayout()
        header.addWidget(self.run_label, 1)
        for widget in (self.step_label, self.loss_label, self.speed_label, self.log_loss):
            header.addWidget(widget)

        self.loss_plot = make_plot_widget(left=self.tr("loss (nats)"), bottom=self.tr("step"))
        self.loss_plot.addLegend(offset=(-10, 10))
        self.train_curve = self.loss_plot.plot(name=self.tr("train (batch)"), pen=CURVE_PENS[0])
        self.train_curve.setDownsampling(auto=True, method="peak")
        self.train_curve.setClipToView(True)
        self.val_curve = self.loss_plot.plot(name=self.tr("validation"), pen=CURVE_PENS[1], symbol="o", symbolSize=5,
                                             symbolBrush=CURVE_PENS[1].color())
        self.best_marker = pg.ScatterPlotItem(symbol="star", size=16, pen=pg.mkPen("w"), brush=CURVE_PENS[1].color())
        self.best_line = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen(CURVE_PENS[1].color(), width=1,
                                                                                style=Qt.PenStyle.DashLine),
                                         label="", labelOpts={"position": 0.92, "color": CURVE_PENS[1].color()})
        for item in (self.best_marker, self.best_line):
            self.loss_plot.addItem(item, ignoreBounds=True)
            item.setVisible(False)
        self.empty_text = pg.TextItem(self.tr("no training history in this session"), color="#9a9a9a",
                                      anchor=(0.5, 0.5))
        self.loss_plot.addItem(self.empty_text, ignoreBounds=True)
        self.empty_text.setPos(0.5, 0.5)
        self.lr_plot = make_plot_widget(left=self.tr("lr"), bottom=self.tr("step"))
        self.lr_plot.setXLink(self.loss_plot)
        self.lr_curve = self.lr_plot.plot(pen=CURVE_PENS[2])
        self.lr_plot.setMinimumHeight(120)
        self.lr_plot.setMaximumHeight(180)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(header)
        layout.addWidget(self.loss_plot, 3)
        layout.addWidget(self.lr_plot, 1)
        self.log_loss.toggled.connect(self._on_log_toggled)

    def set_history(
        self,
        label: str,
        steps: np.ndarray,
        loss: np.ndarray,
        lr: np.ndarray,
        val_steps: np.ndarray,
        val_loss: np.ndarray,
        best: tuple[int, float] | None = None,
    ) -> None:
        """``best``: the step and validation loss of the snapshot whose weights the run keeps."""
        empty = len(steps) == 0 and len(val_steps) == 0
        if empty:
            self.run_label.setText(self.tr("No training history in this session"))
        else:
            self.run_label.setText(self.tr("Run: {label}").format(label=label) if label else self.tr("Run"))
        self.train_curve.setData(np.asarray(steps, float), np.asarray(loss, float))
        self.val_curve.setData(np.asarray(val_steps, float), np.asarray(val_loss, float))
        self.lr_curve.setData(np.asarray(steps, float), np.asarray(lr, float))
        self.empty_text.setVisible(empty)
        for plot in (self.loss_plot, self.lr_plot):
            if empty:  # no data to fit: a fresh unit range, not the previous run's axes
                plot.getPlotItem().getViewBox().setRange(xRange=(0, 1), yRange=(0, 1), padding=0)
            plot.getPlotItem().enableAutoRange()
        self._show_best(None if empty else best)
        if len(loss) == 0:
            self.step_label.setText(self.tr("step —"))
            self.loss_label.setText(self.tr("loss —"))
            self.speed_label.setText(self.tr("— tok/s"))

    def _show_best(self, best: tuple[int, float] | None) -> None:
        for item in (self.best_marker, self.best_line):
            item.setVisible(best is not None)
        if best is None:
            self.best_marker.setData([], [])
            self.best_line.label.setFormat("")
            return
        step, val = best
        self.best_marker.setData([float(step)], [float(val)])
        self.best_line.setValue(float(step))
        self.best_line.label.setFormat(self.tr("best validation, step {0}").format(step))

    @property
    def best_text(self) -> str:
        """The best-validation mark's label ("" when none is shown)."""
        return self.best_line.label.format if self.best_line.isVisible() else ""

    def state(self) -> TrainingState:
        return TrainingState(log_loss=self.log_loss.isChecked())

    def set_state(self, state: TrainingState) -> None:
        self.log_loss.setChecked(state.log_loss)

    def set_status(self, step: int, total: int, loss: float, tokens_per_s: float) -> None:
        self.step_label.setText(self.tr("step {step:,} / {total:,}")
                                .format(step=step,
                                        total=total) if total else self.tr("step {step:,}").format(step=step))
        self.loss_label.setText(self.tr("loss {loss:.3f}").format(loss=loss))
        self.speed_label.setText(self.tr("{tokens_per_s:,.0f} tok/s").format(tokens_per_s=tokens_per_s))

    def _on_log_toggled(self, on: bool) -> None:
        self.loss_plot.setLogMode(y=on)
        self.loss_plot.setLabel("left", self.tr("loss (nats, log scale)") if on else self.tr("loss (nats)"))

    def sizeHint(self):  # noqa: N802 - Qt API
        hint = super().sizeHint()
        hint.setWidth(max(hint.width(), 480))
        return hint

