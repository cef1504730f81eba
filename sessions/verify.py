"""`lmscope info FILE --verify`: is this session sound, before a teammate opens it?

Opens the file as the app would (every wall of sessions/guard.py), then reads every dataset block by block in
bounded memory — each block is checked and dropped, so a 10 GB session is verified in ~16 MB steps — which makes
HDF5 check the fletcher32 checksum of every chunk that has one, and checks our own invariants: tensor shapes agree
with the trace's config and token count, attention patterns are probability rows, weights match the model config
and are finite, bookmarks and the selection point inside the session. Each problem is one sentence.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from lmscope.sessions.errors import SessionFormatError
from lmscope.sessions.guard import blocks, child
from lmscope.sessions.hdf5 import H5_ERRORS
from lmscope.sessions.limits import memory_guard
from lmscope.sessions.reader import open_session
from lmscope.sessions.session import LazyTensors, Session

ROW_TOLERANCE = 1e-3  # float32 softmax rows of 64k entries sum to 1 within ~1e-5; float16-stored within ~1e-3
MAX_PROBLEMS = 100  # a badly broken file is not listed in full
_LAYER = re.compile(r"blocks\.(\d+)\.")
# The trailing dimensions of each kind of hook, after (batch, pos), by the config keys that size them.
_TRAILING: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("hook_embed", ("d_model",)), ("hook_pos_embed", ("d_model",)), ("hook_resid_pre", ("d_model",)),
    ("hook_resid_mid", ("d_model",)), ("hook_resid_post", ("d_model",)), ("hook_attn_out", ("d_model",)),
    ("hook_mlp_out", ("d_model",)), ("hook_normalized", ("d_model",)),
    ("attn.hook_q", ("n_head", "d_head")), ("attn.hook_z", ("n_head", "d_head")),
    ("attn.hook_k", ("n_kv_head", "d_head")), ("attn.hook_v", ("n_kv_head", "d_head")),
    ("mlp.hook_pre", ("d_mlp",)), ("mlp.hook_post", ("d_mlp",)), ("logits", ("vocab_size",)),
)


@dataclass
class Verdict:
    path: str
    problems: list[str] = field(default_factory=list)
    datasets: int = 0
    checksummed: int = 0
    bytes_read: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, sentence: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(sentence)

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.path, "ok": self.ok, "problems": list(self.problems), "datasets": self.datasets,
                "checksummed": self.checksummed, "bytes_read": self.bytes_read}


def verify_session(path: str | Path, *, force: bool = False) -> Verdict:
    verdict = Verdict(str(path))
    try:
        session = open_session(path, force=force)
    except SessionFormatError as exc:
        verdict.add(str(exc))
        return verdict
    try:
        with memory_guard("Verifying the session"):
            _check_everything(session, verdict)
    except SessionFormatError as exc:
        verdict.add(str(exc))
    finally:
        session.close()
    return verdict


def _check_everything(session: Session, verdict: Verdict) -> None:
    tensor_checks: dict[str, Callable[[h5py.Dataset, tuple[slice, ...], np.ndarray], None]] = {}
    for index, saved in enumerate(session.traces):
        _check_trace(index, saved.trace, verdict, tensor_checks)
    _check_model(session, verdict)
    _check_pointers(session, verdict)
    assert session.handle is not None
    _stream_all(session.handle, verdict, tensor_checks)


def _config_sizes(config: dict[str, Any]) -> dict[str, int]:
    sizes = {k: v for k, v in config.items() if isinstance(v, int) and not isinstance(v, bool)}
    if sizes.get("d_model") and sizes.get("n_head") and "d_head" not in sizes:
        sizes["d_head"] = sizes["d_model"] // sizes["n_head"]
    if config.get("ffn") == "moe":  # a mixture's shared experts may have their own width (Qwen2-MoE's do)
        sizes.pop("d_mlp", None)
    return sizes


def _check_trace(index: int, trace: Any, verdict: Verdict, checks: dict[str, Callable[..., None]]) -> None:
    tensors = trace.tensors
    if not isinstance(tensors, LazyTensors):
        return
    sizes = _config_sizes(trace.model_config)
    batch, n_pos = trace.tokens.shape
    vocab = sizes.get("vocab_size")
    if vocab is not None and trace.tokens.size and (trace.tokens.min() < 0 or trace.tokens.max() >= vocab):
        verdict.add(f"Trace {index} holds token ids outside its vocabulary of {vocab}.")
    for name in tensors:
        where = f"Trace {index}'s {name}"
        shape = tensors.shape_dtype(name)[0]
        layer = _LAYER.match(name)
        if layer and "n_layer" in sizes and int(layer[1]) >= sizes["n_layer"]:
            verdict.add(f"{where} names layer {layer[1]}, but the trace's model has {sizes['n_layer']} layers.")
        expected = _expected_shape(name, batch, n_pos, sizes)
        if expected is not None and shape != expected:
            verdict.add(f"{where} has shape {shape}; its config and {n_pos} tokens need {expected}.")
        elif name.endswith("hook_pattern"):
            checks[tensors.dataset(name).name] = _pattern_rows(where, verdict)


def _expected_shape(name: str, batch: int, n_pos: int, sizes: dict[str, int]) -> tuple[int, ...] | None:
    if name.endswith(("attn.hook_pattern", "attn.hook_attn_scores")):
        return (batch, sizes["n_head"], n_pos, n_pos) if "n_head" in sizes else None
    for suffix, dims in _TRAILING:
        if name == suffix or name.endswith("." + suffix):
            if any(dim not in sizes for dim in dims):
                return None  # a config that does not say (a foreign model's): nothing to compare with
            return (batch, n_pos, *(sizes[dim] for dim in dims))
    return None


def _pattern_rows(where: str, verdict: Verdict) -> Callable[[h5py.Dataset, tuple[slice, ...], np.ndarray], None]:
    reported = []

    def check(dataset: h5py.Dataset, selection: tuple[slice, ...], block: np.ndarray) -> None:
        if reported or block.size == 0:
            return
        values = block.astype(np.float64, copy=False)
        if not np.isfinite(values).all() or values.min() < -ROW_TOLERANCE or values.max() > 1 + ROW_TOLERANCE:
            reported.append(True)
            verdict.add(f"{where} is not a probability pattern: it holds values outside [0, 1].")
            return
        sums = values.sum(axis=-1)
        if not (np.isclose(sums, 1.0, atol=ROW_TOLERANCE) | (sums == 0)).all():
            reported.append(True)
            verdict.add(f"{where} is not a probability pattern: a row sums to {float(sums.flat[0]):.4g}, not 1.")

    return check


def _check_model(session: Session, verdict: Verdict) -> None:
    from lmscope.backend.errors import BadInputError
    from lmscope.backend.models.config import TinyGPTConfig
    from lmscope.backend.models.tokenizer import CharTokenizer
    from lmscope.sessions.models import check_weight_shapes, expected_weight_shapes

    part = session.model
    if part is None or part.config.get("kind", "tinygpt") != "tinygpt":
        return  # a Hugging Face model's session records its folder, not its weights
    try:
        config = TinyGPTConfig.from_dict(part.config)
        vocab = CharTokenizer.from_json(part.tokenizer_json).vocab_size
        if vocab != config.vocab_size:
            verdict.add(f"The model's vocabulary has {vocab} tokens but its config says {config.vocab_size}.")
        if part.weights is not None:
            check_weight_shapes(part.weights, expected_weight_shapes(config))
    except (BadInputError, RecursionError) as exc:
        verdict.add(f"The session's model is not usable: {exc}" if not isinstance(exc, SessionFormatError)
                    else str(exc))


def _check_pointers(session: Session, verdict: Verdict) -> None:
    """Bookmarks and the selection point at a trace, layer, head and position that exist."""
    for number, mark in enumerate(session.bookmarks, 1):
        if not -1 <= mark.trace < len(session.traces):
            verdict.add(f"Bookmark {number} points at trace {mark.trace}, which the session does not hold.")
            continue
        trace = session.traces[mark.trace].trace if session.traces else None
        if trace is not None and not _inside(trace, mark.layer, mark.head, mark.position):
            verdict.add(f"Bookmark {number} points at layer {mark.layer}, head {mark.head}, position "
                        f"{mark.position}, outside trace {mark.trace}.")
    if session.traces and 0 <= session.current_trace < len(session.traces):
        sel = session.selection
        trace = session.traces[session.current_trace].trace
        if not _inside(trace, sel.get("layer", 0), sel.get("head", 0), sel.get("position", -1)):
            verdict.add(f"The saved selection (layer {sel.get('layer')}, head {sel.get('head')}, position "
                        f"{sel.get('position')}) is outside the current trace.")


def _inside(trace: Any, layer: int, head: int, position: int) -> bool:
    sizes = _config_sizes(trace.model_config)
    return (0 <= layer < sizes.get("n_layer", 1 << 62) and 0 <= head < sizes.get("n_head", 1 << 62)
            and -1 <= position < trace.tokens.shape[-1])


def _stream_all(f: h5py.File, verdict: Verdict, checks: dict[str, Callable[..., None]]) -> None:
    stack: list[h5py.Group] = [f]
    while stack:
        group = stack.pop()
        for name in group.keys():
            node = child(group, name)
            if isinstance(node, h5py.Group):
                stack.append(node)
            else:
                _stream(node, verdict, checks.get(node.name))


def _stream(dataset: h5py.Dataset, verdict: Verdict, check: Callable[..., None] | None) -> None:
    verdict.datasets += 1
    checksummed = bool(dataset.fletcher32)
    verdict.checksummed += checksummed
    if dataset.shape is None or dataset.ndim == 0:
        return
    try:
        for selection in blocks(dataset, whole_rows=check is not None):
            block = dataset[selection]
            verdict.bytes_read += block.nbytes
            if check is not None:
                check(dataset, selection, block)
            elif dataset.name.startswith("/model/weights/") and block.dtype.kind == "f" \
                    and not np.isfinite(block).all():
                verdict.add(f"The model weight {dataset.name.rsplit('/', 1)[-1]} holds NaN or infinite values.")
                return
    except H5_ERRORS as exc:
        what = "fails its checksum or cannot be decompressed" if checksummed else "cannot be read"
        verdict.add(f"{dataset.name} {what}: the file is damaged ({type(exc).__name__}).")
