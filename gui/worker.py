"""One worker thread drives the current job's generator; the GUI receives its events in batches at ≤ 30 Hz.

A job is a plain generator (see backend/jobs.py). The thread pushes every event into a queue; a timer on the GUI
thread drains the queue every 33 ms and hands the batch to the job's handler, so a job that yields thousands of
events a second costs the window at most 30 repaints a second. Between two events the thread checks the Cancel
flag and closes the generator, so cancelling takes effect at the job's next ``yield``.

PySide6 note: signals emitted from the worker thread are connected only to bound methods of objects living on the
GUI thread (a lambda would run in the worker thread).
"""
from __future__ import annotations

import queue
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, QThread, QTimer, Signal

from lmscope.backend.errors import LmscopeError
from lmscope.backend.jobs import JobProgress

FLUSH_INTERVAL_MS = 33  # ≤ 30 updates a second

JobFactory = Callable[[], Iterator[Any]]
EventHandler = Callable[[list[Any]], None]


@dataclass(frozen=True)
class JobFailure:
    title: str
    message: str  # one sentence for the status bar
    details: str  # the traceback, for the details dialog (empty for our own BadInputError-style errors)


class _JobThread(QThread):
    def __init__(self, factory: JobFactory, events: "queue.SimpleQueue[Any]") -> None:
        super().__init__()
        self._factory = factory
        self._events = events
        self.cancel_requested = False
        self.failure: tuple[str, str] | None = None
        self.completed = False

    def run(self) -> None:
        job = None
        try:
            job = self._factory()
            for event in job:
                self._events.put(event)
                if self.cancel_requested:
                    break
            else:
                self.completed = True
        except LmscopeError as exc:
            self.failure = (str(exc), "")
        except Exception as exc:  # noqa: BLE001 - any bug in a job must reach the user, not kill the app
            self.failure = (f"{type(exc).__name__}: {exc}".splitlines()[0], traceback.format_exc())
        finally:
            if job is not None and hasattr(job, "close"):
                job.close()


class JobRunner(QObject):
    """Runs one job at a time and reports on it. Lives on the GUI thread."""

    jobStarted = Signal(str)  # title
    progressChanged = Signal(float, str)  # fraction in [0, 1] or -1 when unknown, message
    jobFinished = Signal(str, bool)  # title, completed (False when cancelled)
    jobFailed = Signal(object)  # JobFailure

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._events: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread: _JobThread | None = None
        self._handler: EventHandler | None = None
        self._title = ""
        self._timer = QTimer(self)
        self._timer.setInterval(FLUSH_INTERVAL_MS)
        self._timer.timeout.connect(self._flush)

    @property
    def busy(self) -> bool:
        return self._thread is not None

    @property
    def title(self) -> str:
        return self._title

    def start(self, title: str, factory: JobFactory, handler: EventHandler) -> bool:
        """Start ``factory()`` in the worker; ``handler(batch)`` gets its non-progress events on the GUI thread.

        Returns False (and starts nothing) when another job is running.
        """
        if self._thread is not None:
            return False
        self._title, self._handler = title, handler
        self._thread = _JobThread(factory, self._events)
        self._thread.finished.connect(self._on_thread_finished)
        self._thread.start()
        self._timer.start()
        self.jobStarted.emit(title)
        self.progressChanged.emit(-1.0, title)
        return True

    def cancel(self) -> None:
        if self._thread is not None:
            self._thread.cancel_requested = True

    def shutdown(self, timeout_ms: int = 30000) -> None:
        """Cancel and wait for the thread (closing the window mid-job)."""
        if self._thread is not None:
            self.cancel()
            self._thread.wait(timeout_ms)
            self._on_thread_finished()

    def _flush(self) -> None:
        batch: list[Any] = []
        progress: JobProgress | None = None
        while True:
            try:
                event = self._events.get_nowait()
            except queue.Empty:
                break
            if isinstance(event, JobProgress):
                progress = event  # only the latest progress matters for the bar
            else:
                batch.append(event)
        if progress is not None:
            self.progressChanged.emit(progress.fraction, progress.message)
        if batch and self._handler is not None:
            self._handler(batch)

    def _on_thread_finished(self) -> None:
        thread = self._thread
        if thread is None:
            return
        self._timer.stop()
        cancelled = thread.cancel_requested
        self._flush()
        self._thread, self._handler = None, None
        thread.wait()
        thread.deleteLater()
        title = self._title
        if thread.failure is not None:
            message, details = thread.failure
            self.jobFailed.emit(JobFailure(title, message, details))
        else:
            self.jobFinished.emit(title, thread.completed and not cancelled)
