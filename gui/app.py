"""Start the application: create QApplication, build the main window with every panel, open the demo."""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from lmscope.backend.device import pick_device
from lmscope.gui.docks import PANELS, RAISED, object_name

SCREENSHOT_TIMEOUT_MS = 120_000


def configure_qt(offscreen: bool = False) -> None:
    if offscreen:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    import pyqtgraph as pg

    pg.setConfigOptions(antialias=True, imageAxisOrder="row-major")


def build_window(device, settings=None):  # noqa: ANN001, ANN201 - Qt types imported lazily
    """The main window with every panel installed and the saved layout restored."""
    import importlib

    from PySide6.QtWidgets import QApplication

    from lmscope.gui.collector import ensure_gui_collector
    from lmscope.gui.main_window import MainWindow

    ensure_gui_collector(QApplication.instance())
    window = MainWindow(device, settings)
    window.bindings = {place.name: importlib.import_module(f"lmscope.gui.panels.{place.name}").install(window)
                       for place in PANELS}
    for name in RAISED:
        window.docks[object_name(name)].raise_()
    window.finish_layout()
    return window


def run_gui(device: str | None = None, model: str | None = None, screenshot_dir: str | None = None,
            session: str | None = None, force: bool = False, language: str | None = None) -> int:
    configure_qt(offscreen=screenshot_dir is not None and "QT_QPA_PLATFORM" not in os.environ)
    from lmscope.gui.preflight import problems

    blocked = problems()
    if blocked is not None:  # Qt would abort with a misleading message, or hang without a display
        print(blocked, file=sys.stderr)
        return 1
    import torch
    from PySide6.QtWidgets import QApplication

    torch_device = pick_device(device)
    # Leave one core to the GUI thread so the window stays responsive while a job computes.
    torch.set_num_threads(max(1, (os.cpu_count() or 2) - 1))
    from PySide6.QtCore import QCoreApplication, Qt

    # The projector's 3-D view is a QOpenGLWidget in a dock: floating or re-docking it gives it a new OpenGL
    # context, which must share the shader programs pyqtgraph compiled in the first (else glUseProgram fails).
    if QApplication.instance() is None:  # (Qt reads it when the application is made)
        QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("lmscope")
    app.setOrganizationName("lmscope")
    from PySide6.QtCore import QSettings

    settings = None
    if screenshot_dir is not None:
        # Screenshots use the default layout and size, never the layout a user saved.
        ini = Path(tempfile.gettempdir()) / f"lmscope-screenshot-{os.getpid()}.ini"
        settings = QSettings(str(ini), QSettings.Format.IniFormat)
        settings.clear()
    from lmscope.gui.i18n import choose_language, install_language

    # Before the window is built, so every tr() reads the chosen language; the saved choice lives in the user's
    # settings even for screenshots (whose layout settings are a fresh file).
    if screenshot_dir is not None and language is None:
        language = "en"  # `make screenshots` writes the README's English pictures whatever the user chose
    install_language(choose_language(language, settings or QSettings("lmscope", "lmscope")))
    window = build_window(torch_device, settings)
    window.show()
    if screenshot_dir is not None:
        from lmscope.gui.screenshot import shoot_when_ready

        shoot_when_ready(app, window, Path(screenshot_dir), session, model, SCREENSHOT_TIMEOUT_MS, force=force)
    elif session:
        window.open_session(session, force=force)
    elif model:
        window.open_model_folder(model)
    else:
        window.open_demo()
    return app.exec()
