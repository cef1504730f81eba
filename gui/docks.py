"""Every panel's dock and where it goes by default: one table, so no panel names another panel's dock.

``PANELS`` lists the panels in the order they are installed (``gui/panels/<name>.py``, each calling
``window.add_panel(name, widget, title)``); a panel's place says which dock area it starts in and which earlier
panel it shares a tab group with. ``RAISED`` names the tab shown first in each group. The user's own arrangement
is saved in QSettings and sessions and restored over this default; View → Reset layout brings the default back.
``MAIN`` is the panel the default layout gives most of the window's height.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDockWidget, QFrame, QHBoxLayout, QLabel, QScrollArea, QStyle, QToolButton, QVBoxLayout, QWidget,
)

Area = Qt.DockWidgetArea


@dataclass(frozen=True)
class PanelPlace:
    name: str  # gui/panels/<name>.py; the dock's object name is "dock.<name>"
    area: Area
    tab_with: str | None = None  # an earlier panel whose tab group this one joins


# The main group fills the window's height on the left; the other two groups are stacked on the right.
PANELS: tuple[PanelPlace, ...] = (
    PanelPlace("histograms", Area.RightDockWidgetArea),
    PanelPlace("training", Area.RightDockWidgetArea),
    PanelPlace("notes", Area.RightDockWidgetArea, tab_with="training"),
    PanelPlace("flashsim", Area.RightDockWidgetArea, tab_with="training"),
    PanelPlace("tokenizer", Area.RightDockWidgetArea, tab_with="histograms"),
    PanelPlace("attention", Area.LeftDockWidgetArea),
    PanelPlace("projector", Area.LeftDockWidgetArea, tab_with="attention"),
    PanelPlace("variants", Area.LeftDockWidgetArea, tab_with="attention"),
    PanelPlace("moe", Area.LeftDockWidgetArea, tab_with="attention"),
    PanelPlace("lens", Area.RightDockWidgetArea, tab_with="histograms"),
)
# Of the tabs sharing a corner, what a new user wants first: live training, the histograms of the capture, and the
# attention inspector (the heart of the app) in front of the panels tabbed with it.
RAISED: tuple[str, ...] = ("training", "histograms", "attention")
# The attention inspector is what a new user came for: its group has the whole height and this share of the width.
# Its chrome (title, toolbar, tabs, row plot, token strip, statistics) is ~250 px high, so on the left the heatmap
# keeps more than half the window's height even at 1366×768, where a group on top would have squeezed the ones
# below it to their title bars.
MAIN = "attention"
MAIN_SHARE = 0.62

PLACES = {place.name: place for place in PANELS}


def object_name(name: str) -> str:
    return f"dock.{name}"


class PanelDock(QDockWidget):
    """A panel in a dock, with a "?" in its title bar for the panel's help page, and a notice line above the panel
    for what it could not show (hidden when empty)."""

    helpRequested = Signal(str)  # the panel's name

    def __init__(self, name: str, panel: QWidget, title: str, parent: QWidget) -> None:
        super().__init__(title, parent)
        self.name, self.panel = name, panel
        self.setTitleBarWidget(DockTitle(self))
        self.setObjectName(object_name(name))
        self.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.notice = QLabel("")
        self.notice.setWordWrap(True)
        self.notice.setStyleSheet("QLabel { background: #5a3d12; color: #ffe8b0; padding: 4px; }")
        self.notice.setVisible(False)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.notice)
        # A panel smaller than its controls scrolls instead of holding the whole window open: without this the
        # panels' minimum sizes added up to a 1463×879 window, more than a 1366×768 laptop screen.
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(panel)
        layout.addWidget(scroll, 1)
        self.setWidget(body)

    def request_help(self) -> None:
        self.helpRequested.emit(self.name)

    def show_notice(self, text: str) -> None:
        """One sentence in the panel's own area (e.g. the part of a session it could not show)."""
        self.notice.setText(text)
        self.notice.setVisible(bool(text))


class DockTitle(QWidget):
    """The dock's title bar: its title, "?" for the panel's help, float and close."""

    def __init__(self, dock: "PanelDock") -> None:
        super().__init__(dock)
        style = self.style()
        self.label = QLabel(dock.windowTitle())
        dock.windowTitleChanged.connect(self.label.setText)
        self.help_button = self._button("?", self.tr("What am I looking at? (F1)"), dock.request_help)
        self.float_button = self._button("", self.tr("Float or dock this panel"),
                                         lambda: dock.setFloating(not dock.isFloating()))
        self.float_button.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_TitleBarNormalButton))
        self.close_button = self._button("", self.tr("Close this panel (View menu brings it back)"), dock.close)
        self.close_button.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_TitleBarCloseButton))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 1, 2, 1)
        layout.setSpacing(2)
        layout.addWidget(self.label, 1)
        for button in (self.help_button, self.float_button, self.close_button):
            layout.addWidget(button)

    def _button(self, text: str, tip: str, slot: Callable[[], object]) -> QToolButton:
        button = QToolButton(self)
        button.setText(text)
        button.setToolTip(tip)
        button.setAutoRaise(True)
        button.clicked.connect(slot)
        return button
