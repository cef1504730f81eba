"""Binds the attention panel's debugger, head-ablation and generation controls to the model and the document.

Stepping: Step and Step over layer advance the debugger's generator right here on the GUI thread — one stop is one
head-stage, measured at ~2 ms on the demo (≈ 20 ms for a whole layer), far below the 50 ms a click may take, and a
job would add a thread start and a 33 ms flush for nothing. Continue and Run to may cross the whole model (seconds
on a large one), so they run as jobs in the worker; the debugger's buttons are disabled until the job ends, so the
generator is never advanced from two threads at once.

The same commands are QActions in the window's Debug menu with an IDE's keys (:data:`DEBUG_KEYS`), enabled only
while the debugger can run (a TinyGPT model, a capture it can re-run, no debugger job in the worker).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence

from lmscope.backend.attention.heads import key_valid_of, kv_head_of, row_stats
from lmscope.backend.attention.jobs import (
    AblationResult, DebugPaused, GenerationEvent, ablation_job, debug_job, generate_job, require_tinygpt, trace_input,
)
from lmscope.backend.attention.debugger import STAGE_LABELS, Breakpoint, Debugger, Pause
from lmscope.backend.errors import BadInputError
from lmscope.backend.attention.masks import MaskSpec
from lmscope.backend.attention.generate import AblationSpec, GenerateSettings, GenerationStep, softmax, top_tokens
from lmscope.backend.jobs import TraceCaptured
from lmscope.widgets.attention.heatmap import display_token
from lmscope.widgets.attention.state import AttentionState

if TYPE_CHECKING:
    from lmscope.gui.worker import Job
    from lmscope.gui.panels.attention import AttentionBinding

DIRECT_COMMANDS = ("step", "layer")
# The debugger's commands in the Debug menu, with the keys an IDE uses (Visual Studio, VS Code, PyCharm on Windows).
DEBUG_KEYS = (("layer", "F10"), ("step", "F11"), ("continue", "F5"), ("restart", "Shift+F5"), ("run_to", "Ctrl+F10"))


def clip(text: str, limit: int = 240) -> str:
    """A hostile file's text can be 200,000 characters long; a notice shows its start."""
    return text if len(text) <= limit else text[:limit] + "…"


class DebugTools(QObject):
    def __init__(self, binding: "AttentionBinding") -> None:
        super().__init__(binding)
        self.binding, self.window, self.doc = binding, binding.window, binding.doc
        self.view = binding.panel.debugger
        self.ablation_view = binding.panel.ablation
        self.generation_view = binding.panel.generation
        self.breakpoints: list[Breakpoint] = []
        self.debugger: Debugger | None = None
        self.last_pause: Pause | None = None
        self.ablation = AblationSpec()
        self.steps: list[GenerationStep] = []
        self.generated: list[str] = []
        self._job: Job | None = None  # the debugger job this object started, while it is active
        self._prompt: Any = None  # the trace the current generation started from
        self.view.commandRequested.connect(self.on_command)
        self.view.breakpointRequested.connect(self.add_breakpoint)
        self.view.removeRequested.connect(self.remove_breakpoint)
        self.ablation_view.addSelectedRequested.connect(self.add_selected_head)
        self.ablation_view.removeRequested.connect(self.remove_head)
        self.ablation_view.runRequested.connect(self.run_ablation)
        self.ablation_view.modeChanged.connect(self.on_mode)
        self.generation_view.generateRequested.connect(self.generate)
        self.actions = self._build_menu()
        self.doc.modelChanged.connect(self.update_actions)
        self.generation_view.stepChanged.connect(lambda _step: self.steps and self.show_generation())

    def _build_menu(self) -> dict[str, QAction]:
        """The Debug menu: the debugger's commands as window-wide actions with their keys."""
        texts = {"layer": self.tr("Step over layer"), "step": self.tr("Step into the next head/stage"),
                 "continue": self.tr("Continue"), "restart": self.tr("Restart"),
                 "run_to": self.tr("Run to selected head")}
        menu = self.window.panel_menu(self.tr("&Debug"))
        menu.setToolTipsVisible(True)
        actions: dict[str, QAction] = {}
        for command, key in DEBUG_KEYS:
            action = menu.addAction(texts[command])
            action.setShortcut(QKeySequence(key))
            action.triggered.connect(lambda _=False, c=command: self.on_command(c))
            actions[command] = action
        return actions

    def why_not_runnable(self) -> str:
        """Why the debugger cannot run now, as one sentence ("" when it can)."""
        trace, loaded = self.binding.trace, self.doc.loaded
        if trace is None or loaded is None:
            return self.tr("Load a model and run a prompt first.")
        if self._job is not None and self._job.active:
            return self.tr("The debugger is running in the worker.")
        try:
            require_tinygpt(loaded, "The step-through debugger")
            mask = str(trace.meta.get("mask", "") or "")
            if mask and MaskSpec.parse(mask).is_content_based:
                return self.tr("The debugger re-runs position-based masks only; capture without top-k or LSH.")
        except BadInputError as exc:
            return str(exc)
        return ""

    def update_actions(self) -> None:
        reason = self.why_not_runnable()
        for action in self.actions.values():
            action.setEnabled(not reason)
            action.setToolTip(reason)

    # --- debugger ------------------------------------------------------------------------------------------
    def reset(self) -> None:
        """Forget the running pass (the input, model or mask changed); the next command starts afresh."""
        self.debugger, self.last_pause = None, None
        trace = self.binding.trace
        self.view.show_where(trace.n_layer if trace else 0, None, False, self._marked_layers())
        self.view.set_status(self.tr("Not started: press Step, Continue or Run to selected head."))
        self.update_actions()

    def ensure_debugger(self) -> Debugger | None:
        trace, loaded = self.binding.trace, self.doc.loaded
        if trace is None or loaded is None:
            self.window.statusBar().showMessage(self.tr("Load a model and run a prompt first."), 5000)
            return None
        if self.debugger is None:
            try:
                require_tinygpt(loaded, "The step-through debugger")
                inp = trace_input(trace, loaded.model.device)
            except BadInputError as exc:
                self.window.statusBar().showMessage(str(exc), 10000)
                return None
            self.debugger = Debugger(loaded.model, inp.tokens, inp.allowed, tuple(self.breakpoints),
                                     batch=self.binding.panel.batch, row=self.binding.row(trace))
        self.debugger.breakpoints = tuple(self.breakpoints)
        self.debugger.row = self.binding.row(trace)
        return self.debugger

    def on_command(self, command: str) -> None:
        debugger = self.ensure_debugger()
        if debugger is None:
            return
        if command == "restart":
            debugger.restart()
            self.reset_view("Restarted at the embedding; Step to reach layer 0, head 0.")
            return
        if command in DIRECT_COMMANDS:
            self.show_pause(debugger.do(command))
            return
        target = (self.doc.selection.layer, self.doc.selection.head) if command == "run_to" else None
        title = "Debugger: continue" if command == "continue" else "Debugger: run to head"
        job = self.window.start_job(title, lambda: debug_job(debugger, command, target), self.on_debug_events,
                                    kind="debugger")
        for signal in (job.finished, job.failed, job.cancelled):
            signal.connect(self.on_job_over)
        self._job = job
        self.view.set_busy(True)
        self.update_actions()

    def reset_view(self, message: str) -> None:
        self.last_pause = None
        trace = self.binding.trace
        self.view.show_where(trace.n_layer if trace else 0, None, False, self._marked_layers())
        self.view.set_status(message)

    def on_debug_events(self, events: list[Any]) -> None:
        for event in events:
            if isinstance(event, DebugPaused):
                self.show_pause(event.pause)

    def on_job_over(self, *_: object) -> None:
        if self._job is not None and not self._job.active:
            self._job = None
            self.view.set_busy(False)
            self.update_actions()

    def show_pause(self, pause: Pause) -> None:
        self.last_pause = pause
        trace = self.binding.trace
        n_layer = trace.n_layer if trace else 0
        stop = pause.stop
        if stop is None:
            self.view.show_where(n_layer, None, True, self._marked_layers())
            self.view.set_status(self.finished_text(pause))
            return
        stages = list(STAGE_LABELS)
        self.view.show_where(n_layer, (stop.layer, stop.head, stages.index(stop.stage)), False,
                             self._marked_layers())
        self.view.set_status(self.stop_text(pause))
        tokens = self.binding.tokens(trace) if trace is not None else []
        cols = tokens if stop.tensor.shape[1] == len(tokens) else [f"d{i}" for i in range(stop.tensor.shape[1])]
        self.view.show_stop(tokens, cols, stop.tensor, "pattern" if stop.stage == "pattern" else "signed",
                            row=pause.row, weights=stop.tensors.get("pattern"), scores=stop.tensors.get("masked"),
                            masked=~stop.allowed if stop.stage in ("masked", "pattern") else None,
                            value_name=stop.stage)
        # The inspector follows: same head and stage, and the row that explains a breakpoint.
        self.binding.panel.set_stage(stop.stage)
        position = pause.row if pause.reason == "breakpoint" else None
        self.doc.set_selection(layer=stop.layer, head=stop.head, position=position)

    def stop_text(self, pause: Pause) -> str:
        stop = pause.stop
        assert stop is not None
        where = f"Layer {stop.layer}, head {stop.head} (kv {stop.kv_head}), {STAGE_LABELS[stop.stage]}"
        lead = {"breakpoint": f"Breakpoint “{pause.breakpoint.to_text() if pause.breakpoint else ''}” fired. ",
                "condition error": f"The condition failed here: {pause.message}. ",
                "target": "Reached the selected head. "}.get(pause.reason, "")
        tokens = self.binding.tokens(self.binding.trace) if self.binding.trace is not None else []
        why = ""
        if "pattern" in stop.tensors and 0 <= pause.row < len(tokens):
            stats = row_stats(stop.tensors["pattern"][pause.row])
            why = (f" Query {pause.row} “{display_token(tokens[pause.row])}”: entropy {stats['entropy']:.3f} nats, "
                   f"{stats['max']:.3f} of its weight on key {stats['argmax']} "
                   f"“{display_token(tokens[stats['argmax']])}”.")
        bad = stop.nonfinite()
        if bad:
            why += f" {bad} NaN/Inf value(s) in this head's tensors so far."
        return f"{lead}{where} — stop {stop.index + 1} of {self.debugger.total if self.debugger else '?'}.{why}"

    def finished_text(self, pause: Pause) -> str:
        if pause.finished is None or self.doc.loaded is None:
            return "Finished."
        row = min(pause.row, pause.finished.logits.shape[0] - 1)
        ids, probs = top_tokens(softmax(pause.finished.logits[row]), 5)
        vocab = self.doc.loaded.tokenizer.tokens
        top = ", ".join(f"“{display_token(vocab[i])}” {p:.3f}" for i, p in zip(ids, probs))
        return f"Finished: the pass reached the logits. Next token after position {row}: {top}."

    def _marked_layers(self) -> set[int]:
        trace = self.binding.trace
        every = set(range(trace.n_layer)) if trace else set()
        return {bp.layer for bp in self.breakpoints if bp.layer is not None} | (
            every if any(bp.layer is None for bp in self.breakpoints) else set())

    def add_breakpoint(self, layer: int, head: int, stage: str, condition: str) -> bool:
        try:
            bp = Breakpoint(None if layer < 0 else layer, None if head < 0 else head, stage or None, condition)
        except BadInputError as exc:
            self.window.statusBar().showMessage(str(exc), 10000)
            return False
        self.breakpoints.append(bp)
        self._show_breakpoints()
        return True

    def remove_breakpoint(self, index: int) -> None:
        if 0 <= index < len(self.breakpoints):
            del self.breakpoints[index]
            self._show_breakpoints()

    def _show_breakpoints(self) -> None:
        self.view.set_breakpoints([bp.to_text() for bp in self.breakpoints])
        if self.debugger is not None:
            self.debugger.breakpoints = tuple(self.breakpoints)
        trace = self.binding.trace
        position = None
        if self.last_pause is not None and self.last_pause.stop is not None:
            s = self.last_pause.stop
            position = (s.layer, s.head, list(STAGE_LABELS).index(s.stage))
        self.view.show_where(trace.n_layer if trace else 0, position, False, self._marked_layers())

    # --- ablation ------------------------------------------------------------------------------------------
    def add_selected_head(self) -> None:
        head = (self.doc.selection.layer, self.doc.selection.head)
        if head not in self.ablation.heads:
            self.ablation = AblationSpec(self.ablation.heads + (head,), self.ablation.mode)
        self.ablation_view.set_heads(self.ablation.to_text())

    def remove_head(self, index: int) -> None:
        heads = list(self.ablation.heads)
        if 0 <= index < len(heads):
            del heads[index]
            self.ablation = AblationSpec(tuple(heads), self.ablation.mode)
            self.ablation_view.set_heads(self.ablation.to_text())

    def on_mode(self, mode: str) -> None:
        self.ablation = AblationSpec(self.ablation.heads, mode)

    def run_ablation(self) -> bool:
        trace, loaded = self.binding.trace, self.doc.loaded
        if trace is None or loaded is None or not self.ablation.heads:
            self.window.statusBar().showMessage(self.tr("Add at least one head to ablate (select it, then Add)."), 5000)
            return False
        try:
            inp = trace_input(trace, loaded.model.device)
        except BadInputError as exc:
            self.window.statusBar().showMessage(str(exc), 10000)
            return False
        position = self.binding.row(trace)
        spec = self.ablation
        label = f"ablate {' '.join(spec.to_text())} ({spec.mode})"
        self.window.start_job(self.tr("Re-running with ablation"), lambda: ablation_job(loaded, inp, spec, position,
                                                                                        label),
                              self.on_ablation, kind="ablation", supersede=True)
        return True

    def on_ablation(self, events: list[Any]) -> None:

        for event in events:
            if isinstance(event, AblationResult) and self.doc.loaded is not None:
                change = event.change
                before, after = change.rows(self.doc.loaded.tokenizer.tokens)
                moved = "the top token changed" if change.argmax_changed else "the top token stayed"
                self.ablation_view.set_result(
                    f"Ablating {', '.join(event.spec.to_text())} ({event.spec.mode}) at position {change.position}:"
                    f" KL(before‖after) = {change.kl:.4g} nats; {moved}.", before, after)
            elif isinstance(event, TraceCaptured):
                self.doc.apply_events([event])

    # --- generation ----------------------------------------------------------------------------------------
    def generate(self) -> bool:
        trace, loaded = self.binding.trace, self.doc.loaded
        if trace is None or loaded is None:
            self.window.statusBar().showMessage(self.tr("Load a model and run a prompt first."), 5000)
            return False
        try:
            settings = GenerateSettings(**self.generation_view.state().to_tree())
        except BadInputError as exc:
            self.window.statusBar().showMessage(str(exc), 8000)
            return False
        prompt = [int(i) for i, ok in zip(trace.tokens[0], key_valid_of(trace)[0]) if ok]
        spec = self.ablation if self.generation_view.with_ablation else None
        self.steps, self.generated = [], []
        self.generation_view.set_step_count(0)
        self._prompt = trace
        self.window.start_job(self.tr("Generating"), lambda: generate_job(loaded, prompt, settings, spec),
                              self.on_generation,
                              kind="generation", supersede=True)
        return True

    def on_generation(self, events: list[Any]) -> None:
        for event in events:
            if isinstance(event, GenerationEvent):
                self.steps.append(event.step)
                self.generated.append(event.token)
        if self.steps:
            self.generation_view.set_step_count(len(self.steps))
            self.show_generation()

    def show_generation(self) -> None:
        """The step the view's slider selects (the latest unless scrubbed back): the cache and the query rows up to
        it, and the distribution that step's token was drawn from."""
        trace = self._prompt
        if trace is None or not self.steps:
            return
        layer, head = self.binding.head(trace)
        kv = kv_head_of(trace.model_config, head)
        shown = self.steps[:min(max(1, self.generation_view.selected_step), len(self.steps))]
        keys = np.concatenate([s.new_keys[layer, :, kv] for s in shown])
        width = shown[-1].cache_length
        rows = np.full((len(shown), width), np.nan, dtype=np.float32)
        for i, step in enumerate(shown):
            rows[i, :step.cache_length] = step.query_attention[layer, head]
        vocab = self.doc.loaded.tokenizer.tokens if self.doc.loaded else ()
        last = shown[-1]
        top = [(vocab[i], float(p)) for i, p in zip(last.top_ids, last.top_probs)] if vocab else []
        self.generation_view.show_generation(trace.text, self.generated[:len(shown)], keys, rows, top,
                                             f"layer {layer}, head {head} (kv {kv})")

    # --- session -----------------------------------------------------------------------------------------
    def saved_lists(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The breakpoints and the ablated heads as the session stores them."""
        return tuple(bp.to_text() for bp in self.breakpoints), tuple(self.ablation.to_text())

    def apply_state(self, state: AttentionState) -> list[str]:
        """Take the saved breakpoints and ablated heads (the ablation mode and generation settings are shown by the
        panel); returns a sentence for each one that cannot be read, which is left out."""
        problems: list[str] = []
        self.breakpoints = []
        for text in state.breakpoints:
            try:
                self.breakpoints.append(Breakpoint.parse(text))
            except BadInputError as exc:
                problems.append(f"{clip(str(exc))} That breakpoint was skipped.")
        self._show_breakpoints()
        heads = []
        for text in state.ablated_heads:
            layer, _, head = text.removeprefix("L").partition("H")
            if layer.isdecimal() and head.isdecimal():
                heads.append((int(layer), int(head)))
            else:
                problems.append(f"The saved ablated head {clip(text, 40)!r} is not written as L<layer>H<head>; "
                                "it was skipped.")
        self.ablation = AblationSpec(tuple(heads), state.ablation_mode)
        self.ablation_view.set_heads(self.ablation.to_text())
        return problems
