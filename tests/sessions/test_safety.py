"""A session from anyone is safe to open (issue 11): nothing outside the file is read, memory is bounded before
anything is allocated, scans are bounded, every failure is one SessionFormatError sentence classified by type."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

from lmscope.backend.trace import Trace
# Only what lmscope had before issue 11 is imported here, so that every test runs (and fails) on the old reader;
# the new names (Limits, SessionTooLargeError, sessions.guard) are imported by the tests that need them.
from lmscope.sessions import SavedTrace, Session, SessionFormatError, describe, loaded_from_part, open_session, save_session

GOLDEN = Path(__file__).parent.parent / "data" / "session_v1.h5"
SECRET = "root:x:0:0:the secret outside the session"


@pytest.fixture
def golden(tmp_path) -> Path:
    path = tmp_path / "s.h5"
    shutil.copy(GOLDEN, path)
    return path


@pytest.fixture
def secret(tmp_path) -> Path:
    path = tmp_path / "passwd"
    path.write_text(SECRET)
    return path


def replace(path: Path, name: str, make) -> None:
    with h5py.File(path, "a") as f:
        parent, leaf = f[name].parent, name.rsplit("/", 1)[-1]
        del f[name]
        make(parent, leaf)


def refused(path: Path, match: str, too_large: bool = False, **kwargs) -> str:
    with pytest.raises(SessionFormatError, match=match) as caught:
        open_session(path, **kwargs)
    if too_large:  # what an "open anyway" keys on
        from lmscope.sessions import SessionTooLargeError

        assert isinstance(caught.value, SessionTooLargeError)
    message = str(caught.value)
    assert message and "\n" not in message and SECRET not in message
    return message


# --- 1. nothing outside the file ------------------------------------------------------------------------------------
def test_external_link_is_refused_before_it_is_read(golden, tmp_path):
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as f:
        f["secret"] = np.array(SECRET.encode())
    replace(golden, "traces/0/text", lambda g, leaf: g.__setitem__(leaf, h5py.ExternalLink(str(other), "/secret")))
    assert refused(golden, "links to a file outside itself") == \
        "This session links to a file outside itself; lmscope does not follow such links."


@pytest.mark.parametrize("name", ["traces/0/text", "notes/markdown", "traces/0/tensors/logits"])
def test_external_raw_storage_is_refused(golden, secret, name):
    """`external=` storage made a session show /etc/passwd as its prompt or notes."""
    replace(golden, name, lambda g, leaf: g.create_dataset(leaf, shape=(len(SECRET),), dtype="u1",
                                                             external=[(str(secret), 0, len(SECRET))]))
    refused(golden, "outside itself")


def test_external_storage_on_dev_zero_is_refused(golden):
    replace(golden, "traces/0/tensors/logits", lambda g, leaf: g.create_dataset(
        leaf, shape=(1 << 30,), dtype="f4", external=[("/dev/zero", 0, h5py.h5f.UNLIMITED)]))
    refused(golden, "outside itself")


def test_virtual_dataset_pulling_from_another_file_is_refused(golden, tmp_path):
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as f:
        f["weights"] = np.arange(16 * 13, dtype=np.float32)
    layout = h5py.VirtualLayout(shape=(1, 16, 13), dtype="f4")
    layout[0] = h5py.VirtualSource(str(other), "weights", shape=(16 * 13,)).__getitem__(slice(None))
    replace(golden, "traces/0/tensors/logits", lambda g, leaf: g.create_virtual_dataset(leaf, layout))
    refused(golden, "outside itself")


@pytest.mark.parametrize("target", ["/model/weights", "/", "/nowhere"])
def test_soft_links_are_refused(golden, target):
    replace(golden, "ui/panels", lambda g, leaf: g.__setitem__(leaf, h5py.SoftLink(target)))
    refused(golden, "soft link")


def test_hard_link_loop_and_alias_are_refused(golden, tmp_path):
    with h5py.File(golden, "a") as f:
        f["ui/panels/histograms"]["loop"] = f["ui"]  # read_tree would have recursed for ever
    refused(golden, "reached by 2 paths")
    alias = tmp_path / "alias.h5"
    shutil.copy(GOLDEN, alias)
    with h5py.File(alias, "a") as f:
        f["notes"]["copy"] = f["traces/0/tensors/logits"]
    refused(alias, "reached by 2 paths")


def test_the_second_wall_never_reads_an_external_target(tmp_path):
    """Even an access that skipped the walk cannot follow an external link: SAFE_LAPL opens link targets through
    an empty in-memory image."""
    from lmscope.sessions.guard import SAFE_LAPL

    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as f:
        f["secret"] = np.arange(5)
    path = tmp_path / "links.h5"
    with h5py.File(path, "w") as f:
        f["ext"] = h5py.ExternalLink(str(other), "/secret")
    with h5py.File(path, "r") as f:
        assert list(h5py.Dataset(h5py.h5o.open(f.id, b"ext"))[()]) == [0, 1, 2, 3, 4]  # HDF5's default follows
        with pytest.raises(KeyError):
            h5py.h5o.open(f.id, b"ext", lapl=SAFE_LAPL)


def test_resaving_never_carries_bytes_from_outside(golden, secret, tmp_path):
    replace(golden, "notes/markdown", lambda g, leaf: g.create_dataset(leaf, shape=(), dtype=f"S{len(SECRET)}",
                                                                         external=[(str(secret), 0, len(SECRET))]))
    with h5py.File(golden, "r") as f:  # h5py leaves a scalar without external storage: what is read is empty
        assert SECRET.encode() not in bytes(f["notes/markdown"][()])
    replace(golden, "notes/markdown", lambda g, leaf: g.create_dataset(leaf, shape=(len(SECRET),), dtype="u1",
                                                                         external=[(str(secret), 0, len(SECRET))]))
    refused(golden, "outside itself")


# --- 2. bounded memory --------------------------------------------------------------------------------------------
def test_a_dataset_declaring_terabytes_is_refused_before_reading(golden):
    """A 59 kB file declaring a 7.28 TiB dataset ended in a traceback."""
    replace(golden, "traces/0/tensors/logits", lambda g, leaf: g.create_dataset(
        leaf, shape=(1, 1 << 20, 1 << 21), dtype="f4", chunks=(1, 1024, 1024)))
    start = time.perf_counter()
    message = refused(golden, "declares 8.0 TiB, more than", too_large=True)
    assert "open it anyway" in message and time.perf_counter() - start < 2


def test_gzip_bomb_is_refused_and_force_opens_it_within_bounds(golden):
    """A gzip bomb reached 2.3 GB; 64 MiB of zeros in ~64 kB here, refused by its ratio. A human may force it."""
    replace(golden, "traces/0/tensors/logits", lambda g, leaf: g.create_dataset(
        leaf, data=np.zeros((1, 16, 1 << 20), np.float32), chunks=(1, 1, 1 << 18), compression="gzip"))
    refused(golden, "declares 64.0 MiB but stores .* compression bomb", too_large=True)
    session = open_session(golden, force=True)
    assert session.traces[0].trace["logits"].shape == (1, 16, 1 << 20)
    session.close()


def test_many_small_bombs_are_refused_for_the_file(golden):
    with h5py.File(golden, "a") as f:
        for i in range(8):  # 12 MiB each: under the per-dataset floor, 96 MiB for a ~100 kB file
            f["notes"].create_dataset(f"b{i}", data=np.zeros(3 << 20, np.float32), chunks=(1 << 18,),
                                      compression="gzip")
    refused(golden, "This session declares 96.0 MiB of data in a .* file", too_large=True)


def test_limits_apply_per_tensor_when_it_is_read(tmp_path):
    from lmscope.sessions import Limits

    path = tmp_path / "s.h5"
    big = {"blocks.0.hook_resid_pre": np.ones((1, 64, 1024), np.float32)}  # 256 KiB
    save_session(Session(traces=[SavedTrace(Trace(np.zeros((1, 64), np.int64), ["x"] * 64, big, {}))]), path)
    small = Limits(tensor_bytes=100_000, file_bytes=1 << 30, part_bytes=1 << 20)
    refused(path, "declares 256.0 KiB, more than the 97.7 KiB", too_large=True, limits=small)
    session = open_session(path, limits=Limits(tensor_bytes=1 << 20, file_bytes=1 << 30))
    assert session.traces[0].trace["blocks.0.hook_resid_pre"].sum() == 64 * 1024
    session.close()


def test_default_limits_scale_with_free_memory(monkeypatch):
    from lmscope.sessions import Limits, limits

    monkeypatch.setattr(limits, "available_memory", lambda: 8 << 30)
    assert Limits.for_this_machine() == Limits(2 << 30, 4 << 30, free_bytes=8 << 30)
    monkeypatch.setattr(limits, "available_memory", lambda: 100 << 20)  # a busy machine keeps usable floors
    assert Limits.for_this_machine().tensor_bytes == 256 << 20
    assert limits.available_memory.__name__ == "<lambda>" and limits.FALLBACK_FREE == 2 << 30


def test_memory_error_while_reading_is_one_sentence(tmp_path, monkeypatch):
    path = tmp_path / "s.h5"
    save_session(Session(traces=[SavedTrace(Trace(np.zeros((1, 2), np.int64), ["a", "b"],
                                                  {"logits": np.ones((1, 2, 3), np.float32)}, {}))]), path)
    session = open_session(path)

    def no_memory(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(np, "empty", no_memory)
    with pytest.raises(SessionFormatError, match="needs more memory than this machine can give"):
        session.traces[0].trace["logits"]
    session.close()


def test_large_tensors_are_read_in_bounded_blocks(tmp_path):
    from lmscope.sessions.guard import blocks, read_dataset

    path = tmp_path / "b.h5"
    data = np.random.default_rng(0).normal(size=(3, 40, 50, 7)).astype(np.float32)
    with h5py.File(path, "w") as f:
        f.create_dataset("c", data=data, chunks=(1, 8, 50, 7), compression="gzip")
        f.create_dataset("plain", data=data)
        f.create_dataset("half", data=data.astype(np.float16), chunks=(2, 5, 5, 7))
    with h5py.File(path, "r") as f:
        for name in ("c", "plain", "half"):
            pieces = list(blocks(f[name], step=20_000))
            assert len(pieces) > 3
            for piece in pieces:  # every piece is small and, when chunked, made of whole chunks
                size = int(np.prod([s.stop - s.start for s in piece])) * f[name].dtype.itemsize
                assert size <= 20_000 * 8 or f[name].chunks is not None
                if f[name].chunks:
                    assert all(s.start % c == 0 for s, c in zip(piece, f[name].chunks))
            covered = np.zeros(data.shape, int)
            for piece in pieces:
                covered[piece] += 1
            assert (covered == 1).all()
        np.testing.assert_array_equal(read_dataset(f["c"]), data)
        np.testing.assert_array_equal(read_dataset(f["plain"]), data)
        assert read_dataset(f["half"], np.float32).dtype == np.float32
        np.testing.assert_allclose(read_dataset(f["half"], np.float32), data, atol=2e-3)


# --- 3. hangs --------------------------------------------------------------------------------------------------------
def test_two_million_tensor_names_are_refused_at_once(golden):
    replace(golden, "traces/0/tensor_names", lambda g, leaf: g.create_dataset(
        leaf, data=np.array([b"logits"] * 2_000_000), chunks=(1 << 16,), compression="gzip"))
    start = time.perf_counter()
    refused(golden, "tensor_names holds 2,000,000 strings; lmscope reads up to 250,000")
    assert time.perf_counter() - start < 5


def test_names_are_matched_in_linear_time(golden):
    names = [f"n{i}" for i in range(200_000)]
    replace(golden, "traces/0/tensor_names", lambda g, leaf: g.create_dataset(leaf, data=np.array(names, "S8")))
    start = time.perf_counter()
    refused(golden, "lists the tensor n0 but the file does not hold it")
    assert time.perf_counter() - start < 5


@pytest.mark.parametrize("field, value", [("n_layer", 1e6), ("n_layer", 1e300), ("n_experts", 1e6),
                                          ("n_layer", float("inf")), ("d_model", -16), ("n_head", "2"),
                                          ("vocab_size", 10 ** 12), ("norm_eps", float("nan"))])
def test_absurd_model_configs_are_refused_before_building(golden, field, value):
    session = open_session(golden)
    session.model.config = {**session.model.config, field: value}
    start = time.perf_counter()
    with pytest.raises(SessionFormatError, match=f"cannot be rebuilt: {field}"):
        loaded_from_part(session.model)
    assert time.perf_counter() - start < 1
    session.close()


def test_absurd_trace_config_is_refused_when_opening(golden):
    with h5py.File(golden, "a") as f:
        del f["traces/0/model_config"]
        f["traces/0"].create_dataset("model_config", data=np.array(b'{"n_layer": 1e300, "n_head": 2}'))
    refused(golden, "n_layer is 1e\\+300")


# --- 4. tracebacks become sentences ---------------------------------------------------------------------------
@pytest.mark.parametrize("node, attr, value", [
    ("traces", "count", float("inf")),  # OverflowError (infinity to int)
    ("traces", "count", np.float64(1.5)),
    ("ui", "layer", "three"),  # ValueError (a string as a number)
    ("/", "created", np.void(b"\x00\x01")),  # bytes where a string was expected: TypeError in info --json
    ("traces", "current", np.arange(3)),
    ("/", "format_version", float("nan")),
])
def test_absurd_attributes_are_one_sentence(golden, node, attr, value):
    with h5py.File(golden, "a") as f:
        f[node].attrs[attr] = value
    refused(golden, "attribute|format version")


def test_strings_where_numbers_belong_are_refused(golden):
    """String data passed the dtype check as a tensor."""
    replace(golden, "traces/0/tensors/logits", lambda g, leaf: g.create_dataset(leaf, data=np.array([b"1.0"] * 3)))
    session = open_session(golden)  # tensors are read lazily: refused when asked for, or described
    with pytest.raises(SessionFormatError, match="logits should hold numbers but holds"):
        session.traces[0].trace["logits"]
    with pytest.raises(SessionFormatError, match="logits should hold numbers but holds"):
        describe(session)
    session.close()
    other = Path(str(golden) + ".h5")
    shutil.copy(GOLDEN, other)
    replace(other, "history/loss", lambda g, leaf: g.create_dataset(leaf, data=np.array([b"1.0", b"x", b"2"])))
    refused(other, "should hold numbers")


def test_bytes_where_arrays_belong_are_refused(golden):
    replace(golden, "ui/layout", lambda g, leaf: g.create_dataset(leaf, data=np.array(b"layout bytes")))
    refused(golden, "should hold numbers")


def test_deeply_nested_json_is_one_sentence(golden):
    with h5py.File(golden, "a") as f:
        del f["model/tokenizer"]
        f["model"].create_dataset("tokenizer", data=np.array(b"[" * 100_000 + b"]" * 100_000))
    session = open_session(golden)
    with pytest.raises(SessionFormatError, match="nested too deeply"):
        loaded_from_part(session.model)
    session.close()
    replace(golden, "traces/0/meta", lambda g, leaf: g.create_dataset(leaf, data=np.array(b"[" * 100 + b"]" * 100)))
    refused(golden, "nested more than 64 levels")


def test_variable_length_strings_are_refused(golden):
    replace(golden, "notes/markdown", lambda g, leaf: g.create_dataset(leaf, data="notes", dtype=h5py.string_dtype()))
    refused(golden, "variable-length strings")


def test_describe_is_json_whatever_the_config_holds(golden):
    with h5py.File(golden, "a") as f:
        config = json.loads(bytes(f["model/config"][()]))
        del f["model/config"]
        f["model"].create_dataset("config", data=np.array(json.dumps({**config, "norm_eps": float("nan")}).encode()))
    session = open_session(golden)
    info = describe(session)
    json.loads(json.dumps(info, allow_nan=False))  # strict JSON: NaN printed as a string
    assert info["model"]["config"]["norm_eps"] == "nan"
    session.close()


# --- 5. errors classified by type, not by their text ---------------------------------------------------------------
def test_a_truncated_file_is_reported_as_damaged_not_as_locked(tmp_path):
    """Every truncated file's HDF5 message contains "sblock", which held "lock"."""
    path = tmp_path / "t.h5"
    path.write_bytes(GOLDEN.read_bytes()[:1500])
    message = refused(path, "damaged or truncated")
    assert "being written" not in message


def test_a_file_locked_by_a_writer_is_reported_as_being_written(tmp_path):
    path = tmp_path / "s.h5"
    shutil.copy(GOLDEN, path)
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys, h5py
        f = h5py.File({str(path)!r}, "a")
        print("locked", flush=True)
        sys.stdin.read()
    """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        refused(path, "being written by another program")
    finally:
        holder.stdin.close()
        holder.wait(10)


@pytest.mark.parametrize("kind", ["fifo", "folder", "missing"])
def test_what_is_not_a_file_is_refused_without_blocking(tmp_path, kind):
    import os

    path = tmp_path / "x.h5"
    if kind == "fifo":
        os.mkfifo(path)  # opening a pipe for reading blocks until someone writes
    elif kind == "folder":
        path.mkdir()
    refused(path, {"fifo": "not a regular file", "folder": "is a folder", "missing": "does not exist"}[kind])


def test_golden_file_reads_as_before_at_the_reader_level():
    session = open_session(GOLDEN)
    trace = session.traces[0].trace
    assert list(trace) == ["hook_embed", "blocks.0.attn.hook_pattern", "blocks.0.hook_resid_post",
                           "blocks.1.attn.hook_pattern", "blocks.1.hook_resid_post", "logits"]
    assert float(np.sum(trace["logits"])) == pytest.approx(3.930912494659424, rel=1e-6)
    assert session.panels == {"histograms": {"site": "resid_post", "log_y": True}}
    assert loaded_from_part(session.model).model.cfg.n_kv_head == 1
    session.close()


def test_torch_allocation_failures_while_rebuilding_are_one_sentence(golden, monkeypatch):
    """torch reports an exhausted CPU allocator as a RuntimeError, and numpy as a MemoryError."""
    from lmscope.backend.models import tinygpt

    session = open_session(golden)
    for error in (RuntimeError("[enforce fail at alloc_cpu.cpp:117] DefaultCPUAllocator: can't allocate memory"),
                  MemoryError()):
        def fail(*args, error=error, **kwargs):
            raise error

        monkeypatch.setattr(tinygpt.TinyGPT, "__init__", fail)
        with pytest.raises(SessionFormatError) as caught:
            loaded_from_part(session.model)
        assert "\n" not in str(caught.value) and "alloc_cpu" not in str(caught.value)
    session.close()
