"""Training panel: loss and learning-rate curves streamed live, with step counter and throughput.

Fed plain arrays by gui/panels/training.py; keeps nothing but what it draws and its one setting, the loss scale
(:class:`TrainingState`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
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
    ) -> None:
        self.run_label.setText(self.tr("Run: {label}").format(label=label) if label else self.tr("Run"))
        self.train_curve.setData(np.asarray(steps, float), np.asarray(loss, float))
        self.val_curve.setData(np.asarray(val_steps, float), np.asarray(val_loss, float))
        self.lr_curve.setData(np.asarray(steps, float), np.asarray(lr, float))
        if len(loss) == 0:
            self.step_label.setText(self.tr("step —"))
            self.loss_label.setText(self.tr("loss —"))
            self.speed_label.setText(self.tr("— tok/s"))

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

