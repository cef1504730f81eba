from __future__ import annotations

import pytest
import torch
from PySide6.QtCore import QSettings

from lmscope.gui.app import build_window, configure_qt


@pytest.fixture
def window(qtbot, tmp_path):
    configure_qt()
    settings = QSettings(str(tmp_path / "lmscope.ini"), QSettings.Format.IniFormat)
    w = build_window(torch.device("cpu"), settings)
    # Closing with unsaved changes asks with a modal dialog; tests that care replace this answer themselves.
    w.confirm_discard = lambda: True
    qtbot.addWidget(w)
    w.show()
    yield w
    w.runner.shutdown()


@pytest.fixture
def demo_window(window, qtbot):
    with qtbot.waitSignal(window.demoReady, timeout=120_000):
        assert window.open_demo()
    # Panels start their own first work when the demo is in (the tokenizer loads jieba); wait for the worker.
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=60_000)
    return window
