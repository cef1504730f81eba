"""The model view: every layer × head as a thumbnail in one mosaic image, and a per-head summary heatmap (mean
entropy, attention to the first token, previous-token and diagonal scores) to find heads worth a look.

Both are single ImageItems — 144 thumbnails are one setImage, not 144 items. The view fills as heads arrive: the
binding computes them one by one in the worker (long prompts take seconds), calls :meth:`ModelView.start` once and
:meth:`ModelView.set_heads` with each batch; heads not computed yet are blank (NaN) and every drawn head is clickable
at once. Clicking a thumbnail or a summary cell reports (layer, head).
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QCoreApplication, QPointF, Qt, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSplitter, QVBoxLayout, QWidget

from lmscope.widgets.colorbar import ColorBar
from lmscope.widgets.style import fmt, make_plot_widget
from lmscope.widgets.terms import term

GAP = 0.12  # gap between thumbnails, as a fraction of a thumbnail


class HeadGrid(QWidget):
    """A (layer × head) grid drawn from one image; rows are layers (0 at the top), columns are heads."""

    headClicked = Signal(int, int)

    def __init__(self, title: str) -> None:
        super().__init__()
        self.plot = make_plot_widget(left=self.tr("layer"), bottom=self.tr("head"))
        item = self.plot.getPlotItem()
        item.setTitle(title)
        item.showGrid(x=False, y=False)
        item.invertY(True)
        item.setMenuEnabled(False)
        item.getAxis("left").setWidth(48)
        item.getViewBox().setAspectLocked(True)
        self.image = pg.ImageItem(axisOrder="row-major")
        item.addItem(self.image)
        self.cursor = pg.QtWidgets.QGraphicsRectItem(0, 0, 1, 1)
        self.cursor.setPen(pg.mkPen("#E69F00", width=2.5))
        self.cursor.setZValue(10)
        item.addItem(self.cursor)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot)
        self.shape = (0, 0)
        self.cell = 1.0  # scene units per (layer, head) cell
        self.plot.scene().sigMouseClicked.connect(self._on_click)

    def set_axes(self, n_layer: int, n_head: int, cell: float) -> None:
        self.shape, self.cell = (n_layer, n_head), cell
        item = self.plot.getPlotItem()
        item.getAxis("left").setTicks([[((i + 0.5) * cell, str(i)) for i in range(n_layer)]])
        item.getAxis("bottom").setTicks([[((h + 0.5) * cell, str(h)) for h in range(n_head)]])
        item.getViewBox().setRange(xRange=(0, n_head * cell), yRange=(0, n_layer * cell), padding=0.02)

    def select(self, layer: int, head: int) -> None:
        self.cursor.setRect(head * self.cell, layer * self.cell, self.cell, self.cell)

    def cell_at(self, scene_pos: QPointF) -> tuple[int, int] | None:
        point = self.plot.getPlotItem().getViewBox().mapSceneToView(scene_pos)
        layer, head = int(point.y() // self.cell), int(point.x() // self.cell)
        if 0 <= layer < self.shape[0] and 0 <= head < self.shape[1]:
            return layer, head
        return None

    def _on_click(self, event) -> None:  # noqa: ANN001 - pyqtgraph's mouse event
        if event.button() != Qt.MouseButton.LeftButton:
            return
        cell = self.cell_at(event.scenePos())
        if cell is not None:
            event.accept()
            self.headClicked.emit(*cell)


def mosaic(thumbs: np.ndarray) -> tuple[np.ndarray, float]:
    """(layer, head, s, s) → one image with NaN gaps between thumbnails; returns it and the cell size."""
    n_layer, n_head, s, _ = thumbs.shape
    gap = max(1, int(round(s * GAP)))
    cell = s + gap
    image = np.full((n_layer * cell, n_head * cell), np.nan, dtype=np.float32)
    view = image.reshape(n_layer, cell, n_head, cell)
    view[:, :s, :, :s] = thumbs.transpose(0, 2, 1, 3)
    return image, float(cell)


class ModelView(QWidget):
    headSelected = Signal(int, int)
    metricChanged = Signal(str)

    def __init__(self, metrics: dict[str, str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.grid = HeadGrid(self.tr("every head's pattern (row-normalised thumbnails)"))
        self.summary = HeadGrid(self.tr("per-head summary"))
        self.metric_box = QComboBox()
        for key, label in metrics.items():
            self.metric_box.addItem(term(label), key)
        self.groups_label = QLabel("")
        self.groups_label.setWordWrap(True)
        self.progress_label = QLabel("")
        self.progress_label.setVisible(False)
        self._summaries: dict[str, np.ndarray] = {}
        self._labels: dict[tuple[int, int], pg.TextItem] = {}
        self._mosaic = np.zeros((0, 0), dtype=np.float32)
        self._size = 0
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        row.addWidget(QLabel(self.tr("Summary")))
        row.addWidget(self.metric_box, 1)
        rl.addLayout(row)
        rl.addWidget(self.summary, 1)
        rl.addWidget(self.groups_label)
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addWidget(self.grid, 1)
        ll.addWidget(self.progress_label)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(right)
        split.setSizes([600, 400])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(split)
        self.grid_bar = ColorBar(self.grid.image, "viridis", plot=self.grid.plot)
        self.summary_bar = ColorBar(self.summary.image, "magma", plot=self.summary.plot)
        self.grid.headClicked.connect(self.headSelected)
        self.summary.headClicked.connect(self.headSelected)
        self.metric_box.currentIndexChanged.connect(self._on_metric)

    def set_model(self, thumbs: np.ndarray, summaries: dict[str, np.ndarray], groups: list[list[int]]) -> None:
        """Every head at once: ``thumbs`` (layer, head, s, s) pooled patterns; ``summaries`` metric → (layer, head);
        ``groups`` per key/value head, the query heads that read it."""
        n_layer, n_head, size = thumbs.shape[:3]
        self.start(n_layer, n_head, size, groups)
        self.set_heads([(layer, head, thumbs[layer, head],
                         {k: float(v[layer, head]) for k, v in summaries.items()})
                        for layer in range(n_layer) for head in range(n_head)])

    def start(self, n_layer: int, n_head: int, size: int, groups: list[list[int]]) -> None:
        """An empty view of ``n_layer`` × ``n_head`` thumbnails of ``size`` pixels, to be filled by set_heads."""
        self._mosaic, cell = mosaic(np.full((n_layer, n_head, size, size), np.nan, dtype=np.float32))
        self._size = size
        self.grid.image.setImage(self._mosaic, autoLevels=False, levels=(0.0, 1.0))
        self.grid.image.setRect(0, 0, n_head * cell, n_layer * cell)
        self.grid.set_axes(n_layer, n_head, cell)
        self._summaries = {self.metric_box.itemData(i): np.full((n_layer, n_head), np.nan)
                           for i in range(self.metric_box.count())}
        self.summary.set_axes(n_layer, n_head, 1.0)
        self.groups_label.setText(groups_text(groups))
        plot = self.summary.plot.getPlotItem()
        wanted = {(layer, head) for layer in range(n_layer) for head in range(n_head)} if n_layer * n_head <= 400 \
            else set()  # numbers in the cells while they fit
        if set(self._labels) == wanted:  # the same model's next trace: keep the 144 items (0.2 s to rebuild)
            for label in self._labels.values():
                label.setText("")
            wanted = set()
        else:
            for label in self._labels.values():
                plot.removeItem(label)
            self._labels = {}
        if wanted:
            for layer in range(n_layer):
                for head in range(n_head):
                    label = pg.TextItem("", color="w", anchor=(0.5, 0.5))
                    label.setPos(head + 0.5, layer + 0.5)
                    plot.addItem(label)
                    self._labels[(layer, head)] = label
        self.summary.image.clear()
        self.set_progress(0, 0)

    def set_heads(self, heads: list[tuple[int, int, np.ndarray, dict[str, float]]]) -> None:
        """Draw computed heads: (layer, head, thumbnail (s, s), summary metric → value) each; one setImage."""
        if not heads or self._mosaic.size == 0:
            return
        s, cell = self._size, self._size + max(1, int(round(self._size * GAP)))
        for layer, head, thumb, summary in heads:
            # Each thumbnail scaled to its own max so sparse late rows do not vanish next to the first row.
            peak = float(np.nanmax(thumb)) if thumb.size else 0.0
            top, left = layer * cell, head * cell
            self._mosaic[top:top + s, left:left + s] = thumb / (peak if peak > 0 else 1.0)
            for key, value in summary.items():
                if key in self._summaries:
                    self._summaries[key][layer, head] = value
        self.grid.image.setImage(self._mosaic, autoLevels=False, levels=(0.0, 1.0))
        self._draw_summary([(layer, head) for layer, head, _, _ in heads])

    def set_progress(self, done: int, total: int) -> None:
        """How many heads are drawn, while the view fills; hidden once every head is in."""
        filling = 0 <= done < total
        self.progress_label.setVisible(filling)
        if filling:
            self.progress_label.setText(self.tr("Computing thumbnails from q and k: {done} of {total} heads drawn — "
                                                "click any drawn head.")
                                        .format(done=done, total=total))

    def select(self, layer: int, head: int) -> None:
        self.grid.select(layer, head)
        self.summary.select(layer, head)

    @property
    def metric(self) -> str:
        return str(self.metric_box.currentData())

    def set_metric(self, key: str) -> None:
        index = self.metric_box.findData(key)
        if index >= 0:
            self.metric_box.setCurrentIndex(index)

    def _on_metric(self) -> None:
        self._draw_summary()
        self.metricChanged.emit(self.metric)

    def summary_values(self) -> np.ndarray | None:
        """The chosen metric per (layer, head), NaN where a head is not computed yet."""
        return self._summaries.get(self.metric)

    def _draw_summary(self, changed: list[tuple[int, int]] | None = None) -> None:
        """Redraw the summary image; relabel the ``changed`` cells (every cell when None)."""
        values = self._summaries.get(self.metric)
        if values is None or np.isnan(values).all():
            self.summary.image.clear()
            for label in self._labels.values():
                label.setText("")
            return
        values = np.asarray(values, dtype=np.float32)
        lo, hi = float(np.nanmin(values)), float(np.nanmax(values))
        self.summary.image.setImage(np.ascontiguousarray(values), autoLevels=False,
                                    levels=(lo, hi if hi > lo else lo + 1e-6))
        self.summary.image.setRect(0, 0, values.shape[1], values.shape[0])
        for cell in (self._labels if changed is None else changed):
            label = self._labels.get(cell)
            if label is not None:
                value = float(values[cell])
                label.setText("" if np.isnan(value) else fmt(value))


def groups_text(groups: list[list[int]]) -> str:
    """"MHA" or which query heads share which key/value head."""
    if all(len(g) == 1 for g in groups):
        return QCoreApplication.translate("ModelView", "Multi-head attention: each of the {n} query heads has its own "
                                                       "key/value head.").format(n=len(groups))
    shares = "; ".join(f"kv{i} ← q{', q'.join(map(str, g))}" for i, g in enumerate(groups))
    if len(groups) == 1:
        return QCoreApplication.translate("ModelView", "Multi-query attention: {shares}").format(shares=shares)
    return QCoreApplication.translate("ModelView", "Grouped-query attention: {shares}").format(shares=shares)
