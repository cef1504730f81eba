"""Binds the FlashAttention simulator panel to a stepped run of backend/flashsim.py and to the current capture.

A run is computed whole (small ones at once, larger ones through the worker) and kept as flat arrays in
:class:`RunLog`, so Step, Step back and seeking are exact replays of stored values, never recomputation.
"""
from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QObject

from lmscope.backend.errors import BadInputError
from lmscope.backend.flashsim import (
    DTYPE_BYTES, TRANSFER_TENSORS, FlashFinished, FlashPrepared, FlashStepBatch, TileConfig, count_traffic,
    flashsim_job, make_config, random_qkv,
)
from lmscope.widgets.flashsim.panel import FlashCurves, FlashFrame, FlashSetup, FlashSimPanel

if TYPE_CHECKING:
    from lmscope.gui.main_window import MainWindow
    from lmscope.gui.worker import Job

PANEL_MAX_N = 1024  # longer sequences: `lmscope flashsim`, which can count without stepping
PANEL_MAX_TILES = 65_536  # N = 1024 with 4 × 4 tiles; a stored step costs ~300 bytes
SYNC_MAX_TILES = 400  # ≈ 20 ms of stepping: computed at once, larger runs go through the worker
JOB_TITLE = "FlashAttention simulation"
DEFAULTS: dict[str, Any] = {"algo": "fa1", "n": 64, "d": 16, "sram_bytes": 1024, "dtype": "fp32", "br": 0,
                            "bc": 0, "causal": False, "seed": 0, "source": "random"}
SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
TENSOR_NAMES = {"l": "ℓ"}


def describe_transfers(i: int, j: int, masked: bool, moves: np.ndarray) -> str:
    """One line for the SRAM side: which blocks tile (i, j) read and wrote, from its FlashStepBatch rows."""
    parts = []
    for write, verb in ((0, "read"), (1, "wrote")):
        rows = moves[moves[:, 2] == write]
        if len(rows):
            names = " ".join(TENSOR_NAMES.get(TRANSFER_TENSORS[code], TRANSFER_TENSORS[code])
                             + str(block).translate(SUBSCRIPTS) for code, block in rows[:, :2].tolist())
            parts.append(f"{verb} {names} ({int(rows[:, 3].sum()):,} el.)")
    return f"Tile ({i}, {j}){' masked' if masked else ''}: " + " · ".join(parts or ["no transfers"])


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
        tiles = (("Q", "Qᵢ", rows * d), ("O", "Oᵢ" if cfg.algo == "fa1" else "Oᵢ acc.", rows * d),
                 ("K", "Kⱼ", cols * d), ("V", "Vⱼ", cols * d), ("S", "S/P̃", rows * cols))
        vectors = int(self.sram_used[s]) - sum(size for _, _, size in tiles)
        return (*tiles, ("vec", "m, ℓ" if cfg.algo == "fa2" else "m, ℓ, m̃, ℓ̃, mⁿᵉʷ, ℓⁿᵉʷ", vectors))

    def frame(self) -> FlashFrame:
        k = self.position
        s = k - 1
        if s < 0:
            return FlashFrame(step=0, tile=None, m=self.m.copy(), l=self.l.copy(), error=self.error.copy(),
                              scores=None, sram_parts=(), peak_sram=0, hbm_reads=0, hbm_writes=0,
                              transfers="Step 0: O = 0, ℓ = 0, m = −∞ in HBM; press Step to load the first tile.")
        i, j = int(self.i[s]), int(self.j[s])
        rows = self.offsets[s + 1] - self.offsets[s]
        scores = self.scores[self.score_offsets[s]:self.score_offsets[s + 1]].reshape(rows, -1)
        moves = self.transfers[self.transfer_offsets[s]:self.transfer_offsets[s + 1]]
        return FlashFrame(step=k, tile=(i, j), m=self.m.copy(), l=self.l.copy(), error=self.error.copy(),
                          scores=scores, sram_parts=self.sram_parts(s), peak_sram=int(self.peak[s]),
                          hbm_reads=int(self.reads[s]), hbm_writes=int(self.writes[s]),
                          transfers=describe_transfers(i, j, bool(self.masked[s]), moves))


def head_sources(trace: Any) -> list[tuple[str, str]]:
    """Input choices: random Q, K, V, then every (layer, head) of the capture that recorded Q, K and V."""
    sources = [("random", "random Q, K, V")]
    if trace is None:
        return sources
    for layer in range(trace.n_layer):
        q = trace.tensors.get(f"blocks.{layer}.attn.hook_q")
        k = trace.tensors.get(f"blocks.{layer}.attn.hook_k")
        if q is None or k is None or f"blocks.{layer}.attn.hook_v" not in trace.tensors:
            continue
        group = q.shape[2] // k.shape[2]
        sources += [(f"head:{layer}:{head}", f"layer {layer} · head {head}"
                     + (f" (kv head {head // group})" if group > 1 else "")) for head in range(q.shape[2])]
    return sources


def head_qkv(trace: Any, layer: int, head: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One query head's Q and its key/value head's K, V from the first sequence, as float64 (N, d_head).

    RoPE models attend with the rotated Q, K, so those are preferred when recorded. Float64 makes the
    simulator's error measure the algorithm, as for random inputs, not float32 rounding.
    """
    prefix = f"blocks.{layer}.attn."
    tensors = trace.tensors
    names = [prefix + ("hook_rot_q" if prefix + "hook_rot_q" in tensors else "hook_q"),
             prefix + ("hook_rot_k" if prefix + "hook_rot_k" in tensors else "hook_k"), prefix + "hook_v"]
    if any(name not in tensors for name in names):
        raise BadInputError(f"The capture has no Q, K and V for layer {layer}; pick another input.")
    q, k, v = (tensors[name] for name in names)
    if not 0 <= head < q.shape[2]:
        raise BadInputError(f"Layer {layer} has {q.shape[2]} heads; there is no head {head}.")
    kv_head = head // (q.shape[2] // k.shape[2])  # grouped-query attention: heads share K, V in groups
    return tuple(np.ascontiguousarray(a, dtype=np.float64) for a in (q[0, :, head], k[0, :, kv_head],
                                                                     v[0, :, kv_head]))


def to_curves(prepared: FlashPrepared) -> FlashCurves:
    total = float(prepared.traffic.total)
    pick = {axis: {algo: (np.asarray(c["x"], float), np.asarray(c["total"], float)) for algo, c in curves.items()}
            for axis, curves in (("m", prepared.vs_m), ("n", prepared.vs_n))}
    cfg = prepared.config
    return FlashCurves(vs_m=pick["m"], vs_n=pick["n"], current_m=(float(cfg.m), total),
                       current_n=(float(cfg.n), total))


class FlashSimBinding(QObject):
    """Owns the current run and the settings that made it; answers the panel's step, seek and settings."""

    def __init__(self, window: "MainWindow") -> None:
        super().__init__(window)
        self.window, self.doc = window, window.document
        self.panel = FlashSimPanel(max_n=PANEL_MAX_N)
        window.add_panel("flashsim", self.panel, "FlashAttention")
        self.settings: dict[str, Any] = dict(DEFAULTS)
        self.run: RunLog | None = None
        self._source_label = ""
        self._building: RunLog | None = None
        self._request: tuple[TileConfig, tuple[np.ndarray, ...], dict[str, Any], int, str] | None = None
        self._job: Job | None = None  # the background run this panel is waiting for
        self._target: tuple[dict[str, Any], int, str] = (self.settings, 0, "")
        self._shown_settings: dict[str, Any] = dict(DEFAULTS)  # the settings of the run on screen
        self._wanted_head: tuple[dict[str, Any], int] | None = None  # a restored head waiting for its capture
        self.panel.settingsChanged.connect(self.on_settings)
        self.panel.stepRequested.connect(self.on_step)
        self.panel.seekRequested.connect(self.on_seek)
        self.doc.tracesChanged.connect(self.refresh_sources)
        window.register_session_part("flashsim", self)
        self.refresh_sources()
        self.apply(dict(DEFAULTS))

    # --- settings and inputs -------------------------------------------------------------------------------
    def refresh_sources(self) -> None:
        entry = self.doc.current_trace
        sources = head_sources(entry.trace if entry else None)
        self.panel.set_sources(sources)
        wanted, self._wanted_head = self._wanted_head, None
        if wanted is not None and wanted[0]["source"] in dict(sources):
            self.apply(*wanted)  # a session restored before its capture arrived: now its head can run
        elif self.settings["source"] != "random":
            self.apply(dict(self.settings), step=0)  # a new capture: the same head on the new prompt

    def on_settings(self, settings: dict[str, Any]) -> None:
        settings = dict(settings)
        if settings["source"] != "random" and self.settings["source"] == "random":
            settings["causal"] = True  # the demo's heads are causal; the learner can still untick it
        self.apply(settings, step=0)

    def _inputs(self, settings: dict[str, Any]) -> tuple[tuple[np.ndarray, ...], str]:
        if settings["source"] == "random":
            qkv = random_qkv(int(settings["n"]), int(settings["d"]), int(settings["seed"]))
            return qkv, f"Random standard-normal Q, K, V (seed {settings['seed']})"
        entry = self.doc.current_trace
        if entry is None:
            raise BadInputError("There is no capture to take Q, K and V from yet; use random inputs.")
        _, layer, head = settings["source"].split(":")
        qkv = head_qkv(entry.trace, int(layer), int(head))
        return qkv, f"Layer {layer} · head {head} of “{entry.label}”"

    def apply(self, settings: dict[str, Any], step: int = 0) -> bool:
        """Validate the settings, then compute their run (at once or in the worker) and go to ``step``."""
        try:
            (q, k, v), label = self._inputs(settings)
            n, d = q.shape
            if n > PANEL_MAX_N:
                raise BadInputError(f"N = {n} is more than the panel steps through ({PANEL_MAX_N}); "
                                    "use `lmscope flashsim` for long sequences.")
            config = make_config(n, d, int(settings["sram_bytes"]) // DTYPE_BYTES[settings["dtype"]],
                                 br=int(settings["br"]) or None, bc=int(settings["bc"]) or None,
                                 causal=bool(settings["causal"]), algo=settings["algo"])
            tiles = count_traffic(config).tiles
            if tiles > PANEL_MAX_TILES:
                raise BadInputError(f"This setting has {tiles:,} tiles; the panel steps through at most "
                                    f"{PANEL_MAX_TILES:,}. Use larger blocks or `lmscope flashsim`.")
        except BadInputError as exc:
            self.panel.set_settings(settings, shape_locked=settings["source"] != "random")
            self.panel.set_message(str(exc), error=True)
            return False
        self.settings = {**settings, "n": n, "d": d}
        self.panel.set_settings(self.settings, shape_locked=settings["source"] != "random")
        self.panel.set_message("")
        self._request = (config, (q, k, v), self.settings, step, label)
        if tiles <= SYNC_MAX_TILES:
            self._compute_now()
        else:
            self._start_job()
        return True

    # --- computing a run -----------------------------------------------------------------------------------
    def _compute_now(self) -> None:
        config, (q, k, v), settings, step, label = self._take_request()
        if self._job is not None:  # an older, larger run is still computing: it must not replace this one
            job, self._job = self._job, None
            job.cancel(discard=True)
        self._absorb(list(flashsim_job(config, q, k, v)))

    def _take_request(self) -> tuple[TileConfig, tuple[np.ndarray, ...], dict[str, Any], int, str]:
        request, self._request = self._request, None
        assert request is not None
        self._target = (request[2], request[3], request[4])
        self._building = None
        return request

    def _start_job(self) -> None:
        config, (q, k, v), _, _, _ = self._take_request()
        # Latest wins: a newer request replaces a waiting run of ours and cancels a running one (its late batches
        # are dropped by the runner).
        job = self.window.runner.start_job(JOB_TITLE, lambda: flashsim_job(config, q, k, v), kind="flashsim",
                                           supersede=True)
        job.events.connect(partial(self._on_job_events, job))
        job.finished.connect(partial(self._on_job_finished, job))
        job.failed.connect(partial(self._on_job_failed, job))
        self._job = job
        running = self.window.runner.running
        tiles = count_traffic(config).tiles
        if running is not None and running.kind != "flashsim":
            self.panel.set_message(f"Waiting for “{running.title}” to finish before simulating {tiles:,} tiles…")
        else:
            self.panel.set_message(f"Simulating {tiles:,} tiles in the background (progress in the status bar)…")

    def _on_job_events(self, job: "Job", events: list[Any]) -> None:
        """The worker's batches (≤ 30 a second); ignored when they belong to a run already replaced."""
        if job is self._job:
            self._absorb(events)

    def _absorb(self, events: list[Any]) -> None:
        for event in events:
            if isinstance(event, FlashPrepared):
                self._building = RunLog(event)
            elif isinstance(event, FlashStepBatch) and self._building is not None:
                self._building.add(event)
            elif isinstance(event, FlashFinished) and self._building is not None:
                log, self._building = self._building, None
                log.finish()
                self._install(log)

    def _on_job_finished(self, job: "Job", completed: bool) -> None:
        if job is not self._job:
            return  # a run we replaced ourselves
        self._job = None
        if not completed:  # cancelled from the status bar
            self._revert_settings()
            self.panel.set_message("Simulation cancelled; the panel still shows the previous run.")

    def _on_job_failed(self, job: "Job", failure: Any) -> None:  # noqa: ANN401 - lmscope.gui.worker.JobFailure
        if job is not self._job:
            return
        self._job = None
        self._revert_settings()
        self.panel.set_message(failure.message, error=True)

    def _revert_settings(self) -> None:
        """Show the settings of the run on screen again, so controls, run and session state agree."""
        self.settings = dict(self._target[0] if self.run is None else self._shown_settings)
        self.panel.set_settings(self.settings, shape_locked=self.settings["source"] != "random")

    def _install(self, log: RunLog) -> None:
        settings, step, label = self._target
        cfg, prepared = log.config, log.prepared
        self.run, self._shown_settings = log, settings
        self.panel.set_setup(FlashSetup(
            algo=cfg.algo, n=cfg.n, d=cfg.d, m=cfg.m, br=cfg.br, bc=cfg.bc, causal=cfg.causal,
            tile_step=log.tile_step, dtype_bytes=DTYPE_BYTES[settings["dtype"]], reads=prepared.traffic.reads,
            writes=prepared.traffic.writes, standard_reads=prepared.standard.reads,
            standard_writes=prepared.standard.writes, peak_sram=prepared.traffic.peak_sram, source=label,
            m_range=(float(log.m_rows.min()), float(log.m_rows.max())), l_max=float(log.l_rows.max()),
            error_max=float(max(prepared.initial_errors.max(), log.err_rows.max(), 1e-12))))
        self.panel.set_curves(to_curves(prepared))
        self.panel.set_message("")
        log.seek(step)
        self.panel.set_frame(log.frame())

    # --- stepping ------------------------------------------------------------------------------------------
    def on_step(self, delta: int) -> None:
        if self.run is not None:
            self.run.move(delta)
            self.panel.set_frame(self.run.frame())

    def on_seek(self, position: int) -> None:
        if self.run is not None:
            self.run.move(position - self.run.position)
            self.panel.set_frame(self.run.frame())

    # --- session part --------------------------------------------------------------------------------------
    def session_state(self) -> dict[str, Any]:
        """Settings and step as plain values; the run itself is recomputed on restore (it is deterministic)."""
        s = self.settings
        layer, head = (0, 0) if s["source"] == "random" else map(int, s["source"].split(":")[1:])
        state = {key: s[key] for key in DEFAULTS if key != "source"}
        state.update(source="random" if s["source"] == "random" else "head", layer=layer, head=head,
                     step=self.run.position if self.run is not None else 0)
        return state

    def restore_session_state(self, state: dict[str, Any]) -> None:
        settings = {key: _plain(state.get(key, default), default) for key, default in DEFAULTS.items()
                    if key != "source"}
        source = _plain(state.get("source", "random"), "")
        settings["source"] = ("random" if source == "random"
                              else f"head:{_plain(state.get('layer', 0), 0)}:{_plain(state.get('head', 0), 0)}")
        step = _plain(state.get("step", 0), 0)
        if not self.apply(settings, step) and settings["source"] != "random":
            reason = self.panel.message_label.text()
            self.apply({**settings, "source": "random"}, step)
            self.panel.set_message(f"{reason} Showing random inputs until a capture has that head.", error=True)
            self._wanted_head = (settings, step)


def _plain(value: Any, like: Any) -> Any:
    """A session value (possibly numpy or bytes, as HDF5 gives it back) as the type of ``like``."""
    if isinstance(value, bytes):
        value = value.decode("utf-8")
    if isinstance(value, np.generic):
        value = value.item()
    return type(like)(value)


def install(window: "MainWindow") -> FlashSimBinding:
    return FlashSimBinding(window)
