"""The attention panel's worker generators: masked captures, ablation re-runs, debugger runs and generation.

Each yields :class:`~lmscope.backend.jobs.JobProgress` and plain result events (frozen dataclasses, numpy arrays).
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from lmscope.backend.attention.debugger import Debugger, Pause, Stop
from lmscope.backend.attention.generate import (
    AblationSpec, GenerateSettings, GenerationStep, NextTokenChange, ablated, compare_next_token, generate,
    head_ablations,
)
from lmscope.backend.attention.heads import PAD_SHOWN, allowed_of, key_valid_of
from lmscope.backend.attention.masks import MaskSpec, pad_batch
from lmscope.backend.capture import Trace, capture
from lmscope.backend.errors import BadInputError
from lmscope.backend.jobs import JobProgress, TraceCaptured
from lmscope.backend.models.checkpoint import LoadedModel
from lmscope.backend.stats import trace_histograms

@dataclass(frozen=True)
class MaskEffect:
    """What a mask did to the next-token prediction at the last real position of the first sequence."""

    spec_text: str
    change: NextTokenChange = field(repr=False)


@dataclass(frozen=True)
class AblationResult:
    spec: AblationSpec
    change: NextTokenChange = field(repr=False)


@dataclass(frozen=True)
class DebugPaused:
    pause: Pause = field(repr=False)


@dataclass(frozen=True)
class GenerationEvent:
    step: GenerationStep = field(repr=False)
    token: str


@dataclass(frozen=True)
class MaskedInput:
    """The token batch and mask a masked capture (and the debugger) runs on."""

    tokens: torch.Tensor  # (batch, T)
    allowed: torch.Tensor  # (batch, 1, T, T) bool
    key_valid: np.ndarray  # (batch, T) bool, False on padding
    token_strings: list[list[str]]
    meta: dict


def masked_input(loaded: LoadedModel, texts: Sequence[str], spec: MaskSpec, pad_side: str = "right") -> MaskedInput:
    texts = [t for t in texts if t]
    if not texts:
        raise BadInputError("The prompt is empty; type some text to run through the model.")
    ids = [loaded.tokenizer.encode(t) for t in texts]
    tok = loaded.tokenizer
    # The pad id is hidden by the padding mask, so any real id will do: the tokenizer's own pad token, else its
    # unknown token, else 0 (GPT-2's tokenizer has neither).
    pad_id = next((i for i in (getattr(tok, "pad_id", None), tok.unk_id) if i is not None), 0)
    batch = pad_batch(ids, pad_id, pad_side)
    T = batch.tokens.shape[1]
    if loaded.model.cfg.pos == "learned" and T > loaded.model.cfg.n_ctx:
        raise BadInputError(f"The prompt has {T} tokens; this model reads at most {loaded.model.cfg.n_ctx}.")
    strings = [[loaded.tokenizer.tokens[i] if valid else PAD_SHOWN for i, valid in zip(row, ok)]
               for row, ok in zip(batch.tokens, batch.key_valid)]
    device = loaded.model.device
    allowed = spec.model_mask(T, batch.key_valid if len(texts) > 1 else None, device)
    if allowed is None:  # plain causal: the explicit matrix, as every masked run has stored before
        allowed = torch.as_tensor(spec.allowed(T), device=device)
    meta = {"mask": spec.to_text(), "pad_side": pad_side, "lengths": list(batch.lengths) if len(texts) > 1 else [],
            "batch_texts": list(texts)}
    return MaskedInput(torch.as_tensor(batch.tokens, device=device), allowed, batch.key_valid, strings, meta)


def require_tinygpt(loaded: LoadedModel, what: str) -> None:
    """``what`` runs TinyGPT's own forward pass step by step; say so, in one sentence, for any other model."""
    description = loaded.description
    if loaded.kind != "tinygpt":
        raise BadInputError(f"{what} runs TinyGPT's own forward pass; it is not available for "
                            f"{description.architecture} yet (the inspector shows every stage it captured).")


def require_decoder(loaded: LoadedModel, what: str) -> None:
    if not loaded.description.causal:
        raise BadInputError(f"{what} needs a decoder; {loaded.description.architecture} is an encoder, which sees the "
                            "whole text at once and predicts no next token.")


def trace_input(trace: Trace, device: torch.device) -> MaskedInput:
    """The tokens and mask a trace was captured with, to run the same input again (debugger, ablation)."""
    mask_text = str(trace.meta.get("mask", "") or "")
    if mask_text and MaskSpec.parse(mask_text).is_content_based:
        raise BadInputError(f"This capture used a content-based mask ({mask_text}); the debugger and ablation "
                            "re-run position-based masks only — capture the prompt again without it.")
    B = trace.tokens.shape[0]
    allowed = np.stack([allowed_of(trace, b) for b in range(B)])[:, None]
    strings = [list(trace.token_strings)] + [[] for _ in range(B - 1)]
    meta = {k: trace.meta[k] for k in ("mask", "pad_side", "lengths", "batch_texts") if k in trace.meta}
    meta.setdefault("batch_texts", [trace.text])
    return MaskedInput(torch.as_tensor(trace.tokens, device=device), torch.as_tensor(allowed, device=device),
                       key_valid_of(trace), strings, meta)


def masked_capture_job(loaded: LoadedModel, texts: Sequence[str], spec: MaskSpec,
                       pad_side: str = "right") -> Iterator[object]:
    """Capture the prompt (and any padded companions) with ``spec``; compare with plain causal attention."""
    yield JobProgress(0.1, f"Running with mask {spec.to_text()}…")
    inp = masked_input(loaded, texts, spec, pad_side)
    trace = capture(loaded.model, inp.tokens, token_strings=inp.token_strings[0], text=texts[0],
                    label=f"mask: {spec.to_text()}", allowed=inp.allowed,
                    # top-k/LSH choose keys inside the forward pass: keep the patterns the model really used
                    store_patterns=True if spec.is_content_based else None)
    trace.meta.update(inp.meta)
    yield JobProgress(0.6, "Running without the mask for comparison…")
    plain = capture(loaded.model, inp.tokens[:1], names="logits")
    last = int(np.nonzero(inp.key_valid[0])[0][-1])  # the first prompt's last real token
    yield MaskEffect(spec.to_text(), compare_next_token(plain["logits"][0], trace["logits"][0], last))
    yield TraceCaptured(trace=trace, histograms=trace_histograms(trace.tensors, trace.n_layer))


def ablation_job(loaded: LoadedModel, inp: MaskedInput, spec: AblationSpec, position: int,
                 label: str) -> Iterator[object]:
    """Re-run the input with ``spec``'s heads ablated; the change at ``position`` and the ablated capture."""
    require_tinygpt(loaded, "Head ablation")
    model = loaded.model
    yield JobProgress(0.1, "Running the clean model…")
    clean = capture(model, inp.tokens, names="logits", allowed=inp.allowed)
    ablations = head_ablations(model, spec, inp.tokens)
    yield JobProgress(0.5, f"Running with {', '.join(spec.to_text()) or 'no heads'} ablated…")
    with ablated(model, ablations):
        trace = capture(model, inp.tokens, token_strings=inp.token_strings[0], text=inp.meta["batch_texts"][0],
                        label=label, allowed=inp.allowed)
    trace.meta.update(inp.meta, ablation=" ".join(spec.to_text()), ablation_mode=spec.mode)
    yield AblationResult(spec, compare_next_token(clean["logits"][0], trace["logits"][0], position))
    yield TraceCaptured(trace=trace, histograms=trace_histograms(trace.tensors, trace.n_layer))


def debug_job(debugger: Debugger, command: str, target: tuple[int, int] | None = None) -> Iterator[object]:
    """Move the debugger by ``command`` in the worker, reporting progress every few stops."""
    for item in debugger.advance(command, target):
        if isinstance(item, Stop):
            if item.stage == "scores":
                yield JobProgress(item.index / debugger.total, f"Debugger at layer {item.layer}, head {item.head}")
        else:
            yield DebugPaused(item)


def generate_job(loaded: LoadedModel, prompt_ids: Sequence[int], settings: GenerateSettings,
                 spec: AblationSpec | None = None) -> Iterator[object]:
    require_decoder(loaded, "Generation")
    require_tinygpt(loaded, "Generation with the KV cache")
    tokens = torch.tensor([list(prompt_ids)], dtype=torch.long, device=loaded.model.device)
    ablations = head_ablations(loaded.model, spec, tokens) if spec is not None and spec.heads else {}
    with ablated(loaded.model, ablations):
        for event in generate(loaded.model, prompt_ids, settings):
            yield JobProgress(event.step / settings.steps, f"Generating token {event.step}/{settings.steps}")
            yield GenerationEvent(event, loaded.tokenizer.tokens[event.token_id])
