"""The GUI's FlashAttention job: one stepped run with per-row errors, streamed in batches (DESIGN.md, "Jobs")."""
from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from lmscope.backend.flashsim.counts import (
    CURVE_ALGOS, TileConfig, Traffic, count_traffic, standard_traffic, traffic_curve, traffic_vs_sram,
)
from lmscope.backend.flashsim.simulator import WRITE, FlashSimulator, exact_attention, row_max_abs_error

TRANSFER_TENSORS: tuple[str, ...] = ("Q", "K", "V", "O", "l", "m", "L")  # codes in FlashStepBatch.transfers


@dataclass(frozen=True)
class FlashPrepared:
    """First event of :func:`flashsim_job`: per-row error of the initial O = 0, whole-pass counts, curves.

    Curves map "standard" / "fa1" / "fa2" to :func:`traffic_vs_sram` (``vs_m``) or :func:`traffic_curve`
    (``vs_n``) dicts, with the paper's block sizes at this N, d, M and mask.
    """

    config: TileConfig
    initial_errors: np.ndarray
    traffic: Traffic
    standard: Traffic
    vs_m: dict[str, dict[str, list[int]]]
    vs_n: dict[str, dict[str, list[int]]]


@dataclass(frozen=True, eq=False)
class FlashStepBatch:
    """Consecutive steps as flat arrays, not Step objects: 65,536 tiles of small objects crossing threads would
    keep the garbage collector busy (full collections of ~100 ms in a process holding torch).

    Per step: ``tiles`` (i, j), ``counters`` (cumulative HBM reads, writes; SRAM used), ``masked``,
    ``transfer_counts``. Concatenated over the steps: ``m_rows``, ``l_rows``, ``row_errors`` (max |O − exact|
    after the step) over each step's Q rows, ``scores`` (each S tile flattened, −inf where masked) and
    ``transfers`` rows (code into TRANSFER_TENSORS, block, 1 for a write, elements).
    """

    tiles: np.ndarray
    counters: np.ndarray
    masked: np.ndarray
    transfer_counts: np.ndarray
    m_rows: np.ndarray
    l_rows: np.ndarray
    row_errors: np.ndarray
    scores: np.ndarray
    transfers: np.ndarray

    def __len__(self) -> int:
        return len(self.tiles)


@dataclass(frozen=True)
class FlashFinished:
    """Last event: the stepped counters of the whole pass (equal to ``FlashPrepared.traffic``)."""

    traffic: Traffic


def curve_axes(config: TileConfig, points: int = 40) -> tuple[list[int], list[int]]:
    """SRAM sizes (2d … 8dN elements, past the point where one K/V block holds all of N) and sequence
    lengths (16 … 65536) for the curves view, each including the current setting."""
    ms = np.geomspace(2 * config.d, 8 * config.d * config.n, points).round().astype(np.int64)
    ns = 2 ** np.arange(4, 17)
    return (sorted({*ms.tolist(), config.m}), sorted({*ns.tolist(), config.n}))


def _step_batches(simulator: FlashSimulator, exact: np.ndarray, size: int) -> Iterator[FlashStepBatch]:
    """The run's steps packed into batches; each Step is dropped as soon as it is copied, so none survives."""
    codes = {name: code for code, name in enumerate(TRANSFER_TENSORS)}
    meta: list[int] = []
    moves: list[int] = []
    arrays: dict[str, list[np.ndarray]] = {"m": [], "l": [], "err": [], "scores": []}
    for step in simulator.steps():
        if step.index % 4 == 3:
            # The job runs in a worker thread beside the GUI. Pure-Python stepping would hold the GIL for a whole
            # switch interval (5 ms) each time the GUI thread asks for it; a paint asks dozens of times.
            time.sleep(0)
        meta += (step.i, step.j, step.hbm_reads, step.hbm_writes, step.sram_used, step.masked,
                 len(step.transfers))
        for t in step.transfers:
            moves += (codes[t.tensor], t.block, t.direction == WRITE, t.elements)
        arrays["m"].append(step.m_rows)
        arrays["l"].append(step.l_rows)
        arrays["err"].append(row_max_abs_error(step.o_rows, exact[step.rows]))
        arrays["scores"].append(step.scores.ravel())
        if len(arrays["m"]) == size:
            yield _pack(meta, moves, arrays)
            meta, moves, arrays = [], [], {key: [] for key in arrays}
    if arrays["m"]:
        yield _pack(meta, moves, arrays)


def _pack(meta: list[int], moves: list[int], arrays: dict[str, list[np.ndarray]]) -> FlashStepBatch:
    table = np.asarray(meta, dtype=np.int64).reshape(-1, 7)
    return FlashStepBatch(
        tiles=table[:, :2], counters=table[:, 2:5], masked=table[:, 5].astype(bool), transfer_counts=table[:, 6],
        m_rows=np.concatenate(arrays["m"]), l_rows=np.concatenate(arrays["l"]),
        row_errors=np.concatenate(arrays["err"]), scores=np.concatenate(arrays["scores"]),
        transfers=np.asarray(moves, dtype=np.int64).reshape(-1, 4),
    )


def flashsim_job(config: TileConfig, q: Any, k: Any, v: Any, batch_size: int = 256) -> Iterator[object]:
    """Step a whole FA1/FA2 pass for the GUI: :class:`FlashPrepared`, then :class:`FlashStepBatch` batches of
    steps with progress, then :class:`FlashFinished`. Each yield is a point where the worker may cancel."""
    # Imported here: lmscope.backend.jobs loads torch, which `lmscope flashsim` never needs.
    from lmscope.backend.jobs import JobProgress

    simulator = FlashSimulator(config, q, k, v)
    total = count_traffic(config)
    yield JobProgress(0.0, f"FlashAttention: exact attention for N = {config.n:,}…")
    # Chunks of 128 rows keep each numpy call short, so the GUI thread is never locked out for long.
    exact = exact_attention(simulator.q, simulator.k, simulator.v, causal=config.causal, chunk=128)
    ms, ns = curve_axes(config)
    yield FlashPrepared(
        config=config, initial_errors=np.abs(exact).max(axis=1), traffic=total,
        standard=standard_traffic(config.n, config.d),
        vs_m={a: traffic_vs_sram(config.n, config.d, ms, a, config.causal) for a in CURVE_ALGOS},
        vs_n={a: traffic_curve(ns, config.d, config.m, a, config.causal) for a in CURVE_ALGOS},
    )
    for batch in _step_batches(simulator, exact, batch_size):
        yield batch
        yield JobProgress(simulator.steps_done / total.tiles,
                          f"FlashAttention: tile {simulator.steps_done:,} of {total.tiles:,}")
    yield FlashFinished(simulator.traffic)
