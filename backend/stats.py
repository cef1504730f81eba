"""Histogram data and the statistics that matter for activations, per layer and site.

Used for a capture (the histograms panel) and for the snapshots taken during training (the over-training view).
Kurtosis is the excess (Fisher) kurtosis, 0 for a Gaussian; outliers are values more than 6 standard deviations
from the mean; dead units are features that are exactly 0 for every token (the dead-ReLU count).
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

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
    "ln1": "norm 1 normalized",  # model_sites names it after the model's norm: "RMSNorm 1 normalized"
    "attn_out": "attention out",
    "ln2": "norm 2 normalized",
    "mlp_pre": "MLP pre-activation",
    "mlp_post": "MLP post-activation",
    "resid_post": "residual out",
}


# A TinyGPT MoE layer has no one MLP: each routed expert sees only the tokens sent to it, and each shared expert
# every token. Their activations are sites of their own: "expert3_post" → blocks.{l}.moe.experts.3.hook_post.
EXPERT_SITE = re.compile(r"(expert|shared)(\d+)_(pre|post)$")
EXPERT_HOOK = re.compile(r"blocks\.(\d+)\.moe\.(experts|shared)\.(\d+)\.hook_(pre|post)$")
NORM_NAMES = {"layernorm": "LayerNorm", "rmsnorm": "RMSNorm"}
MOE_MLP_NOTE = ("This layer's FFN is a mixture of experts, so there is no single MLP to histogram: each expert sees "
                "only the tokens routed to it. Pick an “expert … activation” site instead.")


def site_hook(site: str, layer: int) -> str:
    expert = EXPERT_SITE.match(site)
    if expert is not None:
        kind, index, when = expert.groups()
        return f"blocks.{layer}.moe.{'experts' if kind == 'expert' else 'shared'}.{index}.hook_{when}"
    return SITES[site].format(l=layer)


def expert_sites(n_experts: int, n_shared: int = 0) -> list[str]:
    return ([f"expert{e}_{when}" for e in range(n_experts) for when in ("pre", "post")]
            + [f"shared{s}_{when}" for s in range(n_shared) for when in ("pre", "post")])


def site_hook_names(n_layer: int, n_experts: int = 0, n_shared: int = 0) -> list[str]:
    sites = list(SITES) + expert_sites(n_experts, n_shared)
    return [site_hook(site, layer) for layer in range(n_layer) for site in sites]


def model_sites(config: Mapping[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    """The histogram sites of a model in its own words, and why a site is empty where it must be.

    Returns (site key → label, in forward order; site key → a sentence saying why that site has no data). The norm
    sites are named after the model's norm (``RMSNorm 1``, not ``LN1``); a mixture-of-experts model's MLP sites
    explain that the FFN is per expert, and (TinyGPT) each expert's pre- and post-activation follow as sites.
    """
    norm = NORM_NAMES.get(str(config.get("norm", "")), "Norm")
    labels = dict(SITE_LABELS)
    labels["ln1"], labels["ln2"] = f"{norm} 1 normalized", f"{norm} 2 normalized"
    notes: dict[str, str] = {}
    if config.get("ffn") == "moe":
        for key in ("mlp_pre", "mlp_post"):
            labels[key] = f"{SITE_LABELS[key]} (per expert: none)"
            notes[key] = MOE_MLP_NOTE
        if config.get("kind", "tinygpt") != "hf":  # the HF adapter does not hook inside the experts
            n_experts, n_shared = int(config.get("n_experts", 0) or 0), int(config.get("n_shared", 0) or 0)
            for site in expert_sites(n_experts, n_shared):
                kind, index, when = EXPERT_SITE.match(site).groups()
                who = f"expert {index}" if kind == "expert" else f"shared expert {index}"
                labels[site] = f"{who} {'pre' if when == 'pre' else 'post'}-activation"
        else:
            for key in ("mlp_pre", "mlp_post"):
                notes[key] = ("This layer's FFN is a mixture of experts, so there is no single MLP to histogram; "
                              "lmscope does not record the activations inside a Hugging Face model's experts.")
    return labels, notes


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
    """Histogram stats for every site hook present in ``tensors`` (batch 0 and the rest alike), the experts' own
    activations of an MoE layer included."""
    names = [name for name in site_hook_names(n_layer) if name in tensors]
    names += [name for name in tensors if EXPERT_HOOK.match(name) and int(name.split(".")[1]) < n_layer]
    return {name: histogram_stats(tensors[name], bins) for name in names}


def rebin(edges: np.ndarray, counts: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Counts re-expressed on the bin ``grid``, assuming values spread uniformly inside each source bin.

    Snapshots taken at different training steps have different ranges; the over-training heatmap needs them on
    one grid. Interpolating the cumulative count keeps the total exactly.
    """
    cumulative = np.concatenate([[0.0], np.cumsum(counts, dtype=np.float64)])
    return np.diff(np.interp(grid, edges, cumulative))
