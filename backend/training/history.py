"""A training run's history: metrics per step and histogram snapshots, as plain arrays.

The GUI's document appends training events to it; the demo ships one (``history.npz``, read with
``allow_pickle=False``) so the Training and over-training views show a real run the moment the app opens.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lmscope.backend.errors import ModelLoadError
from lmscope.backend.stats import STAT_FIELDS, HistogramStats
from lmscope.backend.training.events import HistogramSnapshot, TrainProgress

_STAT_FIELDS = STAT_FIELDS


@dataclass
class TrainingHistory:
    steps: list[int] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    tokens_per_s: list[float] = field(default_factory=list)
    snapshots: list[HistogramSnapshot] = field(default_factory=list)
    label: str = ""

    def add(self, event: TrainProgress | HistogramSnapshot) -> None:
        if isinstance(event, TrainProgress):
            self.steps.append(event.step)
            self.loss.append(event.loss)
            self.lr.append(event.lr)
            self.tokens_per_s.append(event.tokens_per_s)
        elif isinstance(event, HistogramSnapshot):
            self.snapshots.append(event)

    def __len__(self) -> int:
        return len(self.steps)

    def best_snapshot(self) -> HistogramSnapshot | None:
        """The snapshot with the lowest validation loss (the first of equals): the weights the trainer keeps."""
        finite = [s for s in self.snapshots if np.isfinite(s.val_loss)]
        return min(finite, key=lambda s: s.val_loss) if finite else None

    def snapshot_hooks(self) -> list[str]:
        return list(self.snapshots[0].stats) if self.snapshots else []

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Plain arrays (numbers and str) for .npz and HDF5; :meth:`from_arrays` reverses it."""
        arrays: dict[str, np.ndarray] = {
            "steps": np.asarray(self.steps, np.int64), "loss": np.asarray(self.loss, np.float64),
            "lr": np.asarray(self.lr, np.float64), "tokens_per_s": np.asarray(self.tokens_per_s, np.float64),
            "snapshot_steps": np.asarray([s.step for s in self.snapshots], np.int64),
            "snapshot_val_loss": np.asarray([s.val_loss for s in self.snapshots], np.float64),
            "hooks": np.asarray(self.snapshot_hooks(), dtype=np.str_),
            "label": np.asarray(self.label, dtype=np.str_),
        }
        arrays.update(self._moe_arrays())
        for i, hook in enumerate(self.snapshot_hooks()):
            per_snap = [s.stats[hook] for s in self.snapshots]
            arrays[f"edges_{i}"] = np.stack([h.edges for h in per_snap])
            arrays[f"counts_{i}"] = np.stack([h.counts for h in per_snap])
            arrays[f"stats_{i}"] = np.array([[getattr(h, f) for f in _STAT_FIELDS] for h in per_snap], np.float64)
        return arrays

    def _moe_arrays(self) -> dict[str, np.ndarray]:
        """Load (and bias) per snapshot, layer and expert, when every snapshot of the run recorded them."""
        snaps = self.snapshots
        if not snaps or any(s.moe_load is None for s in snaps):
            return {}
        arrays = {"moe_layers": np.asarray(snaps[0].moe_layers, np.int64),
                  "snapshot_moe_load": np.stack([s.moe_load for s in snaps]).astype(np.float64)}
        if all(s.moe_bias is not None for s in snaps):
            arrays["snapshot_moe_bias"] = np.stack([s.moe_bias for s in snaps]).astype(np.float64)
        return arrays

    @staticmethod
    def _moe_from_arrays(a: Mapping[str, np.ndarray], n_snapshots: int) -> list[dict[str, object]]:
        """Per snapshot, the MoE fields of :class:`HistogramSnapshot` (checked: a history may come from a file)."""
        if "snapshot_moe_load" not in a:
            return [{} for _ in range(n_snapshots)]
        layers = np.asarray(a["moe_layers"])
        load = np.asarray(a["snapshot_moe_load"], np.float64)
        bias = np.asarray(a["snapshot_moe_bias"], np.float64) if "snapshot_moe_bias" in a else None
        if layers.ndim != 1 or layers.dtype.kind not in "iu" or load.ndim != 3 or \
                load.shape[:2] != (n_snapshots, layers.size) or not np.isfinite(load).all():
            raise ValueError("the MoE load per snapshot does not match the snapshots and layers")
        if bias is not None and (bias.shape != load.shape or not np.isfinite(bias).all()):
            raise ValueError("the MoE bias per snapshot does not match the load")
        names = tuple(int(x) for x in layers.tolist())
        return [{"moe_layers": names, "moe_load": load[k], "moe_bias": None if bias is None else bias[k]}
                for k in range(n_snapshots)]

    def save_npz(self, path: str | Path) -> None:
        np.savez_compressed(path, **self.to_arrays())

    @classmethod
    def load_npz(cls, path: str | Path) -> "TrainingHistory":
        try:
            with np.load(path, allow_pickle=False) as data:
                return cls.from_arrays({k: data[k] for k in data.files})
        except (OSError, ValueError, KeyError) as exc:
            raise ModelLoadError(f"The training history {Path(path).name} cannot be read ({exc}).") from exc

    @classmethod
    def from_arrays(cls, a: Mapping[str, np.ndarray]) -> "TrainingHistory":
        hooks = [str(h) for h in a["hooks"]]
        snapshots = []
        moe = cls._moe_from_arrays(a, len(a["snapshot_steps"]))
        for k, step in enumerate(a["snapshot_steps"].tolist()):
            stats = {}
            for i, hook in enumerate(hooks):
                values = dict(zip(_STAT_FIELDS, a[f"stats_{i}"][k].tolist()))
                values["n"] = int(values["n"])
                stats[hook] = HistogramStats(edges=a[f"edges_{i}"][k], counts=a[f"counts_{i}"][k], **values)
            snapshots.append(HistogramSnapshot(step=int(step), val_loss=float(a["snapshot_val_loss"][k]),
                                               stats=stats, **moe[k]))
        return cls(steps=a["steps"].tolist(), loss=a["loss"].tolist(), lr=a["lr"].tolist(),
                   tokens_per_s=a["tokens_per_s"].tolist(), snapshots=snapshots, label=str(a["label"]))
