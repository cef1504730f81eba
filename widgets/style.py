"""Shared look for every panel: plot widgets, pens, colour maps and number formatting.

One place so panels stay consistent and a later panel copies a call, not a block of styling.
"""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor, QFont, QFontDatabase
from PySide6.QtWidgets import QLabel

# Okabe–Ito colours: distinguishable for colour-blind readers and readable on the dark plot background.
PALETTE = ["#56B4E9", "#E69F00", "#009E73", "#F0E442", "#CC79A7", "#D55E00", "#0072B2", "#FFFFFF"]
CURVE_PENS = [pg.mkPen(c, width=2) for c in PALETTE]
REFERENCE_PEN = pg.mkPen("#E69F00", width=2, style=pg.QtCore.Qt.PenStyle.DashLine)


def make_plot_widget(left: str = "", bottom: str = "") -> pg.PlotWidget:
    plot = pg.PlotWidget()
    plot.setBackground("#1e1e1e")
    plot.showGrid(x=True, y=True, alpha=0.15)
    if left:
        plot.setLabel("left", left)
    if bottom:
        plot.setLabel("bottom", bottom)
    for side in ("left", "bottom"):
        # Automatic SI prefixes turn 0.003 into "3 (x0.001)", which misleads when reading activations.
        plot.getPlotItem().getAxis(side).enableAutoSIPrefix(False)
    plot.getPlotItem().getAxis("left").setWidth(64)
    return plot


def lookup_table(name: str = "viridis") -> np.ndarray:
    """A 256-entry uint8 RGBA table (STYLE.md: heatmaps use an explicit table and levels)."""
    return pg.colormap.get(name).getLookupTable(0.0, 1.0, 256, alpha=True)


def value_label(text: str) -> QLabel:
    label = QLabel(text)
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    label.setFont(font)
    return label


def fmt(value: float, percent: bool = False) -> str:
    """Numbers as a table shows them: 4 significant digits, percentages with 2 decimals, — for missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if percent:
        return f"{100 * value:.2f} %"
    if value != 0 and (abs(value) >= 1e4 or abs(value) < 1e-3):
        return f"{value:.3e}"
    return f"{value:.4g}"


def cjk_font(size: int = 10) -> QFont:
    """A font that has Chinese glyphs when the system has one (token labels mix Chinese and Latin)."""
    for family in ("Noto Sans CJK SC", "WenQuanYi Micro Hei", "Microsoft YaHei", "PingFang SC", "Source Han Sans SC"):
        if family in QFontDatabase.families():
            return QFont(family, size)
    font = QFont()
    font.setPointSize(size)
    return font


def muted(color: str = "#9a9a9a") -> QColor:
    return QColor(color)
