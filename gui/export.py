"""Export a panel as it looks (PNG pixels or SVG vectors, via QSvgGenerator), and the dialog that picks captured
tensors for File → Export tensors…."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, QPoint, QRect, QSize, Qt
from PySide6.QtGui import QPainter
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import (
    QAbstractItemView, QDialog, QDialogButtonBox, QLabel, QLineEdit, QListWidget, QVBoxLayout, QWidget,
)

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
            raise BadInputError(QCoreApplication.translate(
                "export", "Could not write {path}; check that the folder exists and is writable.").format(path=path))
    else:
        raise BadInputError(QCoreApplication.translate("export", "Export as .png or .svg, not {suffix}.").format(
            suffix=suffix or QCoreApplication.translate("export", "a file with no extension")))
    return path


class ExportTensorsDialog(QDialog):
    """Pick captured tensors by name (type to filter; several go to one .safetensors file)."""

    def __init__(self, parent: QWidget, names: list[str], preselect: str = "") -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Export tensors"))
        self.resize(520, 560)
        self.filter = QLineEdit()
        self.filter.setPlaceholderText(self.tr("filter, e.g. attn.hook_pattern or blocks.3."))
        self.list = QListWidget()
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.list.addItems(names)
        for item in self.list.findItems(preselect, Qt.MatchFlag.MatchExactly) if preselect else []:
            item.setSelected(True)
            self.list.scrollToItem(item)
        self.filter.textChanged.connect(self._apply_filter)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(self.tr("One tensor: .npy or .csv (at most 2-D). Several: .safetensors.")))
        layout.addWidget(self.filter)
        layout.addWidget(self.list, 1)
        layout.addWidget(buttons)

    def _apply_filter(self, text: str) -> None:
        for i in range(self.list.count()):
            item = self.list.item(i)
            item.setHidden(bool(text) and text not in item.text())

    @property
    def names(self) -> list[str]:
        return [item.text() for item in self.list.selectedItems() if not item.isHidden()]

    def suggested_file(self) -> str:
        names = self.names
        return f"{names[0]}.npy" if len(names) == 1 else "tensors.safetensors"
