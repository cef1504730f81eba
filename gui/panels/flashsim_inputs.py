"""Where the FlashAttention panel's Q, K and V come from: random inputs, or one head of the current capture.

A head's shape is read before its arrays are copied, so a run the panel would refuse never allocates them.
"""
from __future__ import annotations

from PySide6.QtCore import QCoreApplication
from typing import Any

import numpy as np

from lmscope.backend.errors import BadInputError


def head_sources(trace: Any) -> list[tuple[str, str]]:
    """Input choices: random Q, K, V, then every (layer, head) of the capture that recorded Q, K and V."""
    sources = [("random", QCoreApplication.translate("FlashSimPanel", "random Q, K, V"))]
    if trace is None:
        return sources
    for layer in range(trace.n_layer):
        q = trace.tensors.get(f"blocks.{layer}.attn.hook_q")
        k = trace.tensors.get(f"blocks.{layer}.attn.hook_k")
        if q is None or k is None or f"blocks.{layer}.attn.hook_v" not in trace.tensors:
            continue
        group = q.shape[2] // k.shape[2]
        sources += [(f"head:{layer}:{head}", QCoreApplication.translate("FlashSimInputs", "layer {layer} · head {head}")
                     .format(layer=layer, head=head)
                     + (QCoreApplication.translate("FlashSimInputs", " (kv head {kv})").format(kv=head // group)
                        if group > 1 else "")) for head in range(q.shape[2])]
    return sources


def _head_tensors(trace: Any, layer: int, head: int) -> tuple[Any, Any, Any]:  # noqa: ANN401 - a Trace
    """The capture's Q, K, V tensors for ``layer`` (not copied), after checking that ``head`` is one of its heads.

    RoPE models attend with the rotated Q, K, so those are preferred when recorded.
    """
    prefix = f"blocks.{layer}.attn."
    tensors = trace.tensors
    names = [prefix + ("hook_rot_q" if prefix + "hook_rot_q" in tensors else "hook_q"),
             prefix + ("hook_rot_k" if prefix + "hook_rot_k" in tensors else "hook_k"), prefix + "hook_v"]
    if any(name not in tensors for name in names):
        raise BadInputError(QCoreApplication.translate("FlashSimInputs", "The capture has no Q, K and V for layer "
                                                                         "{layer}; pick another input.").format(
            layer=layer))
    q, k, v = (tensors[name] for name in names)
    if not 0 <= head < q.shape[2]:
        raise BadInputError(QCoreApplication.translate("FlashSimInputs", "Layer {layer} has {n} heads; there is no "
                                                                         "head {head}.").format(layer=layer,
                                                                                                n=q.shape[2],
                                                                                                 head=head))
    return q, k, v


def head_shape(trace: Any, layer: int, head: int) -> tuple[int, int]:  # noqa: ANN401 - a Trace
    """(N, d_head) of one head's inputs, from the tensors' shapes alone."""
    q, _, _ = _head_tensors(trace, layer, head)
    return int(q.shape[1]), int(q.shape[3])


def head_qkv(trace: Any, layer: int, head: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # noqa: ANN401
    """One query head's Q and its key/value head's K, V from the first sequence, as float64 (N, d_head).

    Float64 makes the simulator's error measure the algorithm, as for random inputs, not float32 rounding.
    """
    q, k, v = _head_tensors(trace, layer, head)
    kv_head = head // (q.shape[2] // k.shape[2])  # grouped-query attention: heads share K, V in groups
    return tuple(np.ascontiguousarray(a, dtype=np.float64) for a in (q[0, :, head], k[0, :, kv_head],
                                                                     v[0, :, kv_head]))
