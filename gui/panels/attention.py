"""Binds the attention & mask inspector to the document: the current trace's heads and stages, the selection
(layer, head, query position) shared with every panel, masked re-captures, and the session state.

The debugger, ablation and generation controls are bound in gui/panels/attention_debug.py.

Every pattern and score comes through backend/attention/patterns.py (stored by the capture, or recomputed from q and
k). Short prompts are drawn at once; past :data:`SYNC_POSITIONS` tokens a head is computed in the worker (a head at
4,096 tokens is 16.8 M cells) and the model view fills head by head in the worker, pausing while the user waits for
the head they clicked.
"""
from __future__ import annotations

import math
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QCoreApplication, QObject

from lmscope.backend.attention.heads import (
    SUMMARY_METRICS, HeadShown, HeadThumbnail, allowed_of, batch_token_strings, head_job, head_shown, hook,
    kv_groups, kv_head_of, model_view_job, row_stats, thumbnail_edges,
)
from lmscope.backend.attention.patterns import has_attention, holds, is_cached, sliding_window
from lmscope.backend.attention.jobs import MaskEffect, masked_capture_job
from lmscope.backend.capture import Trace
from lmscope.backend.attention.debugger import CONDITIONS, STAGE_LABELS, VARIABLES
from lmscope.backend.errors import BadInputError
from lmscope.backend.jobs import TraceCaptured
from lmscope.backend.attention.masks import MaskSpec
from lmscope.gui.panels.attention_debug import DebugTools, clip
from lmscope.widgets.attention.heatmap import display_token
from lmscope.widgets.attention.panel import AttentionPanel
from lmscope.widgets.attention.state import AttentionState, MaskState
from lmscope.widgets.state import StateError
from lmscope.widgets.terms import term

if TYPE_CHECKING:
    from lmscope.gui.main_window import MainWindow
    from lmscope.gui.worker import Job

THUMBNAIL = 48
# Up to this many tokens a head is drawn on the GUI thread (a 1,024² pattern is computed and drawn in ~20 ms); a
# longer one is computed in the worker unless it is cached.
SYNC_POSITIONS = 1024
# A model view of at most this many pattern cells (layers × heads × T²) is drawn at once (the demo's 16 heads × 128²
# are 0.26 M, ~10 ms); a bigger one fills head by head from the worker.
MODEL_VIEW_SYNC_CELLS = 4_000_000
# The captured tensors each stage is drawn from (backend.attention.heads.stage_matrix).
STAGE_TENSORS = {"scores": ("q", "k"), "scaled": ("q", "k"), "masked": ("attn_scores",), "pattern": ("pattern",),
                 "z": ("z",)}


class AttentionBinding(QObject):
    def __init__(self, window: "MainWindow") -> None:
        super().__init__(window)
        self.window, self.doc = window, window.document
        self.panel = AttentionPanel(STAGE_LABELS, SUMMARY_METRICS, CONDITIONS, VARIABLES)
        self.dock = window.add_panel("attention", self.panel, self.tr("Attention"))
        self.painted: tuple[tuple[int, int], ...] = ()  # cells painted out, applied on the next masked run
        self._masked_cache: tuple[object, np.ndarray] = (None, np.zeros((0, 0), dtype=bool))
        self._overlay_key: object = None
        self.shown: HeadShown | None = None  # the head the inspector draws now
        self._shown_key: object = None  # (trace id, layer, head, batch, stage) of ``shown``
        self._head_job: Job | None = None  # computing a long head in the worker
        self._pending_key: object = None  # what that job computes
        self._view_key: object = None  # (trace id, batch) the model view is filling for
        self._view_done: set[tuple[int, int]] = set()  # heads the model view has drawn
        self._view_job: Job | None = None
        self._view_paused = False  # stopped so a clicked head is computed first; resumed when it is in
        self.tools = DebugTools(self)
        self.doc.tracesChanged.connect(self.refresh_trace)
        self.doc.selectionChanged.connect(self.refresh_head)
        self.panel.headSelected.connect(self.on_head)
        self.panel.positionSelected.connect(self.on_position)
        self.panel.cellClicked.connect(self.on_cell)
        self.panel.viewChanged.connect(self.on_view)
        self.panel.masks.applyRequested.connect(self.apply_mask)
        self.panel.masks.clearPaintRequested.connect(self.clear_paint)
        self.panel.masks.paintToggled.connect(self.on_paint_toggled)
        window.register_session_part("attention", self)
        self._batch = 0
        self.refresh_trace()

    # --- reading the document ------------------------------------------------------------------------------
    @property
    def trace(self) -> Trace | None:
        entry = self.doc.current_trace
        if entry is None or not has_attention(entry.trace):
            return None
        return entry.trace

    @property
    def vocab(self) -> tuple[str, ...] | None:
        return self.doc.loaded.tokenizer.tokens if self.doc.loaded is not None else None

    def tokens(self, trace: Trace) -> list[str]:
        return batch_token_strings(trace, self.panel.batch, self.vocab)

    def row(self, trace: Trace) -> int:
        """The query row under study: the selected position, or the last position when none is selected."""
        position = self.doc.selection.position
        return position if 0 <= position < trace.n_pos else trace.n_pos - 1

    def head(self, trace: Trace) -> tuple[int, int]:
        cfg = trace.model_config
        return (min(self.doc.selection.layer, trace.n_layer - 1), min(self.doc.selection.head, cfg["n_head"] - 1))

    # --- refreshing ----------------------------------------------------------------------------------------
    def refresh_trace(self) -> None:
        self.tools.reset()
        self.shown, self._shown_key = None, None
        trace = self.trace
        if trace is None:
            self.panel.set_source(self.tr("No capture with attention (patterns, or q and k) yet"))
            return
        cfg = trace.model_config
        labels = [f"{h} (kv {kv_head_of(cfg, h)})" if cfg["n_kv_head"] != cfg["n_head"] else str(h)
                  for h in range(cfg["n_head"])]
        self.panel.set_shape(trace.n_layer, labels, trace.tokens.shape[0])
        self._batch = self.panel.batch  # the sequence chooser was refilled for this trace
        spec = trace.meta.get("mask", "causal")
        label = self.doc.current_trace.label
        # A masked run is labelled by its mask ("mask: causal window=4"): name it once. One template per shape, so
        # that a live language switch finds the line in the catalogue.
        if not label:
            source = self.tr("{0} tokens · mask: {1}").format(trace.n_pos, spec)
        elif self.tr("mask: {0}").format(spec) in label or f"mask: {spec}" in label:
            source = self.tr("{label} · {n} tokens").format(label=label, n=trace.n_pos)
        else:
            source = self.tr("{label} · {n} tokens · mask: {mask}").format(label=label, n=trace.n_pos, mask=spec)
        self.panel.set_source(source)
        self.refresh_head()  # first: a long head's job is queued before the model view's, so it is drawn first
        self.refresh_model_view()

    def refresh_model_view(self) -> None:
        """Start filling the model view for the current trace and sequence, one head at a time in the worker."""
        trace = self.trace
        if trace is None:
            return
        batch = self.panel.batch
        self._view_key, self._view_done, self._view_paused = (id(trace), batch), set(), False
        size = len(thumbnail_edges(trace.n_pos, THUMBNAIL)) - 1
        n_head = int(trace.model_config["n_head"])
        self.panel.model_view.start(trace.n_layer, n_head, size, kv_groups(trace.model_config))
        if trace.n_layer * n_head * trace.n_pos ** 2 <= MODEL_VIEW_SYNC_CELLS:
            heads = [e for e in model_view_job(trace, batch, THUMBNAIL) if isinstance(e, HeadThumbnail)]
            self.on_view_events(self._view_key, heads)
            return
        self._start_view_job(trace, batch)

    def _start_view_job(self, trace: Trace, batch: int) -> None:
        done = frozenset(self._view_done)
        total = trace.n_layer * int(trace.model_config["n_head"])
        self.panel.model_view.set_progress(len(done), total)
        job = self.window.start_job(self.tr("Drawing the model view"), lambda: model_view_job(trace, batch, THUMBNAIL,
                                                                                              done),
                                    partial(self.on_view_events, self._view_key), kind="model-view", supersede=True)
        self._view_job = job

    def on_view_events(self, key: object, events: list[Any]) -> None:
        trace = self.trace
        if key != self._view_key or trace is None:
            return
        heads = [(e.layer, e.head, e.thumbnail, e.summary) for e in events if isinstance(e, HeadThumbnail)]
        self._view_done.update((layer, head) for layer, head, _, _ in heads)
        self.panel.model_view.set_heads(heads)
        self.panel.model_view.set_progress(len(self._view_done),
                                           trace.n_layer * int(trace.model_config["n_head"]))

    def _pause_model_view(self) -> None:
        """Let a clicked head jump the queue: stop the filling job (it resumes with the heads still missing)."""
        if self._view_job is not None and self._view_job.active:
            self._view_job.cancel(discard=True)
            self._view_paused = True

    def _resume_model_view(self, *_: object) -> None:
        trace = self.trace
        if not self._view_paused or trace is None or self._view_key != (id(trace), self.panel.batch):
            return
        if self._head_job is not None and self._head_job.active:
            return
        self._view_paused = False
        self._start_view_job(trace, self.panel.batch)

    def refresh_head(self, force: bool = False) -> None:
        """Draw the selected head's stage (at once when cheap, else from the worker); a position change alone
        only moves the row."""
        trace = self.trace
        if trace is None:
            return
        layer, head = self.head(trace)
        self.panel.set_head(layer, head)
        stage, batch = self.shown_stage(trace, layer), self.panel.batch
        key = (id(trace), layer, head, batch, stage)
        pending = self._head_job is not None and self._head_job.active and key == self._pending_key
        if (key == self._shown_key or pending) and not force:
            self.refresh_row()
            return
        cheap = trace.n_pos <= SYNC_POSITIONS or stage == "z" or (
            stage in ("pattern", "masked") and is_cached(trace, layer, head, batch))
        if cheap:
            self.show_head(trace, head_shown(trace, layer, head, stage, batch))
            return
        self._pause_model_view()
        job = self.window.start_job(self.tr("Computing layer {layer}, head {head}").format(layer=layer, head=head),
                                    lambda: head_job(trace, layer, head, stage, batch),
                                    partial(self.on_head_events, id(trace)), kind="attention-head", supersede=True)
        for signal in (job.finished, job.failed, job.cancelled):
            signal.connect(self._resume_model_view)
        self._head_job, self._pending_key = job, key

    def on_head_events(self, trace_id: int, events: list[Any]) -> None:
        trace = self.trace
        if trace is None or id(trace) != trace_id:
            return  # computed for a capture that is no longer shown
        for event in events:
            if isinstance(event, HeadShown) and (event.layer, event.head, event.batch) == (*self.head(trace),
                                                                                          self.panel.batch):
                self.show_head(trace, event)

    def show_head(self, trace: Trace, shown: HeadShown) -> None:
        self.shown = shown
        self._shown_key = (id(trace), shown.layer, shown.head, shown.batch, shown.stage)
        tokens = self.tokens(trace)
        if shown.stage == "z":
            self.panel.show_matrix(tokens, shown.matrix, "signed",
                                   cols=[f"d{i}" for i in range(shown.matrix.shape[1])], value_name="z")
            self.panel.set_overlay(None)
            self._overlay_key = None
        else:
            self.panel.show_matrix(tokens, shown.matrix, "pattern" if shown.stage == "pattern" else "signed",
                                   weights=shown.pattern, scores=shown.scores, value_name=shown.stage)
            self.show_overlay(trace)
        self.refresh_row()

    def shown_stage(self, trace: Trace, layer: int) -> str:
        """The chosen stage, or the pattern when the trace was saved without that stage's tensors (the golden
        format 1 file keeps patterns only)."""
        stage = self.panel.stage
        return stage if all(holds(trace, hook(layer, name)) for name in STAGE_TENSORS[stage]) or (
            stage == "masked" and all(holds(trace, hook(layer, n)) for n in ("q", "k"))) else "pattern"

    def masked(self, trace: Trace, layer: int | None = None) -> np.ndarray:
        """(query, key) True where the trace's mask hid the key; cached, as a head switch must stay fast."""
        layer = self.head(trace)[0] if layer is None else layer
        key = (id(trace), self.panel.batch, sliding_window(trace, layer))
        if self._masked_cache[0] != key:
            self._masked_cache = (key, ~allowed_of(trace, self.panel.batch, layer))
        return self._masked_cache[1]

    def show_overlay(self, trace: Trace) -> None:
        """The mask veil, plus painted cells not applied yet; redrawn only when it changes, not per head."""
        layer = self.head(trace)[0]
        key = (id(trace), self.panel.batch, sliding_window(trace, layer), self.painted) if self.panel.overlay else None
        if key == self._overlay_key:
            return
        self._overlay_key = key
        if key is None:
            self.panel.set_overlay(None)
            return
        masked = self.masked(trace, layer).copy()
        for i, j in self.painted:
            if i < trace.n_pos and j < trace.n_pos:
                masked[i, j] = True  # painted but not applied yet: previewed with the same veil
        self.panel.set_overlay(masked)

    def refresh_row(self) -> None:
        trace = self.trace
        if trace is None:
            return
        layer, head = self.head(trace)
        row, batch = self.row(trace), self.panel.batch
        self.panel.set_position(row)
        shown = self.shown
        if shown is None or (shown.layer, shown.head, shown.batch) != (layer, head, batch):
            return  # the head is still being computed: its row follows when it is in
        tokens = self.tokens(trace)
        if shown.stage == "z":
            z = trace[hook(layer, "z")][batch, :, head]
            self.panel.show_row(np.linalg.norm(z, axis=-1), "‖z‖",
                                f"‖z‖ at query {row} “{display_token(tokens[row])}”: "
                                f"{np.linalg.norm(z[row]):.4g} "
                                "(z = pattern·V, one row per position)")
            return
        pattern = shown.pattern
        stats = row_stats(pattern[row])
        zero_text = self.zero_proof(pattern, self.masked(trace, layer))
        self.panel.masks.set_proof(self.tr("Layer {layer}, head {head}: {proof}").format(layer=layer, head=head,
                                                                                         proof=zero_text))
        missing = "" if shown.stage == self.panel.stage else self.tr(
            "This capture holds no “{stage}”, so the pattern is shown. ").format(
            stage=term(STAGE_LABELS[self.panel.stage]))
        self.panel.show_row(
            pattern[row], self.tr("weight"),
            missing + self.tr("query {row} “{token}” · row sum {sum:.6f} · entropy {nats:.4f} nats ({bits:.4f} bits) · "
                              "max {max:.4f} at key {key} “{key_token}” · {proof}").format(
                row=row, token=display_token(tokens[row]), sum=stats["sum"], nats=stats["entropy"],
                bits=stats["entropy"] / math.log(2), max=stats["max"], key=stats["argmax"],
                key_token=display_token(tokens[stats["argmax"]]), proof=zero_text))

    @staticmethod
    def zero_proof(pattern: np.ndarray, masked: np.ndarray) -> str:
        n_masked = int(np.count_nonzero(masked))
        if not n_masked:
            return QCoreApplication.translate("AttentionBinding", "no masked cells")
        largest = float(np.max(pattern, where=masked, initial=0.0))  # no copy of the masked cells
        if largest == 0.0:
            return QCoreApplication.translate("AttentionBinding", "{n} masked cells, largest weight there after "
                                                                  "softmax = exactly 0 ✓").format(n=n_masked)
        return QCoreApplication.translate("AttentionBinding", "{n} masked cells, largest weight there after softmax = "
                                                              "{largest:.3g} ✗").format(n=n_masked, largest=largest)

    # --- user intent ---------------------------------------------------------------------------------------
    def on_head(self, layer: int, head: int) -> None:
        self.doc.set_selection(layer=layer, head=head)

    def on_position(self, position: int) -> None:
        self.doc.set_selection(position=position)

    def on_cell(self, query: int, key: int) -> None:
        if self.panel.masks.painting:
            self.painted = MaskSpec(custom_blocked=self.painted).toggled(query, key).custom_blocked
            self.panel.masks.set_painted(len(self.painted))
            self.refresh_head(force=True)
        else:
            self.doc.set_selection(position=query)

    def on_paint_toggled(self, painting: bool) -> None:
        self.panel.show_tab(self.panel.masks)
        if painting:
            self.window.statusBar().showMessage(self.tr("Click cells of the heatmap to mask them out; then Run with "
                                                        "this "
                                                "mask."), 5000)

    def clear_paint(self) -> None:
        self.painted = ()
        self.panel.masks.set_painted(0)
        self.refresh_head(force=True)

    def on_view(self) -> None:
        if self.panel.batch != self._batch:
            self._batch = self.panel.batch
            if self.trace is not None:
                self.panel.set_tokens(self.tokens(self.trace))
            self.refresh_model_view()
        self.refresh_head(force=True)

    def mask_spec(self) -> MaskSpec:
        return spec_of(self.panel.masks.state(), self.painted)

    def apply_mask(self) -> bool:
        loaded, trace = self.doc.loaded, self.trace
        if loaded is None or trace is None:
            self.window.statusBar().showMessage(self.tr("Load a model and run a prompt first."), 5000)
            return False
        try:
            spec = self.mask_spec()
        except BadInputError as exc:
            self.window.statusBar().showMessage(str(exc), 8000)
            return False
        second_prompt, side = self.panel.masks.padding()
        texts = [trace.meta.get("batch_texts", [trace.text])[0] or trace.text, second_prompt]
        self.window.start_job(self.tr("Running with a mask"), lambda: masked_capture_job(loaded, texts, spec, side),
                              self.on_mask_events, kind="masked-capture", supersede=True)
        return True

    def on_mask_events(self, events: list[Any]) -> None:
        vocab = self.vocab or ()
        for event in events:
            if isinstance(event, MaskEffect) and vocab:
                before, after = event.change.rows(vocab)
                self.panel.masks.set_effect(
                    f"Mask “{event.spec_text}” at position {event.change.position}: KL(before‖after) = "
                    f"{event.change.kl:.4g} nats; top-1 {'changed' if event.change.argmax_changed else 'kept'}.",
                    before, after)
            elif isinstance(event, TraceCaptured):
                self.doc.apply_events([event])

    # --- session -----------------------------------------------------------------------------------------
    state_type = AttentionState

    def state(self) -> AttentionState:
        breakpoints, ablated_heads = self.tools.saved_lists()
        return self.panel.state(self.mask_spec().to_text(), breakpoints, ablated_heads)

    def apply_state(self, state: AttentionState) -> None:
        """Show a validated state; a mask, breakpoint or head that the backend cannot read is left out and named in
        the panel's notice line, and everything else is shown."""
        problems: list[str] = []
        try:
            mask, painted = read_mask(state.mask)
        except (BadInputError, StateError) as exc:
            problems.append(f"{clip(str(exc))} The plain causal mask is shown instead.")
            mask, painted = MaskState(), ()
        self.panel.set_state(state, mask)
        self.painted = painted
        self.panel.masks.set_painted(len(self.painted))
        problems += self.tools.apply_state(state)
        self.refresh_head(force=True)
        self.show_notice(problems)

    def show_notice(self, problems: list[str]) -> None:
        text = f"Part of this panel's saved state was left out: {' '.join(problems)}" if problems else ""
        self.window.panel_notice("attention", text)


def spec_of(mask: MaskState, painted: tuple[tuple[int, int], ...] = ()) -> MaskSpec:
    return MaskSpec(causal=mask.causal, window=mask.window, dilated=(mask.dilated_w, mask.dilated_d),
                    global_positions=mask.global_positions, random_p=mask.random_p, random_seed=mask.random_seed,
                    block=mask.block, custom_blocked=painted, prefix=mask.prefix, top_k=mask.top_k,
                    lsh_buckets=mask.lsh_buckets, lsh_seed=mask.lsh_seed)


def read_mask(text: str) -> tuple[MaskState, tuple[tuple[int, int], ...]]:
    """Saved mask text as the Masks tab's values and the painted cells; :class:`BadInputError` when the backend
    cannot read it, :class:`StateError` when it does not fit the tab's controls."""
    spec = MaskSpec.parse(text)
    if any(len(cell) != 2 or min(cell) < 0 for cell in spec.custom_blocked):
        raise StateError(f"The saved mask {clip(text, 80)!r} paints cells that are not query:key position pairs.")
    w, d = spec.dilated  # the text leaves d out while w is 0 (off): the control then shows its default
    try:
        mask = MaskState.from_tree({
            "causal": spec.causal, "window": spec.window, "dilated_w": w,
            "dilated_d": d if w else MaskState().dilated_d, "global_positions": list(spec.global_positions),
            "random_p": spec.random_p, "random_seed": spec.random_seed, "block": spec.block, "prefix": spec.prefix,
            "top_k": spec.top_k, "lsh_buckets": spec.lsh_buckets, "lsh_seed": spec.lsh_seed})
    except StateError as exc:
        raise StateError(f"The saved mask {clip(text, 80)!r} does not fit the Masks tab. {exc}") from None
    return mask, spec.custom_blocked


def install(window: "MainWindow") -> AttentionBinding:
    return AttentionBinding(window)
