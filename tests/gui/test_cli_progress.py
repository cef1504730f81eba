"""`lmscope train` and `capture` show life when stderr is not a terminal (a job under nohup): plain lines every few
seconds, no carriage returns; stdout stays one JSON object."""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time

from lmscope.backend.jobs import JobProgress
from lmscope.gui.cli_sessions import StderrProgress


def _run(argv: list[str], tmp_path, seconds: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "LMSCOPE_PROGRESS_SECONDS": seconds}
    return subprocess.run([sys.executable, "-m", "lmscope.gui.cli", *argv], capture_output=True, text=True, env=env, check=False,
                          timeout=300, cwd=tmp_path)


def test_train_into_a_pipe_prints_plain_progress_lines(tmp_path):
    done = _run(["train", "--preset", "tiny", "--steps", "8", "-o", str(tmp_path / "t.h5"), "--json"], tmp_path,
                "0")  # every message: 8 steps can end inside one 0.2 s interval on a fast machine
    assert done.returncode == 0, done.stderr[-1500:]
    assert json.loads(done.stdout)["steps"] == 8
    assert "\r" not in done.stderr and "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) >= 2, done.stderr
    assert all(line.startswith("lmscope: ") and line.endswith(" s]") for line in lines), lines
    assert any("Training tiny: step" in line for line in lines), lines


def test_capture_into_a_pipe_prints_plain_lines_and_quick_failures_stay_one_sentence(tmp_path):
    # Interval 0: every stage as it comes, so the test does not depend on how fast this machine captures (a capture
    # can end inside a 0.2 s interval, and then rightly prints nothing).
    done = _run(["capture", "-o", str(tmp_path / "c.h5")], tmp_path, "0")
    assert done.returncode == 0, done.stderr[-1500:]
    assert "\r" not in done.stderr and done.stderr, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) >= 2 and all(line.startswith("lmscope: ") for line in lines), lines
    failed = _run(["capture", "--model", str(tmp_path / "nothing"), "-o", str(tmp_path / "d.h5")], tmp_path, "30")
    assert failed.returncode == 2 and failed.stderr.count("\n") == 1, failed.stderr


def test_plain_mode_paces_its_lines_and_ends_with_the_last_message(monkeypatch):
    err = io.StringIO()  # not a terminal
    monkeypatch.setattr(sys, "stderr", err)
    progress = StderrProgress(interval=0.2)
    assert not progress.tty
    for i in range(1, 101):
        progress.show(JobProgress(i / 100, f"step {i}/100"))
        time.sleep(0.01)
    progress.done()
    lines = err.getvalue().splitlines()
    assert 2 <= len(lines) <= 12, lines  # ~1 s of work at one line per 0.2 s, not one line per step
    assert lines[-1].startswith("lmscope: 100% step 100/100 [") and "\r" not in err.getvalue()
    quick = io.StringIO()
    monkeypatch.setattr(sys, "stderr", quick)
    progress = StderrProgress(interval=5)
    progress.show(JobProgress(0.5, "half"))
    progress.done()
    assert quick.getvalue() == ""  # over before the first interval: nothing to say
