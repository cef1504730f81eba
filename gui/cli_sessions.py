"""`lmscope capture | train | info | open`: sessions from a shell, headless (a GPU server needs no display)."""
from __future__ import annotations

import argparse
import fnmatch
import math
import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from lmscope.backend.errors import BadInputError
from lmscope.backend.jobs import JobProgress
from lmscope.gui import cli_moe
from lmscope.gui.terminal import terminal_safe


class StderrProgress:
    """Progress on stderr (stdout stays clean for --json). On a terminal: a one-line bar redrawn in place. Otherwise
    (a log file, `nohup`, a pipe): a plain line every ``interval`` seconds while the work goes on — the latest
    message and the time so far — and the last message at the end, so a long job shows life without filling the log
    and without a carriage return. A job that ends (or fails) within the first interval prints nothing, so a quick
    error stays one sentence. ``LMSCOPE_PROGRESS_SECONDS`` sets the interval (default 5, at least 0.2; 0 writes every
    new message as it comes, for a log that wants each stage)."""

    def __init__(self, enabled: bool = True, interval: float | None = None) -> None:
        self.enabled = enabled
        self.tty = sys.stderr.isatty()
        if interval is None:
            try:
                interval = float(os.environ.get("LMSCOPE_PROGRESS_SECONDS", "5"))
            except ValueError:
                interval = 5.0
        self.interval = (0.0 if interval == 0 else max(0.2, interval)) if math.isfinite(interval) else 5.0
        self.last = ""
        self.pending = ""  # plain mode: the latest message
        self.written = ""  # plain mode: the last line written
        self._start = time.monotonic()
        self._stop = threading.Event()
        self._beat: threading.Thread | None = None

    def show(self, event: JobProgress) -> None:
        if not self.enabled:
            return
        if self.tty:
            self._draw(event)
            return
        percent = f"{event.fraction:4.0%} " if event.fraction >= 0 else ""
        self.pending = f"{percent}{event.message}"
        if self.interval == 0:
            if self.pending != self.written:
                self._write_line()
            return
        if self._beat is None:
            self._beat = threading.Thread(target=self._heartbeat, name="lmscope-progress", daemon=True)
            self._beat.start()

    def _heartbeat(self) -> None:
        while not self._stop.wait(self.interval):
            self._write_line()

    def _write_line(self) -> None:
        message = self.pending
        line = f"lmscope: {message} [{time.monotonic() - self._start:.0f} s]"
        try:
            sys.stderr.write(terminal_safe(line) + "\n")
            sys.stderr.flush()
        except (BrokenPipeError, OSError, ValueError):
            self._stop.set()
        self.written = message

    def _draw(self, event: JobProgress) -> None:
        if event.fraction >= 0:
            filled = int(event.fraction * 30)
            line = f"[{'#' * filled}{' ' * (30 - filled)}] {event.fraction:4.0%} {event.message}"
        else:
            line = f"[{' ' * 30}] {event.message}"
        sys.stderr.write("\r" + line[:110].ljust(len(self.last)))
        sys.stderr.flush()
        self.last = line[:110]

    def done(self) -> None:
        if self.tty:
            if self.enabled and self.last:
                sys.stderr.write("\n")
            return
        self._stop.set()
        if self._beat is not None:
            self._beat.join()
            self._beat = None
            if self.written and self.pending != self.written:
                self._write_line()  # where it ended, once the log has shown it running


def drain(job: Iterator[object]) -> list[object]:
    """Run a job generator to the end, showing its progress; return its other events."""
    progress = StderrProgress()
    events = []
    try:
        for event in job:
            if isinstance(event, JobProgress):
                progress.show(event)
            else:
                events.append(event)
    finally:
        progress.done()
    return events


def add_commands(sub: argparse._SubParsersAction) -> None:
    cap = sub.add_parser("capture", help="capture every hook of a prompt into a session file")
    cap.add_argument("--model", default="demo",
                     help="demo (default), minilm, a TinyGPT folder or a Hugging Face model folder")
    cap.add_argument("--device-map", metavar="MAP",
                     help="Hugging Face models only: 'auto' spreads layers over GPUs, CPU and disk (accelerate)")
    cap.add_argument("--max-memory", metavar="DEV=SIZE,…",
                     help="with --device-map: caps per device, e.g. '0=20GiB,cpu=30GiB' (the rest goes to disk)")
    cap.add_argument("--offload-dir", metavar="DIR", help="with --device-map: where disk-offloaded weights go")
    cap.add_argument("--dtype", choices=("auto", "float32", "bfloat16", "float16"), default="auto",
                     help="Hugging Face models only: auto = float32 on CPU, the checkpoint's half dtype on CUDA")
    cap.add_argument("--text", help="the prompt (default: the demo prompt)")
    cap.add_argument("--truncate", choices=("left", "right"),
                     help="a prompt longer than the model's context: keep its last tokens (left: cut the start) or "
                          "its first (right: cut the end); without it such a prompt is refused")
    cap.add_argument("--device", help="auto, cpu, cuda, cuda:N or mps")
    cap.add_argument("--names", action="append", metavar="GLOB",
                     help="only hooks matching this glob (repeatable), e.g. 'blocks.*.attn.hook_pattern'")
    cap.add_argument("--no-weights", action="store_true",
                     help="leave the model's weights out of the session (always, for a Hugging Face model)")
    cap.add_argument("--float16", action="store_true",
                     help="store every float tensor as float16, patterns included (half the size; ~5e-4 relative "
                          "precision)")
    cap.add_argument("--store-patterns", action=argparse.BooleanOptionalAction, default=None,
                     help="keep every head's full scores and pattern (default: only while they take ≤ 64 MiB, e.g. "
                          "≤ 240 tokens on GPT-2 small; otherwise they are recomputed from q and k when shown)")
    cap.add_argument("--store-logits", action=argparse.BooleanOptionalAction, default=None,
                     help="keep the full logits in the file (default: only while they take ≤ 64 MiB, e.g. ≤ 333 "
                          "tokens with GPT-2's vocabulary; running the prompt again gives them back)")
    cap.add_argument("--mask", metavar="SPEC", help="capture with this attention mask, e.g. causal+window:8, prefix:4, "
                     "topk:4, lsh:8:0 (docs/attention-variants.md)")
    cap.add_argument("-o", "--output", required=True, metavar="FILE.h5")
    cap.add_argument("--json", action="store_true")
    tr = sub.add_parser("train", help="train a TinyGPT on the demo corpus; save history, snapshots and model")
    tr.add_argument("--preset", default="tiny")
    tr.add_argument("--steps", type=_steps, default=200, help=f"optimizer steps, 1 to {MAX_STEPS:,}")
    tr.add_argument("--device", help="auto, cpu, cuda, cuda:N or mps")
    tr.add_argument("-o", "--output", required=True, metavar="FILE.h5")
    tr.add_argument("--json", action="store_true")
    cli_moe.add_train_flags(tr)
    info = sub.add_parser("info", help="what a session file holds")
    info.add_argument("file")
    info.add_argument("--verify", action="store_true",
                      help="read every tensor (in bounded memory), check checksums and invariants; exit 2 on problems")
    info.add_argument("--force", action="store_true",
                      help="lift the size limits for a file you trust (it may need a lot of memory)")
    info.add_argument("--json", action="store_true")
    op = sub.add_parser("open", help="open a session file in the GUI")
    op.add_argument("file")
    op.add_argument("--screenshot", metavar="DIR", dest="open_screenshot",
                    help="open offscreen, write the window and each dock as PNG to DIR, exit (2 if refused)")
    op.add_argument("--force", action="store_true", dest="open_force",
                    help="lift the size limits for a file you trust (it may need a lot of memory)")


MAX_STEPS = 10_000_000  # ~1 day of the tiny preset on a laptop CPU; 1e12 was accepted and would never end


def _steps(text: str) -> int:
    try:
        steps = int(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"takes a whole number, not {text!r}") from exc
    if not 1 <= steps <= MAX_STEPS:
        raise argparse.ArgumentTypeError(f"must be from 1 to {MAX_STEPS:,}, not {steps:,}")
    return steps


def _session_for(loaded: Any, captured: list[Any], history: Any = None, include_weights: bool = True) -> Any:
    from lmscope.backend.training.history import TrainingHistory
    from lmscope.sessions import SavedTrace, Session, part_from_loaded

    model = part_from_loaded(loaded, include_weights)
    traces = [SavedTrace(c.trace, c.histograms) for c in captured]
    return Session(model=model, traces=traces, current_trace=len(traces) - 1,
                   history=history if history is not None else TrainingHistory())


def parse_max_memory(text: str | None) -> dict[Any, str] | None:
    """'0=20GiB,cpu=30GiB' → {0: '20GiB', 'cpu': '30GiB'} (accelerate's max_memory)."""
    if not text:
        return None
    caps: dict[Any, str] = {}
    for item in text.split(","):
        device, sep, size = item.strip().partition("=")
        if not sep or not device or not size:
            raise BadInputError(f"--max-memory takes DEVICE=SIZE pairs such as 0=20GiB,cpu=30GiB, not {item!r}.")
        caps[int(device) if device.isdigit() else device] = size
    return caps


def run_capture(args: argparse.Namespace) -> dict[str, Any]:
    from lmscope.backend.attention.masks import MaskSpec
    from lmscope.backend.device import pick_device
    from lmscope.sessions.atomic import check_output_path

    check_output_path(args.output)  # before the model is loaded and run
    spec = MaskSpec.parse(args.mask) if args.mask is not None else None  # a bad SPEC is refused before loading
    device = pick_device(args.device)
    progress = StderrProgress()
    try:
        return _capture(args, spec, device, progress)
    finally:
        progress.done()


def _capture(args: argparse.Namespace, spec: Any, device: Any, progress: StderrProgress) -> dict[str, Any]:
    from lmscope.backend.attention.patterns import pattern_source
    from lmscope.backend.capture import capture
    from lmscope.backend.demo import DEFAULT_PROMPT
    from lmscope.backend.jobs import PromptTooLong, TraceCaptured, fit_context
    from lmscope.backend.models.builtin import is_builtin
    from lmscope.backend.models.checkpoint import load_model
    from lmscope.backend.stats import trace_histograms
    from lmscope.sessions import save_session
    from lmscope.sessions import logits_kept

    progress.show(JobProgress(0.0, f"Loading {args.model} on {device}…"))
    hf_options = {}
    if args.device_map or args.max_memory or args.offload_dir or args.dtype != "auto":
        hf_options = {"device_map": args.device_map, "max_memory": parse_max_memory(args.max_memory),
                      "offload_dir": args.offload_dir, "dtype": args.dtype}
    loaded = load_model(args.model, device, **hf_options)
    if spec is not None and spec.is_content_based and loaded.model.cfg.to_dict().get("kind") == "hf":
        raise BadInputError("Top-k and LSH masks pick keys inside TinyGPT's attention; a Hugging Face model takes "
                            "the position-based masks (causal, prefix, window, …) only.")
    text = DEFAULT_PROMPT if args.text is None else args.text
    if not text:
        raise BadInputError("The text is empty; give --text some words.")
    all_ids = loaded.tokenizer.encode(text)
    try:
        ids = fit_context(all_ids, loaded.model.cfg, args.truncate)
    except PromptTooLong as exc:
        raise PromptTooLong(exc.n_tokens, exc.limit, f"Pass --truncate left to keep the last {exc.limit:,} tokens "
                            f"or --truncate right to keep the first {exc.limit:,}.") from None
    if len(ids) < len(all_ids):
        text = loaded.tokenizer.decode(ids)
    name = args.model if is_builtin(args.model) else Path(args.model).name
    progress.show(JobProgress(0.3, f"Capturing {len(ids):,} tokens…"))
    trace = capture(loaded.model, ids, args.names, token_strings=loaded.tokenizer.token_strings(ids), text=text,
                    label=f"{name} · {text[:24]}",
                    # top-k/LSH choose keys inside the forward pass: keep the patterns the model really used
                    store_patterns=True if spec is not None and spec.is_content_based else args.store_patterns,
                    allowed=spec.model_mask(len(ids), device=loaded.model.device) if spec is not None else None)
    if spec is not None:
        trace.meta["mask"] = spec.to_text()
    if not trace.tensors:
        raise BadInputError(f"No hook matches {', '.join(args.names)}; `lmscope info` on a full capture lists them.")
    if len(ids) < len(all_ids):
        trace.meta["truncated"] = {"side": args.truncate, "dropped": len(all_ids) - len(ids), "of": len(all_ids)}
    captured = TraceCaptured(trace, trace_histograms(trace.tensors, trace.n_layer))
    # A Hugging Face model's weights stay in its folder: the session records the folder, config and tokenizer.
    weights = not args.no_weights and loaded.weights_in_sessions
    session = _session_for(loaded, [captured], include_weights=weights)
    progress.show(JobProgress(0.7, f"Saving the session ({len(trace.tensors)} tensors)…"))
    store_logits = args.store_logits
    if store_logits is None and args.names and any(fnmatch.fnmatchcase("logits", glob) for glob in args.names):
        store_logits = True  # asked for by name
    path = save_session(session, args.output, include_weights=weights, float16=args.float16,
                        store_logits=store_logits)
    progress.show(JobProgress(1.0, f"Saved {path.name}"))
    description = loaded.description
    logits = ("none" if "logits" not in trace.tensors else
              "stored" if logits_kept(trace.tensors, trace.shape_of("logits"), store_logits) else "left out")
    return {"output": str(path), "tokens": len(ids), "tensors": len(trace.tensors), "device": str(device),
            "model": description.architecture, "dtype": description.dtype, "weights": weights,
            "patterns": pattern_source(trace), "logits": logits, "truncated": len(all_ids) - len(ids)}


def run_train(args: argparse.Namespace) -> dict[str, Any]:
    from lmscope.backend.training.history import TrainingHistory
    from lmscope.backend.jobs import ModelLoaded, TraceCaptured, train_job
    from lmscope.backend.models.config import PRESETS
    from lmscope.backend.training.loop import HistogramSnapshot, TrainProgress, TrainSettings
    from lmscope.sessions import save_session
    from lmscope.sessions.atomic import check_output_path

    if args.preset not in PRESETS:
        raise BadInputError(f"There is no preset {args.preset!r}; choose one of {', '.join(PRESETS)}.")
    check_output_path(args.output)  # before training, not after it (85 s were lost to a missing folder)
    settings = TrainSettings(steps=args.steps, device=args.device)
    history = TrainingHistory(label=args.preset)
    loaded, captured = None, []
    config = cli_moe.train_config(args, PRESETS[args.preset])
    for event in drain(train_job(config, settings, args.preset)):
        if isinstance(event, (TrainProgress, HistogramSnapshot)):
            history.add(event)
        elif isinstance(event, ModelLoaded):
            loaded = event.loaded
        elif isinstance(event, TraceCaptured):
            captured.append(event)
    path = save_session(_session_for(loaded, captured, history), args.output)
    return {"output": str(path), "steps": len(history), "final_loss": history.loss[-1],
            "snapshots": len(history.snapshots)}


def run_info(args: argparse.Namespace) -> dict[str, Any]:
    from lmscope.sessions import describe, open_session

    if args.verify:
        from lmscope.sessions.verify import verify_session

        return verify_session(args.file, force=args.force).as_dict()
    from lmscope.backend.attention.patterns import pattern_source

    session = open_session(args.file, force=args.force)
    try:
        info = describe(session)
        for entry, saved in zip(info["traces"], session.traces):
            entry["patterns"] = pattern_source(saved.trace)  # from the tensor names: no data is read
        return info
    finally:
        session.close()


def exit_code(args: argparse.Namespace, result: dict[str, Any]) -> int:
    """0, or 2 when `info --verify` found problems (a teammate's script checks the file before sending it)."""
    return 2 if getattr(args, "verify", False) and not result.get("ok", True) else 0


def _f(value: Any) -> str:
    """One value from a file, on one line, with control characters escaped (gui/cli.py escapes again)."""
    return terminal_safe(str(value), field=True)


def info_text(info: dict[str, Any]) -> str:
    if "problems" in info:
        return verify_text(info)
    lines = [f"lmscope session, format version {_f(info['format_version'])} (written by lmscope "
             f"{_f(info['app_version'])} on {_f(info['created'])})"]
    model = info["model"]
    if model:
        cfg = model["config"]
        lines.append(f"model: {_f(model['source'])} — {_f(cfg.get('n_layer'))} layers, d={_f(cfg.get('d_model'))}, "
                     f"{_f(cfg.get('n_head'))} heads, vocab {_f(cfg.get('vocab_size'))}; "
                     f"weights {'included' if model['weights'] else 'not included'}")
    else:
        lines.append("model: none")
    for trace in info["traces"]:
        lines.append(f"trace {trace['index']}: '{_f(trace['label'])}', {trace['tokens']} tokens, "
                     f"{len(trace['tensors'])} tensors")
        if "patterns" in trace:
            lines.append(f"    attention patterns: {PATTERN_WORDS.get(trace['patterns'], trace['patterns'])}")
        if "logits_left_out" in trace:
            shape = tuple(trace["logits_left_out"])
            lines.append(f"    logits {shape}: left out of the file ({_mib(shape)}; kept only while ≤ 64 MiB or with "
                         "--store-logits); running the prompt through the model again gives them back")
        summed = sum(1 for t in trace["tensors"].values() if t.get("sum_of"))
        if summed:
            lines.append(f"    {summed} residual points stored as exact sums of others (read back bit for bit)")
        for name, t in trace["tensors"].items():
            sum_of = f"  = {' + '.join(_f(s) for s in t['sum_of'])}" if t.get("sum_of") else ""
            lines.append(f"    {_f(name):45s} {str(tuple(t['shape'])):22s} {_f(t['dtype'])}{sum_of}")
    lines.append(f"training: {info['training_steps']} steps, {info['snapshots']} histogram snapshots")
    lines.append(f"notes: {info['notes_chars']} characters, {info['bookmarks']} bookmarks")
    return "\n".join(lines)


def _mib(shape: tuple[int, ...]) -> str:
    size = 4
    for n in shape:
        size *= int(n)
    return f"{size / 2**20:,.0f} MiB in float32"


def verify_text(result: dict[str, Any]) -> str:
    checked = (f"{result['datasets']} datasets read ({result['checksummed']} with checksums), "
               f"{result['bytes_read']:,} bytes")
    if result["ok"]:
        return f"{_f(result['file'])}: sound — {checked}."
    lines = [f"{_f(result['file'])}: {len(result['problems'])} problem(s) — {checked}."]
    lines += [f"  - {_f(problem)}" for problem in result["problems"]]
    return "\n".join(lines)


PATTERN_WORDS = {"stored": "stored in the file", "recomputed": "recomputed from the stored q and k when shown",
                 "mixed": "stored for some layers, recomputed from q and k for the others", "none": "none"}


def summary_text(result: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v}" for k, v in result.items())
