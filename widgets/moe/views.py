"""The router view's pictures: the token → expert map, the router-probability heatmap with top-k marks and shared
experts, and load per expert and layer (heatmap plus the selected layer's bars against 1/E).

Fast at 2048 tokens × 32 layers × 64 experts (bench/bench_moe.py): every picture is one RGBA or float32
row-major ImageItem with explicit levels; only the selected layer's top-k marks are points.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from lmscope.widgets.attention.heatmap import TokenAxis, display_token
from lmscope.widgets.colorbar import ColorBar, HoverReadout, mark_categorical, reserve_colorbar_space
from lmscope.widgets.moe.data import RouterView, expert_colors
from lmscope.widgets.style import cjk_font, fmt, lookup_table, make_plot_widget

HATCH = 4  # a dropped cell of the map, close up: HATCH × HATCH overlay pixels with a diagonal white stripe
MARK = 8  # a top-k cell of the probability heatmap, close up: MARK × MARK overlay pixels, a one-pixel ring
DETAIL_PX = 6.0  # cells at least this many screen pixels wide and tall get the close-up patterns
SELECT_PEN = pg.mkPen("#FFFFFF", width=1.5)
NO_FILL = pg.mkBrush(0, 0, 0, 0)  # a selected row is outlined, not tinted, so its cells keep their exact colours
# Overlays are uint8 code images (0 transparent) drawn through 3-entry tables. 16,384 top-k marks as points cost
# ~115 ms a redraw (ScatterPlotItem.setData + paint) and patterned overlays at 3–4× resolution ~10 ms a paint
# (bench_moe); at cell resolution they cost what the heatmap costs, so patterns are drawn only when cells are big.
HATCH_COARSE = np.array([[0, 0, 0, 0], [0, 0, 0, 150], [0, 0, 0, 150]], dtype=np.uint8)
HATCH_FINE = np.array([[0, 0, 0, 0], [0, 0, 0, 90], [255, 255, 255, 230]], dtype=np.uint8)
MARK_COARSE = np.array([[0, 0, 0, 0], [255, 255, 255, 110], [255, 64, 64, 230]], dtype=np.uint8)
MARK_FINE = np.array([[0, 0, 0, 0], [255, 255, 255, 255], [255, 64, 64, 255]], dtype=np.uint8)


def _cells(codes: np.ndarray, size: int, pattern: np.ndarray) -> np.ndarray:
    """Each cell of ``codes`` (rows, cols) as size × size pixels: its code where ``pattern`` is True, else 0."""
    up = np.repeat(np.repeat(codes, size, axis=0), size, axis=1)
    return np.where(np.tile(pattern, codes.shape), up, 0).astype(np.uint8)


def hatch_overlay(dropped_cells: np.ndarray) -> np.ndarray:
    """(rows·HATCH, cols·HATCH) codes for HATCH_FINE: a dark veil with a white diagonal stripe on dropped cells."""
    stripe = np.add.outer(np.arange(HATCH), np.arange(HATCH)) % HATCH == 0
    veil = _cells(dropped_cells.astype(np.uint8), HATCH, np.ones((HATCH, HATCH), bool))
    return np.where(np.tile(stripe, dropped_cells.shape) & (veil > 0), 2, veil).astype(np.uint8)


def mark_overlay(codes: np.ndarray) -> np.ndarray:
    """(rows·MARK, cols·MARK) codes for MARK_FINE: a ring (1 kept, 2 dropped) around each marked cell."""
    ring = np.ones((MARK, MARK), bool)
    ring[1:-1, 1:-1] = False
    return _cells(codes, MARK, ring)


def expert_legend(colors: np.ndarray, limit: int = 32) -> str:
    """Rich text naming each expert's colour (beyond ``limit`` experts: hover a cell instead)."""
    if len(colors) > limit:
        return QCoreApplication.translate("RoutingView", "Colour = top-1 expert ({n} experts: hover a cell for its "
                                                         "number). Striped = dropped.").format(n=len(colors))
    swatches = " ".join(f"<span style='color:#{r:02x}{g:02x}{b:02x}'>&#9632;</span>&nbsp;{e}"
                        for e, (r, g, b, _a) in enumerate(colors.tolist()))
    return QCoreApplication.translate("RoutingView", "Top-1 expert: {swatches} &nbsp;·&nbsp; striped / dark = an "
                                                     "assignment dropped over capacity").format(swatches=swatches)


class CodeOverlay(pg.ImageItem):
    """Per-cell codes over a heatmap: one pixel per cell through ``coarse`` when cells are small on screen, and the
    ``pattern`` (codes → up-sampled codes) through ``fine`` once every cell is at least DETAIL_PX each way."""

    def __init__(self, coarse: np.ndarray, fine: np.ndarray, pattern: object) -> None:
        super().__init__(axisOrder="row-major")
        mark_categorical(self, "marks over the heatmap (top-k choices, dropped assignments)")
        self.coarse, self.fine, self.pattern = coarse, fine, pattern
        self.codes = np.zeros((0, 0), np.uint8)
        self.detailed: bool | None = None
        self._fine_image: np.ndarray | None = None

    def set_codes(self, codes: np.ndarray, detailed: bool) -> None:
        self.codes, self._fine_image, self.detailed = np.ascontiguousarray(codes, dtype=np.uint8), None, None
        self.set_detail(detailed)

    def set_detail(self, detailed: bool) -> None:
        if detailed == self.detailed or self.codes.size == 0:
            return
        self.detailed = detailed
        if detailed and self._fine_image is None:
            self._fine_image = self.pattern(self.codes)
        lut = self.fine if detailed else self.coarse
        self.setLookupTable(lut)
        self.setImage(self._fine_image if detailed else self.codes, autoLevels=False, levels=(0, len(lut)))
        self.setRect(0, 0, self.codes.shape[1], self.codes.shape[0])


class ImagePlot(QWidget):
    """A plot with token columns, an image and a hover line; subclasses fill in what a cell means."""

    tokenClicked = Signal(int)
    rowClicked = Signal(int)

    def __init__(self, left_width: int = 56, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = make_plot_widget()
        item = self.plot.getPlotItem()
        self.bottom_axis = TokenAxis("bottom", self._on_axis_click)
        self.left_axis = TokenAxis("left", self._on_axis_click)
        item.setAxisItems({"left": self.left_axis, "bottom": self.bottom_axis})
        self.left_axis.setWidth(left_width)
        item.showGrid(x=False, y=False)
        item.invertY(True)
        item.setMenuEnabled(False)
        self.image = pg.ImageItem(axisOrder="row-major")
        item.addItem(self.image)
        self.token_line = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen("#E69F00", width=1.5))
        self.token_line.setZValue(20)
        self.token_line.hide()
        item.addItem(self.token_line)
        self.hover_label = QLabel(" ")
        self.hover_label.setFont(cjk_font(9))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.hover_label)
        self.view: RouterView | None = None
        self.overlays: list[CodeOverlay] = []
        self.plot.scene().sigMouseMoved.connect(self._on_hover)
        self.plot.scene().sigMouseClicked.connect(self._on_click)
        item.getViewBox().sigRangeChanged.connect(self._on_range)

    def add_overlay(self, overlay: CodeOverlay, z: float) -> CodeOverlay:
        overlay.setZValue(z)
        self.plot.getPlotItem().addItem(overlay)
        self.overlays.append(overlay)
        return overlay

    def detailed(self) -> bool:
        """Whether cells (one view unit each way) are big enough on screen for the close-up patterns."""
        dx, dy = self.plot.getPlotItem().getViewBox().viewPixelSize()
        return 0 < dx <= 1 / DETAIL_PX and 0 < dy <= 1 / DETAIL_PX

    def _on_range(self, *_: object) -> None:
        detailed = self.detailed()
        for overlay in self.overlays:
            overlay.set_detail(detailed)

    def _cell(self, scene_pos: object) -> tuple[int, int] | None:
        vb = self.plot.getPlotItem().getViewBox()
        if not vb.sceneBoundingRect().contains(scene_pos):
            return None
        point = vb.mapSceneToView(scene_pos)
        row, col = int(np.floor(point.y())), int(np.floor(point.x()))
        shape = self.image.image.shape if self.image.image is not None else (0, 0)
        if self.view is None or not (0 <= row < shape[0] and 0 <= col < self.view.n_tokens):
            return None
        return row, col

    def _on_hover(self, pos: object) -> None:
        cell = self._cell(pos)
        self.hover_label.setText(self.describe(*cell) if cell else " ")

    def _on_click(self, event: object) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        cell = self._cell(event.scenePos())
        if cell is not None:
            self.rowClicked.emit(cell[0])
            self.tokenClicked.emit(cell[1])

    def _on_axis_click(self, orientation: str, index: int) -> None:
        (self.rowClicked if orientation in ("left", "right") else self.tokenClicked).emit(index)

    def describe(self, row: int, col: int) -> str:
        raise NotImplementedError  # each picture says what its cell is

    def token_text(self, col: int) -> str:
        tokens = self.view.tokens if self.view is not None else ()
        return (self.tr("token {col} {text}").format(col=col, text=repr(display_token(tokens[col])))
                if col < len(tokens) else self.tr("token {col}").format(col=col))

    def set_token(self, position: int) -> None:
        if self.view is not None and 0 <= position < self.view.n_tokens:
            self.token_line.setValue(position + 0.5)
            self.token_line.show()
        else:
            self.token_line.hide()


class ExpertMap(ImagePlot):
    """Tokens along x, one row per MoE layer; colour = the top-1 expert, striped where an assignment was dropped."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent=parent)
        self.overlay = self.add_overlay(CodeOverlay(HATCH_COARSE, HATCH_FINE, hatch_overlay), 5)
        self.row_band = pg.LinearRegionItem(orientation="horizontal", movable=False,
                                            brush=NO_FILL, pen=SELECT_PEN)
        self.row_band.setZValue(10)
        self.plot.getPlotItem().addItem(self.row_band)
        self.colors = expert_colors(0)
        self.legend = QLabel(" ")
        self.legend.setWordWrap(True)
        mark_categorical(self.image, "the expert legend above the map")
        reserve_colorbar_space(self.plot)  # token columns line up with the probability heatmap's below
        self.layout().insertWidget(1, self.legend)

    def set_view(self, view: RouterView) -> None:
        old = self.view
        self.view = view
        self.colors = expert_colors(view.n_experts)
        self.legend.setText(expert_legend(self.colors))
        top1 = view.topk_indices[..., 0]
        self.image.setImage(np.ascontiguousarray(self.colors[top1]), autoLevels=False)
        self.image.setRect(0, 0, view.n_tokens, len(view.layers))
        dropped = view.dropped.any(axis=-1)
        self.overlay.setVisible(bool(dropped.any()))
        if old is None or old.tokens != view.tokens:
            self.bottom_axis.set_tokens(list(view.tokens))
        self.left_axis.set_tokens([f"L{layer}" for layer in view.layers])
        if old is None or (old.n_tokens, len(old.layers)) != (view.n_tokens, len(view.layers)):
            self.plot.getPlotItem().getViewBox().setRange(xRange=(0, view.n_tokens), yRange=(0, len(view.layers)),
                                                          padding=0.01)
        if dropped.any():
            self.overlay.set_codes(dropped, self.detailed())

    def set_row(self, row: int) -> None:
        self.row_band.setRegion((row, row + 1))

    def describe(self, row: int, col: int) -> str:
        view = self.view
        dropped = self.tr(" dropped")
        picks = ", ".join(f"e{int(e)} {float(w):.3f}{dropped if d else ''}" for e, w, d in
                          zip(view.topk_indices[row, col], view.topk_weights[row, col], view.dropped[row, col]))
        return self.tr("layer {layer} · {token} → {picks}").format(layer=view.layers[row], token=self.token_text(col),
                                                                    picks=picks)


class ProbabilityView(ImagePlot):
    """The selected layer's softmax(router logits): experts down, tokens across, top-k marked (× when dropped);
    shared experts as always-on rows below the routed ones (their gate per token, or 1)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(left_width=44, parent=parent)
        self.colorbar = ColorBar(self.image, "viridis", self.tr("router probability"), plot=self.plot)
        self.marks = self.add_overlay(CodeOverlay(MARK_COARSE, MARK_FINE, mark_overlay), 10)
        self.shared_line = pg.InfiniteLine(angle=0, movable=False, pen=pg.mkPen("#FFFFFF", width=1,
                                                                                  style=Qt.PenStyle.DashLine))
        self.plot.getPlotItem().addItem(self.shared_line)
        self.row = 0
        self.show_marks = True

    def set_view(self, view: RouterView, row: int) -> None:
        old = self.view
        self.view, self.row = view, row
        routed = view.probs[row].T  # (E, N)
        shared = self._shared(view, row)
        image = routed if shared is None else np.concatenate([routed, shared], axis=0)
        top = float(routed.max()) if routed.size else 1.0
        self.image.setImage(np.ascontiguousarray(image, dtype=np.float32), autoLevels=False,
                            levels=(0.0, top if top > 0 else 1.0))
        self.image.setRect(0, 0, view.n_tokens, image.shape[0])
        labels = [str(e) for e in range(view.n_experts)] + [f"S{s}" for s in range(view.n_shared)]
        self.left_axis.set_tokens(labels)
        if old is None or old.tokens != view.tokens:
            self.bottom_axis.set_tokens(list(view.tokens))
        self.shared_line.setValue(view.n_experts)
        self.shared_line.setVisible(view.n_shared > 0)
        if old is None or (old.n_tokens, old.n_experts, old.n_shared) != (view.n_tokens, view.n_experts,
                                                                          view.n_shared):
            self.plot.getPlotItem().getViewBox().setRange(xRange=(0, view.n_tokens), yRange=(0, image.shape[0]),
                                                          padding=0.01)
        self._draw_marks(image.shape[0])

    @staticmethod
    def _shared(view: RouterView, row: int) -> np.ndarray | None:
        if view.n_shared == 0:
            return None
        if view.shared_gate is not None:
            return view.shared_gate[row].T
        return np.ones((view.n_shared, view.n_tokens), np.float32)

    def set_marks_visible(self, visible: bool) -> None:
        self.show_marks = visible
        self.marks.setVisible(visible)

    def _draw_marks(self, rows: int) -> None:
        view = self.view
        codes = np.zeros((rows, view.n_tokens), np.uint8)
        idx, dropped = view.topk_indices[self.row], view.dropped[self.row]
        tokens = np.broadcast_to(np.arange(view.n_tokens)[:, None], idx.shape)
        codes[idx, tokens] = np.where(dropped, 2, 1)
        self.marks.set_codes(codes, self.detailed())
        self.marks.setVisible(self.show_marks)

    @property
    def mark_codes(self) -> np.ndarray:
        """(E + shared, N): 1 where the token chose the expert, 2 where that choice was dropped."""
        return self.marks.codes

    def describe(self, row: int, col: int) -> str:
        view = self.view
        if row >= view.n_experts:
            s = row - view.n_experts
            gate = 1.0 if view.shared_gate is None else float(view.shared_gate[self.row, col, s])
            return self.tr("layer {layer} · {token} · shared expert S{s}: gate {gate:.3f}").format(
                layer=view.layers[self.row], token=self.token_text(col), s=s, gate=gate)
        p = float(view.probs[self.row, col, row])
        slots = np.flatnonzero(view.topk_indices[self.row, col] == row)
        chosen = ""
        if slots.size:
            s = int(slots[0])
            chosen = (self.tr(" · top-{k} choice, weight {weight:.3f}").format(
                k=s + 1, weight=float(view.topk_weights[self.row, col, s]))
                      + (self.tr(" (dropped)") if view.dropped[self.row, col, s] else ""))
        return self.tr("layer {layer} · {token} · expert {expert}: p = {p:.4f}").format(
            layer=view.layers[self.row], token=self.token_text(col), expert=row, p=p) + chosen


class LoadView(QWidget):
    """Load (or importance) per expert and layer as a heatmap, shared experts as grey always-on columns; below it
    the selected layer's load and importance bars against the ideal 1/E."""

    rowClicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.heat = make_plot_widget(bottom=self.tr("expert"))
        item = self.heat.getPlotItem()
        self.left_axis = TokenAxis("left", lambda _o, i: self.rowClicked.emit(i))
        self.bottom_axis = TokenAxis("bottom")
        item.setAxisItems({"left": self.left_axis, "bottom": self.bottom_axis})
        self.left_axis.setWidth(44)
        item.invertY(True)
        item.showGrid(x=False, y=False)
        item.setMenuEnabled(False)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.shared_image = pg.ImageItem(axisOrder="row-major")
        self.shared_image.setLookupTable(lookup_table("CET-L1"))
        mark_categorical(self.shared_image, "shared experts: always on (the caption says so)")
        self.row_band = pg.LinearRegionItem(orientation="horizontal", movable=False,
                                            brush=NO_FILL, pen=SELECT_PEN)
        for graphic in (self.image, self.shared_image, self.row_band):
            item.addItem(graphic)
        self.colorbar = ColorBar(self.image, "magma", plot=self.heat)
        self.hover_label = QLabel(" ")
        self.readout = HoverReadout(self.image, self.hover_label, self._describe)
        self.bars = make_plot_widget(left=self.tr("fraction"), bottom=self.tr("expert"))
        self.bars.addLegend(offset=(-10, 10))
        self.load_bars = pg.BarGraphItem(x=[], height=[], width=0.4, brush="#56B4E9", name=self.tr("load (routed "
                                                                                                   "slots)"))
        self.importance_bars = pg.BarGraphItem(x=[], height=[], width=0.4, brush="#E69F00", name=self.tr("importance "
                                                                                                         "(mean p)"))
        self.ideal = pg.InfiniteLine(angle=0, movable=False, label="1/E", labelOpts={"position": 0.95},
                                     pen=pg.mkPen("#FFFFFF", width=1.5, style=Qt.PenStyle.DashLine))
        for graphic in (self.load_bars, self.importance_bars, self.ideal):
            self.bars.addItem(graphic)
        self.title = QLabel(" ")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.heat, 3)
        layout.addWidget(self.hover_label)
        layout.addWidget(self.title)
        layout.addWidget(self.bars, 2)
        self.view: RouterView | None = None
        self.heat.scene().sigMouseClicked.connect(self._on_click)
        self.show_importance = False

    def set_view(self, view: RouterView, row: int, importance: bool = False) -> None:
        old, self.view, self.show_importance = self.view, view, importance
        values = view.importance if importance else view.load
        self.colorbar.set_label(self.tr("importance") if importance else self.tr("load"))
        top = float(values.max()) if values.size else 1.0
        self.image.setImage(np.ascontiguousarray(values, dtype=np.float32), autoLevels=False,
                            levels=(0.0, top if top > 0 else 1.0))
        e, n_layers = view.n_experts, len(view.layers)
        self.image.setRect(0, 0, e, n_layers)
        if view.n_shared:
            gate = (np.ones((n_layers, view.n_shared), np.float32) if view.shared_gate is None
                    else view.shared_gate.mean(axis=1))
            self.shared_image.setImage(np.ascontiguousarray(gate, dtype=np.float32), autoLevels=False,
                                       levels=(0.0, 1.0))
            self.shared_image.setRect(e + 0.5, 0, view.n_shared, n_layers)
            self.shared_image.show()
        else:
            self.shared_image.hide()
        self.left_axis.set_tokens([f"L{layer}" for layer in view.layers])
        self.bottom_axis.set_tokens([str(i) for i in range(e)] + (["·"] if view.n_shared else [])
                                    + [f"S{s}" for s in range(view.n_shared)])
        if old is None or (old.n_experts, old.n_shared, len(old.layers)) != (e, view.n_shared, n_layers):
            width = e + (view.n_shared + 0.5 if view.n_shared else 0)
            self.heat.getPlotItem().getViewBox().setRange(xRange=(0, width), yRange=(0, n_layers), padding=0.01)
        self.set_row(row)

    def set_row(self, row: int) -> None:
        view = self.view
        if view is None:
            return
        self.row_band.setRegion((row, row + 1))
        x = np.arange(view.n_experts, dtype=float)
        self.load_bars.setOpts(x=x - 0.2, height=view.load[row], width=0.4)
        self.importance_bars.setOpts(x=x + 0.2, height=view.importance[row], width=0.4)
        self.ideal.setValue(1.0 / view.n_experts)
        shared = self.tr(" · shared experts always on: {n}").format(n=view.n_shared) if view.n_shared else ""
        what = (self.tr("importance (mean router probability)") if self.show_importance
                else self.tr("load (fraction of routed slots)"))
        self.title.setText(self.tr("Heatmap: {what} per layer and expert{shared}. Bars: layer {value}.")
                           .format(what=what, shared=shared, value=view.layers[row]))
        self.bars.getPlotItem().getViewBox().setRange(
            xRange=(-0.7, view.n_experts - 0.3),
            yRange=(0, max(1.0 / view.n_experts, float(view.load[row].max()), float(view.importance[row].max())) * 1.1),
            padding=0)

    def _describe(self, row: int, col: int, value: float) -> str:
        what = self.tr("importance") if self.show_importance else self.tr("load")
        return self.tr("layer {0} · expert {1}: {2} {3}").format(self.view.layers[row], col, what, fmt(value))

    def _on_click(self, event: object) -> None:
        vb = self.heat.getPlotItem().getViewBox()
        if self.view is None or not vb.sceneBoundingRect().contains(event.scenePos()):
            return
        row = int(np.floor(vb.mapSceneToView(event.scenePos()).y()))
        if 0 <= row < len(self.view.layers):
            self.rowClicked.emit(row)
