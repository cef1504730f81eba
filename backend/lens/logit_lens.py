"""The logit lens: unembed(final_norm(resid)) at every residual point, reduced to what the panel and CLI show.

Per (residual point, position): the top-k tokens and their log-probabilities, the entropy of the distribution
(nats), and — for a chosen target token — its rank (1 = most likely) and log-probability. Per block and position:
the tokens whose log-probability the block raised and lowered most (the change between the residual points before
and after it). Full (points × positions × vocabulary) distributions are never kept: GPT-2's would be 1.3 GB at
512 tokens.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from lmscope.backend.capture import to_numpy
from lmscope.backend.errors import BadInputError
from lmscope.backend.jobs import JobProgress
from lmscope.backend.lens.model import LensModel, check_prompt

MAX_TOP_K = 50


@dataclass(frozen=True)
class LensResult:
    names: tuple[str, ...]  # residual points, in order; the last is the model's own prediction
    token_ids: np.ndarray = field(repr=False)  # (pos,)
    token_strings: tuple[str, ...]
    top_ids: np.ndarray = field(repr=False)  # (point, pos, k) int64, most likely first
    top_logprobs: np.ndarray = field(repr=False)  # (point, pos, k) float32
    top_strings: tuple[tuple[tuple[str, ...], ...], ...] = field(repr=False)  # [point][pos][k]
    entropy: np.ndarray = field(repr=False)  # (point, pos) nats
    promoted_ids: np.ndarray = field(repr=False)  # (block, pos, k): largest rise in log-probability across the block
    promoted_delta: np.ndarray = field(repr=False)
    suppressed_ids: np.ndarray = field(repr=False)  # (block, pos, k): largest fall (delta < 0)
    suppressed_delta: np.ndarray = field(repr=False)
    promoted_strings: tuple[tuple[tuple[str, ...], ...], ...] = field(default=(), repr=False)  # [block][pos][k]
    suppressed_strings: tuple[tuple[tuple[str, ...], ...], ...] = field(default=(), repr=False)
    target: int | None = None
    target_rank: np.ndarray | None = field(default=None, repr=False)  # (point, pos), 1 = top
    target_logprob: np.ndarray | None = field(default=None, repr=False)  # (point, pos)

    @property
    def n_points(self) -> int:
        return len(self.names)

    @property
    def n_pos(self) -> int:
        return len(self.token_strings)

    def to_json(self) -> dict:
        """The ``lmscope lens --json`` object (DESIGN.md / issue 17)."""
        return {"tokens": list(self.token_strings),
                "layers": [{"name": name, "top_ids": self.top_ids[i].tolist(),
                            "top_logprobs": [[float(v) for v in row] for row in self.top_logprobs[i]],
                            "top_tokens": [list(row) for row in self.top_strings[i]]}
                           for i, name in enumerate(self.names)]}


@dataclass(frozen=True)
class LensComputed:
    result: LensResult = field(repr=False)
    text: str = ""


@torch.no_grad()
def lens_points(lm: LensModel, ids: Sequence[int], top_k: int = 5,
                target: int | None = None) -> Iterator[int | LensResult]:
    """The lens, one residual point at a time: yields each finished point's index, then the :class:`LensResult`."""
    if not 1 <= top_k <= MAX_TOP_K:
        raise BadInputError(f"Top-k must be between 1 and {MAX_TOP_K}, not {top_k}.")
    check_prompt(lm, ids)
    tokens = lm.tokens(ids)
    names = lm.residual_names()
    _, cap = lm.run(tokens, capture=names)
    W_U, b_U = lm.unembed_weight, lm.unembed_bias
    k = min(top_k, W_U.shape[1])
    top_ids, top_lp, entropy, ranks, target_lp = [], [], [], [], []
    promoted, promoted_d, suppressed, suppressed_d = [], [], [], []
    previous: torch.Tensor | None = None
    for i, name in enumerate(names):
        logits = lm.final_norm(cap[name][0]) @ W_U
        if b_U is not None:
            logits = logits + b_U
        logp = torch.log_softmax(logits.float(), dim=-1)  # (pos, vocab)
        values, indices = logp.topk(k, dim=-1)
        top_ids.append(indices)
        top_lp.append(values)
        entropy.append(-(logp.exp() * logp).sum(-1))
        if target is not None:
            mine = logp[:, target:target + 1]
            ranks.append((logp > mine).sum(-1) + 1)
            target_lp.append(mine[:, 0])
        if previous is not None:
            delta = logp - previous
            up, up_ids = delta.topk(k, dim=-1)
            down, down_ids = (-delta).topk(k, dim=-1)
            promoted.append(up_ids)
            promoted_d.append(up)
            suppressed.append(down_ids)
            suppressed_d.append(-down)
        previous = logp
        yield i
    def stacked(parts: list[torch.Tensor]) -> np.ndarray:
        return to_numpy(torch.stack(parts)) if parts else np.zeros((0, len(ids), k))

    def strings(table: np.ndarray) -> tuple[tuple[tuple[str, ...], ...], ...]:
        return tuple(tuple(tuple(lm.token_strings(row)) for row in point) for point in table)

    top = to_numpy(torch.stack(top_ids))
    up, down = stacked(promoted).astype(np.int64), stacked(suppressed).astype(np.int64)

    yield LensResult(
        names=names, token_ids=np.asarray(ids, dtype=np.int64), token_strings=tuple(lm.token_strings(ids)),
        top_ids=top, top_logprobs=to_numpy(torch.stack(top_lp)), top_strings=strings(top),
        entropy=to_numpy(torch.stack(entropy)),
        promoted_ids=up, promoted_delta=stacked(promoted_d), suppressed_ids=down, suppressed_delta=stacked(suppressed_d),
        promoted_strings=strings(up), suppressed_strings=strings(down),
        target=target, target_rank=to_numpy(torch.stack(ranks)) if ranks else None,
        target_logprob=to_numpy(torch.stack(target_lp)) if target_lp else None)


def logit_lens(lm: LensModel, ids: Sequence[int], top_k: int = 5, target: int | None = None) -> LensResult:
    *_, result = lens_points(lm, ids, top_k, target)
    assert isinstance(result, LensResult)
    return result


def lens_job(lm: LensModel, text: str, top_k: int = 5, target: int | None = None) -> Iterator[object]:
    """The lens of ``text`` in the worker: progress per residual point, then :class:`LensComputed`."""
    ids = lm.encode(text)
    n = lm.n_layer + 1
    yield JobProgress(0.0, "Running the prompt through the model…")
    for item in lens_points(lm, ids, top_k, target):
        if isinstance(item, LensResult):
            yield LensComputed(item, text)
        else:
            yield JobProgress((item + 1) / n, f"Logit lens: residual point {item + 1}/{n}")
