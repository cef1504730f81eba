"""Long contexts on a GPT-2-small shape (12 layers, d=768, 12 heads, vocab 50,257, 4,096 positions; seeded random,
loaded through lmscope's Hugging Face adapter): capture cost and session size at 512 / 2,048 / 4,096 tokens against a
plain forward and a TransformerLens-style full cache, then the model view at 512 / 1,024 / 2,048 / 4,096 tokens from
the saved sessions against BertViz at 512.

Peers, in the same run:
- plain forward: the very model lmscope captures with (transformers' eager GPT-2), called without hooks;
- TransformerLens-style full cache: SIMULATED in plain torch (bench/tl_sim.py; TransformerLens is not installed),
  every hook ``run_with_cache`` keeps, as references; at 4,096 tokens its cache (≈ 22 GiB) exceeds this machine's
  memory, so only its size is given, from the shapes;
- BertViz ``model_view``: an HTML page holding every weight (L·H·T² numbers, as JSON text) for a browser to draw;
  lmscope's model view computes 144 pooled 48×48 thumbnails and four numbers per head, and draws them.

Each length's capture figures come from one fresh process (peaks do not mix); within it the sides alternate,
``REPEATS`` times each. Lengths are the issue's; only repetitions are kept to the minimum of 3 for the long ones.
"""
from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import spread

CAPTURE_LENGTHS = (512, 2048, 4096)
VIEW_LENGTHS = (512, 1024, 2048, 4096)
REPEATS = 3
TL_MAX = 2048  # longest length whose TransformerLens-style cache fits in memory here (6.3 GiB; 4,096: ≈ 22 GiB)
GPT2_SMALL = dict(n_embd=768, n_layer=12, n_head=12, n_positions=4096, initializer_range=0.02)

PROBE = r"""
import gc, json, os, sys, time
import numpy as np
import torch
from lmscope.backend.capture import capture
from lmscope.backend.models.checkpoint import load_model
from lmscope.sessions import SavedTrace, Session, save_session

def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1]) / 1024
def reset_peak():  # Linux: 5 → clear_refs resets VmHWM to the current RSS
    with open("/proc/self/clear_refs", "w") as handle:
        handle.write("5")

folder, n_pos, out, repeats, with_tl = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5] == "1"
loaded = load_model(folder)
ids = (loaded.tokenizer.encode("The model predicts the next token from the ones before it. ") * n_pos)[:n_pos]
tokens = torch.tensor([ids])
hf = loaded.model.hf
weights_mb = sum(p.numel() * p.element_size() for p in hf.parameters()) / 2**20
result = {"plain": [], "ours": [], "tl": [], "weights_mb": weights_mb}
if with_tl:
    from transformers import AutoModelForCausalLM
    from bench.tl_sim import cache_bytes, tl_style_cache
    peer = AutoModelForCausalLM.from_pretrained(folder, attn_implementation="tl_sim").eval()
def plain():
    with torch.no_grad():
        hf(input_ids=tokens, use_cache=False)
with torch.no_grad():  # warm-up, short: pages the memory-mapped weights in and starts the kernels
    hf(input_ids=tokens[:, :64], use_cache=False)
    if with_tl:
        peer(input_ids=tokens[:, :64], use_cache=False)
trace = None
for rep in range(repeats):
    start = time.perf_counter(); plain(); result["plain"].append(time.perf_counter() - start)
    trace = None; gc.collect()
    if rep == 0:
        reset_peak(); base = status("VmRSS:")
    start = time.perf_counter(); trace = capture(loaded.model, ids); result["ours"].append(time.perf_counter() - start)
    if rep == 0:
        result["peak_mb"], result["base_mb"] = status("VmHWM:"), base
        result["trace_mb"] = sum(a.nbytes for a in trace.tensors.values()) / 2**20
        result["patterns"] = any(n.endswith("hook_pattern") for n in trace)
    if with_tl:
        with torch.no_grad(), tl_style_cache(peer) as cache:
            start = time.perf_counter()
            peer(input_ids=tokens, use_cache=False)
            result["tl"].append(time.perf_counter() - start)
            result["tl_attention_mb"], result["tl_rest_mb"] = (b / 2**20 for b in cache_bytes(cache))
            del cache
        gc.collect()
start = time.perf_counter()
save_session(Session(traces=[SavedTrace(trace)], current_trace=0), out, include_weights=False)
result["save_s"], result["session_mb"] = time.perf_counter() - start, os.path.getsize(out) / 2**20
if n_pos == 2048:
    for key, kwargs in (("session_f16_mb", dict(float16=True)), ("session_logits_mb", dict(store_logits=True))):
        other = out + ".other.h5"
        save_session(Session(traces=[SavedTrace(trace)], current_trace=0), other, include_weights=False, **kwargs)
        result[key] = os.path.getsize(other) / 2**20
        os.remove(other)
print(json.dumps(result))
"""


def make_model(folder: Path) -> Path:
    from lmscope.backend.models.hf_tiny import make_tiny_checkpoint, train_tokenizer

    vocab = train_tokenizer("gpt2")[0].get_vocab_size()
    return make_tiny_checkpoint(folder, "gpt2", seed=0, extra_vocab=50_257 - vocab, **GPT2_SMALL)


def probe(folder: Path, n_pos: int, out: Path, repeats: int, with_tl: bool) -> dict[str, Any]:
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    proc = subprocess.run([sys.executable, "-c", PROBE, str(folder), str(n_pos), str(out), str(repeats),
                           "1" if with_tl else "0"], capture_output=True, text=True, env=env,
                          cwd=Path(__file__).parents[1])
    if proc.returncode:
        raise RuntimeError(f"the {n_pos}-token capture probe failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def tl_size_gib(measured: dict[int, dict[str, Any]], n_pos: int) -> float:
    """The TransformerLens-style cache at ``n_pos`` from the longest measured one: scores and patterns grow as T²,
    everything else as T."""
    ref = max(n for n, r in measured.items() if r.get("tl"))
    r = measured[ref]
    return (r["tl_attention_mb"] * (n_pos / ref) ** 2 + r["tl_rest_mb"] * n_pos / ref) / 1024


def capture_rows(results: dict[int, dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for n_pos, r in results.items():
        ratios = [o / p for o, p in zip(r["ours"], r["plain"])]
        tl_gib = (r["tl_attention_mb"] + r["tl_rest_mb"]) / 1024 if r.get("tl") else tl_size_gib(results, n_pos)
        held = r["base_mb"] + r["trace_mb"]  # what must be resident: the process with its weights, and the trace
        rows += [
            {"name": f"long {n_pos}: plain eager forward (peer)", "value": spread(r["plain"], digits=2),
             "unit": "s min/med/max",
             "target": "", "note": f"{len(r['plain'])} runs, same model, no hooks"},
            {"name": f"long {n_pos}: lmscope capture, every hook", "value": spread(r["ours"], digits=2),
             "unit": "s min/med/max",
             "target": "", "note": "patterns " + ("stored" if r["patterns"] else "left to recompute from q/k")},
            {"name": f"long {n_pos}: capture ÷ forward, run by run", "value": spread(ratios, digits=2), "unit": "×",
             "target": "≤ 1.3" if n_pos == 2048 else "", "note": "each capture over the forward just before it"},
        ]
        if r.get("tl"):
            tl_ratios = [t / p for t, p in zip(r["tl"], r["plain"])]
            rows.append({"name": f"long {n_pos}: TransformerLens-style cache ÷ forward (simulated peer)",
                         "value": spread(tl_ratios, digits=2), "unit": "×", "target": "",
                         "note": f"plain torch, every hook kept; its cache {tl_gib:.2f} GiB"})
        else:
            rows.append({"name": f"long {n_pos}: TransformerLens-style cache (simulated peer)", "value": "not run",
                         "unit": "", "target": "", "note": f"would hold {tl_gib:.1f} GiB (from the shapes): more "
                                                           "than this machine's memory"})
        rows += [
            {"name": f"long {n_pos}: peak RSS ÷ (RSS before + stored tensors)",
             "value": f"{r['peak_mb'] / held:.2f}", "unit": "×", "target": "≤ 1.5" if n_pos == 2048 else "",
             "note": f"peak {r['peak_mb']:.0f} MiB; before the capture {r['base_mb']:.0f} (weights "
                     f"{r['weights_mb']:.0f} + libraries); trace {r['trace_mb']:.0f} MiB"},
            {"name": f"long {n_pos}: session size ÷ TransformerLens-style cache",
             "value": f"{r['session_mb'] / 1024 / tl_gib:.3f}", "unit": "×", "target": "≤ 0.25" if n_pos == 2048
             else "", "note": f"session {r['session_mb']:.0f} MiB float32, no weights, logits "
                              f"{'left out' if n_pos * 50_257 * 4 > 64 * 2**20 else 'stored'} (kept while ≤ 64 MiB), "
                              f"saved in {r['save_s']:.1f} s; peer cache {tl_gib:.2f} GiB (its logits not counted)"},
        ]
        if "session_logits_mb" in r:
            rows.append({"name": f"long {n_pos}: session with --store-logits ÷ TransformerLens-style cache",
                         "value": f"{r['session_logits_mb'] / 1024 / tl_gib:.3f}", "unit": "×", "target": "",
                         "note": f"{r['session_logits_mb']:.0f} MiB: the full logits kept (the peer's cache has none)"})
        if "session_f16_mb" in r:
            rows.append({"name": f"long {n_pos}: --float16 session size ÷ TransformerLens-style cache",
                         "value": f"{r['session_f16_mb'] / 1024 / tl_gib:.3f}", "unit": "×", "target": "≤ 0.25",
                         "note": f"{r['session_f16_mb']:.0f} MiB: every float tensor in float16"})
    return rows


def _app():  # noqa: ANN202 - QApplication
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from lmscope.gui.app import configure_qt

    configure_qt()
    return QApplication.instance() or QApplication([])


def view_fill(window: Any, trace: Any) -> tuple[float, float]:  # noqa: ANN401
    """Seconds from a trace entering the window to its first drawn thumbnail and to every head drawn (worker
    computes, runner flushes at 30 Hz, widget draws: the app's own path). The GUI thread runs its own event loop and
    sleeps between events, as in the app; a 10 ms timer looks at the view (polling every 2 ms, as this did before,
    took a fifth of a core from the worker)."""
    import numpy as np
    from PySide6.QtCore import QEventLoop, QTimer

    from lmscope.gui.document import TraceEntry

    from lmscope.backend.attention.patterns import CACHE

    _app()
    view = window.bindings["attention"].panel.model_view
    CACHE.clear()  # every run starts cold: the inspector's first head is recomputed too
    times: dict[str, float] = {}
    loop, timer = QEventLoop(), QTimer()
    timer.setInterval(10)

    def look() -> None:
        values = view.summary_values()
        drawn = int(np.count_nonzero(~np.isnan(values))) if values is not None else 0
        now = time.perf_counter() - start
        if drawn:
            times.setdefault("first", now)
        if values is not None and drawn == values.size and not window.runner.busy:
            times["all"] = now
            loop.quit()

    timer.timeout.connect(look)
    start = time.perf_counter()
    window.document.add_trace(TraceEntry(trace))
    timer.start()
    loop.exec()
    timer.stop()
    return times["first"], times["all"]


def fill_peak_mb(window: Any, trace: Any, inspector_cold: bool) -> float:  # noqa: ANN401
    """Peak RSS added while the view fills (VmHWM reset first), after a warm fill of the same trace (its q and k read).
    ``inspector_cold``: the inspector recomputes its head too (scores + pattern, two N×N); otherwise that head is
    still in the cache, and what is measured is the model view's own fill."""
    from lmscope.backend.attention import patterns

    with open("/proc/self/clear_refs", "w") as handle:
        handle.write("5")
    before = _status("VmRSS:")
    clear = patterns.CACHE.clear
    if not inspector_cold:
        patterns.CACHE.clear = lambda: None  # view_fill starts cold; here the inspector's head stays computed
    try:
        view_fill(window, trace)
    finally:
        patterns.CACHE.clear = clear
    return _status("VmHWM:") - before


def _status(key: str) -> float:
    with open("/proc/self/status") as handle:
        return next(int(line.split()[1]) / 1024 for line in handle if line.startswith(key))


def bertviz(trace: Any) -> tuple[list[float], int] | None:  # noqa: ANN401
    """BertViz's model_view HTML for the same 512-token capture (every pattern, recomputed from q/k first)."""
    try:
        from bertviz import model_view
    except ImportError:
        return None
    import torch

    from lmscope.backend.attention.patterns import layer_tensor

    attention = tuple(torch.from_numpy(layer_tensor(trace, layer, "pattern")) for layer in range(trace.n_layer))
    sizes: list[int] = []

    def job() -> None:
        html = model_view(attention, list(trace.token_strings), html_action="return")
        sizes.append(len(html.data))
    seconds = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        job()
        seconds.append(time.perf_counter() - start)
    return seconds, sizes[-1]


def view_rows(sessions: dict[int, Path]) -> list[dict[str, Any]]:
    import torch
    from PySide6.QtCore import QSettings

    from lmscope.gui.app import build_window
    from lmscope.sessions import open_session

    app = _app()
    window = build_window(torch.device("cpu"), QSettings(os.devnull, QSettings.Format.IniFormat))
    window.resize(1600, 1000)
    window.show()
    app.processEvents()
    rows: list[dict[str, Any]] = []
    peer = None
    try:
        for n_pos, path in sessions.items():
            session = open_session(path)
            trace = session.traces[0].trace
            fills = [view_fill(window, trace) for _ in range(REPEATS)]
            firsts, totals = [f for f, _ in fills], [t for _, t in fills]
            view_peak = fill_peak_mb(window, trace, inspector_cold=False)
            window_peak = fill_peak_mb(window, trace, inspector_cold=True)
            head_mib = n_pos * n_pos * 4 / 2**20
            n_heads = trace.n_layer * int(trace.model_config["n_head"])
            rows += [
                {"name": f"model view {n_pos}: every head drawn ({n_heads} heads)", "value": spread(totals, digits=2),
                 "unit": "s min/med/max", "target": "< 10" if n_pos == 4096 else "",
                 "note": "from q/k in the worker, streamed; real window, session opened lazily"},
                {"name": f"model view {n_pos}: first thumbnails drawn", "value": spread(firsts, digits=2),
                 "unit": "s min/med/max", "target": "< 1", "note": ""},
                {"name": f"model view {n_pos}: peak RSS added while filling", "value": f"{view_peak:.0f}",
                 "unit": "MiB", "target": f"≤ {head_mib:.0f}" if n_pos == 4096 else "",
                 "note": f"one head's N×N float32 is {head_mib:.0f} "
                                                                      "MiB; the inspector's head already shown"},
                {"name": f"model view {n_pos}: … with the inspector recomputing its head", "value":
                 f"{window_peak:.0f}", "unit": "MiB", "target": "", "note": f"+ that head's scores and pattern "
                                                                           f"({2 * head_mib:.0f} MiB) and its image"},
            ]
            if n_pos == 512:
                peer = bertviz(trace)
                totals_512 = totals
            window.document.traces.clear()
            gc.collect()
            session.close()
    finally:
        window.runner.shutdown()
        window.document.set_dirty(False)
        window.close()
    if peer is None and 512 in sessions:
        rows.append({"name": "BertViz model_view, 512 tokens (peer)", "value": "not installed", "unit": "",
                     "target": "", "note": "pip install bertviz (the bench extra)"})
    elif peer is not None:
        seconds, html_bytes = peer
        rows += [
            {"name": "BertViz model_view HTML, same 512-token capture (peer)", "value": spread(seconds, digits=2),
             "unit": "s min/med/max", "target": "", "note": f"{html_bytes / 2**20:.0f} MiB of HTML holding every "
             "weight; the browser's parse and draw not counted"},
            {"name": "BertViz HTML ÷ lmscope model view drawn, 512 tokens, medians",
             "value": f"{sorted(seconds)[1] / sorted(totals_512)[1]:.1f}", "unit": "×", "target": "> 1",
             "note": "lmscope: a pooled 48×48 thumbnail + 4 numbers per head, drawn"},
        ]
    return rows


def run() -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="lmscope-bench-long-", dir=os.environ.get("LMSCOPE_BENCH_TMP")) as tmp:
        root = Path(tmp)
        folder = make_model(root / "gpt2-small-shaped")
        results, sessions = {}, {}
        for n_pos in sorted(set(CAPTURE_LENGTHS) | set(VIEW_LENGTHS)):
            out = root / f"long{n_pos}.h5"
            print(f"  capturing {n_pos} tokens…", file=sys.stderr, flush=True)
            timed = n_pos in CAPTURE_LENGTHS
            result = probe(folder, n_pos, out, REPEATS if timed else 1, timed and n_pos <= TL_MAX)
            if timed:
                results[n_pos] = result
            sessions[n_pos] = out
        rows = capture_rows(results)
        print("  model view…", file=sys.stderr, flush=True)
        return rows + view_rows_fresh({n: sessions[n] for n in VIEW_LENGTHS})


def view_rows_fresh(sessions: dict[int, Path]) -> list[dict[str, Any]]:
    """:func:`view_rows` for each length in a fresh process, as a user opens a session in a fresh app. In one
    long-lived process that had filled the shorter lengths first, the 4,096-token fill measured 11.7 s (median) where
    a fresh process measured 7.4–8.0 s on the same machine; the cause was not found, so each length stands alone."""
    rows: list[dict[str, Any]] = []
    env = dict(os.environ, PYTHONWARNINGS="ignore", QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    for n_pos, path in sessions.items():
        proc = subprocess.run([sys.executable, "-m", "bench.bench_long", "--view", str(n_pos), str(path)],
                              capture_output=True, text=True, env=env, cwd=Path(__file__).parents[1])
        if proc.returncode:
            raise RuntimeError(f"the {n_pos}-token model-view probe failed:\n{proc.stderr[-2000:]}")
        rows += json.loads(proc.stdout.strip().splitlines()[-1])
    return rows


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--view":
        print(json.dumps(view_rows({int(sys.argv[2]): Path(sys.argv[3])})))
    else:
        from bench.common import print_table

        print_table(run())
