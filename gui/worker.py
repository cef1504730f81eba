"""One worker thread, one queue of jobs, one handle per job; the GUI receives each job's events in batches at ≤ 30 Hz.

A job is a plain generator (see backend/jobs.py). :meth:`JobRunner.start_job` never refuses: it returns a
:class:`Job` handle at once and the job waits its turn (FIFO). A job may have a ``kind``: a newer job of the same
kind replaces one still waiting (latest wins), and with ``supersede=True`` it also cancels a running one of that kind,
whose late events are then dropped. The panel that started a job connects to that job's own signals; nobody
recognises a job by its title.

The thread pushes every event into a queue; a timer on the GUI thread drains it every 33 ms and emits the batch on
the job's ``events`` signal, so a job that yields thousands of events a second costs the window at most 30 repaints
a second. Between two events the thread checks the job's Cancel flag and closes the generator, so cancelling takes
effect at the job's next ``yield``.

The runner's own state (which job runs, which wait) is updated *before* any handler runs, and a handler that raises
is reported as that job's failure, so no exception in a panel can leave the runner busy for good.

PySide6 note: every signal here is emitted on the GUI thread (from the timer or the thread's ``finished``), so its
handlers run there whatever they are; the worker thread itself emits nothing but ``QThread.finished``.
"""
from __future__ import annotations

import itertools
import queue
import sys
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

from PySide6.QtCore import QObject, QThread, QTimer, Signal

from lmscope.backend.errors import LmscopeError
from lmscope.backend.jobs import JobProgress

FLUSH_INTERVAL_MS = 33  # ≤ 30 updates a second

JobFactory = Callable[[], Iterator[Any]]

WAITING, RUNNING, DONE, CANCELLED, FAILED = "waiting", "running", "done", "cancelled", "failed"


@dataclass(frozen=True)
class JobFailure:
    title: str
    message: str  # one sentence for the status bar
    details: str  # the traceback, for the details dialog (empty for our own BadInputError-style errors)
    job: "Job | None" = None
    error_type: type[BaseException] | None = None  # what was raised (the type only: no frames kept alive)

    def remedy(self) -> "tuple[str, Callable[[], object]] | None":
        """The (button label, action) the job's starter offered for this kind of failure, if any."""
        if self.job is None or self.error_type is None:
            return None
        for error_type, label, action in self.job.remedies:
            if issubclass(self.error_type, error_type):
                return label, action
        return None


def describe_exception(exc: BaseException) -> tuple[str, str]:
    """(one sentence, traceback) for a failure: our own errors are sentences already and need no traceback."""
    if isinstance(exc, LmscopeError):
        return str(exc), ""
    if isinstance(exc, MemoryError):
        return "There is not enough memory for this; close other work or ask for less.", ""
    return f"{type(exc).__name__}: {exc}".splitlines()[0], "".join(traceback.format_exception(exc))


class Job(QObject):
    """The handle of one queued or running job. Lives on the GUI thread; every signal is emitted there."""

    events = Signal(list)  # a batch of the job's result events, in order (progress excluded)
    progress = Signal(float, str)  # fraction in [0, 1] or −1 when unknown, message
    started = Signal()
    finished = Signal(bool)  # ran to its end (True) or stopped early by cancel (False)
    failed = Signal(object)  # JobFailure
    cancelled = Signal()  # cancelled while waiting, or stopped early while running (then after ``finished``)

    _ids = itertools.count(1)

    def __init__(self, title: str, factory: JobFactory, kind: str | None, runner: "JobRunner") -> None:
        super().__init__(runner)
        self.id = next(self._ids)
        self.title, self.kind = title, kind
        self.state = WAITING
        self.superseded = False  # cancelled in favour of a newer job of its kind: late events are dropped
        self._factory = factory
        self._runner = runner
        self._thread: _JobThread | None = None
        self.remedies: list[tuple[type[BaseException], str, Callable[[], object]]] = []

    def offer(self, error_type: type[BaseException], label: str, action: Callable[[], object]) -> "Job":
        """When the job fails with ``error_type``, the failure dialog offers a button ``label`` that runs ``action``
        (e.g. "Open anyway" for a session over this machine's size limits)."""
        self.remedies.append((error_type, label, action))
        return self

    @property
    def active(self) -> bool:
        """Waiting or running: not yet finished, failed or cancelled."""
        return self.state in (WAITING, RUNNING)

    def cancel(self, *, discard: bool = False) -> None:
        """Drop the job if it waits; ask it to stop at its next ``yield`` if it runs. Safe to call twice.

        With ``discard`` the events it still yields before it stops are dropped (its result is no longer wanted).
        """
        if discard:
            self.superseded = True
        self._runner._cancel(self)

    def __repr__(self) -> str:
        return f"<Job {self.id} {self.title!r} kind={self.kind!r} {self.state}>"


class _JobThread(QThread):
    def __init__(self, job: Job, events: "queue.SimpleQueue[tuple[int, Any]]") -> None:
        super().__init__()
        self._factory, self._id = job._factory, job.id
        self._events = events
        self.cancel_requested = False
        self.failure: tuple[str, str] | None = None
        self.error_type: type[BaseException] | None = None
        self.completed = False

    def run(self) -> None:
        generator = None
        try:
            generator = self._factory()
            for event in generator:
                self._events.put((self._id, event))
                if self.cancel_requested:
                    break
            else:
                self.completed = True
        except BaseException as exc:  # noqa: BLE001 - any bug in a job must reach the user, not kill the app
            self.failure, self.error_type = describe_exception(exc), type(exc)
        finally:
            if generator is not None and hasattr(generator, "close"):
                try:
                    generator.close()
                except Exception as exc:  # noqa: BLE001 - a generator's cleanup failing is still the job's failure
                    self.failure = self.failure or describe_exception(exc)


class JobRunner(QObject):
    """Runs queued jobs one at a time in a worker thread and reports on them. Lives on the GUI thread."""

    jobStarted = Signal(object)  # Job
    progressChanged = Signal(float, str)  # of the running job
    jobFinished = Signal(object, bool)  # Job, completed (False when cancelled while running)
    jobFailed = Signal(object)  # JobFailure
    queueChanged = Signal()  # the running job or the waiting list changed (for the status bar)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._events: queue.SimpleQueue[tuple[int, Any]] = queue.SimpleQueue()
        self._running: Job | None = None
        self._waiting: list[Job] = []
        self._closed = False
        self._timer = QTimer(self)
        self._timer.setInterval(FLUSH_INTERVAL_MS)
        self._timer.timeout.connect(self._flush)

    # --- what the window asks ---------------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        """A job runs or waits."""
        return self._running is not None or bool(self._waiting)

    @property
    def running(self) -> Job | None:
        return self._running

    @property
    def waiting(self) -> tuple[Job, ...]:
        return tuple(self._waiting)

    def start_job(self, title: str, factory: JobFactory, *, kind: str | None = None,
                  supersede: bool = False) -> Job:
        """Queue ``factory()`` (a generator function) to run in the worker; returns its handle at once.

        A waiting job of the same ``kind`` is replaced (it emits ``cancelled``); with ``supersede`` a running job of
        that kind is also cancelled and its late events are dropped. After :meth:`shutdown` the job is cancelled.
        """
        job = Job(title, factory, kind, self)
        if self._closed:
            job.state = CANCELLED
            QTimer.singleShot(0, job.cancelled.emit)
            return job
        if kind is not None:
            for old in [j for j in self._waiting if j.kind == kind]:
                self._drop_waiting(old)
            if supersede and self._running is not None and self._running.kind == kind:
                self._running.superseded = True
                self._cancel(self._running)
        self._waiting.append(job)
        self.queueChanged.emit()
        if self._running is None:
            # It runs at once, but its ``started`` is announced from the event loop, once the caller has connected.
            self._start_next(announce_now=False)
        return job

    def cancel(self) -> None:
        """Cancel the running job (the status bar's Cancel button)."""
        if self._running is not None:
            self._cancel(self._running)

    def cancel_all(self) -> None:
        for job in list(self._waiting):
            self._drop_waiting(job)
        self.cancel()

    def shutdown(self, timeout_ms: int = 30000) -> None:
        """Closing the window: drop every waiting job, stop the running one and wait for its thread."""
        self._closed = True
        for job in list(self._waiting):
            self._drop_waiting(job)
        job = self._running
        if job is not None and job._thread is not None:
            self._cancel(job)
            job._thread.wait(timeout_ms)
            self._on_thread_finished(job)

    # --- the machinery ---------------------------------------------------------------------------------------
    def _cancel(self, job: Job) -> None:
        if job.state == WAITING:
            self._drop_waiting(job)
        elif job.state == RUNNING and job._thread is not None:
            job._thread.cancel_requested = True

    def _drop_waiting(self, job: Job) -> None:
        if job in self._waiting:
            self._waiting.remove(job)
            job.state = CANCELLED
            self.queueChanged.emit()
            self._emit(job.cancelled)

    def _start_next(self, announce_now: bool = True) -> None:
        if self._running is not None or not self._waiting or self._closed:
            return
        job = self._waiting.pop(0)
        job.state, self._running = RUNNING, job
        job._thread = _JobThread(job, self._events)
        job._thread.finished.connect(self._on_any_thread_finished)
        job._thread.start()
        self._timer.start()
        self.queueChanged.emit()
        if announce_now:
            self._announce(job)
        else:
            QTimer.singleShot(0, partial(self._announce, job))

    def _announce(self, job: Job) -> None:
        """``started`` and the first progress: always before the job's events, finished or failed."""
        self.jobStarted.emit(job)
        self._emit(job.started)
        self.progressChanged.emit(-1.0, job.title)
        self._emit(job.progress, -1.0, job.title)

    def _flush(self) -> None:
        batches: dict[int, list[Any]] = {}
        progress: dict[int, JobProgress] = {}
        while True:
            try:
                job_id, event = self._events.get_nowait()
            except queue.Empty:
                break
            if isinstance(event, JobProgress):
                progress[job_id] = event  # only the latest progress matters for the bar
            else:
                batches.setdefault(job_id, []).append(event)
        job = self._running
        if job is None or job.superseded:
            return  # events of a job that is over or superseded are dropped
        if job.id in progress:
            p = progress[job.id]
            self.progressChanged.emit(p.fraction, p.message)
            self._emit(job.progress, p.fraction, p.message)
        if batches.get(job.id):
            self._emit(job.events, batches[job.id], job=job)

    def _on_any_thread_finished(self) -> None:
        job = self._running
        if job is not None and job._thread is not None and job._thread.isFinished():
            self._on_thread_finished(job)

    def _on_thread_finished(self, job: Job) -> None:
        thread = job._thread
        if thread is None or self._running is not job:
            return
        self._timer.stop()
        self._flush()  # the last events, while the job is still the running one
        thread.wait()
        # The runner's state first: whatever a handler below does, the next job can start.
        self._running, job._thread = None, None
        thread.deleteLater()
        cancelled = thread.cancel_requested
        if job.state == RUNNING:
            if thread.failure is not None:
                job.state = FAILED
                message, details = thread.failure
                self._fail(job, JobFailure(job.title, message, details, job, thread.error_type))
            else:
                completed = thread.completed and not cancelled
                job.state = DONE if completed else CANCELLED
                self._emit(job.finished, completed)
                self.jobFinished.emit(job, completed)
                if not completed:
                    self._emit(job.cancelled)
        self.queueChanged.emit()
        if self._waiting:
            QTimer.singleShot(0, self._start_next)

    def _fail(self, job: Job, failure: JobFailure) -> None:
        self._emit(job.failed, failure)
        self.jobFailed.emit(failure)

    def _emit(self, signal: Any, *args: Any, job: Job | None = None) -> None:  # noqa: ANN401 - a bound Signal
        """Emit a job's signal; a handler that raises fails that job instead of escaping into Qt.

        PySide6 does not propagate a slot's exception to ``emit``: it hands it to ``sys.excepthook`` and returns. So
        the hook is borrowed for the length of the emit (GUI thread only; the worker thread never calls it).
        """
        caught: list[BaseException] = []
        previous = sys.excepthook
        sys.excepthook = lambda _type, value, _tb: caught.append(value)
        try:
            signal.emit(*args)
        finally:
            sys.excepthook = previous
        if not caught:
            return
        exc = caught[0]
        if job is None or job.state != RUNNING:
            previous(type(exc), exc, exc.__traceback__)
            return
        message, details = describe_exception(exc)
        job.superseded = True  # its later events would meet the same broken handler
        if job._thread is not None:
            job._thread.cancel_requested = True
        job.state = FAILED
        self._fail(job, JobFailure(job.title, f"Showing the result failed: {message}", details, job))
