"""Export a panel as it looks: PNG (pixels) or SVG (vectors, via QSvgGenerator)."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPoint, QRect, QSize
from PySide6.QtGui import QPainter
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QWidget

from lmscope.backend.errors import BadInputError


def export_widget(widget: QWidget, path: str | Path) -> Path:
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".svg":
        generator = QSvgGenerator()
        generator.setFileName(str(path))
        generator.setSize(QSize(widget.width(), widget.height()))
        generator.setViewBox(QRect(0, 0, widget.width(), widget.height()))
        generator.setTitle(widget.windowTitle() or "lmscope figure")
        painter = QPainter(generator)
        widget.render(painter, QPoint(0, 0))
        painter.end()
    elif suffix == ".png":
        if not widget.grab().save(str(path), "PNG"):
            raise BadInputError(f"Could not write {path}; check that the folder exists and is writable.")
    else:
        raise BadInputError(f"Export as .png or .svg, not {suffix or 'a file with no extension'}.")
    return path
