"""FlashAttention tile simulator: counts against the paper's closed forms and an independent tile loop,
outputs against exact attention (float64) and torch's scaled_dot_product_attention (float32). No Qt."""
from __future__ import annotations

import json
import math
import time

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from lmscope.backend.errors import BadInputError
from lmscope.backend.flashsim import (
    FlashSimulator,
    count_traffic,
    exact_attention,
    make_config,
    random_qkv,
    row_max_abs_error,
    simulate_summary,
    standard_traffic,
    traffic_curve,
    traffic_vs_sram,
)


# --- an independent brute-force tile loop: every (i, j) pair, visibility from explicit index arrays ---------

def brute_force(q, k, v, br, bc, causal, algo):
    """Returns (reads, writes, tiles, O) from a literal reading of the papers, sharing no code with the module."""
    n, d = q.shape
    scale = 1.0 / math.sqrt(d)
    row_blocks = [np.arange(s, min(s + br, n)) for s in range(0, n, br)]
    col_blocks = [np.arange(s, min(s + bc, n)) for s in range(0, n, bc)]
    reads = writes = tiles = 0
    m, ell, out = np.full(n, -np.inf), np.zeros(n), np.zeros((n, d))

    def visible(rows, cols):
        return cols[None, :] <= rows[:, None] if causal else np.ones((len(rows), len(cols)), bool)

    def fold(rows, cols, seen):
        # Online softmax over the rows that see at least one key here; untouched rows keep their state.
        s = np.where(seen, q[rows] @ k[cols].T * scale, -np.inf)
        live = seen.any(axis=1)
        r, s = rows[live], s[live]
        m_new = np.maximum(m[r], s.max(axis=1))
        p = np.exp(s - m_new[:, None])
        old = np.exp(m[r] - m_new) * ell[r]
        ell_new = old + p.sum(axis=1)
        out[r] = (old[:, None] * out[r] + p @ v[cols]) / ell_new[:, None]
        m[r], ell[r] = m_new, ell_new

    if algo == "fa1":
        for cols in col_blocks:
            kv_loaded = False
            for rows in row_blocks:
                seen = visible(rows, cols)
                if not seen.any():
                    continue
                if not kv_loaded:
                    reads += 2 * len(cols) * d
                    kv_loaded = True
                reads += 2 * len(rows) * d + 2 * len(rows)   # Q_i, O_i, l_i, m_i
                writes += len(rows) * d + 2 * len(rows)      # O_i, l_i, m_i
                tiles += 1
                fold(rows, cols, seen)
    else:
        for rows in row_blocks:
            reads += len(rows) * d                           # Q_i once
            for cols in col_blocks:
                seen = visible(rows, cols)
                if seen.any():
                    reads += 2 * len(cols) * d
                    tiles += 1
                    fold(rows, cols, seen)
            writes += len(rows) * d + len(rows)              # O_i and L_i once
    return reads, writes, tiles, out


def run_sim(n, d, m, br=None, bc=None, causal=False, algo="fa1", seed=0, dtype=np.float64):
    config = make_config(n, d, m, br=br, bc=bc, causal=causal, algo=algo)
    q, k, v = random_qkv(n, d, seed, dtype)
    sim = FlashSimulator(config, q, k, v)
    steps = list(sim.steps())
    return config, (q, k, v), sim, steps


# --- closed forms for full tiles ---------------------------------------------------------------------------

FULL_TILES = [  # (n, d, m, br, bc): n divisible by the block sizes
    (64, 8, 128, None, None),      # paper sizes: Bc = Br = 4
    (96, 4, 96, None, None),       # Bc = 6, Br = min(6, d) = 4
    (256, 16, 1024, None, None),   # Bc = Br = 16
    (512, 64, 4096, None, None),   # Bc = Br = 16
    (128, 8, 200, 8, 32),          # user blocks
    (1024, 128, 32768, None, None),
]


@pytest.mark.parametrize("n, d, m, br, bc", FULL_TILES)
def test_fa1_counts_equal_closed_form(n, d, m, br, bc):
    config = make_config(n, d, m, br=br, bc=bc)
    assert n % config.br == 0 and n % config.bc == 0
    traffic = count_traffic(config)
    assert traffic.reads == 2 * n * d + config.tc * (2 * n * d + 2 * n)
    assert traffic.writes == config.tc * (n * d + 2 * n)


@pytest.mark.parametrize("n, d, m, br, bc", FULL_TILES)
def test_fa2_counts_equal_closed_form(n, d, m, br, bc):
    config = make_config(n, d, m, br=br, bc=bc, algo="fa2")
    traffic = count_traffic(config)
    assert traffic.reads == n * d + 2 * config.tr * n * d
    assert traffic.writes == n * d + n


@pytest.mark.parametrize("n, d, m, br, bc", FULL_TILES[:5])
@pytest.mark.parametrize("algo", ["fa1", "fa2"])
def test_generator_counters_equal_counts_only(n, d, m, br, bc, algo):
    config, _, sim, steps = run_sim(n, d, m, br, bc, algo=algo)
    expected = count_traffic(config)
    assert (steps[-1].hbm_reads, steps[-1].hbm_writes) == (expected.reads, expected.writes)
    assert len(steps) == expected.tiles == config.tr * config.tc
    assert sim.peak_sram == expected.peak_sram == max(s.sram_used for s in steps)


def test_causal_equal_blocks_closed_form():
    n, d, b = 256, 16, 32
    t = n // b
    fa1 = count_traffic(make_config(n, d, 4 * d, br=b, bc=b, causal=True))
    assert fa1.reads == 2 * n * d + (t + 1) * n * (d + 1)
    assert fa1.writes == (t + 1) * n * (d + 2) // 2
    fa2 = count_traffic(make_config(n, d, 4 * d, br=b, bc=b, causal=True, algo="fa2"))
    assert fa2.reads == n * d + (t + 1) * n * d
    assert fa2.writes == n * (d + 1)
    assert fa1.tiles == fa2.tiles == t * (t + 1) // 2


def test_standard_attention_counts():
    assert standard_traffic(1024, 64) == standard_traffic(1024, 64)
    s = standard_traffic(1024, 64)
    assert (s.reads, s.writes) == (3 * 1024 * 64 + 2 * 1024**2, 2 * 1024**2 + 1024 * 64)


# --- ragged and causal: the brute-force loop agrees tile by tile -------------------------------------------

RAGGED = [  # (n, d, m, br, bc, causal)
    (37, 5, 60, None, None, False),
    (37, 5, 60, None, None, True),
    (50, 8, 100, 7, 3, True),     # Br > Bc: rows fully masked inside a tile
    (33, 4, 64, 5, 11, True),     # Bc > Br
    (19, 3, 6, 1, 1, True),       # 1×1 tiles
    (10, 16, 4096, None, None, True),  # one tile bigger than N
]


@pytest.mark.parametrize("n, d, m, br, bc, causal", RAGGED)
@pytest.mark.parametrize("algo", ["fa1", "fa2"])
def test_brute_force_agrees_on_ragged_and_causal(n, d, m, br, bc, causal, algo):
    config, (q, k, v), sim, steps = run_sim(n, d, m, br, bc, causal, algo, seed=3)
    reads, writes, tiles, out = brute_force(q, k, v, config.br, config.bc, causal, algo)
    assert count_traffic(config) == sim.traffic
    assert (sim.hbm_reads, sim.hbm_writes, sim.steps_done) == (reads, writes, tiles)
    assert np.isfinite(sim.o).all() and all(np.isfinite(s.o_rows).all() for s in steps)
    np.testing.assert_allclose(sim.o, out, rtol=0, atol=1e-12)
    np.testing.assert_allclose(sim.o, exact_attention(q, k, v, causal), rtol=0, atol=1e-12)


def test_causal_tiles_above_diagonal_are_skipped_and_diagonal_ones_masked():
    _, _, _, steps = run_sim(50, 8, 100, 7, 3, causal=True)
    for s in steps:
        assert s.col_start <= s.row_stop - 1            # never a tile wholly above the diagonal
        assert s.masked == (s.col_stop - 1 > s.row_start)
        assert np.isneginf(s.scores).any() == s.masked
    fully_masked_rows = [s for s in steps if np.isneginf(s.scores).all(axis=1).any()]
    assert fully_masked_rows, "this setting must exercise rows fully masked inside a tile"


def test_fa1_reads_each_kv_block_once_and_fa2_writes_each_q_block_once():
    config, _, _, steps = run_sim(45, 4, 40, causal=True)
    k_reads = [t.block for s in steps for t in s.transfers if t.tensor == "K"]
    assert k_reads == list(range(config.tc))
    config, _, sim, steps = run_sim(45, 4, 40, causal=True, algo="fa2")
    writes = [(t.tensor, t.block) for s in steps for t in s.transfers if t.direction == "write"]
    assert writes == [(name, i) for i in range(config.tr) for name in ("O", "L")]
    q, k, _ = random_qkv(45, 4, 0)
    scores = q @ k.T / 2.0
    scores[np.triu_indices(45, 1)] = -np.inf
    lse = np.log(np.exp(scores - scores.max(1, keepdims=True)).sum(1)) + scores.max(1)
    np.testing.assert_allclose(sim.lse, lse, atol=1e-12)


# --- outputs ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("algo", ["fa1", "fa2"])
def test_float32_matches_torch_sdpa(causal, algo):
    n, d = 77, 16
    _, (q, k, v), sim, _ = run_sim(n, d, 200, causal=causal, algo=algo, seed=1, dtype=np.float32)
    assert sim.o.dtype == np.float32
    expected = torch.nn.functional.scaled_dot_product_attention(
        *(torch.from_numpy(a)[None] for a in (q, k, v)), is_causal=causal
    )[0].numpy()
    assert np.abs(sim.o - expected).max() <= 1e-5


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("algo", ["fa1", "fa2"])
@pytest.mark.parametrize("n, d, m", [(64, 8, 128), (100, 32, 1000), (129, 64, 4096)])
def test_float64_matches_exact_attention(n, d, m, causal, algo):
    _, (q, k, v), sim, _ = run_sim(n, d, m, causal=causal, algo=algo, seed=2)
    assert row_max_abs_error(sim.o, exact_attention(q, k, v, causal)).max() <= 1e-12


def test_caller_provided_qkv_and_replay():
    rng = np.random.default_rng(7)
    q, k, v = (rng.integers(-3, 4, size=(20, 4)) for _ in range(3))  # integers are accepted, run in float64
    sim = FlashSimulator(make_config(20, 4, 32, causal=True), q, k, v)
    first = sim.run().copy()
    assert np.array_equal(sim.run(), first) and sim.steps_done == count_traffic(sim.config).tiles
    assert np.abs(first - exact_attention(q, k, v, causal=True)).max() <= 1e-12


# --- SRAM, settings, summary, curves -------------------------------------------------------------------

def test_peak_sram_can_exceed_m_with_paper_block_sizes():
    summary = simulate_summary(256, 64, 4096 * 4, dtype="fp32", counts_only=True)
    assert summary["m"] == 4096 and (summary["br"], summary["bc"]) == (16, 16)
    assert summary["peak_sram"] > summary["m"] and summary["peak_sram_over_m"]
    stepped = simulate_summary(256, 64, 4096 * 4, dtype="fp32")
    assert stepped["peak_sram"] == summary["peak_sram"]


@pytest.mark.parametrize("kwargs, words", [
    (dict(n=64, d=0, sram_bytes=4096), "head dimension"),
    (dict(n=0, d=8, sram_bytes=4096), "sequence length"),
    (dict(n=-5, d=8, sram_bytes=4096), "sequence length"),
    (dict(n=64, d=8, sram_bytes=4096, br=0), "Br"),
    (dict(n=64, d=8, sram_bytes=4096, bc=-2), "Bc"),
    (dict(n=64, d=8, sram_bytes=60, dtype="fp32"), "one row of K"),   # 15 elements < 2d = 16
    (dict(n=64, d=8, sram_bytes=4096, dtype="bf16"), "dtype"),
    (dict(n=64, d=8, sram_bytes=4096, algo="fa3"), "algorithm"),
    (dict(n=64.5, d=8, sram_bytes=4096), "whole number"),
    (dict(n=64, d=8, sram_bytes=4096.0), "whole number"),
    (dict(n=64, d=8, sram_bytes=4096, seed=-1), "seed"),
    (dict(n=100_000, d=8, sram_bytes=64 * 4), "counts-only"),
])
def test_bad_settings_raise_one_sentence(kwargs, words):
    with pytest.raises(BadInputError, match=words) as info:
        simulate_summary(**kwargs)
    message = str(info.value)
    assert message.endswith(".") and "\n" not in message


def test_wrong_qkv_shape_or_values_raise():
    config = make_config(8, 4, 16)
    good = np.zeros((8, 4))
    with pytest.raises(BadInputError, match="shape"):
        FlashSimulator(config, good, good, np.zeros((8, 5)))
    with pytest.raises(BadInputError, match="NaN"):
        FlashSimulator(config, good, np.full((8, 4), np.nan), good)


def test_summary_is_json_and_counts_only_agrees():
    full = simulate_summary(100, 16, 1000, causal=True, algo="fa2", seed=4)
    fast = simulate_summary(100, 16, 1000, causal=True, algo="fa2", seed=4, counts_only=True)
    json.dumps(full)
    assert "max_abs_err" not in fast and full["max_abs_err"] <= 1e-12
    assert {key: full[key] for key in fast} == fast
    assert full["hbm_read_bytes"] == 4 * full["hbm_reads"] and full["m"] == 250


def test_counts_only_is_fast_for_long_sequences():
    start = time.perf_counter()
    for algo in ("fa1", "fa2"):
        for causal in (False, True):
            simulate_summary(16384, 128, 100 * 1024, dtype="fp16", algo=algo, causal=causal, counts_only=True)
    assert time.perf_counter() - start < 1.0


def test_traffic_curves():
    ns = [128, 256, 512, 1024]
    standard = traffic_curve(ns, 64, 4096, "standard")
    assert standard["total"] == [4 * n * 64 + 4 * n * n for n in ns]
    for algo in ("fa1", "fa2"):
        curve = traffic_curve(ns, 64, 32768, algo, causal=True)
        assert curve["x"] == ns and curve["total"] == sorted(curve["total"])
        assert curve["total"][-1] < standard["total"][-1]  # needs M well above d² (here Bc = 128)
    assert traffic_curve([1024], 64, 4096, "fa1")["total"][0] > standard["total"][-1]  # Bc = 16: FA1 loses
    ms = [1024, 4096, 16384, 65536]
    fa1 = traffic_vs_sram(1024, 64, ms, "fa1")
    assert fa1["total"] == sorted(fa1["total"], reverse=True)  # Θ(N²d²/M): more SRAM, less traffic
    assert len(set(traffic_vs_sram(1024, 64, ms, "standard")["total"])) == 1
    with pytest.raises(BadInputError):
        traffic_curve(ns, 64, 4096, "fa9")


# --- property test -----------------------------------------------------------------------------------------

@settings(max_examples=200, deadline=None)
@given(
    n=st.integers(1, 24), d=st.integers(1, 6), extra=st.integers(0, 120),
    br=st.one_of(st.none(), st.integers(1, 9)), bc=st.one_of(st.none(), st.integers(1, 9)),
    causal=st.booleans(), algo=st.sampled_from(["fa1", "fa2"]), seed=st.integers(0, 2**16),
)
def test_property_small_settings(n, d, extra, br, bc, causal, algo, seed):
    config, (q, k, v), sim, steps = run_sim(n, d, 2 * d + extra, br, bc, causal, algo, seed)
    reads, writes, tiles, out = brute_force(q, k, v, config.br, config.bc, causal, algo)
    assert (steps[-1].hbm_reads, steps[-1].hbm_writes, len(steps)) == (reads, writes, tiles)
    assert count_traffic(config) == sim.traffic
    assert all(s.sram_used <= sim.peak_sram for s in steps) and all(s.sram_capacity == config.m for s in steps)
    assert np.abs(sim.o - exact_attention(q, k, v, causal)).max() <= 1e-12
    np.testing.assert_allclose(sim.o, out, rtol=0, atol=1e-12)
