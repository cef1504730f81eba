"""The ``lmscope`` command: the GUI by default, and headless subcommands (contract in DESIGN.md).

``--json`` prints exactly one JSON object on stdout. Errors are one sentence on stderr, exit code 2 for bad input
(a bad command line included) and 1 for anything else. Text from files (a session's names, labels, versions) can
hold terminal control sequences, so every line printed is escaped first (:func:`terminal_safe`).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from lmscope.backend.errors import BadInputError, LmscopeError
from lmscope.gui import cli_embeddings, cli_export, cli_kvcache, cli_lens, cli_moe, cli_sessions
from lmscope.gui.terminal import json_safe, terminal_safe

EXIT_BROKEN_PIPE = 141  # what a shell reports for a command ended by SIGPIPE (`lmscope info … | head`)

def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from exc


class Parser(argparse.ArgumentParser):
    """argparse with one-sentence errors: "lmscope train: --steps needs a value; see `lmscope train --help`."."""

    def error(self, message: str) -> NoReturn:
        message = terminal_safe(message.rstrip("."), field=True)
        self.exit(2, f"{self.prog}: {message}; see `{self.prog} --help`.\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="lmscope", description="A desktop microscope for language models.")
    parser.add_argument("--screenshot", metavar="DIR",
                        help="start offscreen, load the demo, write the window and each dock as PNG, exit")
    parser.add_argument("--device", help="auto (default: cuda > mps > cpu), cpu, cuda, cuda:N or mps")
    parser.add_argument("--model", metavar="DIR|NAME",
                        help="open this model instead of the demo: a TinyGPT or Hugging Face folder, or a built-in "
                             "name (demo, minilm)")
    parser.add_argument("--language", choices=("en", "zh_CN"),
                        help="interface language (default: the one chosen in View → Language, else the system's)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    cli_sessions.add_commands(sub)
    cli_export.add_commands(sub)
    cli_embeddings.add_commands(sub)
    cli_moe.add_command(sub)
    cli_lens.add_commands(sub)

    seg = sub.add_parser("segment", help="jieba segmentation of a text")
    seg.add_argument("text")
    seg.add_argument("--mode", choices=("precise", "full", "search"), default="precise")
    seg.add_argument("--no-hmm", action="store_true", help="do not guess unknown words with the HMM")
    seg.add_argument("--pos", action="store_true", help="part-of-speech tags (precise mode)")
    seg.add_argument("--json", action="store_true")

    bpe = sub.add_parser("bpe", help="train BPE and print its merges in order")
    source = bpe.add_mutually_exclusive_group(required=True)
    source.add_argument("--corpus", metavar="FILE")
    source.add_argument("--words", metavar='"low:5,lower:2"')
    bpe.add_argument("--merges", type=_int, required=True, metavar="K")
    bpe.add_argument("--json", action="store_true")

    fs = sub.add_parser("flashsim", help="the FlashAttention tile simulator")
    fs.add_argument("--n", type=_int, required=True)
    fs.add_argument("--d", type=_int, required=True)
    fs.add_argument("--sram-bytes", type=_int, required=True)
    fs.add_argument("--dtype", choices=("fp16", "fp32", "fp64"), default="fp16")
    fs.add_argument("--br", type=_int)
    fs.add_argument("--bc", type=_int)
    fs.add_argument("--causal", action="store_true")
    fs.add_argument("--algo", choices=("fa1", "fa2"), default="fa1")
    fs.add_argument("--seed", type=_int, default=0)
    fs.add_argument("--counts-only", action="store_true")
    fs.add_argument("--json", action="store_true")
    cli_kvcache.add_command(sub, _int)
    return parser


def _segment(args: argparse.Namespace) -> dict[str, Any]:
    from lmscope.backend.tokenize.segment import segment_summary

    return segment_summary(args.text, mode=args.mode, hmm=not args.no_hmm, pos=args.pos)


def _segment_text(result: dict[str, Any]) -> str:
    words = [w["word"] + (f"/{w['tag']}" if w.get("tag") else "") for w in result["words"]]
    return " / ".join(words)


def _bpe(args: argparse.Namespace) -> dict[str, Any]:
    from lmscope.backend.tokenize.bpe import bpe_summary

    if args.corpus:
        return bpe_summary(merges=args.merges, corpus=args.corpus)
    return bpe_summary(merges=args.merges, words=args.words)


def _bpe_text(result: dict[str, Any]) -> str:
    lines = [f"{i:4d}  {left} + {right}  ({count})" for i, (left, right, count) in enumerate(result["merges"])]
    lines += [f"{w['word']}: {' '.join(w['tokens'])}" for w in result["segmentation"][:50]]
    return "\n".join(lines)


def _flashsim(args: argparse.Namespace) -> dict[str, Any]:
    from lmscope.backend.flashsim import simulate_summary

    return simulate_summary(args.n, args.d, args.sram_bytes, dtype=args.dtype, br=args.br, bc=args.bc,
                            causal=args.causal, algo=args.algo, seed=args.seed, counts_only=args.counts_only)


def _flashsim_text(r: dict[str, Any]) -> str:
    lines = [
        f"{r['algo'].upper()}{' causal' if r['causal'] else ''}: N={r['n']} d={r['d']} M={r['m']} elements, "
        f"Br={r['br']} Bc={r['bc']} (Tr={r['tr']}, Tc={r['tc']})",
        f"HBM reads {r['hbm_reads']:,}  writes {r['hbm_writes']:,} elements",
        f"standard attention reads {r['standard_reads']:,}  writes {r['standard_writes']:,} elements",
        f"peak SRAM {r['peak_sram']:,} elements ({r['peak_sram'] / r['m']:.2f}× M)",
    ]
    if "max_abs_err" in r:
        lines.append(f"max |O − exact| = {r['max_abs_err']:.3e}")
    return "\n".join(lines)


COMMANDS: dict[str, tuple[Callable[[argparse.Namespace], dict[str, Any]], Callable[[dict[str, Any]], str]]] = {
    "segment": (_segment, _segment_text),
    "bpe": (_bpe, _bpe_text),
    "flashsim": (_flashsim, _flashsim_text),
    "capture": (cli_sessions.run_capture, cli_sessions.summary_text),
    "train": (cli_sessions.run_train, cli_sessions.summary_text),
    "info": (cli_sessions.run_info, cli_sessions.info_text),
    "export": (cli_export.run_export, cli_export.export_text),
    "kvcache": (cli_kvcache.run, cli_kvcache.as_text),
    "moe": (cli_moe.run_moe, cli_moe.moe_text),
    **cli_embeddings.COMMANDS,
    "lens": (cli_lens.run_lens, cli_lens.lens_text),
    "patch": (cli_lens.run_patch, cli_lens.patch_text),
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command in (None, "open"):
            from lmscope.gui.app import run_gui

            return run_gui(device=args.device, model=args.model,
                           screenshot_dir=getattr(args, "open_screenshot", None) or args.screenshot,
                           session=getattr(args, "file", None), force=getattr(args, "open_force", False),
                           language=args.language)
        compute, as_text = COMMANDS[args.command]
        result = compute(args)
        if getattr(args, "json", False):
            _print(json_safe(json.dumps(result, ensure_ascii=False)))
        else:
            _print(terminal_safe(as_text(result)))
        return cli_sessions.exit_code(args, result)
    except BrokenPipeError:
        return _reader_went_away()
    except BadInputError as exc:
        _say(exc)
        return 2
    except LmscopeError as exc:
        _say(exc)
        return 1
    except KeyboardInterrupt:
        print("lmscope: interrupted.", file=sys.stderr)
        return 130


def _print(text: str) -> None:
    stream = sys.stdout
    if hasattr(stream, "reconfigure"):  # a terminal in a non-UTF-8 locale gets escapes, not UnicodeEncodeError
        stream.reconfigure(errors="backslashreplace")
    stream.write(text + "\n")
    stream.flush()


def _say(exc: BaseException) -> None:
    try:
        print(f"lmscope: {terminal_safe(str(exc), field=True)}", file=sys.stderr)
    except (BrokenPipeError, OSError):
        pass


def _reader_went_away() -> int:
    """The reading end of the pipe closed (`| head`): stop quietly, and keep Python's exit-time flush of stdout
    from raising again (the recipe in Python's signal documentation)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass
    return EXIT_BROKEN_PIPE


if __name__ == "__main__":
    sys.exit(main())
