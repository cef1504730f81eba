"""TinyGPT's configuration: one frozen dataclass whose fields switch every design choice we teach.

The config round-trips through JSON exactly (``to_json`` / ``from_json``) so that a checkpoint folder and a session
file carry it as text, never as a pickled object.
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any, Literal

from lmscope.backend.errors import ConfigError

Norm = Literal["layernorm", "rmsnorm"]
NormPlacement = Literal["pre", "post"]
Pos = Literal["sinusoidal", "learned", "rope", "none"]
Act = Literal["relu", "gelu", "swiglu"]
Ffn = Literal["dense", "moe"]
Attn = Literal["standard", "mla"]

CHOICES: dict[str, tuple[str, ...]] = {
    "norm": ("layernorm", "rmsnorm"),
    "norm_placement": ("pre", "post"),
    "pos": ("sinusoidal", "learned", "rope", "none"),
    "act": ("relu", "gelu", "swiglu"),
    "ffn": ("dense", "moe"),
    "attention": ("standard", "mla"),
}


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
        positive = ("vocab_size", "n_ctx", "d_model", "n_layer", "n_head", "n_kv_head", "d_mlp")
        for field in positive:
            if int(getattr(self, field)) <= 0:
                raise ConfigError(f"{field} must be a positive integer, not {getattr(self, field)!r}.")
        if self.d_model % self.n_head:
            raise ConfigError(f"n_head ({self.n_head}) must divide d_model ({self.d_model}).")
        if self.n_head % self.n_kv_head:
            raise ConfigError(f"n_kv_head ({self.n_kv_head}) must divide n_head ({self.n_head}) for GQA/MQA.")
        if self.pos == "rope" and self.d_head % 2:
            raise ConfigError(f"RoPE rotates pairs of dimensions, so the head size ({self.d_head}) must be even.")
        if self.ffn == "moe" and not 1 <= self.top_k <= self.n_experts:
            raise ConfigError(f"top_k ({self.top_k}) must be between 1 and n_experts ({self.n_experts}).")
        if not 0.0 <= self.dropout < 1.0:
            raise ConfigError(f"dropout must be in [0, 1), not {self.dropout}.")
        if self.capacity_factor < 0:
            raise ConfigError(f"capacity_factor must be ≥ 0 (0 = unlimited), not {self.capacity_factor}.")
        if self.attention == "mla":
            self._check_mla()

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

    def replace(self, **changes: Any) -> "TinyGPTConfig":
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TinyGPTConfig":
        known = {f.name: f for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise ConfigError(f"Unknown TinyGPT config field(s): {', '.join(unknown)}.")
        typed: dict[str, Any] = {}
        for name, value in data.items():
            kind = type(getattr(cls(), name))
            try:
                typed[name] = kind(value) if kind in (int, float, bool) else value
            except (TypeError, ValueError) as exc:
                raise ConfigError(f"Config field {name} has an invalid value {value!r}.") from exc
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
