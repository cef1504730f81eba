"""Training events that outlive the run (history, sessions): plain data, numpy only, no torch."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lmscope.backend.stats import HistogramStats


@dataclass(frozen=True)
class TrainProgress:
    step: int  # 1-based: the number of optimizer steps taken
    total_steps: int
    loss: float  # cross-entropy of this step's batch, in nats
    lr: float
    tokens_per_s: float
    elapsed_s: float


@dataclass(frozen=True)
class HistogramSnapshot:
    step: int
    val_loss: float
    stats: dict[str, HistogramStats]  # hook name -> histogram of a fixed probe batch
    # MoE models: load per expert (fraction of routed slots) of each MoE layer on the same probe batch, and the
    # auxiliary-loss-free selection bias when the run uses it; both (layers, experts).
    moe_layers: tuple[int, ...] = ()
    moe_load: np.ndarray | None = None
    moe_bias: np.ndarray | None = None
