"""The attention panel's numbers: per-head stages read from a Trace, per-head summaries and thumbnails, KV groups.

Everything here returns numpy arrays and frozen dataclasses, so the GUI hands them to widgets unchanged.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from lmscope.backend.capture import Trace
from lmscope.backend.errors import BadInputError
from lmscope.backend.attention.expr import row_entropy
from lmscope.backend.attention.masks import MaskSpec

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
