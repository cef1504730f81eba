"""The mutation fuzzer: hostile and damaged variants of real session files, each opened the way the app and the
command line open them, in a child process that measures time per variant and peak memory.

Run by tests/sessions/test_fuzz.py (and a sample by tests/gui/test_sessions_safety.py). As a script:
``python fuzz_mutations.py --count N --seed S --out report.json [--workdir DIR]``; it writes one JSON report.

Every variant must end, within 5 s of CPU time (30 s of wall time, on a shared machine), either in ``SessionFormatError`` (one sentence, one line) or fully read and
verified; variants marked ``must_refuse`` (links out, external storage, bombs, bad types, absurd sizes) must be
refused. Nothing may raise another exception, allocate past the limits (a ``MemoryError`` under the cause of an
error means memory was not checked first), or leave panel state that is not plain, bounded data.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import random
import resource
import shutil
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np

GOLDEN = Path(__file__).resolve().parent.parent / "data" / "session_v1.h5"
# Every panel registered for sessions (gui/panels/*: register_session_part), and one this version does not have.
PANELS = ("attention", "flashsim", "histograms", "lens", "moe", "notes", "projector", "tokenizer", "training",
          "variants", "router")
CONFIG_FIELDS = ("vocab_size", "n_ctx", "d_model", "n_layer", "n_head", "n_kv_head", "d_mlp", "norm_eps",
                 "rope_base", "n_experts", "top_k", "n_shared", "capacity_factor", "dropout", "norm", "pos", "act",
                 "ffn", "noisy_gating", "tie_embeddings", "moe_mode", "soft_slots", "aux_loss_coef", "z_loss_coef",
                 "bias_update_rate", "attention", "kv_lora_rank", "q_lora_rank", "rope_head_dim")
HOSTILE_JSON = ["1e6", "1e300", "-1", "0", "NaN", "Infinity", "-Infinity", "\"12\"", "true", "null", "[]", "{}",
                "1.5", "1e999", "9" * 5000, "[" * 3000 + "]" * 3000, "1000000", "257", "65537"]
HOSTILE_ATTRS: list[object] = [float("nan"), float("inf"), -float("inf"), -1, 2 ** 63 - 1, -(2 ** 63), 1e300, 0,
                               "text", b"\xff\xfe bytes", np.arange(3), True, "", np.float16(3.5),
                               np.void(b"\x80\x04pickle"), "\x1b]52;c;ZXZpbA==\x07"]
HOSTILE_TEXT = ["\x1b]0;pwned\x07", "\x1b]52;c;ZXZpbA==\x07", "\ud800lone", "nul\x00inside", "\u009b31m", "",
                "x" * 200_000, "🎉" * 1000]


@dataclass(frozen=True)
class Variant:
    ident: str
    category: str
    must_refuse: bool


Mutator = Callable[[random.Random, Path, "Context"], bool]  # returns must_refuse


@dataclass
class Context:
    workdir: Path
    other: Path  # another HDF5 file a link could point into
    bombs: Path  # gzip/lzf bombs made once, copied raw (HDF5 copies chunks without decompressing them)
    rich: Path  # a session written by our writer: every panel, weights, checksums
    panels: tuple[str, ...] = PANELS  # the panel names hostile state is planted under


# --- helpers ---------------------------------------------------------------------------------------------------
def _datasets(f: h5py.File) -> list[str]:
    names: list[str] = []
    f.visititems(lambda name, obj: names.append(name) if isinstance(obj, h5py.Dataset) else None)
    return sorted(names)


def _groups(f: h5py.File) -> list[str]:
    names: list[str] = []
    f.visititems(lambda name, obj: names.append(name) if isinstance(obj, h5py.Group) else None)
    return sorted(names)


def _replace(f: h5py.File, name: str, make: Callable[[h5py.Group, str], object]) -> None:
    parent = f[name].parent
    leaf = name.rsplit("/", 1)[-1]
    del f[name]
    make(parent, leaf)


def _pick(rng: random.Random, items: list[str], prefer: str = "") -> str:
    preferred = [i for i in items if prefer and prefer in i]
    return rng.choice(preferred if preferred and rng.random() < 0.6 else items)


def _tensor_or_any(rng: random.Random, f: h5py.File) -> str:
    return _pick(rng, _datasets(f), prefer="tensors/")


# --- links and storage outside the file -------------------------------------------------------------------------
def external_link(rng: random.Random, path: Path, ctx: Context) -> bool:
    with h5py.File(path, "a") as f:
        target = rng.choice([_tensor_or_any(rng, f), "notes/markdown", "traces/0/text", "model/config"])
        where = target if rng.random() < 0.8 else rng.choice(_groups(f))
        del f[where]
        f[where] = h5py.ExternalLink(rng.choice([str(ctx.other), "/etc/passwd", "missing.h5"]), "/secret")
    return True


def soft_link(rng: random.Random, path: Path, ctx: Context) -> bool:
    with h5py.File(path, "a") as f:
        where = rng.choice(_datasets(f) + _groups(f))
        target = rng.choice(["/", "/model/weights", "/traces", "/nowhere", "/" + rng.choice(_datasets(f)),
                             "/" + where])
        del f[where]
        f[where] = h5py.SoftLink(target)
    return True


def hard_link_alias_or_loop(rng: random.Random, path: Path, ctx: Context) -> bool:
    with h5py.File(path, "a") as f:
        groups = _groups(f)
        group = f[rng.choice(groups)]
        if rng.random() < 0.5:
            group[f"loop{rng.randrange(99)}"] = group.parent if rng.random() < 0.5 else f["/"]
        else:
            f[rng.choice(groups)][f"alias{rng.randrange(99)}"] = f[rng.choice(_datasets(f))]
    return True


def external_storage(rng: random.Random, path: Path, ctx: Context) -> bool:
    with h5py.File(path, "a") as f:
        target = rng.choice(["/etc/passwd", "/dev/zero", "/proc/self/environ", str(ctx.other), "/etc/hostname"])
        size = rng.choice([8, 64, 4096, 1 << 20])
        kind = rng.choice(["u1", "S64", "f4"])
        name = rng.choice([_tensor_or_any(rng, f), "notes/markdown", "traces/0/text", "model/source"])
        itemsize = np.dtype(kind).itemsize
        _replace(f, name, lambda g, leaf: g.create_dataset(
            leaf, shape=(size // itemsize,), dtype=kind,
            external=[(target, 0, h5py.h5f.UNLIMITED if target == "/dev/zero" else size)]))
    return True


def virtual_dataset(rng: random.Random, path: Path, ctx: Context) -> bool:
    with h5py.File(path, "a") as f:
        name = _tensor_or_any(rng, f)
        source = rng.choice([str(ctx.other), str(path), "/etc/passwd"])
        layout = h5py.VirtualLayout(shape=(5,), dtype="i8")
        layout[:] = h5py.VirtualSource(source, "secret", shape=(5,))
        _replace(f, name, lambda g, leaf: g.create_virtual_dataset(leaf, layout, fillvalue=7))
    return True


# --- sizes -------------------------------------------------------------------------------------------------------
def declared_shape(rng: random.Random, path: Path, ctx: Context) -> bool:
    """A dataset declaring far more than it stores: unwritten chunks read as fill values (a 59 kB file once
    declared 7.28 TiB)."""
    with h5py.File(path, "a") as f:
        name = rng.choice([_tensor_or_any(rng, f), "traces/0/tokens", "ui/layout", "history/loss",
                           "traces/0/tensor_names", "notes/trace"])
        shape = rng.choice([(2 ** 40,), (1, 1 << 20, 1 << 20), (1 << 14, 1 << 14), (7, 1 << 31), (1 << 25,)])
        dtype = rng.choice(["f4", "f8", "i8", "u1", "S32"])
        chunk = tuple(min(s, 1 << 10) for s in shape)
        _replace(f, name, lambda g, leaf: g.create_dataset(leaf, shape=shape, dtype=dtype, chunks=chunk,
                                                           fillvalue=None))
    return True


def compression_bomb(rng: random.Random, path: Path, ctx: Context) -> bool:
    with h5py.File(path, "a") as f, h5py.File(ctx.bombs, "r") as bombs:
        names = [rng.choice([_tensor_or_any(rng, f), "traces/0/tokens", "history/loss", "ui/layout"])]
        if rng.random() < 0.3:  # many bombs under the per-dataset floor: caught by the file's ratio
            names = [f"traces/0/tensors/bomb{i}" for i in range(8)]
        for name in names:
            if name in f:
                del f[name]
            parent, leaf = name.rsplit("/", 1)
            source = "small" if name.endswith(tuple(f"bomb{i}" for i in range(8))) else rng.choice(["gzip", "lzf"])
            bombs.copy(bombs[source], f[parent], leaf)
            refuse = source != "lzf"  # lzf stores zeros ~90× smaller: under the bomb ratio, and read in bounds
        if len(names) > 1:
            del f["traces/0/tensor_names"]
            f["traces/0"].create_dataset("tensor_names", data=np.array(sorted(f["traces/0/tensors"]), dtype="S32"))
    if len(names) > 1:  # 96 MiB of small bombs: refused for the file only when it is under ~1 MB
        return 96 << 20 > 100 * path.stat().st_size
    return refuse


def many_names(rng: random.Random, path: Path, ctx: Context) -> bool:
    """Hundreds of thousands of names (2 million used to scan for ever): refused or read in linear time."""
    with h5py.File(path, "a") as f:
        del f["traces/0/tensor_names"]
        name = b"blocks.0.hook_resid_post"
        if rng.random() < 0.5:  # read, in linear time, and refused for its repeats
            f["traces/0"].create_dataset("tensor_names", data=np.full(200_000, name), compression="gzip")
        else:  # two million, declared and never written: refused before reading
            f["traces/0"].create_dataset("tensor_names", shape=(2_000_000,), dtype="S26", chunks=(1 << 16,),
                                         fillvalue=name)
    return True


# --- types -------------------------------------------------------------------------------------------------------
def _hostile_data(rng: random.Random) -> tuple[object, object]:
    choice = rng.randrange(11)
    if choice == 0:
        return np.zeros(3, np.dtype([("a", "i4"), ("b", "f4")])), None
    if choice == 1:
        return np.zeros(3, np.int8), h5py.enum_dtype({"A": 0, "B": 1, "C": 2}, basetype="i1")
    if choice == 2:
        return np.void(b"\x80\x04\x95pickled"), None
    if choice == 3:
        return np.array(["a", "bb"], dtype=object), h5py.string_dtype()
    if choice == 4:
        data = np.empty(2, dtype=object)
        data[0], data[1] = np.arange(3, dtype=np.int32), np.arange(2, dtype=np.int32)
        return data, h5py.vlen_dtype(np.int32)
    if choice == 5:
        return np.ones(4, np.complex64), None
    if choice == 6:
        return np.ones(4, np.longdouble), None
    if choice == 7:
        return np.array([b"not", b"numbers"]), None  # strings where a tensor or count belongs
    if choice == 8:
        return np.ones((2, 2), bool), None
    if choice == 9:
        return np.array(b"\xff\xfe\xfd not utf-8"), None
    return np.array([1.5, 2.5], np.float16), None


def hostile_dtype(rng: random.Random, path: Path, ctx: Context) -> bool:
    with h5py.File(path, "a") as f:
        name = rng.choice(_datasets(f))
        data, dtype = _hostile_data(rng)
        _replace(f, name, lambda g, leaf: g.create_dataset(leaf, data=data, dtype=dtype))
    kind, itemsize = np.asarray(data).dtype.kind, np.asarray(data).dtype.itemsize
    # vlen, enum and compound/opaque/long double types are refused wherever they are; the others depend on place
    return dtype is not None or kind in "cV" or (kind == "f" and itemsize > 8)


def hostile_string(rng: random.Random, path: Path, ctx: Context) -> bool:
    with h5py.File(path, "a") as f:
        names = [n for n in _datasets(f) if h5py.check_string_dtype(f[n].dtype) is not None]
        name = rng.choice(names)
        text = rng.choice(HOSTILE_TEXT)
        raw = text.encode("utf-8", "surrogatepass")
        if rng.random() < 0.2:
            raw = b"\xff\xfe" + raw  # not UTF-8
        shape = f[name].shape
        data = np.array(raw) if shape == () else np.array([raw] * max(1, shape[0]))
        _replace(f, name, lambda g, leaf: g.create_dataset(leaf, data=data))
    return False


def hostile_attribute(rng: random.Random, path: Path, ctx: Context) -> bool:
    with h5py.File(path, "a") as f:
        nodes = ["/", *_groups(f), *_datasets(f)]
        candidates = [(n, a) for n in nodes for a in f[n].attrs]
        node, attr = rng.choice(candidates)
        value = rng.choice(HOSTILE_ATTRS)
        try:
            f[node].attrs[attr] = value
        except (TypeError, ValueError):
            f[node].attrs[attr] = float("nan")
    return isinstance(value, (np.ndarray, np.void))


def hostile_config(rng: random.Random, path: Path, ctx: Context) -> bool:
    """Every TinyGPT config field set to something absurd, in the model's config and in a trace's."""
    with h5py.File(path, "a") as f:
        where = rng.choice(["model/config", "traces/0/model_config"])
        if where not in f:
            where = "traces/0/model_config"
        config = json.loads(bytes(f[where][()]).decode())
        field = rng.choice(CONFIG_FIELDS)
        text = rng.choice(HOSTILE_JSON)
        document = json.dumps(config).replace(f'"{field}": {json.dumps(config.get(field))}', f'"{field}": {text}') \
            if field in config else json.dumps(config)[:-1] + f', "{field}": {text}}}'
        if rng.random() < 0.1:
            document = rng.choice(["[]", "\"config\"", "{" * 5000, "[" * 100_000 + "]" * 100_000, "{}"])
        del f[where]
        parent, leaf = where.rsplit("/", 1)
        f[parent].create_dataset(leaf, data=np.array(document.encode("utf-8", "surrogatepass")))
    return False


def hostile_tokenizer(rng: random.Random, path: Path, ctx: Context) -> bool:
    with h5py.File(path, "a") as f:
        if "model/tokenizer" not in f:
            return False
        document = rng.choice(["[" * 100_000 + "]" * 100_000, "{\"kind\": \"char\", \"tokens\": " + "[" * 5000,
                               "{\"kind\": \"char\", \"tokens\": [1, 2]}", "null", "{\"kind\": \"bpe\"}",
                               json.dumps({"kind": "char", "tokens": ["a"] * 100_000})])
        del f["model/tokenizer"]
        f["model"].create_dataset("tokenizer", data=np.array(document.encode()))
    return False


# --- panel state ---------------------------------------------------------------------------------------------------
def _tag(node: h5py.HLObject, kind: str) -> None:
    node.attrs["encoding-type"] = np.bytes_(kind.encode())
    node.attrs["encoding-version"] = np.bytes_(b"1")


def hostile_panel_state(rng: random.Random, path: Path, ctx: Context) -> bool:
    """ui/panels/<name> for every registered panel (and one this version does not know) with hostile values."""
    with h5py.File(path, "a") as f:
        panels = f["ui/panels"]
        name = rng.choice(ctx.panels)
        if name in panels:
            del panels[name]
        group = panels.create_group(name)
        _tag(group, "dict")
        keys = ["n", "d", "step", "layer", "head", "tab", "site", "text", "stage", "mode", "compare_to", "merges_asked",
                "colormap", "sram_bytes", "br", "bc", "breakpoints", "user_freqs", "attribution", "patching",
                "position", "top_k"]
        for key in rng.sample(keys, rng.randrange(1, 6)):
            kind = rng.randrange(9)
            if kind < 3:
                group.attrs[key] = np.bytes_(rng.choice(HOSTILE_JSON + ["1e8", "20000", "-5", "3"]).encode())
            elif kind == 3:
                group.create_dataset(key, data=np.array(rng.choice(HOSTILE_TEXT).encode("utf-8", "surrogatepass")))
            elif kind == 4:
                _tag(group.create_dataset(key, data=np.full(rng.choice([3, 1 << 16]), rng.choice(
                    [np.nan, np.inf, -1, 1e300]))), "array")
            elif kind == 5:
                node = group.create_dataset(key, data=np.array([b"a\x1b[2J", b"\xff"]))
                _tag(node, "string-array")
            elif kind == 6:  # nested deeper than any panel
                sub = group
                for depth in range(rng.choice([3, 20, 40])):
                    sub = sub.create_group(f"{key}{depth}")
                    _tag(sub, "dict")
            elif kind == 7:  # wrong tag, or none
                sub = group.create_group(key)
                _tag(sub, rng.choice(["list", "dict\x00", "tensors"]))
            else:  # more values than a panel has, or more than one object may carry
                for i in range(rng.choice([50, 1_100])):
                    group.attrs[f"{key}{i}"] = np.bytes_(b"1")
    return False


# --- damage ---------------------------------------------------------------------------------------------------------
def deleted_node(rng: random.Random, path: Path, ctx: Context) -> bool:
    with h5py.File(path, "a") as f:
        del f[rng.choice(_datasets(f) + _groups(f))]
    return False


def swapped_kind(rng: random.Random, path: Path, ctx: Context) -> bool:
    with h5py.File(path, "a") as f:
        name = rng.choice(_datasets(f) + _groups(f))
        is_group = isinstance(f[name], h5py.Group)
        _replace(f, name, lambda g, leaf: g.create_dataset(leaf, data=np.arange(3)) if is_group
                 else g.create_group(leaf))
    return False


def truncated(rng: random.Random, path: Path, ctx: Context) -> bool:
    data = path.read_bytes()
    path.write_bytes(data[:rng.randrange(0, len(data))])
    return False


def bit_flips(rng: random.Random, path: Path, ctx: Context) -> bool:
    data = bytearray(path.read_bytes())
    for _ in range(rng.randrange(1, 33)):
        data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
    path.write_bytes(bytes(data))
    return False


def foreign_file(rng: random.Random, path: Path, ctx: Context) -> bool:
    kind = rng.randrange(4)
    if kind == 0:
        path.write_bytes(rng.randbytes(rng.randrange(0, 5000)))
    else:
        with h5py.File(path, "w") as f:
            if kind == 2:
                f.attrs["format"] = "lmscope-session"
                f.attrs["format_version"] = rng.choice([1, 2, 0, -1, 10 ** 9])
            elif kind == 3:
                f["x"] = np.arange(10)
    return True


MUTATORS: dict[str, Mutator] = {
    "external_link": external_link, "soft_link": soft_link, "hard_link": hard_link_alias_or_loop,
    "external_storage": external_storage, "virtual_dataset": virtual_dataset, "declared_shape": declared_shape,
    "compression_bomb": compression_bomb, "many_names": many_names, "dtype": hostile_dtype,
    "string": hostile_string, "attribute": hostile_attribute, "config": hostile_config,
    "tokenizer": hostile_tokenizer, "panel_state": hostile_panel_state, "deleted": deleted_node,
    "swapped": swapped_kind, "truncated": truncated, "bit_flips": bit_flips, "foreign": foreign_file,
}


# --- what the app does with a file -------------------------------------------------------------------------------
def _plain(value: object, depth: int = 0) -> str | None:
    """None when ``value`` is plain, bounded data (what a panel's state may be); otherwise what is wrong."""
    if depth > 17:
        return "nested too deep"
    if value is None or isinstance(value, (bool, str)):
        return None
    if isinstance(value, int):
        return None if -(2 ** 63) <= value < 2 ** 63 else f"unbounded int {value}"
    if isinstance(value, float):
        return None
    if isinstance(value, np.ndarray):
        return None if value.dtype.kind in "biuf" and value.nbytes <= 64 << 20 else f"array {value.dtype}"
    if isinstance(value, list):
        return None if all(isinstance(v, str) for v in value) else "list of non-strings"
    if isinstance(value, dict):
        for key, item in value.items():
            problem = _plain(item, depth + 1) if isinstance(key, str) else "non-string key"
            if problem:
                return problem
        return None
    return f"a {type(value).__name__}"


def exercise(path: Path) -> str:
    """Open ``path`` as the GUI does (open job, model rebuilt), describe it as `lmscope info` does, read every
    tensor, verify it; return "opened" or "refused: <sentence>"."""
    from lmscope.gui.terminal import json_safe, terminal_safe
    from lmscope.gui.cli_sessions import info_text
    from lmscope.sessions import SessionFormatError, describe
    from lmscope.sessions.jobs import SessionOpened, open_session_job
    from lmscope.sessions.verify import verify_session

    try:
        opened = [e for e in open_session_job(path) if isinstance(e, SessionOpened)][0]
    except SessionFormatError as exc:
        if _memory_unchecked(exc):
            raise
        return f"refused: {exc}"
    session = opened.session
    try:
        info = describe(session)
        json_safe(json.dumps(info, ensure_ascii=False)).encode("utf-8")
        terminal_safe(info_text(info)).encode("utf-8")
        for saved in session.traces:
            for name in saved.trace.tensors:
                np.asarray(saved.trace.tensors[name]).sum()
        if session.model is not None and session.model.weights is not None:
            for name in session.model.weights:
                np.asarray(session.model.weights[name]).sum()
        for name, state in session.panels.items():
            problem = _plain(state)
            if problem:
                raise AssertionError(f"panel {name} state is not plain, bounded data: {problem}")
    except SessionFormatError as exc:
        if _memory_unchecked(exc):
            raise
        return f"refused: {exc}"
    finally:
        session.close()
    verdict = verify_session(path)
    return "opened" if verdict.ok else f"opened; verify: {verdict.problems[0]}"


def peak_rss() -> int:
    """This process's peak resident memory. VmHWM, not ru_maxrss: Linux carries ru_maxrss across exec, so a child
    started by a 1.5 GB test process reported 1.5 GB before doing anything."""
    try:
        return int(Path("/proc/self/status").read_text().split("VmHWM:")[1].split()[0]) * 1024
    except (OSError, IndexError, ValueError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _memory_unchecked(exc: BaseException) -> bool:
    seen = 0
    while exc is not None and seen < 20:
        if isinstance(exc, MemoryError):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


# --- the child process ------------------------------------------------------------------------------------------
def make_context(workdir: Path, rich: Path | None = None) -> Context:
    """The files mutations point at; ``rich`` is the base session (default: the golden file re-saved by today's
    writer with state for every panel name)."""
    other = workdir / "other.h5"
    with h5py.File(other, "w") as f:
        f["secret"] = np.arange(5)
    bombs = workdir / "bombs.h5"
    with h5py.File(bombs, "w") as f:
        zeros = np.zeros(8 << 20, np.float32)  # 32 MiB of zeros: ~32 kB with gzip
        f.create_dataset("gzip", data=zeros, chunks=(1 << 18,), compression="gzip")
        f.create_dataset("lzf", data=zeros, chunks=(1 << 18,), compression="lzf")
        f.create_dataset("small", data=zeros[: 3 << 20], chunks=(1 << 18,), compression="gzip", shuffle=True)
    return Context(workdir, other, bombs, rich or _rich_session(workdir))


def _rich_session(workdir: Path) -> Path:
    from lmscope.backend.trace import Trace
    from lmscope.sessions import ModelPart, SavedTrace, Session, open_session, save_session

    golden = open_session(GOLDEN)
    rich = workdir / "rich.h5"
    panels = {name: {"n": 64, "d": 16, "step": 3, "site": "resid_post", "text": "我们 🎉", "flag": True,
                     "nested": {"arr": np.arange(4, dtype=np.int32), "words": ["a", "b"]}} for name in PANELS}
    trace = golden.traces[0].trace
    saved = SavedTrace(Trace(trace.tokens, trace.token_strings, {n: trace[n] for n in trace}, trace.model_config,
                             trace.text, trace.label, trace.meta), golden.traces[0].histograms)
    model = ModelPart(golden.model.config, golden.model.tokenizer_json, golden.model.source,
                      {n: golden.model.weights[n] for n in golden.model.weights})
    save_session(Session(model=model, traces=[saved], current_trace=0, history=golden.history, layout=b"\x00" * 16,
                         selection=golden.selection, panels=panels, notes=golden.notes, bookmarks=golden.bookmarks),
                 rich)
    golden.close()
    return rich


def run(count: int, seed: int, workdir: Path, categories: list[str] | None = None) -> dict[str, object]:
    import faulthandler

    ctx = make_context(workdir)
    names = categories or list(MUTATORS)
    exercise(ctx.rich)  # imports torch and the model code once, so no variant is timed with them
    base_rss = peak_rss()
    # A safety net for the shared machine: a bug that tried to allocate gigabytes fails here (and is reported as
    # unchecked memory) instead of swapping everyone out. Measured: the child's address space is ~0.7 GB.
    vm = int(Path("/proc/self/status").read_text().split("VmSize:")[1].split()[0]) * 1024
    resource.setrlimit(resource.RLIMIT_AS, (vm + (2 << 30), resource.RLIM_INFINITY))
    results = []
    for index in range(count):
        category = names[index % len(names)]
        rng = random.Random(seed * 1_000_003 + index)
        path = workdir / f"v{index}.h5"
        shutil.copy(ctx.rich if rng.random() < 0.5 else GOLDEN, path)
        ident = f"{category}#{seed}:{index}"
        record: dict[str, object] = {"id": ident, "category": category}
        started = time.perf_counter()
        try:
            record["must_refuse"] = MUTATORS[category](rng, path, ctx)
        except Exception as exc:  # noqa: BLE001 - a mutation h5py would not write: still a variant, of the base
            record["must_refuse"] = False
            record["mutation_skipped"] = f"{type(exc).__name__}: {exc}"[:200]
        record["mutation_seconds"] = time.perf_counter() - started
        faulthandler.dump_traceback_later(30, exit=True)  # a hang ends the child with a stack, not the test run
        start, cpu = time.perf_counter(), time.process_time()
        try:
            record["outcome"] = exercise(path)
        except BaseException as exc:  # noqa: BLE001 - the point: anything but our error is a finding
            record["error"] = "".join(traceback.format_exception(exc))[-3000:]
            record["memory_unchecked"] = _memory_unchecked(exc)
            if isinstance(exc, KeyboardInterrupt):
                raise
        finally:
            faulthandler.cancel_dump_traceback_later()
        record["seconds"] = time.perf_counter() - start
        record["cpu_seconds"] = time.process_time() - cpu
        record["peak_rss_after"] = peak_rss()
        outcome = str(record.get("outcome", ""))
        if outcome.startswith("refused:"):
            sentence = outcome.removeprefix("refused: ")
            record["one_sentence"] = bool(sentence) and "\n" not in sentence and "Traceback" not in sentence
        results.append(record)
        path.unlink(missing_ok=True)
    return {"results": results, "peak_rss": peak_rss(), "base_rss": base_rss}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--categories", nargs="*")
    args = parser.parse_args()
    report = run(args.count, args.seed, args.workdir, args.categories)
    args.out.write_text(json.dumps(report))


if __name__ == "__main__":
    main()
