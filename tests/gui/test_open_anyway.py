"""A session over this machine's size limits is refused in one sentence with an "Open anyway" button; pressing it
opens the file with the limits lifted. ``lmscope open FILE --force`` does the same from the command line."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QMessageBox

from lmscope.gui import cli
from lmscope.gui.window_files import OPEN_ANYWAY
from lmscope.sessions.limits import Limits

GOLDEN = Path(__file__).parent.parent / "data" / "session_v1.h5"


def tiny_limits(monkeypatch):
    """Limits as if this machine had 1 KiB to spare: every real session is too large, unless forced."""
    monkeypatch.setattr(Limits, "for_this_machine",
                        classmethod(lambda cls, force=False: cls(tensor_bytes=1024, file_bytes=1024, part_bytes=1024,
                                                                 force=force, free_bytes=4096)))


def test_a_too_large_session_offers_open_anyway(window, qtbot, monkeypatch):
    tiny_limits(monkeypatch)
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=60_000)
    with qtbot.waitSignal(window.runner.jobFailed, timeout=30_000) as failed:
        window.open_session(GOLDEN)
    failure = failed.args[0]
    assert "\n" not in failure.message and "memory" in failure.message.lower()
    assert window.document.session_path != GOLDEN
    buttons = [b for b in window.error_dialog.buttons() if b.text() == OPEN_ANYWAY]
    assert len(buttons) == 1 and window.error_dialog.buttonRole(buttons[0]) == QMessageBox.ButtonRole.AcceptRole
    with qtbot.waitSignal(window.runner.jobFinished, timeout=60_000):
        buttons[0].click()
    qtbot.waitUntil(lambda: window.document.session_path == GOLDEN, timeout=30_000)
    assert window.document.traces


def test_other_failures_offer_no_remedy(window, qtbot, tmp_path):
    bad = tmp_path / "not-a-session.h5"
    bad.write_bytes(b"plain text, not HDF5")
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=60_000)
    with qtbot.waitSignal(window.runner.jobFailed, timeout=30_000):
        window.open_session(bad)
    assert [b.text() for b in window.error_dialog.buttons() if b.text() == OPEN_ANYWAY] == []


def test_open_force_reaches_the_window(monkeypatch):
    seen = {}
    import lmscope.gui.app as app

    monkeypatch.setattr(app, "run_gui", lambda **kw: seen.update(kw) or 0)
    assert cli.main(["open", str(GOLDEN), "--force"]) == 0
    assert seen["session"] == str(GOLDEN) and seen["force"] is True
    assert cli.main(["open", str(GOLDEN)]) == 0 and seen["force"] is False
