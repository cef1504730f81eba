"""The projector's 3-D view: pyqtgraph.opengl (a GLViewWidget with one GLScatterPlotItem for every point), used only
where an OpenGL context can really be made — :func:`opengl_available` makes one and asks it to be current.

Offscreen Qt (tests, `--screenshot`) offers no context, and the panel falls back to the 2-D scatter with a note.
The view takes the same plain data as :class:`~lmscope.widgets.projector.scatter.ScatterView` (coordinates, labels,
a colour index per point and an RGBA palette) and shows the same highlights: search matches (yellow rings), the
neighbours (white) and the selection (red), with their labels. Every point is drawn: the GPU keeps them in one
vertex buffer, so there is no density image in 3-D. A click (a press and release without a drag, which orbits)
selects the point nearest on screen, found by projecting the points with the view's own matrices.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import QEvent, QObject, QPointF, Signal
from PySide6.QtGui import QGuiApplication, QOffscreenSurface, QOpenGLContext, QVector3D
from PySide6.QtWidgets import QVBoxLayout, QWidget

from lmscope.widgets.style import cjk_font

CLICK_PIXELS = 10
RINGS = ((12, (1.0, 0.83, 0.0, 1.0)), (13, (1.0, 1.0, 1.0, 1.0)), (17, (1.0, 0.25, 0.25, 1.0)))  # match, neighbour, selected
DRAG_PIXELS = 4  # a press and release further apart than this is an orbit, not a click
LABEL_MAX = 150
_available: bool | None = None


def _probe() -> bool:
    if QGuiApplication.instance() is None:
        return False
    try:
        import pyqtgraph.opengl  # noqa: F401 - needs PyOpenGL
    except Exception:  # noqa: BLE001 - no PyOpenGL or no libGL: both mean 2-D
        return False
    context = QOpenGLContext()
    if not context.create():  # offscreen and minimal platforms land here
        return False
    surface = QOffscreenSurface()
    surface.setFormat(context.format())
    surface.create()
    if not surface.isValid() or not context.makeCurrent(surface):
        return False
    version = context.format().majorVersion(), context.format().minorVersion()
    context.doneCurrent()
    return version >= (2, 0)  # pyqtgraph.opengl's items draw with shaders


def opengl_available() -> bool:
    """Whether a real OpenGL context (2.0 or newer) can be made on this display; asked once per process."""
    global _available
    if _available is None:
        _available = _probe()
    return _available


def project_to_screen(coords: np.ndarray, mvp: np.ndarray, width: float, height: float) -> tuple[np.ndarray, np.ndarray]:
    """Widget pixel positions (x right, y down) of 3-D points under the row-major 4×4 matrix ``mvp``, and a mask of
    the points in front of the camera."""
    homogeneous = np.concatenate([coords.astype(np.float64), np.ones((len(coords), 1))], axis=1) @ mvp.T
    w = homogeneous[:, 3]
    front = w > 1e-9
    safe = np.where(front, w, 1.0)
    x = (homogeneous[:, 0] / safe + 1) * 0.5 * width
    y = (1 - homogeneous[:, 1] / safe) * 0.5 * height
    return np.stack([x, y], axis=1), front


def _gl():  # noqa: ANN202 - the pyqtgraph.opengl module, imported only when 3-D is really drawn
    import pyqtgraph.opengl as gl

    return gl


class Scatter3DView(QWidget):
    """Points in 3-D with colours, highlights and labels; emits ``pointClicked(row)`` (−1 for empty space)."""

    pointClicked = Signal(int)

    def __init__(self) -> None:
        super().__init__()
        gl = _gl()
        from OpenGL.GL import GL_BLEND, GL_DEPTH_TEST, GL_ONE_MINUS_SRC_ALPHA, GL_SRC_ALPHA

        view = self.view = gl.GLViewWidget()
        view.setBackgroundColor("#1e1e1e")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(view)
        self.coords = np.zeros((0, 3), np.float32)
        self.labels: Sequence[str] = ()
        self.colour_index = np.zeros(0, np.int64)
        self.palette = np.zeros((1, 4), np.uint8)
        self.points = gl.GLScatterPlotItem(pos=np.zeros((0, 3)), size=4, pxMode=True, glOptions="translucent")
        self.trajectories = gl.GLLinePlotItem(pos=np.zeros((0, 3)), mode="lines", color=(0.8, 0.8, 0.8, 0.35))
        # Highlights are rings, as in 2-D: a disk in the highlight's colour under a smaller disk in the point's own
        # colour, drawn last and without the depth test, so they stay on top of every point.
        on_top = {"glBlendFunc": (GL_SRC_ALPHA, GL_ONE_MINUS_SRC_ALPHA), GL_DEPTH_TEST: False, GL_BLEND: True}
        self.rings = []
        for size, colour in RINGS:
            outer = gl.GLScatterPlotItem(pos=np.zeros((0, 3)), size=size, color=colour, glOptions=on_top)
            inner = gl.GLScatterPlotItem(pos=np.zeros((0, 3)), size=size - 5, glOptions=on_top)
            self.rings.append((outer, inner))
        self.matches, self.neighbours, self.selected = (outer for outer, _ in self.rings)
        for item in (self.points, self.trajectories, *(i for ring in self.rings for i in ring)):
            view.addItem(item)
        self.text_items: list = []
        self.pinned: list[int] = []
        self._selected, self._neighbours, self._matches = -1, [], []
        self._press: QPointF | None = None
        view.installEventFilter(self)  # clicks are told from orbiting drags here; the view still gets every event

    # --- data ----------------------------------------------------------------------------------------------
    def set_points(self, coords: np.ndarray, labels: Sequence[str], colour_index: np.ndarray, palette: np.ndarray,
                   groups: np.ndarray | None = None, keep_view: bool = False) -> None:
        """Show ``coords`` (n, 3); point i has colour ``palette[colour_index[i]]`` (RGBA uint8 rows)."""
        coords = np.asarray(coords, dtype=np.float32)
        if coords.ndim != 2 or coords.shape[1] < 3:
            coords = np.zeros((len(coords), 3), np.float32)
        self.coords = np.ascontiguousarray(coords[:, :3])
        self.labels = labels
        self.colour_index = np.asarray(colour_index, dtype=np.int64)
        self.palette = np.asarray(palette, dtype=np.uint8).reshape(-1, 4)
        colours = self.palette[self.colour_index].astype(np.float32) / 255.0
        n = len(self.coords)
        size = 6 if n < 5_000 else 4 if n < 50_000 else 2
        self.points.setData(pos=self.coords, color=colours, size=size)
        self._draw_trajectories(groups)
        if not keep_view and n:
            self.zoom_to(np.arange(n), margin=1.0)
        self._refresh_highlights()

    def move_points(self, coords: np.ndarray) -> None:
        if len(coords) == len(self.coords):
            self.set_points(coords, self.labels, self.colour_index, self.palette, keep_view=False)

    def _draw_trajectories(self, groups: np.ndarray | None) -> None:
        if groups is None or len(groups) != len(self.coords):
            self.trajectories.setData(pos=np.zeros((0, 3)))
            return
        starts = np.flatnonzero(groups[:-1] == groups[1:])  # a segment from each layer's point to the next
        segments = np.empty((2 * len(starts), 3), np.float32)
        segments[0::2], segments[1::2] = self.coords[starts], self.coords[starts + 1]
        self.trajectories.setData(pos=segments)

    # --- camera --------------------------------------------------------------------------------------------
    def zoom_to(self, rows: Sequence[int], margin: float = 0.3) -> None:
        """Centre the camera on ``rows`` and back off until they fit."""
        if not len(rows) or not len(self.coords):
            return
        pts = self.coords[np.asarray(rows, dtype=np.int64)]
        lo, hi = pts.min(0), pts.max(0)
        centre = (lo + hi) / 2
        extent = self.coords.max(0) - self.coords.min(0)
        radius = max(float(np.linalg.norm(hi - lo)) / 2, float(np.linalg.norm(extent)) * 0.02, 1e-6)
        self.view.opts["center"] = QVector3D(*(float(c) for c in centre))
        self.view.setCameraPosition(distance=radius * (2.5 + 2 * margin))

    def mvp(self) -> np.ndarray:
        """The view's projection × view matrix, row-major, as pyqtgraph draws with it."""
        viewport = (0, 0, max(self.view.width(), 1), max(self.view.height(), 1))
        matrix = self.view.projectionMatrix(viewport, viewport) * self.view.viewMatrix()
        return np.array(matrix.data(), dtype=np.float64).reshape(4, 4).T  # QMatrix4x4.data() is column-major

    def nearest_on_screen(self, pos: QPointF) -> int:
        """The point drawn within CLICK_PIXELS of a widget position (the one nearest the camera on a tie), or −1."""
        if not len(self.coords):
            return -1
        screen, front = project_to_screen(self.coords, self.mvp(), self.view.width(), self.view.height())
        d = ((screen[:, 0] - pos.x()) ** 2 + (screen[:, 1] - pos.y()) ** 2)
        d[~front] = np.inf
        i = int(np.argmin(d))
        return i if d[i] <= CLICK_PIXELS ** 2 else -1

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if watched is self.view:
            if event.type() == QEvent.Type.MouseButtonPress:
                self._press = event.position()
            elif event.type() == QEvent.Type.MouseButtonRelease and self._press is not None:
                start, self._press = self._press, None
                if (event.position() - start).manhattanLength() <= DRAG_PIXELS:
                    self.pointClicked.emit(self.nearest_on_screen(event.position()))
        return False

    # --- highlights and labels -----------------------------------------------------------------------------
    def set_highlight(self, selected: int, neighbours: Sequence[int] = (), matches: Sequence[int] = ()) -> None:
        self._selected, self._neighbours, self._matches = int(selected), list(neighbours), list(matches)
        self._refresh_highlights()

    def _refresh_highlights(self) -> None:
        n = len(self.coords)
        sel = self._selected if 0 <= self._selected < n else -1
        neigh = [i for i in self._neighbours if 0 <= i < n]
        match = [i for i in self._matches if 0 <= i < n]
        for (outer, inner), rows in zip(self.rings, (match, neigh, [sel] if sel >= 0 else [])):
            rows = np.asarray(rows, dtype=np.int64)
            pos = self.coords[rows].reshape(-1, 3)
            outer.setData(pos=pos)
            inner.setData(pos=pos, color=self.palette[self.colour_index[rows]].astype(np.float32).reshape(-1, 4) / 255)
        self.pinned = ([sel] if sel >= 0 else []) + neigh
        self._draw_labels()

    def _draw_labels(self) -> None:
        gl = _gl()
        for item in self.text_items:
            self.view.removeItem(item)
        self.text_items = []
        font = cjk_font(9)
        for i in self.pinned[:LABEL_MAX]:
            item = gl.GLTextItem(pos=self.coords[i].astype(np.float64), text=str(self.labels[i]), font=font,
                                 color=(255, 255, 255, 255))
            self.view.addItem(item)
            self.text_items.append(item)

    def label_count(self) -> int:
        return len(self.text_items)
