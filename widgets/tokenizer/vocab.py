"""The "model & bytes" tab: a vocabulary browser (search, sort by id / frequency / length) and the byte-level
view of the text (characters → UTF-8 bytes → GPT-2's printable stand-ins), aligned byte by byte."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QT_TRANSLATE_NOOP, QSortFilterProxyModel, Qt, Signal
from PySide6.QtWidgets import QComboBox, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QSplitter, QVBoxLayout, QWidget

from lmscope.widgets.tokenizer.jieba import scrolled
from lmscope.widgets.tokenizer.spans import SpanRow, SpanRowsView
from lmscope.widgets.tokenizer.tables import RowsModel, make_table
from lmscope.widgets.terms import term

VOCAB_SOURCES = [("model", QT_TRANSLATE_NOOP("VocabTab", "model tokenizer")),
                 ("bpe", QT_TRANSLATE_NOOP("VocabTab", "our BPE (at the replay step)"))]
# Sort choices: (label, column, order)
SORTS = [("id", 0, Qt.SortOrder.AscendingOrder), ("frequency", 2, Qt.SortOrder.DescendingOrder),
         ("length", 3, Qt.SortOrder.DescendingOrder)]


def visible(token: str) -> str:
    """A token as the browser shows it: whitespace and control characters made visible."""
    return "".join({" ": "␣", "\n": "↵", "\t": "⇥", "\r": "␍"}.get(ch, ch if ch.isprintable() else f"\\x{ord(ch):02x}")
                   for ch in token)


class VocabTab(QWidget):
    sourceChanged = Signal(str)  # "model" or "bpe"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.source_box = QComboBox()
        for key, label in VOCAB_SOURCES:
            self.source_box.addItem(self.tr(label), key)
        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText(self.tr("search tokens"))
        self.search_edit.setClearButtonEnabled(True)
        self.sort_box = QComboBox()
        for label, _, _ in SORTS:
            self.sort_box.addItem(term(label), label)
        self.vocab_model = RowsModel(["id", self.tr("token"), self.tr("frequency"), self.tr("characters"),
                                      self.tr("UTF-8 bytes")])
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.vocab_model)
        self.proxy.setSortRole(Qt.ItemDataRole.UserRole)
        self.proxy.setFilterKeyColumn(1)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.table = make_table(self.proxy, stretch=1)
        self.table.setSortingEnabled(True)
        self.vocab_label = QLabel("")
        self.vocab_label.setWordWrap(True)
        self.bytes_view = SpanRowsView()
        self.bytes_label = QLabel("")
        self.bytes_label.setWordWrap(True)
        self._build_layout()
        self.search_edit.textChanged.connect(self._on_search)
        self.sort_box.currentIndexChanged.connect(self._on_sort)
        self.source_box.currentIndexChanged.connect(lambda: self.sourceChanged.emit(self.source))
        self._on_sort(0)

    def _build_layout(self) -> None:
        controls = QHBoxLayout()
        controls.addWidget(self.source_box)
        controls.addWidget(self.search_edit, 1)
        controls.addWidget(QLabel(self.tr("sort by")))
        controls.addWidget(self.sort_box)
        vocab_box = QGroupBox(self.tr("Vocabulary"))
        vocab_layout = QVBoxLayout(vocab_box)
        vocab_layout.addLayout(controls)
        vocab_layout.addWidget(self.vocab_label)
        vocab_layout.addWidget(self.table, 1)
        bytes_box = QGroupBox(self.tr("Byte level: the text as UTF-8 bytes and GPT-2's byte stand-ins"))
        bytes_layout = QVBoxLayout(bytes_box)
        bytes_layout.addWidget(self.bytes_label)
        bytes_layout.addWidget(scrolled(self.bytes_view), 1)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(vocab_box)
        splitter.addWidget(bytes_box)
        splitter.setSizes([360, 260])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(splitter)

    # --- data in -------------------------------------------------------------------------------------------
    @property
    def source(self) -> str:
        return str(self.source_box.currentData())

    def set_vocab(self, description: str, ids: np.ndarray, tokens: list[str], frequency: np.ndarray,
                  length: np.ndarray, n_bytes: np.ndarray) -> None:
        rows = [(int(i), t, int(f), int(n), int(b)) for i, t, f, n, b in zip(ids, tokens, frequency, length, n_bytes)]
        display = [(str(i), visible(t), f"{f:,}", str(n), str(b)) for i, t, f, n, b in rows]
        self.vocab_model.set_rows(rows, display)
        self.vocab_label.setText(description)
        self._on_sort(self.sort_box.currentIndex())

    def set_bytes(self, n_bytes: int, rows: list[SpanRow], summary: str) -> None:
        self.bytes_view.set_rows(n_bytes, rows)
        self.bytes_label.setText(summary)

    def visible_tokens(self) -> list[str]:
        """The tokens in the order the browser shows them now (after search and sort)."""
        return [str(self.proxy.index(r, 1).data(Qt.ItemDataRole.UserRole)) for r in range(self.proxy.rowCount())]

    # --- user intent ---------------------------------------------------------------------------------------
    def _on_search(self, text: str) -> None:
        self.proxy.setFilterFixedString(text)

    def _on_sort(self, index: int) -> None:
        _, column, order = SORTS[max(0, index)]
        self.table.sortByColumn(column, order)
