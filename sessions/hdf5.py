"""Low-level HDF5 conventions for session files: tagged groups, UTF-8 strings, trees of plain values.

Every group carries ``encoding-type`` and ``encoding-version`` (as anndata does) and readers dispatch on them.
Only numbers, booleans and UTF-8 strings are written or read: an object dtype (the way pickles hide in HDF5) is
refused both ways, so opening a session never runs code. Readers reach every node through
:func:`lmscope.sessions.guard.child` (hard links only) and read with declared sizes checked first.
"""
from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import h5py
import numpy as np

from lmscope.sessions.errors import SessionFormatError
from lmscope.sessions.guard import check_size, child, declared_bytes, has, read_dataset
from lmscope.sessions.limits import Limits, memory_guard

# Strings are UTF-8 but fixed-length, never variable-length: HDF5 keeps variable-length strings in its "global
# heap", which has no checksum, and a damaged global heap sent HDF5 into an endless loop in our fuzz test.
# Fixed-length strings live inside checksummed objects, so damage is reported instead.


def _fixed(encoded: list[bytes]) -> tuple[np.ndarray, Any]:
    length = max([1, *(len(b) for b in encoded)])
    dtype = h5py.string_dtype("utf-8", length)  # numpy "S<length>" tagged UTF-8, so HDF5 needs no conversion
    return np.array(encoded, dtype=dtype), dtype


def put_attr(node: h5py.HLObject, name: str, value: str | int | float | bool) -> None:
    """Attributes: numbers as they are, strings as fixed-length UTF-8."""
    if isinstance(value, str):
        data, dtype = _fixed([value.encode("utf-8", "surrogatepass")])
        node.attrs.create(name, data=data[0], dtype=dtype)
    else:
        node.attrs[name] = value


# What h5py and HDF5 raise on a damaged file, and what Python raises on absurd values (an infinite float to int,
# JSON nested thousands deep); each becomes one SessionFormatError sentence.
H5_ERRORS = (OSError, KeyError, ValueError, TypeError, RuntimeError, UnicodeError, IndexError, OverflowError,
             RecursionError)
MAX_STRINGS = 1 << 20  # strings in one list (token strings of a million-token capture)
MAX_JSON_DEPTH = 64
MAX_TREE_DEPTH = 16
MAX_TREE_ITEMS = 10_000
MAX_SCALAR_CHARS = 400  # a panel's number, bool or null, as JSON text
INT64 = (-(1 << 63), (1 << 63) - 1)


@contextmanager
def damaged(what: str) -> Iterator[None]:
    """Read inside this block; any low-level failure reads as "<what> cannot be read: the file is damaged"."""
    try:
        with memory_guard(what):
            yield
    except SessionFormatError:
        raise
    except H5_ERRORS as exc:
        raise SessionFormatError(f"{what} cannot be read: the file is damaged ({type(exc).__name__}).") from exc


def tag(group: h5py.Group, encoding_type: str, version: str = "1") -> h5py.Group:
    put_attr(group, "encoding-type", encoding_type)
    put_attr(group, "encoding-version", version)
    return group


def check_tag(group: h5py.Group, encoding_type: str, versions: tuple[str, ...] = ("1",)) -> None:
    found = read_attr(group, "encoding-type", None, kind=str)
    if found != encoding_type:
        raise SessionFormatError(f"The group {group.name} is {_short(found) if found else 'untagged'}, expected "
                                 f"{encoding_type}.")
    version = read_attr(group, "encoding-version", None, kind=str)
    if version not in versions:
        raise SessionFormatError(f"The group {group.name} has encoding version {_short(version)}, which this lmscope "
                                 f"does not know ({', '.join(versions)}).")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "…"


_KINDS = {str: "a string", int: "an integer", float: "a number", bool: "true or false"}


def read_attr(node: h5py.HLObject, name: str, default: Any = ..., kind: type | None = None) -> Any:
    """An attribute as a Python value; with ``kind``, one of that type or one sentence."""
    if name not in node.attrs:
        if default is ...:
            raise SessionFormatError(f"{node.name} lacks its {name!r} attribute.")
        return default
    value = node.attrs[name]
    if isinstance(value, np.ndarray):
        raise SessionFormatError(f"{node.name} attribute {name!r} is not a single value.")
    if isinstance(value, bytes):
        try:
            value = value.decode("utf-8", "surrogatepass")
        except UnicodeDecodeError as exc:
            raise SessionFormatError(f"{node.name} attribute {name!r} is not valid UTF-8.") from exc
    elif isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bytes) or not isinstance(value, (str, int, float, bool)):
        raise SessionFormatError(f"{node.name} attribute {name!r} holds {type(value).__name__}, which lmscope "
                                 f"never reads.")
    if kind is not None:
        ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
        if kind is float:
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not ok:
            raise SessionFormatError(f"{node.name} attribute {name!r} should be {_KINDS[kind]}, not "
                                     f"{_short(value)}.")
    return value


def read_int_attr(node: h5py.HLObject, name: str, default: Any, low: int, high: int) -> int:
    value = read_attr(node, name, default, kind=int)
    if not low <= value <= high:
        raise SessionFormatError(f"{node.name} attribute {name!r} is {_short(value)}, outside {low}…{high}.")
    return value


def check_dtype(dtype: np.dtype, where: str) -> None:
    """Numbers, booleans and UTF-8/ASCII strings only: anything else could be a pickle in disguise."""
    if h5py.check_string_dtype(dtype) is not None and dtype.kind == "S":
        return
    if dtype.kind not in "biuf":
        raise SessionFormatError(f"{where} has data type {dtype}, which lmscope refuses to read or write.")


def check_numeric(dataset: h5py.Dataset, kinds: str = "biuf") -> None:
    """Numbers where numbers belong: a string dataset posing as a tensor or a count is refused."""
    if dataset.dtype.kind not in kinds or h5py.check_string_dtype(dataset.dtype) is not None:
        raise SessionFormatError(f"{dataset.name} should hold numbers but holds {dataset.dtype}.")


def parse_json(text: str, where: str) -> Any:
    """JSON from a file: malformed, nested deeper than 64 or too long for a part is one sentence."""
    try:
        value = json.loads(text)
    except RecursionError as exc:
        raise SessionFormatError(f"{where} is JSON nested too deeply to read.") from exc
    except (json.JSONDecodeError, ValueError) as exc:  # ValueError: an integer with more digits than Python parses
        raise SessionFormatError(f"{where} is not valid JSON.") from exc
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise SessionFormatError(f"{where} is JSON nested more than {MAX_JSON_DEPTH} levels deep.")
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return value


# HDF5 variable-length strings end at the first NUL byte. Text that contains one is stored instead as its UTF-8
# bytes (a uint8 dataset tagged "utf8-bytes"; a list of strings as the bytes of its JSON), so it round-trips exactly.
def _as_bytes(group: h5py.Group, name: str, payload: str, encoding_type: str) -> h5py.Dataset:
    data = np.frombuffer(payload.encode("utf-8", "surrogatepass"), dtype=np.uint8)
    return tag(group.create_dataset(name, data=data), encoding_type)


def _from_bytes(dataset: h5py.Dataset, limits: Limits) -> str:
    if dataset.dtype != np.uint8 or dataset.ndim != 1:
        raise SessionFormatError(f"{dataset.name} should hold UTF-8 bytes.")
    check_size(dataset, limits.part_bytes, limits)
    try:
        return read_dataset(dataset).tobytes().decode("utf-8", "surrogatepass")
    except UnicodeDecodeError as exc:
        raise SessionFormatError(f"{dataset.name} is not valid UTF-8.") from exc


def _decode(raw: bytes, where: str) -> str:
    try:
        return raw.decode("utf-8", "surrogatepass")
    except UnicodeDecodeError as exc:
        raise SessionFormatError(f"{where} is not valid UTF-8.") from exc


def write_strings(group: h5py.Group, name: str, values: list[str] | tuple[str, ...]) -> h5py.Dataset:
    values = list(values)
    if any("\x00" in v for v in values):
        return _as_bytes(group, name, json.dumps(values), "utf8-json-list")
    data, dtype = _fixed([v.encode("utf-8", "surrogatepass") for v in values])
    return group.create_dataset(name, shape=(len(values),), data=data if values else None, dtype=dtype)


def read_strings(group: h5py.Group, name: str, limits: Limits, max_count: int = MAX_STRINGS) -> list[str]:
    dataset = dataset_at(group, name)
    if read_attr(dataset, "encoding-type", None) == "utf8-json-list":
        values = parse_json(_from_bytes(dataset, limits), dataset.name)
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise SessionFormatError(f"{dataset.name} should hold a list of strings.")
    else:
        if dataset.dtype.kind != "S" or dataset.ndim > 1:
            raise SessionFormatError(f"{dataset.name} should hold a list of strings but holds {dataset.dtype}.")
        if dataset.ndim and dataset.shape[0] > max_count:
            raise SessionFormatError(f"{dataset.name} holds {dataset.shape[0]:,} strings; lmscope reads up to "
                                     f"{max_count:,}.")
        check_size(dataset, limits.part_bytes, limits)
        raw = read_dataset(dataset)
        try:  # one comprehension, no call per string: 200k names decode in ~0.1 s
            values = [b.decode("utf-8", "surrogatepass") for b in (raw.tolist() if raw.ndim else [raw.item()])]
        except UnicodeDecodeError as exc:
            raise SessionFormatError(f"{dataset.name} is not valid UTF-8.") from exc
    if len(values) > max_count:
        raise SessionFormatError(f"{dataset.name} holds {len(values):,} strings; lmscope reads up to {max_count:,}.")
    return values


def write_text(group: h5py.Group, name: str, text: str) -> h5py.Dataset:
    # Long texts (a 100k-character prompt) go in a dataset rather than an attribute: attributes are capped at 64 kB.
    if "\x00" in text:
        return _as_bytes(group, name, text, "utf8-bytes")
    data, dtype = _fixed([text.encode("utf-8", "surrogatepass")])
    return group.create_dataset(name, data=data[0], dtype=dtype)


def read_text(group: h5py.Group, name: str, limits: Limits) -> str:
    dataset = dataset_at(group, name)
    if read_attr(dataset, "encoding-type", None) == "utf8-bytes":
        return _from_bytes(dataset, limits)
    if dataset.dtype.kind != "S" or dataset.shape != ():
        raise SessionFormatError(f"{dataset.name} should be one string.")
    check_size(dataset, limits.part_bytes, limits)
    return _decode(bytes(dataset[()]), dataset.name)


def read_json(group: h5py.Group, name: str, limits: Limits) -> Any:
    return parse_json(read_text(group, name, limits), f"{group.name.rstrip('/')}/{name}")


def dataset_at(group: h5py.Group, name: str) -> h5py.Dataset:
    if not has(group, name):
        raise SessionFormatError(f"{group.name} has no {_short(name)}; the file is incomplete.")
    node = child(group, name)
    if not isinstance(node, h5py.Dataset):
        raise SessionFormatError(f"{node.name} should be a dataset.")
    check_dtype(node.dtype, node.name)
    return node


def group_at(group: h5py.Group, name: str) -> h5py.Group:
    if not has(group, name):
        raise SessionFormatError(f"{group.name.rstrip('/')}/{name} is missing; the file is incomplete.")
    node = child(group, name)
    if not isinstance(node, h5py.Group):
        raise SessionFormatError(f"{node.name} should be a group.")
    return node


def read_array(group: h5py.Group, name: str, limits: Limits, kinds: str = "biuf", ndim: int | None = None
               ) -> np.ndarray:
    """A small numeric array read at open (history, histograms, bookmarks, panel state): numbers only, its
    declared size within ``limits.part_bytes``, of ``ndim`` dimensions when given."""
    dataset = dataset_at(group, name)
    check_numeric(dataset, kinds)
    if ndim is not None and dataset.ndim != ndim:
        raise SessionFormatError(f"{dataset.name} should have {ndim} dimension(s), not {dataset.ndim}.")
    check_size(dataset, limits.part_bytes, limits)
    return read_dataset(dataset)


CHUNK_TARGET = 1 << 20


def chunk_shape(shape: tuple[int, ...], itemsize: int, target: int = CHUNK_TARGET) -> tuple[int, ...]:
    """Chunks of about ``target`` bytes holding whole rows of the innermost axes (h5py's guess made 32 kB chunks of
    a (1, 512, 1024) activation; each chunk is a Python write through the guarded file and a checksum to check)."""
    for axis in range(len(shape)):
        inner = math.prod(shape[axis + 1:]) * itemsize
        if inner <= target:
            most = max(1, min(shape[axis], target // max(1, inner)))
            # As many chunks as that needs, evened out: 341-row chunks of 4,096 rows left a 13th chunk of 4 rows
            # stored whole, 8 % of the file for nothing; 316-row chunks waste 12 rows.
            count = -(-shape[axis] // most) if shape[axis] else 1
            return (1,) * axis + (max(1, -(-shape[axis] // count)),) + tuple(shape[axis + 1:])
    return tuple(shape)  # pragma: no cover - the last axis always fits (inner == itemsize)


def write_array(group: h5py.Group, name: str, array: np.ndarray, compression: str | None = None) -> h5py.Dataset:
    array = np.asarray(array)
    check_dtype(array.dtype, f"{group.name}/{name}")
    if array.size == 0 or array.ndim == 0:  # HDF5 cannot chunk or filter scalars and empty arrays
        return group.create_dataset(name, data=array)
    # fletcher32: a checksum per chunk, so every read (and `lmscope info --verify`) catches damaged data. Measured on
    # 80 MB of float32 activations (bench below, idle machine): write 0.12 s contiguous → 0.27 s chunked with
    # checksums, read 0.06 s → 0.21 s; HDF5's fletcher32 is ~0.7 GB/s. A flipped bit is worth knowing about.
    chunks = chunk_shape(array.shape, array.dtype.itemsize)
    return group.create_dataset(name, data=array, compression=compression, chunks=chunks, fletcher32=True)


# --- trees of plain values (panel states) ----------------------------------------------------------------------
def write_tree(group: h5py.Group, tree: Mapping[str, Any]) -> None:
    """A nested dict of str/int/float/bool/None, numpy arrays, lists of str or numbers, and dicts."""
    tag(group, "dict")
    for key, value in tree.items():
        if not isinstance(key, str) or "/" in key or key in (".", ""):
            raise SessionFormatError(f"A session key must be a plain name, not {key!r}.")
        if isinstance(value, Mapping):
            write_tree(group.create_group(key), value)
        elif isinstance(value, str):
            write_text(group, key, value)
        elif value is None or isinstance(value, (bool, int, float)):
            put_attr(group, key, json.dumps(value))
        elif isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):  # [] reads back as []
            node = write_strings(group, key, list(value))
            if read_attr(node, "encoding-type", None) is None:
                tag(node, "string-array")
        elif isinstance(value, (list, tuple, np.ndarray)):
            tag(write_array(group, key, np.asarray(value)), "array")
        else:
            raise SessionFormatError(f"{group.name}/{key} is a {type(value).__name__}, which sessions do not store.")


def _scalar(text: str, where: str) -> Any:
    """A panel's number, bool or null, stored as JSON in an attribute: nothing else, and nothing unbounded."""
    if len(text) > MAX_SCALAR_CHARS:
        raise SessionFormatError(f"{where} is not a plain value.")
    value = parse_json(text, where)
    if value is None or isinstance(value, (bool, float)):
        return value
    if isinstance(value, int) and INT64[0] <= value <= INT64[1]:
        return value
    raise SessionFormatError(f"{where} is not a plain value.")


def read_tree(group: h5py.Group, limits: Limits | None = None) -> dict[str, Any]:
    """A panel's state: nested dicts of plain values, at most 16 deep and 10,000 values, each part within
    ``limits.part_bytes`` and all of them within it together (this machine's limits when none are given)."""
    limits = limits if limits is not None else Limits.for_this_machine()
    budget = {"items": MAX_TREE_ITEMS, "bytes": limits.part_bytes}
    return _read_tree(group, limits, 0, budget)


def _read_tree(group: h5py.Group, limits: Limits, depth: int, budget: dict[str, int]) -> dict[str, Any]:
    check_tag(group, "dict")
    if depth > MAX_TREE_DEPTH:
        raise SessionFormatError(f"{group.name} is nested more than {MAX_TREE_DEPTH} levels deep.")
    tree: dict[str, Any] = {}
    keys = [key for key in group.attrs if key not in ("encoding-type", "encoding-version")]
    names = list(group.keys())
    budget["items"] -= len(keys) + len(names)
    if budget["items"] < 0:
        raise SessionFormatError(f"{group.name} holds more than {MAX_TREE_ITEMS:,} values.")
    for key in keys:
        tree[key] = _scalar(read_attr(group, key, kind=str), f"{group.name} attribute {_short(key)}")
    for key in names:
        node = child(group, key)
        if isinstance(node, h5py.Group):
            tree[key] = _read_tree(node, limits, depth + 1, budget)
            continue
        budget["bytes"] -= declared_bytes(node)
        if not limits.force and budget["bytes"] < 0:
            raise SessionFormatError(f"{group.name} holds more than {limits.part_bytes:,} bytes of panel state.")
        kind = read_attr(node, "encoding-type", None, kind=str)
        if kind in ("string-array", "utf8-json-list"):
            tree[key] = read_strings(group, key, limits)
        elif kind == "array":
            tree[key] = read_array(group, key, limits)
        else:
            tree[key] = read_text(group, key, limits)
    return tree
