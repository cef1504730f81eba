"""Positions, seen: the sinusoidal table and PE(m)·PE(n) against the offset; RoPE's angles per pair and, on a real
head's q and k, the score that stays when both positions shift; learned position embeddings' similarity; and which
RoPE pairing the model uses, stated in one sentence.

Fed plain arrays by the binding (backend/attention/positions.py computes them); the head and the two positions the
demonstration uses are the view's own settings.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from lmscope.widgets.state import PanelState, bounded
from lmscope.widgets.style import CURVE_PENS, make_plot_widget
from lmscope.widgets.variants.common import Heatmap, spin
from lmscope.widgets.glossary import POSITIONS, explain

MAX_POS = 100_000


@dataclass(frozen=True)
class PositionsState(PanelState):
    layer: int = bounded(0, 0, 10_000)
    head: int = bounded(0, 0, 10_000)
    m: int = bounded(2, 0, MAX_POS)  # the query's position in the demonstration
    n: int = bounded(5, 0, MAX_POS)  # the key's


class PositionsView(QWidget):
    demoChanged = Signal()  # layer, head, m or n changed: the binding recomputes the head demonstration

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        defaults = PositionsState()
        self.spins = {"layer": spin(0, 10_000, defaults.layer), "head": spin(0, 10_000, defaults.head),
                      "m": spin(0, MAX_POS, defaults.m), "n": spin(0, MAX_POS, defaults.n)}
        controls = QHBoxLayout()
        for name, label in (("layer", self.tr("layer")), ("head", self.tr("head")), ("m", self.tr("query at m")),
                            ("n", self.tr("key at n"))):
            controls.addWidget(QLabel(label))
            controls.addWidget(self.spins[name])
            self.spins[name].valueChanged.connect(lambda _v: self.demoChanged.emit())
        controls.addStretch(1)
        self.pairing = QLabel("")
        self.pairing.setWordWrap(True)

        self.sinusoidal = Heatmap(self.tr("sinusoidal PE (position × dimension)"), self.tr("position"),
                                  self.tr("dimension"), "CET-D1")
        self.offset_plot = make_plot_widget("PE(0)·PE(k)", self.tr("offset k"))
        self.offset_plot.setTitle(self.tr("dot product against the offset"))
        self.offset_curve = self.offset_plot.plot(pen=CURVE_PENS[0], name="PE(0)·PE(k)")
        self.angles = Heatmap(self.tr("RoPE angle pos·θᵢ mod 2π (position × pair)"), self.tr("position"),
                              self.tr("pair i"), "CET-C1")
        self.head_plot = make_plot_widget("q·k", self.tr("shift s"))
        self.head_plot.setTitle(self.tr("real head: RoPE(q, m+s)·RoPE(k, n+s)"))
        self.head_plot.addLegend(offset=(10, 10))
        self.both_curve = self.head_plot.plot(pen=CURVE_PENS[2], name=self.tr("both shifted (n − m fixed)"))
        self.key_curve = self.head_plot.plot(pen=CURVE_PENS[1], name=self.tr("only the key shifted"))
        self.head_caption = QLabel("")
        self.head_caption.setWordWrap(True)
        self.learned = Heatmap(self.tr("learned position embeddings: cosine similarity"), self.tr("position"),
                               self.tr("position"), "CET-D1")
        self.learned_caption = QLabel("")
        self.learned_caption.setWordWrap(True)

        grid = QGridLayout()
        grid.addWidget(self.sinusoidal.plot, 0, 0)
        grid.addWidget(self.offset_plot, 0, 1)
        grid.addWidget(self.angles.plot, 0, 2)
        grid.addWidget(self.head_plot, 1, 0, 1, 2)
        grid.addWidget(self.learned.plot, 1, 2)
        grid.addWidget(self.head_caption, 2, 0, 1, 2)
        grid.addWidget(self.learned_caption, 2, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addWidget(self.pairing)
        layout.addLayout(grid, 1)
        explain(self, POSITIONS)

    # --- what the binding calls --------------------------------------------------------------------------------
    def set_sinusoidal(self, table: np.ndarray, offsets: np.ndarray, dots: np.ndarray) -> None:
        self.sinusoidal.set(table, levels=(-1.0, 1.0))
        self.offset_curve.setData(np.asarray(offsets, dtype=np.float64), np.asarray(dots, dtype=np.float64))

    def set_rope(self, angles: np.ndarray, pairing_text: str) -> None:
        self.angles.set(np.mod(angles, 2 * np.pi), levels=(0.0, 2 * np.pi))
        self.pairing.setText(pairing_text)

    def set_head_demo(self, shifts: np.ndarray | None, both: np.ndarray | None, key_only: np.ndarray | None,
                      caption: str) -> None:
        if shifts is None:
            self.both_curve.setData([], [])
            self.key_curve.setData([], [])
        else:
            self.both_curve.setData(np.asarray(shifts, float), np.asarray(both, float))
            self.key_curve.setData(np.asarray(shifts, float), np.asarray(key_only, float))
        self.head_caption.setText(caption)

    def set_learned(self, similarity: np.ndarray | None, caption: str) -> None:
        if similarity is None:
            self.learned.clear()
        else:
            self.learned.set(similarity, levels=(-1.0, 1.0))
        self.learned_caption.setText(caption)

    def set_limits(self, n_layer: int, n_head: int, n_pos: int) -> None:
        """The head and positions the capture has (values beyond are clamped, without a signal)."""
        for name, top in (("layer", n_layer - 1), ("head", n_head - 1), ("m", n_pos - 1), ("n", n_pos - 1)):
            box = self.spins[name]
            box.blockSignals(True)
            box.setMaximum(max(0, top))
            box.blockSignals(False)

    # --- state -------------------------------------------------------------------------------------------------
    def state(self) -> PositionsState:
        return PositionsState(**{name: box.value() for name, box in self.spins.items()})

    def set_state(self, state: PositionsState) -> None:
        for name, box in self.spins.items():
            box.blockSignals(True)
            box.setValue(getattr(state, name))
            box.blockSignals(False)
        self.demoChanged.emit()
