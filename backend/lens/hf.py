"""The lens's view of a Hugging Face decoder (GPT-2, Llama, Qwen2, Mixtral, Qwen2-MoE) loaded by backend/models/hf.py.

Nothing of the model is re-implemented: edits are plain torch hooks on its own modules, found through the same
layout table the capture adapter uses (``hf_layout.LAYOUTS``), and captures are the adapter's own.

- ``blocks.{l}.hook_resid_pre``: a forward pre-hook on block l replaces the hidden states it receives;
- ``blocks.{l}.attn.hook_z``: a pre-hook on attention's output projection (GPT-2's ``c_proj``, ``o_proj``) replaces
  its input, seen as (batch, pos, head, d_head);
- ``blocks.{l}.hook_attn_out``: a forward hook on that projection replaces its output;
- ``blocks.{l}.hook_mlp_out``: a forward hook on the MLP's down projection (the whole sparse block for an MoE
  layer) replaces its output.

The final norm is the model's own (GPT-2's ``ln_f``, the decoders' RMSNorm ``norm``); with its scale frozen it is
computed here from the module's weight, bias and epsilon. ``run_from(layer, …)`` skips blocks before ``layer`` (their
forward is swapped for the identity for one pass). Per-expert attribution calls the model's own experts module with
every token routed to one expert at the router's weight. Encoders and models without a language-model head are
refused in one sentence; so is a model dispatched over devices (its offloaded weights are not tensors between
passes).
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import torch
from torch import nn

from lmscope.backend.attention.generate import AblationSpec, head_ablations, mlp_ablations
from lmscope.backend.errors import BadInputError
from lmscope.backend.lens.model import Component, Edit, LensModel, Tokenizer
from lmscope.backend.models.hf import HFModel
from lmscope.backend.models.recorder import Recorder


def _first(output: Any) -> torch.Tensor:  # noqa: ANN401 - a module's output: a tensor or a tuple
    return output[0] if isinstance(output, (tuple, list)) else output


def _replace_first(output: Any, fn: Edit) -> Any:  # noqa: ANN401
    if isinstance(output, tuple):
        return (fn(output[0]), *output[1:])
    return fn(output)


def _pre_edit(fn: Edit) -> Any:  # noqa: ANN401 - a forward pre-hook taking kwargs
    """A pre-hook (with_kwargs) that replaces the module's first input, positional or ``hidden_states=``."""
    def hook(_m: nn.Module, args: tuple, kwargs: dict) -> tuple[tuple, dict]:
        if args:
            return (fn(args[0]), *args[1:]), kwargs
        return args, {**kwargs, "hidden_states": fn(kwargs["hidden_states"])}
    return hook


def _identity_block(hidden_states: torch.Tensor, *_args: Any, **_kwargs: Any) -> torch.Tensor:  # noqa: ANN401
    return hidden_states


class HFLens(LensModel):
    """A causal Hugging Face language model through forward hooks on its own modules."""

    def __init__(self, model: HFModel, tokenizer: Tokenizer) -> None:
        cfg = model.cfg
        name = cfg.source.get("name") or cfg.architecture
        if not cfg.causal:
            raise BadInputError(f"{name} is an encoder ({cfg.architecture}): it reads both sides of every position "
                                "and has no next-token prediction to explain, so the logit lens, attribution and "
                                "patching need a decoder such as GPT-2, Llama or Qwen2.")
        if not cfg.has_logits:
            raise BadInputError(f"{name} was loaded without its language-model head, so it has no next-token logits "
                                "for the logit lens, attribution or patching to explain.")
        if getattr(model.hf, "hf_device_map", None):
            raise BadInputError(f"{name} is spread over several devices (a device map); the logit lens, attribution "
                                "and patching run a model on one device, so reopen it without a device map.")
        self.model, self.tokenizer = model.eval(), tokenizer
        self.adapter = model.adapter
        self.layout = self.adapter.layout
        self.blocks = self.adapter.blocks
        self.n_layer, self.n_head, self.d_model, self.d_head = cfg.n_layer, cfg.n_head, cfg.d_model, cfg.d_head
        self.max_positions = cfg.n_ctx if cfg.pos == "learned" else None
        self.final = self.adapter.part(self.adapter.base, self.layout.final_norm)
        self.unembed = self.adapter.unembed
        if self.final is None or self.unembed is None:  # every supported decoder has both
            raise BadInputError(f"{name} has no final norm or no unembedding where lmscope expects them.")

    @property
    def device(self) -> torch.device:
        return self.model.device

    # --- modules ------------------------------------------------------------------------------------------------
    def _o(self, layer: int) -> nn.Module:
        return self.blocks[layer].get_submodule(self.layout.block.o)

    def _ffn(self, layer: int) -> nn.Module:
        """The module whose output is ``hook_mlp_out``: the sparse MoE block, or the dense MLP's down projection."""
        parts = self.layout.block
        return self.blocks[layer].get_submodule(parts.moe if self.adapter.is_moe(layer) else parts.mlp_out)

    # --- forward passes with edits ------------------------------------------------------------------------------
    def _position_module(self) -> nn.Module:
        return self.unembed  # only the measured position is unembedded (the vocabulary projection dominates)

    def _edit_hook(self, layer: int, point: str, fn: Edit) -> Any:  # noqa: ANN401 - a RemovableHandle
        if point == "hook_resid_pre":
            return self.blocks[layer].register_forward_pre_hook(_pre_edit(fn), with_kwargs=True)
        if point == "hook_attn_out":
            return self._o(layer).register_forward_hook(lambda _m, _a, out: _replace_first(out, fn))
        if point == "hook_mlp_out":
            return self._ffn(layer).register_forward_hook(lambda _m, _a, out: _replace_first(out, fn))
        n_head, d_head = self.n_head, self.d_head

        def edit_z(flat: torch.Tensor) -> torch.Tensor:
            return fn(flat.reshape(*flat.shape[:-1], n_head, d_head)).reshape(flat.shape)

        return self._o(layer).register_forward_pre_hook(_pre_edit(edit_z), with_kwargs=True)

    def _forward(self, tokens: torch.Tensor, rec: Recorder | None) -> torch.Tensor:
        return self.model(tokens, rec=rec)

    @contextmanager
    def _skipping(self, layer: int) -> Iterator[None]:
        """Blocks before ``layer`` pass their input through unchanged for the length of the context: their output
        is replaced anyway when a pass starts at ``layer``."""
        try:
            for block in self.blocks[:layer]:
                block.forward = _identity_block  # an instance attribute: nn.Module.__call__ finds it first
            yield
        finally:
            for block in self.blocks[:layer]:
                block.__dict__.pop("forward", None)

    @torch.no_grad()
    def run_from(self, layer: int, resid: torch.Tensor, tokens: torch.Tensor,
                 edits: Mapping[str, Edit] | None = None, position: int | None = None, start: int = 0,
                 prefix: Mapping[str, torch.Tensor] | None = None) -> torch.Tensor:
        with self._skipping(layer):
            return super().run_from(layer, resid, tokens, edits, position, start, prefix)

    def encode_token(self, text: str) -> list[int]:
        """A token as typed: without the special tokens a prompt gets (Llama's ``<s>``)."""
        fast = getattr(self.tokenizer, "fast", None)
        if fast is None:
            return self.encode(text)
        return list(fast(text, add_special_tokens=False, verbose=False)["input_ids"])

    # --- the final norm and the unembedding ---------------------------------------------------------------------
    def _eps(self) -> float:
        eps = getattr(self.final, "eps", None)
        return float(eps if eps is not None else getattr(self.final, "variance_epsilon", 1e-6))

    def final_norm(self, resid: torch.Tensor, scale: torch.Tensor | None = None) -> torch.Tensor:
        ln = self.final
        if scale is None:
            return ln(resid.to(ln.weight.dtype))
        weight = ln.weight.to(resid.dtype)
        if isinstance(ln, nn.LayerNorm):
            return (resid - resid.mean(-1, keepdim=True)) / scale * weight + ln.bias.to(resid.dtype)
        return resid / scale * weight  # RMSNorm (Llama, Qwen2, Mixtral, Qwen2-MoE): x / √(mean x² + ε) · g

    def final_norm_scale(self, resid: torch.Tensor) -> torch.Tensor | None:
        x = resid - resid.mean(-1, keepdim=True) if isinstance(self.final, nn.LayerNorm) else resid
        return torch.sqrt(x.pow(2).mean(-1, keepdim=True) + self._eps())

    @property
    def unembed_weight(self) -> torch.Tensor:
        return self.unembed.weight.T

    @property
    def unembed_bias(self) -> torch.Tensor | None:
        return getattr(self.unembed, "bias", None)

    def head_out_weight(self, layer: int) -> torch.Tensor:
        o = self._o(layer)
        # nn.Linear stores (out, in); GPT-2's Conv1D stores (in, out).
        w = o.weight.T if isinstance(o, nn.Linear) else o.weight
        return w.reshape(self.n_head, self.d_head, self.d_model)

    def attn_out_bias(self, layer: int) -> torch.Tensor | None:
        return getattr(self._o(layer), "bias", None)

    # --- mixture of experts: one component per expert -----------------------------------------------------------
    def _moe_layers(self) -> list[int]:
        return [layer for layer in range(self.n_layer) if self.adapter.is_moe(layer)]

    def ffn_capture_names(self) -> list[str]:
        names = []
        for layer in self._moe_layers():
            p = f"blocks.{layer}."
            names += [p + "hook_resid_mid", p + "moe.hook_topk_indices", p + "moe.hook_topk_weights"]
        return names

    @torch.no_grad()
    def ffn_components(self, layer: int, cap: Mapping[str, torch.Tensor]) -> list[tuple[Component, torch.Tensor]]:
        if not self.adapter.is_moe(layer):
            return super().ffn_components(layer, cap)
        block, parts = self.blocks[layer], self.layout.block
        moe = block.get_submodule(parts.moe)
        p = f"blocks.{layer}."
        x = block.get_submodule(parts.ln2)(cap[p + "hook_resid_mid"][0])  # what the router and experts read
        idx, weights = cap[p + "moe.hook_topk_indices"][0], cap[p + "moe.hook_topk_weights"][0]
        n_experts = int(getattr(moe.experts, "num_experts", self.model.cfg.n_experts))
        out = []
        for e in range(n_experts):
            gate = (weights * (idx == e)).sum(-1, keepdim=True)  # the token's weight on expert e, or 0
            every = torch.full_like(idx[:, :1], e)
            out.append((Component("expert", layer, e), moe.experts(x, every, gate.to(x.dtype))))
        shared = getattr(moe, "shared_expert", None)
        if shared is not None:  # Qwen2-MoE: a sigmoid-gated shared expert
            gate = getattr(moe, "shared_expert_gate", None)
            value = shared(x)
            out.append((Component("shared_expert", layer, 0),
                        value * torch.sigmoid(gate(x)) if gate is not None else value))
        return out

    # --- ablation: the attention tools' replacements, applied with hooks ----------------------------------------
    @contextmanager
    def ablated(self, spec: AblationSpec, tokens: torch.Tensor,
                reference: Sequence[torch.Tensor] | None = None) -> Iterator[None]:
        heads = head_ablations(self.model, spec, tokens, reference)
        mlps = mlp_ablations(self.model, spec, tokens, reference)
        edits: dict[str, Edit] = {}
        for layer, ablation in heads.items():
            keep = ablation.keep[:, None]

            def replace_heads(z: torch.Tensor, keep: torch.Tensor = keep,
                              value: torch.Tensor = ablation.replacement) -> torch.Tensor:
                return torch.where(keep.to(z.device), z, value.to(z.device, z.dtype))
            edits[f"blocks.{layer}.attn.hook_z"] = replace_heads
        for layer, replacement in mlps.items():
            edits[f"blocks.{layer}.hook_mlp_out"] = (
                lambda out, r=replacement: r.to(out.device, out.dtype).expand_as(out).clone())
        with self._editing(edits, None):
            yield
