"""Open a session file lazily: metadata and small parts now, tensors when a panel asks.

Every failure — not HDF5, truncated, another program's file, a newer format, missing parts, a file locked by a
writer, object (pickle-capable) data — becomes one :class:`SessionFormatError` sentence. Files from older format
versions are upgraded in memory through :data:`MIGRATIONS`, one small function per version step.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from lmscope.backend.trace import Trace
from lmscope.backend.training.history import TrainingHistory
from lmscope.backend.stats import HistogramStats
from lmscope.sessions.hdf5 import (
    H5_ERRORS, SessionFormatError, check_tag, damaged, group_at, read_array, read_attr, read_strings, read_text, read_tree,
)
from lmscope.sessions.session import Bookmark, LazyTensors, ModelPart, SavedTrace, Session
from lmscope.sessions.writer import FORMAT, FORMAT_VERSION, HIST_FIELDS

# version found -> function upgrading a Session read under that version's layout to the next version's meaning.
# Version 1 is the first released format, so the chain is empty; the next format change adds `1: migrate_v1_to_v2`.
MIGRATIONS: dict[int, Callable[[Session], Session]] = {}


def _open_file(path: Path) -> h5py.File:
    if not path.exists():
        raise SessionFormatError(f"{path} does not exist.")
    if path.is_dir():
        raise SessionFormatError(f"{path} is a folder, not a session file.")
    try:
        if not h5py.is_hdf5(path):
            raise SessionFormatError(f"{path.name} is not an lmscope session (it is not an HDF5 file).")
        return h5py.File(path, "r")
    except SessionFormatError:
        raise
    except (OSError, ValueError, RuntimeError) as exc:
        text = str(exc).lower()
        if "lock" in text:
            raise SessionFormatError(f"{path.name} is being written by another program; try again when it is done."
                                     ) from exc
        raise SessionFormatError(f"{path.name} is damaged or truncated and cannot be opened.") from exc


def open_session(path: str | Path) -> Session:
    path = Path(path)
    f = _open_file(path)
    try:
        session = _read(f, path)
    except SessionFormatError:
        f.close()
        raise
    except (*H5_ERRORS, json.JSONDecodeError) as exc:
        f.close()
        raise SessionFormatError(f"{path.name} is damaged: part of it cannot be read ({type(exc).__name__}).") from exc
    session.handle = f
    return session


def _read(f: h5py.File, path: Path) -> Session:
    if read_attr(f, "format", None) != FORMAT:
        raise SessionFormatError(f"{path.name} is an HDF5 file from another program, not an lmscope session.")
    found = read_attr(f, "format_version")
    if not isinstance(found, int):
        raise SessionFormatError(f"{path.name} has an unreadable format version ({found!r}).")
    if found > FORMAT_VERSION:
        raise SessionFormatError(f"{path.name} was written by a newer lmscope (format version {found}; this version "
                                 f"reads up to {FORMAT_VERSION}). Update lmscope to open it.")
    if found < 1 or (found < FORMAT_VERSION and found not in MIGRATIONS):
        raise SessionFormatError(f"{path.name} has format version {found}, which no lmscope ever wrote.")
    session = Session(
        model=_read_model(f["model"]) if "model" in f else None,
        history=_read_history(group_at(f, "history")),
        meta={key: read_attr(f, key, None) for key in ("format_version", "app_version", "h5py_version",
                                                       "hdf5_version", "created")},
    )
    _read_traces(group_at(f, "traces"), session)
    _read_ui(group_at(f, "ui"), session)
    _read_notes(group_at(f, "notes"), session)
    for version in range(found, FORMAT_VERSION):
        session = MIGRATIONS[version](session)
    return session


def _json(group: h5py.Group, name: str) -> Any:
    text = read_text(group, name)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise SessionFormatError(f"{group.name}/{name} is not valid JSON.") from exc


def _read_model(group: h5py.Group) -> ModelPart:
    check_tag(group, "model")
    weights = None
    if "weights" in group:
        wgroup = group_at(group, "weights")
        check_tag(wgroup, "tensors")
        weights = LazyTensors(wgroup, list(wgroup.keys()))
    config = _json(group, "config")
    if not isinstance(config, dict):
        raise SessionFormatError("The session's model config is not a JSON object.")
    return ModelPart(config=config, tokenizer_json=read_text(group, "tokenizer"), source=read_text(group, "source"),
                     weights=weights)


def _read_traces(group: h5py.Group, session: Session) -> None:
    check_tag(group, "traces")
    count = int(read_attr(group, "count"))
    for index in range(count):
        session.traces.append(_read_trace(group_at(group, str(index))))
    current = int(read_attr(group, "current", -1))
    session.current_trace = current if -1 <= current < count else count - 1


def _read_trace(group: h5py.Group) -> SavedTrace:
    check_tag(group, "trace")
    tensors = group_at(group, "tensors")
    check_tag(tensors, "tensors")
    names = read_strings(group, "tensor_names")
    missing = [n for n in names if n not in tensors]
    if missing:
        raise SessionFormatError(f"{group.name} lists the tensor {missing[0]} but the file does not hold it.")
    config = _json(group, "model_config")
    meta = _json(group, "meta")
    tokens = read_array(group, "tokens")
    strings = read_strings(group, "token_strings")
    if tokens.ndim != 2 or tokens.dtype.kind not in "iu" or len(strings) != tokens.shape[-1]:
        raise SessionFormatError(f"{group.name} has inconsistent tokens ({tokens.shape}, {len(strings)} strings).")
    if not isinstance(config, dict) or not isinstance(meta, dict):
        raise SessionFormatError(f"{group.name} has a malformed model config or metadata.")
    trace = Trace(tokens=tokens, token_strings=strings, tensors=LazyTensors(tensors, names), model_config=config,
                  text=read_text(group, "text"), label=read_text(group, "label"), meta=meta)
    return SavedTrace(trace=trace, histograms=_read_histograms(group_at(group, "histograms")))


def _read_histograms(group: h5py.Group) -> dict[str, HistogramStats]:
    check_tag(group, "histograms")
    hooks = read_strings(group, "hooks")
    if not hooks:
        return {}
    fields = json.loads(read_attr(group, "fields"))
    if tuple(fields) != HIST_FIELDS:
        raise SessionFormatError(f"{group.name} has unknown histogram fields.")
    edges, counts, stats = (read_array(group, n) for n in ("edges", "counts", "stats"))
    if not (len(edges) == len(counts) == len(stats) == len(hooks)) or stats.shape[1:] != (len(fields),):
        raise SessionFormatError(f"{group.name} has histogram arrays of mismatched sizes.")
    result = {}
    for i, hook in enumerate(hooks):
        values = dict(zip(fields, stats[i].tolist()))
        values["n"] = int(values["n"])
        result[hook] = HistogramStats(edges=edges[i], counts=counts[i].astype(np.int64), **values)
    return result


def _read_history(group: h5py.Group) -> TrainingHistory:
    check_tag(group, "training-history")
    arrays: dict[str, np.ndarray] = {"label": np.asarray(read_attr(group, "label", "")),
                                     "hooks": np.asarray(read_strings(group, "hooks"), dtype=np.str_)}
    for name in group:
        if name != "hooks":
            arrays[name] = read_array(group, name)
    try:
        return TrainingHistory.from_arrays(arrays)
    except (KeyError, IndexError, ValueError, TypeError) as exc:
        raise SessionFormatError(f"The training history in {group.file.filename} is incomplete.") from exc


def _read_ui(group: h5py.Group, session: Session) -> None:
    check_tag(group, "ui-state")
    layout = read_array(group, "layout")
    if layout.dtype != np.uint8 or layout.ndim != 1:
        raise SessionFormatError("The saved window layout is malformed.")
    session.layout = layout.tobytes()
    session.selection = {key: int(read_attr(group, key, 0)) for key in ("layer", "head", "position")}
    panels = group_at(group, "panels")
    check_tag(panels, "panels")
    session.panels = {name: read_tree(node) for name, node in panels.items() if isinstance(node, h5py.Group)}


def _read_notes(group: h5py.Group, session: Session) -> None:
    check_tag(group, "notes")
    session.notes = read_text(group, "markdown")
    columns = {key: read_array(group, key) for key in ("trace", "layer", "head", "position")}
    texts = read_strings(group, "text")
    if any(len(c) != len(texts) for c in columns.values()):
        raise SessionFormatError("The bookmarks in this session are incomplete.")
    session.bookmarks = [Bookmark(int(columns["trace"][i]), int(columns["layer"][i]), int(columns["head"][i]),
                                  int(columns["position"][i]), texts[i]) for i in range(len(texts))]


def describe(session: Session) -> dict[str, Any]:
    """What `lmscope info` prints: a JSON-able summary, reading no tensor data."""
    with damaged("The session's summary"):
        return _describe(session)


def _describe(session: Session) -> dict[str, Any]:
    traces = []
    for index, saved in enumerate(session.traces):
        tensors = saved.trace.tensors
        shapes = {}
        for name in tensors:
            if isinstance(tensors, LazyTensors):
                shape, dtype = tensors.shape_dtype(name)
            else:
                shape, dtype = tuple(np.shape(tensors[name])), str(np.asarray(tensors[name]).dtype)
            shapes[name] = {"shape": list(shape), "dtype": dtype}
        traces.append({"index": index, "label": saved.trace.label, "text": saved.trace.text,
                       "tokens": int(saved.trace.tokens.shape[-1]), "tensors": shapes})
    model = None
    if session.model is not None:
        model = {"source": session.model.source, "config": session.model.config,
                 "weights": session.model.weights is not None}
    return {
        "format_version": session.meta.get("format_version"), "app_version": session.meta.get("app_version"),
        "created": session.meta.get("created"), "model": model, "traces": traces,
        "training_steps": len(session.history), "snapshots": len(session.history.snapshots),
        "notes_chars": len(session.notes), "bookmarks": len(session.bookmarks),
    }
