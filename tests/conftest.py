"""Shared test setup: headless Qt, and garbage collection on the GUI thread for every Qt test."""
from __future__ import annotations

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def _collect_garbage_on_the_gui_thread(request):
    """What the app does (gui/collector.py), for every widget and GUI test, whatever order they run in: cyclic
    garbage collected in a worker thread would destroy Qt objects there and deadlock with the GUI thread."""
    if request.node.path.parent.name in ("gui", "widgets"):
        from lmscope.gui.collector import ensure_gui_collector

        ensure_gui_collector(request.getfixturevalue("qapp"))
