"""Attention masks as boolean matrices (True = the query may attend to the key), and how they combine.

Each kind is a plain function returning a (T, T) matrix, so a test can compare it with one built by hand. A
:class:`MaskSpec` combines them the way the Longformer/BigBird family does: the sparse patterns (window, dilated,
global, random, block, custom) are OR-ed — a query sees a key if any pattern lets it — and the restrictions are
AND-ed on top: causal (no future keys; with a prefix, the prefix-LM mask), padding (no pad keys) and the cells a user
painted out by hand. With no sparse pattern chosen every key is allowed before the restrictions, so the plain spec is
ordinary causal attention.

Two restrictions depend on the content, not the positions: top-k (each query keeps its k best-scoring keys) and
Reformer's LSH buckets. They are computed from each head's own q and k inside the forward pass
(:mod:`lmscope.backend.models.selection`), so :meth:`MaskSpec.model_mask` hands the model a ``KeySelection`` instead
of a matrix, and the keys a head really kept are the finite cells of its captured ``hook_attn_scores``.

The spec round-trips through one line of text for session files (``to_text``: ``causal window=8 topk=4``) and reads
the command line's form too (``to_spec``: ``causal+window:8+topk:4``); :meth:`MaskSpec.parse` takes either.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import torch

from lmscope.backend.errors import BadInputError
from lmscope.backend.models.selection import KeySelection

# The command line's mask grammar: each word's form, for help texts and refusals.
SPEC_FORMS = {
    "causal": "causal", "bidirectional": "bidirectional", "prefix": "prefix:N", "window": "window:W",
    "dilated": "dilated:W:D", "global": "global:I,J,…", "block": "block:B", "random": "random:P:SEED",
    "topk": "topk:K", "lsh": "lsh:BUCKETS:SEED", "custom": "custom:I:J,…",
}
SPEC_SYNTAX = ", ".join(SPEC_FORMS.values()) + " (joined with +, e.g. causal+window:8)"
MAX_LSH_BUCKETS = 1024  # more buckets than tokens leaves every key alone; the cap keeps the rotations small


def causal_mask(T: int) -> np.ndarray:
    """Key j is visible from query i when j ≤ i (CONCEPTS.md: the upper triangle is −∞)."""
    return np.tri(T, T, dtype=bool)


def prefix_lm_mask(T: int, n: int) -> np.ndarray:
    """Prefix LM (Raffel et al. 2020, T5 §3.2.1): the first n positions see the whole prefix, later ones are causal."""
    allowed = causal_mask(T)
    allowed[:n, :n] = True
    return allowed


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
    prefix: int = 0  # prefix LM: the first N positions see each other (needs causal); 0 = off
    top_k: int = 0  # each query keeps its k highest-scoring allowed keys; 0 = off
    lsh_buckets: int = 0  # Reformer LSH: query and key must share a bucket (even, ≥ 2); 0 = off
    lsh_seed: int = 0

    def __post_init__(self) -> None:
        if min(self.window, self.block, *self.dilated, self.prefix, self.top_k, self.lsh_buckets) < 0:
            raise BadInputError("Window, dilation, block, prefix, top-k and bucket counts must be ≥ 0 (0 is off).")
        if self.dilated[0] and self.dilated[1] < 1:
            raise BadInputError("A dilated window needs a dilation d ≥ 1.")
        if not 0.0 <= self.random_p <= 1.0:
            raise BadInputError(f"The random-mask probability must be in [0, 1], not {self.random_p}.")
        for name, seed in (("random mask", self.random_seed), ("LSH", self.lsh_seed)):
            if seed < 0:  # numpy's and torch's generators take none below 0
                raise BadInputError(f"The {name}'s seed must be ≥ 0, not {seed}.")
        if self.lsh_buckets > MAX_LSH_BUCKETS:
            raise BadInputError(f"At most {MAX_LSH_BUCKETS} LSH buckets, not {self.lsh_buckets}.")
        if self.lsh_buckets % 2:
            raise BadInputError(f"LSH hashes with argmax over [xR; −xR], so the number of buckets must be even, "
                                f"not {self.lsh_buckets}.")
        if self.prefix and not self.causal:
            raise BadInputError("A prefix only narrows a causal mask; a bidirectional one already sees every key.")

    @property
    def is_plain_causal(self) -> bool:
        return self == MaskSpec()

    @property
    def is_content_based(self) -> bool:
        """True when keys are chosen from each head's scores (top-k, LSH): no fixed matrix describes the mask."""
        return bool(self.top_k or self.lsh_buckets)

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
        """The (T, T) allowed matrix for one unpadded sequence: for a content-based spec, the keys allowed before
        top-k and LSH choose among them."""
        parts = self.sparse_parts(T)
        allowed = np.logical_or.reduce(parts) if parts else np.ones((T, T), dtype=bool)
        if self.causal:
            allowed &= prefix_lm_mask(T, self.prefix) if self.prefix else causal_mask(T)
        if self.custom_blocked:
            allowed &= custom_mask(T, self.custom_blocked)
        return allowed

    def allowed(self, T: int, key_valid: np.ndarray | None = None) -> np.ndarray:
        """(batch, 1, T, T) bool, broadcastable over heads as TinyGPT's ``allowed`` expects.

        A content-based spec has no such matrix (its keys depend on each head's scores): use :meth:`model_mask`.
        """
        if self.is_content_based:
            raise BadInputError(f"The mask {self.to_spec()} picks keys from each head's scores inside the model, "
                                "so it has no fixed matrix; run it through model_mask.")
        return self._static(T, key_valid)

    def _static(self, T: int, key_valid: np.ndarray | None) -> np.ndarray:
        allowed = self.matrix(T)[None]
        if key_valid is not None:
            allowed = allowed & padding_mask(key_valid)
        return np.ascontiguousarray(allowed[:, None])

    def model_mask(self, T: int, key_valid: np.ndarray | None = None,
                   device: torch.device | str = "cpu") -> torch.Tensor | KeySelection | None:
        """What to pass as TinyGPT's ``allowed``: None for plain causal, a bool tensor for a position-based spec,
        a ``KeySelection`` (the position-based part underneath) for top-k and LSH."""
        if self.is_plain_causal and key_valid is None:
            return None
        allowed = torch.as_tensor(self._static(T, key_valid), device=device)
        if not self.is_content_based:
            return allowed
        return KeySelection(allowed=allowed, top_k=self.top_k, lsh_buckets=self.lsh_buckets, lsh_seed=self.lsh_seed)

    def toggled(self, query: int, key: int) -> "MaskSpec":
        """The spec with one painted cell added or removed."""
        cells = set(self.custom_blocked)
        cells ^= {(query, key)}
        return replace(self, custom_blocked=tuple(sorted(cells)))

    def _words(self, eq: str, pair: str, seed: str) -> list[str]:
        """The spec as (name, value) words: ``eq`` joins them, ``pair``/``seed`` separate a value's parts."""
        words = ["causal" if self.causal else "bidirectional"]
        if self.prefix:
            words.append(f"prefix{eq}{self.prefix}")
        if self.window:
            words.append(f"window{eq}{self.window}")
        if self.dilated[0]:
            words.append(f"dilated{eq}{self.dilated[0]}{pair}{self.dilated[1]}")
        if self.global_positions:
            words.append(f"global{eq}" + ",".join(map(str, self.global_positions)))
        if self.random_p:
            words.append(f"random{eq}{self.random_p:g}{seed}{self.random_seed}")
        if self.block:
            words.append(f"block{eq}{self.block}")
        if self.custom_blocked:
            words.append(f"custom{eq}" + ",".join(f"{i}:{j}" for i, j in self.custom_blocked))
        if self.top_k:
            words.append(f"topk{eq}{self.top_k}")
        if self.lsh_buckets:
            words.append(f"lsh{eq}{self.lsh_buckets}{seed}{self.lsh_seed}")
        return words

    def to_text(self) -> str:
        """The session form, e.g. ``causal window=8 global=0,5 random=0.1@3 topk=4 lsh=8@1``."""
        return " ".join(self._words("=", ",", "@"))

    def to_spec(self) -> str:
        """The command line's form, e.g. ``causal+window:8+global:0,5+random:0.1:3+topk:4+lsh:8:1``."""
        return "+".join(self._words(":", ":", ":"))

    @classmethod
    def parse(cls, text: str) -> "MaskSpec":
        """The inverse of :meth:`to_text` and :meth:`to_spec`; one sentence (BadInputError) for anything else."""
        fields: dict[str, object] = {}
        words = text.replace("+", " ").split()
        shown = repr(text if len(text) <= 80 else text[:77] + "…")
        if not words:
            raise BadInputError(f"The mask is empty; give one of {SPEC_SYNTAX}.")
        if sum(w in ("causal", "bidirectional") for w in words) > 1:
            raise BadInputError(f"The mask {shown} names causal or bidirectional more than once; pick one.")
        for word in words:
            name, value = _split_word(word)
            try:
                fields.update(_read_word(name, value))
            except (ValueError, IndexError) as exc:
                if name in SPEC_FORMS:
                    raise BadInputError(f"Cannot read the mask {shown}: {word[:40]!r} does not fit the form "
                                        f"{SPEC_FORMS[name]}.") from exc
                raise BadInputError(f"Cannot read the mask {shown}: {word[:40]!r} is not a mask word "
                                    f"({SPEC_SYNTAX}).") from exc
        return cls(**fields)  # type: ignore[arg-type]


def _split_word(word: str) -> tuple[str, str]:
    """``window=8`` (session) or ``window:8`` (command line) → ("window", "8")."""
    eq, colon = word.find("="), word.find(":")
    cut = eq if eq >= 0 and (colon < 0 or eq < colon) else colon
    return (word, "") if cut < 0 else (word[:cut], word[cut + 1:])


def _two(value: str, separators: str) -> tuple[str, str]:
    """Split "a,b" / "a:b" / "a@b" once; a missing second part is "0" (an unspecified seed)."""
    for sep in separators:
        if sep in value:
            first, second = value.split(sep, 1)
            return first, second
    return value, "0"


def _read_word(name: str, value: str) -> dict[str, object]:
    """One mask word as MaskSpec fields; ValueError for a value that does not fit its kind."""
    if name in ("causal", "bidirectional"):
        if value:
            raise ValueError(name)
        return {"causal": name == "causal"}
    if not value:
        raise ValueError(name)
    if name in ("window", "block", "prefix"):
        return {name: int(value)}
    if name == "topk":
        return {"top_k": int(value)}
    if name == "dilated":
        w, d = _two(value, ",:")
        return {"dilated": (int(w), int(d))}
    if name == "global":
        return {"global_positions": tuple(int(p) for p in value.split(","))}
    if name == "random":
        p, seed = _two(value, "@:")
        return {"random_p": float(p), "random_seed": int(seed)}
    if name == "lsh":
        buckets, seed = _two(value, "@:")
        return {"lsh_buckets": int(buckets), "lsh_seed": int(seed)}
    if name == "custom":
        cells = [tuple(int(n) for n in cell.split(":")) for cell in value.split(",")]
        if any(len(cell) != 2 for cell in cells):
            raise ValueError(value)
        return {"custom_blocked": tuple(cells)}
    raise ValueError(name)


MASKED_BELOW = -1e4  # Hugging Face's eager attention masks by adding the dtype's minimum (−3.4e38 in float32,
# −65504 in float16) instead of −∞; no real scaled score comes near −10⁴.


def allowed_from_scores(masked_scores: np.ndarray) -> np.ndarray:
    """The keys a head really attended over: the unmasked cells of its captured ``hook_attn_scores`` (any spec,
    including top-k and LSH, whose keys no fixed matrix describes)."""
    scores = np.asarray(masked_scores)
    with np.errstate(invalid="ignore"):
        return np.isfinite(scores) & (scores > MASKED_BELOW)


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
