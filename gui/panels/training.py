"""Binds the Training panel to the document's training history, and the model a training run makes.

Cancelling a run asks whether to keep the model trained so far (:meth:`TrainingBinding.ask_keep_model`, which tests
replace); Model → Save model folder… writes the open TinyGPT as a folder that ``--model DIR`` loads.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QFileDialog, QMessageBox

from lmscope.backend.demo import DEFAULT_PROMPT
from lmscope.backend.jobs import JobProgress, ModelLoaded
from lmscope.backend.models.checkpoint import LoadedModel
from lmscope.backend.training.loop import TrainStarted
from lmscope.backend.training.save import save_model_folder
from lmscope.gui.worker import Job
from lmscope.widgets.training import TrainingPanel, TrainingState

if TYPE_CHECKING:
    from lmscope.gui.main_window import MainWindow


@dataclass(frozen=True)
class ModelSaved:
    folder: str


def save_model_job(folder: str, loaded: LoadedModel) -> Iterator[object]:
    yield JobProgress(-1.0, f"Saving the model to {Path(folder).name}…")
    yield ModelSaved(str(save_model_folder(folder, loaded)))


class TrainingBinding(QObject):
    state_type = TrainingState

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.doc = window.document
        self.panel = TrainingPanel()
        window.add_panel("training", self.panel, self.tr("Training"))
        self.doc.trainingReset.connect(self.refresh)
        self.doc.trainingAppended.connect(self.refresh)
        self.doc.snapshotAdded.connect(self.refresh)
        window.register_session_part("training", self)
        window.trainingStarted.connect(self.watch)
        self.save_action = window.model_menu.addAction(self.tr("Save model folder…"))
        window.model_menu.insertAction(window.run_action, self.save_action)
        self.save_action.setToolTip(self.tr("Write the open TinyGPT (one trained here, say) as a model folder: "
                                            "config.json, model.safetensors, vocab.json; --model DIR opens it."))
        self.save_action.triggered.connect(self.ask_save_model)
        self.doc.modelChanged.connect(self._update_save_action)
        self._live: dict[int, TrainStarted] = {}  # by job id: the model each running training job is changing
        self.last_saved: str | None = None
        self._pending: tuple[TrainStarted, int, str] | None = None  # a cancelled run's model, until answered
        self.keep_box: QMessageBox | None = None
        self._update_save_action()
        self.refresh()

    def state(self) -> TrainingState:
        return self.panel.state()

    def apply_state(self, state: TrainingState) -> None:
        self.panel.set_state(state)

    def refresh(self) -> None:
        history = self.doc.history
        snaps = history.snapshots
        best = history.best_snapshot()
        self.panel.set_history(
            history.label, np.asarray(history.steps), np.asarray(history.loss), np.asarray(history.lr),
            np.asarray([s.step for s in snaps]), np.asarray([s.val_loss for s in snaps]),
            None if best is None or len(snaps) < 2 else (best.step, best.val_loss),
        )
        if history.steps:
            total = self.doc.training_total or history.steps[-1]
            recent = history.tokens_per_s[-20:]
            self.panel.set_status(history.steps[-1], total, history.loss[-1], float(np.median(recent)))

    # --- a training run's model ------------------------------------------------------------------------
    def watch(self, job: Job) -> None:
        """Remember the model ``job`` trains, so that Cancel can keep it."""
        job.events.connect(lambda events: self._remember(job, events))
        job.finished.connect(lambda completed: completed and self._live.pop(job.id, None))
        job.failed.connect(lambda _failure: self._live.pop(job.id, None))
        # after the runner has finished its bookkeeping, not inside it (the question may open a dialog)
        job.cancelled.connect(lambda: QTimer.singleShot(0, lambda: self._on_cancelled(job)))

    def _remember(self, job: Job, events: list[Any]) -> None:
        for event in events:
            if isinstance(event, TrainStarted):
                self._live[job.id] = event

    def _on_cancelled(self, job: Job) -> None:
        """The worker thread is over (``cancelled`` comes after it has stopped): the model is no longer changing."""
        started = self._live.pop(job.id, None)
        history = self.doc.history
        if started is None or not history.steps:
            return
        step = history.steps[-1]
        self._pending = (started, step, history.label or "model")
        answer = self.ask_keep_model(step, self.doc.training_total or step)
        if answer is not None:
            self.answer_keep(answer)

    def ask_keep_model(self, step: int, total: int) -> bool | None:
        """Whether to keep the weights of a cancelled run (step ``step`` of ``total``): a non-modal question whose
        buttons answer later through :meth:`answer_keep` (returns None). Tests replace it with one that returns the
        answer."""
        box = QMessageBox(QMessageBox.Icon.Question, self.tr("Training cancelled"),
                          self.tr("Training stopped at step {0} of {1}. Keep the model trained so far? It replaces "
                                  "the open model (save it with Model → Save model folder…).").format(step, total),
                          parent=self.window)
        keep = box.addButton(self.tr("Keep the model"), QMessageBox.ButtonRole.AcceptRole)
        box.addButton(self.tr("Discard it"), QMessageBox.ButtonRole.RejectRole)
        box.setModal(False)
        box.buttonClicked.connect(lambda button: self.answer_keep(button is keep))
        box.show()
        self.keep_box = box
        return None

    def answer_keep(self, keep: bool) -> None:
        pending, self._pending = self._pending, None
        if not keep or pending is None:
            return
        started, step, label = pending
        started.model.eval()
        loaded = LoadedModel(model=started.model, tokenizer=started.tokenizer,
                             source=f"{label} (cancelled at step {step})")
        self.doc.apply_events([ModelLoaded(loaded)])
        self.window.run_prompt(DEFAULT_PROMPT, "left")  # a model with a short context reads the prompt's end
        self.window.statusBar().showMessage(
            self.tr("Kept the model trained so far (step {0}); Model → Save model folder… keeps it on disk.")
            .format(step), 8000)

    # --- Model → Save model folder… --------------------------------------------------------------------
    def _update_save_action(self) -> None:
        loaded = self.doc.loaded
        self.save_action.setEnabled(loaded is not None and loaded.weights_in_sessions)

    def ask_save_model(self) -> None:
        folder, _ = QFileDialog.getSaveFileName(self.window, self.tr("Save the model as a folder"),
                                                str(Path.home() / "my-tinygpt"))
        if folder:
            self.save_model(folder)

    def save_model(self, folder: str) -> Job | None:
        """Write the open TinyGPT to ``folder`` in the worker (atomically: a temporary folder, then a rename)."""
        loaded = self.doc.loaded
        if loaded is None or not loaded.weights_in_sessions:
            self.window.statusBar().showMessage(self.tr("Only a TinyGPT can be saved as a model folder."), 5000)
            return None
        return self.window.start_job(f"Saving the model to {Path(folder).name}",
                                     lambda: save_model_job(folder, loaded), self._on_saved)

    def _on_saved(self, events: list[Any]) -> None:
        for event in events:
            if isinstance(event, ModelSaved):
                self.last_saved = event.folder
                self.window._remember_model(event.folder)
                self.window.statusBar().showMessage(
                    self.tr("Saved the model to {0}; `lmscope --model {0}` opens it.").format(event.folder), 10000)


def install(window: MainWindow) -> TrainingBinding:
    return TrainingBinding(window)
