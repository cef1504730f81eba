"""The attention panel's numbers and jobs: per-head stages read from a Trace, per-head summaries, and the worker
generators for masked captures, ablation re-runs, debugger runs and generation.

Everything here returns numpy arrays and frozen dataclasses, so the GUI hands them to widgets unchanged.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from backend.capture import Trace, capture
from backend.checkpoint import LoadedModel
from backend.debugger import Debugger, Pause, Stop
from backend.errors import BadInputError
from backend.expr import row_entropy
from backend.generate import (
    AblationSpec, GenerateSettings, GenerationStep, NextTokenChange, ablated, compare_next_token, generate,
    head_ablations,
)
from backend.jobs import JobProgress, TraceCaptured
from backend.masks import MaskSpec, pad_batch
from backend.stats import trace_histograms

PAD_SHOWN = "<pad>"  # the label of pad positions, so padding is visible in the heatmap
SUMMARY_METRICS = {
    "entropy": "mean row entropy (nats)",
    "first": "attention to the first token",
    "previous": "previous-token score",
    "diagonal": "diagonal (self) score",
}


def hook(layer: int, name: str) -> str:
    return f"blocks.{layer}.attn.hook_{name}"


def kv_head_of(config: dict, head: int) -> int:
    return head // (int(config["n_head"]) // int(config["n_kv_head"]))


def kv_groups(config: dict) -> list[list[int]]:
    """For each key/value head, the query heads that read it (MHA: one each; MQA: all in one)."""
    groups: list[list[int]] = [[] for _ in range(int(config["n_kv_head"]))]
    for head in range(int(config["n_head"])):
        groups[kv_head_of(config, head)].append(head)
    return groups


def key_valid_of(trace: Trace) -> np.ndarray:
    """(batch, T) bool: False on the pad positions of a padded batch (from the trace's metadata)."""
    B, T = trace.tokens.shape
    valid = np.ones((B, T), dtype=bool)
    for b, n in enumerate(trace.meta.get("lengths") or []):
        valid[b] = False
        valid[b, slice(T - int(n), T) if trace.meta.get("pad_side") == "left" else slice(0, int(n))] = True
    return valid


def allowed_of(trace: Trace, batch: int = 0) -> np.ndarray:
    """The (query, key) mask a trace was captured with, rebuilt from its metadata (spec text and padding)."""
    spec = MaskSpec.parse(trace.meta.get("mask", "causal"))
    return spec.matrix(trace.n_pos) & key_valid_of(trace)[batch][None, :]


def batch_token_strings(trace: Trace, batch: int, vocabulary: Sequence[str] | None) -> list[str]:
    """Token strings of one sequence of the batch, pad positions shown as ␀."""
    if batch == 0:
        return list(trace.token_strings)
    valid = key_valid_of(trace)[batch]
    return [PAD_SHOWN if not ok else vocabulary[i] if vocabulary is not None else str(i)
            for i, ok in zip(trace.tokens[batch], valid)]


def stage_matrix(trace: Trace, layer: int, head: int, stage: str, batch: int = 0) -> np.ndarray:
    """One head's stage as float32, C-contiguous: (query, key) for scores…pattern, (pos, d_head) for z.

    ``scores`` and ``scaled`` are recomputed from the captured (rotated, with RoPE) q and k: the trace keeps the
    masked scores only.
    """
    if stage in ("scores", "scaled"):
        q = trace.get(hook(layer, "rot_q"), trace[hook(layer, "q")])[batch, :, head]
        k = trace.get(hook(layer, "rot_k"), trace[hook(layer, "k")])[batch, :, kv_head_of(trace.model_config, head)]
        matrix = q.astype(np.float32) @ k.astype(np.float32).T
        if stage == "scaled":
            matrix = matrix / np.float32(np.sqrt(q.shape[-1]))
    elif stage == "masked":
        matrix = trace[hook(layer, "attn_scores")][batch, head]
    elif stage == "pattern":
        matrix = trace[hook(layer, "pattern")][batch, head]
    elif stage == "z":
        matrix = trace[hook(layer, "z")][batch, :, head]
    else:
        raise BadInputError(f"Unknown attention stage {stage!r}.")
    return np.ascontiguousarray(matrix, dtype=np.float32)


def row_stats(pattern_row: np.ndarray) -> dict[str, float]:
    """Sum (1 for any row that may attend somewhere), entropy in nats, max weight and where it is."""
    row = np.asarray(pattern_row, dtype=np.float64)
    return {"sum": float(row.sum()), "entropy": float(row_entropy(row)), "max": float(row.max()),
            "argmax": int(row.argmax())}


def head_summary(patterns: np.ndarray, allowed: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """(layer, head) maps of :data:`SUMMARY_METRICS` from patterns (layer, head, query, key) of one sequence.

    Entropy averages rows that can see ≥ 2 keys (a one-key row has no choice); previous-token averages rows ≥ 1.
    Computed in float32, one layer at a time, so 144 heads at 512 tokens take a fraction of a second.
    """
    n_layer, n_head, T = patterns.shape[0], patterns.shape[1], patterns.shape[-1]
    allowed = np.tri(T, dtype=bool) if allowed is None else allowed
    choice = allowed.sum(-1) >= 2
    entropy = np.zeros((n_layer, n_head))
    for layer in range(n_layer):
        p = np.asarray(patterns[layer], dtype=np.float32)
        # p·log p with 0·log 0 = 0: the floor only ever multiplies an exact zero
        row_h = -(p * np.log(np.maximum(p, np.float32(1e-30)))).sum(-1)
        entropy[layer] = row_h[:, choice].mean(-1) if choice.any() else 0.0
    rows = np.arange(1, T)
    previous = patterns[..., rows, rows - 1].mean(-1) if T > 1 else np.zeros((n_layer, n_head))
    return {"entropy": entropy, "first": patterns[..., :, 0].mean(-1), "previous": previous,
            "diagonal": np.diagonal(patterns, axis1=-2, axis2=-1).mean(-1)}


def thumbnails(patterns: np.ndarray, size: int = 48) -> np.ndarray:
    """Patterns (layer, head, T, T) mean-pooled to (layer, head, s, s), s = min(T, size), for the model view."""
    T = patterns.shape[-1]
    s = min(T, size)
    edges = np.linspace(0, T, s + 1).astype(int)
    # Pool rows then columns with reduceat: one pass, no Python loop over pixels.
    rows = np.add.reduceat(patterns, edges[:-1], axis=-2) / np.diff(edges)[:, None]
    pooled = np.add.reduceat(rows, edges[:-1], axis=-1) / np.diff(edges)
    return pooled.astype(np.float32)


def trace_patterns(trace: Trace, batch: int = 0) -> np.ndarray:
    return np.stack([trace[hook(layer, "pattern")][batch] for layer in range(trace.n_layer)])


# --- jobs ----------------------------------------------------------------------------------------------------
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
    batch = pad_batch(ids, loaded.tokenizer.unk_id, pad_side)
    T = batch.tokens.shape[1]
    if loaded.model.cfg.pos == "learned" and T > loaded.model.cfg.n_ctx:
        raise BadInputError(f"The prompt has {T} tokens; this model reads at most {loaded.model.cfg.n_ctx}.")
    strings = [[loaded.tokenizer.tokens[i] if valid else PAD_SHOWN for i, valid in zip(row, ok)]
               for row, ok in zip(batch.tokens, batch.key_valid)]
    device = loaded.model.device
    allowed = torch.as_tensor(spec.allowed(T, batch.key_valid if len(texts) > 1 else None), device=device)
    meta = {"mask": spec.to_text(), "pad_side": pad_side, "lengths": list(batch.lengths) if len(texts) > 1 else [],
            "batch_texts": list(texts)}
    return MaskedInput(torch.as_tensor(batch.tokens, device=device), allowed, batch.key_valid, strings, meta)


def trace_input(trace: Trace, device: torch.device) -> MaskedInput:
    """The tokens and mask a trace was captured with, to run the same input again (debugger, ablation)."""
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
                    label=f"mask: {spec.to_text()}", allowed=inp.allowed)
    trace.meta.update(inp.meta)
    yield JobProgress(0.6, "Running without the mask for comparison…")
    plain = capture(loaded.model, inp.tokens[:1], names="logits")
    last = int(np.nonzero(inp.key_valid[0])[0][-1])  # the first prompt's last real token
    yield MaskEffect(spec.to_text(), compare_next_token(plain["logits"][0], trace["logits"][0], last))
    yield TraceCaptured(trace=trace, histograms=trace_histograms(trace.tensors, trace.n_layer))


def ablation_job(loaded: LoadedModel, inp: MaskedInput, spec: AblationSpec, position: int,
                 label: str) -> Iterator[object]:
    """Re-run the input with ``spec``'s heads ablated; the change at ``position`` and the ablated capture."""
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
    tokens = torch.tensor([list(prompt_ids)], dtype=torch.long, device=loaded.model.device)
    ablations = head_ablations(loaded.model, spec, tokens) if spec is not None and spec.heads else {}
    with ablated(loaded.model, ablations):
        for event in generate(loaded.model, prompt_ids, settings):
            yield JobProgress(event.step / settings.steps, f"Generating token {event.step}/{settings.steps}")
            yield GenerationEvent(event, loaded.tokenizer.tokens[event.token_id])
