"""Binds the "Attention variants" dock: KV-cache sizes (closed forms, and the loaded model's cache measured),
positional encodings seen on the current capture, and a mask compared with causal attention on one head."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject

from lmscope.backend.attention.compare import LiveCache, MaskComparison, live_cache_job, mask_comparison_job
from lmscope.backend.attention.heads import key_valid_of
from lmscope.backend.attention.kvcache import WELL_KNOWN, KVShape, human_bytes, kv_cache_table, shape_of_config
from lmscope.backend.attention.masks import MaskSpec
from lmscope.backend.attention.positions import PositionsComputed, positions_job
from lmscope.backend.errors import BadInputError
from lmscope.backend.models.tinygpt import TinyGPT
from lmscope.widgets.variants.kvcache import CUSTOM, SHAPE_FIELDS, THIS_MODEL, KVRow
from lmscope.widgets.variants.panel import VariantsPanel, VariantsState

if TYPE_CHECKING:
    from lmscope.gui.main_window import MainWindow
    from lmscope.gui.worker import Job


class VariantsBinding(QObject):
    state_type = VariantsState

    def __init__(self, window: "MainWindow") -> None:
        super().__init__(window)
        self.window, self.doc = window, window.document
        self.panel = VariantsPanel()
        self.dock = window.add_panel("variants", self.panel, self.tr("Attention variants"))
        self.jobs: dict[str, Job] = {}  # the latest job of each kind
        self.live: LiveCache | None = None
        # The positions and the live cache follow the capture only while the dock is shown (it sits behind the
        # attention inspector): a hidden panel queues no work, and comes up to date when it is raised.
        self.stale = True
        self.dock.visibilityChanged.connect(self.on_visible)
        kv = self.panel.kvcache
        kv.set_sources(list(WELL_KNOWN))
        kv.sourceChosen.connect(self.on_source)
        kv.shapeChanged.connect(self.refresh_kvcache)
        self.panel.positions.demoChanged.connect(self.refresh_positions)
        self.panel.masks.runRequested.connect(self.run_masks)
        self.doc.modelChanged.connect(self.on_model)
        self.doc.tracesChanged.connect(self.on_traces)
        window.register_session_part("variants", self)
        self.on_model()

    # --- session -------------------------------------------------------------------------------------------
    def state(self) -> VariantsState:
        return self.panel.state()

    def apply_state(self, state: VariantsState) -> None:
        self.panel.set_state(state)
        self.on_source(state.kvcache.source)

    # --- document ------------------------------------------------------------------------------------------
    def _model(self) -> Any | None:  # noqa: ANN401 - TinyGPT or a Hugging Face model (backend/models/hf.py)
        return self.doc.loaded.model if self.doc.loaded is not None else None

    def _tinygpt(self) -> TinyGPT | None:
        """The loaded model when it is a TinyGPT: its cache can be measured and its attention picks keys by content."""
        model = self._model()
        return model if isinstance(model, TinyGPT) else None

    def on_model(self) -> None:
        if self.panel.kvcache.state().source == THIS_MODEL:
            self.on_source(THIS_MODEL)
        self.on_traces()

    def on_traces(self) -> None:
        entry = self.doc.current_trace
        if entry is not None:
            cfg, trace = entry.trace.model_config, entry.trace
            self.panel.positions.set_limits(trace.n_layer, int(cfg.get("n_head", 1)), trace.n_pos)
            self.panel.masks.set_limits(trace.n_layer, int(cfg.get("n_head", 1)))
        self.stale = True
        self.on_visible(self.shown())

    def shown(self) -> bool:
        """On screen: a dock behind another tab stays "visible" to Qt but has nothing of it showing."""
        return self.dock.isVisible() and not self.dock.visibleRegion().isEmpty()

    def on_visible(self, visible: bool) -> None:
        if visible and self.stale:
            self.stale = False
            self.refresh_positions()
            self.measure_live()

    # --- KV cache ------------------------------------------------------------------------------------------
    def on_source(self, source: str) -> None:
        model = self._model()
        if source == THIS_MODEL and model is not None:
            shape = shape_of_config(model.cfg.to_dict())
        elif source in WELL_KNOWN:
            shape = WELL_KNOWN[source]
        else:
            shape = None  # custom, or "this model" with none loaded: the numbers stay as they are
        if shape is not None:
            self.panel.kvcache.set_shape(**{name: getattr(shape, name) for name in SHAPE_FIELDS})
        self.refresh_kvcache()

    def refresh_kvcache(self) -> None:
        state = self.panel.kvcache.state()
        try:
            shape = KVShape(**{name: getattr(state, name) for name in SHAPE_FIELDS})
            rows = kv_cache_table(shape, state.tokens, state.dtype)
        except BadInputError as exc:
            self.panel.kvcache.set_error(str(exc))
            return
        name = self.tr("the loaded model") if state.source == THIS_MODEL else state.source \
            if state.source != CUSTOM else self.tr("this shape")
        self.panel.kvcache.set_rows([KVRow(**row) for row in rows],
                                    self.tr("KV cache of {name} ({kind}) for {tokens:,} tokens in {dtype}: each kind "
                                            "with the same L, H and d_h.").format(
                                        name=name, kind=shape.kind.upper(), tokens=state.tokens, dtype=state.dtype))

    def measure_live(self) -> None:
        model, entry = self._tinygpt(), self.doc.current_trace
        if model is None or entry is None:
            self.panel.kvcache.set_live(self.tr("Load a TinyGPT and capture a prompt to measure its live KV cache."))
            return
        tokens = entry.trace.tokens[0]
        self._start("live", self.tr("Measuring the KV cache"), lambda: live_cache_job(model, tokens), self._on_live)

    def _on_live(self, events: list[Any]) -> None:
        for event in events:
            if isinstance(event, LiveCache):
                self.live = event
                agree = (self.tr("Live: after reading the current prompt ({tokens} tokens) the loaded model's KV cache "
                                 "holds {bytes:,} bytes ({human}, {dtype}), equal to the {kind} closed form "
                                 "{closed:,}.")
                         if event.measured == event.closed_form else
                         self.tr("Live: after reading the current prompt ({tokens} tokens) the loaded model's KV cache "
                                 "holds {bytes:,} bytes ({human}, {dtype}), NOT equal to the {kind} closed form "
                                 "{closed:,}."))
                self.panel.kvcache.set_live(agree.format(tokens=event.tokens, bytes=event.measured,
                                                         human=human_bytes(event.measured), dtype=event.dtype,
                                                         kind=event.kind.upper(), closed=event.closed_form))

    # --- positions -----------------------------------------------------------------------------------------
    def refresh_positions(self) -> None:
        entry, model = self.doc.current_trace, self._model()
        trace = entry.trace if entry is not None else None
        s = self.panel.positions.state()  # within the capture: on_traces set the spin boxes' limits
        self._start("positions", self.tr("Positional encodings"),
                    lambda: positions_job(trace, model, s.layer, s.head, s.m, s.n), self._on_positions)

    def _on_positions(self, events: list[Any]) -> None:
        view = self.panel.positions
        for event in events:
            if not isinstance(event, PositionsComputed):
                continue
            view.set_sinusoidal(event.sinusoidal, event.offsets, event.offset_dots)
            view.set_rope(event.rope_angles, event.pairing_text)
            head = event.head
            if head is None:
                view.set_head_demo(None, None, None, event.head_note)
            else:
                how = "" if head.uses_rope else self.tr(" (this model has other positions: its q and k are rotated "
                                                        "here as RoPE would)")
                view.set_head_demo(head.shifts, head.both, head.key_only, self.tr(
                    "Layer {layer}, head {head}: q of token {m} and k of token {n}, {dims} rotated dims{how}. Shifting "
                    "both by s keeps the score (max change {change:.1e}): it depends only on n − m = {offset}.").format(
                    layer=head.layer, head=head.head, m=head.m, n=head.n, dims=head.rope_dim, how=how,
                    change=head.max_deviation, offset=head.n - head.m))
            view.set_learned(event.learned_similarity, event.learned_label)

    # --- masks ---------------------------------------------------------------------------------------------
    def run_masks(self) -> None:
        view, state = self.panel.masks, self.panel.masks.state()
        model, entry = self._model(), self.doc.current_trace
        if model is None or entry is None:
            view.set_message(self.tr("Load a model and capture a prompt first."))
            return
        try:
            spec = MaskSpec.parse(state.spec)
        except BadInputError as exc:
            view.set_message(str(exc))
            return
        if spec.is_content_based and self._tinygpt() is None:
            view.set_message(self.tr("Top-k and LSH pick keys inside TinyGPT's attention; this model takes "
                                     "position-based masks only."))
            return
        valid = key_valid_of(entry.trace)[0]  # the first prompt of a padded batch, without its padding
        ids = entry.trace.tokens[0][valid]
        tokens = [t for t, ok in zip(entry.trace.token_strings, valid) if ok]
        view.set_message(self.tr("Comparing {spec} with causal attention…").format(spec=spec.to_spec()))
        self._start("masks", self.tr("Comparing masks"),
                    lambda: mask_comparison_job(model, ids, tokens, spec, state.layer, state.head), self._on_masks)

    def _on_masks(self, events: list[Any]) -> None:
        for event in events:
            if isinstance(event, MaskComparison):
                self.panel.masks.set_comparison(event.plain, event.masked, event.tokens, event.buckets,
                                                event.key_buckets, event.summary(), event.prefix)

    # --- jobs ----------------------------------------------------------------------------------------------
    def _start(self, kind: str, title: str, factory: Any, handler: Any) -> None:  # noqa: ANN401
        # Latest wins: a newer request supersedes a running one of its kind, whose late events the runner drops.
        self.jobs[kind] = self.window.start_job(title, factory, handler, kind=f"variants.{kind}", supersede=True)


def install(window: "MainWindow") -> VariantsBinding:
    return VariantsBinding(window)
