"""KV-cache size, exactly, for MHA, GQA, MQA and MLA side by side (DeepSeek-V2, arXiv 2405.04434, Table 1).

In bytes, for L layers, H query heads, G key/value heads of width d_h, N cached tokens and b bytes per number:

    MHA  2·L·H·d_h·N·b        every head caches its own key and value
    GQA  2·L·G·d_h·N·b        G groups of heads share one key/value head each
    MQA  2·L·d_h·N·b          one key/value head for all
    MLA  L·(d_c + d_h^R)·N·b  one latent c_KV of width d_c plus the shared RoPE key of width d_h^R

A shape comes from a loaded TinyGPT's config, from any model's config dict (TinyGPT or Hugging Face: Llama, Qwen,
Mistral, GPT-2, DeepSeek-V2/V3 …), or from :data:`WELL_KNOWN` (numbers typed in from the models' published configs).
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lmscope.backend.errors import BadInputError

DTYPE_BYTES: dict[str, int] = {"fp32": 4, "bf16": 2, "fp16": 2, "fp8": 1}
KINDS: tuple[str, ...] = ("mha", "gqa", "mqa", "mla")


@dataclass(frozen=True)
class KVShape:
    """What the cache size depends on. ``kv_lora_rank`` (d_c) is 0 for a model without MLA."""

    layers: int
    heads: int
    kv_heads: int
    head_dim: int
    kv_lora_rank: int = 0
    rope_head_dim: int = 0
    name: str = ""

    def __post_init__(self) -> None:
        for field in ("layers", "heads", "kv_heads", "head_dim"):
            value = getattr(self, field)
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise BadInputError(f"The number of {field.replace('_', ' ')} must be a positive integer, not "
                                    f"{value!r}.")
        for field in ("kv_lora_rank", "rope_head_dim"):
            value = getattr(self, field)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise BadInputError(f"{field} must be an integer ≥ 0, not {value!r}.")
        if self.kv_heads > self.heads or self.heads % self.kv_heads:
            raise BadInputError(f"{self.kv_heads} key/value heads cannot be shared evenly by {self.heads} query "
                                "heads; GQA needs a divisor of the number of heads.")
        if self.rope_head_dim and not self.kv_lora_rank:
            raise BadInputError("A decoupled RoPE key width (rope head dim) only exists with MLA; give the "
                                "latent width (kv_lora_rank) too.")

    @property
    def kind(self) -> str:
        """Which of :data:`KINDS` the model itself uses."""
        if self.kv_lora_rank:
            return "mla"
        if self.kv_heads == self.heads:
            return "mha"
        return "mqa" if self.kv_heads == 1 else "gqa"


def kv_cache_bytes(shape: KVShape, tokens: int, dtype: str = "fp16") -> dict[str, int]:
    """Bytes of the cache for ``tokens`` tokens under each kind; "mla" only when the shape has a latent width."""
    if dtype not in DTYPE_BYTES:
        raise BadInputError(f"The cache dtype is one of {', '.join(DTYPE_BYTES)}, not {dtype!r}.")
    if not isinstance(tokens, int) or isinstance(tokens, bool) or tokens < 0:
        raise BadInputError(f"The number of tokens must be an integer ≥ 0, not {tokens!r}.")
    L, H, G, d, N, b = shape.layers, shape.heads, shape.kv_heads, shape.head_dim, tokens, DTYPE_BYTES[dtype]
    sizes = {"mha": 2 * L * H * d * N * b, "gqa": 2 * L * G * d * N * b, "mqa": 2 * L * d * N * b}
    if shape.kv_lora_rank:
        sizes["mla"] = L * (shape.kv_lora_rank + shape.rope_head_dim) * N * b
    return sizes


def kv_cache_table(shape: KVShape, tokens: int, dtype: str = "fp16") -> list[dict[str, Any]]:
    """One row per kind: bytes per token, for the whole context, and the fraction of MHA's size."""
    per_token = kv_cache_bytes(shape, 1, dtype)
    total = kv_cache_bytes(shape, tokens, dtype)
    return [{"kind": kind, "per_token": per_token[kind], "total": total[kind],
             "of_mha": per_token[kind] / per_token["mha"], "own": kind == shape.kind} for kind in total]


def human_bytes(n: float) -> str:
    """1536 → "1.50 KiB" (binary units, as memory is sold to GPUs)."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.2f} {unit}"
        n /= 1024
    return f"{n:.2f} TiB"


# Typed in from each model's published config.json (num_hidden_layers, num_attention_heads, num_key_value_heads,
# head_dim; DeepSeek's kv_lora_rank, qk_rope_head_dim and qk_nope_head_dim = v_head_dim = d_h).
WELL_KNOWN: dict[str, KVShape] = {
    shape.name: shape for shape in (
        KVShape(12, 12, 12, 64, name="gpt2"),
        KVShape(32, 32, 32, 128, name="llama-2-7b"),
        KVShape(80, 64, 8, 128, name="llama-2-70b"),
        KVShape(32, 32, 8, 128, name="llama-3-8b"),
        KVShape(32, 32, 8, 128, name="mistral-7b"),
        KVShape(28, 28, 4, 128, name="qwen2-7b"),
        KVShape(32, 71, 1, 64, name="falcon-7b"),
        KVShape(27, 16, 16, 128, kv_lora_rank=512, rope_head_dim=64, name="deepseek-v2-lite"),
        KVShape(60, 128, 128, 128, kv_lora_rank=512, rope_head_dim=64, name="deepseek-v2"),
        KVShape(61, 128, 128, 128, kv_lora_rank=512, rope_head_dim=64, name="deepseek-v3"),
    )
}


def _int_field(config: Mapping[str, Any], *names: str, default: int | None = None) -> int:
    for name in names:
        value = config.get(name)
        if value is not None:
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
                raise BadInputError(f"The config's {name} must be a whole number, not {value!r}.")
            return int(value)
    if default is None:
        raise BadInputError(f"The config has no {' / '.join(names)}, so its KV cache cannot be sized.")
    return default


def shape_of_config(config: Mapping[str, Any], name: str = "") -> KVShape:
    """The cache shape of a TinyGPT config dict or a Hugging Face config.json dict."""
    if not isinstance(config, Mapping):
        raise BadInputError("A model config must be a JSON object of settings.")
    config = config.get("text_config", config) if isinstance(config.get("text_config"), Mapping) else config
    layers = _int_field(config, "n_layer", "num_hidden_layers", "num_layers")
    heads = _int_field(config, "n_head", "num_attention_heads")
    kv_heads = _int_field(config, "n_kv_head", "num_key_value_heads", default=heads)
    if config.get("multi_query") is True:  # Falcon's flag for one key/value head
        kv_heads = 1
    if "d_model" in config and "n_layer" in config and "n_head" in config:  # TinyGPT, or lmscope's model description
        head_dim = _int_field(config, "d_head", default=_int_field(config, "d_model") // heads)
        if config.get("attention") == "mla":
            return KVShape(layers, heads, heads, head_dim, _int_field(config, "kv_lora_rank"),
                           _int_field(config, "rope_head_dim", default=0), name)
        return KVShape(layers, heads, kv_heads, head_dim, name=name)
    latent = _int_field(config, "kv_lora_rank", default=0)
    if latent:  # DeepSeek-V2/V3: d_h is the per-head value width; head_dim there means the RoPE width
        return KVShape(layers, heads, heads, _int_field(config, "v_head_dim", "qk_nope_head_dim"), latent,
                       _int_field(config, "qk_rope_head_dim", default=0), name)
    width = _int_field(config, "hidden_size", "n_embd", "d_model", default=0)
    head_dim = _int_field(config, "head_dim", default=width // heads if width else 0)
    return KVShape(layers, heads, kv_heads, head_dim, name=name)


def read_config(path: str | Path) -> tuple[dict[str, Any], str]:
    """A config.json file, or a model folder holding one, as a dict and a name for it."""
    path = Path(path)
    file = path / "config.json" if path.is_dir() else path
    try:
        if file.stat().st_size > 10_000_000:
            raise BadInputError(f"{file} is over 10 MB; a model config is a few kilobytes.")
        data = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise BadInputError(f"There is no model config at {file}.") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadInputError(f"{file} is not a readable JSON model config.") from exc
    if not isinstance(data, dict):
        raise BadInputError(f"{file} is not a JSON object of settings.")
    return data, path.name if path.is_dir() else path.stem
