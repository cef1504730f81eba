"""One head with a mask beside the same head under plain causal attention, and what the mask did to the prediction.

For the variants dock's Masks tab (and anyone comparing a mask headless): prefix LM, bidirectional, position-based
sparse patterns and the content-based kinds (top-k, LSH), whose kept keys are read back from the masked scores.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from lmscope.backend.attention.generate import compare_next_token
from lmscope.backend.attention.kvcache import kv_cache_bytes, shape_of_config
from lmscope.backend.attention.masks import MaskSpec, allowed_from_scores
from lmscope.backend.capture import capture
from lmscope.backend.errors import BadInputError
from lmscope.backend.jobs import JobProgress
from lmscope.backend.models.tinygpt import KVCache, TinyGPT


@dataclass(frozen=True)
class MaskComparison:
    spec_text: str
    layer: int
    head: int
    tokens: list[str]
    plain: np.ndarray = field(repr=False)  # (query, key) pattern under causal attention
    masked: np.ndarray = field(repr=False)  # (query, key) pattern with the mask
    kept: np.ndarray = field(repr=False)  # (query, key) bool: the keys the head attended over
    buckets: np.ndarray | None = field(repr=False)  # (pos,) the queries' LSH buckets, or None
    key_buckets: np.ndarray | None = field(repr=False)  # (pos,) the keys' LSH buckets, or None
    kl: float  # KL(causal ‖ masked) of the next-token distribution at the last position, nats
    argmax_changed: bool
    prefix: int = 0  # the prefix-LM boundary (0: none)

    def summary(self) -> str:
        counts = self.kept.sum(-1)
        return (f"{self.spec_text}: layer {self.layer}, head {self.head} keeps {counts.mean():.2f} keys per query on "
                f"average ({int(counts.min())}–{int(counts.max())}); KL(causal ‖ masked) of the next token = "
                f"{self.kl:.4f} nats{', and the top prediction changes' if self.argmax_changed else ''}.")


def mask_comparison_job(model: TinyGPT, ids: Sequence[int], tokens: Sequence[str], spec: MaskSpec, layer: int,
                        head: int) -> Iterator[object]:
    """Capture token ``ids`` with and without ``spec``; one :class:`MaskComparison` for (layer, head)."""
    cfg = model.cfg
    if not (0 <= layer < cfg.n_layer and 0 <= head < cfg.n_head):
        raise BadInputError(f"There is no head L{layer}H{head} in this {cfg.n_layer}×{cfg.n_head} model.")
    ids = [int(i) for i in ids]
    if not ids:
        raise BadInputError("The prompt is empty; capture some text first.")
    T = len(ids)
    prefix = f"blocks.{layer}.attn."
    yield JobProgress(0.2, "Running with plain causal attention…")
    plain = capture(model, ids, [prefix + "hook_pattern", "logits"])
    yield JobProgress(0.6, f"Running with {spec.to_spec()}…")
    masked = capture(model, ids, [prefix + "hook_pattern", prefix + "hook_attn_scores", prefix + "hook_q_bucket",
                                  prefix + "hook_k_bucket", "logits"], allowed=spec.model_mask(T, device=model.device))
    change = compare_next_token(plain["logits"][0], masked["logits"][0], T - 1)
    buckets, key_buckets = masked.get(prefix + "hook_q_bucket"), masked.get(prefix + "hook_k_bucket")
    yield MaskComparison(spec.to_spec(), layer, head, list(tokens),
                         plain[prefix + "hook_pattern"][0, head], masked[prefix + "hook_pattern"][0, head],
                         allowed_from_scores(masked[prefix + "hook_attn_scores"][0, head]),
                         None if buckets is None else buckets[0, head],
                         None if key_buckets is None else key_buckets[0, head], change.kl, change.argmax_changed,
                         min(spec.prefix, T))


@dataclass(frozen=True)
class LiveCache:
    """The bytes a model's KV cache really holds after reading a prompt, beside the closed form for its kind."""

    kind: str
    tokens: int
    measured: int
    closed_form: int
    dtype: str


def live_cache_job(model: TinyGPT, token_ids: np.ndarray) -> Iterator[object]:
    """Read ``token_ids`` (pos,) into a fresh KVCache, as generation does, and measure it."""
    yield JobProgress(0.5, "Measuring the KV cache…")
    cache = KVCache(model.cfg.n_layer)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(torch.as_tensor(np.asarray(token_ids), dtype=torch.long, device=model.device)[None], cache=cache)
    finally:
        model.train(was_training)
    element = model.embed.weight.element_size()
    dtype = {4: "fp32", 2: "bf16" if model.embed.weight.dtype == torch.bfloat16 else "fp16", 1: "fp8"}[element]
    shape = shape_of_config(model.cfg.to_dict())
    yield LiveCache(shape.kind, cache.length, cache.nbytes, kv_cache_bytes(shape, cache.length, dtype)[shape.kind],
                    dtype)
