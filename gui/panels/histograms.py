"""Binds the LayerNorm & activation histograms panel to the document's traces and training snapshots."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject

from lmscope.backend.stats import SITE_LABELS, STAT_COLUMNS, HistogramStats, model_sites, rebin, site_hook
from lmscope.widgets.histograms import HistogramsPanel, HistogramsState, SiteHistogram, Timeline

if TYPE_CHECKING:
    from lmscope.gui.document import TraceEntry
    from lmscope.gui.main_window import MainWindow

TIMELINE_BINS = 96


def to_view(stats: HistogramStats) -> SiteHistogram:
    values = {key: float(getattr(stats, key)) for key, _, _ in STAT_COLUMNS}
    return SiteHistogram(edges=stats.edges, counts=stats.counts, stats=values)


def site_views(entry: "TraceEntry") -> dict[tuple[int, str], SiteHistogram]:
    views = {}
    sites, _ = model_sites(entry.trace.model_config)
    for layer in range(entry.trace.n_layer):
        for site in sites:
            stats = entry.histograms.get(site_hook(site, layer))
            if stats is not None:
                views[(layer, site)] = to_view(stats)
    return views


class HistogramsBinding(QObject):
    def __init__(self, window: "MainWindow") -> None:
        super().__init__(window)
        self.doc = window.document
        self.panel = HistogramsPanel(SITE_LABELS, STAT_COLUMNS)
        window.add_panel("histograms", self.panel, self.tr("Histograms"))
        self._compare_to = -1  # index into doc.traces, −1 for none
        self.doc.tracesChanged.connect(self.refresh)
        self.doc.trainingReset.connect(self.refresh_timeline)
        self.doc.snapshotAdded.connect(self.refresh_timeline)
        self.panel.selectionChanged.connect(self.on_selection)
        self.panel.compareChanged.connect(self.on_compare)
        self.doc.selectionChanged.connect(self.on_document_selection)
        window.register_session_part("histograms", self)
        self.refresh()

    state_type = HistogramsState

    def state(self) -> HistogramsState:
        return self.panel.state(compare_to=self._compare_to)

    def apply_state(self, state: HistogramsState) -> None:
        self.panel.set_state(state, layer=self.doc.selection.layer)
        if 0 <= state.compare_to < len(self.doc.traces) and state.compare_to != self.doc.current:
            self._compare_to = state.compare_to
            self.refresh()

    def on_document_selection(self) -> None:
        if self.panel.layer != self.doc.selection.layer:
            self.panel.select(self.doc.selection.layer, self.panel.site)

    def _others(self) -> list[int]:
        return [i for i in range(len(self.doc.traces)) if i != self.doc.current]

    def refresh(self) -> None:
        entry = self.doc.current_trace
        if entry is None:
            return
        self.panel.set_sites(*model_sites(entry.trace.model_config))
        self.panel.set_histograms(entry.label, entry.trace.n_layer, site_views(entry))
        others = self._others()
        if self._compare_to not in others:
            self._compare_to = -1
        self.panel.set_compare_options([self.doc.traces[i].label for i in others],
                                       others.index(self._compare_to) if self._compare_to >= 0 else -1)
        self._show_reference()
        self.refresh_timeline()

    def on_compare(self, option: int) -> None:
        others = self._others()
        self._compare_to = others[option] if 0 <= option < len(others) else -1
        self._show_reference()

    def _show_reference(self) -> None:
        if self._compare_to < 0:
            self.panel.set_reference("", None)
        else:
            entry = self.doc.traces[self._compare_to]
            self.panel.set_reference(entry.label, site_views(entry))

    def on_selection(self, layer: int, _site: str) -> None:
        self.doc.set_selection(layer=layer)
        self.refresh_timeline()

    def refresh_timeline(self) -> None:
        hook = site_hook(self.panel.site, self.panel.layer)
        snaps = [s for s in self.doc.history.snapshots if hook in s.stats]
        if not snaps:
            self.panel.set_timeline(None)
            return
        stats = [s.stats[hook] for s in snaps]
        lo = min(float(h.edges[0]) for h in stats)
        hi = max(float(h.edges[-1]) for h in stats)
        grid = np.linspace(lo, hi, TIMELINE_BINS + 1)
        density = np.stack([rebin(h.edges, h.counts, grid) / max(1, h.n) for h in stats]) / np.diff(grid)
        self.panel.set_timeline(Timeline(
            steps=np.asarray([s.step for s in snaps], float), grid=grid, density=density,
            mean=np.asarray([h.mean for h in stats]), std=np.asarray([h.std for h in stats]),
            label=self.tr("{run} · layer {layer} · {site}").format(run=self.doc.history.label or self.tr("training"),
                                                                  layer=self.panel.layer,
                                                                  site=self.panel.site_label()),
        ))


def install(window: "MainWindow") -> HistogramsBinding:
    return HistogramsBinding(window)
