"""Panel keys, pressed with qtbot.keyClick: arrows move the heatmap's selected cell, PageUp/PageDown and [ ] walk
layers and heads, Space and the arrows drive FlashAttention playback; each key lives only inside its own panel."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from lmscope.widgets.attention.panel import AttentionPanel
from lmscope.widgets.flashsim.panel import FlashSimPanel
from lmscope.widgets.keys import scoped_actions

from tests.widgets.test_attention_panel import CONDITIONS, METRICS, STAGES, TOKENS, causal_pattern
from tests.widgets.test_flashsim_panel import make_frame, make_setup


def focus(qtbot, widget) -> None:
    widget.activateWindow()
    widget.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is widget, timeout=5_000)


@pytest.fixture
def attention(qtbot):
    p = AttentionPanel(STAGES, METRICS, CONDITIONS, "pattern, entropy")
    qtbot.addWidget(p)
    p.resize(1200, 700)
    p.show()
    qtbot.waitExposed(p)
    p.set_shape(3, ["0", "1", "2", "3"], 1)
    pattern = causal_pattern(len(TOKENS))
    p.show_matrix(TOKENS, pattern, "pattern", weights=pattern)
    p.set_position(2)
    return p, pattern


def test_arrow_keys_move_the_selected_cell_of_the_heatmap(attention, qtbot):
    panel, pattern = attention
    heat = panel.inspector.heatmap
    focus(qtbot, heat.plot)
    with qtbot.waitSignal(panel.positionSelected) as down:
        qtbot.keyClick(heat.plot, Qt.Key.Key_Down)
    assert down.args == [3]
    panel.set_position(3)  # the binding answers with the document's selection
    with qtbot.waitSignal(panel.positionSelected) as up:
        qtbot.keyClick(heat.plot, Qt.Key.Key_Up)
    assert up.args == [2]
    panel.set_position(5)
    with qtbot.assertNotEmitted(panel.positionSelected):
        qtbot.keyClick(heat.plot, Qt.Key.Key_Down)  # the last row stays the last
    qtbot.keyClick(heat.plot, Qt.Key.Key_Left)  # the first press selects the query's own key, the diagonal
    assert heat.key == 5 and heat.hover_label.text().startswith("query 5 “。” → key 5 “。”")
    qtbot.keyClick(heat.plot, Qt.Key.Key_Left)
    assert heat.key == 4 and heat.hover_label.text().startswith("query 5 “。” → key 4 “习”")
    assert f"weight {pattern[5, 4]:.4g}" in heat.hover_label.text()
    for _ in range(9):
        qtbot.keyClick(heat.plot, Qt.Key.Key_Left)
    assert heat.key == 0 and f"weight {pattern[5, 0]:.4g}" in heat.hover_label.text()
    qtbot.keyClick(heat.plot, Qt.Key.Key_Right)
    assert heat.key == 1
    other = causal_pattern(len(TOKENS), seed=3)  # another head: the selected cell is read from it at once
    panel.show_matrix(TOKENS, other, "pattern", weights=other)
    assert f"weight {other[5, 1]:.4g}" in heat.hover_label.text()


def test_page_keys_change_layer_and_brackets_change_head(attention, qtbot):
    panel, _ = attention
    focus(qtbot, panel.inspector.heatmap.plot)
    with qtbot.waitSignal(panel.headSelected) as layer:
        qtbot.keyClick(panel.inspector.heatmap.plot, Qt.Key.Key_PageDown)
    assert layer.args == [1, 0]
    panel.set_head(2, 3)
    with qtbot.assertNotEmitted(panel.headSelected):
        qtbot.keyClick(panel.inspector.heatmap.plot, Qt.Key.Key_PageDown)  # already the last layer
        qtbot.keyClick(panel.inspector.heatmap.plot, Qt.Key.Key_BracketRight)  # and the last head
    focus(qtbot, panel.stage_box)  # anywhere in the panel, not only the heatmap
    with qtbot.waitSignal(panel.headSelected) as head:
        qtbot.keyClick(panel.stage_box, Qt.Key.Key_BracketLeft)
    assert head.args == [2, 2]
    with qtbot.waitSignal(panel.headSelected) as up:
        qtbot.keyClick(panel.stage_box, Qt.Key.Key_PageUp)
    assert up.args == [1, 3]
    panel.masks.second_prompt.setFocus()  # a text field keeps the keys it types
    qtbot.waitUntil(panel.masks.second_prompt.hasFocus, timeout=5_000)
    with qtbot.assertNotEmitted(panel.headSelected):
        qtbot.keyClick(panel.masks.second_prompt, Qt.Key.Key_BracketRight)
    assert panel.masks.second_prompt.text() == "]"
    keys = {a.shortcut().toString(): a.text() for a in scoped_actions(panel)}
    assert {"PgUp", "PgDown", "[", "]", "Up", "Down", "Left", "Right"} <= set(keys)


@pytest.fixture
def flashsim(qtbot):
    p = FlashSimPanel(max_n=1024)
    qtbot.addWidget(p)
    p.resize(900, 900)
    p.show()
    qtbot.waitExposed(p)
    setup = make_setup()
    p.set_setup(setup)
    p.set_frame(make_frame(setup, 3))
    return p


def test_space_and_arrows_drive_flashattention_playback(flashsim, qtbot):
    panel = flashsim
    focus(qtbot, panel.step_button)
    with qtbot.waitSignal(panel.playingChanged) as started:
        qtbot.keyClick(panel.step_button, Qt.Key.Key_Space)
    assert started.args == [True] and panel.playing
    with qtbot.waitSignal(panel.playingChanged) as stopped:
        qtbot.keyClick(panel.step_button, Qt.Key.Key_Space)
    assert stopped.args == [False] and not panel.playing
    with qtbot.waitSignal(panel.stepRequested) as forward:
        qtbot.keyClick(panel.step_button, Qt.Key.Key_Right)
    assert forward.args == [1]
    with qtbot.waitSignal(panel.stepRequested) as back:
        qtbot.keyClick(panel.step_button, Qt.Key.Key_Left)
    assert back.args == [-1]
    with qtbot.waitSignal(panel.seekRequested) as end:
        qtbot.keyClick(panel.step_button, Qt.Key.Key_End)
    assert end.args == [16]
    with qtbot.waitSignal(panel.seekRequested) as home:
        qtbot.keyClick(panel.step_button, Qt.Key.Key_Home)
    assert home.args == [0]


def test_playback_keys_leave_the_settings_alone(flashsim, qtbot):
    panel = flashsim
    focus(qtbot, panel.causal_box)
    with qtbot.assertNotEmitted(panel.playingChanged):
        qtbot.keyClick(panel.causal_box, Qt.Key.Key_Space)  # Space ticks the check box
    assert panel.causal_box.isChecked() and not panel.playing
    focus(qtbot, panel.d_spin)
    with qtbot.assertNotEmitted(panel.stepRequested):
        qtbot.keyClick(panel.d_spin, Qt.Key.Key_Up)  # the arrow changes the number
    assert panel.d_spin.value() == 17
    texts = {a.shortcut().toString(): a.text() for a in scoped_actions(panel)}
    assert set(texts) == {"Space", "Left", "Right", "Home", "End"}
