"""Write the main window and each dock as PNG files (``lmscope --screenshot DIR``)."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QApplication, QMainWindow


def write_screenshots(window: QMainWindow, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    QApplication.processEvents()
    paths = [folder / "main_window.png"]
    window.grab().save(str(paths[0]))
    for name, dock in window.docks.items():
        path = folder / f"{name.removeprefix('dock.')}.png"
        dock.grab().save(str(path))
        paths.append(path)
    return paths
