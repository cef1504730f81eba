"""What the router view draws, as plain numpy data (the binding converts the backend's routing into these), and
the expert colours."""
from __future__ import annotations

import colorsys
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

# Okabe–Ito first (widgets/style.py's palette order, without white), so up to 7 experts get the colour-blind-safe
# set; beyond that, hues spaced by the golden angle at alternating lightness keep neighbours distinguishable.
BASE_COLORS = ["#56B4E9", "#E69F00", "#009E73", "#F0E442", "#CC79A7", "#D55E00", "#0072B2"]


@lru_cache(maxsize=16)
def expert_colors(n: int) -> np.ndarray:
    """(n, 4) uint8 RGBA, one colour per expert, the same for every n ≤ 7 prefix (read-only: cached)."""
    colors = []
    for e in range(n):
        if e < len(BASE_COLORS):
            h = BASE_COLORS[e].lstrip("#")
            rgb = [int(h[i: i + 2], 16) for i in (0, 2, 4)]
        else:
            hue = (0.11 + 0.381966 * e) % 1.0
            light = (0.45, 0.62, 0.78)[e % 3]
            sat = (0.85, 0.65)[(e // 3) % 2]
            rgb = [int(round(255 * c)) for c in colorsys.hls_to_rgb(hue, light, sat)]
        colors.append([*rgb, 255])
    table = np.asarray(colors, dtype=np.uint8).reshape(n, 4)
    table.flags.writeable = False
    return table


@dataclass(frozen=True)
class RouterView:
    """One capture's routing, every MoE layer: what the map, the heatmaps and the table show."""

    label: str
    tokens: tuple[str, ...]  # (N,) token text per routed token
    layers: tuple[int, ...]  # (L,) the model's block index of each MoE layer
    topk_indices: np.ndarray  # (L, N, k) int
    topk_weights: np.ndarray  # (L, N, k) float32
    dropped: np.ndarray  # (L, N, k) bool
    probs: np.ndarray  # (L, N, E) float32, softmax of the router logits
    load: np.ndarray  # (L, E)
    importance: np.ndarray  # (L, E)
    columns: tuple[tuple[str, str, bool], ...]  # (statistic, header, shown in percent)
    stats: np.ndarray  # (L, len(columns)) float64
    hf_aux: float
    shared_gate: np.ndarray | None = None  # (L, N, S) gate of the shared experts, None when ungated (always 1)
    n_shared: int = 0

    @property
    def n_experts(self) -> int:
        return int(self.probs.shape[-1])

    @property
    def top_k(self) -> int:
        return int(self.topk_indices.shape[-1])

    @property
    def n_tokens(self) -> int:
        return int(self.probs.shape[1])


@dataclass(frozen=True)
class LoadTimeline:
    """Load per expert and layer at every training snapshot of one run (and the aux-free bias, when used)."""

    label: str
    steps: np.ndarray  # (S,)
    layers: tuple[int, ...]  # (L,)
    load: np.ndarray  # (S, L, E)
    bias: np.ndarray | None = None  # (S, L, E)

    @property
    def max_violation(self) -> np.ndarray:
        """(S, L): E · max load − 1 at each snapshot and layer."""
        return self.load.shape[-1] * self.load.max(axis=-1) - 1.0


@dataclass(frozen=True)
class SoftView:
    """A Soft MoE capture: dispatch and combine weights of every layer for the first sequence."""

    label: str
    tokens: tuple[str, ...]  # (T,)
    layers: tuple[int, ...]  # (L,)
    dispatch: np.ndarray  # (L, T, slots): each slot's input as a mix of the tokens (columns sum to 1)
    combine: np.ndarray  # (L, T, slots): each token's output as a mix of the slots (rows sum to 1)
    n_experts: int
    slots_per_expert: int

    @property
    def n_tokens(self) -> int:
        return int(self.dispatch.shape[1])

    @property
    def n_slots(self) -> int:
        return int(self.dispatch.shape[2])
