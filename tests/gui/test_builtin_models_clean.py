"""A built-in model and its default capture are not unsaved work: closing after loading one never asks to save (in
`lmscope --model demo-moe --screenshot DIR` the question was a modal dialog that hung the run until its timeout)."""
from __future__ import annotations


def test_a_built_in_model_leaves_the_document_clean(window, qtbot):
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=60_000)
    with qtbot.waitSignal(window.runner.jobFinished, timeout=120_000):
        job = window.open_model_folder("demo-moe")
    qtbot.waitUntil(lambda: job.state != "running" and not window.runner.busy, timeout=120_000)
    assert window.document.loaded is not None and window.document.traces
    assert not window.document.dirty
