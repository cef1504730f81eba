"""Run a forward pass and collect named tensors into a :class:`~lmscope.backend.trace.Trace`."""
from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import torch

from lmscope.backend.models.recorder import NameFilter, Recorder
from lmscope.backend.models.tinygpt import TinyGPT
from lmscope.backend.trace import Trace

__all__ = ["Trace", "as_token_batch", "capture", "to_numpy"]


def to_numpy(tensor: torch.Tensor) -> np.ndarray:
    """A detached CPU array; half-precision floats become float32 (numpy has no bfloat16).

    No extra copy on the CPU: every recorded tensor is a fresh activation that the forward pass never writes to
    again, so sharing its memory is safe and saves a copy per hook (capture cost, bench_foundation).
    """
    tensor = tensor.detach()
    if tensor.is_floating_point() and tensor.dtype not in (torch.float32, torch.float64):
        tensor = tensor.float()
    return tensor.to("cpu").numpy()


def as_token_batch(token_ids: Sequence[int] | np.ndarray | torch.Tensor, device: torch.device) -> torch.Tensor:
    ids = torch.as_tensor(np.asarray(token_ids), dtype=torch.long, device=device)
    return ids[None] if ids.dim() == 1 else ids


@torch.no_grad()
def capture(
    model: TinyGPT,
    token_ids: Sequence[int] | np.ndarray | torch.Tensor,
    names: str | Iterable[str] | NameFilter | None = None,
    *,
    token_strings: Sequence[str] | None = None,
    text: str = "",
    label: str = "",
    allowed: torch.Tensor | None = None,
) -> Trace:
    """Forward ``token_ids`` (pos,) or (batch, pos) through ``model`` and keep the tensors ``names`` selects.

    ``names`` is None (every hook), a glob such as ``"blocks.*.attn.hook_pattern"``, a list of globs, or a
    predicate. Attention is computed explicitly only in layers whose scores or pattern are asked for.
    """
    was_training = model.training
    model.eval()
    try:
        tokens = as_token_batch(token_ids, model.device)
        rec = Recorder(names)
        model(tokens, allowed=allowed, rec=rec)
        tensors = {name: to_numpy(t) for name, t in rec.tensors.items()}
    finally:
        model.train(was_training)
    ids = tokens.cpu().numpy()
    strings = list(token_strings) if token_strings is not None else [str(int(i)) for i in ids[0]]
    return Trace(tokens=ids, token_strings=strings, tensors=tensors, model_config=model.cfg.to_dict(),
                 text=text, label=label)
