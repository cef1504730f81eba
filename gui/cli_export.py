"""`lmscope export FILE.h5 NAME… -o OUT`: captured tensors out of a session, headless."""
from __future__ import annotations

import argparse
from typing import Any


def add_commands(sub: argparse._SubParsersAction) -> None:
    ex = sub.add_parser("export", help="write captured tensors of a session to .npy, .csv or .safetensors")
    ex.add_argument("file", metavar="FILE.h5")
    ex.add_argument("names", nargs="+", metavar="NAME",
                    help="tensor names or globs, e.g. 'blocks.0.attn.hook_pattern' or 'blocks.*.hook_resid_pre'")
    ex.add_argument("--trace", type=int, default=-1, metavar="I", help="which capture (default: the current one)")
    ex.add_argument("-o", "--output", required=True, metavar="OUT")
    ex.add_argument("--json", action="store_true")


def run_export(args: argparse.Namespace) -> dict[str, Any]:
    from lmscope.backend.attention.patterns import TensorsWithAttention
    from lmscope.backend.errors import BadInputError
    from lmscope.backend.tensor_export import export_tensors, select_names
    from lmscope.sessions import open_session

    session = open_session(args.file)
    try:
        if not session.traces:
            raise BadInputError(f"{args.file} holds no capture to export from.")
        index = session.current_trace if args.trace == -1 else args.trace
        if not 0 <= index < len(session.traces):
            raise BadInputError(f"There is no capture {args.trace}; this session has {len(session.traces)} "
                                f"(0–{len(session.traces) - 1}).")
        # Patterns the capture did not store are listed and written too, recomputed from q and k.
        available = TensorsWithAttention(session.traces[index].trace)
        names = select_names(available.keys(), args.names)
        tensors = {name: available[name] for name in names}
        out = export_tensors(tensors, args.output)
    finally:
        session.close()
    return {"output": str(out), "trace": index,
            "tensors": [{"name": n, "shape": list(a.shape), "dtype": str(a.dtype)} for n, a in tensors.items()]}


def export_text(result: dict[str, Any]) -> str:
    lines = [f"{t['name']}  {tuple(t['shape'])}  {t['dtype']}" for t in result["tensors"]]
    return "\n".join(lines + [f"written to {result['output']}"])
