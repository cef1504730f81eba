"""Binds the FlashAttention simulator panel to a stepped run of backend/flashsim and to the current capture.

A run is computed whole (small ones at once, larger ones through the worker) and kept in a
:class:`~lmscope.gui.panels.flashsim_run.RunLog`, so stepping and seeking replay stored values. The panel's
settings and step are a :class:`FlashSimState`, which is also its part of a session.
"""
from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QObject

from lmscope.backend.errors import BadInputError
from lmscope.backend.flashsim import (
    DTYPE_BYTES, FlashFinished, FlashPrepared, FlashStepBatch, TileConfig, count_traffic, flashsim_job, make_config,
    random_qkv,
)
from lmscope.gui.panels.flashsim_inputs import head_qkv, head_shape, head_sources
from lmscope.gui.panels.flashsim_run import RunLog, to_curves
from lmscope.widgets.flashsim.panel import FlashSetup, FlashSimPanel
from lmscope.widgets.flashsim.state import MAX_D, MAX_N, MAX_TILES, RANDOM, FlashSimState

if TYPE_CHECKING:
    from lmscope.gui.main_window import MainWindow
    from lmscope.gui.worker import Job

SYNC_MAX_TILES = 400  # ≈ 20 ms of stepping: computed at once, larger runs go through the worker
JOB_TITLE = "FlashAttention simulation"
DEFAULTS = FlashSimState()  # N = 64, d = 16, 1024 bytes of fp32 SRAM (M = 256), FA1, random inputs

Request = tuple[TileConfig, tuple[np.ndarray, ...], FlashSimState, int, str]  # config, Q K V, settings, step, label


class FlashSimBinding(QObject):
    """Owns the current run and the settings that made it; answers the panel's step, seek and settings."""

    state_type = FlashSimState

    def __init__(self, window: "MainWindow") -> None:
        super().__init__(window)
        self.window, self.doc = window, window.document
        self.panel = FlashSimPanel(max_n=MAX_N)
        window.add_panel("flashsim", self.panel, self.tr("FlashAttention"))
        self.settings = DEFAULTS  # of the run asked for last (its step is always 0: the run's position says)
        self.run: RunLog | None = None
        self._building: RunLog | None = None
        self._request: Request | None = None
        self._job: Job | None = None  # the background run this panel is waiting for
        self._target: tuple[FlashSimState, int, str] = (self.settings, 0, "")
        self._shown_settings = DEFAULTS  # the settings of the run on screen
        self._wanted_head: tuple[FlashSimState, int] | None = None  # a restored head waiting for its capture
        self.panel.settingsChanged.connect(self.on_settings)
        self.panel.stepRequested.connect(self.on_step)
        self.panel.seekRequested.connect(self.on_seek)
        self.doc.tracesChanged.connect(self.refresh_sources)
        window.register_session_part("flashsim", self)
        self.refresh_sources()
        self.apply(DEFAULTS)

    # --- settings and inputs -------------------------------------------------------------------------------
    def refresh_sources(self) -> None:
        entry = self.doc.current_trace
        sources = head_sources(entry.trace if entry else None)
        self.panel.set_sources(sources)
        wanted, self._wanted_head = self._wanted_head, None
        if wanted is not None and wanted[0].source_key in dict(sources):
            self.apply(*wanted)  # a session restored before its capture arrived: now its head can run
        elif not self.settings.random:
            self.apply(self.settings, step=0)  # a new capture: the same head on the new prompt

    def on_settings(self, settings: FlashSimState) -> None:
        if not settings.random and self.settings.random:
            settings = settings.replace(causal=True)  # the demo's heads are causal; the learner can still untick it
        self.apply(settings, step=0)

    def _shape(self, settings: FlashSimState) -> tuple[int, int]:
        """N and d of the run's inputs, known before any array is made."""
        if settings.random:
            return settings.n, settings.d
        entry = self.doc.current_trace
        if entry is None:
            raise BadInputError(self.tr("There is no capture to take Q, K and V from yet; use random inputs."))
        return head_shape(entry.trace, settings.layer, settings.head)

    def _inputs(self, settings: FlashSimState) -> tuple[tuple[np.ndarray, ...], str]:
        if settings.random:
            qkv = random_qkv(settings.n, settings.d, settings.seed)
            return qkv, self.tr("Random standard-normal Q, K, V (seed {seed})").format(seed=settings.seed)
        entry = self.doc.current_trace
        assert entry is not None  # _shape said so
        qkv = head_qkv(entry.trace, settings.layer, settings.head)
        return qkv, self.tr("Layer {layer} · head {head} of “{label}”").format(layer=settings.layer,
                                                                               head=settings.head, label=entry.label)

    def _config(self, settings: FlashSimState) -> TileConfig:
        """The run's geometry, refused (one sentence) when the panel could not step through it: checked from
        the shapes and tile counts alone, before the inputs are made."""
        n, d = self._shape(settings)
        if n > MAX_N:
            raise BadInputError(self.tr("N = {n} is more than the panel steps through ({max_n}); use `lmscope "
                                        "flashsim` for long sequences.").format(n=n, max_n=MAX_N))
        if d > MAX_D:
            raise BadInputError(self.tr("d = {d} is more than the panel shows ({max_d}); use `lmscope flashsim`.")
                                .format(d=d, max_d=MAX_D))
        config = make_config(n, d, settings.sram_bytes // DTYPE_BYTES[settings.dtype], br=settings.br or None,
                             bc=settings.bc or None, causal=settings.causal, algo=settings.algo)
        tiles = count_traffic(config).tiles  # O(Tr) arithmetic, nothing per tile
        if tiles > MAX_TILES:
            raise BadInputError(self.tr("This setting has {tiles:,} tiles; the panel steps through at most "
                                        "{max_tiles:,}. Use larger blocks or `lmscope flashsim`.")
                                .format(tiles=tiles, max_tiles=MAX_TILES))
        return config

    def apply(self, settings: FlashSimState, step: int = 0) -> bool:
        """Validate the settings, then compute their run (at once or in the worker) and go to ``step``."""
        try:
            config = self._config(settings)
            (q, k, v), label = self._inputs(settings)
        except BadInputError as exc:
            self.panel.set_state(settings, shape_locked=not settings.random)
            self.panel.set_message(str(exc), error=True)
            return False
        self.settings = settings.replace(n=config.n, d=config.d, step=0)
        self.panel.set_state(self.settings, shape_locked=not settings.random)
        self.panel.set_message("")
        self._request = (config, (q, k, v), self.settings, step, label)
        if count_traffic(config).tiles <= SYNC_MAX_TILES:
            self._compute_now()
        else:
            self._start_job()
        return True

    # --- computing a run -----------------------------------------------------------------------------------
    def _compute_now(self) -> None:
        config, (q, k, v), _, _, _ = self._take_request()
        if self._job is not None:  # an older, larger run is still computing: it must not replace this one
            job, self._job = self._job, None
            job.cancel(discard=True)
        self._absorb(list(flashsim_job(config, q, k, v)))

    def _take_request(self) -> Request:
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
            self.panel.set_message(self.tr("Waiting for “{title}” to finish before simulating {tiles:,} tiles…")
                                   .format(title=running.title, tiles=tiles))
        else:
            self.panel.set_message(self.tr("Simulating {tiles:,} tiles in the background (progress in the status "
                                           "bar)…").format(tiles=tiles))

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
            self.panel.set_message(self.tr("Simulation cancelled; the panel still shows the previous run."))

    def _on_job_failed(self, job: "Job", failure: Any) -> None:  # noqa: ANN401 - lmscope.gui.worker.JobFailure
        if job is not self._job:
            return
        self._job = None
        self._revert_settings()
        self.panel.set_message(failure.message, error=True)

    def _revert_settings(self) -> None:
        """Show the settings of the run on screen again, so controls, run and session state agree."""
        self.settings = self._target[0] if self.run is None else self._shown_settings
        self.panel.set_state(self.settings, shape_locked=not self.settings.random)

    def _install(self, log: RunLog) -> None:
        settings, step, label = self._target
        cfg, prepared = log.config, log.prepared
        self.run, self._shown_settings = log, settings
        self.panel.set_setup(FlashSetup(
            algo=cfg.algo, n=cfg.n, d=cfg.d, m=cfg.m, br=cfg.br, bc=cfg.bc, causal=cfg.causal,
            tile_step=log.tile_step, dtype_bytes=DTYPE_BYTES[settings.dtype], reads=prepared.traffic.reads,
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
    def state(self) -> FlashSimState:
        """The settings of the run asked for and the step shown; the run itself is recomputed on restore (it is
        deterministic)."""
        return self.settings.replace(step=self.run.position if self.run is not None else 0)

    def apply_state(self, state: FlashSimState) -> None:
        if not self.apply(state, state.step) and not state.random:
            reason = self.panel.message
            self.apply(state.with_source_key(RANDOM), state.step)
            self.panel.set_message(self.tr("{reason} Showing random inputs until a capture has that head.")
                                   .format(reason=reason), error=True)
            self._wanted_head = (state, state.step)


def install(window: "MainWindow") -> FlashSimBinding:
    return FlashSimBinding(window)
