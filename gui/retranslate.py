"""Switch the language of a window that is already built, keeping everything it shows (the live View → Language).

Every text a widget shows was made by ``tr()`` in the old language. The catalogue (the ``.ts`` file: context,
English source, translation) maps each shown text back to its source and forward to the new language; a text made
from a template (``tr("Layer {layer} of {n}").format(...)``) is matched against the old template and rebuilt from
the new one with the same values. Texts that are data (token strings, file names, hook names) are in no catalogue
and stay as they are. The window is not rebuilt, so the model, the traces, the selection, running jobs and every
panel's state are untouched; what a panel writes later goes through ``tr()`` in the new language.
"""
from __future__ import annotations

import re
import string
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache, partial
from xml.etree import ElementTree

import pyqtgraph as pg
from lmscope.gui.i18n import DEFAULT_LANGUAGE, ts_path
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QDoubleSpinBox,
    QGroupBox,
    QLabel,
    QLineEdit,
    QMenu,
    QPlainTextEdit,
    QProgressBar,
    QSpinBox,
    QTabBar,
    QTableWidget,
    QTextEdit,
    QTreeWidget,
    QWidget,
)

Key = tuple[str, str]  # (context, English source)


@cache
def catalogue(language: str) -> dict[Key, str]:
    """What each (context, source) reads as in ``language``; an unfinished message reads as its source."""
    if language == DEFAULT_LANGUAGE:
        return {key: key[1] for key in catalogue("zh_CN")}
    root = ElementTree.parse(ts_path(language)).getroot()
    shown: dict[Key, str] = {}
    for context in root.iter("context"):
        name = context.findtext("name", "")
        for message in context.iter("message"):
            source = message.findtext("source", "")
            translation = message.find("translation")
            finished = translation is not None and translation.get("type") not in ("unfinished", "vanished",
                                                                                  "obsolete")
            shown[(name, source)] = (translation.text or source) if finished else source
    return shown


_FORMATTER = string.Formatter()


@dataclass(frozen=True)
class Template:
    pattern: re.Pattern[str]
    target: list[tuple[str, str | None]]  # (literal, field name or None) pieces of the new-language text


def _template(old: str, new: str) -> Template | None:
    """A regex for texts made from ``old`` and the pieces of ``new``; None for a text without fields."""
    try:
        old_parts, new_parts = list(_FORMATTER.parse(old)), list(_FORMATTER.parse(new))
    except ValueError:
        return None
    if all(field is None for _, field, _, _ in old_parts):
        return None
    regex, seen = [], set()
    for literal, field, _, _ in old_parts:
        regex.append(re.escape(literal))
        if field is not None:
            group = "f_" + re.sub(r"\W", "_", field or "anon")
            regex.append(f"(?P={group})" if group in seen else f"(?P<{group}>.+?)")
            seen.add(group)
    target = [(literal, None if field is None else "f_" + re.sub(r"\W", "_", field or "anon"))
              for literal, field, _, _ in new_parts]
    return Template(re.compile("".join(regex), re.DOTALL), target)


class Translation:
    """Maps a text shown in one language to the same text in another."""

    def __init__(self, old: dict[Key, str], new: dict[Key, str]) -> None:
        self.exact: dict[str, str] = {}
        self.templates: list[Template] = []
        for key, was in old.items():
            becomes = new.get(key, key[1])
            template = _template(was, becomes)
            if template is not None:
                self.templates.append(template)
            elif was and was != becomes:
                self.exact.setdefault(was, becomes)
        # Longer templates first: "{title} failed: {message}" before "{title} failed".
        self.templates.sort(key=lambda t: -len(t.pattern.pattern))

    def __call__(self, text: str, depth: int = 0) -> str | None:
        """``text`` in the new language, or None when it is not a text of ours (data) or reads the same."""
        if not text:
            return None
        if text in self.exact:
            return self.exact[text]
        if depth > 3:  # a value inside a value inside a value: deeper than any text the panels build
            return None
        for template in self.templates:
            match = template.pattern.fullmatch(text)
            if match is None:
                continue
            values = match.groupdict()
            pieces = []
            for literal, group in template.target:
                pieces.append(literal)
                if group is not None:
                    value = values.get(group, "")
                    pieces.append(self(value, depth + 1) or value)  # a value that is itself one of our texts
            result = "".join(pieces)
            return result if result != text else None
        return None


def translation(old_language: str, new_language: str) -> Translation:
    return Translation(catalogue(old_language), catalogue(new_language))


def _apply(get: Callable[[], str], put: Callable[[str], None], translate: Translation) -> None:
    new = translate(get())
    if new is not None:
        put(new)


def _bind(cls: type, getter: str, setter: str, widget: QWidget) -> tuple[Callable[[], str], Callable[[str], None]]:
    """Qt's own accessors, called through the class: a panel may shadow ``title`` or ``text`` with an attribute."""
    return partial(getattr(cls, getter), widget), partial(getattr(cls, setter), widget)


_WIDGET_TEXTS: tuple[tuple[type, str, str], ...] = (
    (QWidget, "windowTitle", "setWindowTitle"), (QWidget, "toolTip", "setToolTip"),
    (QWidget, "statusTip", "setStatusTip"), (QWidget, "whatsThis", "setWhatsThis"),
    (QLabel, "text", "setText"), (QAbstractButton, "text", "setText"), (QGroupBox, "title", "setTitle"),
    (QLineEdit, "placeholderText", "setPlaceholderText"), (QTextEdit, "placeholderText", "setPlaceholderText"),
    (QPlainTextEdit, "placeholderText", "setPlaceholderText"), (QMenu, "title", "setTitle"),
    (QProgressBar, "format", "setFormat"), (QComboBox, "placeholderText", "setPlaceholderText"),
    (QSpinBox, "suffix", "setSuffix"), (QSpinBox, "prefix", "setPrefix"),
    (QDoubleSpinBox, "suffix", "setSuffix"), (QDoubleSpinBox, "prefix", "setPrefix"),
    (QAbstractSpinBox, "specialValueText", "setSpecialValueText"),
)


def retranslate_widget(widget: QWidget, translate: Translation) -> None:
    for cls, getter, setter in _WIDGET_TEXTS:
        if isinstance(widget, cls):
            _apply(*_bind(cls, getter, setter, widget), translate)
    if isinstance(widget, QComboBox):
        for i in range(QComboBox.count(widget)):
            if QComboBox.itemData(widget, i) is None:
                continue  # the item's text may be what the panel reads back (currentText): only keyed items change
            _apply(partial(QComboBox.itemText, widget, i), partial(QComboBox.setItemText, widget, i), translate)
            _apply(lambda i=i: str(QComboBox.itemData(widget, i, Qt.ItemDataRole.ToolTipRole) or ""),
                   lambda text, i=i: QComboBox.setItemData(widget, i, text, Qt.ItemDataRole.ToolTipRole), translate)
    elif isinstance(widget, QTabBar):
        for i in range(QTabBar.count(widget)):
            _apply(partial(QTabBar.tabText, widget, i), partial(QTabBar.setTabText, widget, i), translate)
            _apply(partial(QTabBar.tabToolTip, widget, i), partial(QTabBar.setTabToolTip, widget, i), translate)
    elif isinstance(widget, QTableWidget):
        headers = [QTableWidget.horizontalHeaderItem(widget, i) for i in range(QTableWidget.columnCount(widget))]
        headers += [QTableWidget.verticalHeaderItem(widget, i) for i in range(QTableWidget.rowCount(widget))]
        for item in headers:
            if item is not None:
                _apply(item.text, item.setText, translate)
                _apply(item.toolTip, item.setToolTip, translate)
    elif isinstance(widget, QTreeWidget):
        header = QTreeWidget.headerItem(widget)
        for i in range(header.columnCount()):
            _apply(partial(header.text, i), partial(header.setText, i), translate)
    if isinstance(widget, pg.GraphicsView):
        retranslate_scene(widget, translate)


def retranslate_action(action: QAction, translate: Translation) -> None:
    _apply(action.text, action.setText, translate)
    _apply(action.toolTip, action.setToolTip, translate)
    _apply(action.statusTip, action.setStatusTip, translate)


def retranslate_scene(view: pg.GraphicsView, translate: Translation) -> None:
    """pyqtgraph draws its axis labels, titles and legends itself, outside the widget tree."""
    for item in view.scene().items():
        if isinstance(item, pg.AxisItem) and item.labelText:
            new = translate(item.labelText)
            if new is not None:
                item.labelText = new
                item._updateLabel()
        elif isinstance(item, pg.LabelItem) and item.text:
            new = translate(item.text)
            if new is not None:
                item.setText(new)


def retranslate(widgets: Iterable[QWidget], translate: Translation) -> None:
    """Every widget in ``widgets`` and every action they hold, in the new language."""
    actions: dict[int, QAction] = {}
    for widget in widgets:
        retranslate_widget(widget, translate)
        for action in widget.actions():
            actions[id(action)] = action
        for action in widget.findChildren(QAction):
            actions[id(action)] = action
    for action in actions.values():
        retranslate_action(action, translate)


def retranslate_application(old_language: str, new_language: str) -> None:
    if old_language != new_language:
        retranslate(QApplication.allWidgets(), translation(old_language, new_language))
