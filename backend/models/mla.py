"""Multi-head latent attention (DeepSeek-V2, arXiv 2405.04434, §2.1): keys and values from one small cached latent.

With h_t the attention input, n_h heads of width d_h and the decoupled RoPE width d_h^R:

    c_KV = W_DKV h                      the latent (d_c wide) — the only per-head-free thing the cache keeps
    k^C = W_UK c_KV,  v^C = W_UV c_KV   every head's key and value, up-projected from the same latent
    k^R = RoPE(W_KR h)                  one rotated key (d_h^R wide) shared by all heads, cached beside c_KV
    c_Q = W_DQ h (when q_lora_rank > 0, else c_Q = h)
    q^C = W_UQ c_Q,  q^R = RoPE(W_QR c_Q)
    q = [q^C; q^R], k = [k^C; k^R],  o = softmax(q·k/√(d_h + d_h^R)) v,  u = W_O o

As in the released DeepSeek-V2 (and Hugging Face's ``DeepseekV2Attention``, which the tests compare against), an
RMSNorm follows each latent; the cache stores the normalised c_KV. The cache per token and layer is d_c + d_h^R
numbers against MHA's 2·n_h·d_h. Because no position touches k^C, W_UK can be folded into the query side and W_UV
into W_O (:meth:`LatentAttention.absorbed`): attention then runs on the latent itself — the inference trick of §2.1.
"""
from __future__ import annotations

import torch
from torch import nn

from lmscope.backend.models.config import TinyGPTConfig
from lmscope.backend.models.layers import Allowed, AttentionCore, LayerKV, RMSNorm, apply_rope, causal_allowed
from lmscope.backend.models.recorder import Recorder

Rope = tuple[torch.Tensor, torch.Tensor] | None


class LatentAttention(AttentionCore):
    """MLA with the same hooks as the other kinds plus ``hook_kv_latent`` (batch, pos, d_c), ``hook_k_rope``
    (batch, pos, d_h^R, rotated: both are what the cache holds) and ``hook_q_latent`` (when queries are compressed).

    ``hook_q``/``hook_k`` are [q^C; q^R] and [k^C; k^R] before RoPE, ``hook_rot_q``/``hook_rot_k`` after, so a head's
    scores are hook_rot_q · hook_rot_k / √(d_h + d_h^R) as for every other kind.
    """

    def __init__(self, cfg: TinyGPTConfig) -> None:
        super().__init__(cfg)
        H, d, d_rope = cfg.n_head, cfg.d_head, cfg.rope_head_dim
        self.d_rope, self.d_latent = d_rope, cfg.kv_lora_rank
        self.n_kv_head = H  # every head has its own key and value (made from the shared latent)
        d_query_in = cfg.q_lora_rank or cfg.d_model
        self.W_DQ = nn.Linear(cfg.d_model, cfg.q_lora_rank, bias=False) if cfg.q_lora_rank else None
        self.q_norm = RMSNorm(cfg.q_lora_rank, cfg.norm_eps) if cfg.q_lora_rank else None
        self.W_UQ = nn.Linear(d_query_in, H * d, bias=False)
        # Without a decoupled RoPE part (d_h^R = 0, absolute positions) there is no W_QR or W_KR at all.
        self.W_QR = nn.Linear(d_query_in, H * d_rope, bias=False) if d_rope else None
        self.W_DKV = nn.Linear(cfg.d_model, cfg.kv_lora_rank, bias=False)
        self.kv_norm = RMSNorm(cfg.kv_lora_rank, cfg.norm_eps)
        self.W_UK = nn.Linear(cfg.kv_lora_rank, H * d, bias=False)
        self.W_UV = nn.Linear(cfg.kv_lora_rank, H * d, bias=False)
        self.W_KR = nn.Linear(cfg.d_model, d_rope, bias=False) if d_rope else None
        self.W_O = nn.Linear(H * d, cfg.d_model)

    # --- the pieces --------------------------------------------------------------------------------------------
    def queries(self, x: torch.Tensor, rope: Rope, rec: Recorder | None = None,
                prefix: str = "") -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """q^C (batch, pos, head, d_h), and q^R before and after RoPE (batch, pos, head, d_h^R)."""
        B, T, _ = x.shape
        c_q = x
        if self.W_DQ is not None:
            c_q = self.q_norm(self.W_DQ(x))
            if rec is not None:
                rec.record(prefix + "hook_q_latent", c_q)
        q_content = self.W_UQ(c_q).view(B, T, self.n_head, self.d_head)
        q_rope = (self.W_QR(c_q) if self.W_QR is not None else c_q.new_zeros(B, T, 0)).view(B, T, self.n_head,
                                                                                             self.d_rope)
        return q_content, q_rope, apply_rope(q_rope, *rope) if rope is not None else q_rope

    def latents(self, x: torch.Tensor, rope: Rope, rec: Recorder | None = None,
                prefix: str = "") -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """c_KV (batch, pos, d_c), and k^R before and after RoPE (batch, pos, d_h^R)."""
        latent = self.kv_norm(self.W_DKV(x))
        k_rope = self.W_KR(x) if self.W_KR is not None else x.new_zeros(*x.shape[:2], 0)
        rotated = apply_rope(k_rope[:, :, None], *rope)[:, :, 0] if rope is not None else k_rope
        if rec is not None:
            rec.record(prefix + "hook_kv_latent", latent)
            rec.record(prefix + "hook_k_rope", rotated)
        return latent, k_rope, rotated

    def expand(self, latent: torch.Tensor, k_rope: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """k = [W_UK c; k^R] (batch, pos, head, d_h + d_h^R) and v = W_UV c (batch, pos, head, d_h)."""
        B, T, _ = latent.shape
        k_content = self.W_UK(latent).view(B, T, self.n_head, self.d_head)
        v = self.W_UV(latent).view(B, T, self.n_head, self.d_head)
        k = torch.cat([k_content, k_rope[:, :, None].expand(B, T, self.n_head, self.d_rope)], dim=-1)
        return k, v

    def qkv(self, x: torch.Tensor, rope: Rope, rec: Recorder | None = None,
            prefix: str = "") -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """q (batch, pos, head, d_h + d_h^R), k likewise and v (batch, pos, head, d_h), after RoPE."""
        q_content, q_rope, q_rotated = self.queries(x, rope, rec, prefix)
        latent, k_rope, k_rotated = self.latents(x, rope, rec, prefix)
        q = torch.cat([q_content, q_rotated], dim=-1)
        k, v = self.expand(latent, k_rotated)
        if rec is not None:
            rec.record(prefix + "hook_q", torch.cat([q_content, q_rope], dim=-1))
            rec.record(prefix + "hook_k", self.expand(latent, k_rope)[0])
            rec.record(prefix + "hook_v", v)
            if rope is not None:
                rec.record(prefix + "hook_rot_q", q)
                rec.record(prefix + "hook_rot_k", k)
        return q, k, v

    def forward(
        self,
        x: torch.Tensor,
        allowed: Allowed,
        rope: Rope,
        rec: Recorder | None = None,
        prefix: str = "",
        kv: LayerKV | None = None,
    ) -> torch.Tensor:
        if kv is None:
            q, k, v = self.qkv(x, rope, rec, prefix)
        else:
            # Decoding: only [c_KV; k^R] goes into the cache; keys and values are re-expanded from it.
            q_content, _, q_rotated = self.queries(x, rope, rec, prefix)
            latent, _, k_rotated = self.latents(x, rope, rec, prefix)
            cached = kv.append_latent(torch.cat([latent, k_rotated], dim=-1), self.n_head)
            q = torch.cat([q_content, q_rotated], dim=-1)
            k, v = self.expand(cached[..., :self.d_latent], cached[..., self.d_latent:])
        return self.output(self.attend(q, k, v, allowed, rec, prefix), rec, prefix)

    # --- the absorbed form -------------------------------------------------------------------------------------
    def absorbed_weights(self) -> tuple[torch.Tensor, torch.Tensor]:
        """W_UK folded into the query side and W_UV into the output.

        (head, d_c, c_Q width): q̃_h = (W_UK,hᵀ W_UQ,h) c_Q, so that q^C_h · k^C_h,j = q̃_h · c_j;
        (head, d_model, d_c): W_O,h W_UV,h, so that u = Σ_h (W_O,h W_UV,h) Σ_j p_hj c_j + b_O.
        """
        H, d, dc = self.n_head, self.d_head, self.d_latent
        w_uq = self.W_UQ.weight.view(H, d, -1)
        w_uk = self.W_UK.weight.view(H, d, dc)
        w_uv = self.W_UV.weight.view(H, d, dc)
        w_o = self.W_O.weight.view(-1, H, d).transpose(0, 1)  # (head, d_model, d_h)
        return w_uk.transpose(1, 2) @ w_uq, w_o @ w_uv

    def absorbed(self, x: torch.Tensor, rope: Rope, allowed: torch.Tensor | None = None) -> torch.Tensor:
        """The same output as :meth:`forward`, computed on the latent: no per-head key or value is ever formed."""
        q_query, w_out = self.absorbed_weights()
        c_q = self.q_norm(self.W_DQ(x)) if self.W_DQ is not None else x
        _, _, q_rotated = self.queries(x, rope)
        latent, _, k_rotated = self.latents(x, rope)
        q_latent = torch.einsum("hcn,btn->bhtc", q_query, c_q)
        scores = (q_latent @ latent[:, None].transpose(-1, -2)
                  + q_rotated.transpose(1, 2) @ k_rotated[:, None].transpose(-1, -2))
        scores = scores / (self.d_head + self.d_rope) ** 0.5
        T = x.shape[1]
        mask = causal_allowed(T, T, x.device) if allowed is None else allowed
        pattern = torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=-1)
        mixed = pattern @ latent[:, None]  # (batch, head, pos, d_c): each head's weighted latent
        return torch.einsum("hmc,bhtc->btm", w_out, mixed) + self.W_O.bias
