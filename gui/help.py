"""Help → "What am I looking at?": one short page per panel, in the app, with the exact maths it shows.

Pages are HTML in ``lmscope/resources/help/<language>/<panel>.html`` (Qt rich text: tables, sub- and superscripts),
written from ``shared/CONCEPTS.md``, with "try this" steps on the demo. A language without a page falls back to
English. Opened by the "?" in each dock's title bar, by F1 on the focused panel, and from the Help menu.
"""
from __future__ import annotations

from collections.abc import Sequence
from importlib import resources
from pathlib import Path

import html

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QDialog, QMenu, QMenuBar, QTextBrowser, QVBoxLayout, QWidget

from lmscope.widgets.keys import scoped_actions


def help_folder() -> Path:
    return Path(str(resources.files("lmscope.resources"))) / "help"


def help_html(name: str, language: str = "en") -> str | None:
    """The page of panel ``name`` in ``language`` (or English), or None when the panel has none."""
    for lang in dict.fromkeys((language, "en")):
        path = help_folder() / lang / f"{name}.html"
        if path.is_file():
            return path.read_text(encoding="utf-8")
    return None


def shortcuts_html(menu_bar: QMenuBar, panels: Sequence[tuple[str, QWidget]] = ()) -> str:
    """Every menu action that has a keyboard shortcut, then every panel's own keys (``panels``: title and widget),
    generated from the actions themselves (so never out of date)."""
    rows: list[tuple[str, str, str]] = []

    def walk(menu: QMenu, path: str) -> None:
        for action in menu.actions():
            if action.menu() is not None:
                walk(action.menu(), f"{path} → {action.menu().title().replace('&', '')}")
            elif not action.shortcut().isEmpty():
                rows.append((action.shortcut().toString(QKeySequence.SequenceFormat.NativeText), path,
                             action.text().replace("&", "")))

    for top in menu_bar.actions():
        if top.menu() is not None:
            walk(top.menu(), top.menu().title().replace("&", ""))
    for title, panel in panels:
        for action in scoped_actions(panel):
            where = QCoreApplication.translate("shortcuts", "{0} panel").format(title)
            if action.property("scope"):
                where += f" ({action.property('scope')})"
            row = (action.shortcut().toString(QKeySequence.SequenceFormat.NativeText), where,
                   action.text().replace("&", ""))
            if row not in rows:  # two heatmaps in one panel share their keys
                rows.append(row)
    body = "".join(f"<tr><td><b>{html.escape(key)}</b></td><td>{html.escape(where)}</td>"
                   f"<td>{html.escape(text)}</td></tr>" for key, where, text in rows)
    heading, keys = QCoreApplication.translate("help", "Keyboard shortcuts"), QCoreApplication.translate("help", "keys")
    where, action = QCoreApplication.translate("help", "where"), QCoreApplication.translate("help", "action")
    return (f"<h2>{heading}</h2><table cellpadding='4'><tr><th align='left'>{keys}</th>"
            f"<th align='left'>{where}</th><th align='left'>{action}</th></tr>" + body + "</table>")


class HelpWindow(QDialog):
    """A non-modal window showing one help page at a time."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("What am I looking at?"))
        self.setModal(False)
        self.resize(640, 720)
        self.browser = QTextBrowser()
        self.browser.setOpenExternalLinks(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.browser)
        self.page = ""

    def show_page(self, name: str, title: str, language: str = "en") -> bool:
        html = help_html(name, language)
        if html is None:
            return False
        self.show_html(name, self.tr("{title} — what am I looking at?").format(title=title), html)
        return True

    def show_html(self, page: str, title: str, html: str) -> None:
        self.page = page
        self.setWindowTitle(title)
        self.browser.setHtml(html)
        self.show()
        self.raise_()
        self.activateWindow()
        self.setWindowState(self.windowState() & ~Qt.WindowState.WindowMinimized)
