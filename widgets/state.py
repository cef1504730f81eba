"""Panel state: what a panel shows and its settings, as a Qt-free dataclass (glue's viewer state).

A panel's widget shows and edits its state through ``state()`` / ``set_state(...)``; its binding saves
``state.to_tree()`` in the session's ``ui/panels/<name>`` group and restores ``XState.from_tree(tree)``. A session
file is hostile input, so :meth:`PanelState.from_tree` checks every value against the field's type and its limits
(``choice``, ``bounded``, ``text``) and raises :class:`StateError` with one sentence, never a traceback; a key the
class does not know is ignored and a missing one keeps its default, so old and newer files both open.

The tree is what the session writer stores (sessions/hdf5.py): str, int, float, bool, numpy arrays, lists of str and
nested dicts. Field types map onto it: ``str``/``int``/``float``/``bool`` as themselves, ``tuple[str, ...]`` as a list
of str, ``tuple[int, ...]`` and ``tuple[float, ...]`` as a numpy array, a nested ``PanelState`` as a dict, and
``tuple[SomeState, ...]`` as a dict keyed "0", "1", … , and ``np.ndarray`` (declared with :func:`array`: a dtype,
a number of dimensions and a size limit; finite numbers only) as itself — point coordinates, not a Python tuple.
"""
from __future__ import annotations

import dataclasses
import math
import typing
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

import numpy as np

MAX_TEXT = 1_000_000  # characters in one string field: a whole corpus path or a long prompt, not a gigabyte
MAX_ITEMS = 1_000_000  # items in one sequence field (merges, corpus words)
MAX_DEPTH = 8  # nesting of PanelState inside PanelState

S = TypeVar("S", bound="PanelState")


class StateError(ValueError):
    """A panel's saved state is not one this panel can show; the message is one sentence for the user."""


def choice(default: str, *choices: str) -> Any:  # noqa: ANN401 - a dataclasses.field
    """A str field that must be one of ``choices`` (``default`` first)."""
    return dataclasses.field(default=default, metadata={"choices": (default, *choices)})


def bounded(default: float, lo: float, hi: float) -> Any:  # noqa: ANN401 - a dataclasses.field
    """An int or float field that must lie in [lo, hi]."""
    return dataclasses.field(default=default, metadata={"range": (lo, hi)})


def text(default: str = "", max_chars: int = MAX_TEXT) -> Any:  # noqa: ANN401 - a dataclasses.field
    return dataclasses.field(default=default, metadata={"max_chars": max_chars})


def items(default: tuple = (), max_items: int = MAX_ITEMS, lo: float | None = None,  # noqa: ANN401
          hi: float | None = None, max_chars: int | None = None) -> Any:
    """A tuple field with at most ``max_items`` items (numbers within [lo, hi], strings of at most ``max_chars``
    characters, when given)."""
    meta: dict[str, Any] = {"max_items": max_items}
    if lo is not None and hi is not None:
        meta["range"] = (lo, hi)
    if max_chars is not None:
        meta["max_chars"] = max_chars
    return dataclasses.field(default=default, metadata=meta)


def array(dtype: str = "float32", ndim: int = 2, max_items: int = 1 << 28, columns: tuple[int, ...] = ()) -> Any:  # noqa: ANN401
    """An ``np.ndarray`` field (empty by default) of ``ndim`` dimensions and at most ``max_items`` numbers, stored
    as ``dtype``; ``columns`` lists the allowed sizes of the last axis (any when empty). Not part of ``==``."""
    shape = (0,) * ndim
    return dataclasses.field(default_factory=lambda: np.zeros(shape, dtype=dtype), compare=False,
                             metadata={"array": (dtype, ndim, max_items, columns)})


def field_range(cls: type["PanelState"], name: str) -> tuple[Any, Any]:
    """The [lo, hi] of a ``bounded`` field, so a widget's spin box takes exactly what the state accepts."""
    return next(f for f in dataclasses.fields(cls) if f.name == name).metadata["range"]


@dataclasses.dataclass(frozen=True)
class PanelState:
    """Base of every panel's state. Subclasses are frozen dataclasses whose fields use the types above."""

    def to_tree(self) -> dict[str, Any]:
        hints = _hints(type(self))
        return {f.name: _encode(getattr(self, f.name), hints[f.name]) for f in dataclasses.fields(self)}

    @classmethod
    def from_tree(cls: type[S], tree: Mapping[str, Any], _depth: int = 0) -> S:
        if not isinstance(tree, Mapping):
            raise StateError(f"The saved {_label(cls)} is not a group of settings.")
        if _depth > MAX_DEPTH:
            raise StateError(f"The saved {_label(cls)} is nested too deeply.")
        hints = _hints(cls)
        values = {}
        for f in dataclasses.fields(cls):
            if f.name in tree:
                values[f.name] = _decode(tree[f.name], hints[f.name], f, cls, _depth)
        return cls(**values)

    def replace(self: S, **changes: Any) -> S:
        return dataclasses.replace(self, **changes)


def _label(cls: type) -> str:
    """What error messages call the state: a class may name itself with ``STATE_LABEL = "…"`` (not a field)."""
    label = getattr(cls, "STATE_LABEL", None)
    if isinstance(label, str):
        return label
    name = cls.__name__.removesuffix("State")
    return f"{name} panel state" if name else "panel state"


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls)
    return _HINTS[cls]


def _is_state(tp: Any) -> bool:  # noqa: ANN401
    return isinstance(tp, type) and issubclass(tp, PanelState)


def _item_type(tp: Any) -> Any | None:  # noqa: ANN401
    """``X`` for ``tuple[X, ...]``, else None."""
    if typing.get_origin(tp) is tuple:
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return args[0]
    return None


def _encode(value: Any, tp: Any) -> Any:  # noqa: ANN401
    if tp is np.ndarray:
        return np.asarray(value)
    item = _item_type(tp)
    if _is_state(tp):
        return value.to_tree()
    if item is None:
        return value
    if _is_state(item):
        return {str(i): v.to_tree() for i, v in enumerate(value)}
    if item is str:
        return [str(v) for v in value]
    return np.asarray(value, dtype=np.int64 if item is int else np.float64)


def _decode(raw: Any, tp: Any, f: dataclasses.Field, owner: type, depth: int) -> Any:  # noqa: ANN401
    where = f"{_label(owner)}: {f.name}"
    if tp is np.ndarray:
        return _decode_array(raw, f.metadata.get("array", ("float64", 1, MAX_ITEMS, ())), where)
    item = _item_type(tp)
    if _is_state(tp):
        return tp.from_tree(raw, depth + 1)
    if item is not None:
        return _decode_items(raw, item, f, where, depth)
    return _scalar(raw, tp, f.metadata, where)


def _decode_array(raw: Any, spec: tuple, where: str) -> np.ndarray:  # noqa: ANN401
    dtype, ndim, max_items, columns = spec
    if not isinstance(raw, np.ndarray) or raw.dtype.kind not in "biuf":
        raise StateError(f"The saved {where} should be an array of numbers.")
    if raw.ndim != ndim or (columns and raw.shape[-1] not in columns):
        raise StateError(f"The saved {where} has shape {raw.shape}, which this panel cannot use.")
    if raw.size > max_items:
        raise StateError(f"The saved {where} has {raw.size:,} numbers; at most {max_items:,} are allowed.")
    if raw.dtype.kind == "f" and not np.isfinite(raw).all():
        raise StateError(f"The saved {where} holds values that are not finite numbers.")
    return np.ascontiguousarray(raw, dtype=dtype)


def _decode_items(raw: Any, item: Any, f: dataclasses.Field, where: str, depth: int) -> tuple:  # noqa: ANN401
    limit = f.metadata.get("max_items", MAX_ITEMS)
    if _is_state(item):
        if not isinstance(raw, Mapping):
            raise StateError(f"The saved {where} is not a list of groups.")
        keys = sorted((k for k in raw if str(k).isdigit()), key=int)
        if len(keys) > limit:
            raise StateError(f"The saved {where} has {len(keys):,} entries; at most {limit:,} are allowed.")
        return tuple(item.from_tree(raw[k], depth + 1) for k in keys)
    if isinstance(raw, (str, bytes)) or not isinstance(raw, (Sequence, np.ndarray)):
        raise StateError(f"The saved {where} should be a list.")
    if len(raw) > limit:
        raise StateError(f"The saved {where} has {len(raw):,} entries; at most {limit:,} are allowed.")
    if isinstance(raw, np.ndarray) and raw.ndim != 1:
        raise StateError(f"The saved {where} should be a flat list.")
    meta = {k: v for k, v in f.metadata.items() if k != "max_items"}
    return tuple(_scalar(v, item, meta, where) for v in raw)


def _scalar(raw: Any, tp: Any, meta: Mapping[str, Any], where: str) -> Any:  # noqa: ANN401
    if isinstance(raw, np.ndarray) and raw.ndim == 0:
        raw = raw.item()
    if isinstance(raw, np.generic):
        raw = raw.item()
    if tp is bool:
        if isinstance(raw, (bool, int)) and raw in (0, 1):
            return bool(raw)
        raise StateError(f"The saved {where} should be true or false.")
    if tp is str:
        if isinstance(raw, bytes):
            try:
                raw = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise StateError(f"The saved {where} is not UTF-8 text.") from None
        if not isinstance(raw, str):
            raise StateError(f"The saved {where} should be text.")
        if len(raw) > meta.get("max_chars", MAX_TEXT):
            raise StateError(f"The saved {where} is {len(raw):,} characters long, more than this panel takes.")
        choices = meta.get("choices")
        if choices and raw not in choices:
            raise StateError(f"The saved {where} is {raw[:40]!r}; it should be one of {', '.join(choices)}.")
        return raw
    if tp in (int, float):
        if isinstance(raw, bool) or not isinstance(raw, (int, float)):
            raise StateError(f"The saved {where} should be a number.")
        if not math.isfinite(raw):
            raise StateError(f"The saved {where} is not a finite number.")
        if tp is int:
            if raw != int(raw):
                raise StateError(f"The saved {where} should be a whole number.")
            raw = int(raw)
        lo, hi = meta.get("range", (None, None))
        if lo is not None and not lo <= raw <= hi:
            raise StateError(f"The saved {where} is {raw:g}; it should be between {lo:g} and {hi:g}.")
        return tp(raw)
    raise TypeError(f"{where}: unsupported state field type {tp!r}")  # a programming error, not a file's
