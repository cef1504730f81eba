"""The comparison tab: one text cut by every tokenizer, rows aligned on character offsets, with counts,
characters per token, unknown-token rates, and the ids of a row copied to the clipboard as a list."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QSplitter, QVBoxLayout, QWidget

from lmscope.widgets.tokenizer.jieba import scrolled
from lmscope.widgets.tokenizer.spans import Span, SpanRow, SpanRowsView
from lmscope.widgets.tokenizer.tables import RowsModel, make_table

# (row name, tokens, characters per token, unknown tokens, unknown rate, vocabulary size); None shows as —
StatsRow = tuple[str, int | None, float | None, int | None, float | None, int | None]


class CompareTab(QWidget):
    spanClicked = Signal(int, int)  # row, span index
    runRequested = Signal()  # capture this text with the model, so selecting a token selects a position

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = SpanRowsView()
        self.view.spanClicked.connect(self.spanClicked)
        self.stats_model = RowsModel([self.tr("tokenizer"), self.tr("tokens"), self.tr("characters / token"),
                                      self.tr("unknown"), self.tr("unknown rate"), self.tr("vocabulary")])
        self.stats_table = make_table(self.stats_model, stretch=0)
        self.link_label = QLabel("")
        self.link_label.setWordWrap(True)
        self.run_button = QPushButton(self.tr("Run it through the model"))
        self.run_button.setToolTip(self.tr("Capture this text with the model, so selecting a token here selects it in "
                                           "the "
                                   "other panels"))
        self.run_button.clicked.connect(self.runRequested)
        self.copy_box = QComboBox()
        self.copy_button = QPushButton(self.tr("Copy ids"))
        self.copy_button.setToolTip(self.tr("Copy the chosen row's token ids to the clipboard as a list, e.g. [5, 17, "
                                            "2]"))
        self.copy_button.clicked.connect(self.copy_ids)
        self._ids: dict[str, list[int]] = {}
        actions = QHBoxLayout()
        actions.addWidget(self.link_label, 1)
        actions.addWidget(self.run_button)
        actions.addWidget(QLabel(self.tr("ids of")))
        actions.addWidget(self.copy_box)
        actions.addWidget(self.copy_button)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(scrolled(self.view))
        splitter.addWidget(self.stats_table)
        splitter.setSizes([420, 170])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(actions)
        layout.addWidget(splitter, 1)

    def set_comparison(self, n_units: int, rows: list[SpanRow], stats: list[StatsRow],
                       ids: dict[str, list[int]]) -> None:
        """Rows of spans on character offsets; ``ids`` maps a row name to the ids the Copy button copies."""
        self.view.set_rows(n_units, rows)
        display = [(name, _num(n, "{:,}"), _num(cpt, "{:.2f}"), _num(unk, "{:,}"), _num(rate, "{:.1%}"),
                    _num(v, "{:,}")) for name, n, cpt, unk, rate, v in stats]
        self.stats_model.set_rows([tuple(-1 if v is None else v for v in row) for row in stats], display)
        current = self.copy_box.currentText()
        self._ids = dict(ids)
        self.copy_box.clear()
        self.copy_box.addItems(list(self._ids))
        if current in self._ids:
            self.copy_box.setCurrentText(current)
        self.copy_button.setEnabled(bool(self._ids))

    def span(self, row: int, index: int) -> Span:
        """The span ``spanClicked(row, index)`` reported."""
        return self.view.rows[row].spans[index]

    def set_highlight(self, start: int, end: int) -> None:
        self.view.set_highlight(start, end)

    def set_link(self, linked: bool, message: str) -> None:
        """Whether clicking a token selects a position elsewhere (the text is the current capture's)."""
        self.link_label.setText(message)
        self.run_button.setVisible(not linked)

    def copy_ids(self) -> str:
        ids = self._ids.get(self.copy_box.currentText(), [])
        text = "[" + ", ".join(str(i) for i in ids) + "]"
        QGuiApplication.clipboard().setText(text)
        return text


def _num(value: float | int | None, pattern: str) -> str:
    return "—" if value is None else pattern.format(value)
