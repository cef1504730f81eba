"""Pieces the variants views share: a heatmap plot with fixed levels, and a spin box that does not echo set_value."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QSpinBox

from lmscope.widgets.colorbar import ColorBar, HoverReadout, PlotCornerSink, let_title_shrink
from lmscope.widgets.style import fmt, make_plot_widget


class Heatmap:
    """A plot holding one row-major float32 image with explicit levels and a 256-entry table (STYLE.md)."""

    def __init__(self, title: str, left: str, bottom: str, colormap: str = "viridis") -> None:
        self.plot = make_plot_widget(left, bottom)
        let_title_shrink(self.plot)  # a long title beside the colour bar pushed the bar out of a 385 px cell
        self.plot.setTitle(title)
        self.plot.getPlotItem().getViewBox().invertY(True)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.plot.addItem(self.image)
        self.colorbar = ColorBar(self.image, colormap, plot=self.plot)
        self.readout = HoverReadout(self.image, PlotCornerSink(self.plot),
                                    lambda row, col, value: f"{left} {row}, {bottom} {col}: {fmt(value)}")
        self.levels = (0.0, 1.0)

    def set(self, matrix: np.ndarray, levels: tuple[float, float] | None = None) -> None:
        matrix = np.ascontiguousarray(matrix, dtype=np.float32)
        if levels is None:
            finite = matrix[np.isfinite(matrix)]
            lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
            levels = (lo, hi if hi > lo else lo + 1.0)
        self.levels = levels
        self.image.setImage(matrix, autoLevels=False, levels=levels)
        self.plot.getPlotItem().getViewBox().autoRange(padding=0.0)

    def clear(self) -> None:
        self.image.clear()

    @property
    def matrix(self) -> np.ndarray | None:
        return self.image.image


def spin(lo: int, hi: int, value: int) -> QSpinBox:
    box = QSpinBox()
    box.setRange(lo, hi)
    box.setValue(value)
    box.setKeyboardTracking(False)  # one change per finished number, not one per digit typed
    return box
