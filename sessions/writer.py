"""Write a :class:`~lmscope.sessions.session.Session` to HDF5, atomically.

The file is written beside the target under a temporary name, flushed, fsync'ed and renamed over the target with
``os.replace``: the target is never opened for writing, so a crash or kill -9 mid-save leaves the previous file.

Compression per kind (measured in bench/bench_sessions.py on the demo's tensors): attention scores and patterns
(causal: half the cells are −inf or exactly 0) compress well with lzf at little cost; other activations are
close to incompressible float noise, so they are stored chunked but uncompressed (gzip was ~100× slower to write
for a few per cent); integer and histogram arrays are small and gzip well.
"""
from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from lmscope.backend.stats import STAT_FIELDS
from lmscope.backend.trace import tensor_shape
from lmscope.sessions.atomic import GuardedFile, check_output_path, remove_stale_temps, temp_path, write_error
from lmscope.sessions.derived import find_recipes
from lmscope.sessions.hdf5 import put_attr, tag, write_array, write_strings, write_text, write_tree
from lmscope.sessions.session import ModelPart, SavedTrace, Session

FORMAT = "lmscope-session"
FORMAT_VERSION = 2  # 2: residual points stored as exact sums of others (sessions/derived.py); logits left out of
# long traces unless asked. A version-1 file reads as it is.
# A trace's full logits are stored while they take at most this much (float32), like its attention patterns
# (backend/attention/patterns.py): T·V·4 ≤ 64 MiB is ≤ 333 tokens with GPT-2's 50,257 words, any length of the demo's
# 100-odd characters. Past it they are left out unless asked (``store_logits``): 393 MiB at 2,048 tokens, the biggest
# tensor of the capture (a TransformerLens cache does not hold them either); running the prompt again gives them back.
STORE_LOGITS_BYTES = 64 * 2**20
HIST_FIELDS = STAT_FIELDS  # the columns of every histogram "stats" array, in the dataclass's order


def app_version() -> str:
    try:
        return version("lmscope")
    except PackageNotFoundError:
        return "unknown"


def tensor_compression(name: str, array: np.ndarray) -> str | None:
    if array.dtype.kind in "biu":
        return "gzip"
    if name.endswith(("hook_pattern", "hook_attn_scores")):
        return "lzf"
    return None


def save_session(session: Session, path: str | Path, *, include_weights: bool = True,
                 float16: bool = False, store_logits: bool | None = None) -> Path:
    """Write ``session`` to ``path`` atomically. ``float16`` stores float activations at half size;
    ``store_logits`` keeps every trace's full logits (None: only while they are cheap, :data:`STORE_LOGITS_BYTES`).

    Every failure (a folder that does not exist or is read-only, a full disk, a target that is a folder) is one
    SessionFormatError sentence, and the previous file at ``path`` is left as it was.
    """
    path = check_output_path(path)
    remove_stale_temps(path)
    tmp = temp_path(path)
    sink: GuardedFile | None = None
    try:
        sink = GuardedFile(tmp)
        # libver v110+: every metadata block carries a checksum, so a damaged file fails cleanly instead of
        # sending HDF5 into a loop (seen in the fuzz test with the v1.8 layout); readable by HDF5 ≥ 1.10.
        with h5py.File(sink, "w", libver=("v110", "latest")) as f:
            _write_root(f)
            if session.model is not None:
                _write_model(f.create_group("model"), session.model, include_weights)
            _write_traces(tag(f.create_group("traces"), "traces"), session, float16, store_logits)
            _write_history(tag(f.create_group("history"), "training-history"), session)
            _write_ui(tag(f.create_group("ui"), "ui-state"), session)
            _write_notes(tag(f.create_group("notes"), "notes"), session)
            f.flush()
        sink.sync()
        sink.close()
        if sink.error is not None:
            raise write_error(sink.error, path) from sink.error
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    except OSError as exc:
        _discard(sink, tmp)
        raise write_error(exc, path) from exc
    except BaseException:
        _discard(sink, tmp)
        raise
    return path


def _discard(sink: GuardedFile | None, tmp: Path) -> None:
    if sink is not None:
        sink.close()
    try:
        tmp.unlink(missing_ok=True)
    except OSError:
        pass


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # not every platform lets a folder be opened (Windows); the rename is still atomic there
        return
    try:
        os.fsync(fd)
    except OSError:  # some file systems cannot sync a folder; the file itself was synced
        pass
    finally:
        os.close(fd)


def _write_root(f: h5py.File) -> None:
    tag(f, FORMAT, str(FORMAT_VERSION))
    put_attr(f, "format", FORMAT)
    put_attr(f, "format_version", FORMAT_VERSION)
    put_attr(f, "app_version", app_version())
    put_attr(f, "h5py_version", h5py.version.version)
    put_attr(f, "hdf5_version", h5py.version.hdf5_version)
    put_attr(f, "created", datetime.now(UTC).isoformat(timespec="seconds"))


def _write_model(group: h5py.Group, model: ModelPart, include_weights: bool) -> None:
    tag(group, "model")
    write_text(group, "config", json.dumps(model.config, sort_keys=True))
    write_text(group, "tokenizer", model.tokenizer_json)
    write_text(group, "source", model.source)
    if include_weights and model.weights is not None:
        weights = tag(group.create_group("weights"), "tensors")
        for name, array in model.weights.items():
            write_array(weights, name, np.asarray(array))


def _write_traces(group: h5py.Group, session: Session, float16: bool, store_logits: bool | None) -> None:
    group.attrs["current"] = session.current_trace
    group.attrs["count"] = len(session.traces)
    for index, saved in enumerate(session.traces):
        _write_trace(tag(group.create_group(str(index)), "trace"), saved, float16, store_logits)


def logits_kept(names: Any, shape: tuple[int, ...] | None, store_logits: bool | None) -> bool:
    """Whether a trace's ``logits`` go into the file: asked, or cheap (see :data:`STORE_LOGITS_BYTES`)."""
    if "logits" not in names or shape is None:
        return True
    if store_logits is not None:
        return store_logits
    return int(np.prod(shape, dtype=np.int64)) * 4 <= STORE_LOGITS_BYTES


def _write_trace(group: h5py.Group, saved: SavedTrace, float16: bool, store_logits: bool | None) -> None:
    trace = saved.trace
    names = list(trace.tensors)
    meta = dict(trace.meta)
    if not logits_kept(names, tensor_shape(trace.tensors, "logits"), store_logits):
        names.remove("logits")
        meta["logits_left_out"] = list(tensor_shape(trace.tensors, "logits") or ())  # `lmscope info` says so
    recipes = find_recipes(trace.tensors, names, aliases_only=float16)
    write_text(group, "text", trace.text)
    write_text(group, "label", trace.label)
    write_text(group, "model_config", json.dumps(trace.model_config, sort_keys=True))
    write_text(group, "meta", json.dumps(meta, sort_keys=True, default=str))
    write_array(group, "tokens", np.asarray(trace.tokens, np.int64), "gzip")
    write_strings(group, "token_strings", list(trace.token_strings))
    tensors = tag(group.create_group("tensors"), "tensors")
    write_strings(group, "tensor_names", names)
    if recipes:  # residual points that are exact sums of stored ones (sessions/derived.py)
        write_text(group, "derived", json.dumps(recipes, sort_keys=True))
    for name in names:
        if name in recipes:
            continue
        array = np.asarray(trace.tensors[name])
        compression = tensor_compression(name, array)
        if float16 and array.dtype == np.float32:  # every float tensor, patterns included (session-format.md)
            dataset = write_array(tensors, name, array.astype(np.float16), compression)
            put_attr(dataset, "stored-dtype", "float32")
        else:
            write_array(tensors, name, array, compression)
    _write_histograms(tag(group.create_group("histograms"), "histograms"), saved)


def _write_histograms(group: h5py.Group, saved: SavedTrace) -> None:
    hooks = list(saved.histograms)
    write_strings(group, "hooks", hooks)
    put_attr(group, "fields", json.dumps(HIST_FIELDS))
    if not hooks:
        return
    stats = [saved.histograms[h] for h in hooks]
    write_array(group, "edges", np.stack([s.edges for s in stats]), "gzip")
    write_array(group, "counts", np.stack([s.counts for s in stats]), "gzip")
    write_array(group, "stats", np.array([[getattr(s, f) for f in HIST_FIELDS] for s in stats], np.float64))


def _write_history(group: h5py.Group, session: Session) -> None:
    arrays = session.history.to_arrays()
    put_attr(group, "label", str(arrays.pop("label")))
    write_strings(group, "hooks", [str(h) for h in arrays.pop("hooks")])
    for name, array in arrays.items():
        write_array(group, name, array, "gzip" if array.size > 64 else None)


def _write_ui(group: h5py.Group, session: Session) -> None:
    write_array(group, "layout", np.frombuffer(session.layout, dtype=np.uint8))
    for key in ("layer", "head", "position"):
        group.attrs[key] = int(session.selection.get(key, 0 if key != "position" else -1))
    panels = tag(group.create_group("panels"), "panels")
    for name, state in session.panels.items():
        write_tree(panels.create_group(name), state)


def _write_notes(group: h5py.Group, session: Session) -> None:
    write_text(group, "markdown", session.notes)
    marks = session.bookmarks
    for key in ("trace", "layer", "head", "position"):
        write_array(group, key, np.asarray([getattr(b, key) for b in marks], np.int64))
    write_strings(group, "text", [b.text for b in marks])
