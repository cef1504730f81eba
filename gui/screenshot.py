"""Write the main window and each dock as PNG files (``lmscope --screenshot DIR``, ``lmscope open F --screenshot D``).

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


def shoot_when_ready(app: QApplication, window: QMainWindow, folder: Path, session: str | None = None,
                     model: str | None = None, timeout_ms: int = 120_000, force: bool = False) -> None:
    """``lmscope --screenshot DIR`` and ``lmscope open FILE --screenshot DIR``: once the demo (or the session) is in
    and the worker is idle, write the pictures and exit 0. A refused session exits 2 with its one sentence, and so
    does a session some panel could not show (its notice line names the problem; the pictures are still written)."""
    import sys

    from PySide6.QtCore import QTimer

    exit_code = 2 if session is not None else 1

    def finish(code: int, message: str | None = None) -> None:
        if message:
            print(f"lmscope: {' '.join(message.split())}", file=sys.stderr)
        window.document.set_dirty(False)  # pictures only: closing must never ask to save (a modal would hang here)
        window.close()
        app.exit(code)

    def notices() -> list[str]:
        return [f"the {name.removeprefix('dock.')} panel says: {dock.notice.text()}"
                for name, dock in window.docks.items() if getattr(dock, "notice", None) is not None
                and dock.notice.text()]

    def shoot() -> None:
        if window.runner.busy:  # panels finishing their own first work
            QTimer.singleShot(200, shoot)
            return
        problems = notices() if session is not None else []
        paths = write_screenshots(window, folder)
        print("\n".join(str(p) for p in paths))
        if problems:
            finish(exit_code, f"{len(problems)} panel(s) could not show their part of the session; {problems[0]}")
        else:
            finish(0)

    QTimer.singleShot(timeout_ms, lambda: finish(exit_code, "Timed out before the window was ready for pictures."))
    if session is None:
        window.runner.jobFailed.connect(lambda failure: finish(exit_code, failure.message))
        if model:  # a folder or a built-in name: its job loads the model and captures the default prompt
            window.open_model_folder(model).finished.connect(lambda completed: QTimer.singleShot(500, shoot))
        else:
            window.demoReady.connect(lambda: QTimer.singleShot(500, shoot))
            window.open_demo()
        return
    job = window.open_session(session, force=force)
    job.failed.connect(lambda failure: finish(exit_code, failure.message))
    job.finished.connect(lambda completed: QTimer.singleShot(500, shoot))
