"""The zh_CN interface on the real window: nothing left in English, and switching live keeps the session (issue 15)."""
from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pytest
from lmscope.gui.i18n import current_language, install_language
from lmscope.gui.session_io import session_from_window

sys.path.insert(0, str(Path(__file__).parent))
from english_walk import EXPRESSION_NAMES, english_words, visible_texts


@pytest.fixture(autouse=True)
def english_afterwards():
    """The translators are the application's: leave it in English for the other tests."""
    yield
    if current_language() != "en":
        install_language("en")


def data_words(window) -> frozenset[str]:
    """Words that are the window's data: the demo's token text and the model's and trace's names."""
    words: set[str] = set()
    for entry in window.document.traces:
        words.update(entry.trace.text.replace(".", " ").split())
        words.update(t.strip() for t in entry.trace.token_strings)
        words.update(entry.label.split())
    loaded = window.document.loaded
    if loaded is not None:
        # The model's own description (its source, the backend's one-line summary, shared with the CLI) is data.
        words.update(loaded.description.display_name.split())
        words.update(re.findall(r"[\w-]+", f"{loaded.source} {loaded.description.summary()}"))
    return frozenset(w for w in words if w)


def english_left(window) -> list[str]:
    data = data_words(window)
    # Only a line edit takes code (a breakpoint expression, a mask spec): there the expression language's names are
    # not English words.
    code = data | EXPRESSION_NAMES
    return sorted({f"{where}: {text!r}" for where, text in visible_texts(window)
                   if text and english_words(text, code if where.startswith("QLineEdit") else data)})


def test_switching_to_chinese_leaves_no_english_in_the_window(demo_window):
    window = demo_window
    assert english_left(window), "the walk must see the English interface before the switch"
    window.set_language("zh_CN")
    assert window.language_actions["zh_CN"].isChecked()
    left = english_left(window)
    assert not left, f"{len(left)} texts still in English:\n" + "\n".join(left[:80])
    menus = [a.text() for a in window.menuBar().actions()]
    assert "文件(&F)" in menus and "帮助(&H)" in menus


def test_a_window_started_in_chinese_shows_no_english(make_window, qtbot):
    """`lmscope --language zh_CN`: every text is made by tr() in Chinese from the start (no retranslation)."""
    install_language("zh_CN")
    window = make_window("zh")
    with qtbot.waitSignal(window.demoReady, timeout=120_000):
        window.open_demo()
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=60_000)
    assert window.language_actions["zh_CN"].isChecked()
    left = english_left(window)
    assert not left, f"{len(left)} texts still in English:\n" + "\n".join(left[:80])


def test_live_switch_keeps_the_trace_and_every_panels_state(demo_window, qtbot):
    window = demo_window
    window.document.set_selection(layer=1, head=2, position=5)
    trace = window.document.current_trace.trace
    before = session_from_window(window)
    window.set_language("zh_CN")
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=60_000)
    after = session_from_window(window)
    assert window.document.current_trace.trace is trace and window.document.loaded is not None
    assert after.selection == before.selection == {"layer": 1, "head": 2, "position": 5}
    assert after.panels.keys() == before.panels.keys()
    for name in before.panels:
        assert _same_tree(after.panels[name], before.panels[name]), name
    assert window.settings.value("interface/language") == "zh_CN"
    window.set_language("en")
    assert window.docks["dock.attention"].windowTitle() == "Attention"
    assert window.menuBar().actions()[0].text() == "&File"


def _same_tree(a, b) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same_tree(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_same_tree(x, y) for x, y in zip(a, b))
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.array_equal(np.asarray(a), np.asarray(b))
    return a == b


def test_help_follows_the_language(window):
    window.set_language("zh_CN")
    assert window.show_panel_help("attention")
    text = window.help_window.browser.toPlainText()
    assert "注意力" in text and "softmax" in text
    window.set_language("en")  # the open page follows
    assert "attention" in window.help_window.browser.toPlainText().lower()
    assert "注意力" not in window.help_window.browser.toPlainText()
