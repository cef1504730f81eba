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
                     model: str | None = None, timeout_ms: int = 120_000) -> None:
    """``lmscope --screenshot DIR`` and ``lmscope open FILE --screenshot DIR``: once the demo (or the session) is in
    and the worker is idle, write the pictures and exit 0. A refused session exits 2 with its one sentence; so does
    an exception raised while a panel shows its part (nothing else reports it: it happens in a Qt slot)."""
    import os
    import sys
    import traceback

    from PySide6.QtCore import QTimer

    exit_code = 2 if session is not None else 1
    problems: list[str] = []
    previous_hook = sys.excepthook

    def record(kind: type[BaseException], error: BaseException, tb: object) -> None:
        frames = traceback.extract_tb(tb) if tb is not None else []  # type: ignore[arg-type]
        panels = [f for f in frames if f"gui{os.sep}panels" in f.filename] or frames[-1:]
        where = f" in {Path(panels[-1].filename).stem}" if panels else ""
        problems.append(f"a panel could not show its part of the session ({kind.__name__}{where}: {error})")

    def finish(code: int, message: str | None = None) -> None:
        sys.excepthook = previous_hook
        if message:
            print(f"lmscope: {' '.join(message.split())}", file=sys.stderr)
        window.close()
        app.exit(code)

    def shoot() -> None:
        if problems:
            finish(exit_code, problems[0])
            return
        if window.runner.busy:  # panels finishing their own first work
            QTimer.singleShot(200, shoot)
            return
        paths = write_screenshots(window, folder)
        print("\n".join(str(p) for p in paths))
        finish(exit_code if problems else 0, problems[0] if problems else None)

    def start_session() -> None:
        if not window.open_session(session):  # busy with a panel's first work: try again shortly
            QTimer.singleShot(200, start_session)
            return
        window.runner.jobFinished.connect(lambda *_: QTimer.singleShot(500, shoot))

    window.runner.jobFailed.connect(lambda failure: finish(exit_code, failure.message))
    QTimer.singleShot(timeout_ms, lambda: finish(exit_code, "Timed out before the window was ready for pictures."))
    if session is None:
        window.demoReady.connect(lambda: QTimer.singleShot(500, shoot))
        window.open_model_folder(model) if model else window.open_demo()
    else:
        sys.excepthook = record
        QTimer.singleShot(0, start_session)
