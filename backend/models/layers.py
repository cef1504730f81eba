"""The pieces of TinyGPT, each written out so a learner can match it to its formula in CONCEPTS.md.

Every module reports its intermediate tensors to an optional :class:`~lmscope.backend.models.recorder.Recorder` under
TransformerLens-style hook names (relative to the module; the block adds ``blocks.{l}.``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from lmscope.backend.models.config import TinyGPTConfig
from lmscope.backend.models.recorder import Recorder
from lmscope.backend.models.selection import KeySelection


class LayerNorm(nn.Module):
    """(x − mean)/√(var + ε)·γ + β with the biased variance over the feature dimension."""

    def __init__(self, d: int, eps: float) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d))
        self.bias = nn.Parameter(torch.zeros(d))

    def forward(self, x: torch.Tensor, rec: Recorder | None = None, prefix: str = "") -> torch.Tensor:
        x = x - x.mean(-1, keepdim=True)
        scale = torch.sqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)
        normalized = x / scale
        if rec is not None:
            rec.record(prefix + "hook_scale", scale)
            rec.record(prefix + "hook_normalized", normalized)
        return normalized * self.weight + self.bias


class RMSNorm(nn.Module):
    """x/√(mean(x²) + ε)·g (Zhang & Sennrich 2019): no centring, no bias."""

    def __init__(self, d: int, eps: float) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d))

    def forward(self, x: torch.Tensor, rec: Recorder | None = None, prefix: str = "") -> torch.Tensor:
        scale = torch.sqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)
        normalized = x / scale
        if rec is not None:
            rec.record(prefix + "hook_scale", scale)
            rec.record(prefix + "hook_normalized", normalized)
        return normalized * self.weight


def make_norm(cfg: TinyGPTConfig) -> nn.Module:
    return LayerNorm(cfg.d_model, cfg.norm_eps) if cfg.norm == "layernorm" else RMSNorm(cfg.d_model, cfg.norm_eps)


def sinusoidal_table(n_pos: int, d: int) -> torch.Tensor:
    """PE(pos, 2i) = sin(pos/10000^(2i/d)), PE(pos, 2i+1) = cos(pos/10000^(2i/d))."""
    pos = torch.arange(n_pos, dtype=torch.float64)[:, None]
    two_i = torch.arange(0, d, 2, dtype=torch.float64)
    angle = pos / torch.pow(10000.0, two_i / d)
    table = torch.zeros(n_pos, d, dtype=torch.float64)
    table[:, 0::2] = torch.sin(angle)
    table[:, 1::2] = torch.cos(angle[:, : d // 2])
    return table.float()


def rope_angles(
    n_pos: int, d_head: int, base: float, start: int = 0, dtype: torch.dtype = torch.float32
) -> tuple[torch.Tensor, torch.Tensor]:
    """cos and sin of pos·θᵢ with θᵢ = base^(−2i/d), shape (n_pos, d_head/2), computed in float64."""
    theta = torch.pow(base, -torch.arange(0, d_head, 2, dtype=torch.float64) / d_head)
    angle = torch.arange(start, start + n_pos, dtype=torch.float64)[:, None] * theta[None, :]
    return torch.cos(angle).to(dtype), torch.sin(angle).to(dtype)


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotate neighbouring pairs (2i, 2i+1) by pos·θᵢ, as in the RoFormer paper.

    Hugging Face's Llama instead pairs dimension i with i + d/2 ("rotate_half"); the two differ by a fixed
    permutation of the head dimensions. ``x`` is (batch, pos, head, d_head); cos/sin are (pos, d_head/2).
    """
    x_even, x_odd = x[..., 0::2], x[..., 1::2]
    cos, sin = cos[None, :, None, :].to(x.dtype), sin[None, :, None, :].to(x.dtype)
    out = torch.empty_like(x)
    out[..., 0::2] = x_even * cos - x_odd * sin
    out[..., 1::2] = x_even * sin + x_odd * cos
    return out


class LayerKV:
    """One layer's key/value cache for decoding, keys already rotated by RoPE.

    Standard attention (MHA/GQA/MQA) stores ``k`` and ``v`` as (batch, pos, kv_head, d_head). Multi-head latent
    attention stores only ``latent`` (batch, pos, d_c + d_h^R): the compressed c_KV and the shared RoPE key; its
    ``k`` is then that latent as every head reads it (a view, no copy) and ``v`` is None. ``nbytes`` is what the
    cache really holds.
    """

    def __init__(self) -> None:
        self.k: torch.Tensor | None = None
        self.v: torch.Tensor | None = None
        self.latent: torch.Tensor | None = None

    @property
    def length(self) -> int:
        return 0 if self.k is None else int(self.k.shape[1])

    @property
    def nbytes(self) -> int:
        if self.latent is not None:
            return self.latent.numel() * self.latent.element_size()
        return sum(t.numel() * t.element_size() for t in (self.k, self.v) if t is not None)

    def append(self, k: torch.Tensor, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Add the new positions' rows and return the whole cache (past then new)."""
        self.k = k if self.k is None else torch.cat([self.k, k], dim=1)
        self.v = v if self.v is None else torch.cat([self.v, v], dim=1)
        return self.k, self.v

    def append_latent(self, latent: torch.Tensor, n_head: int) -> torch.Tensor:
        """MLA: add the new positions' latents (batch, pos, d_c + d_h^R); return the whole latent cache."""
        self.latent = latent if self.latent is None else torch.cat([self.latent, latent], dim=1)
        B, T, D = self.latent.shape
        self.k = self.latent[:, :, None, :].expand(B, T, n_head, D)
        return self.latent


@dataclass
class HeadAblation:
    """Which heads' outputs z are replaced before W_O: ``keep`` (n_head,) bool, False = replaced by
    ``replacement`` (n_head, d_head): zeros for zero-ablation, the head's mean z for mean-ablation."""

    keep: torch.Tensor
    replacement: torch.Tensor


def causal_allowed(t_q: int, t_k: int, device: torch.device) -> torch.Tensor:
    """True where query i (the last t_q of t_k positions) may see key j ≤ its own position."""
    return torch.ones(t_q, t_k, dtype=torch.bool, device=device).tril(diagonal=t_k - t_q)


# What TinyGPT's ``allowed`` argument may be: a boolean mask broadcastable to (batch, head, query, key), True where
# a query may attend; None for causal; or a KeySelection that picks keys from each head's scores.
Allowed = torch.Tensor | KeySelection | None


class AttentionCore(nn.Module):
    """What every attention kind shares once it has q, k and v: the pattern (explicit or SDPA) and W_O.

    Subclasses set ``n_head``, ``d_head`` (the width of each head's z) and ``W_O``. The scale is 1/√(query width),
    so a kind whose queries are wider than d_head (MLA's decoupled RoPE part) is scaled as its paper says.
    """

    def __init__(self, cfg: TinyGPTConfig) -> None:
        super().__init__()
        self.n_head, self.d_head = cfg.n_head, cfg.d_head
        self.dropout = cfg.dropout
        self.explicit = False
        self.ablation: HeadAblation | None = None

    def output(self, z: torch.Tensor, rec: Recorder | None = None, prefix: str = "") -> torch.Tensor:
        """Apply the head ablation (if any) to z (batch, pos, head, d_head), record it, then W_O."""
        if self.ablation is not None:
            keep = self.ablation.keep.to(z.device)[:, None]
            z = torch.where(keep, z, self.ablation.replacement.to(z.device, z.dtype))
        if rec is not None:
            rec.record(prefix + "hook_z", z)
        B, T = z.shape[:2]
        return self.W_O(z.reshape(B, T, self.n_head * self.d_head))

    def attend(
        self,
        q: torch.Tensor,
        k: torch.Tensor,
        v: torch.Tensor,
        allowed: Allowed,
        rec: Recorder | None = None,
        prefix: str = "",
    ) -> torch.Tensor:
        """z (batch, query pos, head, d_v) from q (batch, pos, head, d) and k, v (batch, key pos, kv_head, ·)."""
        selection = allowed if isinstance(allowed, KeySelection) else None
        allowed = selection.allowed if selection is not None else allowed
        if allowed is None and k.shape[1] != q.shape[1]:
            # SDPA's is_causal aligns the mask top-left; new queries at the end of a cache need bottom-right.
            allowed = causal_allowed(q.shape[1], k.shape[1], q.device)
        group = q.shape[2] // k.shape[2]
        # (batch, head, pos, d), key/value heads repeated so that each query head has its own view.
        qh = q.transpose(1, 2)
        kh = k.transpose(1, 2).repeat_interleave(group, dim=1)
        vh = v.transpose(1, 2).repeat_interleave(group, dim=1)
        wants_pattern = rec is not None and (
            rec.wants(prefix + "hook_attn_scores") or rec.wants(prefix + "hook_pattern")
        )
        if self.explicit or wants_pattern or selection is not None:
            z = self._explicit(qh, kh, vh, allowed, selection, rec, prefix)
        else:
            z = F.scaled_dot_product_attention(
                qh, kh, vh,
                attn_mask=allowed,
                is_causal=allowed is None,
                dropout_p=self.dropout if self.training else 0.0,
            )
        return z.transpose(1, 2)

    def _explicit(
        self,
        qh: torch.Tensor,
        kh: torch.Tensor,
        vh: torch.Tensor,
        allowed: torch.Tensor | None,
        selection: KeySelection | None,
        rec: Recorder | None,
        prefix: str,
    ) -> torch.Tensor:
        T_q, T_k = qh.shape[-2], kh.shape[-2]
        scores = (qh @ kh.transpose(-1, -2)) / math.sqrt(qh.shape[-1])
        causal = allowed is None
        if causal:
            allowed = causal_allowed(T_q, T_k, qh.device)
        if selection is not None:
            allowed = selection.restrict(qh, kh, scores, allowed, rec, prefix)
        scores = scores.masked_fill(~allowed, float("-inf"))
        pattern = torch.softmax(scores, dim=-1)
        if not causal or selection is not None:
            # A row with every key masked has no distribution; show it as zeros rather than NaN. (A causal row
            # always sees its own key, so the extra pass is skipped there.)
            pattern = torch.nan_to_num(pattern, nan=0.0)
        if rec is not None:
            rec.record(prefix + "hook_attn_scores", scores)
            rec.record(prefix + "hook_pattern", pattern)
        if self.training and self.dropout:
            pattern = F.dropout(pattern, self.dropout)
        return pattern @ vh


class Attention(AttentionCore):
    """Multi-head attention with n_kv_head key/value heads (MHA, GQA or MQA).

    Query head h reads key/value head h // (n_head / n_kv_head), the grouping Hugging Face's ``repeat_kv`` uses.
    The pattern is computed explicitly when a recorder wants scores or pattern (or ``explicit`` is set, or keys are
    chosen by content), and through ``scaled_dot_product_attention`` otherwise; tests check that the two agree.
    ``ablation`` (optional) replaces chosen heads' z before W_O; ``kv`` (optional) is a decoding cache the new
    keys/values append to.
    """

    def __init__(self, cfg: TinyGPTConfig) -> None:
        super().__init__(cfg)
        self.n_kv_head = cfg.n_kv_head
        self.W_Q = nn.Linear(cfg.d_model, cfg.n_head * cfg.d_head)
        self.W_K = nn.Linear(cfg.d_model, cfg.n_kv_head * cfg.d_head)
        self.W_V = nn.Linear(cfg.d_model, cfg.n_kv_head * cfg.d_head)
        self.W_O = nn.Linear(cfg.n_head * cfg.d_head, cfg.d_model)

    def qkv(
        self,
        x: torch.Tensor,
        rope: tuple[torch.Tensor, torch.Tensor] | None,
        rec: Recorder | None = None,
        prefix: str = "",
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """q (batch, pos, head, d_head) and k, v (batch, pos, kv_head, d_head), after RoPE when it is on."""
        B, T, _ = x.shape
        q = self.W_Q(x).view(B, T, self.n_head, self.d_head)
        k = self.W_K(x).view(B, T, self.n_kv_head, self.d_head)
        v = self.W_V(x).view(B, T, self.n_kv_head, self.d_head)
        if rec is not None:
            rec.record(prefix + "hook_q", q)
            rec.record(prefix + "hook_k", k)
            rec.record(prefix + "hook_v", v)
        if rope is not None:
            q, k = apply_rope(q, *rope), apply_rope(k, *rope)
            if rec is not None:
                rec.record(prefix + "hook_rot_q", q)
                rec.record(prefix + "hook_rot_k", k)
        return q, k, v

    def forward(
        self,
        x: torch.Tensor,
        allowed: Allowed,
        rope: tuple[torch.Tensor, torch.Tensor] | None,
        rec: Recorder | None = None,
        prefix: str = "",
        kv: LayerKV | None = None,
    ) -> torch.Tensor:
        q, k, v = self.qkv(x, rope, rec, prefix)
        if kv is not None:
            k, v = kv.append(k, v)
        return self.output(self.attend(q, k, v, allowed, rec, prefix), rec, prefix)


class MLP(nn.Module):
    """Dense feed-forward: act(xW_in)W_out, or SwiGLU (SiLU(xW) ⊙ xV)W₂ (Shazeer 2020)."""

    def __init__(self, cfg: TinyGPTConfig, d_mlp: int | None = None) -> None:
        super().__init__()
        d_mlp = d_mlp or cfg.d_mlp
        self.act = cfg.act
        self.W_in = nn.Linear(cfg.d_model, d_mlp)
        self.W_gate = nn.Linear(cfg.d_model, d_mlp) if cfg.act == "swiglu" else None
        self.W_out = nn.Linear(d_mlp, cfg.d_model)

    def forward(self, x: torch.Tensor, rec: Recorder | None = None, prefix: str = "") -> torch.Tensor:
        if self.W_gate is not None:
            pre = self.W_gate(x)
            pre_linear = self.W_in(x)
            post = F.silu(pre) * pre_linear
            if rec is not None:
                rec.record(prefix + "hook_pre_linear", pre_linear)
        else:
            pre = self.W_in(x)
            post = F.relu(pre) if self.act == "relu" else F.gelu(pre)
        if rec is not None:
            rec.record(prefix + "hook_pre", pre)
            rec.record(prefix + "hook_post", post)
        return self.W_out(post)
