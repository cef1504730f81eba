"""Router statistics, defined exactly as in docs/moe.md (N tokens, E routed experts, top-k; p = softmax of the
router logits over the E routed experts).

- load_e = (number of (token, slot) assignments chosen for e) / (N·k); dropped assignments count as chosen.
- importance_e = mean over tokens of p_e.
- switch_aux = E · Σ_e load_e · importance_e (1.0 at perfect balance for any k: Megatron-Core's per-layer
  convention, which divides the slot count by k).
- z_loss = mean over tokens of (logsumexp of the router logits)² (ST-MoE).
- entropy = mean over tokens of −Σ_e p_e ln p_e, in nats.
- dropped_fraction = dropped assignments / (N·k).
- max_violation = (max_e count_e − mean count) / mean count = E · max_e load_e − 1 (MaxVio).
- hf_aux = transformers' ``load_balancing_loss_func`` on the same logits: every layer's tokens pooled, top-k taken
  from the softmax again, every slot counted without dividing by k — 2.0, not 1.0, for balanced top-2 routing.

Everything is float64 numpy, so the figures do not depend on torch or on the dtype the logits were stored in.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from lmscope.backend.errors import BadInputError


@dataclass(frozen=True)
class LayerStats:
    """One MoE layer's router statistics (the table of the router view and of ``lmscope moe --json``)."""

    layer: int
    load: np.ndarray  # (E,) fraction of routed slots, sums to 1
    importance: np.ndarray  # (E,) mean router probability, sums to 1
    switch_aux: float
    z_loss: float
    entropy: float  # nats
    dropped_fraction: float
    max_violation: float

    def to_json(self) -> dict[str, object]:
        return {f.name: (getattr(self, f.name).tolist() if isinstance(getattr(self, f.name), np.ndarray)
                         else getattr(self, f.name)) for f in dataclasses.fields(self)}


# The scalar columns, derived once from the dataclass (STYLE: one list per contract).
SCALAR_FIELDS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(LayerStats)
                                       if f.name not in ("layer", "load", "importance"))


def _finite(logits: np.ndarray, what: str) -> np.ndarray:
    logits = np.asarray(logits, dtype=np.float64)
    if logits.ndim != 2 or logits.shape[1] < 1:
        raise BadInputError(f"{what} should be a (tokens, experts) array, not shape {logits.shape}.")
    if not np.isfinite(logits).all():
        raise BadInputError(f"{what} hold NaN or infinite values.")
    return logits


def log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def logsumexp(logits: np.ndarray) -> np.ndarray:
    top = logits.max(axis=-1)
    return top + np.log(np.exp(logits - top[..., None]).sum(axis=-1))


def router_probs(logits: np.ndarray) -> np.ndarray:
    """softmax over the experts (float64)."""
    return np.exp(log_softmax(np.asarray(logits, dtype=np.float64)))


def expert_counts(topk_indices: np.ndarray, n_experts: int) -> np.ndarray:
    """How many (token, slot) assignments chose each expert."""
    idx = np.asarray(topk_indices).reshape(-1)
    if idx.size and (idx.min() < 0 or idx.max() >= n_experts):
        raise BadInputError(f"Top-k expert indices must lie in 0…{n_experts - 1}.")
    return np.bincount(idx.astype(np.int64), minlength=n_experts).astype(np.float64)


def layer_stats(router_logits: np.ndarray, topk_indices: np.ndarray, dropped: np.ndarray | None = None,
                layer: int = 0) -> LayerStats:
    """The statistics of one layer from its logits (N, E), chosen experts (N, k) and dropped mask (N, k)."""
    logits = _finite(router_logits, f"The router logits of layer {layer}")
    n, e = logits.shape
    idx = np.asarray(topk_indices)
    if idx.ndim != 2 or idx.shape[0] != n:
        raise BadInputError(f"The top-k indices of layer {layer} should be ({n}, k), not {idx.shape}.")
    k = idx.shape[1]
    slots = max(1, n * k)
    counts = expert_counts(idx, e)
    load = counts / slots
    logp = log_softmax(logits)
    p = np.exp(logp)
    importance = p.mean(axis=0) if n else np.zeros(e)
    # p ln p is 0 where p underflows to 0 (the limit), not NaN.
    entropy = float(-(p * np.where(p > 0, logp, 0.0)).sum(axis=-1).mean()) if n else 0.0
    z_loss = float((logsumexp(logits) ** 2).mean()) if n else 0.0
    n_dropped = 0.0
    if dropped is not None:
        drop = np.asarray(dropped)
        if drop.shape != idx.shape:
            raise BadInputError(f"The dropped mask of layer {layer} should have the top-k shape {idx.shape}.")
        n_dropped = float(np.count_nonzero(drop))
    return LayerStats(
        layer=layer, load=load, importance=importance,
        switch_aux=float(e * (load * importance).sum()),
        z_loss=z_loss, entropy=entropy, dropped_fraction=n_dropped / slots,
        max_violation=float(e * load.max() - 1.0) if n else 0.0,
    )


def hf_top_k(probs: np.ndarray, k: int) -> np.ndarray:
    """The k largest probabilities' experts per token, largest first (ties: the lower expert index first)."""
    order = np.argsort(-probs, axis=-1, kind="stable")
    return order[:, :k]


def hf_aux(layer_logits: Sequence[np.ndarray], top_k: int) -> float:
    """transformers' ``load_balancing_loss_func(gate_logits, num_experts, top_k)`` without an attention mask.

    All layers' (tokens, E) logits are concatenated; p = softmax; the top-k of p are counted per slot:
    E · Σ_slot Σ_e f_{slot,e} · P_e, with f the fraction of pooled tokens whose slot picked e.
    """
    if not layer_logits:
        raise BadInputError("There are no router logits to pool.")
    pooled = np.concatenate([_finite(x, "The router logits") for x in layer_logits], axis=0)
    n, e = pooled.shape
    if not 1 <= top_k <= e:
        raise BadInputError(f"top_k ({top_k}) must be between 1 and the number of experts ({e}).")
    if n == 0:
        return 0.0
    probs = router_probs(pooled)
    chosen = hf_top_k(probs, top_k)
    tokens_per_expert = np.stack([np.bincount(chosen[:, s], minlength=e) / n for s in range(top_k)])  # (k, E)
    return float(e * (tokens_per_expert * probs.mean(axis=0)[None]).sum())


def max_violation(load: np.ndarray) -> np.ndarray:
    """MaxVio of load arrays (..., E): E · max load − 1."""
    load = np.asarray(load, dtype=np.float64)
    return load.shape[-1] * load.max(axis=-1) - 1.0
