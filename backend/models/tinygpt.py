"""TinyGPT: a small decoder-only language model whose every design choice is a config switch.

Hook names (relative to the model) follow TransformerLens: ``hook_embed``, ``hook_pos_embed``,
``blocks.{l}.hook_resid_pre``, ``blocks.{l}.ln1.hook_normalized``, ``blocks.{l}.attn.hook_pattern``, …,
``ln_final.hook_normalized``, ``logits``. Pre-norm: x + F(LN(x)); post-norm: LN(x + F(x)) (no final norm).
The forward pass is split into named pieces (``embed_input``, ``Block.attn_input`` / ``Block.after_attention``,
``unembed_output``) so the step-through debugger can run the same maths one head and one stage at a time.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from lmscope.backend.errors import BadInputError
from lmscope.backend.models.config import TinyGPTConfig
from lmscope.backend.models.layers import (
    MLP, Allowed, Attention, LayerKV, make_norm, rope_angles, sinusoidal_table,
)
from lmscope.backend.models.mla import LatentAttention
from lmscope.backend.models.moe import MoE
from lmscope.backend.models.recorder import Recorder


class Block(nn.Module):
    def __init__(self, cfg: TinyGPTConfig) -> None:
        super().__init__()
        self.pre_norm = cfg.norm_placement == "pre"
        self.ln1 = make_norm(cfg)
        self.attn = LatentAttention(cfg) if cfg.attention == "mla" else Attention(cfg)
        self.ln2 = make_norm(cfg)
        self.ffn = MoE(cfg) if cfg.ffn == "moe" else MLP(cfg)
        self.ffn_hook = "moe." if cfg.ffn == "moe" else "mlp."
        self.drop = nn.Dropout(cfg.dropout)

    def forward(
        self,
        x: torch.Tensor,
        allowed: Allowed,
        rope: tuple[torch.Tensor, torch.Tensor] | None,
        rec: Recorder | None,
        prefix: str,
        kv: LayerKV | None = None,
    ) -> torch.Tensor:
        attn_out = self.attn(self.attn_input(x, rec, prefix), allowed, rope, rec, prefix + "attn.", kv=kv)
        return self.after_attention(x, attn_out, rec, prefix)

    def attn_input(self, x: torch.Tensor, rec: Recorder | None, prefix: str) -> torch.Tensor:
        """What attention reads: LN(x) in a pre-norm block, x itself in a post-norm one."""
        if rec is not None:
            rec.record(prefix + "hook_resid_pre", x)
        return self.ln1(x, rec, prefix + "ln1.") if self.pre_norm else x

    def after_attention(
        self, x: torch.Tensor, attn_out: torch.Tensor, rec: Recorder | None, prefix: str
    ) -> torch.Tensor:
        """The rest of the block once attention's output (before dropout) is known: residual, norm, FFN."""
        hook = (lambda name, t: rec.record(prefix + name, t)) if rec is not None else (lambda name, t: None)
        attn_out = self.drop(attn_out)
        hook("hook_attn_out", attn_out)
        if self.pre_norm:
            x = x + attn_out
            hook("hook_resid_mid", x)
            mlp_out = self.drop(self.ffn(self.ln2(x, rec, prefix + "ln2."), rec, prefix + self.ffn_hook))
            hook("hook_mlp_out", mlp_out)
            x = x + mlp_out
        else:
            x = self.ln1(x + attn_out, rec, prefix + "ln1.")
            hook("hook_resid_mid", x)
            mlp_out = self.drop(self.ffn(x, rec, prefix + self.ffn_hook))
            hook("hook_mlp_out", mlp_out)
            x = self.ln2(x + mlp_out, rec, prefix + "ln2.")
        hook("hook_resid_post", x)
        return x


class KVCache:
    """Every layer's :class:`LayerKV`; ``length`` is how many positions the model has already read."""

    def __init__(self, n_layer: int) -> None:
        self.layers = [LayerKV() for _ in range(n_layer)]

    @property
    def length(self) -> int:
        return self.layers[0].length if self.layers else 0

    @property
    def nbytes(self) -> int:
        """The bytes the cache holds now, every layer (what `kvcache.py`'s closed forms predict)."""
        return sum(layer.nbytes for layer in self.layers)


class TinyGPT(nn.Module):
    def __init__(self, cfg: TinyGPTConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Embedding(cfg.vocab_size, cfg.d_model)
        self.pos_embed = nn.Embedding(cfg.n_ctx, cfg.d_model) if cfg.pos == "learned" else None
        self.drop = nn.Dropout(cfg.dropout)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layer))
        self.ln_final = make_norm(cfg) if cfg.norm_placement == "pre" else None
        self.unembed = nn.Linear(cfg.d_model, cfg.vocab_size, bias=False)
        if cfg.tie_embeddings:
            self.unembed.weight = self.embed.weight
        self.apply(self._init_weights)

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)

    @property
    def rope_dim(self) -> int:
        """How many dimensions of a head RoPE rotates: all of them, or MLA's decoupled d_h^R."""
        return self.cfg.rope_head_dim if self.cfg.attention == "mla" else self.cfg.d_head

    @property
    def device(self) -> torch.device:
        return self.embed.weight.device

    def set_explicit_attention(self, explicit: bool) -> None:
        """Force the explicit QKᵀ → softmax path everywhere (the debugger and equivalence tests use this)."""
        for block in self.blocks:
            block.attn.explicit = explicit

    def forward(
        self,
        tokens: torch.Tensor,
        allowed: Allowed = None,
        rec: Recorder | None = None,
        cache: KVCache | None = None,
    ) -> torch.Tensor:
        """Logits (batch, pos, vocab) for token ids (batch, pos).

        ``allowed`` is an optional boolean mask broadcastable to (batch, head, query, key), True where a query may
        attend; None means causal; a :class:`~lmscope.backend.models.selection.KeySelection` picks keys from each
        head's scores on top of such a mask. With a ``cache``, ``tokens`` are the positions after the cached ones:
        their keys/values are appended to it and only their query rows are computed (decoding).
        """
        if tokens.dim() != 2:
            raise BadInputError(f"Token ids must be a (batch, position) array, not shape {tuple(tokens.shape)}.")
        start = cache.length if cache is not None else 0
        x, rope = self.embed_input(tokens, rec, start)
        for layer, block in enumerate(self.blocks):
            kv = cache.layers[layer] if cache is not None else None
            x = block(x, allowed, rope, rec, f"blocks.{layer}.", kv=kv)
        return self.unembed_output(x, rec)

    def embed_input(
        self, tokens: torch.Tensor, rec: Recorder | None = None, start: int = 0
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor] | None]:
        """Token (+ position) embeddings of positions start…start+T, and the RoPE angles for them (or None)."""
        B, T = tokens.shape
        if self.pos_embed is not None and start + T > self.cfg.n_ctx:
            raise BadInputError(f"The prompt has {start + T} tokens but this model's learned positions stop at "
                                f"{self.cfg.n_ctx}; shorten it.")
        x = self.embed(tokens)
        if rec is not None:
            rec.record("hook_embed", x)
        pos = self._positions(start, T, x)
        if pos is not None:
            if rec is not None:
                rec.record("hook_pos_embed", pos.expand(B, -1, -1))
            x = x + pos
        x = self.drop(x)
        rope = rope_angles(T, self.rope_dim, self.cfg.rope_base, start=start) if self.cfg.pos == "rope" else None
        if rope is not None:
            rope = (rope[0].to(x.device), rope[1].to(x.device))
        return x, rope

    def unembed_output(self, x: torch.Tensor, rec: Recorder | None = None) -> torch.Tensor:
        """Final norm (pre-norm models) and the unembedding: the logits."""
        if self.ln_final is not None:
            x = self.ln_final(x, rec, "ln_final.")
        logits = self.unembed(x)
        if rec is not None:
            rec.record("logits", logits)
        return logits

    def _positions(self, start: int, T: int, x: torch.Tensor) -> torch.Tensor | None:
        if self.pos_embed is not None:
            return self.pos_embed(torch.arange(start, start + T, device=x.device))[None]
        if self.cfg.pos == "sinusoidal":
            return sinusoidal_table(start + T, self.cfg.d_model)[start:].to(x.device, x.dtype)[None]
        return None

    def aux_loss(self) -> torch.Tensor | None:
        """The MoE balance and z losses of the last forward pass, weighted by the config's aux_loss_coef (Switch,
        default 0.01) and z_loss_coef (ST-MoE, default 0.001), summed over layers; None without a router."""
        terms = [b.ffn.aux for b in self.blocks if isinstance(b.ffn, MoE) and b.ffn.aux]
        if not terms:
            return None
        return sum(self.cfg.aux_loss_coef * t["balance_loss"] + self.cfg.z_loss_coef * t["z_loss"] for t in terms)

    def loss(self, tokens: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        logits = self(tokens)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
        aux = self.aux_loss()
        return loss if aux is None else loss + aux

    def n_params(self) -> int:
        return sum(p.numel() for p in self.parameters())
