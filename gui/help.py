"""Help → "What am I looking at?": one short page per panel, in the app, with the exact maths it shows.

Pages are HTML in ``lmscope/resources/help/<language>/<panel>.html`` (Qt rich text: tables, sub- and superscripts),
written from ``shared/CONCEPTS.md``, with "try this" steps on the demo. A language without a page falls back to
English. Opened by the "?" in each dock's title bar, by F1 on the focused panel, and from the Help menu.
"""
from __future__ import annotations

from importlib import resources
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QTextBrowser, QVBoxLayout, QWidget


def help_folder() -> Path:
    return Path(str(resources.files("lmscope.resources"))) / "help"


def help_html(name: str, language: str = "en") -> str | None:
    """The page of panel ``name`` in ``language`` (or English), or None when the panel has none."""
    for lang in dict.fromkeys((language, "en")):
        path = help_folder() / lang / f"{name}.html"
        if path.is_file():
            return path.read_text(encoding="utf-8")
    return None


class HelpWindow(QDialog):
    """A non-modal window showing one help page at a time."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("What am I looking at?")
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
        self.page = name
        self.setWindowTitle(f"{title} — what am I looking at?")
        self.browser.setHtml(html)
        self.show()
        self.raise_()
        self.activateWindow()
        self.setWindowState(self.windowState() & ~Qt.WindowState.WindowMinimized)
        return True
