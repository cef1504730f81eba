"""The FlashAttention panel's two plot tabs: the running softmax state per Q row (m, ℓ and the error of O against
exact attention) at the current step, and whole-pass HBM traffic against SRAM size M and sequence length N."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout, QWidget

from lmscope.widgets.flashsim.views import (
    COLORS, CURRENT, CURVE_COLORS, CURVE_NAMES, ERROR_FLOOR, FlashCurves, FlashFrame, FlashSetup,
)
from lmscope.widgets.style import make_plot_widget


class RowStatePlots(QWidget):
    """m, ℓ and |O − exact| per Q row as bars on one shared row axis; the current tile's rows are shaded."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        self.plots: list[pg.PlotWidget] = []
        self.bars: list[pg.PlotDataItem] = []
        self.regions: list[pg.LinearRegionItem] = []
        for key, title, color in (("m", "m", COLORS["Q"]), ("l", "ℓ", COLORS["K"]),
                                  ("err", self.tr("|O − exact|"), COLORS["O"])):
            plot = make_plot_widget(left=title, bottom=self.tr("Q row") if key == "err" else "")
            plot.setMenuEnabled(False)
            # No grid: it is drawn by the axes across the plot, so every redraw of the bars would repaint them.
            plot.showGrid(x=False, y=False)
            fill = pg.mkBrush(QColor(color).red(), QColor(color).green(), QColor(color).blue(), 150)
            # Axis-aligned bars gain nothing from antialiasing, and filling them antialiased costs ~1 ms each.
            bars = pg.PlotDataItem(stepMode="center", pen=pg.mkPen(color, width=1), fillLevel=0, brush=fill,
                                   antialias=False)
            region = pg.LinearRegionItem(movable=False, brush=pg.mkBrush(240, 228, 66, 45),
                                         pen=pg.mkPen(CURRENT, width=1))
            plot.addItem(region)
            plot.addItem(bars)
            if key == "err":
                plot.setLogMode(y=True)
                bars.setFillLevel(np.log10(ERROR_FLOOR))  # fill levels are in the log axis' own units
                plot.addItem(pg.InfiniteLine(pos=-12, angle=0, pen=pg.mkPen("#ffffff", style=Qt.PenStyle.DashLine),
                                             label="1e-12", labelOpts={"position": 0.97, "color": "#ffffff"}))
            if key != "err":  # the three share one row axis, labelled once at the bottom
                plot.getPlotItem().getAxis("bottom").setStyle(showValues=False)
                plot.getPlotItem().getAxis("bottom").setHeight(4)
            if self.plots:
                plot.setXLink(self.plots[0])
            self.plots.append(plot)
            self.bars.append(bars)
            self.regions.append(region)
            column.addWidget(plot, 1)

    def set_setup(self, setup: FlashSetup) -> None:
        # Fixed ranges for the whole run: autoscaling each step would redraw the axes and make bars jump.
        m_low, m_high = setup.m_range
        for plot, (low, high) in zip(self.plots, ((min(0.0, m_low), max(0.0, m_high)), (0.0, setup.l_max),
                                                  (np.log10(ERROR_FLOOR), np.log10(setup.error_max)))):
            plot.setXRange(0, setup.n, padding=0.01)
            plot.setYRange(low, high if high > low else low + 1, padding=0.05)

    def set_frame(self, frame: FlashFrame, setup: FlashSetup) -> None:
        edges = np.arange(setup.n + 1, dtype=float)
        m = np.where(np.isfinite(frame.m), frame.m, np.nan)  # −∞ (not yet visited) leaves a gap
        error = np.maximum(frame.error, ERROR_FLOOR)
        for bars, values in zip(self.bars, (m, frame.l, error)):
            bars.setData(edges, values)
        rows = (frame.tile[0] * setup.br, min((frame.tile[0] + 1) * setup.br, setup.n)) if frame.tile else None
        for region in self.regions:
            region.setVisible(rows is not None)
            if rows is not None:
                region.setRegion(rows)


class TrafficCurves(QWidget):
    """HBM accesses of a whole pass against M and against N, one curve per algorithm, the current setting marked."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.plots: dict[str, pg.PlotWidget] = {}
        self.items: dict[tuple[str, str], pg.PlotDataItem] = {}
        self.markers: dict[str, pg.PlotDataItem] = {}
        for axis, bottom in (("m", self.tr("SRAM M (elements)")), ("n", self.tr("sequence length N"))):
            plot = make_plot_widget(left=self.tr("HBM accesses (elements)"), bottom=bottom)
            plot.setLogMode(x=True, y=True)
            plot.setMenuEnabled(False)
            legend = plot.addLegend(offset=(-6, 6), labelTextSize="8pt")
            for algo in CURVE_NAMES:
                self.items[(axis, algo)] = plot.plot(pen=pg.mkPen(CURVE_COLORS[algo], width=2),
                                                     name=self.tr(CURVE_NAMES[algo]))
            self.markers[axis] = plot.plot(pen=None, symbol="o", symbolSize=11, symbolBrush=CURRENT,
                                           symbolPen=pg.mkPen("#000000"), name=self.tr("this setting"))
            if axis == "n":
                legend.setVisible(False)  # one legend serves both plots
            self.plots[axis] = plot
            row.addWidget(plot, 1)

    def set_curves(self, curves: FlashCurves) -> None:
        for axis, data, current in (("m", curves.vs_m, curves.current_m), ("n", curves.vs_n, curves.current_n)):
            for algo, (x, y) in data.items():
                self.items[(axis, algo)].setData(np.asarray(x, float), np.asarray(y, float))
            self.markers[axis].setData([current[0]], [current[1]])
            # Our own ticks: on an axis under two decades pyqtgraph labels 2·10⁴ … 9·10⁴ and they overlap.
            ys = np.concatenate([np.asarray(y, float) for _, y in data.values()])
            xs = np.concatenate([np.asarray(x, float) for x, _ in data.values()])
            plot_item = self.plots[axis].getPlotItem()
            plot_item.getAxis("left").setTicks(log_ticks(float(ys.min()), float(ys.max())))
            plot_item.getAxis("bottom").setTicks(log_ticks(float(xs.min()), float(xs.max())))


def log_ticks(lo: float, hi: float) -> list[list[tuple[float, str]]]:
    """Ticks for a log axis, in log₁₀ units: each decade, plus 2· and 5· when the range spans few decades."""
    first, last = int(np.floor(np.log10(max(lo, 1e-300)))), int(np.ceil(np.log10(max(hi, 1e-300))))
    major = [(float(k), f"1e{k}") for k in range(first, last + 1)]
    minor = [(float(np.log10(f)) + k, f"{f}e{k}") for k in range(first, last + 1) for f in (2, 5)]
    return [major, minor if last - first <= 2 else []]
