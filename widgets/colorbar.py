"""Colour bars and hover read-outs for every heatmap: a scale beside the image that follows its levels and colour
map, and the value of the cell under the cursor as text.

A ``ColorBar`` is a non-interactive pyqtgraph ``ColorBarItem``: it owns the image's colour map (so the bar and the
pixels cannot disagree) and copies the image's levels each time the image changes, because the panels set explicit
levels with every ``setImage`` (STYLE.md) and ``ImageItem`` has no signal for levels alone.
"""
from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, QPointF, QRect, QSize, Qt
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QWidget

from lmscope.widgets.style import fmt

BAR_WIDTH = 12  # px: wide enough to read a colour, narrow enough to leave a 300 px dock its heatmap
LABEL_WIDTH, SCALE_WIDTH = 18, 48  # px: the bar's label (one rotated line) and its tick numbers
GAP = 5  # px between the plot's own right edge and the bar (what ColorBarItem.setImageItem leaves)


class ColorBar(pg.ColorBarItem):
    """The colour scale of ``image``; placed right of ``plot`` when one is given (else the caller places it)."""

    def __init__(self, image: pg.ImageItem, colormap: str | pg.ColorMap = "viridis", label: str = "",
                 plot: pg.PlotWidget | pg.PlotItem | None = None) -> None:
        super().__init__(colorMap=colormap, label=label or None, interactive=False, colorMapMenu=False,
                         width=BAR_WIDTH)
        self.image = image
        self.getAxis("right").setWidth(SCALE_WIDTH)
        self.getAxis("left").setWidth(LABEL_WIDTH)  # fixed, labelled or not: see reserve_colorbar_space
        self.getAxis("right").enableAutoSIPrefix(False)
        # The end labels are centred on the bar's ends: 8 px of air keeps "1.0" whole at the top of a dock.
        self.layout.setContentsMargins(0, 8, 0, 8)
        # Not setImageItem: it writes the bar's levels into the image, and on an image without data yet pyqtgraph
        # defers them and applies them after the next setImage, overriding the levels the panel asked for.
        self._paint_image()
        item = plot.getPlotItem() if isinstance(plot, pg.PlotWidget) else plot
        if item is not None:
            item.layout.addItem(self, 2, 5)  # right of the right-hand axis, as ColorBarItem.setImageItem places it
            item.layout.setColumnFixedWidth(4, GAP)
        image.sigImageChanged.connect(self.follow)
        self.follow()

    def set_colormap(self, colormap: str | pg.ColorMap) -> None:
        """A new colour map for the bar and the image together."""
        self.setColorMap(colormap)
        self._paint_image()

    def _paint_image(self) -> None:
        # The 256-entry RGBA table every heatmap uses (style.lookup_table, STYLE.md), from the bar's own map.
        self.image.setLookupTable(self.colorMap().getLookupTable(0.0, 1.0, 256, alpha=True))

    def set_label(self, text: str) -> None:
        self.getAxis("left").setLabel(text)

    def follow(self) -> None:
        """Copy the image's levels onto the bar (the image keeps them: nothing is written back)."""
        levels = self.image.getLevels()
        if levels is None:
            return
        levels = np.asarray(levels, dtype=float).ravel()
        if levels.size >= 2 and math.isfinite(levels[0]) and math.isfinite(levels[1]):
            self.setLevels((float(levels[0]), float(levels[1])), update_items=False)


class ShrinkingTitle(pg.LabelItem):
    """A plot title that may be narrower than its text (its ends run past the plot's column) instead of setting
    the plot's minimum width: a long title beside a colour bar otherwise pushes the bar out of a narrow plot."""

    def updateMin(self) -> None:  # noqa: N802 - pyqtgraph API
        super().updateMin()
        self.setMinimumWidth(0)

    def sizeHint(self, hint: Qt.SizeHint, constraint: object) -> object:  # noqa: N802 - Qt API
        size = super().sizeHint(hint, constraint)
        if hint == Qt.SizeHint.MinimumSize:
            size.setWidth(0)
        return size


def let_title_shrink(plot: pg.PlotWidget | pg.PlotItem) -> None:
    """Swap the plot's title for a :class:`ShrinkingTitle` with the same text."""
    item = plot.getPlotItem() if isinstance(plot, pg.PlotWidget) else plot
    old = item.titleLabel
    title = ShrinkingTitle(old.text, size="11pt", parent=item)
    item.layout.removeItem(old)
    old.setParentItem(None)
    item.titleLabel = title
    item.layout.addItem(title, 0, 1)
    title.setVisible(old.isVisible())


def reserve_colorbar_space(plot: pg.PlotWidget | pg.PlotItem) -> pg.GraphicsWidget:
    """An empty column as wide as a colour bar, for a plot without one that must line up with a plot that has one
    (the router's expert map above its probability heatmap: same tokens, same columns on screen)."""
    item = plot.getPlotItem() if isinstance(plot, pg.PlotWidget) else plot
    spacer = pg.GraphicsWidget()
    spacer.setFixedWidth(LABEL_WIDTH + BAR_WIDTH + SCALE_WIDTH)
    item.layout.addItem(spacer, 2, 5)
    item.layout.setColumnFixedWidth(4, GAP)
    return spacer


def mark_categorical(image: pg.ImageItem, key: str) -> pg.ImageItem:
    """Say that ``image``'s colours are categories explained by ``key`` (a legend, a caption) rather than a scale:
    the one kind of image that needs no colour bar (tests/gui check every other image has one)."""
    image.colour_key = key
    return image


def cell_at(image: pg.ImageItem, scene_pos: QPointF) -> tuple[int, int] | None:
    """(row, column) of ``image``'s data under a scene point, or None off the image. Works whatever rect or
    transform places the image, because the image maps the point into its own pixel units."""
    data = image.image
    if data is None or not image.isVisible():
        return None
    point = image.mapFromScene(scene_pos)
    row, col = math.floor(point.y()), math.floor(point.x())
    if 0 <= row < data.shape[0] and 0 <= col < data.shape[1]:
        return row, col
    return None


def default_text(row: int, col: int, value: float) -> str:
    return f"{row}, {col}: {fmt(float(value))}"


class HoverReadout(QObject):
    """Shows "row, col: value" (or what ``describe(row, col, value)`` says) for the cell of ``image`` under the
    mouse in ``sink`` (a QLabel or a pyqtgraph LabelItem: anything with ``setText``). ``idle`` is shown off the
    image. The image must already be in its scene."""

    def __init__(self, image: pg.ImageItem, sink: object, describe: Callable[[int, int, float], str] | None = None,
                 idle: str = " ") -> None:
        # Owned by the scene it listens to, so Qt deletes it with that scene, never the garbage collector later.
        super().__init__(image.scene())
        self.image, self.sink, self.idle = image, sink, idle
        self.describe = describe or default_text
        image.scene().sigMouseMoved.connect(self.on_move)

    def on_move(self, scene_pos: QPointF) -> str:
        cell = cell_at(self.image, scene_pos)
        if cell is None:
            text = self.idle
        else:
            value = self.image.image[cell]
            text = self.describe(cell[0], cell[1], float(np.asarray(value).ravel()[0]))
        self.sink.setText(text)
        return text


class PlotCornerSink:
    """A read-out target drawn in the bottom-left corner of a plot's view box, over the picture: for plots with no
    label beneath them. It is not in the plot's layout, so a long read-out never resizes or clips the plot."""

    def __init__(self, plot: pg.PlotWidget | pg.PlotItem) -> None:
        item = plot.getPlotItem() if isinstance(plot, pg.PlotWidget) else plot
        self.box = item.getViewBox()
        self.item = pg.TextItem("", color="#e0e0e0", fill=pg.mkBrush(30, 30, 30, 210), anchor=(0, 1))
        self.item.setParentItem(self.box)
        self.item.setZValue(100)
        self.item.hide()
        self.box.sigResized.connect(self._place)
        self._place()

    def _place(self, *_: object) -> None:
        self.item.setPos(2, self.box.height() - 2)

    def setText(self, text: str) -> None:  # the QLabel method HoverReadout calls
        self.item.setText(text)
        self.item.setVisible(bool(text.strip()))

    def text(self) -> str:
        return self.item.toPlainText() if self.item.isVisible() else ""


def cell_scene_pos(image: pg.ImageItem, row: int, col: int) -> QPointF:
    """The scene point at the centre of one cell (for tests and keyboard navigation)."""
    return image.mapToScene(QPointF(col + 0.5, row + 0.5))


class ColourKey(QWidget):
    """A colour bar for a coloured table (the logit-lens grid), where there is no plot to put a ColorBar in: the
    colour map as a horizontal strip between its end values, with what the colour measures."""

    def __init__(self, lut: np.ndarray, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        rgba = np.ascontiguousarray(np.asarray(lut, dtype=np.uint8)[None, :, :4])
        self._strip = QImage(rgba.data, rgba.shape[1], 1, 4 * rgba.shape[1], QImage.Format.Format_RGBA8888).copy()
        self.low = self.high = self.title = ""
        self.setMinimumWidth(230)

    def set_scale(self, title: str, low: str, high: str) -> None:
        self.title, self.low, self.high = title, low, high
        self.setToolTip(f"{title}: {low} … {high}")
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        metrics = self.fontMetrics()
        return QSize(metrics.horizontalAdvance(f"{self.title}  {self.low} {self.high}") + 100, metrics.height() + 4)

    def paintEvent(self, _event: object) -> None:  # noqa: N802 - Qt API
        painter = QPainter(self)
        metrics = self.fontMetrics()
        h = self.height()
        x = 0
        for text, strip in ((self.title, False), (self.low, False), ("", True), (self.high, False)):
            if strip:
                rect = QRect(x, 3, max(40, self.width() - x - metrics.horizontalAdvance(self.high) - 6), h - 6)
                painter.drawImage(rect, self._strip)
                x = rect.right() + 4
            elif text:
                width = metrics.horizontalAdvance(text)
                painter.drawText(QRect(x, 0, width, h), int(Qt.AlignmentFlag.AlignVCenter), text)
                x += width + 4
        painter.end()
