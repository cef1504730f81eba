"""Plain data the Prediction dock is fed (numpy arrays and strings; the binding converts the backend's results)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class LensGridData:
    names: tuple[str, ...]  # residual points, top to bottom; the last is the model's prediction
    tokens: tuple[str, ...]  # the prompt, one per position
    top_strings: tuple[tuple[tuple[str, ...], ...], ...]  # [point][pos][k]
    top_logprobs: np.ndarray = field(repr=False)  # (point, pos, k)
    entropy: np.ndarray = field(repr=False)  # (point, pos) nats
    promoted: tuple[tuple[tuple[str, ...], ...], ...] = ()  # [block][pos][k]
    promoted_delta: np.ndarray | None = field(default=None, repr=False)  # (block, pos, k)
    suppressed: tuple[tuple[tuple[str, ...], ...], ...] = ()
    suppressed_delta: np.ndarray | None = field(default=None, repr=False)
    target: str = ""  # the target token as shown, "" without one
    target_rank: np.ndarray | None = field(default=None, repr=False)  # (point, pos), 1 = top
    target_logprob: np.ndarray | None = field(default=None, repr=False)


@dataclass(frozen=True)
class AttributionData:
    labels: tuple[str, ...]
    layers: tuple[int, ...]  # −1 for the embeddings
    indices: tuple[int, ...]  # head or expert, −1 otherwise
    kinds: tuple[str, ...]  # "head" rows open in the attention inspector
    direct: np.ndarray = field(repr=False)
    zero_ablation: np.ndarray | None = field(default=None, repr=False)
    mean_ablation: np.ndarray | None = field(default=None, repr=False)
    logit_diff: float = 0.0
    bias: float = 0.0
    scale: float = 1.0
    position: int = 0
    title: str = ""  # "“的” vs “。” at position 12 (“型”)


@dataclass(frozen=True)
class PatchingData:
    clean_tokens: tuple[str, ...]
    corrupt_tokens: tuple[str, ...]
    resid_pre: np.ndarray = field(repr=False)  # (layer, pos); NaN: not computed yet
    attn_out: np.ndarray = field(repr=False)
    mlp_out: np.ndarray = field(repr=False)
    heads: np.ndarray = field(repr=False)  # (layer, head)
    clean_diff: float = 0.0
    corrupt_diff: float = 0.0
    complete: bool = True
    title: str = ""
