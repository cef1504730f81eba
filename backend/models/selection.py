"""Content-based sparse attention: keys chosen per head from that head's own q and k, inside the forward pass.

Position-based masks (causal, window, block, …) are fixed matrices known before the model runs. The two kinds here
are not: **top-k** keeps, for every query, the k allowed keys with the highest score q·k (the per-query selection of
Routing-Transformer-style attention), and **LSH** (Reformer, Kitaev et al. 2020, §2) hashes every query and key with
random rotations, h(x) = argmax([xR; −xR]), and lets a query see only keys in its own bucket. Both restrict an
ordinary ``allowed`` matrix (causal by default), so they combine with every position-based mask.

A query whose bucket holds no earlier key has no key to attend to: its pattern row is all zeros, as for any fully
masked row. (Reformer's shared-QK attention avoids this because a query always shares its own bucket; TinyGPT keeps
separate query and key projections, so the two are hashed separately.)
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from lmscope.backend.models.recorder import Recorder


def lsh_rotations(n_head: int, d: int, n_buckets: int, seed: int) -> torch.Tensor:
    """(head, d, buckets/2) float64 Gaussian rotations, one per query head, the same for every layer.

    Drawn from a CPU generator so that a seed gives the same buckets on every machine and device.
    """
    generator = torch.Generator().manual_seed(int(seed))
    return torch.randn((n_head, d, n_buckets // 2), generator=generator, dtype=torch.float64)


def lsh_buckets(x: torch.Tensor, rotations: torch.Tensor) -> torch.Tensor:
    """Reformer's angular hash of x (batch, head, pos, d): argmax over [xR; −xR], in float64 → (batch, head, pos)."""
    projected = torch.einsum("bhtd,hdr->bhtr", x.double(), rotations.to(x.device))
    return torch.cat([projected, -projected], dim=-1).argmax(dim=-1)


def top_k_allowed(scores: torch.Tensor, allowed: torch.Tensor, k: int) -> torch.Tensor:
    """Of the allowed keys of each query row, keep the k with the highest score (all of them when fewer)."""
    masked = scores.masked_fill(~allowed, float("-inf"))
    chosen = masked.topk(min(k, scores.shape[-1]), dim=-1).indices
    keep = torch.zeros_like(allowed).scatter_(-1, chosen, True)
    return keep & allowed  # a row with fewer than k allowed keys picked some −∞ cells: drop them again


@dataclass(frozen=True)
class KeySelection:
    """What TinyGPT's ``allowed`` argument becomes when keys are chosen from the scores.

    ``allowed`` is the position-based mask underneath (None = causal), shaped as TinyGPT takes it; ``top_k`` and
    ``lsh_buckets`` are 0 when off. LSH applies first, then top-k among the keys that are left.
    """

    allowed: torch.Tensor | None = None
    top_k: int = 0
    lsh_buckets: int = 0
    lsh_seed: int = 0

    def restrict(self, qh: torch.Tensor, kh: torch.Tensor, scores: torch.Tensor, allowed: torch.Tensor,
                 rec: Recorder | None = None, prefix: str = "") -> torch.Tensor:
        """(batch, head, query, key) bool: ``allowed`` narrowed by this selection.

        ``qh`` (batch, head, query, d), ``kh`` (batch, head, key, d) with key/value heads already repeated per
        query head; ``scores`` the scaled scores. Records the buckets as ``hook_q_bucket`` / ``hook_k_bucket``
        (batch, head, pos) int64.
        """
        allowed = allowed.expand(scores.shape)
        if self.lsh_buckets:
            rotations = lsh_rotations(qh.shape[1], qh.shape[-1], self.lsh_buckets, self.lsh_seed)
            q_bucket, k_bucket = lsh_buckets(qh, rotations), lsh_buckets(kh, rotations)
            if rec is not None:
                rec.record(prefix + "hook_q_bucket", q_bucket)
                rec.record(prefix + "hook_k_bucket", k_bucket)
            allowed = allowed & (q_bucket[..., :, None] == k_bucket[..., None, :])
        if self.top_k:
            allowed = top_k_allowed(scores, allowed, self.top_k)
        return allowed
