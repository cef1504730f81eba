"""Hugging Face models: load time and peak memory against the weights' size, capture cost against a plain
transformers forward, and a 2,048-token prompt captured by name filter against a TransformerLens-style full cache.

Peers, in the same run: ``AutoModelForCausalLM.from_pretrained`` of the same folder (load time and RSS, each side in
a fresh process so peaks do not mix), and that peer model's plain eager forward under ``torch.no_grad`` (timing).
The model is GPT-2-small-shaped (12 layers, d=768, 12 heads, vocab 50,257, 2,048 positions), seeded, random.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from bench.common import best_of

REPEATS = 5  # timings: min / median / max of this many runs, each side in the same process
LOAD_RUNS = 3  # fresh processes per side for load time and peak RSS
SHORT, LONG = 256, 2048
GPT2_SMALL = dict(n_embd=768, n_layer=12, n_head=12, n_positions=LONG, initializer_range=0.02)

PROBE = r"""
import json, sys, time
import torch
import transformers
from lmscope.backend.models.checkpoint import load_model
def rss_kb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
def reset_peak():
    # Linux: writing 5 to clear_refs resets VmHWM, so the peak measured is this step's, not an earlier one's.
    with open("/proc/self/clear_refs", "w") as handle:
        handle.write("5")
def peak_kb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
before = rss_kb()
reset_peak()
start = time.perf_counter()
if sys.argv[2] == "ours":
    model = load_model(sys.argv[1]).model
else:
    model = transformers.AutoModelForCausalLM.from_pretrained(sys.argv[1], attn_implementation="eager")
seconds = time.perf_counter() - start
peak = peak_kb()
with torch.no_grad():  # safetensors are memory-mapped: a first forward touches every weight page
    model(torch.zeros(1, 8, dtype=torch.long))
print(json.dumps({"seconds": seconds, "peak_delta_mb": (peak - before) / 1024,
                  "after_mb": (rss_kb() - before) / 1024}))
"""


def make_model(folder: Path) -> Path:
    from lmscope.backend.models.hf_tiny import make_tiny_checkpoint, train_tokenizer

    vocab = train_tokenizer("gpt2")[0].get_vocab_size()
    return make_tiny_checkpoint(folder, "gpt2", seed=0, extra_vocab=50_257 - vocab, **GPT2_SMALL)


def load_figures(folder: Path) -> dict[str, dict[str, float]]:
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    out: dict[str, dict[str, float]] = {}
    for side in ("ours", "peer"):
        runs = []
        for _ in range(LOAD_RUNS):
            proc = subprocess.run([sys.executable, "-c", PROBE, str(folder), side], capture_output=True, text=True,
                                  env=env, check=True)
            runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        out[side] = {"seconds": statistics.median(r["seconds"] for r in runs),
                     "peak_mb": statistics.median(r["peak_delta_mb"] for r in runs),
                     "after_mb": statistics.median(r["after_mb"] for r in runs)}
    return out


def spread(seconds: list[float]) -> str:
    return f"{min(seconds) * 1e3:.0f} / {statistics.median(seconds) * 1e3:.0f} / {max(seconds) * 1e3:.0f}"


def timings(job: Any) -> list[float]:
    job()  # warm-up: allocator, lazy imports
    return [best_of(1, job) for _ in range(REPEATS)]


def capture_figures(folder: Path) -> dict[str, Any]:
    from transformers import AutoModelForCausalLM

    from lmscope.backend.capture import capture
    from lmscope.backend.models.checkpoint import load_model

    loaded = load_model(folder)
    peer = AutoModelForCausalLM.from_pretrained(folder, attn_implementation="eager").eval()
    peer_sdpa = AutoModelForCausalLM.from_pretrained(folder).eval()
    ids = (loaded.tokenizer.encode("The model predicts the next token. ") * SHORT)[:SHORT]
    tokens = torch.tensor([ids])

    def plain(model: Any) -> Any:
        def job() -> None:
            with torch.no_grad():
                model(tokens, use_cache=False)
        return job

    result = {
        "peer_eager": timings(plain(peer)),
        "peer_sdpa": timings(plain(peer_sdpa)),
        "ours_full": timings(lambda: capture(loaded.model, ids)),
        "ours_patterns": timings(lambda: capture(loaded.model, ids, "blocks.*.attn.hook_pattern")),
        "ours_resid": timings(lambda: capture(loaded.model, ids, "blocks.*.hook_resid_post")),
    }
    with torch.no_grad():
        same = torch.equal(loaded.model(tokens), peer(tokens, use_cache=False).logits)
    result["identical_logits"] = same
    return result


LONG_PROBE = r"""
import json, sys, time, os
import torch
from lmscope.backend.capture import capture
from lmscope.backend.jobs import TraceCaptured
from lmscope.backend.models.checkpoint import load_model
from lmscope.sessions import SavedTrace, Session, save_session
loaded = load_model(sys.argv[1])
def rss_kb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
def reset_peak():
    # Linux: writing 5 to clear_refs resets VmHWM, so the peak measured is this step's, not an earlier one's.
    with open("/proc/self/clear_refs", "w") as handle:
        handle.write("5")
def peak_kb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
ids = (loaded.tokenizer.encode("The model predicts the next token. ") * 2048)[:2048]
before = rss_kb()
reset_peak()
names = ["blocks.*.hook_resid_post", "blocks.0.attn.hook_pattern", "blocks.11.attn.hook_pattern"]
start = time.perf_counter()
trace = capture(loaded.model, ids, names, float16=True)
seconds = time.perf_counter() - start
peak = peak_kb()
path = sys.argv[2]
save_session(Session(traces=[SavedTrace(trace)], current_trace=0), path, include_weights=False)
print(json.dumps({"seconds": seconds, "peak_delta_mb": (peak - before) / 1024, "session_mb": os.path.getsize(path) / 2**20,
                  "trace_mb": sum(a.nbytes for a in trace.tensors.values()) / 2**20}))
"""


def full_cache_bytes(folder: Path, n_pos: int) -> int:
    """Bytes of every hook in float32 at ``n_pos`` tokens (TransformerLens' run_with_cache keeps them all),
    from the shapes of a 16-token full capture: each axis of length 16 is a position axis."""
    from lmscope.backend.capture import capture
    from lmscope.backend.models.checkpoint import load_model

    loaded = load_model(folder)
    probe = 16
    trace = capture(loaded.model, list(range(probe)))
    total = 0
    for array in trace.tensors.values():
        total += int(np.prod([n_pos if d == probe else d for d in array.shape])) * 4
    return total


def long_figures(folder: Path, scratch: Path) -> dict[str, float]:
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    proc = subprocess.run([sys.executable, "-c", LONG_PROBE, str(folder), str(scratch / "long.h5")],
                          capture_output=True, text=True, env=env, check=True)
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["full_cache_gb"] = full_cache_bytes(folder, LONG) / 2**30
    return result


def run() -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="lmscope-bench-hf-") as tmp:
        folder = make_model(Path(tmp) / "gpt2-small-shaped")
        weights_mb = (folder / "model.safetensors").stat().st_size / 2**20
        load = load_figures(folder)
        cap = capture_figures(folder)
        long = long_figures(folder, Path(tmp))
    med = {k: statistics.median(v) for k, v in cap.items() if isinstance(v, list)}
    ours, peer = load["ours"], load["peer"]
    return [
        {"name": "GPT-2-small-shaped weights (safetensors, float32)", "value": f"{weights_mb:.0f}", "unit": "MiB",
         "target": "", "note": "124M parameters, seeded random"},
        {"name": "load_model (ours), median of 3 processes", "value": f"{ours['seconds']:.2f}", "unit": "s",
         "target": "", "note": "folder checks + meta build + from_pretrained + tokenizer"},
        {"name": "from_pretrained (peer), median of 3 processes", "value": f"{peer['seconds']:.2f}", "unit": "s",
         "target": "", "note": "AutoModelForCausalLM, eager"},
        {"name": "RSS held after load + first forward ÷ weights (ours)", "value": f"{ours['after_mb'] / weights_mb:.2f}",
         "unit": "×", "target": "≈ 1", "note": f"peak during the load call {ours['peak_mb']:.0f} MiB (mmap)"},
        {"name": "RSS held after load + first forward ÷ weights (peer)", "value": f"{peer['after_mb'] / weights_mb:.2f}",
         "unit": "×", "target": "", "note": f"peak during the load call {peer['peak_mb']:.0f} MiB (mmap)"},
        {"name": f"plain HF forward, eager, {SHORT} tokens (peer)", "value": spread(cap["peer_eager"]),
         "unit": "ms min/med/max", "target": "", "note": f"{REPEATS} runs, torch.no_grad"},
        {"name": f"plain HF forward, sdpa, {SHORT} tokens (peer)", "value": spread(cap["peer_sdpa"]),
         "unit": "ms min/med/max", "target": "", "note": "transformers' default attention"},
        {"name": "capture, every hook (ours)", "value": spread(cap["ours_full"]), "unit": "ms min/med/max",
         "target": "", "note": f"logits identical to the peer: {cap['identical_logits']}"},
        {"name": "capture ÷ plain eager forward, every hook", "value": f"{med['ours_full'] / med['peer_eager']:.2f}",
         "unit": "×", "target": "≤ 1.3", "note": "medians"},
        {"name": "capture ÷ plain eager forward, patterns only",
         "value": f"{med['ours_patterns'] / med['peer_eager']:.2f}", "unit": "×", "target": "≤ 1.3", "note": ""},
        {"name": "capture ÷ plain eager forward, resid_post only",
         "value": f"{med['ours_resid'] / med['peer_eager']:.2f}", "unit": "×", "target": "", "note": ""},
        {"name": f"capture {LONG} tokens by name filter, float16", "value": f"{long['seconds']:.1f}", "unit": "s",
         "target": "", "note": "resid_post ×12 + patterns of layers 0 and 11"},
        {"name": "  peak RSS added by that capture", "value": f"{long['peak_delta_mb']:.0f}", "unit": "MiB",
         "target": "", "note": f"trace {long['trace_mb']:.0f} MiB"},
        {"name": "  its session file", "value": f"{long['session_mb']:.0f}", "unit": "MiB", "target": "",
         "note": "no weights"},
        {"name": f"TransformerLens-style full cache at {LONG} tokens (peer)", "value": f"{long['full_cache_gb']:.2f}",
         "unit": "GiB", "target": "", "note": "every hook, float32; from the shapes, not materialised"},
    ]


if __name__ == "__main__":
    from bench.common import print_table

    print_table(run())
