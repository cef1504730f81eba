"""The FlashAttention panel's pictures and plain data: HBM tiles, the SRAM occupancy, and what the binding sends.

Split from widgets/flashsim.py (the panel and its controls) to keep each module readable; the panel re-exports
these names.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QT_TRANSLATE_NOOP, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPen
from PySide6.QtWidgets import QGraphicsRectItem

from lmscope.widgets.colorbar import ColorBar, HoverReadout, mark_categorical
from lmscope.widgets.style import PALETTE, fmt

BACKGROUND = "#1e1e1e"
COLORS = {"Q": PALETTE[0], "K": PALETTE[2], "V": PALETTE[4], "O": PALETTE[5], "S": PALETTE[1], "vec": "#b0b0b0"}
CURRENT = PALETTE[3]  # the tile being processed, and its blocks
CURVE_COLORS = {"standard": "#FFFFFF", "fa1": PALETTE[0], "fa2": PALETTE[1]}
CURVE_NAMES = {"standard": QT_TRANSLATE_NOOP("TrafficCurves", "standard  Θ(Nd + N²)"), "fa1": "FA1  Θ(N²d²/M)",
               "fa2": "FA2"}
MAX_PIXELS = 512  # the S grid and the strips are drawn at most this many pixels a side; exact up to N = 512
ERROR_FLOOR = 1e-17  # an exact 0 in the error plot sits here on the log axis
SPEEDS = (1, 2, 4, 8, 15, 30, 60, 120, 240)  # steps per second offered by the speed box
TICK_MS = 16  # playback ticks at ~60 Hz whatever the speed; each tick asks for the steps that are due


@dataclass(frozen=True)
class FlashSetup:
    """One simulated pass: its geometry, the order tiles are visited in and its whole-pass totals (elements)."""

    algo: str  # "fa1" | "fa2"
    n: int
    d: int
    m: int  # SRAM capacity M, elements
    br: int
    bc: int
    causal: bool
    tile_step: np.ndarray  # (Tr, Tc): index of the step that processes tile (i, j), −1 when causal skips it
    dtype_bytes: int
    reads: int
    writes: int
    standard_reads: int
    standard_writes: int
    peak_sram: int
    source: str  # where Q, K, V come from, for the caption
    m_range: tuple[float, float] = (0.0, 1.0)  # over the whole run, to fix the plots' axes
    l_max: float = 1.0
    error_max: float = 1.0

    @property
    def total_steps(self) -> int:
        return int((self.tile_step >= 0).sum())


@dataclass(frozen=True)
class FlashFrame:
    """The state after ``step`` tiles: per-row m, ℓ and max |O − exact|, and what the last tile did."""

    step: int
    tile: tuple[int, int] | None  # (i, j) of the last processed tile, None at step 0
    m: np.ndarray  # (N,), −inf on rows not yet visited
    l: np.ndarray  # (N,)
    error: np.ndarray  # (N,)
    scores: np.ndarray | None  # the S tile, −inf where masked
    sram_parts: tuple[tuple[str, str, int], ...]  # (colour key, label, elements) resident during the tile
    peak_sram: int  # the most SRAM used so far
    hbm_reads: int
    hbm_writes: int
    transfers: str


@dataclass(frozen=True)
class FlashCurves:
    """Whole-pass HBM accesses (elements) against M and against N, per algorithm; the current setting's point."""

    vs_m: dict[str, tuple[np.ndarray, np.ndarray]]
    vs_n: dict[str, tuple[np.ndarray, np.ndarray]]
    current_m: tuple[float, float]
    current_n: tuple[float, float]


def _rgba(color: str, alpha: int = 255, dim: float = 1.0) -> np.ndarray:
    """A colour as uint8 RGBA, mixed with the background by ``dim`` (1 = full colour, 0 = background)."""
    c, bg = QColor(color), QColor(BACKGROUND)
    mix = [round(bg_c + (c_c - bg_c) * dim) for c_c, bg_c in ((c.red(), bg.red()), (c.green(), bg.green()),
                                                              (c.blue(), bg.blue()))]
    return np.array([*mix, alpha], dtype=np.uint8)


def _tile_lut() -> np.ndarray:
    """Index 0 = not yet visited, 1 = skipped (causal), 2 = current, 3…255 = visited, fading with age."""
    lut = np.empty((256, 4), dtype=np.uint8)
    lut[0], lut[1], lut[2] = _rgba("#2a3a4a"), _rgba("#555555", dim=0.55), _rgba(CURRENT)
    fade = np.linspace(0.0, 1.0, 253)[:, None]
    lut[3:] = np.round(_rgba(COLORS["S"]) * (1 - fade) + _rgba(COLORS["S"], dim=0.32) * fade)
    return lut


def block_of(n: int, block: int, pixels: int) -> np.ndarray:
    """For each of ``pixels`` pixels along a side of N elements, the index of the block it falls in."""
    return (np.arange(pixels) * n // pixels) // block


class HbmView(pg.GraphicsLayoutWidget):
    """Kᵀ above and Vᵀ below the virtual N × N grid of score tiles, Q on its left and O on its right."""

    def __init__(self) -> None:
        super().__init__()
        self.setBackground(BACKGROUND)
        self.box = self.addViewBox(lockAspect=True, invertY=True, enableMenu=False)
        self.tiles = pg.ImageItem(axisOrder="row-major")
        self.tiles.setLookupTable(_tile_lut())
        self.strips = {name: pg.ImageItem(axisOrder="row-major") for name in "QKVO"}
        for image in (self.tiles, *self.strips.values()):
            mark_categorical(image, "tile states (visit order) and the labelled Q, K, V, O blocks; hover a tile")
        self.grid = pg.PlotCurveItem(pen=pg.mkPen(BACKGROUND, width=1), connect="pairs", antialias=False)
        self.outlines = [QGraphicsRectItem() for _ in range(5)]  # S tile, Q_i, K_j, V_j, O_i
        for item in (self.tiles, *self.strips.values(), self.grid, *self.outlines):
            self.box.addItem(item)
        for rect in self.outlines:
            pen = QPen(QColor("#ffffff"), 2)
            pen.setCosmetic(True)
            rect.setPen(pen)
            rect.setZValue(10)
        self.labels = {name: pg.TextItem(text, color="#ffffff", anchor=(0.5, 0.5), fill=(30, 30, 30, 170))
                       for name, text in (("Q", "Q"), ("K", "Kᵀ"), ("V", "Vᵀ"), ("O", "O"))}
        for label in self.labels.values():
            label.setZValue(20)
            self.box.addItem(label)
        self.setup: FlashSetup | None = None
        self.hover = self.addLabel(" ", row=1, col=0, color="#dddddd")
        self.readout = HoverReadout(self.tiles, self.hover, self._describe)

    def _describe(self, row: int, col: int, _code: float) -> str:
        """A pixel of the S grid as its tile and when the simulation visits it (the colours are visit order)."""
        setup = self.setup
        i, j = int(self._rows[row]), int(self._cols[col])
        step = int(setup.tile_step[i, j])
        rows = (i * setup.br, min((i + 1) * setup.br, setup.n) - 1)
        cols = (j * setup.bc, min((j + 1) * setup.bc, setup.n) - 1)
        where = self.tr("tile ({0}, {1}): rows {2}–{3}, columns {4}–{5}").format(i, j, *rows, *cols)
        if step < 0:
            return where + self.tr(" · skipped (above the causal diagonal)")
        return where + self.tr(" · processed at step {0} of {1}").format(step + 1, setup.total_steps)

    def set_setup(self, setup: FlashSetup) -> None:
        self.setup, n = setup, setup.n
        # Q, K, V, O are N × d; d is drawn at least N/8 wide so a thin head stays visible next to N × N.
        t, g = max(n / 8, min(setup.d, n / 4)), n / 24
        self._origin = {"Q": (0, t + g), "K": (t + g, 0), "S": (t + g, t + g), "V": (t + g, t + 2 * g + n),
                        "O": (t + 2 * g + n, t + g)}
        self._size = {"Q": (t, n), "O": (t, n), "K": (n, t), "V": (n, t), "S": (n, n)}
        pixels = min(n, MAX_PIXELS)
        self._rows, self._cols = block_of(n, setup.br, pixels), block_of(n, setup.bc, pixels)
        # Passed with every setImage: an ImageItem's rect is a scale relative to its current image's shape.
        self._rects = {name: QRectF(*self._origin[name], *self._size[name]) for name in "QKVOS"}
        self._draw_grid(setup, t, g)
        # One label per empty corner square: Q above its strip, Kᵀ right of its own, O below, Vᵀ left.
        (qx, qy), (kx, ky), (ox, oy), (vx, vy) = (self._origin[k] for k in "QKOV")
        for name, x, y, anchor in (("Q", qx + t / 2, qy - g / 2, (0.5, 1)), ("K", kx + n + g / 2, ky + t / 2, (0, 0.5)),
                                   ("O", ox + t / 2, oy + n + g / 2, (0.5, 0)),
                                   ("V", vx - g / 2, vy + t / 2, (1, 0.5))):
            self.labels[name].setAnchor(anchor)
            self.labels[name].setPos(x, y)
        self.box.autoRange(padding=0.02)

    def _draw_grid(self, setup: FlashSetup, t: float, g: float) -> None:
        """Block boundaries as background-coloured lines: every boundary while there are few, else a sample."""
        n, (sx, sy) = setup.n, self._origin["S"]
        segments = []
        for block, horizontal in ((setup.br, True), (setup.bc, False)):
            cuts = np.arange(block, n, block, dtype=float)
            cuts = cuts[:: max(1, len(cuts) // 64)]
            for c in cuts:
                if horizontal:  # across Q, S and O
                    segments += [(0, sy + c), (t, sy + c), (sx, sy + c), (sx + n, sy + c),
                                 (sx + n + g, sy + c), (sx + n + g + t, sy + c)]
                else:  # across Kᵀ, S and Vᵀ
                    segments += [(sx + c, 0), (sx + c, t), (sx + c, sy), (sx + c, sy + n),
                                 (sx + c, sy + n + g), (sx + c, sy + n + g + t)]
        xy = np.asarray(segments, dtype=float).reshape(-1, 2) if segments else np.zeros((0, 2))
        self.grid.setData(xy[:, 0], xy[:, 1], connect="pairs")

    def set_step(self, step: int, tile: tuple[int, int] | None) -> None:
        setup = self.setup
        if setup is None:
            return
        ts = setup.tile_step
        codes = np.zeros(ts.shape, dtype=np.uint8)
        codes[ts < 0] = 1
        done = (ts >= 0) & (ts < step - 1)
        # Fade over about two inner loops, so the path of the last sweeps stays readable.
        inner = max(4, ts.shape[0] if setup.algo == "fa1" else ts.shape[1])
        codes[done] = 3 + np.minimum(252, (step - 1 - ts[done]) * 126 // inner)
        if tile is not None:
            codes[tile] = 2
        self.tiles.setImage(codes[np.ix_(self._rows, self._cols)], autoLevels=False, levels=(0, 255),
                            rect=self._rects["S"])
        self._draw_strips(step, tile)
        self._draw_outlines(tile)

    def _draw_strips(self, step: int, tile: tuple[int, int] | None) -> None:
        setup, ts = self.setup, self.setup.tile_step
        i, j = tile if tile is not None else (-1, -1)
        for name, blocks, current, along_rows in (("Q", ts.shape[0], i, True), ("K", ts.shape[1], j, False),
                                                  ("V", ts.shape[1], j, False)):
            colors = np.repeat(_rgba(COLORS[name], dim=0.35)[None], blocks, axis=0)
            if current >= 0:
                colors[current] = _rgba(COLORS[name])
            self._set_strip(name, colors, along_rows)
        # O in HBM: final once its last tile is done; FA1 also rewrites it after every tile of its row.
        visited = np.where(ts >= 0, ts, -1)
        final = visited.max(axis=1) < step
        first = np.where(ts >= 0, ts, np.iinfo(ts.dtype).max).min(axis=1)
        colors = np.repeat(_rgba(COLORS["O"], dim=0.15)[None], ts.shape[0], axis=0)
        if setup.algo == "fa1":
            colors[first < step] = _rgba(COLORS["O"], dim=0.45)
        colors[final] = _rgba(COLORS["O"], dim=0.75)
        if i >= 0:
            colors[i] = _rgba(COLORS["O"])
        self._set_strip("O", colors, True)

    def _set_strip(self, name: str, colors: np.ndarray, along_rows: bool) -> None:
        pixels = colors[self._rows if along_rows else self._cols]
        image = pixels[:, None, :] if along_rows else pixels[None, :, :]
        self.strips[name].setImage(np.ascontiguousarray(image), autoLevels=False, rect=self._rects[name])

    def _draw_outlines(self, tile: tuple[int, int] | None) -> None:
        for rect in self.outlines:
            rect.setVisible(tile is not None)
        if tile is None:
            return
        setup, (i, j) = self.setup, tile
        r0, r1 = i * setup.br, min((i + 1) * setup.br, setup.n)
        c0, c1 = j * setup.bc, min((j + 1) * setup.bc, setup.n)
        (sx, sy), (qx, _), (_, ky), (_, vy), (ox, _) = (self._origin[k] for k in "SQKVO")
        t = self._size["Q"][0]
        for rect, (x, y, w, h) in zip(self.outlines, ((sx + c0, sy + r0, c1 - c0, r1 - r0),
                                                      (qx, sy + r0, t, r1 - r0), (sx + c0, ky, c1 - c0, t),
                                                      (sx + c0, vy, c1 - c0, t), (ox, sy + r0, t, r1 - r0))):
            rect.setRect(QRectF(x, y, w, h))

    def tile_center(self, i: int, j: int) -> tuple[float, float]:
        """Scene coordinates of tile (i, j)'s centre, for tests that check its colour."""
        setup, (sx, sy) = self.setup, self._origin["S"]
        x = sx + (j * setup.bc + min((j + 1) * setup.bc, setup.n)) / 2
        y = sy + (i * setup.br + min((i + 1) * setup.br, setup.n)) / 2
        point = self.box.mapViewToScene(pg.Point(x, y))
        return point.x(), point.y()


class SramView(pg.GraphicsLayoutWidget):
    """The score tile on chip (masked entries grey) above an occupancy bar of the resident blocks against M."""

    def __init__(self) -> None:
        super().__init__()
        self.setBackground(BACKGROUND)
        self.title = self.addLabel(self.tr("S tile in SRAM"), row=0, col=0, color="#dddddd")
        self.tile_box = self.addViewBox(row=1, col=0, lockAspect=True, invertY=True, enableMenu=False)
        self.masked = QGraphicsRectItem()  # shows through the NaN (masked) pixels of the score image
        self.masked.setBrush(QBrush(QColor("#555555"), Qt.BrushStyle.BDiagPattern))
        self.masked.setPen(QPen(Qt.PenStyle.NoPen))
        self.scores = pg.ImageItem(axisOrder="row-major")
        self.tile_box.addItem(self.masked)
        self.tile_box.addItem(self.scores)
        self.colorbar = ColorBar(self.scores, "viridis", self.tr("score"))
        self.addItem(self.colorbar, row=1, col=1)
        self.hover = self.addLabel(" ", row=3, col=0, colspan=2, color="#dddddd")
        self.readout = HoverReadout(self.scores, self.hover, self._describe)
        self.origin = (0, 0)  # the tile's first Q row and K column in the whole N × N score matrix
        self.occupancy = self.addPlot(row=2, col=0, colspan=2)
        self.occupancy.hideAxis("left")
        self.occupancy.setLabel("bottom", self.tr("elements on chip"))
        self.occupancy.getAxis("bottom").enableAutoSIPrefix(False)
        self.occupancy.setMouseEnabled(x=False, y=False)
        self.occupancy.setMenuEnabled(False)
        self.occupancy.hideButtons()
        self.bars = pg.BarGraphItem(x0=[], width=[], y0=0.1, height=0.8, pen=pg.mkPen(BACKGROUND))
        self.overflow = pg.BarGraphItem(x0=[0], width=[0], y0=0.04, height=0.92, pen=pg.mkPen("#ff4040", width=2),
                                        brush=QBrush(QColor("#ff4040"), Qt.BrushStyle.BDiagPattern))
        # Both labels sit left of their lines, at two heights, so they never overlap or leave the plot.
        self.capacity_line = pg.InfiniteLine(
            angle=90, pen=pg.mkPen("#ffffff", width=2), label="M = {value:,.0f} ",
            labelOpts={"position": 0.86, "color": "#ffffff", "anchors": [(1, 0.5), (1, 0.5)]})
        self.peak_line = pg.InfiniteLine(
            angle=90, pen=pg.mkPen("#ff4040", style=Qt.PenStyle.DashLine), label="peak {value:,.0f} ",
            labelOpts={"position": 0.68, "color": "#ff8080", "anchors": [(1, 0.5), (1, 0.5)]})
        for item in (self.bars, self.overflow, self.capacity_line, self.peak_line):
            self.occupancy.addItem(item)
        self.ci.layout.setRowStretchFactor(1, 4)
        self.ci.layout.setRowStretchFactor(2, 1)
        self.title.setAttr("justify", "left")
        self._br = self._bc = 1

    def _describe(self, row: int, col: int, value: float) -> str:
        q, k = self.origin[0] + row, self.origin[1] + col
        if not np.isfinite(value):
            return self.tr("S[{0}, {1}]: masked (−∞)").format(q, k)
        return self.tr("S[{0}, {1}] = q{0}·k{1}/√d = {2}").format(q, k, fmt(value))

    def set_setup(self, setup: FlashSetup) -> None:
        self._br, self._bc = setup.br, setup.bc
        self.capacity_line.setValue(setup.m)
        self.occupancy.setXRange(0, max(setup.m, setup.peak_sram) * 1.12, padding=0)
        self.occupancy.setYRange(0, 1.9, padding=0)

    def set_frame(self, frame: FlashFrame, capacity: int) -> None:
        sizes = np.array([p[2] for p in frame.sram_parts], dtype=float)
        starts = np.concatenate([[0.0], np.cumsum(sizes)[:-1]])
        self.bars.setOpts(x0=starts, width=sizes, brushes=[pg.mkBrush(COLORS[p[0]]) for p in frame.sram_parts])
        used = float(sizes.sum())
        self.overflow.setOpts(x0=[capacity], width=[max(0.0, used - capacity)])
        self.overflow.setVisible(used > capacity)
        self.peak_line.setVisible(frame.peak_sram > 0)
        self.peak_line.setValue(frame.peak_sram)  # after setVisible: a hidden line's label does not update
        if frame.scores is None:
            self.scores.clear()
            self.title.setText(self.tr("S tile in SRAM: none yet (press Step)"))
            return
        scores = np.where(np.isfinite(frame.scores), frame.scores, np.nan).astype(np.float32)
        finite = scores[np.isfinite(scores)]
        lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        rect = QRectF(0, 0, scores.shape[1], scores.shape[0])
        self.scores.setImage(scores, autoLevels=False, levels=(lo, hi if hi > lo else lo + 1), rect=rect)
        self.masked.setRect(rect)
        self.tile_box.setRange(rect, padding=0.02)
        i, j = frame.tile
        self.origin = (i * self._br, j * self._bc)
        self.title.setText(self.tr("S tile ({i}, {j}): {value}×{value2}, {value3} … {value4}")
                           .format(i=i, j=j, value=scores.shape[0], value2=scores.shape[1], value3=fmt(lo),
                                   value4=fmt(hi)))
