"""`lmscope moe FILE.h5 [--trace I] [--json]`: the router statistics of a saved capture (docs/moe.md), and the
MoE flags of `lmscope train`.

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
