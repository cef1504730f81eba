"""Session files: throughput against raw h5py, size against torch.save, opening a 1 GB session, compression per kind.

Peers in the same run: raw ``h5py`` writing/reading the same arrays with no structure (the reader keeps every array
it reads, as a session does), and ``torch.save`` of the same tensors (file size). Load is measured on random floats
and on a real capture (a GPT-2-small-shaped TinyGPT's every hook with its compressible patterns, lzf on both sides).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import torch

from lmscope.backend.capture import Trace, capture
from lmscope.backend.demo import DEFAULT_PROMPT, load_demo
from bench.common import best_of, runs, spread
from lmscope.sessions import SavedTrace, Session, open_session, save_session

BIG_GB = 1.0




def _tensors(n: int, shape: tuple[int, ...]) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {f"blocks.{i}.hook_resid_pre": rng.standard_normal(shape, dtype=np.float32) for i in range(n)}


def _session(tensors: dict[str, np.ndarray], n_pos: int) -> Session:
    trace = Trace(np.zeros((1, n_pos), np.int64), ["x"] * n_pos, tensors, {"n_layer": len(tensors)})
    return Session(traces=[SavedTrace(trace)], current_trace=0)


def throughput(folder: Path) -> list[dict[str, Any]]:
    tensors = _tensors(32, (1, 512, 1024))  # 64 MiB
    mb = sum(a.nbytes for a in tensors.values()) / 2**20
    ours_path, raw_path = folder / "ours.h5", folder / "raw.h5"

    def raw_write() -> None:
        with h5py.File(raw_path, "w") as f:
            for name, array in tensors.items():
                f[name] = array
        with open(raw_path, "rb+") as handle:
            os.fsync(handle.fileno())

    ours_w = best_of(3, lambda: save_session(_session(tensors, 512), ours_path))
    raw_w = best_of(3, raw_write)
    ours_r, raw_r = load_runs(ours_path, raw_path)
    torch_path = folder / "tensors.pt"
    torch.save({k: torch.from_numpy(v) for k, v in tensors.items()}, torch_path)
    return [
        {"name": f"session save, {mb:.0f} MiB activations", "value": f"{mb / ours_w:.0f}", "unit": "MiB/s",
         "target": "", "note": "atomic: temp file, fsync, rename"},
        {"name": "raw h5py write, same arrays (peer)", "value": f"{mb / raw_w:.0f}", "unit": "MiB/s", "target": "",
         "note": "fsync included"},
        {"name": "save ÷ raw h5py throughput", "value": f"{raw_w / ours_w:.2f}", "unit": "×", "target": "≥ 0.8",
         "note": ""},
        *load_rows("random floats", mb, ours_r, raw_r),
        {"name": "file size ÷ torch.save of the same tensors",
         "value": f"{ours_path.stat().st_size / torch_path.stat().st_size:.3f}", "unit": "×", "target": "",
         "note": "random floats: neither compresses"},
    ]


LOAD_RUNS = 5


def read_raw(path: Path) -> dict[str, np.ndarray]:
    """The peer: every dataset of a plain HDF5 file, each kept in memory as a session keeps what it reads."""
    with h5py.File(path, "r") as f:
        return {name: f[name][()] for name in f}


def read_ours(path: Path) -> dict[str, np.ndarray]:
    session = open_session(path)
    try:
        trace = session.traces[0].trace
        return {name: trace[name] for name in trace.tensors}
    finally:
        session.close()


def load_runs(ours_path: Path, raw_path: Path) -> tuple[list[float], list[float]]:
    """Seconds per full load, sides alternating, :data:`LOAD_RUNS` runs each after one warm-up."""
    ours, raw = [], []
    read_ours(ours_path), read_raw(raw_path)
    for _ in range(LOAD_RUNS):
        raw += runs(1, lambda: read_raw(raw_path), warm_up=False)
        ours += runs(1, lambda: read_ours(ours_path), warm_up=False)
    return ours, raw


def load_rows(what: str, mb: float, ours: list[float], raw: list[float]) -> list[dict[str, Any]]:
    ratios = [r / o for o, r in zip(ours, raw)]
    return [
        {"name": f"session load, {what} ({mb:.0f} MiB), every tensor kept", "value": spread(ours, 1e3),
         "unit": "ms min/med/max", "target": "", "note": f"{len(ours)} runs"},
        {"name": "raw h5py read, same arrays, every array kept (peer)", "value": spread(raw, 1e3),
         "unit": "ms min/med/max", "target": "", "note": "same compression and chunking"},
        {"name": f"session load ÷ raw h5py speed, {what}", "value": spread(ratios, digits=2), "unit": "×",
         "target": "≥ 0.8", "note": "raw time over ours, run by run"},
    ]


def real_capture(folder: Path) -> list[dict[str, Any]]:
    """Load speed on a real capture: a GPT-2-small-shaped TinyGPT (vocabulary 1,000), 256 tokens, every hook with
    its patterns and scores (causal: half zeros and −∞, lzf-compressed on both sides)."""
    from lmscope.backend.models.config import TinyGPTConfig
    from lmscope.backend.models.tinygpt import TinyGPT
    from lmscope.sessions.writer import tensor_compression

    torch.manual_seed(0)
    model = TinyGPT(TinyGPTConfig(vocab_size=1000, n_ctx=256, d_model=768, n_layer=12, n_head=12, n_kv_head=12,
                                  d_mlp=3072)).eval()
    trace = capture(model, torch.randint(0, 1000, (256,), generator=torch.Generator().manual_seed(1)),
                    store_patterns=True)
    ours_path, raw_path = folder / "real.h5", folder / "real_raw.h5"
    save_session(Session(traces=[SavedTrace(trace)], current_trace=0), ours_path)
    with h5py.File(raw_path, "w") as f:
        for name, array in trace.items():
            compression = tensor_compression(name, array)
            f.create_dataset(name, data=array, compression=compression, chunks=True if compression else None)
    mb = sum(a.nbytes for a in trace.values()) / 2**20
    ours, raw = load_runs(ours_path, raw_path)
    return load_rows(f"real capture, {len(trace)} tensors", mb, ours, raw)


def demo_sizes(folder: Path) -> list[dict[str, Any]]:
    """Compression per kind on the demo's real capture (what docs/session-format.md's table is based on)."""
    loaded = load_demo("cpu")
    ids = loaded.tokenizer.encode((DEFAULT_PROMPT * 3)[:128])
    trace = capture(loaded.model, ids)
    rows = []
    for kind, names in (("pattern + scores", [n for n in trace if n.endswith(("hook_pattern", "hook_attn_scores"))]),
                        ("other activations", [n for n in trace if not n.endswith(("hook_pattern",
                                                                                     "hook_attn_scores"))])):
        raw = sum(trace[n].nbytes for n in names)
        cells = []
        for compression in (None, "lzf", "gzip"):
            path = folder / f"c_{compression}.h5"

            def write() -> None:
                with h5py.File(path, "w") as f:
                    for n in names:
                        f.create_dataset(n, data=trace[n], compression=compression,
                                         chunks=True if compression else None)

            seconds = best_of(3, write)
            cells.append(f"{compression or 'none'} {raw / path.stat().st_size:.2f}× in {seconds * 1e3:.1f} ms")
        rows.append({"name": f"compression, demo {kind}", "value": f"{raw / 2**20:.2f}", "unit": "MiB raw",
                     "target": "", "note": "; ".join(cells)})
    torch_path = folder / "demo.pt"
    torch.save({k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in trace.items()}, torch_path)
    ours = folder / "demo.h5"
    save_session(Session(traces=[SavedTrace(trace)]), ours)
    rows.append({"name": "demo capture: session size ÷ torch.save", "value":
                 f"{ours.stat().st_size / torch_path.stat().st_size:.2f}", "unit": "×", "target": "",
                 "note": f"{len(trace)} tensors, {len(ids)} tokens"})
    return rows


OPEN_PROBE = """
import json, sys, time

def peak_rss_mb():
    # VmHWM belongs to this process image; ru_maxrss would carry the parent's peak across exec on Linux.
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024

start = time.perf_counter()
from lmscope.sessions import open_session, describe
imported = time.perf_counter()
session = open_session(sys.argv[1])
info = describe(session)
name = next(iter(session.traces[0].trace.tensors))
session.traces[0].trace[name]
done = time.perf_counter()
print(json.dumps({"open_s": done - imported, "rss_mb": peak_rss_mb(),
                  "tensors": len(info["traces"][0]["tensors"])}))
"""


def open_big(folder: Path) -> list[dict[str, Any]]:
    n = int(BIG_GB * 2**30 / (4 * 2**20 * 4))  # tensors of 4 Mi float32 (16 MiB)
    path = folder / "big.h5"
    tensors = {f"blocks.{i}.hook_resid_pre": np.full((1, 2048, 2048), i, np.float32) for i in range(n)}
    start = time.perf_counter()
    save_session(_session(tensors, 2048), path)
    write_s = time.perf_counter() - start
    del tensors
    baseline_code = OPEN_PROBE.split("start =")[0] + "import sessions\nprint(json.dumps({'rss_mb': peak_rss_mb()}))"
    baseline = json.loads(subprocess.run([sys.executable, "-c", baseline_code], capture_output=True, text=True,
                                         check=True, cwd=Path(__file__).parents[1]).stdout)
    probe = json.loads(subprocess.run([sys.executable, "-c", OPEN_PROBE, str(path)], capture_output=True, text=True,
                                      check=True, cwd=Path(__file__).parents[1]).stdout)
    size_gb = path.stat().st_size / 2**30
    return [
        {"name": f"open a {size_gb:.2f} GiB session + describe + read 1 tensor", "value": f"{probe['open_s']:.3f}",
         "unit": "s", "target": "< 1", "note": f"{probe['tensors']} tensors; written in {write_s:.1f} s"},
        {"name": "peak RSS of that process", "value": f"{probe['rss_mb']:.0f}", "unit": "MB", "target": "< 200",
         "note": f"imports alone: {baseline['rss_mb']:.0f} MB"},
    ]


def run() -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory(dir=os.environ.get("LMSCOPE_BENCH_TMP")) as tmp:
        folder = Path(tmp)
        return throughput(folder) + real_capture(folder) + demo_sizes(folder) + open_big(folder)


if __name__ == "__main__":
    from bench.common import print_table

    print_table(run())
