"""Histogram data and the statistics that matter for activations, per layer and site.

Used for a capture (the histograms panel) and for the snapshots taken during training (the over-training view).
Kurtosis is the excess (Fisher) kurtosis, 0 for a Gaussian; outliers are values more than 6 standard deviations
from the mean; dead units are features that are exactly 0 for every token (the dead-ReLU count).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields

import numpy as np

# Site key -> hook name template, in forward order. mlp sites are absent from MoE layers.
SITES: dict[str, str] = {
    "resid_pre": "blocks.{l}.hook_resid_pre",
    "ln1": "blocks.{l}.ln1.hook_normalized",
    "attn_out": "blocks.{l}.hook_attn_out",
    "ln2": "blocks.{l}.ln2.hook_normalized",
    "mlp_pre": "blocks.{l}.mlp.hook_pre",
    "mlp_post": "blocks.{l}.mlp.hook_post",
    "resid_post": "blocks.{l}.hook_resid_post",
}
SITE_LABELS: dict[str, str] = {
    "resid_pre": "residual in",
    "ln1": "LN1 normalized",
    "attn_out": "attention out",
    "ln2": "LN2 normalized",
    "mlp_pre": "MLP pre-activation",
    "mlp_post": "MLP post-activation",
    "resid_post": "residual out",
}


def site_hook(site: str, layer: int) -> str:
    return SITES[site].format(l=layer)


def site_hook_names(n_layer: int) -> list[str]:
    return [site_hook(site, layer) for layer in range(n_layer) for site in SITES]


@dataclass(frozen=True)
class HistogramStats:
    edges: np.ndarray  # (bins + 1,) float64
    counts: np.ndarray  # (bins,) int64
    n: int
    mean: float
    std: float
    min: float
    max: float
    kurtosis: float  # excess kurtosis; nan when std is 0
    frac_zero: float  # fraction of values exactly 0
    frac_outlier: float  # fraction with |x − mean| > 6·std
    frac_nonfinite: float  # NaN or ±inf, left out of everything else
    dead_frac: float  # fraction of features (last axis) exactly 0 for every token

    @property
    def max_abs(self) -> float:
        return max(abs(self.min), abs(self.max))


# The scalar statistics in field order: the session file's "stats" columns and the training history's are exactly
# these (a session of format 1 stores them in this order; tests/sessions pins it).
STAT_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(HistogramStats) if f.name not in ("edges", "counts"))

# What the histograms table shows: (statistic, header, shown in percent). Each is a field or property above.
STAT_COLUMNS: tuple[tuple[str, str, bool], ...] = (
    ("mean", "mean", False), ("std", "std", False), ("kurtosis", "ex. kurtosis", False),
    ("max_abs", "max |x|", False), ("frac_zero", "exactly 0", True), ("dead_frac", "dead units", True),
    ("frac_outlier", "beyond 6σ", True),
)


def histogram_stats(x: np.ndarray, bins: int = 64) -> HistogramStats:
    x = np.asarray(x)
    features = x.reshape(-1, x.shape[-1]) if x.ndim else x.reshape(1, 1)
    dead = float(np.mean(np.all(features == 0, axis=0))) if features.size else 0.0
    flat = features.astype(np.float64, copy=False).ravel()
    finite = np.isfinite(flat)
    n_total = flat.size
    values = flat[finite] if not finite.all() else flat
    n = values.size
    if n == 0:
        return HistogramStats(np.linspace(0, 1, bins + 1), np.zeros(bins, np.int64), 0, *([float("nan")] * 5),
                              0.0, 0.0, 1.0 if n_total else 0.0, dead)
    mean = float(values.mean())
    centred = values - mean
    var = float(np.mean(centred * centred))
    std = var ** 0.5
    kurt = float(np.mean(centred ** 4) / var ** 2 - 3.0) if var > 0 else float("nan")
    lo, hi = float(values.min()), float(values.max())
    if lo == hi:  # one value: give the histogram a visible width
        lo, hi = lo - 0.5, hi + 0.5
    counts, edges = np.histogram(values, bins=bins, range=(lo, hi))
    return HistogramStats(
        edges=edges, counts=counts.astype(np.int64), n=n, mean=mean, std=std,
        min=float(values.min()), max=float(values.max()), kurtosis=kurt,
        frac_zero=float(np.mean(values == 0)),
        frac_outlier=float(np.mean(np.abs(centred) > 6 * std)) if std > 0 else 0.0,
        frac_nonfinite=float(1 - n / n_total), dead_frac=dead,
    )


def trace_histograms(tensors: Mapping[str, np.ndarray], n_layer: int, bins: int = 64) -> dict[str, HistogramStats]:
    """Histogram stats for every site hook present in ``tensors`` (batch 0 and the rest alike)."""
    return {name: histogram_stats(tensors[name], bins) for name in site_hook_names(n_layer) if name in tensors}


def rebin(edges: np.ndarray, counts: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Counts re-expressed on the bin ``grid``, assuming values spread uniformly inside each source bin.

    Snapshots taken at different training steps have different ranges; the over-training heatmap needs them on
    one grid. Interpolating the cumulative count keeps the total exactly.
    """
    cumulative = np.concatenate([[0.0], np.cumsum(counts, dtype=np.float64)])
    return np.diff(np.interp(grid, edges, cumulative))
