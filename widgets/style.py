"""Shared look for every panel: plot widgets, pens, colour maps and number formatting.

One place so panels stay consistent and a later panel copies a call, not a block of styling.
"""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QCoreApplication
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
    add_plot_menu(plot.getPlotItem())
    return plot


def add_plot_menu(plot_item: pg.PlotItem) -> None:
    """Right-click on a plot: export that plot alone (PNG at 2×, SVG) and copy its data as TSV."""
    menu = plot_item.getViewBox().menu
    menu.addSeparator()
    menu.addAction(QCoreApplication.translate("style", "Export this plot as PNG (2×)…")).triggered.connect(
        lambda: _ask_export(plot_item, ".png"))
    menu.addAction(QCoreApplication.translate("style", "Export this plot as SVG…")).triggered.connect(
        lambda: _ask_export(plot_item, ".svg"))
    menu.addAction(QCoreApplication.translate("style", "Copy data (TSV)")).triggered.connect(
        lambda: copy_plot_data(plot_item))


def _ask_export(plot_item: pg.PlotItem, suffix: str) -> None:
    from PySide6.QtWidgets import QFileDialog

    kind = "PNG image (*.png)" if suffix == ".png" else "SVG drawing (*.svg)"
    path, _ = QFileDialog.getSaveFileName(None, QCoreApplication.translate("style", "Export plot"), f"plot{suffix}",
                                          kind)
    if path:
        export_plot(plot_item, path if path.lower().endswith(suffix) else path + suffix)


def export_plot(plot_item: pg.PlotItem, path: str, scale: float = 2.0) -> str:
    """The plot alone (axes, curves, images; not the panel's controls) as PNG at ``scale``× or as SVG."""
    from pyqtgraph.exporters import ImageExporter

    if path.lower().endswith(".svg"):
        # pyqtgraph's SVGExporter cannot parse the path data Qt 6.11 writes; render the scene region directly.
        from PySide6.QtCore import QRectF
        from PySide6.QtGui import QPainter
        from PySide6.QtSvg import QSvgGenerator

        rect = plot_item.sceneBoundingRect()
        generator = QSvgGenerator()
        generator.setFileName(path)
        generator.setSize(rect.size().toSize())
        generator.setViewBox(QRectF(0, 0, rect.width(), rect.height()))
        generator.setTitle(QCoreApplication.translate("style", "lmscope plot"))
        painter = QPainter(generator)
        plot_item.scene().render(painter, QRectF(0, 0, rect.width(), rect.height()), rect)
        painter.end()
    else:
        exporter = ImageExporter(plot_item)
        width = max(1, int(round(plot_item.sceneBoundingRect().width() * scale)))
        exporter.parameters()["width"] = width
        exporter.export(path)
    return path


def plot_data_tsv(plot_item: pg.PlotItem) -> str:
    """What a plot shows, as tab-separated text: one x/y column pair per curve, or an image's rows."""
    columns: list[tuple[str, np.ndarray]] = []
    for i, item in enumerate(plot_item.listDataItems()):
        x, y = item.getData()
        if x is None or y is None:
            continue
        name = item.name() or f"curve {i + 1}"
        columns += [(f"{name} x", np.asarray(x)), (f"{name} y", np.asarray(y))]
    if columns:
        n = max(len(c) for _, c in columns)
        rows = ["\t".join(h for h, _ in columns)]
        for r in range(n):
            rows.append("\t".join(f"{c[r]:.9g}" if r < len(c) else "" for _, c in columns))
        return "\n".join(rows) + "\n"
    for item in plot_item.items:
        if isinstance(item, pg.ImageItem) and item.image is not None:
            image = np.asarray(item.image)
            image = image if image.ndim == 2 else image.reshape(image.shape[0], -1)
            return "\n".join("\t".join(f"{v:.9g}" for v in row) for row in image) + "\n"
    return ""


def copy_plot_data(plot_item: pg.PlotItem) -> str:
    from PySide6.QtWidgets import QApplication

    text = plot_data_tsv(plot_item)
    QApplication.clipboard().setText(text)
    return text


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
