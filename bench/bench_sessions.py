"""Session files: throughput against raw h5py, size against torch.save, opening a 1 GB session, compression per kind.

Peers in the same run: raw ``h5py`` writing/reading the same arrays with no structure, and ``torch.save`` of the
same tensors (file size).
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
from bench.common import best_of
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

    def raw_read() -> None:
        with h5py.File(raw_path, "r") as f:
            for name in f:
                f[name][()]

    def ours_read() -> None:
        session = open_session(ours_path)
        for name in session.traces[0].trace.tensors:
            session.traces[0].trace[name]
        session.close()

    ours_w = best_of(3, lambda: save_session(_session(tensors, 512), ours_path))
    raw_w = best_of(3, raw_write)
    ours_r, raw_r = best_of(3, ours_read), best_of(3, raw_read)
    torch_path = folder / "tensors.pt"
    torch.save({k: torch.from_numpy(v) for k, v in tensors.items()}, torch_path)
    return [
        {"name": f"session save, {mb:.0f} MiB activations", "value": f"{mb / ours_w:.0f}", "unit": "MiB/s",
         "target": "", "note": "atomic: temp file, fsync, rename"},
        {"name": "raw h5py write, same arrays (peer)", "value": f"{mb / raw_w:.0f}", "unit": "MiB/s", "target": "",
         "note": "fsync included"},
        {"name": "save ÷ raw h5py throughput", "value": f"{raw_w / ours_w:.2f}", "unit": "×", "target": "≥ 0.8",
         "note": ""},
        {"name": "session load (every tensor) ÷ raw h5py read", "value": f"{raw_r / ours_r:.2f}", "unit": "×",
         "target": "≥ 0.8", "note": f"ours {mb / ours_r:.0f} MiB/s"},
        {"name": "file size ÷ torch.save of the same tensors",
         "value": f"{ours_path.stat().st_size / torch_path.stat().st_size:.3f}", "unit": "×", "target": "",
         "note": "random floats: neither compresses"},
    ]


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
        return throughput(folder) + demo_sizes(folder) + open_big(folder)


if __name__ == "__main__":
    from bench.common import print_table

    print_table(run())
