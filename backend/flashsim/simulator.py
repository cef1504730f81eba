"""FlashAttention SRAM-tile simulator: FA1 and FA2 forward passes, stepped one score tile at a time.

Each step is a frozen record of the blocks moved between HBM and SRAM, the score tile and the updated running
softmax state, so one generator drives the tests, the CLI (``lmscope flashsim``) and the GUI. Counting
conventions and closed forms: ``docs/flashattention.md``; the counts-only path: :mod:`lmscope.backend.flashsim.counts`.
"""
from __future__ import annotations

import operator
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from lmscope.backend.errors import BadInputError
from lmscope.backend.flashsim.counts import (
    DTYPE_BYTES,
    TileConfig,
    Traffic,
    check_positive_int,
    count_traffic,
    make_config,
    sram_occupancy,
    standard_traffic,
)

# A stepped run costs about 50 µs per tile in numpy (~12 s at this limit); beyond it, use counts-only.
MAX_SIMULATED_TILES = 250_000
READ, WRITE = "read", "write"


@dataclass(frozen=True)
class Transfer:
    """One block moved between HBM and SRAM: tensor Q/K/V/O/l/m/L, block index, direction, element count."""

    tensor: str
    block: int
    direction: str
    elements: int


@dataclass(frozen=True, eq=False)  # eq=False: == on numpy fields would be ambiguous
class Step:
    """One score tile S_ij processed: what moved, what it computed, and the running totals after it.

    ``o_rows`` is always normalised (FA1: the O_i written to HBM; FA2: acc / l, computed for display only,
    since FA2 itself divides once at the end); ``o_acc_rows`` is FA2's unnormalised accumulator, None for FA1.
    Counters are cumulative over the run, in elements.
    """

    index: int
    i: int
    j: int
    row_start: int
    row_stop: int
    col_start: int
    col_stop: int
    transfers: tuple[Transfer, ...]
    scores: np.ndarray
    masked: bool
    m_rows: np.ndarray
    l_rows: np.ndarray
    o_rows: np.ndarray
    o_acc_rows: np.ndarray | None
    sram_used: int
    sram_capacity: int
    hbm_reads: int
    hbm_writes: int

    @property
    def rows(self) -> slice:
        """The Q rows of this step, to update full per-row m / l / O arrays: ``m[step.rows] = step.m_rows``."""
        return slice(self.row_start, self.row_stop)


def _exp_shifted(x: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """e^(x − shift), where a shift of −∞ (a row that has only seen masked entries) gives 0 instead of NaN."""
    return np.exp(x - np.where(np.isfinite(shift), shift, 0))


def _fa1_update(
    m: np.ndarray, l: np.ndarray, o: np.ndarray, scores: np.ndarray, v: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """FA1 Algorithm 1, lines 10-13: fold one tile into the normalised O_i and its m_i, l_i."""
    m_tile = scores.max(axis=1)  # −∞ on rows fully masked inside this tile
    p = _exp_shifted(scores, m_tile[:, None])
    l_tile = p.sum(axis=1)
    m_new = np.maximum(m, m_tile)
    alpha = _exp_shifted(m, m_new)
    beta = _exp_shifted(m_tile, m_new)
    l_new = alpha * l + beta * l_tile
    numerator = (l * alpha)[:, None] * o + beta[:, None] * (p @ v)
    # l_new is 0 only while a row has seen nothing unmasked; its O then stays 0 rather than 0/0.
    return m_new, l_new, numerator / np.where(l_new > 0, l_new, 1)[:, None]


def _fa2_update(
    m: np.ndarray, l: np.ndarray, acc: np.ndarray, scores: np.ndarray, v: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """FA2 Algorithm 1, lines 9-10: rescale the unnormalised accumulator by e^(m_old − m_new), no division."""
    m_new = np.maximum(m, scores.max(axis=1))
    p = _exp_shifted(scores, m_new[:, None])
    alpha = _exp_shifted(m, m_new)
    return m_new, alpha * l + p.sum(axis=1), alpha[:, None] * acc + p @ v


def _normalise(acc: np.ndarray, l: np.ndarray) -> np.ndarray:
    return acc / np.where(l > 0, l, 1)[:, None]


def _check_qkv(config: TileConfig, *arrays: Any) -> tuple[np.ndarray, ...]:
    """Q, K, V as C-contiguous (N, d) arrays; float32 stays float32 (to compare with SDPA), else float64."""
    checked = [np.asarray(a) for a in arrays]
    for name, a in zip("QKV", checked):
        if a.shape != (config.n, config.d):
            raise BadInputError(f"{name} has shape {a.shape}, but the setting needs ({config.n}, {config.d}).")
        if not (np.issubdtype(a.dtype, np.floating) or np.issubdtype(a.dtype, np.integer)):
            raise BadInputError(f"{name} must hold real numbers, not {a.dtype}.")
        if not np.isfinite(a).all():
            raise BadInputError(f"{name} holds NaN or infinite values, so attention is undefined.")
    dtype = np.float32 if all(a.dtype == np.float32 for a in checked) else np.float64
    return tuple(np.ascontiguousarray(a, dtype=dtype) for a in checked)


class FlashSimulator:
    """One FA1 or FA2 forward pass over caller-given Q, K, V of shape (N, d), stepped by :meth:`steps`.

    ``m``, ``l`` and ``o`` are full per-row state arrays for drawing m / l bars and the error of O: for FA1
    what HBM holds, for FA2 the on-chip state of the current Q block and the final values of finished blocks
    (``o`` normalised). ``lse`` is FA2's L = m + log l as written to HBM (NaN until written; unused by FA1).
    """

    def __init__(self, config: TileConfig, q: Any, k: Any, v: Any) -> None:
        self.config = config
        self.q, self.k, self.v = _check_qkv(config, q, k, v)
        self.scale = self.q.dtype.type(1.0 / np.sqrt(config.d))
        self.reset()

    def reset(self) -> None:
        """Back to the initial state: m = −∞, l = 0, O = 0 (the HBM initialisation, counted as free)."""
        n, d, dtype = self.config.n, self.config.d, self.q.dtype
        self.m = np.full(n, -np.inf, dtype=dtype)
        self.l = np.zeros(n, dtype=dtype)
        self.o = np.zeros((n, d), dtype=dtype)
        self.lse = np.full(n, np.nan, dtype=dtype)
        self.hbm_reads = self.hbm_writes = self.peak_sram = self.steps_done = 0

    def steps(self) -> Iterator[Step]:
        """Generator of steps; starting it resets the state, so a run can be replayed."""
        self.reset()
        yield from (self._fa1_steps() if self.config.algo == "fa1" else self._fa2_steps())

    def run(self) -> np.ndarray:
        """Run every step and return the output O, shape (N, d)."""
        for _ in self.steps():
            pass
        return self.o

    @property
    def traffic(self) -> Traffic:
        """Totals so far, comparable with :func:`count_traffic` once the run has finished."""
        return Traffic(self.hbm_reads, self.hbm_writes, self.steps_done, self.peak_sram)

    def _scores(self, i: int, j: int) -> tuple[np.ndarray, bool]:
        """S_ij = Q_i K_jᵀ / √d, with −∞ above the diagonal on tiles that cross it."""
        (r0, r1), (c0, c1) = self.config.row_block(i), self.config.col_block(j)
        scores = (self.q[r0:r1] @ self.k[c0:c1].T) * self.scale
        masked = self.config.crosses_diagonal(i, j)
        if masked:
            scores[np.arange(c0, c1)[None, :] > np.arange(r0, r1)[:, None]] = -np.inf
        return scores, masked

    def _fa1_steps(self) -> Iterator[Step]:
        cfg, d = self.config, self.config.d
        for j in range(cfg.tc):  # outer loop: K/V blocks
            c0, c1 = cfg.col_block(j)
            kv = (Transfer("K", j, READ, (c1 - c0) * d), Transfer("V", j, READ, (c1 - c0) * d))
            for i in range(cfg.first_q_block(j), cfg.tr):  # inner loop: Q blocks not entirely above diagonal
                r0, r1 = cfg.row_block(i)
                rows = r1 - r0
                loads = (Transfer("Q", i, READ, rows * d), Transfer("O", i, READ, rows * d),
                         Transfer("l", i, READ, rows), Transfer("m", i, READ, rows))
                scores, masked = self._scores(i, j)
                block = slice(r0, r1)
                self.m[block], self.l[block], self.o[block] = _fa1_update(
                    self.m[block], self.l[block], self.o[block], scores, self.v[c0:c1]
                )
                stores = (Transfer("O", i, WRITE, rows * d), Transfer("l", i, WRITE, rows),
                          Transfer("m", i, WRITE, rows))
                yield self._record(i, j, (*kv, *loads, *stores), scores, masked, None)
                kv = ()  # K_j, V_j stay in SRAM for the rest of the inner loop

    def _fa2_steps(self) -> Iterator[Step]:
        cfg, d = self.config, self.config.d
        for i in range(cfg.tr):  # outer loop: Q blocks; m, l, acc never leave SRAM until the end
            r0, r1 = cfg.row_block(i)
            rows, block = r1 - r0, slice(r0, r1)
            m = np.full(rows, -np.inf, dtype=self.q.dtype)
            l = np.zeros(rows, dtype=self.q.dtype)
            acc = np.zeros((rows, d), dtype=self.q.dtype)
            visits = cfg.kv_blocks_visited(i)  # causal: K/V blocks entirely above the diagonal are skipped
            for j in range(visits):
                c0, c1 = cfg.col_block(j)
                moves = [Transfer("Q", i, READ, rows * d)] if j == 0 else []
                moves += [Transfer("K", j, READ, (c1 - c0) * d), Transfer("V", j, READ, (c1 - c0) * d)]
                scores, masked = self._scores(i, j)
                m, l, acc = _fa2_update(m, l, acc, scores, self.v[c0:c1])
                self.m[block], self.l[block], self.o[block] = m, l, _normalise(acc, l)
                if j == visits - 1:  # the one division by l, and L = m + log l for the backward pass
                    self.lse[block] = m + np.log(l, out=np.full_like(l, -np.inf), where=l > 0)
                    moves += [Transfer("O", i, WRITE, rows * d), Transfer("L", i, WRITE, rows)]
                yield self._record(i, j, tuple(moves), scores, masked, acc.copy())

    def _record(
        self, i: int, j: int, transfers: tuple[Transfer, ...], scores: np.ndarray, masked: bool,
        o_acc: np.ndarray | None,
    ) -> Step:
        """Add this step's transfers to the counters and freeze copies of the block's state into a Step."""
        cfg = self.config
        for t in transfers:
            if t.direction == READ:
                self.hbm_reads += t.elements
            else:
                self.hbm_writes += t.elements
        (r0, r1), (c0, c1) = cfg.row_block(i), cfg.col_block(j)
        used = sram_occupancy(cfg.algo, r1 - r0, c1 - c0, cfg.d)
        self.peak_sram = max(self.peak_sram, used)
        step = Step(
            index=self.steps_done, i=i, j=j, row_start=r0, row_stop=r1, col_start=c0, col_stop=c1,
            transfers=transfers, scores=scores, masked=masked,
            m_rows=self.m[r0:r1].copy(), l_rows=self.l[r0:r1].copy(), o_rows=self.o[r0:r1].copy(),
            o_acc_rows=o_acc, sram_used=used, sram_capacity=cfg.m,
            hbm_reads=self.hbm_reads, hbm_writes=self.hbm_writes,
        )
        self.steps_done += 1
        return step


def random_qkv(
    n: int, d: int, seed: int = 0, dtype: type[np.floating] = np.float64
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Seeded standard-normal Q, K, V of shape (n, d)."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise BadInputError(f"The seed must be a whole number of at least 0, not {seed!r}.")
    shape = (3, check_positive_int("The sequence length N", n), check_positive_int("The head dimension d", d))
    q, k, v = np.random.default_rng(int(seed)).standard_normal(shape)
    return q.astype(dtype), k.astype(dtype), v.astype(dtype)


def exact_attention(q: Any, k: Any, v: Any, causal: bool = False, chunk: int = 1024) -> np.ndarray:
    """softmax(QKᵀ/√d)V in float64, whole rows at a time (the reference, independent of tiling).

    Rows go in chunks so that N = 16384 needs a chunk × N score block, not N².
    """
    q, k, v = (np.asarray(a, dtype=np.float64) for a in (q, k, v))
    n, d = q.shape
    out = np.empty((n, v.shape[1]))
    for start in range(0, n, chunk):
        stop = min(start + chunk, n)
        scores = q[start:stop] @ k.T / np.sqrt(d)
        if causal:
            scores[np.arange(k.shape[0])[None, :] > np.arange(start, stop)[:, None]] = -np.inf
        weights = np.exp(scores - scores.max(axis=1, keepdims=True))
        out[start:stop] = (weights / weights.sum(axis=1, keepdims=True)) @ v
    return out


def row_max_abs_error(o: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Per-row max |O − reference|, for the GUI's error bars."""
    return np.abs(np.asarray(o, dtype=np.float64) - reference).max(axis=1)


def _summary_counts(config: TileConfig, traffic: Traffic, dtype: str, sram_bytes: int) -> dict[str, Any]:
    size = DTYPE_BYTES[dtype]
    standard = standard_traffic(config.n, config.d)
    return {
        "algo": config.algo, "causal": config.causal, "n": config.n, "d": config.d,
        "dtype": dtype, "dtype_bytes": size, "sram_bytes": sram_bytes, "m": config.m,
        "br": config.br, "bc": config.bc, "tr": config.tr, "tc": config.tc, "tiles": traffic.tiles,
        "hbm_reads": traffic.reads, "hbm_writes": traffic.writes, "hbm_total": traffic.total,
        "hbm_read_bytes": traffic.reads * size, "hbm_write_bytes": traffic.writes * size,
        "standard_reads": standard.reads, "standard_writes": standard.writes, "standard_total": standard.total,
        "standard_read_bytes": standard.reads * size, "standard_write_bytes": standard.writes * size,
        "traffic_ratio": standard.total / traffic.total,
        "peak_sram": traffic.peak_sram, "peak_sram_bytes": traffic.peak_sram * size,
        "peak_sram_over_m": traffic.peak_sram > config.m,
    }


def simulate_summary(
    n: int, d: int, sram_bytes: int, dtype: str = "fp32", br: int | None = None, bc: int | None = None,
    causal: bool = False, algo: str = "fa1", seed: int = 0, counts_only: bool = False,
) -> dict[str, Any]:
    """One JSON-able summary for ``lmscope flashsim``: block sizes, HBM traffic vs standard, peak SRAM, error.

    dtype sets only M = sram_bytes // size and the byte counts; the arithmetic runs in float64 on seeded
    random Q, K, V, so ``max_abs_err`` (vs exact float64 attention) measures the algorithm, not rounding.
    With ``counts_only`` nothing is computed but the counts, and ``max_abs_err`` is absent.
    """
    if dtype not in DTYPE_BYTES:
        raise BadInputError(f"The dtype must be one of {', '.join(DTYPE_BYTES)}, not {dtype!r}.")
    if isinstance(sram_bytes, bool) or not isinstance(sram_bytes, (int, np.integer)):
        raise BadInputError(f"The SRAM size must be a whole number of bytes, not {sram_bytes!r}.")
    config = make_config(n, d, operator.index(sram_bytes) // DTYPE_BYTES[dtype], br=br, bc=bc,
                         causal=causal, algo=algo)
    traffic = count_traffic(config)
    summary = _summary_counts(config, traffic, dtype, int(sram_bytes))
    if counts_only:
        return summary
    if traffic.tiles > MAX_SIMULATED_TILES:
        raise BadInputError(
            f"This setting has {traffic.tiles} tiles, too many to step through (limit {MAX_SIMULATED_TILES}); "
            "use --counts-only or larger blocks."
        )
    q, k, v = random_qkv(config.n, config.d, seed)
    simulator = FlashSimulator(config, q, k, v)
    output = simulator.run()
    # Report the stepped counters, not the closed form, so the two paths check each other.
    summary = _summary_counts(config, simulator.traffic, dtype, int(sram_bytes))
    summary.update(
        seed=int(seed), compute_dtype="float64", steps=simulator.steps_done,
        max_abs_err=float(np.abs(output - exact_attention(q, k, v, causal=config.causal)).max()),
    )
    return summary
