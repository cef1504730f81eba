"""One head's attention scores and pattern, wherever they live: the one accessor every panel, job and export reads.

A capture keeps what is cheap and exact — q and k per KV head (rotated, with RoPE), v, z, the residuals — and the
full (batch, head, query, key) scores and patterns only when they are cheap too (:func:`store_patterns_by_default`:
all of them together ≤ 64 MiB, e.g. ≤ 240 tokens on GPT-2 small, ≤ 720 on the demo), when asked
(``--store-patterns``), or when the mask chose keys from the scores (top-k, LSH: no fixed matrix to recompute them
with). Otherwise a head's scores and pattern are recomputed here, exactly as the model did:

- scores = q·kᵀ for the query head and the KV head it reads (GQA/MQA: head h reads h // (heads / KV heads)),
  scaled as the model scaled them: TinyGPT divides by √(query width); a Hugging Face model multiplies by its
  attention module's own ``scaling`` (recorded per layer at capture: GPT-2 may scale by 1/(layer + 1) too, or not
  at all);
- masked with the mask the trace was captured with (``meta["mask"]``, the inspector's mask text read by
  :class:`MaskSpec`), its padding (``meta["lengths"]``/``pad_side``), and the model's own sliding window per layer
  when it built its own mask (Qwen2, Mixtral);
- softmax in float32. A row with every key masked has no distribution: TinyGPT shows it as zeros; Hugging Face's eager
  attention adds the dtype's minimum instead of −∞, so every cell of such a row is equal and the row is uniform
  (``meta["empty_rows"]``).

In float32 this agrees with the model's own pattern to round-off (tests/backend/test_patterns.py checks TinyGPT with
every inspector mask, GQA, RoPE, and Hugging Face Llama, GPT-2, BERT and Qwen2 against the patterns they output). From
a float16 capture the recomputed pattern carries float16's error in q and k (~1e-3 relative in the scores).

A bounded LRU cache keeps the last heads asked for (:data:`CACHE_BYTES`), so a head switch or a row click does not
recompute. :func:`head_blocks` walks one head in blocks of query rows for the model view, never holding its N×N.
"""
from __future__ import annotations

import math
import threading
import weakref
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from lmscope.backend.attention.masks import MaskSpec
from lmscope.backend.errors import BadInputError
from lmscope.backend.trace import Trace

PATTERN_HOOKS = ("hook_attn_scores", "hook_pattern")
# Patterns are stored by default while every score and pattern of the capture together take at most this much
# (float32): 144 heads (GPT-2 small) × 2 × T² × 4 B ≤ 64 MiB is T ≤ 241; 16 heads (the demo) T ≤ 724. Past it they
# are recomputed: at 2,048 tokens GPT-2 small's would be 4.6 GiB, its q and k 151 MiB.
STORE_PATTERNS_BYTES = 64 * 2**20
CACHE_BYTES = 256 * 2**20  # recomputed heads kept: two heads at 4,096 tokens (scores + pattern), 4,096 at 128
CACHE_HEADS = 64


def hook(layer: int, name: str) -> str:
    return f"blocks.{layer}.attn.hook_{name}"


def kv_head_of(config: dict, head: int) -> int:
    return head // (int(config["n_head"]) // int(config["n_kv_head"]))


def pattern_bytes(n_layer: int, n_head: int, n_pos: int, batch: int = 1) -> int:
    """Bytes of every score and pattern of a capture in float32: 2·L·H·B·T²·4."""
    return 2 * n_layer * n_head * batch * n_pos * n_pos * 4


def store_patterns_by_default(n_layer: int, n_head: int, n_pos: int, batch: int = 1) -> bool:
    """Whether a capture keeps full scores and patterns when nobody said: only while they are cheap."""
    return pattern_bytes(n_layer, n_head, n_pos, batch) <= STORE_PATTERNS_BYTES


# --- what a trace holds -------------------------------------------------------------------------------------------
_NAME_SETS: "weakref.WeakKeyDictionary[Any, frozenset[str]]" = weakref.WeakKeyDictionary()


def holds(trace: Trace, name: str) -> bool:
    """Whether ``trace`` holds the tensor ``name``, reading none: ``name in trace`` is Mapping's ``in``, which
    reads the tensor (a lazily stored one from the file) just to see that it is there."""
    tensors = trace.tensors
    if isinstance(tensors, dict):
        return name in tensors
    try:
        names = _NAME_SETS.get(tensors)
        if names is None:
            names = _NAME_SETS.setdefault(tensors, frozenset(tensors))
    except TypeError:  # a mapping that cannot be weakly referenced: list its names each time
        names = frozenset(tensors)
    return name in names


def qk_names(trace: Mapping[str, Any], layer: int) -> tuple[str, str] | None:
    """The q and k a layer's scores are made of (rotated when the model rotates them), or None if not captured."""
    q = hook(layer, "rot_q") if holds(trace, hook(layer, "rot_q")) else hook(layer, "q")
    k = hook(layer, "rot_k") if holds(trace, hook(layer, "rot_k")) else hook(layer, "k")
    return (q, k) if holds(trace, q) and holds(trace, k) else None


def has_attention(trace: Trace) -> bool:
    """True when every layer's pattern can be shown: stored, or recomputable from q and k."""
    return trace.n_layer > 0 and all(holds(trace, hook(layer, "pattern")) or qk_names(trace, layer) is not None
                                     for layer in range(trace.n_layer))


def pattern_source(trace: Trace) -> str:
    """``stored`` (every layer's pattern is in the trace), ``recomputed`` (from q and k), ``mixed`` or ``none``."""
    if trace.n_layer <= 0:
        return "none"
    stored = [holds(trace, hook(layer, "pattern")) for layer in range(trace.n_layer)]
    if all(stored):
        return "stored"
    if not has_attention(trace):
        return "none"
    return "recomputed" if not any(stored) else "mixed"


def key_valid_of(trace: Trace) -> np.ndarray:
    """(batch, T) bool: False on the pad positions of a padded batch (from the trace's metadata)."""
    B, T = trace.tokens.shape
    valid = np.ones((B, T), dtype=bool)
    for b, n in enumerate(trace.meta.get("lengths") or []):
        valid[b] = False
        valid[b, slice(T - int(n), T) if trace.meta.get("pad_side") == "left" else slice(0, int(n))] = True
    return valid


def mask_spec(trace: Trace) -> MaskSpec:
    return MaskSpec.parse(trace.meta.get("mask", "causal"))


def sliding_window(trace: Trace, layer: int | None) -> int:
    """The window of the model's own mask in ``layer`` (0: none), for models that made their own mask."""
    windows = trace.meta.get("sliding_window") or []
    if layer is None or not 0 <= layer < len(windows):
        return 0
    return int(windows[layer] or 0)


def allowed_of(trace: Trace, batch: int = 0, layer: int | None = None) -> np.ndarray:
    """The (query, key) mask a trace was captured with, rebuilt from its metadata: the spec text, the padding and
    (given ``layer``) the model's own sliding window there."""
    spec = mask_spec(trace)
    allowed = spec.matrix(trace.n_pos) & key_valid_of(trace)[batch][None, :]
    window = sliding_window(trace, layer)
    if window:
        allowed &= MaskSpec(causal=spec.causal, window=window).matrix(trace.n_pos)
    return allowed


def attention_scale(trace: Trace, layer: int, width: int) -> tuple[str, float]:
    """How the model scaled layer ``layer``'s scores: ("multiply", s) for a recorded factor, else ("divide", √w)."""
    scales = trace.meta.get("attn_scale") or []
    if 0 <= layer < len(scales) and scales[layer] is not None:
        return "multiply", float(scales[layer])
    return "divide", math.sqrt(width)


def head_qk(trace: Trace, layer: int, head: int, batch: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """One query head's q (T, d) and the k (T, d) of the KV head it reads, as float32."""
    names = qk_names(trace, layer)
    if names is None:
        raise BadInputError(f"This capture holds neither the pattern nor q and k of layer {layer}; capture it again "
                            "with every hook (or with --store-patterns).")
    q_all, k_all = trace[names[0]], trace[names[1]]
    n_q, n_kv = int(q_all.shape[2]), int(k_all.shape[2])
    if not 0 <= head < n_q:
        raise BadInputError(f"Layer {layer} has {n_q} heads; there is no head {head}.")
    kv = head // max(1, n_q // n_kv)
    return (np.asarray(q_all[batch, :, head], dtype=np.float32), np.asarray(k_all[batch, :, kv], dtype=np.float32))


# --- the computation ----------------------------------------------------------------------------------------------
def _scale_(scores: torch.Tensor, how: tuple[str, float]) -> torch.Tensor:
    """Scale in place with the model's own operation (× its factor, or ÷ √d), for the model's rounding."""
    op, value = how
    return scores.mul_(value) if op == "multiply" else scores.div_(value)


def _softmax(masked: torch.Tensor, empty: np.ndarray, empty_rows: str) -> torch.Tensor:
    """Row softmax in float32; rows with no allowed key are zeros (TinyGPT) or uniform (HF's additive mask)."""
    pattern = torch.softmax(masked, dim=-1)
    if empty.any():
        fill = 1.0 / masked.shape[-1] if empty_rows == "uniform" else 0.0
        pattern[torch.from_numpy(np.flatnonzero(empty))] = fill
    return pattern


@dataclass(frozen=True)
class HeadAttention:
    """One head's masked scaled scores (−∞ where masked; None when neither stored nor recomputable) and pattern."""

    scores: np.ndarray | None
    pattern: np.ndarray
    source: str  # "stored" or "recomputed"

    @property
    def nbytes(self) -> int:
        return self.pattern.nbytes + (self.scores.nbytes if self.scores is not None else 0)


def compute_head(trace: Trace, layer: int, head: int, batch: int = 0) -> HeadAttention:
    """Recompute one head's scores and pattern from the trace's q and k (see the module's notes)."""
    q, k = head_qk(trace, layer, head, batch)
    allowed = allowed_of(trace, batch, layer)
    with torch.no_grad():  # one N×N for the scores and one for the pattern; every other step in place
        masked = _scale_(torch.from_numpy(q) @ torch.from_numpy(k).T, attention_scale(trace, layer, q.shape[-1]))
        masked.masked_fill_(torch.from_numpy(~allowed), float("-inf"))
        pattern = _softmax(masked, ~allowed.any(-1), trace.meta.get("empty_rows", "zero"))
    return HeadAttention(masked.numpy(), pattern.numpy(), "recomputed")


def _stored(trace: Trace, layer: int, head: int, batch: int) -> HeadAttention:
    pattern = np.ascontiguousarray(trace[hook(layer, "pattern")][batch, head], dtype=np.float32)
    if holds(trace, hook(layer, "attn_scores")):
        scores = np.ascontiguousarray(trace[hook(layer, "attn_scores")][batch, head], dtype=np.float32)
    elif qk_names(trace, layer) is not None:
        scores = compute_head(trace, layer, head, batch).scores
    else:
        scores = None  # a format 1 file with patterns only
    return HeadAttention(scores, pattern, "stored")


class _HeadCache:
    """Least recently used heads, bounded in bytes and count; safe to share between the GUI and the worker."""

    def __init__(self, max_bytes: int, max_heads: int) -> None:
        self.max_bytes, self.max_heads = max_bytes, max_heads
        self._items: OrderedDict[tuple, tuple[weakref.ref, HeadAttention]] = OrderedDict()
        self._lock = threading.Lock()
        self.computed = 0  # heads computed (tests check the cache with it)

    def get(self, trace: Trace, key: tuple) -> HeadAttention | None:
        with self._lock:
            item = self._items.get((id(trace), *key))
            if item is None or item[0]() is not trace:
                return None
            self._items.move_to_end((id(trace), *key))
            return item[1]

    def put(self, trace: Trace, key: tuple, value: HeadAttention) -> None:
        with self._lock:
            self.computed += 1
            self._items[(id(trace), *key)] = (weakref.ref(trace), value)
            self._items.move_to_end((id(trace), *key))
            total = sum(v.nbytes for _, v in self._items.values())
            while len(self._items) > 1 and (total > self.max_bytes or len(self._items) > self.max_heads):
                _, (_, dropped) = self._items.popitem(last=False)
                total -= dropped.nbytes

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


CACHE = _HeadCache(CACHE_BYTES, CACHE_HEADS)


def head_attention(trace: Trace, layer: int, head: int, batch: int = 0) -> HeadAttention:
    """One head's scores and pattern: stored ones as they are, else recomputed (and cached)."""
    if holds(trace, hook(layer, "pattern")):
        return _stored(trace, layer, head, batch)  # LazyTensors keeps what it read; no second cache
    key = (layer, head, batch)
    cached = CACHE.get(trace, key)
    if cached is None:
        cached = compute_head(trace, layer, head, batch)
        CACHE.put(trace, key, cached)
    return cached


def is_cached(trace: Trace, layer: int, head: int, batch: int = 0) -> bool:
    """True when the head was recomputed recently and is still in the cache (stored patterns are not counted: reading
    a long one from a session file takes time too)."""
    return CACHE.get(trace, (layer, head, batch)) is not None


def pattern(trace: Trace, layer: int, head: int, batch: int = 0) -> np.ndarray:
    """(query, key) float32 softmax pattern of one head."""
    return head_attention(trace, layer, head, batch).pattern


def scores(trace: Trace, layer: int, head: int, batch: int = 0) -> np.ndarray | None:
    """(query, key) float32 scaled scores with −∞ where masked, or None for a trace that keeps patterns only."""
    return head_attention(trace, layer, head, batch).scores


def layer_tensor(trace: Trace, layer: int, name: str) -> np.ndarray:
    """A whole layer's ``attn_scores`` or ``pattern`` as a capture would have stored it: (batch, head, query, key)."""
    if name not in ("attn_scores", "pattern"):
        raise BadInputError(f"Only attn_scores and pattern are recomputed, not {name!r}.")
    if holds(trace, hook(layer, name)):
        return np.asarray(trace[hook(layer, name)])
    names = qk_names(trace, layer)
    if names is None:
        raise BadInputError(f"Layer {layer} holds no q and k to recompute its {name} from.")
    B, n_head = trace.tokens.shape[0], int(trace[names[0]].shape[2])
    out = np.empty((B, n_head, trace.n_pos, trace.n_pos), dtype=np.float32)
    for b in range(B):
        for head in range(n_head):
            computed = compute_head(trace, layer, head, b)
            out[b, head] = computed.pattern if name == "pattern" else computed.scores
    return out


class TensorsWithAttention(Mapping[str, np.ndarray]):
    """A trace's tensors plus ``hook_attn_scores``/``hook_pattern`` for every layer that keeps q and k but not them,
    computed when read: what exports list and write, so a user sees the same names whether they were stored or not."""

    def __init__(self, trace: Trace) -> None:
        self.trace = trace
        self.virtual: dict[str, tuple[int, str]] = {}
        names: list[str] = []
        pending: dict[int, list[str]] = {}
        for layer in range(trace.n_layer):
            if qk_names(trace, layer) is not None:
                pending[layer] = [hook(layer, n) for n in ("attn_scores", "pattern")
                                  if not holds(trace, hook(layer, n))]
        for name in trace.tensors:
            layer = _layer_of(name)
            if layer in pending and pending[layer] and name == hook(layer, "z"):
                names += self._add(layer, pending.pop(layer))  # where a full capture puts them: just before z
            names.append(name)
        for layer, missing in pending.items():
            names += self._add(layer, missing)
        self._names = names

    def _add(self, layer: int, missing: list[str]) -> list[str]:
        for name in missing:
            self.virtual[name] = (layer, name.rsplit("hook_", 1)[1])
        return missing

    def __getitem__(self, name: str) -> np.ndarray:
        if name in self.virtual:
            return layer_tensor(self.trace, *self.virtual[name])
        return self.trace.tensors[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


def _layer_of(name: str) -> int | None:
    parts = name.split(".")
    return int(parts[1]) if len(parts) > 2 and parts[0] == "blocks" and parts[1].isdecimal() else None


# --- one head in blocks of rows (the model view) ------------------------------------------------------------------
@dataclass(frozen=True)
class LayerMask:
    """A layer's (T, T) mask and what the blockwise walk needs from it per query row, computed once for every head."""

    allowed: np.ndarray  # (T, T) bool
    count: np.ndarray  # keys each row may see
    last_key: np.ndarray  # the last key each row may see (−1: none); causal rows need no later key
    first_hidden: np.ndarray  # the first key each row may not see (T: none), so blocks mask only from there

    @classmethod
    def of(cls, allowed: np.ndarray) -> "LayerMask":
        allowed = np.ascontiguousarray(allowed, dtype=bool)
        T = allowed.shape[1]
        any_key = allowed.any(1)
        last = np.where(any_key, T - 1 - np.argmax(allowed[:, ::-1], axis=1), -1)
        hidden = ~allowed
        first_hidden = np.where(hidden.any(1), np.argmax(hidden, axis=1), T)
        return cls(allowed, np.count_nonzero(allowed, axis=1), last, first_hidden)


@dataclass(frozen=True)
class RowBlock:
    """Rows ``start:stop`` of one head's pattern, over keys ``0:keys`` (later keys are masked for every row)."""

    start: int
    stop: int
    pattern: np.ndarray  # (stop − start, keys) float32
    entropy: np.ndarray  # (stop − start,) row entropy in nats
    allowed_count: np.ndarray  # (stop − start,) keys each row may see


def head_blocks(trace: Trace, layer: int, head: int, batch: int, mask: LayerMask | np.ndarray,
                edges: np.ndarray, rows_per_block: int = 256) -> Iterator[RowBlock]:
    """One head's pattern in blocks of query rows that start and stop on ``edges`` (the thumbnail's row bins), each
    computed from q and k over the keys any of its rows may see: memory is one block, never the head's N×N.

    ``mask`` is the layer's mask (:func:`allowed_of`, or its :class:`LayerMask` to share it between heads). The scale
    is folded into q (exact for d = 64, round-off otherwise), only the columns past a row's first hidden key are
    masked, and the entropy is H = log Z − Σ p·x with x = score − row max: no log per cell. 256 rows × 4,096 keys
    (4 MiB a temporary) ran ~20 % faster than 512 on this machine's caches.
    """
    if not isinstance(mask, LayerMask):
        mask = LayerMask.of(mask)
    q, k = head_qk(trace, layer, head, batch)
    op, value = attention_scale(trace, layer, q.shape[-1])
    q = q * np.float32(value) if op == "multiply" else q / np.float32(value)
    uniform = trace.meta.get("empty_rows", "zero") == "uniform"
    qt, kt = torch.from_numpy(q), torch.from_numpy(np.ascontiguousarray(k))
    T = q.shape[0]
    bins = len(edges) - 1
    b0 = 0
    with torch.no_grad():
        while b0 < bins:
            b1 = b0 + 1
            while b1 < bins and edges[b1] - edges[b0] < rows_per_block:
                b1 += 1
            r0, r1 = int(edges[b0]), int(edges[b1])
            keys = max(1, int(mask.last_key[r0:r1].max()) + 1)
            count = mask.count[r0:r1]
            empty = count == 0
            if uniform and empty.any():
                keys = T  # a row that sees no key is spread over every key
            s = qt[r0:r1] @ kt[:keys].T
            hide_from = min(int(mask.first_hidden[r0:r1].min()), keys)
            hidden = torch.from_numpy(~mask.allowed[r0:r1, hide_from:keys]) if hide_from < keys else None
            if hidden is not None:
                s[:, hide_from:].masked_fill_(hidden, float("-inf"))
            s -= s.amax(-1, keepdim=True)
            # exp below −87.3 (float32's smallest normal, 1.2e−38) takes x86's subnormal path, ~10× slower, and the
            # −∞ or −10⁴ of masked cells ~3× slower: floor the allowed cells at −87 (a probability under 1.6e−38 is
            # raised to it: no picture or entropy can tell) and keep the masked ones at exactly −∞ → 0.
            s.clamp_(min=-87.0)
            if hidden is not None:
                s[:, hide_from:].masked_fill_(hidden, float("-inf"))
            e = torch.exp(s)
            if hidden is not None:
                s[:, hide_from:].masked_fill_(hidden, 0.0)  # 0·(−∞) would be NaN in the entropy's Σ p·x
            z = e.sum(-1)
            entropy = torch.log(z) - s.mul_(e).sum(-1) / z  # Σ p·x: in place, 2× linalg.vecdot's speed here
            e /= z[:, None]
            if empty.any():
                rows = torch.from_numpy(np.flatnonzero(empty))
                e[rows] = 1.0 / T if uniform else 0.0
                entropy[rows] = math.log(T) if uniform else 0.0
            yield RowBlock(r0, r1, e.numpy(), entropy.numpy(), count)
            b0 = b1
