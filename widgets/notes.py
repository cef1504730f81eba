"""Notes and bookmarks: markdown notes for the session, and bookmarks that restore a selection when clicked.

The notes and bookmarks belong to the document (gui/document.py); the panel's own state is only whether it shows
the notes as written or rendered (:class:`NotesState`).
"""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout, QLabel, QLineEdit, QListWidget, QListWidgetItem, QPlainTextEdit, QPushButton, QSplitter,
    QTabWidget, QTextBrowser, QVBoxLayout, QWidget,
)

from lmscope.widgets.state import PanelState


@dataclass(frozen=True)
class NotesState(PanelState):
    """Whether the notes are shown rendered (the Preview tab) rather than as Markdown to edit."""

    preview: bool = False


class NotesPanel(QWidget):
    notesEdited = Signal(str)  # the whole markdown text
    bookmarkRequested = Signal(str)  # add a bookmark at the current selection, with this text
    bookmarkActivated = Signal(int)  # index in the list
    bookmarkRemoved = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editor = QPlainTextEdit()
        self.editor.setPlaceholderText(self.tr("Notes for this session (Markdown): what you looked at and why."))
        self.preview = QTextBrowser()
        self.tabs = QTabWidget()
        self.tabs.addTab(self.editor, self.tr("Edit"))
        self.tabs.addTab(self.preview, self.tr("Preview"))
        self.where = QLabel("")
        self.bookmark_text = QLineEdit()
        self.bookmark_text.setPlaceholderText(self.tr("What is interesting here?"))
        self.add_button = QPushButton(self.tr("Bookmark selection"))
        self.remove_button = QPushButton(self.tr("Remove"))
        self.bookmarks = QListWidget()
        row = QHBoxLayout()
        row.addWidget(self.bookmark_text, 1)
        row.addWidget(self.add_button)
        row.addWidget(self.remove_button)
        marks = QWidget()
        marks_layout = QVBoxLayout(marks)
        marks_layout.setContentsMargins(0, 0, 0, 0)
        marks_layout.addWidget(self.where)
        marks_layout.addLayout(row)
        marks_layout.addWidget(self.bookmarks, 1)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.tabs)
        split.addWidget(marks)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(split)
        self.editor.textChanged.connect(self._on_text_changed)
        self.tabs.currentChanged.connect(self._on_tab)
        self.add_button.clicked.connect(self._on_add)
        self.remove_button.clicked.connect(self._on_remove)
        self.bookmarks.itemClicked.connect(self._on_clicked)

    def state(self) -> NotesState:
        return NotesState(preview=self.tabs.currentIndex() == 1)

    def set_state(self, state: NotesState) -> None:
        self.tabs.setCurrentIndex(1 if state.preview else 0)

    def set_notes(self, text: str) -> None:
        if text != self.editor.toPlainText():
            self.editor.blockSignals(True)
            self.editor.setPlainText(text)
            self.editor.blockSignals(False)
        self.preview.setMarkdown(text)

    def set_bookmarks(self, rows: list[str]) -> None:
        self.bookmarks.clear()
        for text in rows:
            self.bookmarks.addItem(QListWidgetItem(text))

    def set_selection_text(self, text: str) -> None:
        self.where.setText(self.tr("Selection: {text}").format(text=text))

    def _on_text_changed(self) -> None:
        self.notesEdited.emit(self.editor.toPlainText())

    def _on_tab(self, index: int) -> None:
        if index == 1:
            self.preview.setMarkdown(self.editor.toPlainText())

    def _on_add(self) -> None:
        self.bookmarkRequested.emit(self.bookmark_text.text().strip())
        self.bookmark_text.clear()

    def _on_remove(self) -> None:
        row = self.bookmarks.currentRow()
        if row >= 0:
            self.bookmarkRemoved.emit(row)

    def _on_clicked(self, item: QListWidgetItem) -> None:
        self.bookmarkActivated.emit(self.bookmarks.row(item))
