"""LayerNorm & activation histograms: per layer and site for a capture, and per site over training.

The panel draws what it is given (plain :class:`SiteHistogram` values) and reports what the user asks for through
signals: a layer/site choice (``selectionChanged``) and a trace to compare with (``compareChanged``). Densities,
not raw counts, are drawn so that two captures with different token counts compare fairly.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView, QCheckBox, QComboBox, QHBoxLayout, QHeaderView, QLabel, QSplitter, QTableWidget,
    QTableWidgetItem, QTabWidget, QVBoxLayout, QWidget,
)

from lmscope.widgets.colorbar import ColorBar, HoverReadout
from lmscope.widgets.state import PanelState, bounded, text
from lmscope.widgets.style import CURVE_PENS, REFERENCE_PEN, fmt, make_plot_widget, muted
from lmscope.widgets.terms import site_term, term



@dataclass(frozen=True)
class HistogramsState(PanelState):
    """What the histograms panel shows: the site, the y scale, the tab, and the capture it compares with."""

    site: str = text("resid_pre", max_chars=64)
    log_y: bool = False
    tab: int = bounded(0, 0, 1)
    compare_to: int = bounded(-1, -1, 1_000_000)  # index of the compared capture in the document, −1 for none


@dataclass(frozen=True)
class SiteHistogram:
    edges: np.ndarray  # (bins + 1,)
    counts: np.ndarray  # (bins,)
    stats: dict[str, float] = field(default_factory=dict)

    def density(self) -> np.ndarray:
        total = max(1.0, float(self.counts.sum()))
        return self.counts / (total * np.diff(self.edges))


@dataclass(frozen=True)
class Timeline:
    """One site's histogram at every training snapshot, resampled onto one value grid."""
    steps: np.ndarray  # (snapshots,)
    grid: np.ndarray  # (bins + 1,) value edges
    density: np.ndarray  # (snapshots, bins)
    mean: np.ndarray  # (snapshots,)
    std: np.ndarray  # (snapshots,)
    label: str = ""


class HistogramsPanel(QWidget):
    selectionChanged = Signal(int, str)  # layer, site key
    compareChanged = Signal(int)  # index into the compare options, −1 for none

    def __init__(self, sites: dict[str, str], columns: Sequence[tuple[str, str, bool]],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._sites = dict(sites)  # key -> human label, in forward order
        self._notes: dict[str, str] = {}  # key -> why that site has no data in this model
        self._columns = tuple(columns)  # (statistic, header, shown in percent), from the binding
        self._data: dict[tuple[int, str], SiteHistogram] = {}
        self._reference: dict[tuple[int, str], SiteHistogram] = {}
        self._label = self._ref_label = ""
        self._build_controls()
        self._build_views()
        self.layer_box.currentIndexChanged.connect(self._on_selection)
        self.site_box.currentIndexChanged.connect(self._on_selection)
        self.compare_box.currentIndexChanged.connect(self._on_compare)
        self.log_box.toggled.connect(self._redraw)
        self.table.cellClicked.connect(self._on_table_click)

    # --- construction --------------------------------------------------------------------------------------
    def _build_controls(self) -> None:
        self.source_label = QLabel(self.tr("No capture yet"))
        self.site_note = QLabel("")
        self.site_note.setWordWrap(True)
        self.site_note.setVisible(False)
        self.layer_box = QComboBox()
        self.site_box = QComboBox()
        for key, label in self._sites.items():
            self.site_box.addItem(site_term(label), key)
        self.compare_box = QComboBox()
        self.compare_box.addItem(self.tr("— none —"), -1)
        self.compare_box.setMinimumContentsLength(18)
        self.log_box = QCheckBox(self.tr("log y"))
        self.log_box.setToolTip(self.tr("y = log₁₀ density: the rare values in the tails become visible"))
        row = QHBoxLayout()
        for caption, widget in ((self.tr("Layer"), self.layer_box), (self.tr("Site"), self.site_box),
                             (self.tr("Compare with"), self.compare_box)):
            row.addWidget(QLabel(caption))
            row.addWidget(widget)
        row.addWidget(self.log_box)
        row.addStretch(1)
        self._controls = row

    def _build_views(self) -> None:
        self.hist_plot = make_plot_widget(left=self.tr("density"), bottom=self.tr("value"))
        self.hist_plot.addLegend(offset=(-10, 10))
        self.current_curve = pg.PlotDataItem(stepMode="center", fillLevel=0, pen=CURVE_PENS[0],
                                             brush=pg.mkBrush(86, 180, 233, 90), name=self.tr("capture"))
        self.reference_curve = pg.PlotDataItem(stepMode="center", pen=REFERENCE_PEN, name=self.tr("compare"))
        self.hist_plot.addItem(self.current_curve)
        self.hist_plot.addItem(self.reference_curve)
        self.table = QTableWidget(0, len(self._columns) + 1)
        self.table.setHorizontalHeaderLabels([self.tr("site")] + [term(c[1]) for c in self._columns])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        # Numbers are never clipped: columns fit their contents and the table scrolls when the dock is narrow.
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        capture_tab = QSplitter(Qt.Orientation.Vertical)
        capture_tab.addWidget(self.hist_plot)
        capture_tab.addWidget(self.table)
        capture_tab.setSizes([300, 200])

        self.timeline_plot = make_plot_widget(left=self.tr("value"), bottom=self.tr("training step"))
        self.timeline_image = pg.ImageItem(axisOrder="row-major")
        self.timeline_plot.addItem(self.timeline_image)
        self.timeline_bar = ColorBar(self.timeline_image, "viridis", self.tr("log₁₀(1 + 1000·density/max)"),
                                     plot=self.timeline_plot)
        self.timeline_mean = self.timeline_plot.plot(pen=pg.mkPen("w", width=1.5))
        self.timeline_band = [self.timeline_plot.plot(pen=pg.mkPen("w", width=1, style=Qt.PenStyle.DotLine))
                              for _ in range(2)]
        self.timeline_note = QLabel(self.tr("No training snapshots yet."))
        self.timeline_hover = QLabel(" ")
        self._timeline: Timeline | None = None
        self.timeline_readout = HoverReadout(self.timeline_image, self.timeline_hover, self._describe_timeline)
        timeline_tab = QWidget()
        tl = QVBoxLayout(timeline_tab)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.addWidget(self.timeline_note)
        tl.addWidget(self.timeline_plot, 1)
        tl.addWidget(self.timeline_hover)

        self.tabs = QTabWidget()
        self.tabs.addTab(capture_tab, self.tr("This capture"))
        self.tabs.addTab(timeline_tab, self.tr("Over training"))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.source_label)
        layout.addLayout(self._controls)
        layout.addWidget(self.site_note)
        layout.addWidget(self.tabs, 1)

    # --- data in -------------------------------------------------------------------------------------------
    def set_histograms(self, label: str, n_layer: int, data: dict[tuple[int, str], SiteHistogram]) -> None:
        self._label, self._data = label, dict(data)
        self.source_label.setText(self.tr("Capture: {label}").format(label=label))
        layer = self.layer_box.currentIndex()
        self.layer_box.blockSignals(True)
        self.layer_box.clear()
        self.layer_box.addItems([f"{i}" for i in range(n_layer)])
        self.layer_box.setCurrentIndex(min(max(layer, 0), n_layer - 1))
        self.layer_box.blockSignals(False)
        self._redraw()

    def set_sites(self, sites: dict[str, str], notes: dict[str, str] | None = None) -> None:
        """The sites this model has, named in its own words (key → label, forward order), and for sites that are
        empty by design (an MoE layer's MLP) the sentence that says why. The selected site stays when it exists."""
        self._notes = dict(notes or {})
        if dict(sites) == self._sites:
            self._show_note()
            return
        current = self.site
        self._sites = dict(sites)
        self.site_box.blockSignals(True)
        self.site_box.clear()
        for key, label in self._sites.items():
            self.site_box.addItem(site_term(label), key)
        index = self.site_box.findData(current)
        self.site_box.setCurrentIndex(max(0, index))
        self.site_box.blockSignals(False)
        self._redraw()

    def site_label(self, site: str | None = None) -> str:
        """The site's label in the interface language (the model's own words, translated by shape)."""
        key = self.site if site is None else site
        return site_term(self._sites.get(key, key))

    def _show_note(self) -> None:
        note = self._notes.get(self.site, "") if (self.layer, self.site) not in self._data else ""
        self.site_note.setText(term(note))
        self.site_note.setVisible(bool(note))

    def set_compare_options(self, labels: list[str], current: int = -1) -> None:
        self.compare_box.blockSignals(True)
        self.compare_box.clear()
        self.compare_box.addItem(self.tr("— none —"), -1)
        self.compare_box.addItems(labels)
        self.compare_box.setCurrentIndex(current + 1)
        self.compare_box.blockSignals(False)

    def set_reference(self, label: str, data: dict[tuple[int, str], SiteHistogram] | None) -> None:
        self._ref_label, self._reference = label, dict(data or {})
        self._redraw()

    def set_timeline(self, timeline: Timeline | None) -> None:
        self._timeline = timeline
        if timeline is None or timeline.density.size == 0:
            self.timeline_image.clear()
            for item in (self.timeline_mean, *self.timeline_band):
                item.setData([], [])
            self.timeline_note.setText(self.tr("No training snapshots for this layer and site yet."))
            return
        image = np.log10(1 + timeline.density.T / max(1e-12, float(np.nanmax(timeline.density))) * 1e3)
        self.timeline_image.setImage(np.ascontiguousarray(image, dtype=np.float32), autoLevels=False,
                                     levels=(0.0, 3.0))
        x0, x1 = float(timeline.steps[0]), float(timeline.steps[-1])
        width = max(1.0, x1 - x0) * (len(timeline.steps) / max(1, len(timeline.steps) - 1))
        dx = width / len(timeline.steps)
        self.timeline_image.setRect(x0 - dx / 2, timeline.grid[0], width, timeline.grid[-1] - timeline.grid[0])
        self.timeline_mean.setData(timeline.steps, timeline.mean)
        self.timeline_band[0].setData(timeline.steps, timeline.mean - timeline.std)
        self.timeline_band[1].setData(timeline.steps, timeline.mean + timeline.std)
        self.timeline_note.setText(
            self.tr("{label}: {value} snapshots, steps {value2}–{value3}; colour = log density, white = mean ± std")
            .format(label=timeline.label, value=len(timeline.steps), value2=int(x0), value3=int(x1)))
        self.timeline_plot.autoRange()

    def _describe_timeline(self, row: int, col: int, value: float) -> str:
        """A cell of the over-training image: row = value bin, column = snapshot."""
        timeline = self._timeline
        if timeline is None or col >= len(timeline.steps) or row >= timeline.density.shape[1]:
            return " "
        lo, hi = timeline.grid[row], timeline.grid[row + 1]
        return self.tr("step {0} · values {1} … {2}: density {3} (colour {4})").format(
            int(timeline.steps[col]), fmt(float(lo)), fmt(float(hi)), fmt(float(timeline.density[col, row])),
            fmt(value))

    def select(self, layer: int, site: str) -> None:
        if 0 <= layer < self.layer_box.count():
            self.layer_box.setCurrentIndex(layer)
        index = self.site_box.findData(site)
        if index >= 0:
            self.site_box.setCurrentIndex(index)

    # --- what is selected ----------------------------------------------------------------------------------
    def state(self, compare_to: int = -1) -> HistogramsState:
        return HistogramsState(site=self.site, log_y=self.log_box.isChecked(), tab=self.tabs.currentIndex(),
                               compare_to=compare_to)

    def set_state(self, state: HistogramsState, layer: int) -> None:
        """Show ``state`` (a site this panel does not list keeps the current one)."""
        self.select(layer, state.site)
        self.log_box.setChecked(state.log_y)
        self.tabs.setCurrentIndex(state.tab)

    @property
    def layer(self) -> int:
        return max(0, self.layer_box.currentIndex())

    @property
    def site(self) -> str:
        return str(self.site_box.currentData())

    # --- drawing -------------------------------------------------------------------------------------------
    def _redraw(self) -> None:
        key = (self.layer, self.site)
        log = self.log_box.isChecked()
        self._draw_curve(self.current_curve, self._data.get(key), log)
        self._draw_curve(self.reference_curve, self._reference.get(key), log)
        self.hist_plot.setLabel("left", self.tr("log₁₀ density") if log else self.tr("density"))
        legend = self.hist_plot.getPlotItem().legend
        legend.clear()
        legend.addItem(self.current_curve, self._label or self.tr("capture"))
        if self._reference:
            legend.addItem(self.reference_curve, self._ref_label)
        self.hist_plot.setTitle(self.tr("layer {layer} · {value}")
                                .format(layer=self.layer, value=self.site_label()))
        self._fill_table()
        self._show_note()

    @staticmethod
    def _draw_curve(curve: pg.PlotDataItem, hist: SiteHistogram | None, log: bool) -> None:
        if hist is None:
            curve.setData([], [])
            return
        y = hist.density()
        if log:
            with np.errstate(divide="ignore"):
                y = np.where(y > 0, np.log10(np.maximum(y, 1e-300)), np.nan)
            floor = np.nanmin(y) - 0.5 if np.isfinite(y).any() else 0.0
            y = np.nan_to_num(y, nan=floor)
            curve.setFillLevel(floor)
        else:
            curve.setFillLevel(0)
        curve.setData(hist.edges, y)

    def _fill_table(self) -> None:
        rows: list[tuple[str, str, SiteHistogram, bool]] = []
        for key, label in self._sites.items():
            if (self.layer, key) in self._data:
                rows.append((key, site_term(label), self._data[(self.layer, key)], False))
            if (self.layer, key) in self._reference:
                rows.append((key, f"  ↳ {self._ref_label}", self._reference[(self.layer, key)], True))
        self.table.setRowCount(len(rows))
        for r, (key, label, hist, is_ref) in enumerate(rows):
            cells = [label] + [fmt(hist.stats.get(stat, float("nan")), pct) for stat, _, pct in self._columns]
            for c, cell in enumerate(cells):
                item = QTableWidgetItem(cell)
                item.setData(Qt.ItemDataRole.UserRole, key)
                if c:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if is_ref:
                    item.setForeground(QBrush(muted()))
                if key == self.site and not is_ref:
                    item.setBackground(QBrush(QColor(86, 180, 233, 60)))
                self.table.setItem(r, c, item)

    # --- user intent ---------------------------------------------------------------------------------------
    def _on_selection(self) -> None:
        self._redraw()
        self.selectionChanged.emit(self.layer, self.site)

    def _on_compare(self, index: int) -> None:
        self.compareChanged.emit(index - 1)

    def _on_table_click(self, row: int, _column: int) -> None:
        item = self.table.item(row, 0)
        if item is not None:
            self.select(self.layer, str(item.data(Qt.ItemDataRole.UserRole)))
