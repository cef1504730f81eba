"""`lmscope lens` and `lmscope patch`: the logit lens and activation patching from a shell (docs/lens.md)."""
from __future__ import annotations

import argparse
from typing import Any

from lmscope.backend.errors import BadInputError
from lmscope.gui.cli_sessions import drain


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from exc


def add_commands(sub: argparse._SubParsersAction) -> None:
    lens = sub.add_parser("lens", help="the logit lens: the top tokens of every residual point at every position")
    lens.add_argument("--model", default="demo", help="a built-in name (demo, the default) or a model folder")
    lens.add_argument("--text", required=True, help="the prompt")
    lens.add_argument("--top", type=_int, default=5, metavar="K", help="tokens per cell (default 5)")
    lens.add_argument("--device", help="auto, cpu, cuda, cuda:N or mps")
    lens.add_argument("--json", action="store_true")
    patch = sub.add_parser("patch", help="activation patching: clean activations into the corrupted run, one at a time")
    patch.add_argument("--model", default="demo", help="a built-in name (demo, the default) or a model folder")
    patch.add_argument("--clean", required=True, metavar="T1", help="the prompt with the right answer")
    patch.add_argument("--corrupt", required=True, metavar="T2", help="the same number of tokens, answer changed")
    patch.add_argument("--target", required=True, metavar="TOK", help="one token (text) or #ID")
    patch.add_argument("--distractor", required=True, metavar="TOK", help="one token (text) or #ID")
    patch.add_argument("--position", type=_int, default=-1, help="where the logit diff is read (default: the last)")
    patch.add_argument("--device", help="auto, cpu, cuda, cuda:N or mps")
    patch.add_argument("--json", action="store_true")


def _lens_model(args: argparse.Namespace) -> Any:  # noqa: ANN401 - a LensModel
    from lmscope.backend.device import pick_device
    from lmscope.backend.lens import lens_model
    from lmscope.backend.models.checkpoint import load_model

    return lens_model(load_model(args.model, pick_device(args.device)))


def run_lens(args: argparse.Namespace) -> dict[str, Any]:
    from lmscope.backend.lens import LensComputed, lens_job

    if not args.text:
        raise BadInputError("The text is empty; give --text some words.")
    lm = _lens_model(args)
    result = next(e for e in drain(lens_job(lm, args.text, args.top)) if isinstance(e, LensComputed)).result
    return result.to_json()


def lens_text(result: dict[str, Any]) -> str:
    """One row per residual point, one column per position: the top token and its log-probability."""
    tokens = result["tokens"]
    lines = ["position  " + "  ".join(f"{i:>10d}" for i in range(len(tokens))),
             "token     " + "  ".join(f"{t!r:>10.10}" for t in tokens)]
    for layer in result["layers"]:
        cells = [f"{top[0]!r:>6.6} {lp[0]:+.1f}" for top, lp in zip(layer["top_tokens"], layer["top_logprobs"])]
        lines.append(f"{layer['name']}\n          " + "  ".join(f"{c:>10}" for c in cells))
    return "\n".join(lines)


def run_patch(args: argparse.Namespace) -> dict[str, Any]:
    from lmscope.backend.lens import PatchingComputed, parse_token, patching_job

    lm = _lens_model(args)
    target = parse_token(lm, args.target, "target")
    distractor = parse_token(lm, args.distractor, "distractor")
    events = drain(patching_job(lm, args.clean, args.corrupt, target, distractor, args.position))
    result = [e for e in events if isinstance(e, PatchingComputed)][-1].result
    return result.to_json()


def patch_text(result: dict[str, Any]) -> str:
    def grid(name: str, rows: list[list[float]], column: str) -> list[str]:
        out = [f"{name} (rows: layers, columns: {column})"]
        out += [f"  L{layer:<3d}" + " ".join(f"{v:+6.2f}" for v in row) for layer, row in enumerate(rows)]
        return out

    lines = [f"logit diff: clean {result['clean_diff']:+.4f}, corrupted {result['corrupt_diff']:+.4f}; "
             "effect = (patched − corrupted)/(clean − corrupted)"]
    for name in ("resid_pre", "attn_out", "mlp_out"):
        lines += grid(name, result[name], "positions")
    lines += grid("heads", result["heads"], "heads")
    return "\n".join(lines)
