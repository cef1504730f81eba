"""A TransformerLens-style full activation cache, simulated in plain torch on a Hugging Face GPT-2.

TransformerLens is not installed here (and 4.x removed ``HookedTransformer``), so the peer is simulated: one forward
of the same weights that keeps every hook ``run_with_cache`` keeps for GPT-2 — ``hook_embed``, ``hook_pos_embed``,
per block ``hook_resid_pre``, ``ln1.hook_scale``/``hook_normalized``, ``attn.hook_q/k/v``, ``attn.hook_attn_scores``
(masked, scaled), ``attn.hook_pattern``, ``attn.hook_z``, ``hook_attn_out``, ``hook_resid_mid``, ``ln2.*``,
``mlp.hook_pre``/``hook_post``, ``hook_mlp_out``, ``hook_resid_post``, then ``ln_final.*`` — as references to the
live tensors, as TransformerLens' cache does on the CPU (``tensor.detach()``, no copy). Attention is an eager function
that keeps its scores and pattern; layer norms compute their scale and normalized input explicitly, as
TransformerLens' LayerNorm does.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch
from torch import nn
from transformers import AttentionInterface
from transformers.masking_utils import AttentionMaskInterface, eager_mask

IMPLEMENTATION = "tl_sim"
_CACHE: dict[str, torch.Tensor] | None = None
_NAMES: dict[int, str] = {}


def _keep(name: str, tensor: torch.Tensor) -> None:
    if _CACHE is not None:
        _CACHE[name] = tensor.detach()


def tl_attention(module: nn.Module, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
                 attention_mask: torch.Tensor | None, scaling: float | None = None, dropout: float = 0.0,
                 **_: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """Eager attention that keeps q, k, v (batch, pos, head, d), the masked scores and the pattern."""
    prefix = _NAMES.get(id(module), "attn.")
    scale = query.shape[-1] ** -0.5 if scaling is None else scaling
    scores = torch.matmul(query, key.transpose(-1, -2)) * scale
    if attention_mask is not None:
        scores = scores + attention_mask
    pattern = torch.softmax(scores, dim=-1)
    for name, tensor in (("hook_q", query), ("hook_k", key), ("hook_v", value)):
        _keep(prefix + name, tensor.transpose(1, 2))
    _keep(prefix + "hook_attn_scores", scores)
    _keep(prefix + "hook_pattern", pattern)
    return torch.matmul(pattern, value).transpose(1, 2), pattern


AttentionInterface.register(IMPLEMENTATION, tl_attention)
AttentionMaskInterface.register(IMPLEMENTATION, eager_mask)


def _layer_norm(prefix: str):  # noqa: ANN202 - a forward pre-hook
    def hook(module: nn.LayerNorm, args: tuple) -> None:
        x = args[0]
        centred = x - x.mean(-1, keepdim=True)
        scale = (centred.pow(2).mean(-1, keepdim=True) + module.eps).sqrt()
        _keep(prefix + "hook_scale", scale)
        _keep(prefix + "hook_normalized", centred / scale)
    return hook


@contextmanager
def tl_style_cache(model: nn.Module) -> Iterator[dict[str, torch.Tensor]]:
    """Within the block, a forward of ``model`` (a GPT2LMHeadModel loaded with ``attn_implementation="tl_sim"``)
    fills the yielded dict with every hook TransformerLens would cache."""
    global _CACHE
    base = model.transformer
    handles: list[Any] = []

    def out(module: nn.Module, name: str, first: bool = False) -> None:
        handles.append(module.register_forward_hook(
            lambda _m, _a, o: _keep(name, o[0] if first and isinstance(o, tuple) else o)))

    def inp(module: nn.Module, name: str) -> None:
        handles.append(module.register_forward_pre_hook(lambda _m, a: _keep(name, a[0])))

    out(base.wte, "hook_embed")
    out(base.wpe, "hook_pos_embed")
    for layer, block in enumerate(base.h):
        p = f"blocks.{layer}."
        _NAMES[id(block.attn)] = p + "attn."
        inp(block, p + "hook_resid_pre")
        handles.append(block.ln_1.register_forward_pre_hook(_layer_norm(p + "ln1.")))
        inp(block.attn.c_proj, p + "attn.hook_z")
        out(block.attn, p + "hook_attn_out", first=True)
        inp(block.ln_2, p + "hook_resid_mid")
        handles.append(block.ln_2.register_forward_pre_hook(_layer_norm(p + "ln2.")))
        out(block.mlp.c_fc, p + "mlp.hook_pre")
        out(block.mlp.act, p + "mlp.hook_post")
        out(block.mlp, p + "hook_mlp_out")
        out(block, p + "hook_resid_post", first=True)
    handles.append(base.ln_f.register_forward_pre_hook(_layer_norm("ln_final.")))
    _CACHE = {}
    try:
        yield _CACHE
    finally:
        _CACHE = None
        for handle in handles:
            handle.remove()


def cache_bytes(cache: dict[str, torch.Tensor]) -> tuple[int, int]:
    """(bytes of scores + patterns, bytes of everything else), each tensor counted whole as TransformerLens does."""
    attention = sum(t.numel() * t.element_size() for n, t in cache.items() if n.endswith(("attn_scores", "pattern")))
    return attention, sum(t.numel() * t.element_size() for t in cache.values()) - attention
