"""Mixture-of-experts feed-forward layer: a router picks top-k experts per token.

Router logits = xW_g; with noisy gating (Shazeer et al. 2017) H = xW_g + ε·softplus(xW_noise) during training;
the top-k of H are kept and softmaxed. Shared experts (DeepSeekMoE) see every token. With a capacity factor > 0,
each expert accepts at most ⌈top_k · tokens / n_experts · capacity_factor⌉ assignments, first come first served in
token order (for top-1 this is the Switch Transformer's tokens/experts × capacity factor); an overflowing assignment
is dropped and the token passes through the residual. The Switch load-balancing loss and the router z-loss of the
last forward pass are kept in ``aux``.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from lmscope.backend.models.config import TinyGPTConfig
from lmscope.backend.models.layers import MLP
from lmscope.backend.models.recorder import Recorder


def switch_balance_loss(router_probs: torch.Tensor, top1: torch.Tensor, n_experts: int) -> torch.Tensor:
    """N·Σᵢ fᵢPᵢ (α applied by the caller): 1 when routing is perfectly uniform."""
    f = torch.bincount(top1, minlength=n_experts).to(router_probs.dtype) / max(1, top1.numel())
    p = router_probs.mean(0)
    return n_experts * (f * p).sum()


def router_z_loss(router_logits: torch.Tensor) -> torch.Tensor:
    """Mean over tokens of (log Σⱼ e^{xⱼ})² (ST-MoE)."""
    return torch.logsumexp(router_logits, dim=-1).pow(2).mean()


def expert_capacity(n_tokens: int, cfg: TinyGPTConfig) -> int:
    if cfg.capacity_factor <= 0:
        return n_tokens * cfg.top_k
    return max(1, math.ceil(cfg.top_k * n_tokens / cfg.n_experts * cfg.capacity_factor))


class MoE(nn.Module):
    def __init__(self, cfg: TinyGPTConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.W_gate = nn.Linear(cfg.d_model, cfg.n_experts, bias=False)
        self.W_noise = nn.Linear(cfg.d_model, cfg.n_experts, bias=False) if cfg.noisy_gating else None
        self.experts = nn.ModuleList(MLP(cfg) for _ in range(cfg.n_experts))
        self.shared = nn.ModuleList(MLP(cfg) for _ in range(cfg.n_shared))
        self.aux: dict[str, torch.Tensor] = {}

    def forward(self, x: torch.Tensor, rec: Recorder | None = None, prefix: str = "") -> torch.Tensor:
        B, T, D = x.shape
        flat = x.reshape(B * T, D)
        logits = self.W_gate(flat)
        selection = logits
        if self.W_noise is not None and self.training:
            selection = logits + torch.randn_like(logits) * F.softplus(self.W_noise(flat))
        top_vals, top_idx = selection.topk(self.cfg.top_k, dim=-1)
        weights = torch.softmax(top_vals, dim=-1)
        kept = self._within_capacity(top_idx)
        out = torch.zeros_like(flat)
        for e, expert in enumerate(self.experts):
            token, slot = torch.nonzero((top_idx == e) & kept, as_tuple=True)
            if token.numel():
                out.index_add_(0, token, expert(flat[token]) * weights[token, slot, None])
        for expert in self.shared:
            out = out + expert(flat)
        probs = torch.softmax(logits, dim=-1)
        self.aux = {
            "balance_loss": switch_balance_loss(probs, top_idx[:, 0], self.cfg.n_experts),
            "z_loss": router_z_loss(logits),
        }
        if rec is not None:
            rec.record(prefix + "hook_router_logits", logits.view(B, T, -1))
            rec.record(prefix + "hook_topk_indices", top_idx.view(B, T, -1))
            rec.record(prefix + "hook_topk_weights", weights.view(B, T, -1))
            rec.record(prefix + "hook_dropped", (~kept).view(B, T, -1))
        return out.view(B, T, D)

    def _within_capacity(self, top_idx: torch.Tensor) -> torch.Tensor:
        """Which (token, slot) assignments an expert accepts: the first `capacity` in token order."""
        capacity = expert_capacity(top_idx.shape[0], self.cfg)
        one_hot = F.one_hot(top_idx, self.cfg.n_experts)  # (tokens, k, experts)
        # Position of each assignment in its expert's queue, counting tokens in order and slots within a token.
        queue = one_hot.reshape(-1, self.cfg.n_experts).cumsum(0).reshape(one_hot.shape) - 1
        position = (queue * one_hot).sum(-1)
        return position < capacity
