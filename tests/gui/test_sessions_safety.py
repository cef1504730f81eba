"""Hostile session files in the real window: each is refused with one sentence while the current session stays,
the job runner never stays busy, and a capture runs afterwards.

The files come from the mutation fuzzer (tests/sessions/fuzz_mutations.py) applied to a session this window just
saved (every hook, every panel's real state), and hostile state for every registered panel (and one this version
does not have), which each panel's state object validates.
"""
from __future__ import annotations

import importlib.util
import random
import shutil
import sys
from dataclasses import replace
from pathlib import Path

import pytest

FUZZER = Path(__file__).parent.parent / "sessions" / "fuzz_mutations.py"
REFUSED = ("external_link", "soft_link", "hard_link", "external_storage", "virtual_dataset", "declared_shape",
           "compression_bomb", "many_names", "dtype", "foreign")
PANEL_STATE_PANELS = ("attention", "flashsim", "histograms", "lens", "moe", "notes", "projector", "tokenizer",
                      "training", "variants", "router")


@pytest.fixture(scope="module")
def fuzz():
    spec = importlib.util.spec_from_file_location("fuzz_mutations", FUZZER)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("fuzz_mutations", module)  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return sys.modules["fuzz_mutations"]


def variant(fuzz, ctx, category: str, index: int) -> Path:
    """The first mutation of ``category`` (from seed ``index``) that must be refused."""
    for attempt in range(50):
        rng = random.Random(index * 1000 + attempt)
        path = ctx.workdir / f"{category}-{index}-{attempt}.h5"
        shutil.copy(ctx.rich, path)
        if fuzz.MUTATORS[category](rng, path, ctx):
            return path
    raise AssertionError(f"no refusing variant of {category}")


def test_hostile_files_then_a_capture(demo_window, qtbot, tmp_path, fuzz):
    window = demo_window
    base = tmp_path / "base.h5"
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=60_000)
    with qtbot.waitSignal(window.runner.jobFinished, timeout=60_000):
        assert window.save_session(base)
    ctx = fuzz.make_context(tmp_path, rich=base)
    traces_before = list(window.document.traces)
    for category in REFUSED:
        for index in range(2):
            path = variant(fuzz, ctx, category, index)
            qtbot.waitUntil(lambda: not window.runner.busy, timeout=30_000)
            with qtbot.waitSignal(window.runner.jobFailed, timeout=30_000) as failed:
                assert window.open_session(path)
            message = failed.args[0].message
            assert message and "\n" not in message and failed.args[0].details == "", (category, message)
            qtbot.waitUntil(lambda: not window.runner.busy, timeout=5_000)  # never wedged
            assert window.document.traces == traces_before and window.document.loaded is not None
    outcomes: list[object] = []
    window.runner.jobFinished.connect(lambda title, completed: outcomes.append(completed))
    window.runner.jobFailed.connect(outcomes.append)  # runner signals are emitted on the GUI thread
    for index, name in enumerate(PANEL_STATE_PANELS * 2):
        path = tmp_path / f"panel-{index}.h5"
        shutil.copy(base, path)
        fuzz.hostile_panel_state(random.Random(index), path, replace(ctx, panels=(name,)))
        qtbot.waitUntil(lambda: not window.runner.busy, timeout=30_000)
        outcomes.clear()
        assert window.open_session(path)
        qtbot.waitUntil(lambda: bool(outcomes), timeout=30_000)  # opened, or refused with one sentence
        qtbot.waitUntil(lambda: not window.runner.busy, timeout=10_000)
        if not isinstance(outcomes[0], bool):  # jobFailed carries a JobFailure
            assert "\n" not in outcomes[0].message
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=30_000)
    count = len(window.document.traces)
    with qtbot.waitSignal(window.runner.jobFinished, timeout=60_000) as done:
        assert window.run_prompt("the runner still works")
    assert done.args[1] is True
    qtbot.waitUntil(lambda: len(window.document.traces) == count + 1, timeout=10_000)

