"""Binds the Prediction dock (logit lens, target, attribution, patching) to the document's model and captures.

The lens follows the current capture's prompt; attribution and patching run when asked. Every computation is a
backend generator job (backend/lens/) in the worker, one kind each, a newer request superseding a running one.
Clicking a head in the attribution table selects it in the document and raises the attention inspector, which
shows it. Works for TinyGPT and Hugging Face decoders alike (backend/lens/hf.py); an encoder is refused in the
panel's notice line. The last attribution table and finished patching maps are part of the panel's session state.
"""
from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QObject

from lmscope.backend.demo import DEFAULT_PROMPT
from lmscope.backend.errors import BadInputError
from lmscope.backend.lens import (
    AttributionComputed, LensComputed, LensModel, PatchingComputed, attribution_job, lens_job, lens_model,
    parse_token, patching_job,
)
from lmscope.backend.lens.model import check_prompt
from lmscope.widgets.lens.data import AttributionData, LensGridData, PatchingData
from lmscope.widgets.lens.panel import LensPanel
from lmscope.widgets.lens.state import LensState

if TYPE_CHECKING:
    from lmscope.gui.main_window import MainWindow
    from lmscope.gui.worker import Job, JobFailure

NAME = "lens"
TOKEN_ROLES = (QT_TRANSLATE_NOOP("LensBinding", "target"), QT_TRANSLATE_NOOP("LensBinding", "distractor"))


def token_label(text: str) -> str:
    return f"“{text}”" if not text.startswith("#") else text


def lens_view(computed: LensComputed, target_text: str) -> LensGridData:
    r = computed.result
    return LensGridData(
        names=r.names, tokens=r.token_strings, top_strings=r.top_strings, top_logprobs=r.top_logprobs,
        entropy=r.entropy, promoted=r.promoted_strings, promoted_delta=r.promoted_delta,
        suppressed=r.suppressed_strings, suppressed_delta=r.suppressed_delta,
        target=target_text if r.target is not None else "", target_rank=r.target_rank,
        target_logprob=r.target_logprob)


def attribution_view(computed: AttributionComputed, tokens: list[str]) -> AttributionData:
    a = computed.attribution
    where = f"position {a.position} (“{tokens[a.position]}”)" if a.position < len(tokens) else f"position {a.position}"
    return AttributionData(
        labels=a.labels, layers=tuple(c.layer for c in a.components), indices=tuple(c.index for c in a.components),
        kinds=tuple(c.kind for c in a.components), direct=a.direct, zero_ablation=a.zero_ablation,
        mean_ablation=a.mean_ablation, logit_diff=a.logit_diff, bias=a.bias, scale=a.scale, position=a.position,
        title=f"{token_label(computed.target_text)} vs {token_label(computed.distractor_text)} at {where}")


def patching_view(computed: PatchingComputed) -> PatchingData:
    r = computed.result
    return PatchingData(
        clean_tokens=r.clean_tokens, corrupt_tokens=r.corrupt_tokens, resid_pre=r.resid_pre, attn_out=r.attn_out,
        mlp_out=r.mlp_out, heads=r.heads, clean_diff=r.clean_diff, corrupt_diff=r.corrupt_diff,
        complete=r.complete, title=f"{token_label(computed.target_text)} vs {token_label(computed.distractor_text)}:")


class LensBinding(QObject):
    state_type = LensState

    def __init__(self, window: "MainWindow") -> None:
        super().__init__(window)
        self.window, self.doc = window, window.document
        self.panel = LensPanel()
        window.add_panel(NAME, self.panel, self.tr("Prediction"))
        self.lm: LensModel | None = None
        self.jobs: dict[str, Job] = {}  # the latest job of each kind this panel started
        self._target_text = ""
        self.panel.lensRequested.connect(self.run_lens)
        self.panel.attributionRequested.connect(self.run_attribution)
        self.panel.patchingRequested.connect(self.run_patching)
        self.panel.headSelected.connect(self.on_head)
        self.doc.modelChanged.connect(self.on_model)
        self.doc.tracesChanged.connect(self.on_traces)
        window.register_session_part(NAME, self)
        self.on_model()

    # --- the document --------------------------------------------------------------------------------------
    def on_model(self) -> None:
        self.lm = None
        loaded = self.doc.loaded
        if loaded is None:
            self.panel.set_message(self.tr("Open a model (Model → Open demo, or a model folder) to look inside its "
                                           "predictions."))
            return
        try:
            self.lm = lens_model(loaded)
        except BadInputError as exc:
            self.window.panel_notice(NAME, str(exc))
            return
        self.window.panel_notice(NAME, "")
        if not self.panel.prompt.text():
            entry = self.doc.current_trace
            self.panel.set_prompt(entry.trace.text if entry is not None and entry.trace.text else DEFAULT_PROMPT)
        self.run_lens()

    def on_traces(self) -> None:
        entry = self.doc.current_trace
        if entry is None or not entry.trace.text or entry.trace.text == self.panel.prompt.text():
            return
        self.panel.set_prompt(entry.trace.text)  # the lens follows the current capture
        if self.lm is not None:
            self.run_lens()

    def on_head(self, layer: int, head: int) -> None:
        """A head clicked in the attribution table: select it and bring the attention inspector forward."""
        self.doc.set_selection(layer=layer, head=head)
        dock = self.window.docks.get("dock.attention")
        if dock is not None:
            dock.show()
            dock.raise_()

    # --- jobs ----------------------------------------------------------------------------------------------
    def _token(self, text: str, what: str) -> int:
        assert self.lm is not None
        if not text:
            raise BadInputError(self.tr("Type a {what} token (one token, or #ID).").format(what=self.tr(what)))
        return parse_token(self.lm, text, what)

    def _start(self, kind: str, title: str, factory: Any) -> None:  # noqa: ANN401 - a job factory
        job = self.window.start_job(title, factory, self.on_events, kind=f"lens.{kind}", supersede=True)
        self.jobs[kind] = job
        job.failed.connect(partial(self._on_failed, kind, job))
        self.panel.set_message("")

    def _on_failed(self, kind: str, job: "Job", failure: "JobFailure") -> None:
        if self.jobs.get(kind) is job:
            self.panel.set_message(failure.message, error=True)

    def _refuse(self, exc: BadInputError) -> None:
        self.panel.set_message(str(exc), error=True)

    def run_lens(self) -> None:
        if self.lm is None:
            return
        inputs = self.panel.inputs()
        try:
            target = self._token(inputs["target"], "target") if inputs["target"] else None
            check_prompt(self.lm, self.lm.encode(inputs["prompt"]))
        except BadInputError as exc:
            self._refuse(exc)
            return
        lm, text, top_k, self._target_text = self.lm, inputs["prompt"], inputs["top_k"], inputs["target"]
        self._start("lens", self.tr("Logit lens"), lambda: lens_job(lm, text, top_k, target))

    def run_attribution(self) -> None:
        if self.lm is None:
            return
        inputs = self.panel.inputs()
        try:
            target, distractor = self._token(inputs["target"], "target"), self._token(inputs["distractor"],
                                                                                      "distractor")
            check_prompt(self.lm, self.lm.encode(inputs["prompt"]))
        except BadInputError as exc:
            self._refuse(exc)
            return
        lm = self.lm
        args = (inputs["prompt"], target, distractor, inputs["position"], inputs["reference"], inputs["target"],
                inputs["distractor"])
        self._start("attribution", self.tr("Logit attribution"), lambda: attribution_job(lm, *args))

    def run_patching(self) -> None:
        if self.lm is None:
            return
        inputs = self.panel.inputs()
        try:
            target, distractor = self._token(inputs["target"], "target"), self._token(inputs["distractor"],
                                                                                      "distractor")
            clean, corrupt = self.lm.encode(inputs["prompt"]), self.lm.encode(inputs["corrupt"])
            check_prompt(self.lm, clean, "prompt")
            check_prompt(self.lm, corrupt, "corrupted prompt")
            if len(clean) != len(corrupt):
                raise BadInputError(self.tr("The prompt has {clean} tokens and the corrupted one {corrupt}; patching "
                                            "needs prompts of the same token length.").format(clean=len(clean),
                                                                                              corrupt=len(corrupt)))
        except BadInputError as exc:
            self._refuse(exc)
            return
        lm = self.lm
        args = (inputs["prompt"], inputs["corrupt"], target, distractor, inputs["position"])
        names = {"target_text": inputs["target"], "distractor_text": inputs["distractor"]}
        self._start("patching", self.tr("Activation patching"), lambda: patching_job(lm, *args, **names))

    def on_events(self, events: list[Any]) -> None:
        lens = [e for e in events if isinstance(e, LensComputed)]
        attribution = [e for e in events if isinstance(e, AttributionComputed)]
        patching = [e for e in events if isinstance(e, PatchingComputed)]
        if lens:
            self.panel.set_lens(lens_view(lens[-1], self._target_text))
        if attribution and self.lm is not None:
            tokens = self.lm.token_strings(self.lm.encode(self.panel.prompt.text()))
            self.panel.set_attribution(attribution_view(attribution[-1], tokens))
        if patching:
            self.panel.set_patching(patching_view(patching[-1]))

    # --- session part --------------------------------------------------------------------------------------
    def state(self) -> LensState:
        return self.panel.state()

    def apply_state(self, state: LensState) -> None:
        self.panel.set_state(state)
        if self.lm is not None and state.prompt:
            self.run_lens()  # deterministic and cheap: the grid comes back; attribution and patching on request


def install(window: "MainWindow") -> LensBinding:
    return LensBinding(window)
