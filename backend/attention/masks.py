"""Attention masks as boolean matrices (True = the query may attend to the key), and how they combine.

Each kind is a plain function returning a (T, T) matrix, so a test can compare it with one built by hand. A
:class:`MaskSpec` combines them the way the Longformer/BigBird family does: the sparse patterns (window, dilated,
global, random, block, custom) are OR-ed — a query sees a key if any pattern lets it — and the restrictions are
AND-ed on top: causal (no future keys), padding (no pad keys) and the cells a user painted out by hand. With no
sparse pattern chosen every key is allowed before the restrictions, so the plain spec is ordinary causal attention.
The spec round-trips through one line of text (``to_text`` / ``parse``) for session files.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from lmscope.backend.errors import BadInputError


def causal_mask(T: int) -> np.ndarray:
    """Key j is visible from query i when j ≤ i (CONCEPTS.md: the upper triangle is −∞)."""
    return np.tri(T, T, dtype=bool)


def window_mask(T: int, w: int) -> np.ndarray:
    """Sliding window / band: |i − j| < w, so w = 1 is the diagonal and, with causal, a query sees w keys."""
    offset = np.arange(T)[:, None] - np.arange(T)[None, :]
    return np.abs(offset) < w


def dilated_mask(T: int, w: int, d: int) -> np.ndarray:
    """Dilated window (Longformer): keys at i ± k·d for k = 0…w−1, i.e. a band of w with gaps of d − 1."""
    offset = np.abs(np.arange(T)[:, None] - np.arange(T)[None, :])
    return (offset % d == 0) & (offset < w * d)


def global_mask(T: int, positions: Sequence[int]) -> np.ndarray:
    """Global tokens see every key and are seen by every query (their rows and columns are all True)."""
    allowed = np.zeros((T, T), dtype=bool)
    chosen = [p for p in positions if 0 <= p < T]
    allowed[chosen, :] = True
    allowed[:, chosen] = True
    return allowed


def random_mask(T: int, p: float, seed: int) -> np.ndarray:
    """Each cell independently with probability p (BigBird's random keys), reproducible from the seed."""
    return np.random.default_rng(seed).random((T, T)) < p


def block_mask(T: int, block: int) -> np.ndarray:
    """Block-local: query and key in the same block of ``block`` consecutive positions."""
    index = np.arange(T) // block
    return index[:, None] == index[None, :]


def custom_mask(T: int, blocked: Sequence[tuple[int, int]]) -> np.ndarray:
    """All True except the (query, key) cells a user painted out."""
    allowed = np.ones((T, T), dtype=bool)
    for i, j in blocked:
        if 0 <= i < T and 0 <= j < T:
            allowed[i, j] = False
    return allowed


def padding_mask(key_valid: np.ndarray) -> np.ndarray:
    """(batch, 1, T) → (batch, T, T): pad keys (False in ``key_valid``) are hidden from every query."""
    key_valid = np.asarray(key_valid, dtype=bool)
    return np.broadcast_to(key_valid[:, None, :], (key_valid.shape[0], key_valid.shape[1], key_valid.shape[1]))


@dataclass(frozen=True)
class MaskSpec:
    causal: bool = True
    window: int = 0  # 0 = off
    dilated: tuple[int, int] = (0, 0)  # (w, d); w = 0 is off
    global_positions: tuple[int, ...] = ()
    random_p: float = 0.0  # 0 = off
    random_seed: int = 0
    block: int = 0  # 0 = off
    custom_blocked: tuple[tuple[int, int], ...] = field(default=())  # painted-out (query, key) cells

    def __post_init__(self) -> None:
        if self.window < 0 or self.block < 0 or min(self.dilated) < 0:
            raise BadInputError("Window, dilation and block sizes must be ≥ 0 (0 switches the pattern off).")
        if self.dilated[0] and self.dilated[1] < 1:
            raise BadInputError("A dilated window needs a dilation d ≥ 1.")
        if not 0.0 <= self.random_p <= 1.0:
            raise BadInputError(f"The random-mask probability must be in [0, 1], not {self.random_p}.")

    @property
    def is_plain_causal(self) -> bool:
        return self == MaskSpec()

    def sparse_parts(self, T: int) -> list[np.ndarray]:
        parts = []
        if self.window:
            parts.append(window_mask(T, self.window))
        if self.dilated[0]:
            parts.append(dilated_mask(T, *self.dilated))
        if self.global_positions:
            parts.append(global_mask(T, self.global_positions))
        if self.random_p:
            parts.append(random_mask(T, self.random_p, self.random_seed))
        if self.block:
            parts.append(block_mask(T, self.block))
        return parts

    def matrix(self, T: int) -> np.ndarray:
        """The (T, T) allowed matrix for one unpadded sequence."""
        parts = self.sparse_parts(T)
        allowed = np.logical_or.reduce(parts) if parts else np.ones((T, T), dtype=bool)
        if self.causal:
            allowed &= causal_mask(T)
        if self.custom_blocked:
            allowed &= custom_mask(T, self.custom_blocked)
        return allowed

    def allowed(self, T: int, key_valid: np.ndarray | None = None) -> np.ndarray:
        """(batch, 1, T, T) bool, broadcastable over heads as TinyGPT's ``allowed`` expects."""
        allowed = self.matrix(T)[None]
        if key_valid is not None:
            allowed = allowed & padding_mask(key_valid)
        return np.ascontiguousarray(allowed[:, None])

    def toggled(self, query: int, key: int) -> "MaskSpec":
        """The spec with one painted cell added or removed."""
        cells = set(self.custom_blocked)
        cells ^= {(query, key)}
        return replace(self, custom_blocked=tuple(sorted(cells)))

    def to_text(self) -> str:
        words = ["causal" if self.causal else "bidirectional"]
        if self.window:
            words.append(f"window={self.window}")
        if self.dilated[0]:
            words.append(f"dilated={self.dilated[0]},{self.dilated[1]}")
        if self.global_positions:
            words.append("global=" + ",".join(map(str, self.global_positions)))
        if self.random_p:
            words.append(f"random={self.random_p:g}@{self.random_seed}")
        if self.block:
            words.append(f"block={self.block}")
        if self.custom_blocked:
            words.append("custom=" + ",".join(f"{i}:{j}" for i, j in self.custom_blocked))
        return " ".join(words)

    @classmethod
    def parse(cls, text: str) -> "MaskSpec":
        """The inverse of :meth:`to_text`, e.g. ``"causal window=8 global=0,5 random=0.1@3"``."""
        fields: dict[str, object] = {}
        try:
            for word in text.split():
                name, _, value = word.partition("=")
                if name in ("causal", "bidirectional") and not value:
                    fields["causal"] = name == "causal"
                elif name in ("window", "block"):
                    fields[name] = int(value)
                elif name == "dilated":
                    w, d = value.split(",")
                    fields["dilated"] = (int(w), int(d))
                elif name == "global":
                    fields["global_positions"] = tuple(int(p) for p in value.split(","))
                elif name == "random":
                    p, _, seed = value.partition("@")
                    fields["random_p"], fields["random_seed"] = float(p), int(seed or 0)
                elif name == "custom":
                    fields["custom_blocked"] = tuple(tuple(int(n) for n in c.split(":")) for c in value.split(","))
                else:
                    raise ValueError(word)
        except ValueError as exc:
            raise BadInputError(f"Cannot read the mask {text!r}: {exc} is not a mask word "
                                "(causal, window=W, dilated=W,D, global=P,…, random=P@SEED, block=B, "
                                "custom=I:J,…).") from exc
        return cls(**fields)  # type: ignore[arg-type]


@dataclass(frozen=True)
class PaddedBatch:
    """Several token sequences padded to one length; ``key_valid`` is False on the pad positions."""

    tokens: np.ndarray  # (batch, T) int64
    key_valid: np.ndarray  # (batch, T) bool
    lengths: tuple[int, ...]


def pad_batch(sequences: Sequence[Sequence[int]], pad_id: int, side: str = "right") -> PaddedBatch:
    """Pad to the longest sequence on the right (or left) with ``pad_id``, which the padding mask hides."""
    if side not in ("right", "left"):
        raise BadInputError(f"Padding goes on the right or the left, not {side!r}.")
    if not sequences or not all(len(s) for s in sequences):
        raise BadInputError("Every sequence in a padded batch needs at least one token.")
    T = max(len(s) for s in sequences)
    tokens = np.full((len(sequences), T), pad_id, dtype=np.int64)
    valid = np.zeros((len(sequences), T), dtype=bool)
    for b, seq in enumerate(sequences):
        span = slice(0, len(seq)) if side == "right" else slice(T - len(seq), T)
        tokens[b, span] = seq
        valid[b, span] = True
    return PaddedBatch(tokens=tokens, key_valid=valid, lengths=tuple(len(s) for s in sequences))
