"""Between the open window and a session file: collect what to save, and apply what was opened."""
from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QByteArray

from lmscope.sessions import ModelPart, SavedTrace, Session
from lmscope.sessions.jobs import SessionOpened
from lmscope.widgets.state import StateError

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
                **{name: part.state().to_tree() for name, part in window.session_parts.items()}},
        notes=doc.notes,
        bookmarks=list(doc.bookmarks),
    )


def apply_session(window: "MainWindow", opened: SessionOpened) -> None:
    session = opened.session
    window.document.load_session(session, opened.loaded)
    if session.layout:
        window.restoreState(QByteArray(session.layout), window.layout_version)
    for name, tree in session.panels.items():
        part = window.session_parts.get(name)
        if part is None:  # a panel this version does not have: its state is kept in the file, not shown
            continue
        # Each panel on its own: one that cannot show its part says so in its notice line, the others go on. The
        # old notice is cleared first, so a panel may set its own while it applies its state.
        window.panel_notice(name, "")
        try:
            part.apply_state(part.state_type.from_tree(tree))
        except StateError as exc:
            window.panel_notice(name, QCoreApplication.translate("session_io", "This panel's part of the session was "
                                                                               "not restored: {exc}")
                                      .format(exc=exc))
        except Exception as exc:  # noqa: BLE001 - a panel's bug must not stop the other panels from restoring
            window.panel_notice(name, QCoreApplication.translate("session_io", "This panel's part of the session was "
                                                                               "not restored ({name__}: {value}).")
                                      .format(name__=type(exc).__name__, value=str(exc)[:200]))
