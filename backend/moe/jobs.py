"""The router view's job: read a capture's router tensors (lazily, from a session file too) and compute every
layer's statistics and probabilities in the worker — 32 layers × 2048 tokens × 64 experts is ~0.1 s of numpy."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from lmscope.backend.errors import BadInputError
from lmscope.backend.jobs import JobProgress
from lmscope.backend.moe.routing import Routing, has_router, soft_layers, trace_routing, trace_soft_routing
from lmscope.backend.moe.stats import LayerStats, router_probs
from lmscope.backend.trace import Trace


@dataclass(frozen=True)
class RouterAnalysis:
    """A capture's routing with its statistics: what the router view draws."""

    routing: Routing = field(repr=False)
    stats: tuple[LayerStats, ...] = field(repr=False)
    probs: np.ndarray = field(repr=False)  # (L, N, E) float32
    hf_aux: float
    label: str = ""


def analyse(trace: Trace) -> RouterAnalysis:
    routing = trace_routing(trace.tensors, trace.model_config, trace.token_strings)
    probs = np.stack([router_probs(r.router_logits).astype(np.float32) for r in routing.layers])
    return RouterAnalysis(routing=routing, stats=tuple(routing.stats()), probs=probs, hf_aux=routing.hf_aux(),
                          label=trace.label)


@dataclass(frozen=True)
class RouterUnavailable:
    """The capture's router tensors cannot be shown (absent, or damaged in a session file): one sentence."""

    message: str


def router_job(trace: Trace) -> Iterator[object]:
    """The router view's analysis (or a Soft MoE capture's :class:`SoftRouting`); a capture it cannot read is an
    event for the panel's notice line, not a failed job (an error dialog for every damaged file would be too loud)."""
    yield JobProgress(-1.0, "Computing router statistics…")
    try:
        if not has_router(trace.tensors) and soft_layers(trace.tensors):
            analysis: object = trace_soft_routing(trace.tensors, trace.model_config, trace.token_strings)
        else:
            analysis = analyse(trace)
    except BadInputError as exc:
        yield RouterUnavailable(str(exc))
        return
    yield analysis
