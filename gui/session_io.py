"""Between the open window and a session file: collect what to save, and apply what was opened."""
from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QTimer

from lmscope.sessions import ModelPart, SavedTrace, Session
from lmscope.sessions.jobs import SessionOpened

if TYPE_CHECKING:
    from lmscope.gui.main_window import MainWindow


def session_from_window(window: "MainWindow") -> Session:
    """Everything the window shows, as plain data, collected on the GUI thread without copying any tensor.

    A live model's part is left to the save job (``save_session_job(..., loaded=...)``), which copies the
    weights in the worker.
    """
    doc = window.document
    model: ModelPart | None = None
    if doc.loaded is None and doc.session is not None and doc.session.model is not None:
        model = doc.session.model  # an opened session without weights keeps its model description
    return Session(
        model=model,
        traces=[SavedTrace(entry.trace, entry.histograms) for entry in doc.traces],
        current_trace=doc.current,
        history=doc.history,
        layout=bytes(window.saveState(window.layout_version).data()),
        selection={"layer": doc.selection.layer, "head": doc.selection.head, "position": doc.selection.position},
        # States of panels this version does not have (a teammate's newer lmscope) are carried through untouched.
        panels={**(doc.session.panels if doc.session is not None else {}),
                **{name: part.session_state() for name, part in window.session_parts.items()}},
        notes=doc.notes,
        bookmarks=list(doc.bookmarks),
    )


def apply_session(window: "MainWindow", opened: SessionOpened) -> list[str]:
    """Show ``opened`` in the window; returns one sentence per panel whose saved state could not be applied.

    Panel state comes from a file like everything else: one panel failing on it must not stop the others (nor
    leave the job runner busy, as an exception out of this handler did), so each panel is restored on its own and
    a failure is reported in the status bar with the panel's name.
    """
    session = opened.session
    window.document.load_session(session, opened.loaded)
    if session.layout:
        window.restoreState(QByteArray(session.layout), window.layout_version)
    problems = []
    for name, state in session.panels.items():
        part = window.session_parts.get(name)
        if part is None:  # a panel this version does not have: its state is kept in the file, not shown
            continue
        try:
            part.restore_session_state(state)
        except Exception as exc:  # noqa: BLE001 - a hostile state must not take the other panels down
            problems.append(f"The {name} panel could not restore its saved settings ({type(exc).__name__}).")
    if problems:  # after the job's own "done", which would otherwise replace it at once
        QTimer.singleShot(0, lambda: window.statusBar().showMessage(" ".join(problems), 15_000))
    return problems
