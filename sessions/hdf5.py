"""Low-level HDF5 conventions for session files: tagged groups, UTF-8 strings, trees of plain values.

Every group carries ``encoding-type`` and ``encoding-version`` (as anndata does) and readers dispatch on them.
Only numbers, booleans and UTF-8 strings are written or read: an object dtype (the way pickles hide in HDF5) is
refused both ways, so opening a session never runs code.
"""
from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import h5py
import numpy as np

from lmscope.backend.errors import BadInputError

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


class SessionFormatError(BadInputError):
    """A session file that cannot be read or written, with one sentence saying why."""


# What h5py and HDF5 raise on a damaged file; each is turned into one SessionFormatError sentence.
H5_ERRORS = (OSError, KeyError, ValueError, TypeError, RuntimeError, UnicodeError, IndexError)


@contextmanager
def damaged(what: str) -> Iterator[None]:
    """Read inside this block; any low-level failure reads as "<what> cannot be read: the file is damaged"."""
    try:
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
    found = read_attr(group, "encoding-type", None)
    if found != encoding_type:
        raise SessionFormatError(f"The group {group.name} is {found or 'untagged'}, expected {encoding_type}.")
    version = read_attr(group, "encoding-version", None)
    if version not in versions:
        raise SessionFormatError(f"The group {group.name} has encoding version {version}, which this lmscope "
                                 f"does not know ({', '.join(versions)}).")


def read_attr(node: h5py.HLObject, name: str, default: Any = ...) -> Any:
    if name not in node.attrs:
        if default is ...:
            raise SessionFormatError(f"{node.name} lacks its {name!r} attribute.")
        return default
    value = node.attrs[name]
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8", "surrogatepass")
        except UnicodeDecodeError as exc:
            raise SessionFormatError(f"{node.name} attribute {name!r} is not valid UTF-8.") from exc
    if isinstance(value, np.ndarray) and value.dtype.kind == "O":
        raise SessionFormatError(f"{node.name} attribute {name!r} holds objects, which lmscope never reads.")
    if isinstance(value, np.generic):
        return value.item()
    return value


def check_dtype(dtype: np.dtype, where: str) -> None:
    """Numbers, booleans and UTF-8/ASCII strings only: anything else could be a pickle in disguise."""
    if h5py.check_string_dtype(dtype) is not None:
        return
    if dtype.kind not in "biuf":
        raise SessionFormatError(f"{where} has data type {dtype}, which lmscope refuses to read or write.")


# HDF5 variable-length strings end at the first NUL byte. Text that contains one is stored instead as its UTF-8
# bytes (a uint8 dataset tagged "utf8-bytes"; a list of strings as the bytes of its JSON), so it round-trips exactly.
def _as_bytes(group: h5py.Group, name: str, payload: str, encoding_type: str) -> h5py.Dataset:
    data = np.frombuffer(payload.encode("utf-8", "surrogatepass"), dtype=np.uint8)
    return tag(group.create_dataset(name, data=data), encoding_type)


def _from_bytes(dataset: h5py.Dataset) -> str:
    if dataset.dtype != np.uint8 or dataset.ndim != 1:
        raise SessionFormatError(f"{dataset.name} should hold UTF-8 bytes.")
    try:
        return dataset[()].tobytes().decode("utf-8", "surrogatepass")
    except UnicodeDecodeError as exc:
        raise SessionFormatError(f"{dataset.name} is not valid UTF-8.") from exc


def write_strings(group: h5py.Group, name: str, values: list[str] | tuple[str, ...]) -> h5py.Dataset:
    values = list(values)
    if any("\x00" in v for v in values):
        return _as_bytes(group, name, json.dumps(values), "utf8-json-list")
    data, dtype = _fixed([v.encode("utf-8", "surrogatepass") for v in values])
    return group.create_dataset(name, shape=(len(values),), data=data if values else None, dtype=dtype)


def read_strings(group: h5py.Group, name: str) -> list[str]:
    dataset = dataset_at(group, name)
    if read_attr(dataset, "encoding-type", None) == "utf8-json-list":
        values = json.loads(_from_bytes(dataset))
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise SessionFormatError(f"{dataset.name} should hold a list of strings.")
        return values
    if h5py.check_string_dtype(dataset.dtype) is None:
        raise SessionFormatError(f"{dataset.name} should hold strings but holds {dataset.dtype}.")
    return [str(s) for s in dataset.asstr()[()]] if dataset.shape else [str(dataset.asstr()[()])]


def write_text(group: h5py.Group, name: str, text: str) -> h5py.Dataset:
    # Long texts (a 100k-character prompt) go in a dataset rather than an attribute: attributes are capped at 64 kB.
    if "\x00" in text:
        return _as_bytes(group, name, text, "utf8-bytes")
    data, dtype = _fixed([text.encode("utf-8", "surrogatepass")])
    return group.create_dataset(name, data=data[0], dtype=dtype)


def read_text(group: h5py.Group, name: str) -> str:
    dataset = dataset_at(group, name)
    if read_attr(dataset, "encoding-type", None) == "utf8-bytes":
        return _from_bytes(dataset)
    if h5py.check_string_dtype(dataset.dtype) is None or dataset.shape != ():
        raise SessionFormatError(f"{dataset.name} should be one string.")
    return str(dataset.asstr()[()])


def dataset_at(group: h5py.Group, name: str) -> h5py.Dataset:
    if name not in group:
        raise SessionFormatError(f"{group.name} has no {name!r}; the file is incomplete.")
    node = group[name]
    if not isinstance(node, h5py.Dataset):
        raise SessionFormatError(f"{node.name} should be a dataset.")
    check_dtype(node.dtype, node.name)
    return node


def group_at(group: h5py.Group, name: str) -> h5py.Group:
    if name not in group:
        raise SessionFormatError(f"{group.name.rstrip('/')}/{name} is missing; the file is incomplete.")
    node = group[name]
    if not isinstance(node, h5py.Group):
        raise SessionFormatError(f"{node.name} should be a group.")
    return node


def read_array(group: h5py.Group, name: str) -> np.ndarray:
    return np.asarray(dataset_at(group, name)[()])


def write_array(group: h5py.Group, name: str, array: np.ndarray, compression: str | None = None) -> h5py.Dataset:
    array = np.asarray(array)
    check_dtype(array.dtype, f"{group.name}/{name}")
    if array.size == 0 or array.ndim == 0:  # HDF5 cannot chunk or filter scalars and empty arrays
        return group.create_dataset(name, data=array)
    return group.create_dataset(name, data=array, compression=compression, chunks=True if compression else None)


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


def read_tree(group: h5py.Group) -> dict[str, Any]:
    check_tag(group, "dict")
    tree: dict[str, Any] = {}
    for key in group.attrs:
        if key in ("encoding-type", "encoding-version"):
            continue
        try:
            tree[key] = json.loads(read_attr(group, key))
        except (TypeError, json.JSONDecodeError) as exc:
            raise SessionFormatError(f"{group.name} attribute {key!r} is not a plain value.") from exc
    for key, node in group.items():
        if node is None:  # h5py yields None for a link that a damaged file can no longer resolve
            raise SessionFormatError(f"{group.name}/{key} is a broken link; the file is damaged.")
        if isinstance(node, h5py.Group):
            tree[key] = read_tree(node)
        elif read_attr(node, "encoding-type", None) in ("string-array", "utf8-json-list"):
            tree[key] = read_strings(group, key)
        elif read_attr(node, "encoding-type", None) == "array":
            tree[key] = read_array(group, key)
        else:
            tree[key] = read_text(group, key)
    return tree
