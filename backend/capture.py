"""Run a forward pass and collect named tensors into a :class:`~lmscope.backend.trace.Trace`.

The one capture entry point for every model: a TinyGPT, or a Hugging Face model wrapped as ``HFModel`` (whose
hooks report the same names). Both are called as ``model(tokens, allowed=..., rec=...)``.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from lmscope.backend.attention.patterns import PATTERN_HOOKS, store_patterns_by_default
from lmscope.backend.models.recorder import NameFilter, Recorder, name_filter
from lmscope.backend.trace import Trace

if TYPE_CHECKING:
    from lmscope.backend.models.hf import HFModel
    from lmscope.backend.models.tinygpt import TinyGPT

__all__ = ["Trace", "as_token_batch", "capture", "keeps_patterns", "to_numpy"]


def to_numpy(tensor: torch.Tensor, float16: bool = False) -> np.ndarray:
    """A detached CPU array; half-precision floats become float32 (numpy has no bfloat16), or every float becomes
    float16 when ``float16`` is asked for (converted on the device, so only half the bytes cross to the host).

    No extra copy on the CPU: every recorded tensor is a fresh activation that the forward pass never writes to
    again, so sharing its memory is safe and saves a copy per hook (capture cost, bench_foundation).
    """
    tensor = tensor.detach()
    if tensor.is_floating_point():
        if float16:
            tensor = tensor.to(torch.float16)
        elif tensor.dtype not in (torch.float32, torch.float64):
            tensor = tensor.float()
    return tensor.to("cpu").numpy()


def as_token_batch(token_ids: Sequence[int] | np.ndarray | torch.Tensor, device: torch.device) -> torch.Tensor:
    ids = torch.as_tensor(np.asarray(token_ids), dtype=torch.long, device=device)
    return ids[None] if ids.dim() == 1 else ids


def trace_meta(cfg: Any, model: Any = None, own_mask: bool = True) -> dict[str, Any]:
    """What a trace says about the model that made it, beyond its config: K/V are stored per KV head, the dtype
    it ran in, (for an encoder) that its attention is bidirectional in the mask words the panels read, and what a
    pattern recomputed from q and k needs to be the model's own (backend/attention/patterns.py): how a row with
    every key masked comes out, and for a Hugging Face model each layer's score scale and, when it built its own
    mask (``own_mask``), each layer's sliding window."""
    meta: dict[str, Any] = {"n_kv_head": int(cfg.n_kv_head), "model_dtype": str(getattr(cfg, "dtype", "float32")),
                            "architecture": str(getattr(cfg, "architecture", "TinyGPT"))}
    if not getattr(cfg, "causal", True):
        meta["mask"] = "bidirectional"
    hf = getattr(cfg, "kind", "tinygpt") == "hf"
    # TinyGPT masks with −∞ and shows a row with no key as zeros; HF eager adds the dtype's minimum to every masked
    # cell, so such a row has equal scores everywhere and softmax spreads it evenly.
    meta["empty_rows"] = "uniform" if hf else "zero"
    if hf and model is not None:
        modules = _hf_attention_modules(model)
        scales = [getattr(m, "scaling", None) for m in modules]
        if modules and all(isinstance(s, (int, float)) for s in scales):
            meta["attn_scale"] = [float(s) for s in scales]
        windows = [_sliding_window(m) for m in modules]
        if own_mask and any(windows):
            meta["sliding_window"] = windows
    return meta


def _hf_attention_modules(model: Any) -> list[Any]:
    """Each layer's attention module of a wrapped Hugging Face model (its ``scaling`` is what eager multiplies by)."""
    adapter = getattr(model, "adapter", None)
    if adapter is None:
        return []
    return [adapter.part(block, adapter.layout.block.attn) for block in adapter.blocks]


def _sliding_window(module: Any) -> int:
    """The layer's sliding window, 0 for none: Qwen2 sets it per layer, Mixtral in its config for every layer."""
    if module is None:
        return 0
    window = getattr(module, "sliding_window", None) if hasattr(module, "sliding_window") else getattr(
        getattr(module, "config", None), "sliding_window", None)
    return int(window) if isinstance(window, int) and window > 0 else 0


def keeps_patterns(store_patterns: bool | None, names: object, n_layer: int, n_head: int, tokens_shape: tuple,
                   allowed: object = None) -> bool:
    """Whether a capture keeps full scores and patterns (else they are recomputed from q and k when asked).

    Kept when keys were chosen from the scores (a mask that is not a fixed matrix: nothing to recompute them with),
    when asked (``store_patterns=True``), when a name filter names them (``names``), and otherwise only while cheap
    (:func:`~lmscope.backend.attention.patterns.store_patterns_by_default`).
    """
    if allowed is not None and not isinstance(allowed, torch.Tensor):
        return True
    if store_patterns is not None:
        return bool(store_patterns)
    if names is not None:
        return True
    batch, n_pos = (1, tokens_shape[-1]) if len(tokens_shape) == 1 else tokens_shape[-2:]
    return store_patterns_by_default(n_layer, n_head, int(n_pos), int(batch))


@torch.no_grad()
def capture(
    model: "TinyGPT | HFModel",
    token_ids: Sequence[int] | np.ndarray | torch.Tensor,
    names: str | Iterable[str] | NameFilter | None = None,
    *,
    token_strings: Sequence[str] | None = None,
    text: str = "",
    label: str = "",
    allowed: torch.Tensor | None = None,
    float16: bool = False,
    store_patterns: bool | None = None,
) -> Trace:
    """Forward ``token_ids`` (pos,) or (batch, pos) through ``model`` and keep the tensors ``names`` selects.

    ``names`` is None (every hook), a glob such as ``"blocks.*.attn.hook_pattern"``, a list of globs, or a
    predicate. Attention is computed explicitly only in layers whose scores or pattern are asked for (TinyGPT;
    a Hugging Face model always runs eager attention). ``float16`` stores floating tensors in half precision
    (a 2,048-token pattern of GPT-2 small is 201 MB per layer in float32).

    ``store_patterns``: whether to keep ``hook_attn_scores``/``hook_pattern`` (see :func:`keeps_patterns`; None
    decides by size). Without them a panel recomputes a head's pattern from the stored q and k, exactly, on demand.
    """
    was_training = model.training
    model.eval()
    try:
        tokens = as_token_batch(token_ids, model.device)
        wanted = name_filter(names)
        if not keeps_patterns(store_patterns, names, int(model.cfg.n_layer), int(model.cfg.n_head),
                              tuple(tokens.shape), allowed):
            rec = Recorder(lambda name: wanted(name) and not name.endswith(PATTERN_HOOKS))
        else:
            rec = Recorder(wanted)
        model(tokens, allowed=allowed, rec=rec)
        tensors = {}
        for name in list(rec.tensors):
            tensors[name] = to_numpy(rec.tensors.pop(name), float16)  # device copies go as soon as they are copied
    finally:
        model.train(was_training)
    ids = tokens.cpu().numpy()
    strings = list(token_strings) if token_strings is not None else [str(int(i)) for i in ids[0]]
    return Trace(tokens=ids, token_strings=strings, tensors=tensors, model_config=model.cfg.to_dict(),
                 text=text, label=label, meta=trace_meta(model.cfg, model, own_mask=allowed is None))
