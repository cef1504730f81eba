"""Benchmark of the FlashAttention tile simulator: counts-only speed, stepping speed, traffic and accuracy.

``run()`` returns rows {name, value, unit, target, note}; run this file to print them as a table.
"""
from __future__ import annotations

from typing import Any

from lmscope.backend.flashsim import FlashSimulator, make_config, random_qkv, simulate_summary
from bench.common import best_of




def _counts_rows() -> list[dict[str, Any]]:
    rows = []
    for algo in ("fa1", "fa2"):
        for causal in (False, True):
            seconds = best_of(5, lambda: simulate_summary(
                16384, 128, 100 * 1024, dtype="fp16", algo=algo, causal=causal, counts_only=True))
            rows.append({
                "name": f"counts-only {algo}{' causal' if causal else ''}, N=16384 d=128 100 KiB fp16",
                "value": round(seconds * 1e3, 3), "unit": "ms", "target": "< 1000",
                "note": "closed form over Tr tile counts",
            })
    return rows


def _stepping_row() -> dict[str, Any]:
    config = make_config(2048, 64, 4096, algo="fa1")  # 16 KiB fp32: Br = Bc = 16, 128 × 128 tiles
    simulator = FlashSimulator(config, *random_qkv(2048, 64, seed=0))
    seconds = best_of(1, simulator.run)
    return {
        "name": "stepped fa1, N=2048 d=64 M=4096 (16384 tiles)",
        "value": round(simulator.steps_done / seconds), "unit": "tiles/s", "target": "> 10000",
        "note": f"{seconds:.2f} s for the whole pass, numpy float64",
    }


def _paper_rows() -> list[dict[str, Any]]:
    # The paper's setting (seq 1024, head dim 64), forward only, one head; ~100 KiB of SRAM per SM in fp16.
    rows = []
    for algo in ("fa1", "fa2"):
        summary = simulate_summary(1024, 64, 100 * 1024, dtype="fp16", algo=algo)
        rows.append({
            "name": f"HBM traffic standard / {algo}, N=1024 d=64 100 KiB fp16",
            "value": round(summary["traffic_ratio"], 2), "unit": "x", "target": "> 1",
            "note": f"Bc={summary['bc']} Br={summary['br']}; {summary['hbm_total']} vs "
                    f"{summary['standard_total']} elements",
        })
        rows.append({
            "name": f"max |O - exact| {algo}, N=1024 d=64",
            "value": float(f"{summary['max_abs_err']:.2e}"), "unit": "abs", "target": "<= 1e-12",
            "note": "float64 arithmetic vs exact softmax",
        })
    summary = simulate_summary(1024, 64, 100 * 1024, dtype="fp16", counts_only=True)
    rows.append({
        "name": "peak SRAM / M, paper block sizes, N=1024 d=64 100 KiB fp16",
        "value": round(summary["peak_sram"] / summary["m"], 3), "unit": "x", "target": "O(1)",
        "note": f"{summary['peak_sram']} of {summary['m']} elements; Br = d < Bc here",
    })
    summary = simulate_summary(1024, 64, 16 * 1024, dtype="fp32", counts_only=True)
    rows.append({
        "name": "peak SRAM / M, paper block sizes, N=1024 d=64 16 KiB fp32",
        "value": round(summary["peak_sram"] / summary["m"], 3), "unit": "x", "target": "O(1)",
        "note": f"{summary['peak_sram']} of {summary['m']} elements; Br = Bc: over M, as the O(M) bound allows",
    })
    return rows


def run() -> list[dict[str, Any]]:
    """All benchmark rows, {name, value, unit, target, note}."""
    return [*_counts_rows(), _stepping_row(), *_paper_rows()]



if __name__ == "__main__":
    from bench.common import print_table

    print_table(run())
