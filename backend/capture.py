"""Run a forward pass and collect named tensors into a :class:`~lmscope.backend.trace.Trace`.

The one capture entry point for every model: a TinyGPT, or a Hugging Face model wrapped as ``HFModel`` (whose
hooks report the same names). Both are called as ``model(tokens, allowed=..., rec=...)``.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from lmscope.backend.models.recorder import NameFilter, Recorder
from lmscope.backend.trace import Trace

if TYPE_CHECKING:
    from lmscope.backend.models.hf import HFModel
    from lmscope.backend.models.tinygpt import TinyGPT

__all__ = ["Trace", "as_token_batch", "capture", "to_numpy"]


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


def trace_meta(cfg: Any) -> dict[str, Any]:
    """What a trace says about the model that made it, beyond its config: K/V are stored per KV head, the dtype
    it ran in, and (for an encoder) that its attention is bidirectional, in the mask words the panels read."""
    meta: dict[str, Any] = {"n_kv_head": int(cfg.n_kv_head), "model_dtype": str(getattr(cfg, "dtype", "float32")),
                            "architecture": str(getattr(cfg, "architecture", "TinyGPT"))}
    if not getattr(cfg, "causal", True):
        meta["mask"] = "bidirectional"
    return meta


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
) -> Trace:
    """Forward ``token_ids`` (pos,) or (batch, pos) through ``model`` and keep the tensors ``names`` selects.

    ``names`` is None (every hook), a glob such as ``"blocks.*.attn.hook_pattern"``, a list of globs, or a
    predicate. Attention is computed explicitly only in layers whose scores or pattern are asked for (TinyGPT;
    a Hugging Face model always runs eager attention). ``float16`` stores floating tensors in half precision
    (a 2,048-token pattern of GPT-2 small is 201 MB per layer in float32).
    """
    was_training = model.training
    model.eval()
    try:
        tokens = as_token_batch(token_ids, model.device)
        rec = Recorder(names)
        model(tokens, allowed=allowed, rec=rec)
        tensors = {}
        for name in list(rec.tensors):
            tensors[name] = to_numpy(rec.tensors.pop(name), float16)  # device copies go as soon as they are copied
    finally:
        model.train(was_training)
    ids = tokens.cpu().numpy()
    strings = list(token_strings) if token_strings is not None else [str(int(i)) for i in ids[0]]
    return Trace(tokens=ids, token_strings=strings, tensors=tensors, model_config=model.cfg.to_dict(),
                 text=text, label=label, meta=trace_meta(model.cfg))
