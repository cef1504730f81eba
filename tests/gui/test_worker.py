"""The one job queue: FIFO, latest wins per kind, supersede drops late events, cancel anywhere, failures of the job
and of its handler, and shutdown with jobs queued. A bare JobRunner, no window."""
from __future__ import annotations

import threading
import time

import pytest

from lmscope.backend.errors import BadInputError
from lmscope.backend.jobs import JobProgress
from lmscope.gui.worker import CANCELLED, DONE, FAILED, RUNNING, WAITING, JobRunner


@pytest.fixture
def runner(qtbot):
    r = JobRunner()
    yield r
    r.shutdown()


def counting(n: int, delay: float = 0.0):
    def factory():
        for i in range(n):
            if delay:
                time.sleep(delay)
            yield i
    return factory


def gated(gate: threading.Event, before: int = 1, after: int = 3):
    """Yields ``before`` events, waits for ``gate``, then yields ``after`` more (tagged so tests can tell them)."""
    def factory():
        for i in range(before):
            yield ("before", i)
        while not gate.wait(0.005):
            yield JobProgress(-1.0, "waiting for the gate")
        for i in range(after):
            yield ("after", i)
    return factory


def endless():
    while True:
        time.sleep(0.002)
        yield JobProgress(-1.0, "working")


class Recorder:
    """Collects what one job's handle says, in order."""

    def __init__(self, job):
        self.job, self.events, self.log = job, [], []
        job.events.connect(self.events.extend)
        job.started.connect(lambda: self.log.append("started"))
        job.finished.connect(lambda completed: self.log.append(("finished", completed)))
        job.failed.connect(lambda failure: self.log.append(("failed", failure.message)))
        job.cancelled.connect(lambda: self.log.append("cancelled"))


def test_jobs_run_one_at_a_time_in_order(runner, qtbot):
    order: list[str] = []
    jobs = [runner.start_job(f"job {i}", counting(5, 0.001)) for i in range(3)]
    recs = [Recorder(job) for job in jobs]
    for i, job in enumerate(jobs):
        job.started.connect(lambda i=i: order.append(f"start {i}"))
        job.finished.connect(lambda _c, i=i: order.append(f"end {i}"))
    assert jobs[0].state == RUNNING and [j.state for j in jobs[1:]] == [WAITING, WAITING]
    assert runner.waiting == (jobs[1], jobs[2])
    qtbot.waitUntil(lambda: not runner.busy, timeout=10_000)
    assert order == ["start 0", "end 0", "start 1", "end 1", "start 2", "end 2"]
    assert all(rec.events == list(range(5)) for rec in recs)
    assert all(job.state == DONE for job in jobs)


def test_a_newer_waiting_job_of_the_same_kind_replaces_the_older(runner, qtbot):
    gate = threading.Event()
    blocker = runner.start_job("blocker", gated(gate))
    old = Recorder(runner.start_job("old", counting(3), kind="bpe"))
    other = Recorder(runner.start_job("other kind", counting(2), kind="jieba"))
    new = Recorder(runner.start_job("new", counting(4), kind="bpe"))
    assert old.job.state == CANCELLED and old.log == ["cancelled"]
    assert runner.waiting == (other.job, new.job)
    gate.set()
    qtbot.waitUntil(lambda: not runner.busy, timeout=10_000)
    assert blocker.state == DONE
    assert old.events == [] and other.events == [0, 1] and new.events == [0, 1, 2, 3]
    assert new.log == ["started", ("finished", True)]


def test_supersede_cancels_the_running_job_and_drops_its_late_events(runner, qtbot):
    gate = threading.Event()
    first = Recorder(runner.start_job("first", gated(gate, before=1, after=50), kind="sim"))
    qtbot.waitUntil(lambda: first.events == [("before", 0)], timeout=10_000)
    second = Recorder(runner.start_job("second", counting(3), kind="sim", supersede=True))
    gate.set()  # the first job now yields 50 more events before it notices the cancel
    qtbot.waitUntil(lambda: second.job.state == DONE, timeout=10_000)
    assert first.events == [("before", 0)]  # nothing after the supersede reached its handler
    assert first.job.state == CANCELLED and first.log == ["started", ("finished", False), "cancelled"]
    assert second.events == [0, 1, 2]


def test_cancel_while_waiting_and_while_running(runner, qtbot):
    running = Recorder(runner.start_job("endless", endless))
    waiting = Recorder(runner.start_job("waiting", counting(3)))
    waiting.job.cancel()
    assert waiting.job.state == CANCELLED and waiting.log == ["cancelled"] and runner.waiting == ()
    qtbot.waitUntil(lambda: running.log == ["started"], timeout=10_000)
    with qtbot.waitSignal(running.job.cancelled, timeout=10_000):
        running.job.cancel()
    assert running.log == ["started", ("finished", False), "cancelled"]
    assert not runner.busy and waiting.events == []
    waiting.job.cancel()  # cancelling twice is harmless
    assert waiting.log == ["cancelled"]


def test_a_job_that_raises_fails_alone_and_the_next_one_runs(runner, qtbot):
    def broken():
        yield 1
        raise RuntimeError("broke on purpose")

    def refused():
        raise BadInputError("That file is not a session.")
        yield  # pragma: no cover - makes this a generator

    bad, ours, good = (Recorder(runner.start_job(t, f)) for t, f in
                       (("broken", broken), ("refused", refused), ("good", counting(2))))
    failures = []
    runner.jobFailed.connect(failures.append)
    qtbot.waitUntil(lambda: not runner.busy, timeout=10_000)
    assert bad.job.state == FAILED and bad.events == [1]
    assert bad.log == ["started", ("failed", "RuntimeError: broke on purpose")]
    assert "Traceback" in failures[0].details and failures[0].job is bad.job
    assert ours.log == ["started", ("failed", "That file is not a session.")] and failures[1].details == ""
    assert good.events == [0, 1] and good.job.state == DONE


def test_a_handler_that_raises_fails_its_job_but_never_wedges_the_runner(runner, qtbot):
    job = runner.start_job("shown badly", counting(1000, 0.0005))

    def broken_handler(_batch):
        raise KeyError("hook_attn_scores")

    job.events.connect(broken_handler)
    failures = []
    job.failed.connect(failures.append)
    nxt = Recorder(runner.start_job("next", counting(2)))
    qtbot.waitUntil(lambda: nxt.job.state == DONE, timeout=10_000)
    assert job.state == FAILED and len(failures) == 1
    assert "Showing the result failed: KeyError" in failures[0].message
    assert "broken_handler" in failures[0].details
    assert nxt.events == [0, 1] and not runner.busy


def test_shutdown_with_jobs_queued_stops_everything(qtbot):
    runner = JobRunner()
    running = Recorder(runner.start_job("endless", endless))
    queued = [Recorder(runner.start_job(f"queued {i}", counting(3))) for i in range(3)]
    qtbot.waitUntil(lambda: running.log == ["started"], timeout=10_000)
    runner.shutdown()
    assert not runner.busy and running.job.state == CANCELLED
    assert all(q.job.state == CANCELLED and q.log == ["cancelled"] and q.events == [] for q in queued)
    late = runner.start_job("after shutdown", counting(1))
    assert late.state == CANCELLED


def test_events_arrive_in_batches_not_one_signal_each(runner, qtbot):
    rec = Recorder(runner.start_job("many", counting(20_000)))
    batches = []
    rec.job.events.connect(lambda batch: batches.append(len(batch)))
    qtbot.waitUntil(lambda: rec.job.state == DONE, timeout=10_000)
    assert rec.events == list(range(20_000))
    assert len(batches) < 200  # 20,000 events coalesced by the 30 Hz flush
