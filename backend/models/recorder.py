"""Collects named tensors during one forward pass.

Modules call ``rec.record(name, tensor)``; the recorder keeps only the names its filter accepts, and keeps them
on the model's device until the pass is over, so that a capture costs one device→host copy per tensor at the end
instead of a synchronisation in the middle of every layer.
"""
from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable

import torch

NameFilter = Callable[[str], bool]


def name_filter(names: str | Iterable[str] | NameFilter | None) -> NameFilter:
    """Turn None (everything), a glob, a list of globs/exact names, or a predicate into a predicate."""
    if names is None:
        return lambda _name: True
    if callable(names):
        return names
    patterns = [names] if isinstance(names, str) else list(names)
    exact = {p for p in patterns if not any(ch in p for ch in "*?[")}
    globs = [p for p in patterns if p not in exact]
    return lambda name: name in exact or any(fnmatch.fnmatchcase(name, g) for g in globs)


class Recorder:
    def __init__(self, names: str | Iterable[str] | NameFilter | None = None) -> None:
        self.wants: NameFilter = name_filter(names)
        self.tensors: dict[str, torch.Tensor] = {}

    def record(self, name: str, tensor: torch.Tensor) -> None:
        if self.wants(name):
            self.tensors[name] = tensor.detach()
