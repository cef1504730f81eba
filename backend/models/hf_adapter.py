"""Capture a Hugging Face model's tensors under TinyGPT's hook names, with forward hooks and eager attention.

Nothing of the model is re-implemented. Forward hooks on its own modules (found through ``hf_layout.LAYOUTS``)
report what flows through them; attention runs as transformers' own eager attention of the model's file, called
through a registered attention function (``lmscope_eager``) that also reports the rotated q/k, the scores and the
pattern. Only hooks whose names the recorder wants are attached, and only for one forward pass, so a capture
never keeps what the user did not ask for and an un-captured forward is the plain eager model.

Shapes are TinyGPT's: q (batch, pos, head, d_head); k and v (batch, pos, kv_head, d_head), i.e. per KV head under
GQA/MQA; scores and pattern (batch, head, query, key), per query head, masked scores −inf; z (batch, pos, head,
d_head); router logits / top-k (batch, pos, ·).
"""
from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn
from transformers import AttentionInterface
from transformers.masking_utils import ALL_MASK_ATTENTION_FUNCTIONS, AttentionMaskInterface, eager_mask

from lmscope.backend.models.hf_layout import Layout
from lmscope.backend.models.recorder import Recorder

ATTN_IMPLEMENTATION = "lmscope_eager"


@dataclass
class _Pass:
    """One capturing forward pass: the recorder, the batch shape, and which attention module is which layer."""

    rec: Recorder
    batch: int
    pos: int
    attn_prefix: dict[int, str] = field(default_factory=dict)  # id(attention module) -> "blocks.{l}.attn."
    rope: bool = False
    to_cpu: bool = False  # with a device map, move each tensor off its device as soon as it is recorded

    def record(self, name: str, tensor: torch.Tensor) -> None:
        if self.rec.wants(name):
            tensor = tensor.detach()
            self.rec.record(name, tensor.to("cpu") if self.to_cpu else tensor)


_ACTIVE: ContextVar[_Pass | None] = ContextVar("lmscope_hf_pass", default=None)


def _eager_of(module: nn.Module) -> Callable[..., tuple[torch.Tensor, torch.Tensor]]:
    """The eager attention function of the module's own modeling file (GPT-2, Llama and BERT each have one)."""
    return sys.modules[type(module).__module__].eager_attention_forward


def lmscope_attention(module: nn.Module, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
                      attention_mask: torch.Tensor | None, **kwargs: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """Transformers' eager attention for this module, reporting q/k after RoPE, scores and pattern when asked."""
    if getattr(module, "reorder_and_upcast_attn", False):  # GPT-2's optional float32 path, as eager takes it
        out, pattern = module._upcast_and_reordered_attn(query, key, value, attention_mask)
    else:
        out, pattern = _eager_of(module)(module, query, key, value, attention_mask, **kwargs)
    state = _ACTIVE.get()
    prefix = state.attn_prefix.get(id(module)) if state is not None else None
    if prefix is None:
        return out, pattern
    if state.rope:
        state.record(prefix + "hook_rot_q", query.transpose(1, 2))
        state.record(prefix + "hook_rot_k", key.transpose(1, 2))
    if state.rec.wants(prefix + "hook_attn_scores"):
        state.record(prefix + "hook_attn_scores", _scores(query, key, attention_mask, kwargs.get("scaling")))
    state.record(prefix + "hook_pattern", pattern)
    return out, pattern


def _scores(query: torch.Tensor, key: torch.Tensor, mask: torch.Tensor | None, scaling: float | None) -> torch.Tensor:
    """QKᵀ·scale per query head, −inf where the mask forbids (as TinyGPT shows them)."""
    group = query.shape[1] // key.shape[1]
    key = key.repeat_interleave(group, dim=1) if group > 1 else key  # HF's repeat_kv grouping
    scale = query.shape[-1] ** -0.5 if scaling is None else scaling
    scores = torch.matmul(query, key.transpose(-1, -2)) * scale
    if mask is not None:
        mask = mask[..., : key.shape[-2]]
        scores = scores.masked_fill(mask <= torch.finfo(mask.dtype).min / 2, float("-inf"))
    return scores


AttentionInterface.register(ATTN_IMPLEMENTATION, lmscope_attention)
AttentionMaskInterface.register(ATTN_IMPLEMENTATION, eager_mask)
assert ATTN_IMPLEMENTATION in ALL_MASK_ATTENTION_FUNCTIONS._global_mapping


def norm_parts(module: nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(scale, normalized) of a LayerNorm or RMSNorm's input, before its weight (and bias), in float32.

    LayerNorm: (x − mean)/√(var + ε); RMSNorm: x/√(mean(x²) + ε), as Llama's RMSNorm computes it (in float32).
    """
    x = x.float()
    eps = getattr(module, "eps", None)
    if eps is None:
        eps = getattr(module, "variance_epsilon", 1e-6)
    if isinstance(module, nn.LayerNorm):
        x = x - x.mean(-1, keepdim=True)
    scale = torch.sqrt(x.pow(2).mean(-1, keepdim=True) + eps)
    normalized = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps)
    return scale, normalized


def _first(output: Any) -> torch.Tensor:
    return output[0] if isinstance(output, (tuple, list)) else output


def _hidden_input(args: tuple, kwargs: dict) -> torch.Tensor:
    return args[0] if args else kwargs["hidden_states"]


class HookAdapter:
    """Attaches the hooks a recorder wants to one Hugging Face model, for the length of one forward pass."""

    def __init__(self, hf_model: nn.Module, layout: Layout, d_head: int, rope: bool, to_cpu: bool = False) -> None:
        self.model = hf_model
        self.base = hf_model.base_model
        self.layout = layout
        self.d_head = d_head
        self.rope = rope
        self.to_cpu = to_cpu
        self.blocks = list(self.base.get_submodule(layout.layers))
        self.unembed = hf_model.get_output_embeddings() if hf_model is not self.base else None

    def part(self, block: nn.Module, path: str) -> nn.Module | None:
        if not path:
            return None
        try:
            return block.get_submodule(path)
        except AttributeError:
            return None

    def is_moe(self, layer: int) -> bool:
        return self.part(self.blocks[layer], self.layout.block.router) is not None

    @contextmanager
    def capturing(self, rec: Recorder, batch: int, pos: int) -> Iterator[None]:
        state = _Pass(rec=rec, batch=batch, pos=pos, rope=self.rope, to_cpu=self.to_cpu)
        handles: list[Any] = []
        try:
            self._attach(state, handles)
            token = _ACTIVE.set(state)
            try:
                yield
            finally:
                _ACTIVE.reset(token)
        finally:
            for handle in handles:
                handle.remove()

    # --- wiring -----------------------------------------------------------------------------------------------
    def _attach(self, state: _Pass, handles: list[Any]) -> None:
        wants = state.rec.wants

        def on_output(module: nn.Module | None, names: tuple[str, ...], fn: Callable[[Any], None]) -> None:
            if module is not None and any(wants(n) for n in names):
                handles.append(module.register_forward_hook(lambda _m, _a, out: fn(out)))

        def on_input(module: nn.Module | None, names: tuple[str, ...], fn: Callable[[torch.Tensor], None]) -> None:
            if module is not None and any(wants(n) for n in names):
                handles.append(module.register_forward_pre_hook(
                    lambda _m, args, kwargs: fn(_hidden_input(args, kwargs)), with_kwargs=True))

        def norm_hook(module: nn.Module | None, prefix: str) -> None:
            def report(x: torch.Tensor) -> None:
                scale, normalized = norm_parts(module, x)
                state.record(prefix + "hook_scale", scale)
                state.record(prefix + "hook_normalized", normalized)
            on_input(module, (prefix + "hook_scale", prefix + "hook_normalized"), report)

        rec, lay, base = state.record, self.layout, self.base
        on_output(self.part(base, lay.embed), ("hook_embed",), lambda out: rec("hook_embed", out))
        on_output(self.part(base, lay.pos_embed), ("hook_pos_embed",),
                  lambda out: rec("hook_pos_embed", out.expand(state.batch, -1, -1)))
        on_output(self.part(base, lay.token_type_embed), ("hook_token_type_embed",),
                  lambda out: rec("hook_token_type_embed", out))
        for layer, block in enumerate(self.blocks):
            self._attach_block(state, block, f"blocks.{layer}.", on_output, on_input, norm_hook)
        norm_hook(self.part(base, lay.final_norm), "ln_final.")
        on_output(self.unembed, ("logits",), lambda out: rec("logits", out))

    def _attach_block(self, state: _Pass, block: nn.Module, prefix: str, on_output: Callable,
                      on_input: Callable, norm_hook: Callable) -> None:
        rec, parts, wants = state.record, self.layout.block, state.rec.wants
        attn, d_head = prefix + "attn.", self.d_head

        def heads(t: torch.Tensor) -> torch.Tensor:
            return t.view(*t.shape[:-1], -1, d_head)

        on_input(block, (prefix + "hook_resid_pre",), lambda x: rec(prefix + "hook_resid_pre", x))
        norm_hook(self.part(block, parts.ln1), prefix + "ln1.")
        for proj, hook in ((parts.q, "hook_q"), (parts.k, "hook_k"), (parts.v, "hook_v")):
            on_output(self.part(block, proj), (attn + hook,), lambda out, h=hook: rec(attn + h, heads(out)))

        def split_qkv(out: torch.Tensor) -> None:
            for hook, part in zip(("hook_q", "hook_k", "hook_v"), out.chunk(3, dim=-1)):
                rec(attn + hook, heads(part))
        on_output(self.part(block, parts.qkv), tuple(attn + h for h in ("hook_q", "hook_k", "hook_v")), split_qkv)
        core = self.part(block, parts.attn)
        if core is not None and any(wants(attn + h) for h in
                                    ("hook_rot_q", "hook_rot_k", "hook_attn_scores", "hook_pattern")):
            state.attn_prefix[id(core)] = attn
        o_proj = self.part(block, parts.o)
        on_input(o_proj, (attn + "hook_z",), lambda z: rec(attn + "hook_z", heads(z)))
        on_output(o_proj, (prefix + "hook_attn_out",), lambda out: rec(prefix + "hook_attn_out", out))
        if self.layout.post_norm:  # LN(x + attn_out) is the residual in the middle of the block
            on_output(self.part(block, parts.ln1), (prefix + "hook_resid_mid",),
                      lambda out: rec(prefix + "hook_resid_mid", out))
        else:
            on_input(self.part(block, parts.ln2), (prefix + "hook_resid_mid",),
                     lambda x: rec(prefix + "hook_resid_mid", x))
        norm_hook(self.part(block, parts.ln2), prefix + "ln2.")
        router = self.part(block, parts.router)
        if router is not None:
            self._attach_moe(state, block, router, prefix + "moe.", on_output, on_input)
            on_output(self.part(block, parts.moe), (prefix + "hook_mlp_out",),
                      lambda out: rec(prefix + "hook_mlp_out", _first(out)))
        else:
            mlp = prefix + "mlp."
            on_output(self.part(block, parts.mlp_in), (mlp + "hook_pre",), lambda out: rec(mlp + "hook_pre", out))
            on_output(self.part(block, parts.mlp_up), (mlp + "hook_pre_linear",),
                      lambda out: rec(mlp + "hook_pre_linear", out))
            down = self.part(block, parts.mlp_out)
            on_input(down, (mlp + "hook_post",), lambda x: rec(mlp + "hook_post", x))
            on_output(down, (prefix + "hook_mlp_out",), lambda out: rec(prefix + "hook_mlp_out", out))
        on_output(block, (prefix + "hook_resid_post",), lambda out: rec(prefix + "hook_resid_post", _first(out)))

    def _attach_moe(self, state: _Pass, block: nn.Module, router: nn.Module, moe: str, on_output: Callable,
                    on_input: Callable) -> None:
        rec, shape = state.record, (state.batch, state.pos, -1)

        def routed(out: tuple[torch.Tensor, torch.Tensor, torch.Tensor]) -> None:
            logits, weights, indices = out
            rec(moe + "hook_router_logits", logits.view(shape))
            rec(moe + "hook_topk_indices", indices.view(shape))
            rec(moe + "hook_topk_weights", weights.view(shape))
            if state.rec.wants(moe + "hook_dropped"):  # no capacity limit in these models: nothing is dropped
                rec(moe + "hook_dropped", torch.zeros_like(indices, dtype=torch.bool).view(shape))
        on_output(router, tuple(moe + h for h in ("hook_router_logits", "hook_topk_indices", "hook_topk_weights",
                                                  "hook_dropped")), routed)
        on_output(self.part(block, self.layout.block.shared_gate), (moe + "hook_shared_gate",),
                  lambda out: rec(moe + "hook_shared_gate", torch.sigmoid(out).view(shape)))


def attention_mask_4d(allowed: torch.Tensor, batch: int, pos: int, dtype: torch.dtype) -> torch.Tensor:
    """TinyGPT's boolean ``allowed`` (True where a query may see a key) as eager attention's additive mask."""
    allowed = torch.as_tensor(allowed, dtype=torch.bool)
    allowed = allowed.reshape((1,) * (4 - allowed.dim()) + tuple(allowed.shape)).expand(batch, -1, pos, pos)
    mask = torch.zeros(allowed.shape, dtype=dtype, device=allowed.device)
    return mask.masked_fill(~allowed, torch.finfo(dtype).min)


