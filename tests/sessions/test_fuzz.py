"""Mutated session files: every variant either opens (and reads fully) or fails with SessionFormatError.

Variants: truncations, bit flips, deleted groups/datasets/attributes, foreign HDF5 files, and pickled or opaque
object data planted where tensors, strings and attributes should be. 240 variants run by default; the `slow`
marker runs 2,000 more bit flips and truncations.
"""
from __future__ import annotations

import pickle
import random
import shutil
from pathlib import Path

import h5py
import numpy as np
import pytest

from lmscope.sessions import SessionFormatError, describe, open_session

GOLDEN = Path(__file__).parent.parent / "data" / "session_v1.h5"


def read_everything(path: Path) -> None:
    session = open_session(path)
    try:
        describe(session)
        for saved in session.traces:
            for name in saved.trace.tensors:
                np.asarray(saved.trace.tensors[name]).sum()
        if session.model is not None and session.model.weights is not None:
            for name in session.model.weights:
                np.asarray(session.model.weights[name]).sum()
    finally:
        session.close()


def check(path: Path) -> None:
    try:
        read_everything(path)
    except SessionFormatError as exc:
        message = str(exc)
        assert message and "\n" not in message, message


def _nodes(path: Path) -> list[str]:
    names: list[str] = []
    with h5py.File(path, "r") as f:
        f.visit(names.append)
    return sorted(names)


NODES = _nodes(GOLDEN)
SIZE = GOLDEN.stat().st_size


@pytest.mark.parametrize("cut", sorted(random.Random(1).sample(range(1, SIZE), 60)) + [0, 8, 512, SIZE - 1])
def test_truncated(tmp_path, cut):
    path = tmp_path / "t.h5"
    path.write_bytes(GOLDEN.read_bytes()[:cut])
    check(path)


def _flip(tmp_path: Path, seed: int, flips: int) -> Path:
    rng = random.Random(seed)
    data = bytearray(GOLDEN.read_bytes())
    for _ in range(flips):
        data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
    path = tmp_path / "f.h5"
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize("seed", range(100))
def test_bit_flips(tmp_path, seed):
    check(_flip(tmp_path, seed, flips=1 + seed % 8))


@pytest.mark.parametrize("node", NODES)
def test_deleted_node(tmp_path, node):
    path = tmp_path / "d.h5"
    shutil.copy(GOLDEN, path)
    with h5py.File(path, "a") as f:
        del f[node]
    check(path)


@pytest.mark.parametrize("attr", ["format", "format_version", "encoding-type", "encoding-version"])
def test_deleted_root_attribute(tmp_path, attr):
    path = tmp_path / "a.h5"
    shutil.copy(GOLDEN, path)
    with h5py.File(path, "a") as f:
        del f.attrs[attr]
    if attr in ("format", "format_version"):
        with pytest.raises(SessionFormatError):
            read_everything(path)
    else:
        check(path)


PICKLE = np.void(pickle.dumps({"__reduce__": "os.system"}))


@pytest.mark.parametrize("node", [n for n in NODES if n.count("/") >= 1][:40])
def test_pickled_object_planted(tmp_path, node):
    path = tmp_path / "p.h5"
    shutil.copy(GOLDEN, path)
    with h5py.File(path, "a") as f:
        parent = f[node].parent
        name = node.rsplit("/", 1)[-1]
        del f[node]
        parent.create_dataset(name, data=PICKLE)
        f.attrs["created"] = np.void(pickle.dumps(object))  # opaque attribute too
    check(path)


@pytest.mark.parametrize("layout", ["empty", "arrays", "groups", "format-only", "wrong-type-version"])
def test_foreign_hdf5(tmp_path, layout):
    path = tmp_path / "foreign.h5"
    with h5py.File(path, "w") as f:
        if layout == "arrays":
            f["x"] = np.arange(10)
        elif layout == "groups":
            f.create_group("model").create_group("weights")
        elif layout == "format-only":
            f.attrs["format"] = "lmscope-session"
            f.attrs["format_version"] = 1
        elif layout == "wrong-type-version":
            f.attrs["format"] = "lmscope-session"
            f.attrs["format_version"] = "one"
    with pytest.raises(SessionFormatError):
        read_everything(path)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(100, 2100))
def test_bit_flips_many(tmp_path, seed):
    check(_flip(tmp_path, seed, flips=1 + seed % 32))
