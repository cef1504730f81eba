"""Keyboard actions that belong to one panel: real QActions with a shortcut scoped to the widget and its children
(``Qt.WidgetWithChildrenShortcut``), so the same key can mean different things in two panels, and Help → Keyboard
shortcuts lists them from the actions themselves (gui/help.py)."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget


def panel_keys(widget: QWidget, keys: Iterable[tuple[str, str, Callable[[], Any]]],
               scope: str = "") -> dict[str, QAction]:
    """One action per (text, key, slot) on ``widget``, live while the focus is inside it; returned by key.
    ``scope`` names the part of the panel that must have the focus when it is not the whole panel."""
    actions: dict[str, QAction] = {}
    for text, key, slot in keys:
        action = QAction(text, widget)
        action.setProperty("scope", scope)
        action.setShortcut(QKeySequence(key))
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.triggered.connect(slot)
        widget.addAction(action)
        actions[key] = action
    return actions


def scoped_actions(widget: QWidget) -> list[QAction]:
    """The panel-scoped actions with a shortcut on ``widget`` and every widget inside it, in creation order."""
    found: list[QAction] = []
    for w in [widget, *widget.findChildren(QWidget)]:
        found += [a for a in w.actions() if not a.shortcut().isEmpty()
                  and a.shortcutContext() == Qt.ShortcutContext.WidgetWithChildrenShortcut and a not in found]
    return found
