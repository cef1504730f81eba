"""A new user's first hour (issue 15): the debugger from the keyboard through the Debug menu, every panel key on the
Keyboard shortcuts page, and a default layout that gives the attention heatmap most of the window."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QTabBar


def press(qtbot, window, key, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    """A key pressed in the window, with the keyboard focus in the attention heatmap."""
    window.activateWindow()
    heat = window.bindings["attention"].panel.inspector.heatmap.plot
    heat.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is heat, timeout=5_000)
    qtbot.keyClick(heat, key, modifier)


def test_debug_menu_drives_the_debugger_with_ide_keys(demo_window, qtbot):
    binding = demo_window.bindings["attention"]
    tools, view = binding.tools, binding.panel.debugger
    menu = demo_window.panel_menu("&Debug")
    keys = {a.shortcut().toString(): a for a in menu.actions()}
    assert set(keys) == {"F10", "F11", "F5", "Shift+F5", "Ctrl+F10"}
    assert all(a.isEnabled() for a in keys.values()), keys["F11"].toolTip()
    press(qtbot, demo_window, Qt.Key.Key_F11)  # step into: the first head-stage
    assert view.where.position == (0, 0, 0) and "stop 1 of 80" in view.status.text()
    press(qtbot, demo_window, Qt.Key.Key_F11)
    assert view.where.position == (0, 0, 1)
    press(qtbot, demo_window, Qt.Key.Key_F10)  # step over the layer
    assert view.where.position[0] == 1
    press(qtbot, demo_window, Qt.Key.Key_F5, Qt.KeyboardModifier.ShiftModifier)  # restart
    assert view.where.position is None and "Restarted" in view.status.text()
    with qtbot.waitSignal(demo_window.runner.jobFinished, timeout=60_000):
        press(qtbot, demo_window, Qt.Key.Key_F5)  # continue: no breakpoint, so to the end, in the worker
        assert not keys["F5"].isEnabled() and not keys["F11"].isEnabled()  # one command at a time
        assert "running" in keys["F11"].toolTip()
    assert view.where.finished and "Finished" in view.status.text()
    assert all(a.isEnabled() for a in keys.values())
    demo_window.document.set_selection(layer=2, head=1)
    press(qtbot, demo_window, Qt.Key.Key_F5, Qt.KeyboardModifier.ShiftModifier)
    with qtbot.waitSignal(demo_window.runner.jobFinished, timeout=60_000):
        press(qtbot, demo_window, Qt.Key.Key_F10, Qt.KeyboardModifier.ControlModifier)  # run to the selected head
    stop = tools.last_pause.stop
    assert (stop.layer, stop.head) == (2, 1) and "Reached the selected head" in view.status.text()


def test_shortcuts_page_lists_the_menus_and_every_panels_keys(demo_window):
    demo_window.show_shortcuts()
    text = demo_window.help_window.browser.toPlainText()
    for key, action in (("F11", "Step into the next head/stage"), ("Shift+F5", "Restart"), ("F10", "Step over layer"),
                        ("PgDown", "Next layer"), ("]", "Next head"), ("Left", "Previous key"),
                        ("Down", "Next query row"), ("Space", "Play / pause"), ("Ctrl+O", "Open session")):
        assert key in text and action in text, (key, action)
    assert "Attention panel" in text and "Attention panel (heatmap, once clicked)" in text
    assert "FlashAttention panel (playback and pictures)" in text


def test_debug_keys_wait_for_a_model(window):
    actions = window.panel_menu("&Debug").actions()
    assert len(actions) == 5 and not any(a.isEnabled() for a in actions)
    assert all(a.toolTip() == "Load a model and run a prompt first." for a in actions)


@pytest.mark.parametrize("size", [(1366, 768), (1920, 1080)])
def test_reset_layout_gives_the_heatmap_half_the_height(make_window, qtbot, size):
    window = make_window(f"layout-{size[0]}", size=size)
    qtbot.waitExposed(window)
    window.docks["dock.training"].setFloating(True)  # the user moves things around
    window.resizeDocks([window.docks["dock.attention"]], [200], Qt.Orientation.Horizontal)
    window.reset_layout()
    heat = window.bindings["attention"].panel.inspector.heatmap
    qtbot.waitUntil(lambda: heat.height() >= size[1] / 2, timeout=5_000)
    assert window.size().toTuple() == size  # the panels' minimum sizes fit a laptop screen
    assert not window.docks["dock.training"].isFloating()
    # Only the three tab groups' bars are drawn: none left over from an earlier arrangement.
    qtbot.waitUntil(lambda: len([b for b in window.findChildren(QTabBar, options=Qt.FindChildOption.
                                                                FindDirectChildrenOnly) if b.isVisible()]) == 3,
                    timeout=5_000)
