"""One FlashAttention run as the panel replays it: every step of a simulated pass kept as flat arrays
(:class:`RunLog`), so Step, Step back and seeking are exact replays of stored values, never recomputation; and the
plain view data (frames, transfer lines, traffic curves) the widget draws from it."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QCoreApplication

from lmscope.backend.flashsim import TRANSFER_TENSORS, FlashPrepared, FlashStepBatch
from lmscope.widgets.flashsim.views import FlashCurves, FlashFrame

SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
TENSOR_NAMES = {"l": "ℓ"}


def describe_transfers(i: int, j: int, masked: bool, moves: np.ndarray) -> str:
    """One line for the SRAM side: which blocks tile (i, j) read and wrote, from its FlashStepBatch rows."""
    parts = []
    for write, verb in ((0, QCoreApplication.translate("FlashRun", "read")),
                        (1, QCoreApplication.translate("FlashRun", "wrote"))):
        rows = moves[moves[:, 2] == write]
        if len(rows):
            names = " ".join(TENSOR_NAMES.get(TRANSFER_TENSORS[code], TRANSFER_TENSORS[code])
                             + str(block).translate(SUBSCRIPTS) for code, block in rows[:, :2].tolist())
            parts.append(QCoreApplication.translate("FlashRun", "{verb} {names} ({elements:,} el.)").format(
                verb=verb, names=names, elements=int(rows[:, 3].sum())))
    tile = (QCoreApplication.translate("FlashRun", "Tile ({i}, {j}) masked: ") if masked
            else QCoreApplication.translate("FlashRun", "Tile ({i}, {j}): ")).format(i=i, j=j)
    return tile + " · ".join(parts or [QCoreApplication.translate("FlashRun", "no transfers")])


def _offsets(sizes: np.ndarray) -> np.ndarray:
    return np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)


class RunLog:
    """Every step of one run as flat arrays: per-step tile, counters and SRAM use; per-row m, ℓ and error.

    ``position`` is the number of steps applied; ``m``, ``l`` and ``error`` are the full per-row state there.
    Step s's rows are ``m_rows[offsets[s]:offsets[s + 1]]``; ``previous[s]`` is the last earlier step on the
    same Q block (−1 for none), which is what Step back restores.
    """

    def __init__(self, prepared: FlashPrepared) -> None:
        self.prepared, self.config = prepared, prepared.config
        self._batches: list[FlashStepBatch] = []
        self.finished = False

    def add(self, batch: FlashStepBatch) -> None:
        self._batches.append(batch)

    def finish(self) -> None:
        cfg, batches = self.config, self._batches

        def joined(name: str) -> np.ndarray:
            return np.concatenate([getattr(batch, name) for batch in batches])

        self.i, self.j = joined("tiles").T
        self.reads, self.writes, self.sram_used = joined("counters").T
        self.masked = joined("masked")
        self.m_rows, self.l_rows, self.err_rows, self.scores = (joined(name) for name in
                                                                ("m_rows", "l_rows", "row_errors", "scores"))
        self.transfers, self.transfer_offsets = joined("transfers"), _offsets(joined("transfer_counts"))
        self._batches = []
        rows = np.minimum((self.i + 1) * cfg.br, cfg.n) - self.i * cfg.br
        cols = np.minimum((self.j + 1) * cfg.bc, cfg.n) - self.j * cfg.bc
        self.offsets, self.score_offsets = _offsets(rows), _offsets(rows * cols)
        self.peak = np.maximum.accumulate(self.sram_used)
        self.tile_step = np.full((cfg.tr, cfg.tc), -1, dtype=np.int64)
        self.tile_step[self.i, self.j] = np.arange(len(self.i))
        # previous[s]: the step before s on the same Q block; a stable sort by block keeps each block's steps in order.
        order = np.argsort(self.i, kind="stable")
        same_block = self.i[order[1:]] == self.i[order[:-1]]
        self.previous = np.full(len(self.i), -1, dtype=np.int64)
        self.previous[order[1:]] = np.where(same_block, order[:-1], -1)
        self.finished = True
        self.seek(0)

    @property
    def total(self) -> int:
        return len(self.i)

    def _put(self, block: int, s: int) -> None:
        """Set Q block ``block``'s rows to their values after step s, or to the initial state for s = −1."""
        r0, r1 = self.config.row_block(block)
        if s < 0:
            self.m[r0:r1], self.l[r0:r1] = -np.inf, 0.0
            self.error[r0:r1] = self.prepared.initial_errors[r0:r1]
            return
        a, b = self.offsets[s], self.offsets[s + 1]
        self.m[r0:r1], self.l[r0:r1], self.error[r0:r1] = self.m_rows[a:b], self.l_rows[a:b], self.err_rows[a:b]

    def seek(self, position: int) -> None:
        """Go to any step: each Q block takes the values of its last step before ``position``."""
        position = int(np.clip(position, 0, self.total))
        n = self.config.n
        self.m, self.l, self.error = np.full(n, -np.inf), np.zeros(n), self.prepared.initial_errors.copy()
        last = np.full(self.config.tr, -1, dtype=np.int64)
        np.maximum.at(last, self.i[:position], np.arange(position))
        for block in np.flatnonzero(last >= 0).tolist():
            self._put(block, int(last[block]))
        self.position = position

    def move(self, delta: int) -> None:
        """Step forward or back one tile at a time (cheap), or seek when the jump is long."""
        target = int(np.clip(self.position + delta, 0, self.total))
        if abs(target - self.position) > 64:
            self.seek(target)
            return
        while self.position < target:
            self._put(int(self.i[self.position]), self.position)
            self.position += 1
        while self.position > target:
            self.position -= 1
            s = self.position
            self._put(int(self.i[s]), int(self.previous[s]))

    def sram_parts(self, s: int) -> tuple[tuple[str, str, int], ...]:
        """What is on chip during step s; the row vectors are what the backend's count leaves after the tiles."""
        cfg = self.config
        (r0, r1), (c0, c1) = cfg.row_block(int(self.i[s])), cfg.col_block(int(self.j[s]))
        rows, cols, d = r1 - r0, c1 - c0, cfg.d
        tiles = (("Q", "Qᵢ", rows * d),
                 ("O", "Oᵢ" if cfg.algo == "fa1" else QCoreApplication.translate("FlashRun", "Oᵢ acc."), rows * d),
                 ("K", "Kⱼ", cols * d), ("V", "Vⱼ", cols * d), ("S", "S/P̃", rows * cols))
        vectors = int(self.sram_used[s]) - sum(size for _, _, size in tiles)
        return (*tiles, ("vec", "m, ℓ" if cfg.algo == "fa2" else "m, ℓ, m̃, ℓ̃, mⁿᵉʷ, ℓⁿᵉʷ", vectors))

    def frame(self) -> FlashFrame:
        k = self.position
        s = k - 1
        if s < 0:
            return FlashFrame(step=0, tile=None, m=self.m.copy(), l=self.l.copy(), error=self.error.copy(),
                              scores=None, sram_parts=(), peak_sram=0, hbm_reads=0, hbm_writes=0,
                              transfers=QCoreApplication.translate("FlashRun", "Step 0: O = 0, ℓ = 0, m = −∞ in HBM; "
                                                                               "press Step to load the first tile."))
        i, j = int(self.i[s]), int(self.j[s])
        rows = self.offsets[s + 1] - self.offsets[s]
        scores = self.scores[self.score_offsets[s]:self.score_offsets[s + 1]].reshape(rows, -1)
        moves = self.transfers[self.transfer_offsets[s]:self.transfer_offsets[s + 1]]
        return FlashFrame(step=k, tile=(i, j), m=self.m.copy(), l=self.l.copy(), error=self.error.copy(),
                          scores=scores, sram_parts=self.sram_parts(s), peak_sram=int(self.peak[s]),
                          hbm_reads=int(self.reads[s]), hbm_writes=int(self.writes[s]),
                          transfers=describe_transfers(i, j, bool(self.masked[s]), moves))


def to_curves(prepared: FlashPrepared) -> FlashCurves:
    total = float(prepared.traffic.total)
    pick = {axis: {algo: (np.asarray(c["x"], float), np.asarray(c["total"], float)) for algo, c in curves.items()}
            for axis, curves in (("m", prepared.vs_m), ("n", prepared.vs_n))}
    cfg = prepared.config
    return FlashCurves(vs_m=pick["m"], vs_n=pick["n"], current_m=(float(cfg.m), total),
                       current_n=(float(cfg.n), total))


