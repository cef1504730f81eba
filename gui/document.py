"""The open document: the model, the captured traces, the training history and the selection.

Panels observe it through its signals; jobs feed it through :meth:`Document.apply_events`. It is the one owner of
this state — widgets keep only what they draw.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from lmscope.backend.capture import Trace
from lmscope.backend.models.checkpoint import LoadedModel
from lmscope.backend.training.history import TrainingHistory
from lmscope.backend.jobs import HistoryLoaded, ModelLoaded, TraceCaptured
from lmscope.backend.stats import HistogramStats
from lmscope.backend.training.loop import HistogramSnapshot, TrainProgress
from lmscope.sessions import Bookmark, Session

MAX_TRACES = 12  # older captures are dropped beyond this, oldest first


@dataclass
class TraceEntry:
    trace: Trace
    histograms: dict[str, HistogramStats] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return self.trace.label


@dataclass
class Selection:
    layer: int = 0
    head: int = 0
    position: int = -1


class Document(QObject):
    modelChanged = Signal()
    tracesChanged = Signal()  # a trace was added or the current one changed
    trainingReset = Signal()  # a new history replaced the old one
    trainingAppended = Signal(int)  # number of new progress points
    snapshotAdded = Signal()
    selectionChanged = Signal()
    notesChanged = Signal()
    bookmarksChanged = Signal()
    dirtyChanged = Signal(bool)  # unsaved changes appeared or were saved

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.loaded: LoadedModel | None = None
        self.traces: list[TraceEntry] = []
        self.current = -1
        self.history = TrainingHistory()
        self.training_total = 0  # steps the current run will take, for "step k / N"
        self.selection = Selection()
        self.notes = ""
        self.bookmarks: list[Bookmark] = []
        self.dirty = False
        self.session: Session | None = None  # the opened session file backing lazy tensors, if any
        self.session_path: Path | None = None  # where this document was last opened from or saved to

    # --- reading -------------------------------------------------------------------------------------------
    @property
    def current_trace(self) -> TraceEntry | None:
        return self.traces[self.current] if 0 <= self.current < len(self.traces) else None

    @property
    def model_label(self) -> str:
        return self.loaded.source if self.loaded is not None else "no model"

    # --- changing ------------------------------------------------------------------------------------------
    def set_dirty(self, dirty: bool = True) -> None:
        if dirty != self.dirty:
            self.dirty = dirty
            self.dirtyChanged.emit(dirty)

    def set_model(self, loaded: LoadedModel | None) -> None:
        self.loaded = loaded
        self.modelChanged.emit()

    def set_notes(self, text: str) -> None:
        if text != self.notes:
            self.notes = text
            self.set_dirty()
            self.notesChanged.emit()

    def add_bookmark(self, text: str) -> None:
        entry = self.current_trace
        label = text or (f"{entry.label} · " if entry else "") + f"L{self.selection.layer} H{self.selection.head}"
        self.bookmarks.append(Bookmark(self.current, self.selection.layer, self.selection.head,
                                       self.selection.position, label))
        self.set_dirty()
        self.bookmarksChanged.emit()

    def remove_bookmark(self, index: int) -> None:
        if 0 <= index < len(self.bookmarks):
            del self.bookmarks[index]
            self.set_dirty()
            self.bookmarksChanged.emit()

    def go_to_bookmark(self, index: int) -> None:
        mark = self.bookmarks[index]
        self.select_trace(mark.trace)
        self.set_selection(layer=mark.layer, head=mark.head, position=mark.position)

    def load_session(self, session: Session, loaded: LoadedModel | None) -> None:
        """Replace everything with an opened session's contents (its model only if it carried weights)."""
        if self.session is not None and self.session is not session:
            self.session.close()
        self.session = session
        self.traces = [TraceEntry(saved.trace, saved.histograms) for saved in session.traces]
        self.current = session.current_trace if session.traces else -1
        self.notes, self.bookmarks = session.notes, list(session.bookmarks)
        self.selection = Selection(**{k: session.selection.get(k, v) for k, v in
                                      (("layer", 0), ("head", 0), ("position", -1))})
        self.set_model(loaded)
        self.reset_history(session.history)
        self.tracesChanged.emit()
        self.notesChanged.emit()
        self.bookmarksChanged.emit()
        self.selectionChanged.emit()
        self.set_dirty(False)

    def add_trace(self, entry: TraceEntry) -> None:
        self.traces.append(entry)
        if len(self.traces) > MAX_TRACES:
            del self.traces[0]
        self.current = len(self.traces) - 1
        n_layer = entry.trace.n_layer
        if self.selection.layer >= n_layer:
            self.selection.layer = max(0, n_layer - 1)
        self.tracesChanged.emit()

    def select_trace(self, index: int) -> None:
        if 0 <= index < len(self.traces) and index != self.current:
            self.current = index
            self.tracesChanged.emit()

    def set_selection(self, layer: int | None = None, head: int | None = None, position: int | None = None) -> None:
        changed = False
        for name, value in (("layer", layer), ("head", head), ("position", position)):
            if value is not None and getattr(self.selection, name) != value:
                setattr(self.selection, name, value)
                changed = True
        if changed:
            self.selectionChanged.emit()

    def reset_history(self, history: TrainingHistory | None = None, total_steps: int = 0) -> None:
        self.history = history if history is not None else TrainingHistory()
        self.training_total = total_steps or (self.history.steps[-1] if self.history.steps else 0)
        self.trainingReset.emit()

    def apply_events(self, events: list[Any]) -> None:
        """Fold a batch of job events into the document, emitting each kind of signal at most once."""
        progressed = 0
        snapshot = False
        for event in events:
            if isinstance(event, TrainProgress):
                self.history.add(event)
                progressed += 1
            elif isinstance(event, HistogramSnapshot):
                self.history.add(event)
                snapshot = True
            elif isinstance(event, ModelLoaded):
                self.set_model(event.loaded)
            elif isinstance(event, HistoryLoaded):
                self.reset_history(event.history)
            elif isinstance(event, TraceCaptured):
                self.add_trace(TraceEntry(event.trace, event.histograms))
            else:
                continue
            self.set_dirty()
        if progressed:
            self.trainingAppended.emit(progressed)
        if snapshot:
            self.snapshotAdded.emit()
