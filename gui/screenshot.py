"""Write the main window and each dock as PNG files (``lmscope --screenshot DIR``).

The window is captured in its default layout; each dock is then floated at a comfortable size for its own
picture (a docked panel shares the window with five others), and the layout is restored afterwards.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QApplication, QMainWindow

DOCK_SIZE = (1200, 860)


def _settle() -> None:
    for _ in range(5):
        QApplication.processEvents()


def write_screenshots(window: QMainWindow, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    _settle()
    paths = [folder / "main_window.png"]
    window.grab().save(str(paths[0]))
    state = window.saveState()
    for name, dock in window.docks.items():
        dock.setFloating(True)
        dock.resize(*DOCK_SIZE)
        dock.show()
        _settle()
        path = folder / f"{name.removeprefix('dock.')}.png"
        dock.grab().save(str(path))
        dock.setFloating(False)
        paths.append(path)
    window.restoreState(state)
    return paths
