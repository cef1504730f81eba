"""Binds the Training panel to the document's training history."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject

from lmscope.widgets.training import TrainingPanel, TrainingState

if TYPE_CHECKING:
    from lmscope.gui.main_window import MainWindow


class TrainingBinding(QObject):
    state_type = TrainingState
    def __init__(self, window: "MainWindow") -> None:
        super().__init__(window)
        self.doc = window.document
        self.panel = TrainingPanel()
        window.add_panel("training", self.panel, self.tr("Training"))
        self.doc.trainingReset.connect(self.refresh)
        self.doc.trainingAppended.connect(self.refresh)
        self.doc.snapshotAdded.connect(self.refresh)
        window.register_session_part("training", self)
        self.refresh()

    def state(self) -> TrainingState:
        return self.panel.state()

    def apply_state(self, state: TrainingState) -> None:
        self.panel.set_state(state)

    def refresh(self) -> None:
        history = self.doc.history
        snaps = history.snapshots
        self.panel.set_history(
            history.label, np.asarray(history.steps), np.asarray(history.loss), np.asarray(history.lr),
            np.asarray([s.step for s in snaps]), np.asarray([s.val_loss for s in snaps]),
        )
        if history.steps:
            total = self.doc.training_total or history.steps[-1]
            recent = history.tokens_per_s[-20:]
            self.panel.set_status(history.steps[-1], total, history.loss[-1], float(np.median(recent)))


def install(window: "MainWindow") -> TrainingBinding:
    return TrainingBinding(window)
