"""The projector's analogy evaluation: pick a ``questions-words.txt`` file, see the accuracy of each section.

Plain data in (section names and counts); the binding runs the evaluation as a job (backend/embeddings/jobs.py).
"""
from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFileDialog, QGroupBox, QHeaderView, QLabel, QPushButton, QTableWidget, QTableWidgetItem, QVBoxLayout,
)


class AnalogyEvaluationBox(QGroupBox):
    """A button that asks for an analogy file (``evaluateRequested(path)``) and a table of accuracy per section."""

    evaluateRequested = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.setTitle(self.tr("Analogy evaluation (questions-words format)"))
        lay = QVBoxLayout(self)
        self.button = QPushButton(self.tr("Evaluate on an analogy file…"))
        self.button.clicked.connect(self._ask)
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels([self.tr("section"), self.tr("correct / asked"), self.tr("accuracy")])
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.setMaximumHeight(180)
        self.table.setVisible(False)
        for widget in (self.button, self.summary, self.table):
            lay.addWidget(widget)

    def _ask(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Analogy questions"), "",
                                              self.tr("Analogy questions (*.txt);;All files (*)"))
        if path:
            self.evaluateRequested.emit(path)

    def set_running(self, file: str) -> None:
        self.summary.setText(self.tr("Evaluating on %1…").replace("%1", file))

    def set_failed(self, message: str) -> None:
        self.summary.setText(message)
        self.table.setVisible(False)

    def set_results(self, file: str, sections: Sequence[tuple[str, int, int]], skipped: int, questions: int) -> None:
        """``sections``: (name, correct, incorrect) in file order; the total is their sum."""
        correct = sum(s[1] for s in sections)
        asked = correct + sum(s[2] for s in sections)
        total = 100.0 * correct / asked if asked else 0.0
        self.summary.setText(
            self.tr("%1: %2 % of %3 questions right (%4 of %5 skipped: a word outside the vocabulary).")
            .replace("%1", file).replace("%2", f"{total:.1f}").replace("%3", f"{asked:,}")
            .replace("%4", f"{skipped:,}").replace("%5", f"{questions:,}"))
        rows = [s for s in sections if s[1] + s[2]]  # sections with no answerable question say nothing
        self.table.setRowCount(len(rows))
        for i, (name, ok, bad) in enumerate(rows):
            self.table.setItem(i, 0, QTableWidgetItem(name))
            self.table.setItem(i, 1, QTableWidgetItem(f"{ok} / {ok + bad}"))
            self.table.setItem(i, 2, QTableWidgetItem(f"{100.0 * ok / (ok + bad):.1f} %"))
        self.table.setVisible(bool(rows))

    def section_rows(self) -> list[tuple[str, str, str]]:
        return [tuple(self.table.item(r, c).text() for c in range(3)) for r in range(self.table.rowCount())]
