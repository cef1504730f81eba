"""The attention heatmap: one head's (query × key) matrix with token labels on both axes, hover read-out, mask
overlay, selected-row band, colormaps and log scale; plus a clickable token strip.

Fast at 4096 tokens: one float32 row-major ImageItem with explicit levels and a 256-entry table, auto-downsampled
to the screen; axes draw a token label per cell only when cells are tall/wide enough, otherwise a strided subset.
"""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QSize, Qt, Signal
from PySide6.QtWidgets import QAbstractItemView, QLabel, QListView, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from lmscope.widgets.colorbar import ColorBar, mark_categorical
from lmscope.widgets.keys import panel_keys
from lmscope.widgets.style import cjk_font, make_plot_widget

LOG_FLOOR = 1e-6  # log scale of a pattern: weights below this (and exact zeros) sit at the bottom of the scale
MASK_LUT = np.array([[0, 0, 0, 0], [220, 220, 220, 80]], dtype=np.uint8)  # masked cells: a light veil


def display_token(token: str) -> str:
    """Whitespace made visible so a label is never blank."""
    return token.replace(" ", "␣").replace("\n", "⏎").replace("\t", "⇥") or "∅"


def nice_step(minimum: float) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50, … that is ≥ ``minimum``."""
    if minimum <= 1:
        return 1
    power = 10 ** math.floor(math.log10(minimum))
    for factor in (1, 2, 5, 10):
        if factor * power >= minimum:
            return int(factor * power)
    return int(10 * power)


class TokenAxis(pg.AxisItem):
    """Tick labels are tokens at cell centres: every one when zoomed in enough, else every n-th with its index."""

    def __init__(self, orientation: str, on_click=None) -> None:  # noqa: ANN001 - callable(orientation, index)
        super().__init__(orientation)
        self.tokens: list[str] = []
        self._on_click = on_click
        # pyqtgraph hides a bottom label that overlaps the axis ends at all, which dropped the first token ("我") of
        # every token axis; TokenAxis spaces its labels itself, so the end ones may overflow by half a glyph.
        self.setStyle(tickFont=cjk_font(9), autoExpandTextSpace=False, hideOverlappingLabels=12)
        self.enableAutoSIPrefix(False)
        vertical = orientation in ("left", "right")
        self._dense_px = 13.0 if vertical else 15.0  # one CJK glyph plus a little air
        self._sparse_px = 18.0 if vertical else 52.0  # "1234 词"

    def set_tokens(self, tokens: list[str]) -> None:
        self.tokens = [display_token(t) for t in tokens]
        self.picture = None
        self.update()

    def tickValues(self, minVal: float, maxVal: float, size: float):  # noqa: N802, ANN201 - pyqtgraph API
        n = len(self.tokens)
        minVal, maxVal = min(minVal, maxVal), max(minVal, maxVal)  # an inverted axis passes them reversed
        if n == 0 or size <= 0 or maxVal <= minVal:
            return []
        px_per_token = size / (maxVal - minVal)
        step = 1 if px_per_token >= self._dense_px else nice_step(self._sparse_px / px_per_token)
        # cells whose centre (i + 0.5) is in view, the first one rounded to the stride
        first = max(0, -(-int(math.ceil(minVal - 0.5)) // step) * step)
        last = min(n - 1, int(math.floor(maxVal - 0.5)))
        return [(float(step), [i + 0.5 for i in range(first, last + 1, step)])]

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:  # noqa: N802
        labels = []
        for value in values:
            i = int(value)
            token = self.tokens[i] if 0 <= i < len(self.tokens) else ""
            labels.append(token if spacing <= 1 else f"{i} {token}")
        return labels

    def mouseClickEvent(self, event) -> None:  # noqa: N802, ANN001 - pyqtgraph API
        view = self.linkedView()
        if view is None or self._on_click is None or event.button() != Qt.MouseButton.LeftButton:
            return
        point = view.mapSceneToView(event.scenePos())
        value = point.y() if self.orientation in ("left", "right") else point.x()
        if 0 <= value < len(self.tokens):
            event.accept()
            self._on_click(self.orientation, int(value))


class HeatmapView(QWidget):
    """A (rows × cols) matrix with token axes; reports clicks on cells and on axis labels.

    The caption under the plot reads the cell under the mouse, or else the selected cell (the selected query row and
    the key column moved with ←/→); it is derived again whenever the matrix, tokens or selection change, so it never
    shows a value of a matrix that is no longer drawn. ↑/↓ ask for the previous/next query row (``rowClicked``).
    """

    cellClicked = Signal(int, int)  # row (query), column (key)
    rowClicked = Signal(int)  # a query token on the left axis
    columnClicked = Signal(int)  # a key token on the bottom axis

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = make_plot_widget()
        item = self.plot.getPlotItem()
        # A bound method of ours, not a SignalInstance's emit: PySide6 mis-counts references to a stored emit.
        self.left_axis = TokenAxis("left", self._on_axis_click)
        self.bottom_axis = TokenAxis("bottom", self._on_axis_click)
        item.setAxisItems({"left": self.left_axis, "bottom": self.bottom_axis})
        self.left_axis.setWidth(72)
        item.showGrid(x=False, y=False)
        item.invertY(True)  # query 0 at the top, as attention patterns are drawn everywhere
        item.setMenuEnabled(False)
        # Drawn at screen resolution: the visible block is max-pooled to about one cell per pixel (see _render),
        # so a 4096² head costs a few ms of numpy instead of colouring 16 M pixels.
        self.image = pg.ImageItem(axisOrder="row-major")
        self.overlay = pg.ImageItem(axisOrder="row-major")
        self.overlay.setLookupTable(MASK_LUT)
        mark_categorical(self.overlay, "masked cells are veiled")
        self.overlay.setZValue(5)
        self.row_band = pg.LinearRegionItem(orientation="horizontal", movable=False,
                                            brush=pg.mkBrush(255, 255, 255, 40), pen=pg.mkPen("#E69F00", width=1.5))
        self.row_band.setZValue(10)
        for graphic in (self.image, self.overlay, self.row_band):
            item.addItem(graphic)
        self.row_band.hide()
        self.hover_label = QLabel(" ")
        self.hover_label.setFont(cjk_font(9))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.hover_label)
        self.rows: list[str] = []
        self.cols: list[str] = []
        self.matrix: np.ndarray | None = None  # what is drawn, before colour scaling (for the hover read-out)
        self.weights: np.ndarray | None = None
        self.scores: np.ndarray | None = None
        self.value_name = "value"
        self._shown: np.ndarray | None = None  # the full display image (after log/NaN handling)
        self._levels: tuple[float, float] = (0.0, 1.0)
        self._mask: np.ndarray | None = None
        self._drawn: tuple = ()  # (block, factors) last given to the image and to the overlay
        self._hovered: tuple[int, int] | None = None  # the cell under the mouse
        self.row, self.key = -1, -1  # the selected cell: query row (the binding's) and key column (ours); −1 none
        self.plot.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # a click gives the arrow keys to this heatmap
        self.key_actions = panel_keys(self, (
            (self.tr("Previous query row"), "Up", lambda: self.move_cell(-1, 0)),
            (self.tr("Next query row"), "Down", lambda: self.move_cell(1, 0)),
            (self.tr("Previous key"), "Left", lambda: self.move_cell(0, -1)),
            (self.tr("Next key"), "Right", lambda: self.move_cell(0, 1))), self.tr("heatmap, once clicked"))
        self.colorbar = ColorBar(self.image, "viridis", plot=self.plot)
        self.plot.getPlotItem().getViewBox().sigRangeChanged.connect(self._on_range)
        self.plot.scene().sigMouseMoved.connect(self._on_hover)
        self.plot.scene().sigMouseClicked.connect(self._on_click)

    # --- data in -------------------------------------------------------------------------------------------
    def set_tokens(self, rows: list[str], cols: list[str]) -> None:
        if rows == self.rows and cols == self.cols:
            return  # a head switch keeps the tokens: skip relabelling thousands of ticks
        self.rows, self.cols = list(rows), list(cols)
        self.left_axis.set_tokens(self.rows)
        self.bottom_axis.set_tokens(self.cols)
        self._show_caption()

    def set_colormap(self, name: str) -> None:
        self.colorbar.set_colormap(name)

    def set_matrix(self, matrix: np.ndarray, kind: str = "pattern", log: bool = False,
                   weights: np.ndarray | None = None, scores: np.ndarray | None = None,
                   value_name: str = "value", reset_view: bool = False) -> None:
        """``kind`` is "pattern" (levels 0…max, log10 with a floor) or "signed" (scores, z: finite min…max,
        log as sign·log10(1+|x|)). ``weights``/``scores`` (same shape) feed the hover read-out."""
        self.matrix, self.weights, self.scores, self.value_name = matrix, weights, scores, value_name
        shown, levels = display_values(matrix, kind, log)
        old_shape = None if self._shown is None else self._shown.shape
        self._shown, self._levels = shown, levels
        self.colorbar.set_label(self.tr("log₁₀ scale") if log else "")
        self._drawn = ()
        if reset_view or old_shape != shown.shape:
            self.plot.getPlotItem().getViewBox().setRange(xRange=(0, shown.shape[1]), yRange=(0, shown.shape[0]),
                                                          padding=0.02)
        self._render()
        self._show_caption()

    def set_mask(self, masked: np.ndarray | None) -> None:
        """Cells True in ``masked`` get a veil (the overlay); None hides it."""
        self._mask = None if masked is None else np.ascontiguousarray(masked, dtype=np.uint8)
        self._drawn = self._drawn[:1]  # the image stays, the overlay is redrawn
        self.overlay.setVisible(masked is not None)
        self._render()

    def set_row(self, row: int) -> None:
        self.row = row
        self._show_caption()
        if row < 0 or self.matrix is None or row >= self.matrix.shape[0]:
            self.row_band.hide()
            return
        self.row_band.setRegion((row, row + 1))
        self.row_band.show()

    def move_cell(self, d_row: int, d_key: int) -> None:
        """The arrow keys: ↑/↓ ask for another query row, ←/→ move the selected key within the drawn matrix."""
        if self.matrix is None or not self.matrix.size:
            return
        rows, cols = self.matrix.shape
        row = min(max(self.row, 0), rows - 1)
        if d_row and 0 <= row + d_row < rows:
            self.rowClicked.emit(row + d_row)
        if d_key:
            start = self.key if 0 <= self.key < cols else min(row, cols - 1) - d_key  # first press: the diagonal
            self.key = min(max(start + d_key, 0), cols - 1)
            self.columnClicked.emit(self.key)
            self._show_caption()

    def _on_range(self, _view: object, _range: object, _changed: object) -> None:
        self._render()

    def _render(self) -> None:
        """Show the visible block of the matrix, max-pooled to the viewport's pixels when it is larger."""
        if self._shown is None:
            return
        view = self.plot.getPlotItem().getViewBox()
        (x0, x1), (y0, y1) = view.viewRange()
        rows, cols = self._shown.shape
        r0, r1 = max(0, int(math.floor(y0))), min(rows, int(math.ceil(y1)))
        c0, c1 = max(0, int(math.floor(x0))), min(cols, int(math.ceil(x1)))
        if r1 <= r0 or c1 <= c0:
            return
        ky = max(1, (r1 - r0) // max(1, int(view.height())))
        kx = max(1, (c1 - c0) // max(1, int(view.width())))
        # Snap the block to the pooling grid so panning does not make the picture shimmer.
        r0, c0 = r0 // ky * ky, c0 // kx * kx
        key = (r0, r1, c0, c1, ky, kx)
        rect = pg.QtCore.QRectF(c0, r0, c1 - c0, r1 - r0)
        if not self._drawn or self._drawn[0] != key:
            block = pool(pool(self._shown[r0:r1, c0:c1], ky, 0), kx, 1)
            self.image.setImage(np.ascontiguousarray(block), autoLevels=False, levels=self._levels)
            self.image.setRect(rect)
        if self._mask is not None and (len(self._drawn) < 2 or self._drawn[1] != key):
            veil = pool(pool(self._mask[r0:r1, c0:c1], ky, 0, np.minimum), kx, 1, np.minimum)
            self.overlay.setImage(np.ascontiguousarray(veil), autoLevels=False, levels=(0, 1))
            self.overlay.setRect(rect)
        self._drawn = (key, key if self._mask is not None else None)

    # --- user intent ---------------------------------------------------------------------------------------
    def _cell_at(self, scene_pos: QPointF) -> tuple[int, int] | None:
        if self.matrix is None or not self.plot.getPlotItem().sceneBoundingRect().contains(scene_pos):
            return None
        point = self.plot.getPlotItem().getViewBox().mapSceneToView(scene_pos)
        row, col = int(math.floor(point.y())), int(math.floor(point.x()))
        if 0 <= row < self.matrix.shape[0] and 0 <= col < self.matrix.shape[1]:
            return row, col
        return None

    def _on_axis_click(self, orientation: str, index: int) -> None:
        (self.rowClicked if orientation == "left" else self.columnClicked).emit(index)

    def _on_hover(self, scene_pos: QPointF) -> None:
        self._hovered = self._cell_at(scene_pos)
        self._show_caption()

    def _show_caption(self) -> None:
        """The hovered cell, else the selected one, read from the matrix drawn now (blank when it has no such cell)."""
        shape = self.matrix.shape if self.matrix is not None else (0, 0)
        for cell in (self._hovered, (self.row, self.key)):
            if cell is not None and 0 <= cell[0] < shape[0] and 0 <= cell[1] < shape[1]:
                self.hover_label.setText(self.describe(*cell))
                return
        self.hover_label.setText(" ")

    def describe(self, row: int, col: int) -> str:
        """The hover text for one cell: query token, key token, weight and pre-softmax score."""
        def token(tokens: list[str], i: int) -> str:
            return f"“{display_token(tokens[i])}”" if 0 <= i < len(tokens) else ""
        parts = [self.tr("query {row} {query} → key {col} {key}").format(row=row, query=token(self.rows, row), col=col,
                                                                          key=token(self.cols, col))]
        if self.weights is not None:
            parts.append(self.tr("weight {weight:.4g}").format(weight=self.weights[row, col]))
        if self.scores is not None:
            parts.append(self.tr("score {score:.4g}").format(score=self.scores[row, col]))
        if self.weights is None and self.scores is None and self.matrix is not None:
            parts.append(f"{self.value_name} {self.matrix[row, col]:.4g}")
        return " · ".join(parts)

    def _on_click(self, event) -> None:  # noqa: ANN001 - pyqtgraph's mouse event
        if event.button() != Qt.MouseButton.LeftButton:
            return
        cell = self._cell_at(event.scenePos())
        if cell is not None:
            self.cellClicked.emit(*cell)


def display_values(matrix: np.ndarray, kind: str, log: bool) -> tuple[np.ndarray, tuple[float, float]]:
    """The float32 image to draw and its levels; −∞ (masked scores) becomes NaN, which draws transparent."""
    m = np.asarray(matrix, dtype=np.float32)
    if kind == "pattern":
        if log:
            shown = np.log10(np.maximum(m, LOG_FLOOR))
            return np.ascontiguousarray(shown), (math.log10(LOG_FLOOR), 0.0)
        top = float(m.max()) if m.size else 1.0
        if not np.isfinite(top):  # a NaN planted upstream: scale by what is finite
            top = float(np.nanmax(np.where(np.isinf(m), np.nan, m))) if np.isfinite(m).any() else 1.0
        return np.ascontiguousarray(m), (0.0, top if np.isfinite(top) and top > 0 else 1.0)
    finite = np.isfinite(m)
    shown = m if finite.all() else np.where(finite, m, np.nan).astype(np.float32)
    if log:
        shown = (np.sign(shown) * np.log10(1.0 + np.abs(shown))).astype(np.float32)
    values = shown[finite] if not finite.all() else shown
    if values.size == 0:
        return np.ascontiguousarray(shown), (0.0, 1.0)
    lo, hi = float(values.min()), float(values.max())
    return np.ascontiguousarray(shown), (lo, hi if hi > lo else lo + 1.0)


def pool(a: np.ndarray, k: int, axis: int, op: np.ufunc = np.fmax) -> np.ndarray:
    """Reduce blocks of k along ``axis`` with ``op`` (fmax keeps peaks and ignores NaN; minimum for the mask veil
    keeps only fully masked blocks). Rows go through a reshape, columns through k strided passes: both read the
    array once in memory order, ~5 ms for 4096² here, where a reduction over the innermost axis takes 3× longer."""
    if k <= 1:
        return a
    n = a.shape[axis]
    full = n // k * k
    if axis == 0:
        out = op.reduce(a[:full].reshape(full // k, k, *a.shape[1:]), axis=1)
    else:
        out = a[:, 0:full:k].copy()
        for j in range(1, k):
            op(out, a[:, j:full:k], out=out)
    tail = a[full:] if axis == 0 else a[:, full:]
    if tail.shape[axis]:
        out = np.concatenate([out, op.reduce(tail, axis=axis, keepdims=True)], axis=axis)
    return out


class TokenStrip(QListWidget):
    """The tokens in one scrolling row; clicking one selects that query position."""

    tokenClicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(False)
        self.setUniformItemSizes(True)
        self.setFont(cjk_font(11))
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFixedHeight(46)
        self.tokens: list[str] = []  # what the items show, before display_token
        self.itemClicked.connect(lambda item: self.tokenClicked.emit(self.row(item)))

    def set_tokens(self, tokens: list[str]) -> None:
        """Show ``tokens``; the same list again is kept as it is (refilling 4,096 items per head switch is slow),
        any other list replaces the strip even when it has as many tokens."""
        if list(tokens) == self.tokens:
            return
        self.tokens = list(tokens)
        self.blockSignals(True)
        self.clear()
        # Uniform cells as wide as the widest token (capped), so Chinese and Latin tokens line up.
        metrics = self.fontMetrics()
        widest = max([metrics.horizontalAdvance(display_token(t)) for t in tokens[:4096]] + [10])
        self.setGridSize(QSize(min(widest, 80) + 12, 28))
        for i, token in enumerate(tokens):
            item = QListWidgetItem(display_token(token))
            item.setToolTip(self.tr("position {i}").format(i=i))
            item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
            self.addItem(item)
        self.blockSignals(False)

    def set_position(self, position: int) -> None:
        self.blockSignals(True)
        if 0 <= position < self.count():
            self.setCurrentRow(position)
            self.scrollToItem(self.item(position), QAbstractItemView.ScrollHint.PositionAtCenter)
        else:
            self.clearSelection()
        self.blockSignals(False)
