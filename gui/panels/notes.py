"""Binds the Notes and bookmarks dock to the document."""
from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from lmscope.widgets.notes import NotesPanel, NotesState

if TYPE_CHECKING:
    from lmscope.gui.main_window import MainWindow


class NotesBinding(QObject):
    """The notes and bookmarks are the document's (saved as such); the session part is only the panel's view."""

    state_type = NotesState
    def __init__(self, window: "MainWindow") -> None:
        super().__init__(window)
        self.doc = window.document
        self.panel = NotesPanel()
        window.add_panel("notes", self.panel, self.tr("Notes and bookmarks"))
        self.panel.notesEdited.connect(self.doc.set_notes)
        self.panel.bookmarkRequested.connect(self.doc.add_bookmark)
        self.panel.bookmarkActivated.connect(self.doc.go_to_bookmark)
        self.panel.bookmarkRemoved.connect(self.doc.remove_bookmark)
        self.doc.notesChanged.connect(self.refresh_notes)
        self.doc.bookmarksChanged.connect(self.refresh_bookmarks)
        self.doc.selectionChanged.connect(self.refresh_selection)
        self.doc.tracesChanged.connect(self.refresh_selection)
        window.register_session_part("notes", self)
        self.refresh_notes()
        self.refresh_bookmarks()
        self.refresh_selection()

    def state(self) -> NotesState:
        return self.panel.state()

    def apply_state(self, state: NotesState) -> None:
        self.panel.set_state(state)

    def refresh_notes(self) -> None:
        self.panel.set_notes(self.doc.notes)

    def refresh_bookmarks(self) -> None:
        rows = []
        for mark in self.doc.bookmarks:
            where = f"trace {mark.trace} · layer {mark.layer} · head {mark.head}"
            if mark.position >= 0:
                where += f" · position {mark.position}"
            rows.append(f"{mark.text} — {where}")
        self.panel.set_bookmarks(rows)

    def refresh_selection(self) -> None:
        sel = self.doc.selection
        entry = self.doc.current_trace
        token = ""
        if entry is not None and 0 <= sel.position < len(entry.trace.token_strings):
            token = self.tr(" · token {position} “{token}”").format(position=sel.position,
                                                                    token=entry.trace.token_strings[sel.position])
        self.panel.set_selection_text(self.tr("{label} · layer {layer} · head {head}").format(
            label=entry.label if entry else self.tr("no capture"), layer=sel.layer, head=sel.head) + token)


def install(window: "MainWindow") -> NotesBinding:
    return NotesBinding(window)
