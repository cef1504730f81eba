"""`lmscope moe FILE.h5 [--trace I] [--json]`: the router statistics of a saved capture (docs/moe.md), and the
MoE flags of `lmscope train` (its parser and run_train call :func:`add_train_flags` and :func:`train_config`).

A session without router tensors is bad input: one sentence on stderr, exit 2.
"""
from __future__ import annotations

import argparse
from typing import Any

from lmscope.backend.errors import BadInputError


def add_command(sub: argparse._SubParsersAction) -> None:
    moe = sub.add_parser("moe", help="router statistics per MoE layer of a saved capture")
    moe.add_argument("file")
    moe.add_argument("--trace", type=int, metavar="I", help="which capture (default: the session's current one)")
    moe.add_argument("--json", action="store_true")


def run_moe(args: argparse.Namespace) -> dict[str, Any]:
    from lmscope.backend.moe.routing import trace_routing
    from lmscope.sessions import open_session

    session = open_session(args.file)
    try:
        count = len(session.traces)
        if count == 0:
            raise BadInputError(f"{args.file} holds no captures, so there is no routing to show.")
        index = session.current_trace if args.trace is None else args.trace
        if not 0 <= index < count:
            raise BadInputError(f"--trace {args.trace} is out of range: the session holds captures 0…{count - 1}.")
        trace = session.traces[index].trace
        routing = trace_routing(trace.tensors, trace.model_config, trace.token_strings)
        return routing.summary(index)
    finally:
        session.close()


def moe_text(result: dict[str, Any]) -> str:
    e, k = result["n_experts"], result["top_k"]
    lines = [f"trace {result['trace']}: {result['n_tokens']} tokens, {e} experts, top-{k}; ideal load 1/E = "
             f"{1 / e:.4f}",
             f"{'layer':>5} {'switch_aux':>10} {'z_loss':>9} {'entropy':>8} {'dropped':>8} {'MaxVio':>8}  "
             f"load per expert"]
    for row in result["layers"]:
        load = " ".join(f"{x:.3f}" for x in row["load"])
        lines.append(f"{row['layer']:>5} {row['switch_aux']:>10.4f} {row['z_loss']:>9.4f} {row['entropy']:>8.4f} "
                     f"{100 * row['dropped_fraction']:>7.2f}% {row['max_violation']:>8.4f}  {load}")
        lines.append(f"{'':>5} {'importance':>48}  " + " ".join(f"{x:.3f}" for x in row["importance"]))
    lines.append(f"hf_aux (transformers' load_balancing_loss_func: all layers pooled, top-{k} slots not divided by "
                 f"k, balanced = {k}) = {result['hf_aux']:.4f}")
    return "\n".join(lines)


# `lmscope train` flags for MoE models: each one overrides the preset's config field of the same name.
TRAIN_FLAGS: tuple[tuple[str, str, type, str], ...] = (
    ("--experts", "n_experts", int, "routed experts per MoE layer"),
    ("--top-k", "top_k", int, "experts each token is sent to"),
    ("--shared", "n_shared", int, "shared experts every token uses (DeepSeekMoE)"),
    ("--aux-loss-coef", "aux_loss_coef", float, "Switch load-balancing loss coefficient, per layer (0.01)"),
    ("--z-loss-coef", "z_loss_coef", float, "router z-loss coefficient (0.001)"),
    ("--capacity-factor", "capacity_factor", float, "expert capacity factor; 0 = unlimited"),
    ("--bias-update-rate", "bias_update_rate", float,
     "auxiliary-loss-free balancing: γ of the ±γ selection-bias update after each step; 0 = off"),
    ("--soft-slots", "soft_slots", int, "slots per expert (Soft MoE)"),
)


def add_train_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("mixture of experts (any of these makes the preset's FFN an MoE)")
    for flag, field, kind, help_text in TRAIN_FLAGS:
        group.add_argument(flag, dest=field, type=kind, help=help_text)
    group.add_argument("--moe-mode", choices=("topk", "dense", "soft"),
                       help="sparse top-k routing, dense MoE (every expert) or Soft MoE")
    group.add_argument("--noisy-gating", action=argparse.BooleanOptionalAction, default=None,
                       help="noisy top-k gating while training")


def train_config(args: argparse.Namespace, config: Any) -> Any:  # noqa: ANN401 - a TinyGPTConfig
    """The preset's config with the MoE flags given on the command line (ConfigError: exit 2)."""
    changes = {field: getattr(args, field) for _flag, field, _kind, _help in TRAIN_FLAGS
               if getattr(args, field, None) is not None}
    for name in ("moe_mode", "noisy_gating"):
        if getattr(args, name, None) is not None:
            changes[name] = getattr(args, name)
    if changes and config.ffn != "moe":
        changes["ffn"] = "moe"
    return config.replace(**changes) if changes else config
