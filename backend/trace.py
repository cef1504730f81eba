"""A Trace: what every panel reads and what a session file stores.

An ordered mapping from hook name to a CPU numpy array (batch first, as in TransformerLens), plus the tokens, their
strings and the model's config. It holds no torch object (this module imports only numpy), so it crosses into Qt
and into HDF5 as plain data, and a session opens without importing torch.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class Trace(Mapping[str, np.ndarray]):
    tokens: np.ndarray  # (batch, pos) int64 token ids
    token_strings: list[str]  # the strings of tokens[0], one per position
    tensors: Mapping[str, np.ndarray]  # hook name -> array, in forward order (lazy when read from a session)
    model_config: dict[str, Any]
    text: str = ""
    label: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, name: str) -> np.ndarray:
        return self.tensors[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.tensors)

    def __len__(self) -> int:
        return len(self.tensors)

    def shape_of(self, name: str) -> tuple[int, ...] | None:
        """A tensor's shape without reading it (a session's tensors are read on first use), None if it is not held."""
        return tensor_shape(self.tensors, name)

    @property
    def n_layer(self) -> int:
        return int(self.model_config.get("n_layer", 0))

    @property
    def n_pos(self) -> int:
        return int(self.tokens.shape[-1])


def tensor_shape(tensors: Mapping[str, Any], name: str) -> tuple[int, ...] | None:
    """``tensors[name].shape`` without reading the data when ``tensors`` is lazy (it has ``shape_dtype``, as a
    session's tensors do; ``name in`` a lazy mapping reads nothing either); None when ``name`` is not there."""
    if name not in tensors:
        return None
    shape_dtype = getattr(tensors, "shape_dtype", None)
    if shape_dtype is not None:
        return tuple(int(n) for n in shape_dtype(name)[0])
    return tuple(int(n) for n in np.shape(tensors[name]))
