"""The main window: docks registered through one function, menus, the status bar and the job runner.

Panels are installed by gui/panels/<name>.py modules, each calling :meth:`MainWindow.add_panel`, which gives the
dock a stable object name so ``saveState``/``restoreState`` survive restarts.
"""
from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any, Protocol

from pathlib import Path

import torch

from PySide6.QtCore import QT_TRANSLATE_NOOP, QByteArray, QCoreApplication, QEvent, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication, QFileDialog, QInputDialog, QLabel, QMainWindow, QMenu, QMessageBox, QProgressBar, QPushButton,
    QTabBar, QWidget,
)

from lmscope.backend.demo import DEFAULT_PROMPT
from lmscope.backend.device import describe_device
from lmscope.backend.training.history import TrainingHistory
from lmscope.backend.jobs import ContextExceeded, capture_job, open_model_job, train_job
from lmscope.backend.models.builtin import BUILTIN, is_builtin
from lmscope.backend.models.config import TinyGPTConfig
from lmscope.backend.training.loop import TrainSettings
from lmscope.gui import about
from lmscope.gui.document import Document
from lmscope.gui.docks import MAIN, MAIN_SHARE, PLACES, PanelDock, object_name
from lmscope.gui.export import export_widget
from lmscope.gui.i18n import LANGUAGES, SETTINGS_KEY, current_language, install_language
from lmscope.gui.retranslate import retranslate_application
from lmscope.gui.window_files import FilesMixin
from lmscope.gui.worker import Job, JobFailure, JobRunner
from lmscope.widgets.state import PanelState
from lmscope.widgets.terms import term

LAYOUT_VERSION = 1
MAX_RECENT_MODELS = 8
NO_MODEL_TIP = QT_TRANSLATE_NOOP("MainWindow", "This session holds no model weights: Model → Attach model… to re-run "
                                               "prompts.")


class SessionPart(Protocol):
    """What a panel's binding offers to session files: its state object (widgets/state.py).

    ``state().to_tree()`` is stored in the panel's own HDF5 group (no pickles); on opening, the tree is checked by
    ``state_type.from_tree`` before ``apply_state`` shows it, and a state that does not fit is reported in the
    panel's own notice line while the other panels show theirs.
    """

    state_type: type[PanelState]

    def state(self) -> PanelState: ...

    def apply_state(self, state: PanelState) -> None: ...


class MainWindow(FilesMixin, QMainWindow):
    demoReady = Signal()  # the first model is loaded and its default prompt captured
    languageChanged = Signal(str)  # View → Language switched the interface (texts made later use tr() anyway)
    trainingStarted = Signal(object)  # the Job of a training run (gui/panels/training.py keeps its model on Cancel)

    def __init__(self, device: torch.device, settings: QSettings | None = None) -> None:
        super().__init__()
        self.device = device
        self.settings = settings or QSettings("lmscope", "lmscope")
        self.document = Document(self)
        self.runner = JobRunner(self)
        self.docks: dict[str, PanelDock] = {}  # by object name, "dock.<panel name>"
        self.session_parts: dict[str, SessionPart] = {}
        self.error_dialog: QMessageBox | None = None
        self.help_window = None  # created on first use (gui/help.py)
        self.layout_version = LAYOUT_VERSION
        self._close_after_save = False
        self.setAcceptDrops(True)
        self.setDockNestingEnabled(True)
        self.resize(1680, 1000)
        self._build_menus()
        self._build_status_bar()
        self.runner.queueChanged.connect(self._show_queue)
        self.runner.progressChanged.connect(self._on_progress)
        self.runner.jobFinished.connect(self._on_job_finished)
        self.runner.jobFailed.connect(self._on_job_failed)
        self.document.modelChanged.connect(self._on_model_changed)
        self.document.dirtyChanged.connect(self._update_title)
        self._default_state = QByteArray()
        self._update_title()

    # --- docks ---------------------------------------------------------------------------------------------
    def add_panel(self, name: str, widget: QWidget, title: str) -> PanelDock:
        """Register panel ``name`` as a dock ("dock.<name>") in its default place (gui/docks.py), with a View-menu
        toggle and an export entry."""
        place = PLACES[name]
        dock = PanelDock(name, widget, title, self)
        self.addDockWidget(place.area, dock)
        if place.tab_with is not None:
            self.tabifyDockWidget(self.docks[object_name(place.tab_with)], dock)
        self.docks[dock.objectName()] = dock
        dock.helpRequested.connect(self.show_panel_help)
        help_action = self._make_help_action(name, title)
        dock.windowTitleChanged.connect(lambda text: help_action.setText(f"{text}…"))
        self.help_menu.insertAction(self._help_separator, help_action)
        self.view_menu.insertAction(self._view_separator, dock.toggleViewAction())
        export = QAction(f"{title}…", self)
        dock.windowTitleChanged.connect(lambda text: export.setText(f"{text}…"))  # follows View → Language
        export.setData(dock.objectName())
        self.export_menu.addAction(export)
        return dock

    def panel_notice(self, name: str, text: str) -> None:
        """One sentence in panel ``name``'s own notice line (empty text hides it)."""
        dock = self.docks.get(object_name(name))
        if dock is not None:
            dock.show_notice(text)

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
        else:  # first start: once shown at its real size (before show, QMainWindow ignores resizeDocks)
            QTimer.singleShot(0, self.size_main_panel)
            QTimer.singleShot(0, self.hide_stale_tab_bars)

    def reset_layout(self) -> None:
        for dock in self.docks.values():
            dock.setFloating(False)
            dock.show()
        self.restoreState(self._default_state, LAYOUT_VERSION)
        self.size_main_panel()
        QTimer.singleShot(0, self.hide_stale_tab_bars)

    def hide_stale_tab_bars(self) -> None:
        """Hide tab bars left over from an earlier arrangement of the docks. QMainWindow keeps the bar of a tab
        group as it was before a panel joined it, and after restoreState it drew those old bars, with their old
        tabs, over the panels of the new layout (seen in every screenshot after View → Reset layout). A bar in use
        lies flush under the dock in front of its group."""
        self.layout().activate()  # the geometry of the layout asked for, not of the one before
        fronts = [d.geometry() for d in self.docks.values()
                  if d.isVisible() and not d.isFloating() and d.x() >= 0 and d.y() >= 0]
        for bar in self.findChildren(QTabBar, options=Qt.FindChildOption.FindDirectChildrenOnly):
            g = bar.geometry()
            bar.setVisible(any((g.left(), g.width()) == (r.left(), r.width()) and abs(g.top() - r.bottom() - 1) <= 2
                               for r in fronts))

    def size_main_panel(self) -> None:
        """Give the main panel (gui/docks.py ``MAIN``) its share of the window's width (of its height when it sits on
        top or at the bottom)."""
        main = self.docks.get(object_name(MAIN))
        if main is None or main.isFloating():
            return
        area = self.dockWidgetArea(main)
        across = area in (Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea)
        # Both sides of the split are named: given the main dock alone, Qt spreads the change and misses the target
        # by ~100 px. The others are the front tab of each group in another area.
        others = [d for d in self.docks.values() if d.isVisible() and not d.isFloating()
                  and self.dockWidgetArea(d) != area]
        extent = (lambda w: w.width()) if across else (lambda w: w.height())
        size = int(extent(self) * MAIN_SHARE)
        rest = max(1, extent(main) + max((extent(d) for d in others), default=0) - size)
        self.resizeDocks([main, *others], [size] + [rest] * len(others),
                         Qt.Orientation.Horizontal if across else Qt.Orientation.Vertical)

    # --- menus and status bar ------------------------------------------------------------------------------
    def _action(self, menu: QMenu, text: str, slot: Callable[[], Any], shortcut: str | None = None) -> QAction:
        action = menu.addAction(text)
        action.triggered.connect(slot)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu(self.tr("&File"))
        self._action(file_menu, self.tr("&Open session…"), self.ask_open, "Ctrl+O")
        self.save_action = self._action(file_menu, self.tr("&Save session"), self.save, "Ctrl+S")
        self._action(file_menu, self.tr("Save session &as…"), self.ask_save_as, "Ctrl+Shift+S")
        self._build_storage_menu(file_menu)
        self.recent_menu = file_menu.addMenu(self.tr("Recent sessions"))
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        self.recent_menu.triggered.connect(self._on_recent)
        file_menu.addSeparator()
        self._action(file_menu, self.tr("Export &tensors…"), self.ask_export_tensors, "Ctrl+E")
        self.export_menu = file_menu.addMenu(self.tr("Export figure as PNG/SVG"))
        self.export_menu.triggered.connect(self._on_export)
        file_menu.addSeparator()
        self._action(file_menu, self.tr("&Quit"), self.close, "Ctrl+Q")
        self.model_menu = model_menu = bar.addMenu(self.tr("&Model"))
        self.load_action = self._action(model_menu, self.tr("Load model folder…"), self.ask_model_folder, "Ctrl+L")
        self.builtin_menu = model_menu.addMenu(self.tr("Built-in models"))
        self.recent_models_menu = model_menu.addMenu(self.tr("Recent models"))
        model_menu.aboutToShow.connect(self._fill_model_menus)
        self.train_action = self._action(model_menu, self.tr("Train new model…"), self.ask_train, "Ctrl+T")
        self.run_action = self._action(model_menu, self.tr("Run prompt…"), self.ask_prompt, "Ctrl+R")
        self.run_action.setEnabled(False)
        self.attach_action = self._action(model_menu, self.tr("Attach model…"), self.ask_attach)
        self.attach_action.setToolTip(self.tr("Attach the model folder a session was captured with, to re-run "
                                              "prompts."))
        model_menu.setToolTipsVisible(True)
        self.view_menu = bar.addMenu(self.tr("&View"))
        self._view_separator = self.view_menu.addSeparator()
        self._action(self.view_menu, self.tr("Reset layout"), self.reset_layout)
        self._build_language_menu(self.view_menu.addMenu(self.tr("Language")))
        self.help_menu = help_menu = bar.addMenu(self.tr("&Help"))
        self._action(help_menu, self.tr("What am I looking at? (focused panel)"), self.help_for_focus, "F1")
        self._action(help_menu, self.tr("Keyboard shortcuts"), self.show_shortcuts)
        help_menu.addSeparator()
        self._help_separator = help_menu.addSeparator()
        self._action(help_menu, self.tr("About lmscope"), self.show_about)

    def _build_language_menu(self, menu: QMenu) -> None:
        group = QActionGroup(self)
        self.language_actions: dict[str, QAction] = {}
        for code, name in LANGUAGES.items():  # each named in itself, so a reader finds their own
            action = menu.addAction(name)
            action.setCheckable(True)
            action.setChecked(code == current_language())
            action.setData(code)
            group.addAction(action)
            action.triggered.connect(lambda _=False, c=code: self.set_language(c))
            self.language_actions[code] = action

    def set_language(self, language: str) -> None:
        """View → Language: the interface in ``language`` now, keeping the model, traces, selection and every panel's
        state (the window is retranslated in place, gui/retranslate.py), and at the next start."""
        previous = install_language(language)
        # Qt posts LanguageChange to every widget; deliver it now, so panels that rebuild texts themselves
        # (changeEvent) are done before the catalogue retranslates what the others show.
        QCoreApplication.sendPostedEvents(None, QEvent.Type.LanguageChange)
        retranslate_application(previous, language)
        self.language_actions[language].setChecked(True)
        self.settings.setValue(SETTINGS_KEY, language)
        if self.help_window is not None and self.help_window.isVisible() and self.help_window.page in PLACES:
            self.show_panel_help(self.help_window.page)
        self._update_title()
        self.languageChanged.emit(language)

    def _build_status_bar(self) -> None:
        status = self.statusBar()
        self.device_label = QLabel(self.tr("CPU · {threads} of {cores} threads").format(
            threads=torch.get_num_threads(), cores=os.cpu_count()) if self.device.type == "cpu"
            else describe_device(self.device))  # the backend's words for CPU, translated; GPU names stay
        self.model_label = QLabel(self.tr("no model"))
        self.job_label = QLabel("")
        self.waiting_label = QLabel("")
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(220)
        self.progress.setTextVisible(False)
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.cancel_button.clicked.connect(self.runner.cancel)
        for widget in (self.job_label, self.waiting_label, self.progress, self.cancel_button):
            widget.setVisible(False)
            status.addPermanentWidget(widget)
        status.addPermanentWidget(self.model_label)
        status.addPermanentWidget(self.device_label)

    # --- jobs ---------------------------------------------------------------------------------------------
    def start_job(self, title: str, factory: Callable[[], Iterator[Any]],
                  handler: Callable[[list[Any]], None] | None = None, *, kind: str | None = None,
                  supersede: bool = False) -> Job:
        """Queue ``factory()`` for the worker and return its handle; its event batches go to ``handler``.

        ``handler`` defaults to the document. See :meth:`JobRunner.start_job` for ``kind`` and ``supersede``.
        """
        job = self.runner.start_job(title, factory, kind=kind, supersede=supersede)
        job.events.connect(handler or self.document.apply_events)
        return job

    def open_demo(self) -> Job:
        job = self.start_job(self.tr("Loading the demo"), lambda: open_model_job("demo", self.device), kind="model")
        job.finished.connect(self._on_demo_loaded)
        return job

    def _on_demo_loaded(self, completed: bool) -> None:
        if completed:
            self.document.set_dirty(False)  # the built-in demo is not unsaved work
            self.demoReady.emit()

    def open_model_folder(self, folder: str) -> Job:
        """A TinyGPT or Hugging Face folder, or a built-in name (``demo``, ``minilm``)."""
        job = self.start_job(self.tr("Loading {folder}")
                             .format(folder=folder), lambda: open_model_job(folder, self.device), kind="model")
        if not is_builtin(folder):
            job.finished.connect(lambda completed: completed and self._remember_model(folder))
        else:  # like the demo: a built-in model and its default capture are not unsaved work
            job.finished.connect(lambda completed: completed and self.document.set_dirty(False))
        return job

    def _remember_model(self, folder: str) -> None:
        recent = [str(Path(folder).resolve())] + [p for p in self.recent_models() if p != str(Path(folder).resolve())]
        self.settings.setValue("models/recent", recent[:MAX_RECENT_MODELS])

    def recent_models(self) -> list[str]:
        value = self.settings.value("models/recent", [])
        return [value] if isinstance(value, str) else [str(v) for v in (value or [])]

    def _fill_model_menus(self) -> None:
        self.builtin_menu.clear()
        for name, description in BUILTIN.items():
            action = self.builtin_menu.addAction(f"{name} — {description}")
            action.triggered.connect(lambda _=False, n=name: self.open_model_folder(n))
        self.recent_models_menu.clear()
        for folder in self.recent_models():
            action = self.recent_models_menu.addAction(folder)
            action.triggered.connect(lambda _=False, f=folder: self.open_model_folder(f))
        if self.recent_models_menu.isEmpty():
            self.recent_models_menu.addAction(self.tr("(none yet)")).setEnabled(False)

    def run_prompt(self, text: str, truncate: str | None = None) -> Job | None:
        """Capture ``text``; a prompt longer than the model's context asks which end to cut (``truncate``)."""
        loaded = self.document.loaded
        if loaded is None:
            self.statusBar().showMessage(self.tr("Load a model first (Model → Load model folder…)."), 5000)
            return None
        return self.start_job(self.tr("Running the prompt"), lambda: capture_job(loaded, text, truncate=truncate),
                              self._on_prompt_events, kind="capture")

    def _on_prompt_events(self, events: list[Any]) -> None:
        for event in events:
            if isinstance(event, ContextExceeded):
                side = self.ask_truncation(event)
                if side is None:  # after the job's own "done", which would replace it
                    QTimer.singleShot(0, partial(self.statusBar().showMessage, f"{event.sentence} Nothing was run.",
                                                 8000))
                else:
                    self.run_prompt(event.text, side)
            else:
                self.document.apply_events([event])

    def ask_truncation(self, event: ContextExceeded) -> str | None:
        """"left" (keep the end of the text), "right" (keep its start) or None (cancel). Tests replace this."""
        box = QMessageBox(QMessageBox.Icon.Question, self.tr("Prompt longer than the model's context"),
                          self.tr("{sentence} Which part should it read?").format(sentence=event.sentence), parent=self)
        left = box.addButton(self.tr("The last {limit:,} tokens (cut the start)")
                             .format(limit=event.limit), QMessageBox.ButtonRole.AcceptRole)
        right = box.addButton(self.tr("The first {limit:,} tokens (cut the end)")
                              .format(limit=event.limit), QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        clicked = box.clickedButton()
        return "left" if clicked is left else "right" if clicked is right else None

    def train(self, config: TinyGPTConfig, settings: TrainSettings, label: str) -> Job:
        device = settings.device or str(self.device)
        settings = dataclasses.replace(settings, device=device)
        job = self.start_job(self.tr("Training {label}")
                             .format(label=label), lambda: train_job(config, settings, label))
        job.started.connect(lambda: self.document.reset_history(TrainingHistory(label=label),
                                                                total_steps=settings.steps))
        self.trainingStarted.emit(job)
        return job

    def ask_model_folder(self) -> None:
        start = self.recent_models()[0] if self.recent_models() else ""
        folder = QFileDialog.getExistingDirectory(self, self.tr("Load a model folder (TinyGPT or Hugging Face)"), start)
        if folder:
            self.open_model_folder(folder)

    def ask_prompt(self) -> None:
        entry = self.document.current_trace
        text, ok = QInputDialog.getMultiLineText(self, self.tr("Run prompt"), self.tr("Text to run through the model:"),
                                                 entry.trace.text if entry else DEFAULT_PROMPT)
        if ok:
            self.run_prompt(text)

    def ask_train(self) -> None:
        from lmscope.gui.dialogs import TrainDialog

        dialog = TrainDialog(self, default_device=str(self.device))
        if dialog.exec():
            self.train(dialog.config, dialog.settings, dialog.label)

    def _show_queue(self) -> None:
        """The status bar: the running job, how many wait, its progress and Cancel."""
        running, waiting = self.runner.running, len(self.runner.waiting)
        if running is not None and not self.job_label.isVisible():
            self.job_label.setText(running.title)
        for widget in (self.job_label, self.progress, self.cancel_button):
            widget.setVisible(running is not None)
        self.waiting_label.setText(self.tr("+{waiting} waiting").format(waiting=waiting) if waiting else "")
        self.waiting_label.setToolTip("\n".join(job.title for job in self.runner.waiting))
        self.waiting_label.setVisible(bool(waiting))
        self._update_model_actions()

    def _on_progress(self, fraction: float, message: str) -> None:
        if fraction < 0:
            self.progress.setRange(0, 0)  # busy indicator
        else:
            self.progress.setRange(0, 1000)
            self.progress.setValue(int(fraction * 1000))
        self.job_label.setText(message)

    def _on_job_finished(self, job: Job, completed: bool) -> None:
        done = self.tr("{title}: done") if completed else self.tr("{title}: cancelled")
        self.statusBar().showMessage(done.format(title=job.title), 5000)

    def _on_job_failed(self, failure: JobFailure) -> None:
        self.statusBar().showMessage(self.tr("{title} failed: {message}")
                                     .format(title=failure.title, message=failure.message))
        box = QMessageBox(QMessageBox.Icon.Warning, self.tr("{title} failed")
                                                    .format(title=failure.title), failure.message,
                          QMessageBox.StandardButton.Close, self)
        if failure.details:
            box.setDetailedText(failure.details)
        remedy = failure.remedy()
        if remedy is not None:
            label, action = remedy
            box.addButton(label, QMessageBox.ButtonRole.AcceptRole).clicked.connect(action)
        box.setModal(False)
        box.show()
        self.error_dialog = box

    def _update_model_actions(self) -> None:
        has_model = self.document.loaded is not None
        self.run_action.setEnabled(has_model)
        self.run_action.setToolTip("" if has_model else self.tr(NO_MODEL_TIP))
        self.attach_action.setEnabled(not has_model)

    def _on_model_changed(self) -> None:
        self._update_model_actions()
        loaded = self.document.loaded
        description = loaded.description if loaded else None
        if description is not None:
            self.model_label.setText(f"{description.display_name} · {description.dtype}")
            self.model_label.setToolTip(self.tr("{source}\n{value}\nruns in {dtype}")
                                        .format(source=term(str(loaded.source)), value=description.summary(),
                                                dtype=description.dtype))
            return
        folder = self.session_model_folder()
        self.model_label.setText(self.tr("no model · its folder is here: Model → Attach model…") if folder
                                 else self.tr("no model"))
        self.model_label.setToolTip(self.tr("The session was captured with {folder}; attaching it re-enables "
                                            "re-running.")
                                    .format(folder=folder)
                                    if folder else "")

    # --- export, about, close ------------------------------------------------------------------------------
    def _on_export(self, action: QAction) -> None:
        dock = self.docks.get(str(action.data()))
        if dock is None:
            return
        path, _ = QFileDialog.getSaveFileName(self, self.tr("Export {value}")
                                                    .format(value=dock.windowTitle()), f"{dock.windowTitle()}.png",
                                              self.tr("PNG image (*.png);;SVG drawing (*.svg)"))
        if path:
            export_widget(dock.panel, path)
            self.statusBar().showMessage(self.tr("Saved {path}").format(path=path), 5000)

    def _make_help_action(self, name: str, title: str) -> QAction:
        action = QAction(f"{title}…", self)
        action.triggered.connect(lambda: self.show_panel_help(name))
        return action

    def panel_menu(self, title: str) -> QMenu:
        """A menu a panel adds its keyboard actions to (e.g. "&Debug"), before Help; made on first use."""
        for action in self.menuBar().actions():
            if action.menu() is not None and action.text() == title:
                return action.menu()
        menu = QMenu(title, self)
        self.menuBar().insertMenu(self.help_menu.menuAction(), menu)
        return menu

    def show_shortcuts(self) -> None:
        from lmscope.gui.help import HelpWindow, shortcuts_html

        if self.help_window is None:
            self.help_window = HelpWindow(self)
        panels = [(dock.windowTitle(), dock.panel) for dock in self.docks.values()]
        self.help_window.show_html("shortcuts", self.tr("Keyboard shortcuts"), shortcuts_html(self.menuBar(), panels))

    def show_panel_help(self, name: str) -> bool:
        """The panel's help page in the (one) help window."""
        from lmscope.gui.help import HelpWindow

        if self.help_window is None:
            self.help_window = HelpWindow(self)
        dock = self.docks.get(object_name(name))
        return self.help_window.show_page(name, dock.windowTitle() if dock else name, current_language())

    def help_for_focus(self) -> bool:
        """F1: the help of the panel that holds the keyboard focus (or of the attention panel)."""
        focus = QApplication.focusWidget()
        owner = next((d for d in self.docks.values() if focus is not None and d.isAncestorOf(focus)), None)
        return self.show_panel_help(owner.name if owner else "attention")

    def show_about(self) -> None:
        QMessageBox.about(self, self.tr("About lmscope"), about.about_html(self.device))

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
