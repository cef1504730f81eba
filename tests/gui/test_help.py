"""Every panel explains itself: a help page per dock, from its "?" button, F1 on the focused panel and the menu."""
from __future__ import annotations

from PySide6.QtCore import Qt

from lmscope.gui.docks import PANELS
from lmscope.gui.help import help_html


def test_every_panel_has_a_page_with_its_maths():
    for place in PANELS:
        html = help_html(place.name)
        assert html is not None, place.name
        assert "<h2>" in html and "Try this" in html or place.name == "notes", place.name
    assert "&radic;d<sub>k</sub>" in help_html("attention")  # QKᵀ/√d_k rendered with a subscript
    assert help_html("attention", language="xx") == help_html("attention")  # unknown language: English
    assert help_html("no-such-panel") is None


def test_question_mark_and_f1_open_the_panels_page(window, qtbot):
    dock = window.docks["dock.histograms"]
    qtbot.mouseClick(dock.titleBarWidget().help_button, Qt.MouseButton.LeftButton)
    help_window = window.help_window
    assert help_window.isVisible() and help_window.page == "histograms"
    assert "RMSNorm" in help_window.browser.toPlainText()
    window.docks["dock.tokenizer"].raise_()
    tokenizer = window.bindings["tokenizer"].panel
    tokenizer.text_edit.setFocus()
    qtbot.waitUntil(lambda: tokenizer.text_edit.hasFocus(), timeout=5_000)
    assert window.help_for_focus()
    assert help_window.page == "tokenizer" and "jieba" in help_window.browser.toPlainText()
    titles = [a.text() for a in window.help_menu.actions()]
    assert any(t.startswith("FlashAttention") for t in titles)


def test_keyboard_shortcuts_page_is_generated_from_the_menus(window):
    menu = window.panel_menu("&Debug")
    assert window.panel_menu("&Debug") is menu  # one menu per title, before Help
    action = menu.addAction("Step into")
    action.setShortcut("F11")
    window.show_shortcuts()
    text = window.help_window.browser.toPlainText()
    assert "F11" in text and "Step into" in text and "Ctrl+O" in text and "F1" in text
    titles = [a.text() for a in window.menuBar().actions()]
    assert titles.index("&Debug") == titles.index("&Help") - 1
