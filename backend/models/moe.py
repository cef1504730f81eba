"""Mixture-of-experts feed-forward layer: a router picks top-k experts per token (or every expert, or soft slots).

Router logits = xW_g; with noisy gating (Shazeer et al. 2017) H = xW_g + ε·softplus(xW_noise) during training;
the top-k of H are kept and softmaxed. With auxiliary-loss-free balancing (DeepSeek-V3, ``bias_update_rate`` γ > 0)
a per-expert bias b is added to H *for selection only* — the weights stay the softmax of H over the chosen
experts — and after every optimizer step b_e moves by +γ when expert e took fewer assignments than the mean and
by −γ when it took more (:meth:`MoE.update_selection_bias`). Shared experts (DeepSeekMoE) see every token. With a
capacity factor > 0, each expert accepts at most ⌈top_k · tokens / n_experts · capacity_factor⌉ assignments, first
come first served in token order (for top-1 this is the Switch Transformer's tokens/experts × capacity factor); an
overflowing assignment is dropped and the token passes through the residual.

``moe_mode = "dense"``: every expert, weighted by the full softmax of the router (recorded as top-E routing).
``moe_mode = "soft"`` (Puigcerver et al. 2023): each expert has ``soft_slots`` slots; logits = XΦ (tokens × slots);
dispatch D = softmax over the tokens of a sequence (each slot's input is a mix of every token), combine C = softmax
over the slots (each token's output is a mix of every slot's output); no token is ever dropped. It mixes tokens
across positions, so in a causal language model a token sees later tokens through it: a teaching switch, not a
way to train a usable decoder.

The auxiliary losses of the last forward pass are kept in ``aux``: the Switch load-balancing loss counting every
top-k assignment (1 at perfect balance, as the router view's per-layer figure) and the router z-loss.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from lmscope.backend.models.config import TinyGPTConfig
from lmscope.backend.models.layers import MLP
from lmscope.backend.models.recorder import Recorder


def switch_balance_loss(router_probs: torch.Tensor, chosen: torch.Tensor, n_experts: int) -> torch.Tensor:
    """E·Σᵢ fᵢPᵢ (α applied by the caller), fᵢ = the fraction of (token, slot) assignments to expert i (``chosen``
    is (tokens,) for top-1 or (tokens, k)), Pᵢ = mean router probability: 1 when routing is perfectly uniform."""
    f = torch.bincount(chosen.reshape(-1), minlength=n_experts).to(router_probs.dtype) / max(1, chosen.numel())
    p = router_probs.mean(0)
    return n_experts * (f * p).sum()


def router_z_loss(router_logits: torch.Tensor) -> torch.Tensor:
    """Mean over tokens of (log Σⱼ e^{xⱼ})² (ST-MoE)."""
    return torch.logsumexp(router_logits, dim=-1).pow(2).mean()


def expert_capacity(n_tokens: int, cfg: TinyGPTConfig) -> int:
    if cfg.capacity_factor <= 0:
        return n_tokens * cfg.top_k
    return max(1, math.ceil(cfg.top_k * n_tokens / cfg.n_experts * cfg.capacity_factor))


def bias_step(bias: torch.Tensor, counts: torch.Tensor, gamma: float) -> torch.Tensor:
    """DeepSeek-V3's update: b_e + γ·sign(mean count − count_e) (an expert at the mean keeps its bias)."""
    counts = counts.to(bias.dtype)
    return bias + gamma * torch.sign(counts.mean() - counts)


def soft_moe_weights(logits: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Dispatch (softmax over tokens, per slot) and combine (softmax over slots, per token) of (B, T, slots)."""
    return torch.softmax(logits, dim=1), torch.softmax(logits, dim=2)


class MoE(nn.Module):
    def __init__(self, cfg: TinyGPTConfig) -> None:
        super().__init__()
        self.cfg = cfg
        n_router = cfg.n_experts * cfg.soft_slots if cfg.moe_mode == "soft" else cfg.n_experts
        self.W_gate = nn.Linear(cfg.d_model, n_router, bias=False)
        self.W_noise = (nn.Linear(cfg.d_model, cfg.n_experts, bias=False)
                        if cfg.noisy_gating and cfg.moe_mode == "topk" else None)
        self.experts = nn.ModuleList(MLP(cfg) for _ in range(cfg.n_experts))
        self.shared = nn.ModuleList(MLP(cfg) for _ in range(cfg.n_shared))
        if cfg.bias_update_rate > 0 and cfg.moe_mode == "topk":
            # A buffer, not a parameter: no gradient moves it, and a checkpoint keeps it (selection depends on it).
            self.register_buffer("selection_bias", torch.zeros(cfg.n_experts))
        else:
            self.selection_bias = None
        self.aux: dict[str, torch.Tensor] = {}
        self.last_counts: torch.Tensor | None = None  # assignments per expert in the last training forward

    def forward(self, x: torch.Tensor, rec: Recorder | None = None, prefix: str = "") -> torch.Tensor:
        if self.cfg.moe_mode == "soft":
            return self._soft(x, rec, prefix)
        B, T, D = x.shape
        flat = x.reshape(B * T, D)
        logits = self.W_gate(flat)
        if self.cfg.moe_mode == "dense":
            weights, top_idx = torch.softmax(logits, dim=-1).sort(dim=-1, descending=True)
        else:
            weights, top_idx = self._route(flat, logits)
        dense = self.cfg.moe_mode == "dense"
        kept = torch.ones_like(top_idx, dtype=torch.bool) if dense else self._within_capacity(top_idx)
        out = torch.zeros_like(flat)
        for e, expert in enumerate(self.experts):
            token, slot = torch.nonzero((top_idx == e) & kept, as_tuple=True)
            if token.numel():
                # Its activations are (tokens routed to e, d_mlp): the histograms' per-expert sites.
                out.index_add_(0, token, expert(flat[token], rec, f"{prefix}experts.{e}.") * weights[token, slot, None])
        for s, expert in enumerate(self.shared):
            out = out + expert(flat, rec, f"{prefix}shared.{s}.")
        probs = torch.softmax(logits, dim=-1)
        self.aux = {
            "balance_loss": switch_balance_loss(probs, top_idx, self.cfg.n_experts),
            "z_loss": router_z_loss(logits),
        }
        if self.training:
            self.last_counts = torch.bincount(top_idx.reshape(-1), minlength=self.cfg.n_experts).detach()
        if rec is not None:
            rec.record(prefix + "hook_router_logits", logits.view(B, T, -1))
            rec.record(prefix + "hook_topk_indices", top_idx.view(B, T, -1))
            rec.record(prefix + "hook_topk_weights", weights.view(B, T, -1))
            rec.record(prefix + "hook_dropped", (~kept).view(B, T, -1))
        return out.view(B, T, D)

    def _route(self, flat: torch.Tensor, logits: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Top-k weights (softmax over the chosen scores, bias excluded) and indices, slot order by score."""
        selection = logits
        if self.W_noise is not None and self.training:
            selection = logits + torch.randn_like(logits) * F.softplus(self.W_noise(flat))
        if self.selection_bias is None:
            top_vals, top_idx = selection.topk(self.cfg.top_k, dim=-1)
        else:
            _, top_idx = (selection + self.selection_bias).topk(self.cfg.top_k, dim=-1)
            top_vals = selection.gather(1, top_idx)
        return torch.softmax(top_vals, dim=-1), top_idx

    @torch.no_grad()
    def update_selection_bias(self) -> None:
        """After an optimizer step: move each expert's selection bias by ±γ against its load in the last batch."""
        if self.selection_bias is not None and self.last_counts is not None:
            self.selection_bias.copy_(bias_step(self.selection_bias, self.last_counts, self.cfg.bias_update_rate))

    def _within_capacity(self, top_idx: torch.Tensor) -> torch.Tensor:
        """Which (token, slot) assignments an expert accepts: the first `capacity` in token order."""
        if self.cfg.capacity_factor <= 0:
            return torch.ones_like(top_idx, dtype=torch.bool)
        capacity = expert_capacity(top_idx.shape[0], self.cfg)
        one_hot = F.one_hot(top_idx, self.cfg.n_experts)  # (tokens, k, experts)
        # Position of each assignment in its expert's queue, counting tokens in order and slots within a token.
        queue = one_hot.reshape(-1, self.cfg.n_experts).cumsum(0).reshape(one_hot.shape) - 1
        position = (queue * one_hot).sum(-1)
        return position < capacity

    def _soft(self, x: torch.Tensor, rec: Recorder | None, prefix: str) -> torch.Tensor:
        """Soft MoE over each sequence: slots = Dᵀ X, expert e reads its slots, Y = C · slot outputs."""
        B, T, D = x.shape
        s = self.cfg.soft_slots
        logits = self.W_gate(x)  # (B, T, E·S)
        dispatch, combine = soft_moe_weights(logits)
        slots_in = dispatch.transpose(1, 2) @ x  # (B, E·S, D)
        slots_out = torch.cat([expert(slots_in[:, e * s:(e + 1) * s], rec, f"{prefix}experts.{e}.")
                               for e, expert in enumerate(self.experts)], dim=1)
        out = combine @ slots_out
        for i, expert in enumerate(self.shared):
            out = out + expert(x, rec, f"{prefix}shared.{i}.")
        self.aux = {}  # nothing to balance: every slot takes a fixed share of every sequence
        if rec is not None:
            rec.record(prefix + "hook_slot_logits", logits)
            rec.record(prefix + "hook_dispatch", dispatch)
            rec.record(prefix + "hook_combine", combine)
        return out
