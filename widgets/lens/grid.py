"""The logit-lens grid: residual points × positions, the top-1 token in each cell coloured by its probability (or
the distribution's entropy), the top-k with log-probabilities on hover.

A QTableView over a model that answers per cell on demand, so a 13 × 1024 grid costs nothing until it is painted:
no text item per cell as a plot would need.
"""
from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QCoreApplication, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from lmscope.widgets.attention.heatmap import display_token
from lmscope.widgets.lens.data import LensGridData
from lmscope.widgets.style import cjk_font, lookup_table

Index = QModelIndex | QPersistentModelIndex
_LUT = lookup_table("viridis")


def point_label(name: str, last: bool) -> str:
    """``blocks.3.hook_resid_pre`` -> "L3 resid_pre"; the last point is the model's own prediction."""
    parts = name.split(".")
    short = f"L{parts[1]} {parts[-1].removeprefix('hook_')}" if len(parts) >= 3 and parts[0] == "blocks" else name
    return QCoreApplication.translate("LensGridModel", "{point} (final)").format(point=short) if last else short


def cell_colour(fraction: float) -> QColor:
    """The viridis colour of a value in [0, 1] (NaN: grey)."""
    if not math.isfinite(fraction):
        return QColor("#3a3a3a")
    r, g, b, _ = _LUT[int(round(min(1.0, max(0.0, fraction)) * 255))]
    return QColor(int(r), int(g), int(b))


def text_colour(fraction: float) -> QColor:
    # viridis is dark below ~0.55 and light above: pick black or white text for contrast.
    return QColor("#000000") if math.isfinite(fraction) and fraction > 0.55 else QColor("#ffffff")


class LensGridModel(QAbstractTableModel):
    def __init__(self) -> None:
        super().__init__()
        self.data_: LensGridData | None = None
        self.colour = "probability"
        self._fraction = np.zeros((0, 0))

    def set_data(self, data: LensGridData | None, colour: str) -> None:
        self.beginResetModel()
        self.data_, self.colour = data, colour
        self._fraction = self._fractions()
        self.endResetModel()

    def set_colour(self, colour: str) -> None:
        self.colour = colour
        self._fraction = self._fractions()
        if self.rowCount() and self.columnCount():
            self.dataChanged.emit(self.index(0, 0), self.index(self.rowCount() - 1, self.columnCount() - 1))

    def _fractions(self) -> np.ndarray:
        """What a cell's colour shows, in [0, 1]: the top-1 probability, or entropy / log(vocabulary)."""
        d = self.data_
        if d is None:
            return np.zeros((0, 0))
        if self.colour == "entropy":
            peak = max(float(np.nanmax(d.entropy)), 1e-9) if d.entropy.size else 1.0
            return np.asarray(d.entropy, dtype=np.float64) / peak
        return np.exp(np.asarray(d.top_logprobs[:, :, 0], dtype=np.float64))

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008 - Qt API
        return 0 if self.data_ is None or parent.isValid() else len(self.data_.names)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008 - Qt API
        return 0 if self.data_ is None or parent.isValid() else len(self.data_.tokens)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        d = self.data_
        if d is None or not index.isValid():
            return None
        row, col = index.row(), index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return display_token(d.top_strings[row][col][0])
        if role == Qt.ItemDataRole.BackgroundRole:
            return cell_colour(float(self._fraction[row, col]))
        if role == Qt.ItemDataRole.ForegroundRole:
            return text_colour(float(self._fraction[row, col]))
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.tooltip(row, col)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return Qt.AlignmentFlag.AlignCenter
        return None

    def tooltip(self, row: int, col: int) -> str:
        d = self.data_
        assert d is not None
        lines = [self.tr("{point} · position {col} (“{token}”)").format(
            point=point_label(d.names[row], row == len(d.names) - 1), col=col, token=display_token(d.tokens[col]))]
        for token, lp in zip(d.top_strings[row][col], d.top_logprobs[row, col]):
            lines.append(f"{display_token(token):>8}  log p {float(lp):+.3f}  p {math.exp(float(lp)):.3f}")
        lines.append(self.tr("entropy {entropy:.3f} nats").format(entropy=float(d.entropy[row, col])))
        if d.target_rank is not None and d.target_logprob is not None:
            lines.append(self.tr("target “{target}”: rank {rank}, log p {logp:+.3f}").format(
                target=d.target, rank=int(d.target_rank[row, col]), logp=float(d.target_logprob[row, col])))
        return "\n".join(lines)

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802 - Qt API
                   role: int = Qt.ItemDataRole.DisplayRole) -> object:
        d = self.data_
        if d is None or role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return f"{section}\n{display_token(d.tokens[section])}"
        return point_label(d.names[section], section == len(d.names) - 1)


class LensGrid(QTableView):
    """The grid; ``positionClicked(int)`` when the user picks a column (the target view follows it)."""

    positionClicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.grid_model = LensGridModel()
        self.setModel(self.grid_model)
        self.setFont(cjk_font(10))
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.horizontalHeader().setDefaultSectionSize(44)
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.verticalHeader().setDefaultSectionSize(24)
        self.clicked.connect(lambda index: self.positionClicked.emit(index.column()))

    def set_data(self, data: LensGridData | None, colour: str) -> None:
        self.grid_model.set_data(data, colour)

    def set_colour(self, colour: str) -> None:
        self.grid_model.set_colour(colour)

    def cell_text(self, row: int, col: int) -> str:
        return str(self.grid_model.data(self.grid_model.index(row, col)))
