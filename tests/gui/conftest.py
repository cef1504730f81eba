from __future__ import annotations

import pytest
import shiboken6
import torch
from PySide6.QtCore import QCoreApplication, QEvent, QSettings

from lmscope.gui.app import build_window, configure_qt


def dispose(window) -> None:
    """Destroy a window's Qt objects now, while its Python objects are still referenced.

    pytest-qt keeps only weak references: left to the garbage collector, a window is collected as one cycle, and
    pyqtgraph items whose Python half was already cleared get called back while Qt tears the window down.
    """
    if not shiboken6.isValid(window):  # the test deleted it already
        return
    window.runner.shutdown()
    window.close()
    window.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


@pytest.fixture
def make_window(qtbot, tmp_path):
    """``make_window(name)``: a shown main window with its own settings file ``tmp_path/NAME.ini``; every window
    made is disposed of after the test."""
    windows = []

    def make(name: str = "lmscope", size: tuple[int, int] | None = None):
        configure_qt()
        settings = QSettings(str(tmp_path / f"{name}.ini"), QSettings.Format.IniFormat)
        w = build_window(torch.device("cpu"), settings)
        # Closing with unsaved changes asks with a modal dialog; tests that care replace this answer themselves.
        w.confirm_discard = lambda: True
        qtbot.addWidget(w)
        if size is not None:
            w.resize(*size)
        w.show()
        windows.append(w)
        return w

    yield make
    for w in windows:
        dispose(w)


@pytest.fixture
def window(make_window):
    return make_window()


@pytest.fixture
def demo_window(window, qtbot):
    with qtbot.waitSignal(window.demoReady, timeout=120_000):
        assert window.open_demo()
    # Panels start their own first work when the demo is in (the tokenizer loads jieba); wait for the worker.
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=60_000)
    return window
