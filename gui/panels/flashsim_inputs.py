"""Where the FlashAttention panel's Q, K and V come from: random inputs, or one head of the current capture.

A head's shape is read before its arrays are copied, so a run the panel would refuse never allocates them.
"""
from __future__ import annotations

from PySide6.QtCore import QCoreApplication
from typing import Any

import numpy as np

from lmscope.backend.errors import BadInputError


def head_sources(trace: Any) -> list[tuple[str, str]]:
    """Input choices: random Q, K, V, then every (layer, head) of the capture that recorded Q, K and V (from their
    shapes: a session's tensors are not read until a head runs — this runs on the GUI thread for every new trace)."""
    sources = [("random", QCoreApplication.translate("FlashSimPanel", "random Q, K, V"))]
    if trace is None:
        return sources
    for layer in range(trace.n_layer):
        names = _qkv_names(trace, layer)
        if names is None:
            continue
        q, k = trace.shape_of(names[0]), trace.shape_of(names[1])
        if len(q) != 4 or len(k) != 4 or not k[2] or q[2] % k[2]:
            continue
        group = q[2] // k[2]
        sources += [(f"head:{layer}:{head}", QCoreApplication.translate("FlashSimInputs", "layer {layer} · head {head}")
                     .format(layer=layer, head=head)
                     + (QCoreApplication.translate("FlashSimInputs", " (kv head {kv})").format(kv=head // group)
                        if group > 1 else "")) for head in range(q[2])]
    return sources


def _qkv_names(trace: Any, layer: int) -> tuple[str, str, str] | None:  # noqa: ANN401 - a Trace
    """The Q, K, V a layer attended with — the rotated Q, K of a RoPE model when recorded — or None."""
    prefix = f"blocks.{layer}.attn."
    tensors = trace.tensors  # ``in`` reads nothing, lazy or not
    names = (prefix + ("hook_rot_q" if prefix + "hook_rot_q" in tensors else "hook_q"),
             prefix + ("hook_rot_k" if prefix + "hook_rot_k" in tensors else "hook_k"), prefix + "hook_v")
    return names if all(name in tensors for name in names) else None


def _head_names(trace: Any, layer: int, head: int) -> tuple[str, str, str]:  # noqa: ANN401 - a Trace
    """The capture's Q, K, V names for ``layer``, after checking (from the shapes) that ``head`` is one of its heads."""
    names = _qkv_names(trace, layer)
    if names is None:
        raise BadInputError(QCoreApplication.translate("FlashSimInputs", "The capture has no Q, K and V for layer "
                                                                         "{layer}; pick another input.").format(
            layer=layer))
    n = trace.shape_of(names[0])[2]
    if not 0 <= head < n:
        raise BadInputError(QCoreApplication.translate("FlashSimInputs", "Layer {layer} has {n} heads; there is no "
                                                                         "head {head}.").format(layer=layer, n=n,
                                                                                                 head=head))
    return names


def head_shape(trace: Any, layer: int, head: int) -> tuple[int, int]:  # noqa: ANN401 - a Trace
    """(N, d_head) of one head's inputs, from the tensors' shapes alone."""
    shape = trace.shape_of(_head_names(trace, layer, head)[0])
    return int(shape[1]), int(shape[3])


def head_qkv(trace: Any, layer: int, head: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # noqa: ANN401
    """One query head's Q and its key/value head's K, V from the first sequence, as float64 (N, d_head).

    Float64 makes the simulator's error measure the algorithm, as for random inputs, not float32 rounding.
    """
    q, k, v = (trace[name] for name in _head_names(trace, layer, head))
    kv_head = head // (q.shape[2] // k.shape[2])  # grouped-query attention: heads share K, V in groups
    return tuple(np.ascontiguousarray(a, dtype=np.float64) for a in (q[0, :, head], k[0, :, kv_head],
                                                                     v[0, :, kv_head]))
