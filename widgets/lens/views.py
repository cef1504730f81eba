"""The Prediction dock's other views: the target's rank across layers with what each block promoted and
suppressed, the sortable attribution table, and the patching heatmaps beside the two prompts."""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView, QGridLayout, QHeaderView, QLabel, QSplitter, QTableView, QTableWidget, QTableWidgetItem,
    QVBoxLayout, QWidget,
)

from lmscope.widgets.attention.heatmap import TokenAxis, display_token
from lmscope.widgets.colorbar import ColorBar
from lmscope.widgets.lens.data import AttributionData, LensGridData, PatchingData
from lmscope.widgets.lens.grid import point_label
from lmscope.widgets.lens.state import ATTRIBUTION_COLUMNS
from lmscope.widgets.style import cjk_font, fmt, make_plot_widget

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
SELECTED_PEN = pg.mkPen("#E69F00", width=3)
OTHER_PEN = pg.mkPen((160, 160, 160, 70), width=1)


# --- target ---------------------------------------------------------------------------------------------------
class TargetView(QWidget):
    """Rank of the target across residual points (a faint line per position, the selected one bold; rank 1 at the
    top, log scale), and per block the tokens it promoted and suppressed most at the selected position."""

    def __init__(self) -> None:
        super().__init__()
        self.plot = make_plot_widget(self.tr("target rank (1 = top)"), self.tr("residual point"))
        self.plot.getPlotItem().setLogMode(y=True)
        self.plot.getPlotItem().invertY(True)
        self.caption = QLabel(self.tr("Set a target token and run the lens to see where it overtakes the rest."))
        self.caption.setWordWrap(True)
        self.changes = QTableWidget(0, 2)
        self.changes.setHorizontalHeaderLabels([self.tr("promoted (Δ log p)"), self.tr("suppressed (Δ log p)")])
        self.changes.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.changes.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.changes.setFont(cjk_font(10))
        split = QSplitter(Qt.Orientation.Horizontal)
        left = QWidget()
        lay = QVBoxLayout(left)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.caption)
        lay.addWidget(self.plot, 1)
        split.addWidget(left)
        split.addWidget(self.changes)
        split.setSizes([600, 400])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(split)
        self.curves: list[pg.PlotDataItem] = []

    def set_data(self, data: LensGridData | None, selected: int) -> None:
        self.plot.clear()
        self.curves = []
        self.changes.setRowCount(0)
        if data is None:
            return
        n_pos = len(data.tokens)
        pos = selected if 0 <= selected < n_pos else n_pos - 1
        names = [point_label(n, i == len(data.names) - 1) for i, n in enumerate(data.names)]
        self.plot.getPlotItem().getAxis("bottom").setTicks([list(enumerate(names))])
        self.plot.setXRange(-0.5, len(names) - 0.5, padding=0)  # room for the first and last labels
        x = np.arange(len(names), dtype=float)
        if data.target_rank is not None:
            for p in range(n_pos):
                if p != pos:
                    self.curves.append(self.plot.plot(x, data.target_rank[:, p].astype(float), pen=OTHER_PEN))
            self.curves.append(self.plot.plot(x, data.target_rank[:, pos].astype(float), pen=SELECTED_PEN,
                                              symbol="o", symbolSize=6, symbolBrush="#E69F00"))
            ranks = data.target_rank[:, pos]
            self.caption.setText(
                self.tr("“{target}” at position {pos} (“{token}”): rank {ranks}; p = {p:.3f} at the end.").format(
                    target=data.target, pos=pos, token=display_token(data.tokens[pos]),
                    ranks=" → ".join(str(int(r)) for r in ranks), p=math.exp(float(data.target_logprob[-1, pos]))))
        else:
            self.caption.setText(self.tr("No target token: type one (or #ID) and run the lens."))
        self.changes.setRowCount(len(data.promoted))
        self.changes.setVerticalHeaderLabels([self.tr("block {b}").format(b=b) for b in range(len(data.promoted))])
        for b in range(len(data.promoted)):
            for col, (tokens, deltas) in enumerate(((data.promoted, data.promoted_delta),
                                                    (data.suppressed, data.suppressed_delta))):
                text = "  ".join(f"{display_token(t)} {float(d):+.2f}"
                                 for t, d in zip(tokens[b][pos][:3], deltas[b, pos][:3]))
                self.changes.setItem(b, col, QTableWidgetItem(text))


# --- attribution ----------------------------------------------------------------------------------------------
class _ValuesLast(QSortFilterProxyModel):
    """Sorts by SORT_ROLE, rows without a value (NaN: not ablatable) last in either direction, ties by row."""

    def lessThan(self, left, right) -> bool:  # noqa: N802, ANN001 - Qt API, QModelIndex
        a, b = left.data(SORT_ROLE), right.data(SORT_ROLE)
        a_nan = isinstance(a, float) and math.isnan(a)
        b_nan = isinstance(b, float) and math.isnan(b)
        if a_nan or b_nan:
            # Qt reverses the order for a descending sort, so "last" means largest ascending, smallest descending.
            return not a_nan and b_nan if self.sortOrder() == Qt.SortOrder.AscendingOrder else a_nan and not b_nan
        if a == b:  # ties (zero biases) in the model's order, so a table shows its rows the same way every time
            return left.row() < right.row()
        return a < b


class AttributionTable(QWidget):
    """Components ranked by their direct contribution; sortable by any column; a click on a head emits
    ``headSelected(layer, head)``."""

    headSelected = Signal(int, int)
    sortChanged = Signal(int, bool)

    def __init__(self) -> None:
        super().__init__()
        self.note = QLabel(self.idle_text())
        self.note.setWordWrap(True)
        self.items = QStandardItemModel(0, len(ATTRIBUTION_COLUMNS))
        self.items.setHorizontalHeaderLabels(list(ATTRIBUTION_COLUMNS))
        self.proxy = _ValuesLast()
        self.proxy.setSourceModel(self.items)
        self.proxy.setSortRole(SORT_ROLE)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().sortIndicatorChanged.connect(
            lambda col, order: self.sortChanged.emit(col, order == Qt.SortOrder.DescendingOrder))
        self.table.clicked.connect(self._on_click)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.note)
        layout.addWidget(self.table, 1)
        self.data_: AttributionData | None = None

    def idle_text(self) -> str:
        return self.tr("Run Attribute to split the logit difference among the model's components.")

    def set_data(self, data: AttributionData | None) -> None:
        self.data_ = data
        self.items.setRowCount(0)
        if data is None:
            self.note.setText(self.idle_text())
            return
        self.note.setText(
            self.tr("{title}: logit diff {logit_diff:+.4f} = Σ direct ({value:+.4f}) + bias terms ({bias:+.4f}). "
                    "Direct attribution holds the final norm's scale frozen at its value on this input (σ = "
                    "{scale:.4g}); ablation Δ is the change in logit diff when that component alone is replaced by "
                    "zeros or by its mean. Click a head to open it in the attention inspector.")
            .format(title=data.title, logit_diff=data.logit_diff, value=float(np.sum(data.direct)), bias=data.bias,
                    scale=data.scale))
        for i, label in enumerate(data.labels):
            values = [label, data.layers[i], data.indices[i], data.direct[i],
                      np.nan if data.zero_ablation is None else data.zero_ablation[i],
                      np.nan if data.mean_ablation is None else data.mean_ablation[i]]
            row = []
            for col, value in enumerate(values):
                if col == 0:
                    item = QStandardItem(str(value))
                    item.setData(i, SORT_ROLE)  # sorting by name keeps the model's order
                elif col in (1, 2):
                    item = QStandardItem("" if value < 0 else str(int(value)))
                    item.setData(int(value), SORT_ROLE)
                else:
                    item = QStandardItem(fmt(float(value)))
                    item.setData(float(value), SORT_ROLE)
                item.setData(i, Qt.ItemDataRole.UserRole)
                row.append(item)
            self.items.appendRow(row)

    def sort(self, column: int, descending: bool) -> None:
        self.table.sortByColumn(column, Qt.SortOrder.DescendingOrder if descending else Qt.SortOrder.AscendingOrder)

    def row_labels(self) -> list[str]:
        """Component names in the order shown (after sorting)."""
        return [str(self.proxy.index(r, 0).data()) for r in range(self.proxy.rowCount())]

    def click_row(self, row: int) -> None:
        self._on_click(self.proxy.index(row, 0))

    def _on_click(self, index) -> None:  # noqa: ANN001 - QModelIndex
        if self.data_ is None or not index.isValid():
            return
        i = int(self.proxy.index(index.row(), 0).data(Qt.ItemDataRole.UserRole))
        if self.data_.kinds[i] == "head":
            self.headSelected.emit(self.data_.layers[i], self.data_.indices[i])


# --- patching -------------------------------------------------------------------------------------------------
def diverging_map() -> pg.ColorMap:
    """Blue (−1) — white-ish grey (0) — red (+1): the sign of a patching effect matters."""
    return pg.ColorMap([0.0, 0.5, 1.0], [(33, 102, 172), (240, 240, 240), (178, 24, 43)])


class EffectMap(QWidget):
    """One sweep's (layer × position or head) effects, levels fixed at [−1, 1]; NaN cells (not yet computed) are
    transparent."""

    def __init__(self, title: str, columns: str) -> None:
        super().__init__()
        self.title, self.columns = title, columns
        self.axis = TokenAxis("bottom")
        self.plot = make_plot_widget(self.tr("layer"), columns)
        self.plot.getPlotItem().setAxisItems({"bottom": self.axis})
        self.plot.getPlotItem().invertY(True)
        self.plot.setTitle(title)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setLevels((-1.0, 1.0))
        self.plot.addItem(self.image)
        self.colorbar = ColorBar(self.image, diverging_map(), plot=self.plot)
        self.values = np.zeros((0, 0))
        self.image.hoverEvent = self._hover
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot)

    def clear(self) -> None:
        self.values = np.zeros((0, 0), dtype=np.float32)
        self.image.clear()
        self.axis.set_tokens([])
        self.plot.getPlotItem().getAxis("left").setTicks(None)

    def set_values(self, values: np.ndarray, labels: list[str]) -> None:
        self.values = np.ascontiguousarray(values, dtype=np.float32)
        self.image.setImage(self.values, autoLevels=False, levels=(-1.0, 1.0))
        self.axis.set_tokens(labels)
        self.plot.getPlotItem().getAxis("left").setTicks([[(i + 0.5, str(i)) for i in range(values.shape[0])]])

    def _hover(self, event) -> None:  # noqa: ANN001 - pyqtgraph HoverEvent
        if event.isExit() or self.values.size == 0:
            self.plot.setTitle(self.title)
            return
        pos = event.pos()
        row, col = int(pos.y()), int(pos.x())
        if 0 <= row < self.values.shape[0] and 0 <= col < self.values.shape[1]:
            self.plot.setTitle(self.tr("{title}: layer {row}, {value} {col}: {value2}")
                               .format(title=self.title, row=row, value=self.columns[:-1], col=col,
                                       value2=fmt(float(self.values[row, col]))))


class PatchingView(QWidget):
    """The two prompts side by side (Left = clean, Diff, Right = corrupted) and the four effect heatmaps."""

    def __init__(self) -> None:
        super().__init__()
        self.note = QLabel(self.idle_text())
        self.note.setWordWrap(True)
        self.prompts = QTableWidget(0, 3)
        self.prompts.setHorizontalHeaderLabels([self.tr("Left (clean)"), self.tr("Diff"), self.tr("Right (corrupted)")])
        self.prompts.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.prompts.setFont(cjk_font(10))
        self.prompts.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        positions = self.tr("positions")
        self.maps = {"resid_pre": EffectMap("resid_pre", positions), "attn_out": EffectMap("attn_out", positions),
                     "mlp_out": EffectMap("mlp_out", positions), "heads": EffectMap(self.tr("heads"), self.tr("heads"))}
        grid = QGridLayout()
        for i, view in enumerate(self.maps.values()):
            grid.addWidget(view, i // 2, i % 2)
        maps = QWidget()
        maps.setLayout(grid)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.prompts)
        split.addWidget(maps)
        split.setSizes([260, 900])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.note)
        layout.addWidget(split, 1)

    def idle_text(self) -> str:
        return self.tr("Give a corrupted prompt of the same token length and run Patch.")

    def set_data(self, data: PatchingData | None) -> None:
        if data is None:
            self.prompts.setRowCount(0)
            self.note.setText(self.idle_text())
            for view in self.maps.values():
                view.clear()
            return
        done = "" if data.complete else self.tr(" (patching…)")
        self.note.setText(self.tr("{title}{done} logit diff: clean {clean_diff:+.4f}, corrupted {corrupt_diff:+.4f}. "
                                  "Effect = (patched − corrupted)/(clean − corrupted): 1 restores the clean answer "
                                  "(red), 0 changes nothing, negative pushes the other way (blue).")
                          .format(title=data.title, done=done, clean_diff=data.clean_diff,
                                  corrupt_diff=data.corrupt_diff))
        n = len(data.clean_tokens)
        self.prompts.setRowCount(n)
        self.prompts.setVerticalHeaderLabels([str(p) for p in range(n)])  # positions, as on the maps' axes
        for p, (a, b) in enumerate(zip(data.clean_tokens, data.corrupt_tokens)):
            for col, value in enumerate((display_token(a), "≠" if a != b else "", display_token(b))):
                item = QTableWidgetItem(value)
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                self.prompts.setItem(p, col, item)
        labels = [a if a == b else f"{a}→{b}" for a, b in zip(data.clean_tokens, data.corrupt_tokens)]
        for name in ("resid_pre", "attn_out", "mlp_out"):
            self.maps[name].set_values(getattr(data, name), labels)
        self.maps["heads"].set_values(data.heads, [str(h) for h in range(data.heads.shape[1])])
