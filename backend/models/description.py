"""What a loaded model is, in one shape for TinyGPT and Hugging Face models alike, so panels need not know which.

:class:`ModelDescription` carries the sizes and design choices a panel reads (layers, heads, KV heads, widths,
norm, positions, causal or not, MoE) plus where the model came from. It duck-types the fields of
:class:`~lmscope.backend.models.config.TinyGPTConfig` that the app reads (``n_layer``, ``n_head``, ``n_kv_head``,
``d_model``, ``attention_kind``, ``summary()``, ``to_dict()`` …), so code written for TinyGPT's ``model.cfg`` reads
a real model's description too. Plain data: no torch, and it round-trips through JSON for sessions.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from lmscope.backend.models.config import TinyGPTConfig


@dataclass(frozen=True)
class ModelDescription:
    kind: str  # "tinygpt" or "hf"
    architecture: str  # TinyGPT, or the Hugging Face class that ran (GPT2LMHeadModel, BertModel, …)
    family: str  # tinygpt, gpt2, llama, qwen2, bert, mixtral, qwen2_moe
    vocab_size: int
    n_ctx: int  # the longest input the positions allow (max_position_embeddings for HF)
    d_model: int
    n_layer: int
    n_head: int
    n_kv_head: int  # key/value heads: K and V are captured per KV head (GQA/MQA), patterns per query head
    d_head: int
    d_mlp: int
    causal: bool  # False for an encoder (BERT): every position sees every other one
    norm: str  # layernorm | rmsnorm
    norm_placement: str  # pre | post
    norm_eps: float
    pos: str  # learned | rope | sinusoidal | none
    rope_base: float
    act: str  # gelu, relu, swiglu, … (Hugging Face's name when it is none of ours)
    ffn: str  # dense | moe
    n_experts: int = 0
    top_k: int = 0
    n_shared: int = 0
    moe_layers: tuple[int, ...] = ()  # layers whose feed-forward is a mixture of experts
    tie_embeddings: bool = False
    has_logits: bool = True  # False for an encoder loaded without its language-model head
    dtype: str = "float32"  # the dtype the model's weights ran in
    n_params: int = 0
    source: dict[str, Any] = field(default_factory=dict)  # folder, name, hf_config, tokenizer_files, builtin

    @property
    def attention_kind(self) -> str:
        """MHA, GQA or MQA, as people name them."""
        if self.n_kv_head == self.n_head:
            return "MHA"
        return "MQA" if self.n_kv_head == 1 else "GQA"

    @property
    def display_name(self) -> str:
        """A short label for a status bar: ``GPT2LMHeadModel 12L · d768 · 12H MHA``."""
        kv = "" if self.attention_kind == "MHA" else f"/{self.n_kv_head}kv"
        return f"{self.architecture} {self.n_layer}L · d{self.d_model} · {self.n_head}H{kv} {self.attention_kind}"

    def summary(self) -> str:
        ffn = self.act if self.ffn == "dense" else (
            f"MoE {self.n_experts}×top{self.top_k}{f' +{self.n_shared} shared' if self.n_shared else ''} ({self.act})")
        kv = "" if self.attention_kind == "MHA" else f", {self.n_kv_head} kv"
        return (f"{self.architecture} · {self.n_layer} layers · d={self.d_model} · {self.n_head} heads "
                f"({self.attention_kind}{kv}) · {'causal' if self.causal else 'bidirectional'} · "
                f"{self.norm_placement}-{self.norm} · pos={self.pos} · {ffn} · vocab {self.vocab_size} · "
                f"ctx {self.n_ctx} · {self.dtype}")

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["moe_layers"] = list(self.moe_layers)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ModelDescription":
        known = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["moe_layers"] = tuple(values.get("moe_layers", ()))
        return cls(**values)


def describe_tinygpt(cfg: TinyGPTConfig, n_params: int = 0, source: str = "") -> ModelDescription:
    """TinyGPT's config in the common shape (TinyGPT is always causal and runs in float32)."""
    moe = cfg.ffn == "moe"
    return ModelDescription(
        kind="tinygpt", architecture="TinyGPT", family="tinygpt", vocab_size=cfg.vocab_size, n_ctx=cfg.n_ctx,
        d_model=cfg.d_model, n_layer=cfg.n_layer, n_head=cfg.n_head, n_kv_head=cfg.n_kv_head, d_head=cfg.d_head,
        d_mlp=cfg.d_mlp, causal=True, norm=cfg.norm, norm_placement=cfg.norm_placement, norm_eps=cfg.norm_eps,
        pos=cfg.pos, rope_base=cfg.rope_base, act=cfg.act, ffn=cfg.ffn, n_experts=cfg.n_experts if moe else 0,
        top_k=cfg.top_k if moe else 0, n_shared=cfg.n_shared if moe else 0,
        moe_layers=tuple(range(cfg.n_layer)) if moe else (), tie_embeddings=cfg.tie_embeddings, n_params=n_params,
        source={"name": source} if source else {},
    )
