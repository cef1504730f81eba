"""The router tensors of a trace, checked and flattened to tokens: what the router view and ``lmscope moe`` read.

A captured MoE layer ``l`` records ``blocks.{l}.moe.hook_router_logits`` (batch, pos, E) and, when the model has them,
``hook_topk_indices`` / ``hook_topk_weights`` / ``hook_dropped`` (batch, pos, k) and ``hook_shared_gate``
(batch, pos, ·) — TinyGPT and the Hugging Face adapter use the same names. Batches are flattened in order (token
``b·T + t``). A trace is data from a file: every shape and value is checked, and a problem is one sentence.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lmscope.backend.errors import BadInputError
from lmscope.backend.moe.stats import LayerStats, hf_aux, hf_top_k, layer_stats, router_probs

ROUTER_HOOKS = ("hook_router_logits", "hook_topk_indices", "hook_topk_weights", "hook_dropped", "hook_shared_gate")
_LOGITS = re.compile(r"^blocks\.(\d+)\.moe\.hook_router_logits$")


def router_hook(layer: int, hook: str) -> str:
    return f"blocks.{layer}.moe.{hook}"


def router_names(n_layer: int) -> list[str]:
    """Every router hook name of a model with ``n_layer`` blocks (a capture filter)."""
    return [router_hook(layer, hook) for layer in range(n_layer) for hook in ROUTER_HOOKS]


def moe_layers(names: Any) -> list[int]:  # noqa: ANN401 - any iterable of hook names
    """The blocks that recorded router logits, in order."""
    return sorted(int(m.group(1)) for name in names if (m := _LOGITS.match(str(name))))


def has_router(tensors: Mapping[str, Any]) -> bool:
    return bool(moe_layers(tensors))


@dataclass(frozen=True)
class LayerRouting:
    """One MoE layer's routing, flattened to tokens."""

    layer: int
    router_logits: np.ndarray  # (N, E) float32
    topk_indices: np.ndarray  # (N, k) int64, the experts each token was sent to, slot order
    topk_weights: np.ndarray  # (N, k) float32, their combine weights
    dropped: np.ndarray  # (N, k) bool, True where capacity dropped the assignment
    shared_gate: np.ndarray | None = None  # (N, S) the per-token gate of the shared experts, if the model has one


@dataclass(frozen=True)
class Routing:
    """Every MoE layer of one trace."""

    layers: tuple[LayerRouting, ...]
    n_experts: int
    top_k: int
    n_shared: int
    token_strings: tuple[str, ...] = field(default=())

    @property
    def n_tokens(self) -> int:
        return int(self.layers[0].router_logits.shape[0]) if self.layers else 0

    @property
    def layer_ids(self) -> list[int]:
        return [r.layer for r in self.layers]

    def stats(self) -> list[LayerStats]:
        return [layer_stats(r.router_logits, r.topk_indices, r.dropped, r.layer) for r in self.layers]

    def hf_aux(self) -> float:
        return hf_aux([r.router_logits for r in self.layers], self.top_k)

    def summary(self, trace: int) -> dict[str, Any]:
        """The ``lmscope moe --json`` object."""
        return {"trace": trace, "n_tokens": self.n_tokens, "n_experts": self.n_experts, "top_k": self.top_k,
                "hf_aux": self.hf_aux(), "layers": [s.to_json() for s in self.stats()]}


def _flat(array: Any, name: str, n_tokens: int | None) -> np.ndarray:  # noqa: ANN401 - array-like from a file
    a = np.asarray(array)
    if a.ndim == 2:  # already (tokens, ·): transformers' flattened router_logits
        flat = a
    elif a.ndim == 3:
        flat = a.reshape(-1, a.shape[-1])
    else:
        raise BadInputError(f"{name} should be (batch, pos, ·), not shape {a.shape}.")
    if n_tokens is not None and flat.shape[0] != n_tokens:
        raise BadInputError(f"{name} covers {flat.shape[0]} tokens, the router logits {n_tokens}.")
    return flat


def _config_int(config: Mapping[str, Any], *keys: str) -> int | None:
    for key in keys:
        value = config.get(key)
        if isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value > 0:
            return int(value)
    return None


def layer_routing(tensors: Mapping[str, Any], layer: int, top_k: int | None = None) -> LayerRouting:
    """Read and check layer ``layer``'s router tensors; top-k indices missing from the trace are recomputed from
    the logits (the largest ``top_k`` probabilities, lower index first on ties), weights as their softmax."""
    name = router_hook(layer, "hook_router_logits")
    logits = _flat(tensors[name], name, None)
    if logits.dtype.kind != "f":
        raise BadInputError(f"{name} should hold floating-point logits, not {logits.dtype}.")
    if not np.isfinite(logits).all():
        raise BadInputError(f"{name} holds NaN or infinite values.")
    n, e = logits.shape
    if e < 1:
        raise BadInputError(f"{name} has no experts.")
    idx_name = router_hook(layer, "hook_topk_indices")
    if idx_name in tensors:
        idx = _flat(tensors[idx_name], idx_name, n)
        if idx.dtype.kind not in "iu":
            raise BadInputError(f"{idx_name} should hold integer expert indices, not {idx.dtype}.")
        if idx.size and (idx.min() < 0 or idx.max() >= e):
            raise BadInputError(f"{idx_name} names an expert outside 0…{e - 1}.")
        idx = idx.astype(np.int64)
    else:
        if top_k is None or not 1 <= top_k <= e:
            raise BadInputError(f"Layer {layer} has router logits but no top-k indices, and the model config does "
                                "not say its top-k.")
        idx = hf_top_k(router_probs(logits), top_k)
    k = idx.shape[1]
    if not 1 <= k <= e:
        raise BadInputError(f"{idx_name} picks {k} experts out of {e}.")
    w_name = router_hook(layer, "hook_topk_weights")
    if w_name in tensors:
        weights = _flat(tensors[w_name], w_name, n)
        if weights.shape != idx.shape or weights.dtype.kind != "f" or not np.isfinite(weights).all():
            raise BadInputError(f"{w_name} should be finite weights shaped like the top-k indices {idx.shape}.")
    else:
        chosen = np.take_along_axis(logits.astype(np.float64), idx, axis=1)
        weights = router_probs(chosen)
    d_name = router_hook(layer, "hook_dropped")
    if d_name in tensors:
        dropped = _flat(tensors[d_name], d_name, n)
        if dropped.shape != idx.shape or dropped.dtype.kind not in "bui":
            raise BadInputError(f"{d_name} should be a true/false mask shaped like the top-k indices {idx.shape}.")
        dropped = dropped.astype(bool)
    else:
        dropped = np.zeros(idx.shape, dtype=bool)
    g_name = router_hook(layer, "hook_shared_gate")
    gate = None
    if g_name in tensors:
        gate = _flat(tensors[g_name], g_name, n).astype(np.float32)
        if not np.isfinite(gate).all():
            raise BadInputError(f"{g_name} holds NaN or infinite values.")
    return LayerRouting(layer=layer, router_logits=logits.astype(np.float32, copy=False), topk_indices=idx,
                        topk_weights=weights.astype(np.float32, copy=False), dropped=dropped, shared_gate=gate)


def trace_routing(tensors: Mapping[str, Any], model_config: Mapping[str, Any] | None = None,
                  token_strings: Any = ()) -> Routing:  # noqa: ANN401
    """All MoE layers of a trace's tensors; :class:`BadInputError` with one sentence when there are none."""
    config = dict(model_config or {})
    layers = moe_layers(tensors)
    if not layers:
        raise BadInputError("This capture has no router tensors (blocks.*.moe.hook_router_logits): the model is "
                            "not a mixture of experts, or the capture left the router hooks out.")
    top_k = _config_int(config, "top_k", "num_experts_per_tok")
    routed = [layer_routing(tensors, layer, top_k) for layer in layers]
    first = routed[0]
    for r in routed[1:]:
        if r.router_logits.shape != first.router_logits.shape or r.topk_indices.shape != first.topk_indices.shape:
            raise BadInputError(f"Layer {r.layer}'s router tensors are shaped {r.router_logits.shape}/"
                                f"{r.topk_indices.shape}, layer {first.layer}'s {first.router_logits.shape}/"
                                f"{first.topk_indices.shape}.")
    n_shared = _config_int(config, "n_shared") or 0
    if first.shared_gate is not None:
        n_shared = max(n_shared, first.shared_gate.shape[1])
    strings = tuple(str(s) for s in token_strings)
    return Routing(layers=tuple(routed), n_experts=int(first.router_logits.shape[1]),
                   top_k=int(first.topk_indices.shape[1]), n_shared=n_shared, token_strings=strings)


# --- Soft MoE: no router picks experts; every slot mixes every token (dispatch) and every token mixes every slot ----

_DISPATCH = re.compile(r"^blocks\.(\d+)\.moe\.hook_dispatch$")


def soft_layers(names: Any) -> list[int]:  # noqa: ANN401 - any iterable of hook names
    """The blocks that recorded Soft MoE dispatch weights, in order."""
    return sorted(int(m.group(1)) for name in names if (m := _DISPATCH.match(str(name))))


@dataclass(frozen=True)
class SoftRouting:
    """Every Soft MoE layer's dispatch and combine weights for the first sequence of a trace (slot s belongs to
    expert s // slots_per_expert)."""

    layers: tuple[int, ...]
    dispatch: np.ndarray  # (L, T, slots): softmax over tokens — each slot's column sums to 1
    combine: np.ndarray  # (L, T, slots): softmax over slots — each token's row sums to 1
    n_experts: int
    slots_per_expert: int
    token_strings: tuple[str, ...] = ()

    def expert_share(self) -> np.ndarray:
        """(L, T, E): how much of each token's output comes from each expert (its slots' combine weights)."""
        L, T, _ = self.combine.shape
        return self.combine.reshape(L, T, self.n_experts, self.slots_per_expert).sum(-1)


def _soft_matrix(tensors: Mapping[str, Any], name: str, shape: tuple[int, ...] | None) -> np.ndarray:
    a = np.asarray(tensors[name])
    if a.ndim != 3 or a.dtype.kind != "f" or a.shape[1] == 0 or a.shape[2] == 0:
        raise BadInputError(f"{name} should be a non-empty (batch, pos, slots) array of weights, not {a.shape} "
                            f"{a.dtype}.")
    if shape is not None and a.shape != shape:
        raise BadInputError(f"{name} is shaped {a.shape}, the first Soft MoE layer's weights {shape}.")
    if not np.isfinite(a).all() or a.min() < 0 or a.max() > 1:
        raise BadInputError(f"{name} should hold weights between 0 and 1.")
    return a


def trace_soft_routing(tensors: Mapping[str, Any], model_config: Mapping[str, Any] | None = None,
                       token_strings: Any = ()) -> SoftRouting:  # noqa: ANN401
    layers = soft_layers(tensors)
    if not layers:
        raise BadInputError("This capture has no Soft MoE weights (blocks.*.moe.hook_dispatch).")
    shape: tuple[int, ...] | None = None
    dispatch, combine = [], []
    for layer in layers:
        d = _soft_matrix(tensors, router_hook(layer, "hook_dispatch"), shape)
        shape = d.shape
        c_name = router_hook(layer, "hook_combine")
        if c_name not in tensors:
            raise BadInputError(f"Layer {layer} has Soft MoE dispatch weights but no combine weights.")
        c = _soft_matrix(tensors, c_name, shape)
        dispatch.append(d[0])
        combine.append(c[0])
    slots = shape[2]
    n_experts = _config_int(dict(model_config or {}), "n_experts") or slots
    if slots % n_experts:
        raise BadInputError(f"The Soft MoE weights have {slots} slots, which {n_experts} experts cannot share.")
    return SoftRouting(layers=tuple(layers), dispatch=np.stack(dispatch).astype(np.float32),
                       combine=np.stack(combine).astype(np.float32), n_experts=n_experts,
                       slots_per_expert=slots // n_experts, token_strings=tuple(str(s) for s in token_strings))
