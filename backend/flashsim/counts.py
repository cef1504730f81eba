"""Tile geometry and HBM-traffic counts for the FlashAttention simulator, without any arithmetic.

The counts-only fast path and the "curves" view live here; :mod:`lmscope.backend.flashsim.simulator` steps through the same tiles
with real numbers and must land on the same totals. Every formula is derived in ``docs/flashattention.md``.
All quantities are in elements; bytes = elements × dtype size.
"""
from __future__ import annotations

import math
import operator
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from lmscope.backend.errors import BadInputError

DTYPE_BYTES: dict[str, int] = {"fp16": 2, "fp32": 4, "fp64": 8}
ALGOS: tuple[str, ...] = ("fa1", "fa2")
CURVE_ALGOS: tuple[str, ...] = ("standard", "fa1", "fa2")

# Row vectors each algorithm keeps on chip next to its tiles (see sram_occupancy).
_FA1_ROW_VECTORS = 6  # m_i, l_i (loaded), m~, l~, m_new, l_new
_FA2_ROW_VECTORS = 3  # m_old, m_new, l (FA2 folds l~ straight into l)


@dataclass(frozen=True)
class TileConfig:
    """One simulator setting: sequence length n, head dim d, SRAM capacity m (elements), block sizes."""

    n: int
    d: int
    m: int
    br: int
    bc: int
    causal: bool = False
    algo: str = "fa1"

    @property
    def tr(self) -> int:
        """Number of Q (row) blocks, ⌈n / br⌉."""
        return -(-self.n // self.br)

    @property
    def tc(self) -> int:
        """Number of K/V (column) blocks, ⌈n / bc⌉."""
        return -(-self.n // self.bc)

    def row_block(self, i: int) -> tuple[int, int]:
        """Rows [start, stop) of Q block i; the last block is short when br does not divide n."""
        return i * self.br, min((i + 1) * self.br, self.n)

    def col_block(self, j: int) -> tuple[int, int]:
        """Columns [start, stop) of K/V block j."""
        return j * self.bc, min((j + 1) * self.bc, self.n)

    def kv_blocks_visited(self, i: int) -> int:
        """How many K/V blocks Q block i meets; causal stops at the block holding its last row's diagonal."""
        if not self.causal:
            return self.tc
        return (self.row_block(i)[1] - 1) // self.bc + 1

    def first_q_block(self, j: int) -> int:
        """First Q block that K/V block j meets: causal skips blocks whose every row precedes column j·bc."""
        return self.col_block(j)[0] // self.br if self.causal else 0

    def crosses_diagonal(self, i: int, j: int) -> bool:
        """True when tile (i, j) holds some masked entries (a column after a row), so it needs the mask."""
        return self.causal and self.col_block(j)[1] - 1 > self.row_block(i)[0]


@dataclass(frozen=True)
class Traffic:
    """HBM traffic of one forward pass, in elements, with the tile count and the peak SRAM it needed."""

    reads: int
    writes: int
    tiles: int = 0
    peak_sram: int = 0

    @property
    def total(self) -> int:
        return self.reads + self.writes


def check_positive_int(name: str, value: object) -> int:
    """value as an int of at least 1, or BadInputError naming it."""
    # operator.index accepts numpy integers but refuses floats such as 64.5, which would silently truncate.
    if isinstance(value, bool):
        raise BadInputError(f"{name} must be a whole number, not {value!r}.")
    try:
        number = operator.index(value)
    except TypeError:
        raise BadInputError(f"{name} must be a whole number, not {value!r}.") from None
    if number <= 0:
        raise BadInputError(f"{name} must be at least 1, but it is {number}.")
    return number


def paper_block_sizes(d: int, m: int) -> tuple[int, int]:
    """FA1 Algorithm 1, line 1: Bc = ⌈M / 4d⌉, Br = min(⌈M / 4d⌉, d); returns (br, bc)."""
    bc = math.ceil(m / (4 * d))
    return min(bc, d), bc


def make_config(
    n: int,
    d: int,
    m: int,
    *,
    br: int | None = None,
    bc: int | None = None,
    causal: bool = False,
    algo: str = "fa1",
) -> TileConfig:
    """Validate a setting and fill in the paper's block sizes for any of br, bc left as None."""
    n = check_positive_int("The sequence length N", n)
    d = check_positive_int("The head dimension d", d)
    if algo not in ALGOS:
        raise BadInputError(f"The algorithm must be one of {', '.join(ALGOS)}, not {algo!r}.")
    if isinstance(m, bool) or not isinstance(m, (int, np.integer)) or m < 2 * d:
        raise BadInputError(
            f"SRAM of {m} elements cannot hold one row of K and one of V (needs at least 2·d = {2 * d})."
        )
    paper_br, paper_bc = paper_block_sizes(d, int(m))
    br = paper_br if br is None else check_positive_int("The row block size Br", br)
    bc = paper_bc if bc is None else check_positive_int("The column block size Bc", bc)
    return TileConfig(n=n, d=d, m=int(m), br=br, bc=bc, causal=bool(causal), algo=algo)


def sram_occupancy(algo: str, rows: int, cols: int, d: int) -> int:
    """Elements on chip while one tile is processed: Q_i, O_i, K_j, V_j, the S/P tile and the row vectors.

    P~ overwrites S in place, so the tile is counted once. With the paper's block sizes this is about 5M/4,
    not M: the paper's bound is O(M), and we report it as it is rather than clamping.
    """
    vectors = _FA1_ROW_VECTORS if algo == "fa1" else _FA2_ROW_VECTORS
    return 2 * rows * d + 2 * cols * d + rows * cols + vectors * rows


def _visits(config: TileConfig) -> tuple[np.ndarray, np.ndarray]:
    """Per Q block: its row count and how many K/V blocks it meets (vectorised over all Tr blocks)."""
    starts = np.arange(config.tr, dtype=np.int64) * config.br
    stops = np.minimum(starts + config.br, config.n)
    if config.causal:
        visits = (stops - 1) // config.bc + 1
    else:
        visits = np.full(config.tr, config.tc, dtype=np.int64)
    return stops - starts, visits


def count_traffic(config: TileConfig) -> Traffic:
    """HBM reads and writes of a whole forward pass, from tile counts alone (O(Tr), no attention arithmetic).

    FA1 reads every K_j, V_j once (2Nd in all) and, per visited tile, Q_i, O_i, l_i, m_i, writing O_i, l_i,
    m_i back; the initial O = 0, l = 0, m = -inf is treated as free (see docs). FA2 reads Q_i once per
    Q block and K_j, V_j per visited tile, and writes O and L = m + log l once.
    """
    n, d = config.n, config.d
    rows, visits = _visits(config)
    tiles = int(visits.sum())
    peak = sram_occupancy(config.algo, min(config.br, n), min(config.bc, n), d)
    if config.algo == "fa1":
        visited_rows = int((rows * visits).sum())  # Σ over visited tiles of the tile's row count
        return Traffic(
            reads=2 * n * d + (2 * d + 2) * visited_rows,
            writes=(d + 2) * visited_rows,
            tiles=tiles,
            peak_sram=peak,
        )
    kv_rows = int(np.minimum(visits * config.bc, n).sum())  # K/V rows streamed past all Q blocks
    return Traffic(reads=n * d + 2 * d * kv_rows, writes=n * (d + 1), tiles=tiles, peak_sram=peak)


def standard_traffic(n: int, d: int) -> Traffic:
    """Standard attention with S and P materialised in HBM: reads 3Nd + 2N², writes 2N² + Nd.

    A causal mask does not change this: the naive kernel still writes and reads the full N × N matrices.
    """
    n = check_positive_int("The sequence length N", n)
    d = check_positive_int("The head dimension d", d)
    return Traffic(reads=3 * n * d + 2 * n * n, writes=2 * n * n + n * d)


def _curve_point(algo: str, n: int, d: int, m: int, causal: bool) -> Traffic:
    if algo == "standard":
        return standard_traffic(n, d)
    if algo not in CURVE_ALGOS:
        raise BadInputError(f"The algorithm must be one of {', '.join(CURVE_ALGOS)}, not {algo!r}.")
    return count_traffic(make_config(n, d, m, causal=causal, algo=algo))


def _curve(xs: Sequence[int], points: list[Traffic]) -> dict[str, list[int]]:
    return {
        "x": [int(x) for x in xs],
        "reads": [p.reads for p in points],
        "writes": [p.writes for p in points],
        "total": [p.total for p in points],
    }


def traffic_curve(
    ns: Sequence[int], d: int, m: int, algo: str, causal: bool = False
) -> dict[str, list[int]]:
    """HBM elements moved against sequence length N (paper block sizes), for the curves view.

    Returns JSON-able lists ``x`` (the N values), ``reads``, ``writes`` and ``total``.
    """
    return _curve(ns, [_curve_point(algo, n, d, m, causal) for n in ns])


def traffic_vs_sram(
    n: int, d: int, ms: Sequence[int], algo: str, causal: bool = False
) -> dict[str, list[int]]:
    """HBM elements moved against SRAM capacity M (elements, paper block sizes); flat for standard attention."""
    return _curve(ms, [_curve_point(algo, n, d, m, causal) for m in ms])
