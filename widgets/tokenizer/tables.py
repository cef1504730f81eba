"""A read-only table model over rows of plain values, shared by the tokenizer explorer's tables.

A ``QAbstractTableModel`` rather than ``QTableWidget`` items: a BPE run has thousands of merges and a vocabulary
tens of thousands of tokens, which item widgets fill slowly. Sorting uses each cell's raw value (numbers sort as
numbers), filtering goes through a ``QSortFilterProxyModel``.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from lmscope.widgets.style import cjk_font

Index = QModelIndex | QPersistentModelIndex
MARKED = QBrush(QColor(230, 159, 0, 90))  # the current step's row


class RowsModel(QAbstractTableModel):
    """Rows of values; ``display`` (optional) gives the text shown for each row, ``rows`` the sort keys."""

    def __init__(self, headers: Sequence[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._headers = list(headers)
        self._rows: list[tuple[Any, ...]] = []
        self._display: list[tuple[str, ...]] = []
        self._tooltips: list[str] = []
        self.marked_row = -1

    def set_rows(self, rows: Sequence[tuple[Any, ...]], display: Sequence[tuple[str, ...]] | None = None,
                 tooltips: Sequence[str] | None = None) -> None:
        self.beginResetModel()
        self._rows = [tuple(r) for r in rows]
        self._display = [tuple(d) for d in display] if display is not None else \
            [tuple(_text(v) for v in r) for r in self._rows]
        self._tooltips = list(tooltips) if tooltips is not None else []
        self.marked_row = -1
        self.endResetModel()

    def mark(self, row: int) -> None:
        """Shade one row (e.g. the merge the replay has reached); −1 for none."""
        old, self.marked_row = self.marked_row, row
        for r in (old, row):
            if 0 <= r < len(self._rows):
                self.dataChanged.emit(self.index(r, 0), self.index(r, len(self._headers) - 1))

    def row_values(self, row: int) -> tuple[Any, ...]:
        return self._rows[row]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008 - Qt API
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008 - Qt API
        return 0 if parent.isValid() else len(self._headers)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, column = index.row(), index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display[row][column]
        if role == Qt.ItemDataRole.UserRole:  # the sort key
            return self._rows[row][column]
        if role == Qt.ItemDataRole.ToolTipRole and self._tooltips:
            return self._tooltips[row]
        if role == Qt.ItemDataRole.BackgroundRole and row == self.marked_row:
            return MARKED
        if role == Qt.ItemDataRole.TextAlignmentRole and isinstance(self._rows[row][column], (int, float)):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802 - Qt API
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self._headers[section]
        return None


def _text(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value)


def make_table(model: QAbstractTableModel, stretch: int = -1) -> QTableView:
    """A compact read-only table in the panel's CJK font, selecting whole rows; column ``stretch`` takes the
    spare width (−1: the last column)."""
    view = QTableView()
    view.setModel(model)
    view.setFont(cjk_font(10))
    view.verticalHeader().setVisible(False)
    view.verticalHeader().setDefaultSectionSize(22)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    header = view.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    if stretch < 0:
        header.setStretchLastSection(True)
    else:
        header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    return view
