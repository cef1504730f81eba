"""`lmscope kvcache`: the KV-cache size of MHA, GQA, MQA and MLA for one model shape (backend/attention/kvcache.py).

The shape is typed in (--layers --heads --kv-heads --head-dim [--kv-lora-rank --rope-head-dim]), read from a
config (--config FILE|DIR: TinyGPT or Hugging Face config.json; --model demo), or named (--known llama-3-8b).
``--json`` prints {"mha", "gqa", "mqa", "mla"} in bytes for --tokens tokens ("mla" only with a latent width).
"""
from __future__ import annotations

import argparse
from typing import Any

from lmscope.backend.attention.kvcache import (
    DTYPE_BYTES, WELL_KNOWN, KVShape, human_bytes, kv_cache_bytes, kv_cache_table, read_config, shape_of_config,
)
from lmscope.backend.errors import BadInputError

TYPED = ("layers", "heads", "kv_heads", "head_dim", "kv_lora_rank", "rope_head_dim")


def add_command(sub: argparse._SubParsersAction, integer: Any) -> None:  # noqa: ANN401 - argparse's type callable
    kv = sub.add_parser("kvcache", help="KV-cache bytes of MHA, GQA, MQA and MLA for a model shape")
    kv.add_argument("--layers", type=integer, metavar="L")
    kv.add_argument("--heads", type=integer, metavar="H")
    kv.add_argument("--kv-heads", type=integer, metavar="G", help="key/value heads (default: H)")
    kv.add_argument("--head-dim", type=integer, metavar="D")
    kv.add_argument("--kv-lora-rank", type=integer, metavar="C", help="MLA's latent width d_c")
    kv.add_argument("--rope-head-dim", type=integer, metavar="R", help="MLA's decoupled RoPE key width d_h^R")
    source = kv.add_mutually_exclusive_group()
    source.add_argument("--config", metavar="FILE|DIR", help="a TinyGPT or Hugging Face config.json (or its folder)")
    source.add_argument("--model", metavar="demo", choices=("demo",), help="the built-in demo model's config")
    source.add_argument("--known", choices=tuple(WELL_KNOWN), help="a well-known model's published shape")
    kv.add_argument("--tokens", type=integer, required=True, metavar="N")
    kv.add_argument("--dtype", choices=tuple(DTYPE_BYTES), default="fp16")
    kv.add_argument("--json", action="store_true")


def shape_from_args(args: argparse.Namespace) -> KVShape:
    typed = {name: getattr(args, name) for name in TYPED if getattr(args, name) is not None}
    named = args.config or args.model or args.known
    if named and typed:
        raise BadInputError("Give the shape either as numbers (--layers, --heads, …) or as --config/--model/--known, "
                            "not both.")
    if args.known:
        return WELL_KNOWN[args.known]
    if args.model == "demo":
        from lmscope.backend.demo import demo_dir

        config, _ = read_config(demo_dir())
        return shape_of_config(config, "demo")
    if args.config:
        config, name = read_config(args.config)
        return shape_of_config(config, name)
    missing = [f"--{name.replace('_', '-')}" for name in ("layers", "heads", "head_dim") if name not in typed]
    if missing:
        raise BadInputError(f"The shape needs {', '.join(missing)} (or --config, --model or --known).")
    typed.setdefault("kv_heads", typed["heads"])
    return KVShape(**typed)


def run(args: argparse.Namespace) -> dict[str, Any]:
    shape = shape_from_args(args)
    if args.json:
        return kv_cache_bytes(shape, args.tokens, args.dtype)
    return {"shape": shape, "tokens": args.tokens, "dtype": args.dtype,
            "rows": kv_cache_table(shape, args.tokens, args.dtype)}


def as_text(result: dict[str, Any]) -> str:
    shape: KVShape = result["shape"]
    latent = f", d_c={shape.kv_lora_rank}, d_h^R={shape.rope_head_dim}" if shape.kv_lora_rank else ""
    lines = [f"{shape.name or 'model'}: L={shape.layers}, H={shape.heads}, G={shape.kv_heads}, d_h={shape.head_dim}"
             f"{latent} ({shape.kind.upper()}); {result['tokens']:,} tokens in {result['dtype']}",
             f"{'':5s} {'per token':>14s} {'whole context':>22s} {'of MHA':>8s}"]
    for row in result["rows"]:
        mark = "  ← this model" if row["own"] else ""
        lines.append(f"{row['kind'].upper():5s} {row['per_token']:>12,} B {row['total']:>16,} B  "
                     f"{row['of_mha']:7.1%}  {human_bytes(row['total'])}{mark}")
    return "\n".join(lines)
