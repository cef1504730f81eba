"""The main window's files: sessions (open, save, recent, drag and drop, attach a model, unsaved changes) and
File → Export tensors…. A mixin of :class:`~lmscope.gui.main_window.MainWindow`, kept apart so each module stays
readable; it uses the window's ``document``, ``settings``, ``device`` and ``start_job``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QTimer
from PySide6.QtGui import QAction, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QFileDialog, QMessageBox

from lmscope.backend.attention.patterns import TensorsWithAttention
from lmscope.backend.jobs import attach_model_job
from lmscope.backend.tensor_export import TensorsExported, export_job
from lmscope.gui.session_io import apply_session, session_from_window
from lmscope.gui.worker import Job
from lmscope.sessions.errors import SessionTooLargeError
from lmscope.sessions.jobs import SessionOpened, SessionSaved, open_session_job, save_session_job

MAX_RECENT = 8
OPEN_ANYWAY = QT_TRANSLATE_NOOP("FilesMixin", "Open anyway")
SESSION_FILTER = QT_TRANSLATE_NOOP("FilesMixin", "lmscope sessions (*.h5 *.hdf5);;All files (*)")
STORAGE_CHOICES = (
    ("float16", QT_TRANSLATE_NOOP("FilesMixin", "Half precision (float16)"),
     QT_TRANSLATE_NOOP("FilesMixin", "Store every float tensor as float16, attention patterns included: half the "
                                     "size, about 5e-4 relative precision (docs/session-format.md).")),
    ("store_logits", QT_TRANSLATE_NOOP("FilesMixin", "Keep full logits of long captures"),
     QT_TRANSLATE_NOOP("FilesMixin", "Logits are kept while they take at most 64 MiB (333 tokens with GPT-2's "
                                     "vocabulary); past that they are left out unless this is on. Running the "
                                     "prompt again gives them back.")),
)
TENSOR_FILTER = QT_TRANSLATE_NOOP("FilesMixin", "NumPy array (*.npy);;CSV table (*.csv);;safetensors (*.safetensors)")


class FilesMixin:
    def _update_title(self, *_: object) -> None:
        path = self.document.session_path
        name = path.name if path else QCoreApplication.translate("FilesMixin", "untitled")
        self.setWindowTitle(f"{name}[*] — lmscope")
        self.setWindowModified(self.document.dirty)

    def open_session(self, path: str | Path, force: bool = False) -> Job:
        """Open in the worker. A file over this machine's size limits fails with one sentence and an "Open anyway"
        button (``force``: the limits lifted, for a file the user trusts; links and data types stay refused)."""
        job = self.start_job(QCoreApplication.translate("FilesMixin", "Opening {name}").format(name=Path(path).name),
                             lambda: open_session_job(path, self.device, force=force),
                             self._on_session_events, kind="open-session", supersede=True)
        if not force:
            job.offer(SessionTooLargeError, QCoreApplication.translate("FilesMixin", OPEN_ANYWAY),
                      lambda: self.open_session(path, force=True))
        return job

    def save_session(self, path: str | Path, include_weights: bool | None = None) -> Job:
        """Save in the worker. Weights go in by default for TinyGPT; a Hugging Face model's stay in its folder."""
        session, loaded = session_from_window(self), self.document.loaded
        if include_weights is None:
            include_weights = loaded is None or loaded.weights_in_sessions
        float16, logits = self.storage_choice("float16"), self.storage_choice("store_logits")
        return self.start_job(QCoreApplication.translate("FilesMixin", "Saving {name}").format(name=Path(path).name),
                              lambda: save_session_job(session, path, include_weights, float16, loaded=loaded,
                                                       store_logits=True if logits else None),
                              self._on_session_events)

    # --- how sessions are stored (File → Session storage) ---------------------------------------------------
    def _build_storage_menu(self, file_menu: Any) -> None:  # noqa: ANN401 - a QMenu
        """Two remembered choices applied to every save, as `lmscope capture --float16 / --store-logits` are."""
        menu = file_menu.addMenu(QCoreApplication.translate("FilesMixin", "Session storage"))
        menu.setToolTipsVisible(True)
        self.storage_actions: dict[str, QAction] = {}
        for key, text, tip in STORAGE_CHOICES:
            action = menu.addAction(QCoreApplication.translate("FilesMixin", text))
            action.setCheckable(True)
            action.setChecked(self.storage_choice(key))
            action.setToolTip(QCoreApplication.translate("FilesMixin", tip))
            action.toggled.connect(lambda on, key=key: self.settings.setValue(f"sessions/{key}", bool(on)))
            self.storage_actions[key] = action

    def storage_choice(self, key: str) -> bool:
        return bool(self.settings.value(f"sessions/{key}", False, type=bool))

    def _on_session_events(self, events: list[Any]) -> None:
        for event in events:
            if isinstance(event, SessionOpened):
                apply_session(self, event)
                self._set_session_path(event.path)
                self._on_model_changed()  # the model label says when the session's model folder is here
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
            self.recent_menu.addAction(QCoreApplication.translate("FilesMixin", "(none yet)")).setEnabled(False)

    def _on_recent(self, action: QAction) -> None:
        if action.data():
            self.open_session(str(action.data()))

    def ask_open(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, QCoreApplication.translate("FilesMixin", "Open session"), "",
                                              QCoreApplication.translate("FilesMixin", SESSION_FILTER))
        if path:
            self.open_session(path)

    def save(self) -> None:
        if self.document.session_path is None:
            self.ask_save_as()
        else:
            self.save_session(self.document.session_path)

    def ask_save_as(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, QCoreApplication.translate("FilesMixin", "Save session"),
                                              "session.h5",
                                              QCoreApplication.translate("FilesMixin", SESSION_FILTER))
        if path:
            self.save_session(path if Path(path).suffix else f"{path}.h5")

    def session_model_folder(self) -> str:
        """The folder the current capture's model was loaded from, when this computer has it."""
        entry = self.document.current_trace
        source = (entry.trace.model_config.get("source") or {}) if entry else {}
        folder = source.get("folder", "") if isinstance(source, dict) else ""
        return folder if isinstance(folder, str) and folder and Path(folder).is_dir() else ""

    def ask_attach(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, QCoreApplication.translate("FilesMixin", "Attach the session's "
                                                                                                 "model folder"),
                                                  self.session_model_folder())
        if folder:
            self.attach_model(folder)

    def attach_model(self, folder: str) -> Job:
        entry = self.document.current_trace
        expected = entry.trace.model_config if entry else None
        return self.start_job(QCoreApplication.translate("FilesMixin", "Attaching {name}")
                              .format(name=Path(folder).name),
                              lambda: attach_model_job(folder, self.device, expected), kind="model")

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
            self, QCoreApplication.translate("FilesMixin", "Unsaved changes"),
            QCoreApplication.translate("FilesMixin", "This session has unsaved changes. Save them before closing?"),
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
        )
        if answer == QMessageBox.StandardButton.Save:
            self._close_after_save = True
            self.save()
            return False  # the window closes once the save has landed (see _on_session_events)
        return answer == QMessageBox.StandardButton.Discard

    def export_tensors(self, names: list[str], path: str | Path) -> Job | None:
        """Write the current capture's tensors ``names`` to ``path`` (.npy, .csv or .safetensors) in the worker."""
        entry = self.document.current_trace
        if entry is None:
            self.statusBar().showMessage(QCoreApplication.translate("FilesMixin", "There is no capture to export from "
                                                                                  "yet."), 5000)
            return None
        tensors = TensorsWithAttention(entry.trace)  # patterns not stored are recomputed from q and k
        return self.start_job(QCoreApplication.translate("FilesMixin", "Exporting {name}")
                              .format(name=Path(path).name), lambda: export_job(tensors, names, path),
                              self._on_export_events)

    def _on_export_events(self, events: list[Any]) -> None:
        for event in events:
            if isinstance(event, TensorsExported):
                self.statusBar().showMessage(QCoreApplication.translate("FilesMixin", "Exported {value} tensor(s) to "
                                                                                      "{path}")
                                             .format(value=len(event.names), path=event.path), 8000)

    def ask_export_tensors(self) -> None:
        from lmscope.gui.export import ExportTensorsDialog

        entry = self.document.current_trace
        if entry is None:
            self.statusBar().showMessage(QCoreApplication.translate("FilesMixin", "There is no capture to export from "
                                                                                  "yet."), 5000)
            return
        sel = self.document.selection
        dialog = ExportTensorsDialog(self, list(TensorsWithAttention(entry.trace)),
                                     f"blocks.{sel.layer}.attn.hook_pattern")
        if not dialog.exec() or not dialog.names:
            return
        path, _ = QFileDialog.getSaveFileName(self, QCoreApplication.translate("FilesMixin", "Export tensors"),
                                              dialog.suggested_file(),
                                              QCoreApplication.translate("FilesMixin", TENSOR_FILTER))
        if path:
            self.export_tensors(dialog.names, path)
