"""Open a session file lazily: metadata and small parts now, tensors when a panel asks.

Every failure — not HDF5, truncated, another program's file, a newer format, missing parts, a file locked by a
writer, object (pickle-capable) data — becomes one :class:`SessionFormatError` sentence. Files from older format
versions are upgraded in memory through :data:`MIGRATIONS`, one small function per version step.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from lmscope.backend.trace import Trace
from lmscope.backend.training.history import TrainingHistory
from lmscope.backend.stats import HistogramStats
from lmscope.backend.models.config import INT_RANGES
from lmscope.sessions.derived import check_recipes
from lmscope.sessions.errors import SessionFormatError
from lmscope.sessions.guard import MAX_OBJECTS, child, has, inspect_file, open_hdf5
from lmscope.sessions.hdf5 import (
    INT64, check_tag, damaged, group_at, parse_json, read_array, read_attr, read_int_attr, read_json, read_strings,
    read_text, read_tree,
)
from lmscope.sessions.limits import Limits
from lmscope.sessions.session import Bookmark, LazyTensors, ModelPart, SavedTrace, Session
from lmscope.sessions.writer import FORMAT, FORMAT_VERSION, HIST_FIELDS

# version found -> function upgrading a Session read under that version's layout to the next version's meaning.
# Version 2 only added what version 1 files lack (derived tensors, left-out logits), so its step is the identity.
MIGRATIONS: dict[int, Callable[[Session], Session]] = {
    1: lambda session: session,
}
MAX_TRACES = 10_000


def open_session(path: str | Path, *, force: bool = False, limits: Limits | None = None) -> Session:
    """Open ``path`` lazily. Before anything is read, its links, storage, types and declared sizes are checked
    (sessions/guard.py); ``force`` lifts the size limits for a human who trusts the file ("open anyway")."""
    path = Path(path)
    limits = limits or Limits.for_this_machine(force=force)
    f = open_hdf5(path)
    try:
        with damaged(f"{path.name}"):
            inspect_file(f, limits)
            session = _read(f, path, limits)
    except BaseException:
        f.close()
        raise
    session.handle = f
    return session


def _read(f: h5py.File, path: Path, limits: Limits) -> Session:
    if read_attr(f, "format", None) != FORMAT:
        raise SessionFormatError(f"{path.name} is an HDF5 file from another program, not an lmscope session.")
    found = read_attr(f, "format_version")
    if not isinstance(found, int) or isinstance(found, bool):
        raise SessionFormatError(f"{path.name} has an unreadable format version ({found!r:.40}).")
    if found > FORMAT_VERSION:
        raise SessionFormatError(f"{path.name} was written by a newer lmscope (format version {found}; this version "
                                 f"reads up to {FORMAT_VERSION}). Update lmscope to open it.")
    if found < 1 or (found < FORMAT_VERSION and found not in MIGRATIONS):
        raise SessionFormatError(f"{path.name} has format version {found}, which no lmscope ever wrote.")
    meta: dict[str, Any] = {"format_version": found}
    for key in ("app_version", "h5py_version", "hdf5_version", "created"):
        meta[key] = read_attr(f, key, None, kind=str)
    session = Session(
        model=_read_model(group_at(f, "model"), limits) if has(f, "model") else None,
        history=_read_history(group_at(f, "history"), limits),
        meta=meta,
    )
    _read_traces(group_at(f, "traces"), session, limits)
    _read_ui(group_at(f, "ui"), session, limits)
    _read_notes(group_at(f, "notes"), session, limits)
    for version in range(found, FORMAT_VERSION):
        session = MIGRATIONS[version](session)
    return session


def _object(group: h5py.Group, name: str, limits: Limits) -> dict[str, Any]:
    value = read_json(group, name, limits)
    if not isinstance(value, dict):
        raise SessionFormatError(f"{group.name}/{name} should be a JSON object.")
    return value


def _read_model(group: h5py.Group, limits: Limits) -> ModelPart:
    check_tag(group, "model")
    weights = None
    if has(group, "weights"):
        wgroup = group_at(group, "weights")
        check_tag(wgroup, "tensors")
        weights = LazyTensors(wgroup, list(wgroup.keys()), limits)
    return ModelPart(config=_object(group, "config", limits), tokenizer_json=read_text(group, "tokenizer", limits),
                     source=read_text(group, "source", limits), weights=weights)


def _read_traces(group: h5py.Group, session: Session, limits: Limits) -> None:
    check_tag(group, "traces")
    count = read_int_attr(group, "count", ..., 0, MAX_TRACES)
    for index in range(count):
        session.traces.append(_read_trace(group_at(group, str(index)), limits))
    current = read_int_attr(group, "current", -1, -1, max(count - 1, -1))
    session.current_trace = current


def _read_trace(group: h5py.Group, limits: Limits) -> SavedTrace:
    check_tag(group, "trace")
    tensors = group_at(group, "tensors")
    check_tag(tensors, "tensors")
    names = read_strings(group, "tensor_names", limits, max_count=MAX_OBJECTS)
    held = set(tensors.keys())  # one pass over the group's links: linear, and bounded by the walk
    if len(set(names)) != len(names):
        raise SessionFormatError(f"{group.name} lists a tensor twice.")
    derived = (check_recipes(read_json(group, "derived", limits), names, held, group.name) if has(group, "derived")
               else {})
    missing = [n for n in names if n not in held and n not in derived]
    if missing:
        raise SessionFormatError(f"{group.name} lists the tensor {missing[0][:80]} but the file does not hold it.")
    config = _object(group, "model_config", limits)
    check_trace_config(config, group.name)
    meta = _object(group, "meta", limits)
    tokens = read_array(group, "tokens", limits, kinds="iu", ndim=2)
    strings = read_strings(group, "token_strings", limits)
    if len(strings) != tokens.shape[-1]:
        raise SessionFormatError(f"{group.name} has inconsistent tokens ({tokens.shape}, {len(strings)} strings).")
    trace = Trace(tokens=tokens.astype(np.int64, copy=False), token_strings=strings,
                  tensors=LazyTensors(tensors, names, limits, derived), model_config=config,
                  text=read_text(group, "text", limits), label=read_text(group, "label", limits), meta=meta)
    return SavedTrace(trace=trace, histograms=_read_histograms(group_at(group, "histograms"), limits))


# The sizes a trace's panels loop over, with TinyGPT's upper bounds; a Hugging Face model's description has the same
# keys (and 0 experts for a dense model).
TRACE_SIZES = ("vocab_size", "d_model", "n_layer", "n_head", "n_kv_head", "d_mlp", "n_experts", "top_k")


def check_trace_config(config: dict[str, Any], where: str) -> None:
    """The sizes a trace's panels loop over (layers, heads, vocabulary…) are integers in range, so a hostile
    ``n_layer = 1e300`` is refused here, not looped over by a panel."""
    for key in TRACE_SIZES:
        if key in config:
            value, high = config[key], INT_RANGES[key][1]
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= high:
                raise SessionFormatError(f"{where} has a model config whose {key} is {value!r:.40}, outside "
                                         f"0…{high}.")


def _read_histograms(group: h5py.Group, limits: Limits) -> dict[str, HistogramStats]:
    check_tag(group, "histograms")
    hooks = read_strings(group, "hooks", limits, max_count=MAX_OBJECTS)
    if not hooks:
        return {}
    fields = parse_json(read_attr(group, "fields", kind=str), f"{group.name} attribute 'fields'")
    if not isinstance(fields, list) or tuple(fields) != HIST_FIELDS:
        raise SessionFormatError(f"{group.name} has unknown histogram fields.")
    edges = read_array(group, "edges", limits, kinds="iuf", ndim=2)
    counts = read_array(group, "counts", limits, kinds="iu", ndim=2)
    stats = read_array(group, "stats", limits, kinds="iuf", ndim=2)
    if not (len(edges) == len(counts) == len(stats) == len(hooks)) or stats.shape[1:] != (len(fields),) \
            or edges.shape[1] != counts.shape[1] + 1:
        raise SessionFormatError(f"{group.name} has histogram arrays of mismatched sizes.")
    result = {}
    for i, hook in enumerate(hooks):
        values = dict(zip(fields, stats[i].tolist()))
        values["n"] = _count(values["n"], group.name)
        result[hook] = HistogramStats(edges=edges[i], counts=counts[i].astype(np.int64), **values)
    return result


def _count(value: float, where: str) -> int:
    if not math.isfinite(value) or not 0 <= value < 2 ** 63:
        raise SessionFormatError(f"{where} has a histogram whose count is {value!r}.")
    return int(value)


def _read_history(group: h5py.Group, limits: Limits) -> TrainingHistory:
    check_tag(group, "training-history")
    hooks = read_strings(group, "hooks", limits, max_count=MAX_OBJECTS)
    arrays: dict[str, np.ndarray] = {"label": np.asarray(read_attr(group, "label", "", kind=str)),
                                     "hooks": np.asarray(hooks, dtype=np.str_)}
    for name in group.keys():
        if name != "hooks":
            arrays[name] = read_array(group, name, limits, kinds="iuf")
    shapes = _history_shapes(len(hooks), arrays)
    for name, shape in shapes.items():
        array = arrays.get(name)
        if array is None or len(array.shape) != len(shape) or any(s not in (None, n) for s, n in
                                                                   zip(shape, array.shape)):
            raise SessionFormatError(f"The training history in this session is incomplete ({name}).")
    for name in ("snapshot_steps", "steps"):
        if arrays[name].dtype.kind not in "iu":
            raise SessionFormatError(f"The training history's {name} should be integers.")
    stat_width = {arrays[f"stats_{i}"].shape[1] for i in range(len(hooks))}
    edge_width = {(arrays[f"edges_{i}"].shape[1], arrays[f"counts_{i}"].shape[1]) for i in range(len(hooks))}
    if stat_width - {len(HIST_FIELDS)} or any(e != c + 1 for e, c in edge_width):
        raise SessionFormatError("The training history's histogram snapshots are malformed.")
    with damaged("The training history"):
        return TrainingHistory.from_arrays(arrays)


def _history_shapes(n_hooks: int, arrays: dict[str, np.ndarray]) -> dict[str, tuple[int | None, ...]]:
    """Every array the history needs, with the lengths that must agree (None: free)."""
    steps = len(arrays["steps"]) if "steps" in arrays and arrays["steps"].ndim == 1 else -1
    snaps = len(arrays["snapshot_steps"]) if "snapshot_steps" in arrays and arrays["snapshot_steps"].ndim else -1
    shapes: dict[str, tuple[int | None, ...]] = {name: (steps,) for name in ("steps", "loss", "lr", "tokens_per_s")}
    shapes.update({"snapshot_steps": (snaps,), "snapshot_val_loss": (snaps,)})
    for i in range(n_hooks):
        shapes.update({f"edges_{i}": (snaps, None), f"counts_{i}": (snaps, None), f"stats_{i}": (snaps, None)})
    return shapes


def _read_ui(group: h5py.Group, session: Session, limits: Limits) -> None:
    check_tag(group, "ui-state")
    layout = read_array(group, "layout", limits, kinds="u", ndim=1)
    if layout.dtype != np.uint8:
        raise SessionFormatError("The saved window layout is malformed.")
    session.layout = layout.tobytes()
    session.selection = {key: read_int_attr(group, key, 0, *INT64) for key in ("layer", "head", "position")}
    panels = group_at(group, "panels")
    check_tag(panels, "panels")
    session.panels = {}
    for name in panels.keys():
        node = child(panels, name)
        if isinstance(node, h5py.Group):
            session.panels[name] = read_tree(node, limits)


def _read_notes(group: h5py.Group, session: Session, limits: Limits) -> None:
    check_tag(group, "notes")
    session.notes = read_text(group, "markdown", limits)
    columns = {key: read_array(group, key, limits, kinds="iu", ndim=1) for key in ("trace", "layer", "head",
                                                                                  "position")}
    texts = read_strings(group, "text", limits)
    if any(len(c) != len(texts) for c in columns.values()):
        raise SessionFormatError("The bookmarks in this session are incomplete.")
    lists = {key: column.tolist() for key, column in columns.items()}
    session.bookmarks = [Bookmark(int(lists["trace"][i]), int(lists["layer"][i]), int(lists["head"][i]),
                                  int(lists["position"][i]), texts[i]) for i in range(len(texts))]


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
            sources = getattr(tensors, "derived", {}).get(name)
            if sources:
                shapes[name]["sum_of"] = list(sources)
        entry = {"index": index, "label": saved.trace.label, "text": saved.trace.text,
                 "tokens": int(saved.trace.tokens.shape[-1]), "tensors": shapes}
        left_out = saved.trace.meta.get("logits_left_out")
        if isinstance(left_out, list) and all(isinstance(n, int) and not isinstance(n, bool) for n in left_out):
            entry["logits_left_out"] = left_out
        traces.append(entry)
    model = None
    if session.model is not None:
        model = {"source": session.model.source, "config": _finite(session.model.config),
                 "weights": session.model.weights is not None}
    return {
        "format_version": session.meta.get("format_version"), "app_version": session.meta.get("app_version"),
        "created": session.meta.get("created"), "model": model, "traces": traces,
        "training_steps": len(session.history), "snapshots": len(session.history.snapshots),
        "notes_chars": len(session.notes), "bookmarks": len(session.bookmarks),
    }


def _finite(value: Any) -> Any:
    """JSON has no NaN or infinity: a config holding one prints it as a string, so `info --json` stays JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value
