"""The main window: docks registered through one function, menus, the status bar and the job runner.

Panels are installed by gui/panels/<name>.py modules, each calling :meth:`MainWindow.add_panel`, which gives the
dock a stable object name so ``saveState``/``restoreState`` survive restarts.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any, Protocol

import torch
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget, QFileDialog, QInputDialog, QLabel, QMainWindow, QMenu, QMessageBox, QProgressBar, QPushButton,
    QWidget,
)

from lmscope.backend.demo import DEFAULT_PROMPT
from lmscope.backend.device import describe_device
from lmscope.backend.training.history import TrainingHistory
from lmscope.backend.jobs import attach_model_job, capture_job, open_model_job, train_job
from lmscope.backend.models.config import TinyGPTConfig
from lmscope.backend.training.loop import TrainSettings
from lmscope.gui import about
from lmscope.gui.document import Document
from lmscope.gui.export import export_widget
from lmscope.gui.session_io import apply_session, session_from_window
from lmscope.gui.worker import JobFailure, JobRunner
from lmscope.sessions.jobs import SessionOpened, SessionSaved, open_session_job, save_session_job

LAYOUT_VERSION = 1
MAX_RECENT = 8
SESSION_FILTER = "lmscope sessions (*.h5 *.hdf5);;All files (*)"
NO_MODEL_TIP = "This session holds no model weights: Model → Attach model… to re-run prompts."


class SessionPart(Protocol):
    """What a panel's binding offers to session files: its own state as a tree of plain values.

    The state is a dict whose values are str, int, float, bool, numpy arrays (numeric or str), lists of str, or
    nested dicts of the same; the session writer stores it in the panel's own HDF5 group, no pickles.
    """

    def session_state(self) -> dict[str, Any]: ...

    def restore_session_state(self, state: dict[str, Any]) -> None: ...


class MainWindow(QMainWindow):
    demoReady = Signal()  # the first model is loaded and its default prompt captured

    def __init__(self, device: torch.device, settings: QSettings | None = None) -> None:
        super().__init__()
        self.device = device
        self.settings = settings or QSettings("lmscope", "lmscope")
        self.document = Document(self)
        self.runner = JobRunner(self)
        self.docks: dict[str, QDockWidget] = {}
        self.session_parts: dict[str, SessionPart] = {}
        self.error_dialog: QMessageBox | None = None
        self.layout_version = LAYOUT_VERSION
        self._close_after_save = False
        self.setAcceptDrops(True)
        self.setDockNestingEnabled(True)
        self.resize(1680, 1000)
        self._build_menus()
        self._build_status_bar()
        self.runner.jobStarted.connect(self._on_job_started)
        self.runner.progressChanged.connect(self._on_progress)
        self.runner.jobFinished.connect(self._on_job_finished)
        self.runner.jobFailed.connect(self._on_job_failed)
        self.document.modelChanged.connect(self._on_model_changed)
        self.document.dirtyChanged.connect(self._update_title)
        self._default_state = QByteArray()
        self._update_title()

    # --- docks ---------------------------------------------------------------------------------------------
    def add_panel(self, widget: QWidget, title: str, object_name: str,
                  area: Qt.DockWidgetArea = Qt.DockWidgetArea.RightDockWidgetArea) -> QDockWidget:
        """Register a panel as a dock with a stable object name and a View-menu toggle."""
        dock = QDockWidget(title, self)
        dock.setObjectName(object_name)
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.addDockWidget(area, dock)
        self.docks[object_name] = dock
        self.view_menu.insertAction(self._view_separator, dock.toggleViewAction())
        export = QAction(f"{title}…", self)
        export.setData(object_name)
        self.export_menu.addAction(export)
        return dock

    def register_session_part(self, name: str, part: SessionPart) -> None:
        """A panel's binding registers here to have its state saved in and restored from session files."""
        if name in self.session_parts:
            raise ValueError(f"Session part {name!r} is registered twice.")
        self.session_parts[name] = part

    def finish_layout(self) -> None:
        """Remember the default layout (for View → Reset layout), then restore the user's saved one."""
        self._default_state = self.saveState(LAYOUT_VERSION)
        geometry = self.settings.value("window/geometry")
        state = self.settings.value("window/state")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        if isinstance(state, QByteArray):
            self.restoreState(state, LAYOUT_VERSION)

    def reset_layout(self) -> None:
        for dock in self.docks.values():
            dock.setFloating(False)
            dock.show()
        self.restoreState(self._default_state, LAYOUT_VERSION)

    # --- menus and status bar ------------------------------------------------------------------------------
    def _action(self, menu: QMenu, text: str, slot: Callable[[], Any], shortcut: str | None = None) -> QAction:
        action = menu.addAction(text)
        action.triggered.connect(slot)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self._action(file_menu, "&Open session…", self.ask_open, "Ctrl+O")
        self.save_action = self._action(file_menu, "&Save session", self.save, "Ctrl+S")
        self._action(file_menu, "Save session &as…", self.ask_save_as, "Ctrl+Shift+S")
        self.recent_menu = file_menu.addMenu("Recent sessions")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        self.recent_menu.triggered.connect(self._on_recent)
        file_menu.addSeparator()
        self.export_menu = file_menu.addMenu("Export figure as PNG/SVG")
        self.export_menu.triggered.connect(self._on_export)
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", self.close, "Ctrl+Q")
        model_menu = bar.addMenu("&Model")
        self.load_action = self._action(model_menu, "Load model folder…", self.ask_model_folder, "Ctrl+L")
        self.train_action = self._action(model_menu, "Train new model…", self.ask_train, "Ctrl+T")
        self.run_action = self._action(model_menu, "Run prompt…", self.ask_prompt, "Ctrl+R")
        self.run_action.setEnabled(False)
        self.attach_action = self._action(model_menu, "Attach model…", self.ask_attach)
        self.attach_action.setToolTip("Attach the model folder a session was captured with, to re-run prompts.")
        model_menu.setToolTipsVisible(True)
        self.view_menu = bar.addMenu("&View")
        self._view_separator = self.view_menu.addSeparator()
        self._action(self.view_menu, "Reset layout", self.reset_layout)
        help_menu = bar.addMenu("&Help")
        self._action(help_menu, "About lmscope", self.show_about)

    def _build_status_bar(self) -> None:
        status = self.statusBar()
        self.device_label = QLabel(describe_device(self.device))
        self.model_label = QLabel("no model")
        self.job_label = QLabel("")
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(220)
        self.progress.setTextVisible(False)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.runner.cancel)
        for widget in (self.job_label, self.progress, self.cancel_button):
            widget.setVisible(False)
            status.addPermanentWidget(widget)
        status.addPermanentWidget(self.model_label)
        status.addPermanentWidget(self.device_label)

    # --- jobs ----------------------------------------------------------------------------------------------
    def start_job(self, title: str, factory: Callable[[], Iterator[Any]],
                  handler: Callable[[list[Any]], None] | None = None) -> bool:
        """Run ``factory()`` in the worker; its events go in batches to ``handler`` (default: the document).

        ``handler`` must be a bound method of an object on the GUI thread. Returns False when another job runs.
        """
        if not self.runner.start(title, factory, handler or self.document.apply_events):
            self.statusBar().showMessage(f"Busy with “{self.runner.title}”; cancel it or wait.", 5000)
            return False
        return True

    def open_demo(self) -> bool:
        return self.start_job("Loading the demo", lambda: open_model_job("demo", self.device))

    def open_model_folder(self, folder: str) -> bool:
        return self.start_job(f"Loading {folder}", lambda: open_model_job(folder, self.device))

    def run_prompt(self, text: str) -> bool:
        loaded = self.document.loaded
        if loaded is None:
            self.statusBar().showMessage("Load a model first (Model → Load model folder…).", 5000)
            return False
        return self.start_job("Running the prompt", lambda: capture_job(loaded, text))

    def train(self, config: TinyGPTConfig, settings: TrainSettings, label: str) -> bool:
        device = settings.device or str(self.device)
        settings = dataclasses.replace(settings, device=device)
        started = self.start_job(f"Training {label}", lambda: train_job(config, settings, label))
        if started:
            self.document.reset_history(TrainingHistory(label=label), total_steps=settings.steps)
        return started

    def ask_model_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Load a TinyGPT model folder")
        if folder:
            self.open_model_folder(folder)

    def ask_prompt(self) -> None:
        entry = self.document.current_trace
        text, ok = QInputDialog.getMultiLineText(self, "Run prompt", "Text to run through the model:",
                                                 entry.trace.text if entry else DEFAULT_PROMPT)
        if ok:
            self.run_prompt(text)

    def ask_train(self) -> None:
        from lmscope.gui.dialogs import TrainDialog

        dialog = TrainDialog(self, default_device=str(self.device))
        if dialog.exec():
            self.train(dialog.config, dialog.settings, dialog.label)

    def _on_job_started(self, title: str) -> None:
        self.job_label.setText(title)
        for widget in (self.job_label, self.progress, self.cancel_button):
            widget.setVisible(True)
        self.train_action.setEnabled(False)
        self.load_action.setEnabled(False)

    def _on_progress(self, fraction: float, message: str) -> None:
        if fraction < 0:
            self.progress.setRange(0, 0)  # busy indicator
        else:
            self.progress.setRange(0, 1000)
            self.progress.setValue(int(fraction * 1000))
        self.job_label.setText(message)

    def _job_ended(self) -> None:
        for widget in (self.job_label, self.progress, self.cancel_button):
            widget.setVisible(False)
        self.train_action.setEnabled(True)
        self.load_action.setEnabled(True)
        self._update_model_actions()

    def _on_job_finished(self, title: str, completed: bool) -> None:
        self._job_ended()
        self.statusBar().showMessage(f"{title}: done" if completed else f"{title}: cancelled", 5000)
        if completed and title == "Loading the demo":
            self.document.set_dirty(False)  # the built-in demo is not unsaved work
            self.demoReady.emit()

    def _on_job_failed(self, failure: JobFailure) -> None:
        self._job_ended()
        self.statusBar().showMessage(f"{failure.title} failed: {failure.message}")
        box = QMessageBox(QMessageBox.Icon.Warning, f"{failure.title} failed", failure.message,
                          QMessageBox.StandardButton.Close, self)
        if failure.details:
            box.setDetailedText(failure.details)
        box.setModal(False)
        box.show()
        self.error_dialog = box

    def _update_model_actions(self) -> None:
        has_model = self.document.loaded is not None
        self.run_action.setEnabled(has_model and not self.runner.busy)
        self.run_action.setToolTip("" if has_model else NO_MODEL_TIP)
        self.attach_action.setEnabled(not has_model and not self.runner.busy)

    def _on_model_changed(self) -> None:
        self._update_model_actions()
        loaded = self.document.loaded
        cfg = loaded.model.cfg if loaded else None
        self.model_label.setText(
            f"TinyGPT {cfg.n_layer}L · d{cfg.d_model} · {cfg.n_head}H {cfg.attention_kind}" if cfg else "no model")
        self.model_label.setToolTip(f"{loaded.source}\n{cfg.summary()}" if loaded else "")

    # --- sessions ------------------------------------------------------------------------------------------
    def _update_title(self, *_: object) -> None:
        path = self.document.session_path
        self.setWindowTitle(f"{path.name if path else 'untitled'}[*] — lmscope")
        self.setWindowModified(self.document.dirty)

    def open_session(self, path: str | Path) -> bool:
        return self.start_job(f"Opening {Path(path).name}", lambda: open_session_job(path, self.device),
                              self._on_session_events)

    def save_session(self, path: str | Path, include_weights: bool = True) -> bool:
        session, loaded = session_from_window(self), self.document.loaded
        return self.start_job(f"Saving {Path(path).name}",
                              lambda: save_session_job(session, path, include_weights, loaded=loaded),
                              self._on_session_events)

    def _on_session_events(self, events: list[Any]) -> None:
        for event in events:
            if isinstance(event, SessionOpened):
                apply_session(self, event)
                self._set_session_path(event.path)
            elif isinstance(event, SessionSaved):
                self._set_session_path(event.path)
                self.document.set_dirty(False)
                if self._close_after_save:
                    self._close_after_save = False
                    QTimer.singleShot(0, self.close)

    def _set_session_path(self, path: Path) -> None:
        self.document.session_path = path
        recent = [p for p in self.recent_sessions() if p != str(path)]
        self.settings.setValue("sessions/recent", [str(path), *recent][:MAX_RECENT])
        self._update_title()

    def recent_sessions(self) -> list[str]:
        value = self.settings.value("sessions/recent", [])
        return [value] if isinstance(value, str) else [str(v) for v in (value or [])]

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for path in self.recent_sessions():
            self.recent_menu.addAction(path).setData(path)
        if self.recent_menu.isEmpty():
            self.recent_menu.addAction("(none yet)").setEnabled(False)

    def _on_recent(self, action: QAction) -> None:
        if action.data():
            self.open_session(str(action.data()))

    def ask_open(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open session", "", SESSION_FILTER)
        if path:
            self.open_session(path)

    def save(self) -> None:
        if self.document.session_path is None:
            self.ask_save_as()
        else:
            self.save_session(self.document.session_path)

    def ask_save_as(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save session", "session.h5", SESSION_FILTER)
        if path:
            self.save_session(path if Path(path).suffix else f"{path}.h5")

    def ask_attach(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Attach the session's model folder")
        if folder:
            self.attach_model(folder)

    def attach_model(self, folder: str) -> bool:
        entry = self.document.current_trace
        expected = entry.trace.model_config if entry else None
        return self.start_job(f"Attaching {Path(folder).name}", lambda: attach_model_job(folder, self.device, expected))

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt API
        urls = event.mimeData().urls()
        if urls and urls[0].toLocalFile().lower().endswith((".h5", ".hdf5")):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt API
        urls = event.mimeData().urls()
        if urls:
            self.open_session(urls[0].toLocalFile())
            event.acceptProposedAction()

    def confirm_discard(self) -> bool:
        """Ask before losing unsaved changes; True to go on (after saving, if the user chose Save)."""
        answer = QMessageBox.question(
            self, "Unsaved changes", "This session has unsaved changes. Save them before closing?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
        )
        if answer == QMessageBox.StandardButton.Save:
            self._close_after_save = True
            self.save()
            return False  # the window closes once the save has landed (see _on_session_events)
        return answer == QMessageBox.StandardButton.Discard

    # --- export, about, close ------------------------------------------------------------------------------
    def _on_export(self, action: QAction) -> None:
        dock = self.docks.get(str(action.data()))
        if dock is None:
            return
        path, _ = QFileDialog.getSaveFileName(self, f"Export {dock.windowTitle()}", f"{dock.windowTitle()}.png",
                                              "PNG image (*.png);;SVG drawing (*.svg)")
        if path:
            export_widget(dock.widget(), path)
            self.statusBar().showMessage(f"Saved {path}", 5000)

    def show_about(self) -> None:
        QMessageBox.about(self, "About lmscope", about.about_html(self.device))

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt API
        if self.document.dirty and not self.confirm_discard():
            event.ignore()
            return
        self.runner.shutdown()
        if self.document.session is not None:
            self.document.session.close()
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState(LAYOUT_VERSION))
        super().closeEvent(event)
