"""A 2-D scatter that stays smooth from ten points to a million: exact points when few are in view, a density image
of all of them when many are.

Measured with pyqtgraph offscreen at 800×800 (DESIGN.md): a ScatterPlotItem costs 130–160 ms to fill and 13–21 ms a
frame at 100k points, but 1.4–1.8 s and 110–290 ms a frame at 1M; a 512² density image of 1M points costs ~60 ms
to bin (``np.bincount``) and 2–7 ms a frame. So:

- up to ``EXACT_ALL`` points every point is drawn, one ScatterPlotItem per colour (shared brushes), filled once
  (on a busy shared machine 100k exact points cost ~100 ms a frame, so the threshold sits at 20k);
- beyond that a density image of the whole extent (``DENSITY_BINS``², coloured by the mean colour of its points,
  brighter where denser) is drawn, and once panning or zooming rests (``SETTLE_MS``) the points inside the view are
  drawn exactly when there are at most ``VISIBLE_MAX`` of them — no sampling, ever;
- the selection, search matches, neighbours and (for ≤ ``LABEL_MAX`` points in view) labels are drawn on top.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QTimer, Signal

from lmscope.widgets.colorbar import mark_categorical
from lmscope.widgets.style import cjk_font

# Measured by bench_projector on a loaded 2-core machine: 100k exact points cost ~100 ms a frame, a density
# image ~14 ms; 20k exact points ~20 ms. So exact points everywhere only up to 20k, and beyond that only when
# at most 20k are in view.
EXACT_ALL = 20_000
VISIBLE_MAX = 20_000  # exact points drawn over the density image once the view settles
DENSITY_BINS = 512
LABEL_MAX = 150
SETTLE_MS = 120
CLICK_PIXELS = 10
TRAJECTORY_MAX = 200_000


def density_image(coords: np.ndarray, colour_index: np.ndarray, palette: np.ndarray,
                  extent: tuple[float, float, float, float], bins: int = DENSITY_BINS) -> np.ndarray:
    """(bins, bins, 4) uint8 RGBA, row-major with y up: each bin the mean colour of its points, alpha by log count.

    One ``np.bincount`` over (bin, colour) pairs gives every bin's count per colour at once.
    """
    x0, x1, y0, y1 = extent
    sx = bins / max(x1 - x0, 1e-12)
    sy = bins / max(y1 - y0, 1e-12)
    ix = np.clip(((coords[:, 0] - x0) * sx).astype(np.int64), 0, bins - 1)
    iy = np.clip(((coords[:, 1] - y0) * sy).astype(np.int64), 0, bins - 1)
    n_colours = len(palette)
    per = np.bincount((iy * bins + ix) * n_colours + colour_index, minlength=bins * bins * n_colours)
    per = per.reshape(bins * bins, n_colours).astype(np.float32)
    counts = per.sum(1)
    rgb = per @ palette[:, :3].astype(np.float32) / np.maximum(counts, 1)[:, None]
    alpha = np.where(counts > 0, 90 + 165 * np.log1p(counts) / np.log1p(max(float(counts.max()), 1.0)), 0)
    image = np.concatenate([rgb, alpha[:, None]], axis=1).clip(0, 255).astype(np.uint8)
    return image.reshape(bins, bins, 4)


class ScatterView(pg.PlotWidget):
    """Points with colours and labels; emits ``pointClicked(row)`` (−1 for empty space)."""

    pointClicked = Signal(int)
    viewSettled = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.setBackground("#1e1e1e")
        self.plot_item = self.getPlotItem()
        self.plot_item.hideAxis("left")
        self.plot_item.hideAxis("bottom")
        self.plot_item.setAspectLocked(True)
        self.coords = np.zeros((0, 2), np.float32)
        self.labels: Sequence[str] = ()
        self.colour_index = np.zeros(0, np.int64)
        self.palette = np.zeros((1, 4), np.uint8)
        self.groups: np.ndarray | None = None
        self.extent = (0.0, 1.0, 0.0, 1.0)
        self.mode = "empty"  # "exact", "density" or "density+points"
        self.density = pg.ImageItem(axisOrder="row-major")
        mark_categorical(self.density, "point density coloured by the colour-by legend")
        self.density.setZValue(-10)
        self.plot_item.addItem(self.density)
        self.trajectories = pg.PlotDataItem(pen=pg.mkPen((200, 200, 200, 90), width=1))
        self.plot_item.addItem(self.trajectories)
        self.layers: list[pg.ScatterPlotItem] = []
        self.matches = pg.ScatterPlotItem(size=9, pen=pg.mkPen("#FFD400", width=1.5), brush=pg.mkBrush(0, 0, 0, 0))
        self.neighbours = pg.ScatterPlotItem(size=11, pen=pg.mkPen("#FFFFFF", width=1.5), brush=pg.mkBrush(0, 0, 0, 0))
        self.selected = pg.ScatterPlotItem(size=15, pen=pg.mkPen("#FF4040", width=2.5), brush=pg.mkBrush(0, 0, 0, 0))
        for item, z in ((self.matches, 20), (self.neighbours, 21), (self.selected, 22)):
            item.setZValue(z)
            self.plot_item.addItem(item)
        self.text_items: list[pg.TextItem] = []
        self.pinned: list[int] = []  # rows whose labels are always shown (selection and neighbours)
        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.setInterval(SETTLE_MS)
        self._settle.timeout.connect(self._on_settled)
        self.plot_item.getViewBox().sigRangeChanged.connect(lambda *_: self._settle.start())
        self.scene().sigMouseClicked.connect(self._on_click)

    # --- data ----------------------------------------------------------------------------------------------
    def set_points(self, coords: np.ndarray, labels: Sequence[str], colour_index: np.ndarray, palette: np.ndarray,
                   groups: np.ndarray | None = None, keep_view: bool = False) -> None:
        """Show ``coords`` (n, 2); point i has colour ``palette[colour_index[i]]`` (RGBA uint8 rows)."""
        self.coords = np.ascontiguousarray(coords[:, :2], dtype=np.float32)
        self.labels, self.groups = labels, groups
        self.colour_index = np.asarray(colour_index, dtype=np.int64)
        self.palette = np.asarray(palette, dtype=np.uint8).reshape(-1, 4)
        n = len(self.coords)
        if n:
            lo, hi = self.coords.min(0), self.coords.max(0)
            pad = np.maximum((hi - lo) * 0.02, 1e-6)
            self.extent = (float(lo[0] - pad[0]), float(hi[0] + pad[0]), float(lo[1] - pad[1]), float(hi[1] + pad[1]))
        self._fill_layers(None if n > EXACT_ALL else np.arange(n))
        if n > EXACT_ALL:
            self.density.setImage(density_image(self.coords, self.colour_index, self.palette, self.extent),
                                  autoLevels=False, levels=(0, 255))
            x0, x1, y0, y1 = self.extent
            self.density.setRect(x0, y0, x1 - x0, y1 - y0)
            self.density.setVisible(True)
            self.mode = "density"
        else:
            self.density.setVisible(False)
            self.mode = "exact" if n else "empty"
        self._draw_trajectories()
        if not keep_view and n:
            x0, x1, y0, y1 = self.extent
            self.plot_item.getViewBox().setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)
        self._refresh_highlights()
        self._settle.start()

    def move_points(self, coords: np.ndarray) -> None:
        """New positions for the same points (a training or t-SNE step): same colours, the view follows."""
        if len(coords) != len(self.coords):
            return
        self.set_points(coords, self.labels, self.colour_index, self.palette, self.groups, keep_view=False)

    def _fill_layers(self, rows: np.ndarray | None) -> None:
        for item in self.layers:
            self.plot_item.removeItem(item)
        self.layers = []
        if rows is None or not len(rows):
            return
        size = 6 if len(rows) < 5_000 else 4 if len(rows) < 50_000 else 3
        for c in np.unique(self.colour_index[rows]).tolist():
            these = rows[self.colour_index[rows] == c]
            colour = tuple(int(v) for v in self.palette[c])
            item = pg.ScatterPlotItem(x=self.coords[these, 0], y=self.coords[these, 1], size=size, pxMode=True,
                                      pen=None, brush=pg.mkBrush(*colour))
            item.setZValue(0)
            self.plot_item.addItem(item)
            self.layers.append(item)

    def _draw_trajectories(self) -> None:
        g = self.groups
        if g is None or len(g) != len(self.coords) or len(g) > TRAJECTORY_MAX:
            self.trajectories.setData([], [])
            return
        connect = np.zeros(len(g), dtype=bool)
        connect[:-1] = g[:-1] == g[1:]  # points of one token occurrence follow each other, layer by layer
        self.trajectories.setData(self.coords[:, 0], self.coords[:, 1], connect=connect)

    # --- what is in view -----------------------------------------------------------------------------------
    def visible_rows(self) -> np.ndarray:
        (x0, x1), (y0, y1) = self.plot_item.getViewBox().viewRange()
        c = self.coords
        return np.flatnonzero((c[:, 0] >= x0) & (c[:, 0] <= x1) & (c[:, 1] >= y0) & (c[:, 1] <= y1))

    def _on_settled(self) -> None:
        if self.getPlotItem() is None:  # closed while the timer was pending
            return
        if len(self.coords) > EXACT_ALL:
            rows = self.visible_rows()
            if len(rows) <= VISIBLE_MAX:
                self._fill_layers(rows)
                self.mode = "density+points"
            else:
                self._fill_layers(None)
                self.mode = "density"
        self._draw_labels()
        self.viewSettled.emit()

    # --- highlights and labels -----------------------------------------------------------------------------
    def set_highlight(self, selected: int, neighbours: Sequence[int] = (), matches: Sequence[int] = ()) -> None:
        self._selected, self._neighbours, self._matches = int(selected), list(neighbours), list(matches)
        self._refresh_highlights()
        self._draw_labels()

    def _refresh_highlights(self) -> None:
        n = len(self.coords)
        sel = getattr(self, "_selected", -1)
        neigh = [i for i in getattr(self, "_neighbours", []) if 0 <= i < n]
        match = [i for i in getattr(self, "_matches", []) if 0 <= i < n]
        for item, rows in ((self.selected, [sel] if 0 <= sel < n else []), (self.neighbours, neigh),
                           (self.matches, match)):
            rows = np.asarray(rows, dtype=np.int64)
            item.setData(x=self.coords[rows, 0], y=self.coords[rows, 1])
        self.pinned = ([sel] if 0 <= sel < n else []) + neigh

    def _draw_labels(self) -> None:
        for item in self.text_items:
            self.plot_item.removeItem(item)
        self.text_items = []
        rows = list(self.pinned)
        if len(self.coords):
            visible = self.visible_rows()
            if len(visible) <= LABEL_MAX:
                rows += [int(i) for i in visible if i not in set(self.pinned)]
        font = cjk_font(9)
        for i in rows[: LABEL_MAX + len(self.pinned)]:
            pinned = i in self.pinned
            item = pg.TextItem(str(self.labels[i]), color="#FFFFFF" if pinned else "#B0B0B0", anchor=(0, 1))
            item.setFont(font)
            item.setPos(float(self.coords[i, 0]), float(self.coords[i, 1]))
            item.setZValue(30 if pinned else 25)
            self.plot_item.addItem(item)
            self.text_items.append(item)

    def label_count(self) -> int:
        return len(self.text_items)

    def zoom_to(self, rows: Sequence[int]) -> None:
        if not len(rows):
            return
        pts = self.coords[np.asarray(rows, dtype=np.int64)]
        lo, hi = pts.min(0), pts.max(0)
        pad = np.maximum((hi - lo) * 0.3, (np.array(self.extent[1::2]) - np.array(self.extent[::2])) * 0.02)
        self.plot_item.getViewBox().setRange(xRange=(lo[0] - pad[0], hi[0] + pad[0]),
                                             yRange=(lo[1] - pad[1], hi[1] + pad[1]), padding=0)

    # --- clicks --------------------------------------------------------------------------------------------
    def nearest_on_screen(self, scene_pos: QPointF) -> int:
        """The point within CLICK_PIXELS of a scene position, or −1."""
        vb = self.plot_item.getViewBox()
        if not len(self.coords) or not vb.sceneBoundingRect().contains(scene_pos):
            return -1
        p = vb.mapSceneToView(scene_pos)
        px, py = vb.viewPixelSize()
        d = ((self.coords[:, 0] - p.x()) / px) ** 2 + ((self.coords[:, 1] - p.y()) / py) ** 2
        i = int(np.argmin(d))
        return i if d[i] <= CLICK_PIXELS ** 2 else -1

    def _on_click(self, event) -> None:  # noqa: ANN001 - a pyqtgraph mouse event
        if event.double():
            return
        self.pointClicked.emit(self.nearest_on_screen(event.scenePos()))
