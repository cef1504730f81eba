"""TinyGPT's configuration: one frozen dataclass whose fields switch every design choice we teach.

The config round-trips through JSON exactly (``to_json`` / ``from_json``) so that a checkpoint folder and a session
file carry it as text, never as a pickled object.
"""
from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any, Literal

from lmscope.backend.errors import ConfigError

Norm = Literal["layernorm", "rmsnorm"]
NormPlacement = Literal["pre", "post"]
Pos = Literal["sinusoidal", "learned", "rope", "none"]
Act = Literal["relu", "gelu", "swiglu"]
Ffn = Literal["dense", "moe"]
MoeMode = Literal["topk", "dense", "soft"]
Attn = Literal["standard", "mla"]

CHOICES: dict[str, tuple[str, ...]] = {
    "norm": ("layernorm", "rmsnorm"),
    "norm_placement": ("pre", "post"),
    "pos": ("sinusoidal", "learned", "rope", "none"),
    "act": ("relu", "gelu", "swiglu"),
    "ffn": ("dense", "moe"),
    "moe_mode": ("topk", "dense", "soft"),
    "attention": ("standard", "mla"),
}

# Inclusive ranges for every number, checked before anything is built: a session from elsewhere is untrusted, and
# `n_layer = 1e6` used to build a million blocks before any size check. Each bound is far above the models lmscope
# teaches with (the demo: vocab 2k, ctx 128, d 128, 4 layers) and below what would take minutes to build.
INT_RANGES: dict[str, tuple[int, int]] = {
    "vocab_size": (1, 1 << 20),  # the largest real vocabularies are ~256k
    "n_ctx": (1, 1 << 16),
    "d_model": (1, 1 << 14),
    "n_layer": (1, 256),
    "n_head": (1, 1024),
    "n_kv_head": (1, 1024),
    "d_mlp": (1, 1 << 17),
    "n_experts": (1, 256),
    "top_k": (1, 256),
    "n_shared": (0, 64),
    "soft_slots": (1, 64),
    "kv_lora_rank": (0, 1 << 14),
    "q_lora_rank": (0, 1 << 14),
    "rope_head_dim": (0, 1 << 10),
}
# (low, high, low inclusive, high inclusive); NaN and infinities are never in range.
FLOAT_RANGES: dict[str, tuple[float, float, bool, bool]] = {
    "norm_eps": (0.0, 1.0, False, True),
    "rope_base": (0.0, 1e12, False, True),
    "capacity_factor": (0.0, 1000.0, True, True),
    "dropout": (0.0, 1.0, True, False),
    # A coefficient of 1 already lets balancing outweigh the language-model loss; γ above 1 moves the bias by more
    # than a typical logit gap per step.
    "aux_loss_coef": (0.0, 1.0, True, True),
    "z_loss_coef": (0.0, 1.0, True, True),
    "bias_update_rate": (0.0, 1.0, True, True),
}
BOOL_FIELDS = ("noisy_gating", "tie_embeddings")
# 10^9 float32 parameters are 4 GB before the optimizer; TinyGPT teaches with models a thousand times smaller.
MAX_PARAMETERS = 1_000_000_000


def _check_int(name: str, value: Any) -> None:
    low, high = INT_RANGES[name]
    if isinstance(value, bool) or not isinstance(value, Integral) or not low <= value <= high:
        raise ConfigError(f"{name} must be an integer from {low:,} to {high:,}, not {value!r}.")


def _check_float(name: str, value: Any) -> None:
    low, high, low_in, high_in = FLOAT_RANGES[name]
    ok = isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value)
    ok = ok and (low <= value if low_in else low < value) and (value <= high if high_in else value < high)
    if not ok:
        interval = f"{'[' if low_in else '('}{low:g}, {high:g}{']' if high_in else ')'}"
        raise ConfigError(f"{name} must be a finite number in {interval}, not {value!r}.")


@dataclass(frozen=True)
class TinyGPTConfig:
    vocab_size: int = 256
    n_ctx: int = 128
    d_model: int = 128
    n_layer: int = 4
    n_head: int = 4
    # n_kv_head == n_head is multi-head attention, 1 is multi-query, anything between that divides n_head is GQA.
    n_kv_head: int = 4
    d_mlp: int = 512
    norm: Norm = "layernorm"
    norm_placement: NormPlacement = "pre"
    norm_eps: float = 1e-5
    pos: Pos = "learned"
    rope_base: float = 10000.0
    act: Act = "gelu"
    ffn: Ffn = "dense"
    n_experts: int = 4
    top_k: int = 2
    n_shared: int = 0
    noisy_gating: bool = False
    capacity_factor: float = 0.0  # 0 means unlimited capacity: no token is ever dropped
    # MoE training: Switch load-balancing and ST-MoE router z-loss coefficients (per layer, summed over layers),
    # and DeepSeek-V3's auxiliary-loss-free balancing rate γ (0 = off): a per-expert selection bias moved by ±γ
    # after every step. moe_mode: sparse top-k routing, dense MoE (every expert, softmax-weighted) or Soft MoE
    # (soft_slots slots per expert, dispatch/combine weights).
    aux_loss_coef: float = 0.01
    z_loss_coef: float = 0.001
    bias_update_rate: float = 0.0
    moe_mode: MoeMode = "topk"
    soft_slots: int = 1
    dropout: float = 0.0
    tie_embeddings: bool = True
    # Multi-head latent attention (DeepSeek-V2 §2.1): keys and values come from one cached latent c_KV of width
    # kv_lora_rank (d_c); queries from a latent of width q_lora_rank (0 = straight from h); rope_head_dim (d_h^R)
    # is the decoupled RoPE part of each query and of the one key shared by every head (0 = none).
    attention: Attn = "standard"
    kv_lora_rank: int = 0
    q_lora_rank: int = 0
    rope_head_dim: int = 0

    def __post_init__(self) -> None:
        for field, choices in CHOICES.items():
            if getattr(self, field) not in choices:
                raise ConfigError(f"{field} must be one of {', '.join(choices)}, not {getattr(self, field)!r}.")
        for field in INT_RANGES:
            _check_int(field, getattr(self, field))
        for field in FLOAT_RANGES:
            _check_float(field, getattr(self, field))
        for field in BOOL_FIELDS:
            if not isinstance(getattr(self, field), bool):
                raise ConfigError(f"{field} must be true or false, not {getattr(self, field)!r}.")
        if self.d_model % self.n_head:
            raise ConfigError(f"n_head ({self.n_head}) must divide d_model ({self.d_model}).")
        if self.n_head % self.n_kv_head:
            raise ConfigError(f"n_kv_head ({self.n_kv_head}) must divide n_head ({self.n_head}) for GQA/MQA.")
        if self.pos == "rope" and self.d_head % 2:
            raise ConfigError(f"RoPE rotates pairs of dimensions, so the head size ({self.d_head}) must be even.")
        if self.ffn == "moe" and not 1 <= self.top_k <= self.n_experts:
            raise ConfigError(f"top_k ({self.top_k}) must be between 1 and n_experts ({self.n_experts}).")
        if self.attention == "mla":
            self._check_mla()
        if self.parameter_count() > MAX_PARAMETERS:
            raise ConfigError(f"This model would have {self.parameter_count():,} parameters; lmscope builds "
                              f"TinyGPT models of up to {MAX_PARAMETERS:,}.")

    def _check_mla(self) -> None:
        if self.kv_lora_rank <= 0:
            raise ConfigError("MLA caches a latent of width kv_lora_rank, so kv_lora_rank must be ≥ 1.")
        if self.q_lora_rank < 0 or self.rope_head_dim < 0 or self.rope_head_dim % 2:
            raise ConfigError("q_lora_rank must be ≥ 0 and rope_head_dim an even number ≥ 0 (RoPE rotates pairs).")
        if self.n_kv_head != self.n_head:
            raise ConfigError(f"MLA gives every head its own key and value from one shared latent, so n_kv_head "
                              f"must equal n_head ({self.n_head}).")
        if (self.pos == "rope") != (self.rope_head_dim > 0):
            raise ConfigError("MLA with RoPE needs rope_head_dim > 0 (the decoupled RoPE key: rotating the keys made "
                              "from the latent would stop W_UK being absorbed), and rope_head_dim > 0 needs pos=rope.")

    @property
    def d_head(self) -> int:
        return self.d_model // self.n_head

    @property
    def attention_kind(self) -> str:
        """MHA, GQA, MQA or MLA, as people name them."""
        if self.attention == "mla":
            return "MLA"
        if self.n_kv_head == self.n_head:
            return "MHA"
        return "MQA" if self.n_kv_head == 1 else "GQA"

    def parameter_count(self) -> int:
        """What ``TinyGPT(self).n_params()`` will be, computed without building anything."""
        d, dh, heads = self.d_model, self.d_head, self.n_head
        norm = (2 if self.norm == "layernorm" else 1) * d
        if self.attention == "mla":  # backend/models/mla.py: query and key/value latents, decoupled RoPE parts
            q_in, rank, rope = self.q_lora_rank or d, self.kv_lora_rank, self.rope_head_dim
            attention = (d * self.q_lora_rank + self.q_lora_rank) + q_in * heads * (dh + rope)
            attention += d * rank + rank + 2 * rank * heads * dh + d * rope + (heads * dh + 1) * d
        else:
            attention = (d + 1) * heads * dh + 2 * (d + 1) * self.n_kv_head * dh + (heads * dh + 1) * d
        mlp = (d + 1) * self.d_mlp * (2 if self.act == "swiglu" else 1) + (self.d_mlp + 1) * d
        if self.ffn == "moe":
            router = self.n_experts * (self.soft_slots if self.moe_mode == "soft" else 1)
            noise = self.n_experts if self.noisy_gating and self.moe_mode == "topk" else 0
            ffn = d * (router + noise) + (self.n_experts + self.n_shared) * mlp
        else:
            ffn = mlp
        total = self.vocab_size * d + (self.n_ctx * d if self.pos == "learned" else 0)
        total += self.n_layer * (2 * norm + attention + ffn)
        total += norm if self.norm_placement == "pre" else 0
        return total + (0 if self.tie_embeddings else d * self.vocab_size)

    def state_count(self) -> int:
        """Numbers in the model's state_dict without the tied unembedding: its parameters, and the MoE selection
        bias (a buffer) when auxiliary-loss-free balancing is on."""
        bias = self.ffn == "moe" and self.moe_mode == "topk" and self.bias_update_rate > 0
        return self.parameter_count() + (self.n_layer * self.n_experts if bias else 0)

    def replace(self, **changes: Any) -> "TinyGPTConfig":
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TinyGPTConfig":
        """A config from JSON-like data (a file from anyone): types and ranges are checked before anything else."""
        if not isinstance(data, dict):
            raise ConfigError("The model config must be a JSON object.")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(str(k) for k in set(data) - known)
        if unknown:
            raise ConfigError(f"Unknown TinyGPT config field(s): {', '.join(unknown)[:200]}.")
        typed: dict[str, Any] = {}
        for name, value in data.items():
            if name in INT_RANGES and isinstance(value, float) and math.isfinite(value) and value.is_integer():
                value = int(value)  # 4.0 from a hand-edited file is 4; 1e300 is then out of range, not built
            elif name in FLOAT_RANGES and isinstance(value, Integral) and not isinstance(value, bool):
                value = float(value)
            typed[name] = value
        return cls(**typed)

    @classmethod
    def from_json(cls, text: str) -> "TinyGPTConfig":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"The model config is not valid JSON ({exc.msg} at line {exc.lineno}).") from exc
        if not isinstance(data, dict):
            raise ConfigError("The model config must be a JSON object.")
        return cls.from_dict(data)

    def summary(self) -> str:
        ffn = self.act if self.ffn == "dense" else f"MoE {self.n_experts}×top{self.top_k} ({self.act})"
        kv = {"MHA": "", "MLA": f", d_c={self.kv_lora_rank}"}.get(self.attention_kind, f", {self.n_kv_head} kv")
        return (
            f"{self.n_layer} layers · d={self.d_model} · {self.n_head} heads ({self.attention_kind}"
            f"{kv}) · {self.norm_placement}-{self.norm}"
            f" · pos={self.pos} · {ffn} · vocab {self.vocab_size} · ctx {self.n_ctx}"
        )


# Named starting points for Model → Train new model… and `lmscope train --preset`.
PRESETS: dict[str, TinyGPTConfig] = {
    "demo": TinyGPTConfig(n_layer=4, d_model=128, n_head=4, n_kv_head=4, d_mlp=512),
    "tiny": TinyGPTConfig(n_layer=2, d_model=64, n_head=4, n_kv_head=4, d_mlp=256, n_ctx=64),
    "tiny-rmsnorm": TinyGPTConfig(n_layer=2, d_model=64, n_head=4, n_kv_head=4, d_mlp=256, n_ctx=64, norm="rmsnorm"),
    "tiny-postnorm": TinyGPTConfig(n_layer=2, d_model=64, n_head=4, n_kv_head=4, d_mlp=256, n_ctx=64,
                                   norm_placement="post"),
    "tiny-relu": TinyGPTConfig(n_layer=2, d_model=64, n_head=4, n_kv_head=4, d_mlp=256, n_ctx=64, act="relu"),
    "llama-style": TinyGPTConfig(n_layer=2, d_model=64, n_head=4, n_kv_head=2, d_mlp=172, n_ctx=64,
                                 norm="rmsnorm", pos="rope", act="swiglu", tie_embeddings=False),
    "moe": TinyGPTConfig(n_layer=2, d_model=64, n_head=4, n_kv_head=4, d_mlp=128, n_ctx=64,
                         ffn="moe", n_experts=4, top_k=2, n_shared=1, noisy_gating=True, capacity_factor=1.25),
    # DeepSeek-V2's proportions at toy size: d_c = 4·d_h and d_h^R = d_h/2, so the cache holds 4.5·d_h per token and
    # layer against MHA's 2·n_h·d_h = 8·d_h (Table 1 of the paper).
    "mla": TinyGPTConfig(n_layer=2, d_model=64, n_head=4, n_kv_head=4, d_mlp=256, n_ctx=64, norm="rmsnorm",
                         pos="rope", attention="mla", kv_lora_rank=64, q_lora_rank=32, rope_head_dim=8),
}
