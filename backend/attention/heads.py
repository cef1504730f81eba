"""The attention panel's numbers: per-head stages read from a Trace, per-head summaries and thumbnails, KV groups,
and the model view's job, which draws every head's thumbnail from q and k one head at a time.

Every pattern and score is read through :mod:`lmscope.backend.attention.patterns` (stored or recomputed). Everything
here returns numpy arrays and frozen dataclasses, so the GUI hands them to widgets unchanged.
"""
from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from lmscope.backend.attention.expr import row_entropy
from lmscope.backend.attention.patterns import (
    LayerMask, allowed_of, attention_scale, head_attention, head_blocks, holds, hook, key_valid_of, kv_head_of,
    layer_tensor, qk_names, sliding_window,
)
from lmscope.backend.capture import Trace
from lmscope.backend.errors import BadInputError
from lmscope.backend.jobs import JobProgress

__all__ = ["PAD_SHOWN", "SUMMARY_METRICS", "allowed_of", "hook", "key_valid_of", "kv_groups", "kv_head_of",
           "batch_token_strings", "stage_matrix", "row_stats", "head_summary", "thumbnails", "trace_patterns",
           "head_view", "HeadThumbnail", "model_view_job", "thumbnail_edges", "HeadShown", "head_shown", "head_job"]

PAD_SHOWN = "<pad>"  # the label of pad positions, so padding is visible in the heatmap
SUMMARY_METRICS = {
    "entropy": "mean row entropy (nats)",
    "first": "attention to the first token",
    "previous": "previous-token score",
    "diagonal": "diagonal (self) score",
}
THUMBNAIL = 48  # pixels a side of a model-view thumbnail (fewer for shorter prompts)


def kv_groups(config: dict) -> list[list[int]]:
    """For each key/value head, the query heads that read it (MHA: one each; MQA: all in one)."""
    groups: list[list[int]] = [[] for _ in range(int(config["n_kv_head"]))]
    for head in range(int(config["n_head"])):
        groups[kv_head_of(config, head)].append(head)
    return groups


def batch_token_strings(trace: Trace, batch: int, vocabulary: Sequence[str] | None) -> list[str]:
    """Token strings of one sequence of the batch, pad positions shown as ␀."""
    if batch == 0:
        return list(trace.token_strings)
    valid = key_valid_of(trace)[batch]
    return [PAD_SHOWN if not ok else vocabulary[i] if vocabulary is not None else str(i)
            for i, ok in zip(trace.tokens[batch], valid)]


def stage_matrix(trace: Trace, layer: int, head: int, stage: str, batch: int = 0) -> np.ndarray:
    """One head's stage as float32, C-contiguous: (query, key) for scores…pattern, (pos, d_head) for z.

    ``scores`` and ``scaled`` are q·kᵀ of the captured (rotated, with RoPE) q and k; ``masked`` and ``pattern`` come
    from the patterns accessor (stored, or recomputed exactly as the model did).
    """
    if stage in ("scores", "scaled"):
        names = qk_names(trace, layer)
        if names is None:
            raise BadInputError(f"This capture holds no q and k for layer {layer}.")
        q = trace[names[0]][batch, :, head]
        k_all = trace[names[1]]
        k = k_all[batch, :, head // max(1, trace[names[0]].shape[2] // k_all.shape[2])]
        matrix = q.astype(np.float32) @ k.astype(np.float32).T
        if stage == "scaled":  # as the model scaled them (÷√d, or a Hugging Face module's own factor)
            op, value = attention_scale(trace, layer, q.shape[-1])
            matrix = matrix * np.float32(value) if op == "multiply" else matrix / np.float32(value)
    elif stage == "masked":
        matrix = head_attention(trace, layer, head, batch).scores
        if matrix is None:
            raise BadInputError("This capture keeps patterns only; it has no scores to show.")
    elif stage == "pattern":
        matrix = head_attention(trace, layer, head, batch).pattern
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
    """Every pattern of one sequence as (layer, head, T, T): L·H·T² floats, for short prompts and benchmarks only
    (the model view walks heads one by one instead)."""
    return np.stack([layer_tensor(trace, layer, "pattern")[batch] for layer in range(trace.n_layer)])


# --- the model view, one head at a time ---------------------------------------------------------------------------
def thumbnail_edges(n_pos: int, size: int = THUMBNAIL) -> np.ndarray:
    """Row/column bin edges of a thumbnail: s = min(T, size) bins of (nearly) equal width."""
    return np.linspace(0, n_pos, min(n_pos, size) + 1).astype(int)


def head_view(trace: Trace, layer: int, head: int, batch: int = 0, size: int = THUMBNAIL,
              allowed: np.ndarray | LayerMask | None = None) -> tuple[np.ndarray, dict[str, float]]:
    """One head's mean-pooled thumbnail (s, s) and its :data:`SUMMARY_METRICS`, equal to :func:`thumbnails` and
    :func:`head_summary` of its full pattern, but computed from q and k in blocks of rows (memory: one block).

    A stored pattern is used as it is. ``allowed`` is the layer's mask (a :class:`LayerMask` shares the work of
    reading it between the layer's heads).
    """
    T = trace.n_pos
    edges = thumbnail_edges(T, size)
    if allowed is None:
        allowed = allowed_of(trace, batch, layer)
    if holds(trace, hook(layer, "pattern")) or qk_names(trace, layer) is None:
        p = head_attention(trace, layer, head, batch).pattern
        mask = allowed.allowed if isinstance(allowed, LayerMask) else allowed
        summary = head_summary(p[None, None], mask)
        return thumbnails(p[None, None], size)[0, 0], {k: float(v[0, 0]) for k, v in summary.items()}
    widths = np.diff(edges)
    bin_of_row = np.repeat(np.arange(len(widths)), widths)
    thumb = np.zeros((len(widths), len(widths)), dtype=np.float64)
    entropy_sum, entropy_rows, first, previous, diagonal = 0.0, 0, 0.0, 0.0, 0.0
    for block in head_blocks(trace, layer, head, batch, allowed, edges):
        p, r0, r1 = block.pattern, block.start, block.stop
        b0, b1 = np.searchsorted(edges, r0), np.searchsorted(edges, r1)
        # Rows into their bins with one small matmul (bins × rows)·(rows × keys) in torch (numpy's threaded BLAS
        # took 10× the CPU for it here), then columns with reduceat on the small result.
        pool = (bin_of_row[r0:r1][None, :] == np.arange(b0, b1)[:, None]).astype(np.float32)
        with torch.no_grad():
            rows = (torch.from_numpy(pool) @ torch.from_numpy(p)).numpy()
        cols = edges[:-1][edges[:-1] < p.shape[1]]
        thumb[b0:b1, : len(cols)] = np.add.reduceat(rows, cols, axis=1)
        choice = block.allowed_count >= 2
        entropy_sum += float(block.entropy[choice].sum(dtype=np.float64))
        entropy_rows += int(choice.sum())
        first += float(p[:, 0].sum(dtype=np.float64))
        i = np.arange(r0, r1)
        seen = i[i < p.shape[1]]  # keys past the block's last column are masked: their weight is 0
        diagonal += float(p[seen - r0, seen].sum(dtype=np.float64))
        j = i[(i >= 1) & (i - 1 < p.shape[1])]
        previous += float(p[j - r0, j - 1].sum(dtype=np.float64))
    thumb /= widths[:, None] * widths[None, :]
    summary = {"entropy": entropy_sum / entropy_rows if entropy_rows else 0.0, "first": first / T,
               "previous": previous / (T - 1) if T > 1 else 0.0, "diagonal": diagonal / T}
    return thumb.astype(np.float32), summary


@dataclass(frozen=True)
class HeadThumbnail:
    """One head of the model view: its thumbnail and summary numbers (see :func:`head_view`)."""

    layer: int
    head: int
    batch: int
    thumbnail: np.ndarray = field(repr=False)  # (s, s) float32
    summary: dict[str, float] = field(repr=False)


def model_view_job(trace: Trace, batch: int = 0, size: int = THUMBNAIL,
                   skip: Collection[tuple[int, int]] = ()) -> Iterator[object]:
    """Every head's thumbnail and summary, one head at a time, layer by layer; heads in ``skip`` are left out (the
    panel resumes a view it paused). Memory: one block of one head, plus the layer's (T, T) boolean mask."""
    n_layer = trace.n_layer
    n_head = int(trace.model_config["n_head"])
    total = n_layer * n_head
    done = len([h for h in skip if 0 <= h[0] < n_layer and 0 <= h[1] < n_head])
    yield JobProgress(done / total if total else 1.0, f"Model view: {done} of {total} heads")
    masks: dict[int, LayerMask] = {}
    for layer in range(n_layer):
        todo = [h for h in range(n_head) if (layer, h) not in skip]
        if not todo:
            continue
        window = sliding_window(trace, layer)
        if window not in masks:  # the same for every layer unless the model slides a window in some
            masks[window] = LayerMask.of(allowed_of(trace, batch, layer))
        allowed = masks[window]
        for head in todo:
            thumb, summary = head_view(trace, layer, head, batch, size, allowed)
            done += 1
            yield HeadThumbnail(layer, head, batch, thumb, summary)
            yield JobProgress(done / total, f"Model view: {done} of {total} heads")


# --- one head for the inspector -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class HeadShown:
    """What the inspector draws for one head: the chosen stage's matrix, and (for every stage but z) the pattern and
    the masked scores it shows beside it (None for a capture that keeps patterns only)."""

    layer: int
    head: int
    batch: int
    stage: str
    matrix: np.ndarray = field(repr=False)
    pattern: np.ndarray | None = field(repr=False)
    scores: np.ndarray | None = field(repr=False)


def head_shown(trace: Trace, layer: int, head: int, stage: str, batch: int = 0) -> HeadShown:
    matrix = stage_matrix(trace, layer, head, stage, batch)
    if stage == "z":
        return HeadShown(layer, head, batch, stage, matrix, None, None)
    attention = head_attention(trace, layer, head, batch)
    return HeadShown(layer, head, batch, stage, matrix, attention.pattern, attention.scores)


def head_job(trace: Trace, layer: int, head: int, stage: str, batch: int = 0) -> Iterator[object]:
    """:func:`head_shown` in the worker, for long prompts."""
    yield JobProgress(-1.0, f"Computing layer {layer}, head {head} from q and k…")
    yield head_shown(trace, layer, head, stage, batch)
