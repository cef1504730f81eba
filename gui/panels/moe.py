"""Binds the MoE router panel to the document: the current capture's routing (computed in the worker), the
document's layer/token selection, and the load per expert recorded at every training snapshot."""
from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QT_TRANSLATE_NOOP, QObject

from lmscope.backend.moe.jobs import RouterAnalysis, RouterUnavailable, router_job
from lmscope.backend.moe.routing import SoftRouting, moe_layers, soft_layers
from lmscope.backend.moe.stats import SCALAR_FIELDS
from lmscope.backend.training.history import TrainingHistory
from lmscope.widgets.moe.data import LoadTimeline, RouterView, SoftView
from lmscope.widgets.moe.panel import MoePanel, MoeState

if TYPE_CHECKING:
    from lmscope.gui.main_window import MainWindow
    from lmscope.gui.worker import Job

HEADERS = {"switch_aux": QT_TRANSLATE_NOOP("Terms", "Switch aux"), "z_loss": QT_TRANSLATE_NOOP("Terms", "z-loss"),
           "entropy": QT_TRANSLATE_NOOP("Terms", "entropy (nats)"), "dropped_fraction": QT_TRANSLATE_NOOP("Terms",
                                                                                                          "dropped"),
           "max_violation": QT_TRANSLATE_NOOP("Terms", "MaxVio")}
COLUMNS = tuple((name, HEADERS[name], name == "dropped_fraction") for name in SCALAR_FIELDS)
MAX_RUNS = 6  # earlier training runs kept to compare with, oldest dropped first


def router_view(analysis: RouterAnalysis) -> RouterView:
    routing = analysis.routing
    n = routing.n_tokens
    tokens = tuple(routing.token_strings[i] if i < len(routing.token_strings) else str(i) for i in range(n))
    gates = [r.shared_gate for r in routing.layers]
    shared_gate = np.stack(gates) if all(g is not None for g in gates) else None
    return RouterView(
        label=analysis.label, tokens=tokens, layers=tuple(routing.layer_ids),
        topk_indices=np.stack([r.topk_indices for r in routing.layers]),
        topk_weights=np.stack([r.topk_weights for r in routing.layers]),
        dropped=np.stack([r.dropped for r in routing.layers]), probs=analysis.probs,
        load=np.stack([s.load for s in analysis.stats]), importance=np.stack([s.importance for s in analysis.stats]),
        columns=COLUMNS, stats=np.array([[getattr(s, name) for name in SCALAR_FIELDS] for s in analysis.stats]),
        hf_aux=analysis.hf_aux, shared_gate=shared_gate,
        n_shared=routing.n_shared if shared_gate is None else shared_gate.shape[-1],
    )


def soft_view(soft: SoftRouting, label: str) -> SoftView:
    n = soft.dispatch.shape[1]
    tokens = tuple(soft.token_strings[i] if i < len(soft.token_strings) else str(i) for i in range(n))
    return SoftView(label=label, tokens=tokens, layers=soft.layers, dispatch=soft.dispatch, combine=soft.combine,
                    n_experts=soft.n_experts, slots_per_expert=soft.slots_per_expert)


def load_timeline(history: TrainingHistory) -> LoadTimeline | None:
    snaps = [s for s in history.snapshots if s.moe_load is not None]
    if not snaps:
        return None
    shape = snaps[-1].moe_load.shape
    snaps = [s for s in snaps if s.moe_load.shape == shape]
    with_bias = all(s.moe_bias is not None for s in snaps)
    return LoadTimeline(
        label=history.label or "training", steps=np.asarray([s.step for s in snaps], float),
        layers=tuple(snaps[-1].moe_layers), load=np.stack([s.moe_load for s in snaps]),
        bias=np.stack([s.moe_bias for s in snaps]) if with_bias else None,
    )


class MoeBinding(QObject):
    state_type = MoeState

    def __init__(self, window: "MainWindow") -> None:
        super().__init__(window)
        self.window = window
        self.doc = window.document
        self.panel = MoePanel()
        window.add_panel("moe", self.panel, self.tr("MoE router"))
        self.job: Job | None = None
        self.analysis: RouterAnalysis | None = None
        self.runs: list[LoadTimeline] = []  # earlier training runs of this window, to compare with
        self._history: TrainingHistory | None = self.doc.history
        self._compare = ""
        self.doc.tracesChanged.connect(self.refresh)
        self.doc.selectionChanged.connect(self.on_document_selection)
        self.doc.trainingReset.connect(self.on_training_reset)
        self.doc.snapshotAdded.connect(self.refresh_training)
        self.panel.layerSelected.connect(self.on_layer)
        self.panel.tokenSelected.connect(self.on_token)
        window.register_session_part("moe", self)
        self.refresh()
        self.refresh_training()

    # --- session state -------------------------------------------------------------------------------------
    def state(self) -> MoeState:
        return self.panel.state()

    def apply_state(self, state: MoeState) -> None:
        self._compare = state.compare_run
        self.panel.set_state(state)
        self.refresh_training()

    # --- the current capture -------------------------------------------------------------------------------
    def refresh(self) -> None:
        entry = self.doc.current_trace
        if entry is None:
            return
        names = list(entry.trace.tensors)  # names only: a lazy session reads nothing here
        if not moe_layers(names) and not soft_layers(names):
            self.analysis = None
            self.window.panel_notice("moe", "")
            self.panel.set_view(None)
            return
        trace = entry.trace
        self.job = self.window.start_job(self.tr("MoE router statistics"), lambda: router_job(trace), self.on_events,
                                         kind="moe-router", supersede=True)

    def on_events(self, events: list[Any]) -> None:
        for event in events:
            if isinstance(event, RouterAnalysis):
                self.analysis = event
                self.window.panel_notice("moe", "")
                self.panel.set_view(router_view(event))
                self.on_document_selection()
            elif isinstance(event, SoftRouting):
                self.analysis = None
                self.window.panel_notice("moe", "")
                self.panel.set_soft(soft_view(event, self.doc.current_trace.label if self.doc.current_trace else ""))
                self.on_document_selection()
            elif isinstance(event, RouterUnavailable):
                self.analysis = None
                self.window.panel_notice("moe", event.message)
                self.panel.set_view(None, event.message)

    # --- selection ------------------------------------------------------------------------------------------
    def on_document_selection(self) -> None:
        self.panel.select_layer(self.doc.selection.layer)
        self.panel.set_position(self.doc.selection.position)

    def on_layer(self, block: int) -> None:
        self.doc.set_selection(layer=block)

    def on_token(self, position: int) -> None:
        self.doc.set_selection(position=position)

    # --- over training -------------------------------------------------------------------------------------
    def on_training_reset(self) -> None:
        previous = self._history
        if previous is not None and previous is not self.doc.history:
            timeline = load_timeline(previous)
            if timeline is not None:
                self.runs = [*self.runs[-(MAX_RUNS - 1):], self._unique(timeline)]
        self._history = self.doc.history
        self.refresh_training()

    def _unique(self, run: LoadTimeline) -> LoadTimeline:
        """The run, renamed "label (2)", "label (3)"… when an earlier run has its name (runs are picked by name)."""
        taken = {r.label for r in self.runs}
        label, n = run.label, 1
        while label in taken:
            n += 1
            label = f"{run.label} ({n})"
        return dataclasses.replace(run, label=label)

    def refresh_training(self) -> None:
        compare = self.panel.training.compared() or self._compare
        self.panel.set_training(load_timeline(self.doc.history), list(self.runs), compare)


def install(window: "MainWindow") -> MoeBinding:
    return MoeBinding(window)
