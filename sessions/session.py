"""What a session holds, as plain data the backend already knows (Trace, TrainingHistory, configs).

A teammate opens a session without the model or a GPU: every part is data. Traces opened from a file hold
:class:`LazyTensors`, which read a tensor from HDF5 only when a panel asks for it.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import h5py
import numpy as np

from lmscope.backend.trace import Trace
from lmscope.backend.training.history import TrainingHistory
from lmscope.backend.stats import HistogramStats
from lmscope.sessions.derived import add
from lmscope.sessions.errors import SessionFormatError
from lmscope.sessions.guard import check_size, child, read_dataset
from lmscope.sessions.hdf5 import check_dtype, check_numeric, damaged, read_attr
from lmscope.sessions.limits import Limits


@dataclass
class ModelPart:
    config: dict[str, Any]
    tokenizer_json: str
    source: str
    weights: Mapping[str, np.ndarray] | None = None  # None: the session carries no weights


@dataclass(frozen=True)
class Bookmark:
    trace: int
    layer: int
    head: int
    position: int
    text: str


@dataclass
class SavedTrace:
    trace: Trace
    histograms: dict[str, HistogramStats] = field(default_factory=dict)


@dataclass
class Session:
    model: ModelPart | None = None
    traces: list[SavedTrace] = field(default_factory=list)
    current_trace: int = -1
    history: TrainingHistory = field(default_factory=TrainingHistory)
    layout: bytes = b""  # QMainWindow.saveState()
    selection: dict[str, int] = field(default_factory=dict)  # layer, head, position
    panels: dict[str, dict[str, Any]] = field(default_factory=dict)  # registered panel states
    notes: str = ""
    bookmarks: list[Bookmark] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)  # root attributes of an opened file (versions, created)
    handle: h5py.File | None = field(default=None, repr=False)  # open file backing lazy tensors

    def close(self) -> None:
        if self.handle is not None:
            try:
                self.handle.close()
            finally:
                self.handle = None


class LazyTensors(Mapping[str, np.ndarray]):
    """Hook name → array, read from the file on first access (and then kept), its declared size checked first."""

    def __init__(self, group: h5py.Group, names: list[str], limits: Limits | None = None,
                 derived: dict[str, list[str]] | None = None) -> None:
        self._group = group
        self._names = names
        self.derived = derived or {}  # name → the stored tensors it is the exact sum of (sessions/derived.py)
        self._known = frozenset(names)  # membership in O(1): a file listing 250k names must not scan in O(n²)
        self._limits = limits or Limits.for_this_machine()
        self._cache: dict[str, np.ndarray] = {}
        self.reads = 0  # how many datasets were actually read (tests check laziness with it)

    def __getitem__(self, name: str) -> np.ndarray:
        if name in self._cache:
            return self._cache[name]
        if name not in self._known:
            raise KeyError(name)
        if name in self.derived:
            return self._derive(name)
        with damaged(f"The tensor {name}"):
            dataset = self.dataset(name)
            check_size(dataset, self._limits.tensor_bytes, self._limits)
            # Only float16 data can have been stored smaller than captured; skipping the attribute lookup for
            # everything else keeps loading close to raw h5py speed (bench_sessions).
            stored = _stored_dtype(dataset) if dataset.dtype == np.float16 else None
            array = read_dataset(dataset, stored)  # panels get what was captured, converted block by block
        self.reads += 1
        self._cache[name] = array
        return array

    def _derive(self, name: str) -> np.ndarray:
        """The sum of its stored sources (checked by the reader: 1–3 of them, none derived), added left to right in
        float32 as the model added them: the same bits it captured."""
        parts = [self[source] for source in self.derived[name]]
        if any(p.shape != parts[0].shape or p.dtype != parts[0].dtype or p.dtype.kind != "f" for p in parts):
            raise SessionFormatError(f"The tensor {name[:80]} is derived from tensors of different shapes or types.")
        array = parts[0] if len(parts) == 1 else add(parts)  # an alias shares its source's array: no second copy
        self._cache[name] = array
        return array

    def dataset(self, name: str) -> h5py.Dataset:
        """The tensor's dataset, unread: numbers only, reached through a hard link (see sessions/guard.py)."""
        dataset = child(self._group, name)
        if not isinstance(dataset, h5py.Dataset):
            raise SessionFormatError(f"{dataset.name} should be a dataset.")
        check_dtype(dataset.dtype, dataset.name)
        check_numeric(dataset)
        return dataset

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def __contains__(self, name: object) -> bool:
        return name in self._known

    def shape_dtype(self, name: str) -> tuple[tuple[int, ...], str]:
        """Shape and dtype as captured, without reading the data."""
        if name in self.derived:
            return self.shape_dtype(self.derived[name][0])
        with damaged(f"The tensor {name}"):
            dataset = self.dataset(name)
            return tuple(dataset.shape), _stored_dtype(dataset) or str(dataset.dtype)


def _stored_dtype(dataset: h5py.Dataset) -> str | None:
    stored = read_attr(dataset, "stored-dtype", None, kind=str)
    if stored is None:
        return None
    if stored not in ("float32", "float64"):
        raise SessionFormatError(f"{dataset.name} claims an unknown stored dtype {stored[:40]!r}.")
    return stored
