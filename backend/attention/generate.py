"""Token-by-token generation with a KV cache, next-token distributions, and head ablation.

Generation (greedy, temperature, top-k) is a generator of :class:`GenerationStep` events: the new token, the top 10
of the distribution it was drawn from, the cache length, and the new query row's attention in every layer and
head. Ablation replaces chosen heads' z before W_O and chosen layers' MLP (or MoE) output (zeros, or the mean over
the prompt's positions, or over the positions of a set of reference prompts), and :func:`compare_next_token` reports
what that (or a mask) did to the prediction: top-k before/after and KL.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import torch

from lmscope.backend.capture import to_numpy
from lmscope.backend.errors import BadInputError
from lmscope.backend.models.layers import HeadAblation
from lmscope.backend.models.recorder import Recorder
from lmscope.backend.models.tinygpt import KVCache, TinyGPT

TOP_K_SHOWN = 10
STRATEGIES = ("greedy", "temperature", "top-k")


def softmax(logits: np.ndarray) -> np.ndarray:
    z = np.asarray(logits, dtype=np.float64)
    z = np.exp(z - z.max(-1, keepdims=True))
    return z / z.sum(-1, keepdims=True)


def kl_divergence(p: np.ndarray, q: np.ndarray) -> float:
    """KL(p‖q) = Σ p (log p − log q) in nats (CONCEPTS.md), 0 log 0 = 0; ∞ if q misses mass p has."""
    p, q = np.asarray(p, dtype=np.float64), np.asarray(q, dtype=np.float64)
    support = p > 0
    with np.errstate(divide="ignore"):
        return float(np.sum(p[support] * (np.log(p[support]) - np.log(q[support]))))


def top_tokens(probs: np.ndarray, k: int = TOP_K_SHOWN) -> tuple[np.ndarray, np.ndarray]:
    """Ids and probabilities of the k most likely tokens, most likely first (ties by lower id)."""
    order = np.lexsort((np.arange(len(probs)), -probs))[:k]
    return order, probs[order]


@dataclass(frozen=True)
class NextTokenChange:
    """The next-token distribution at one position before and after an intervention."""

    position: int
    before_ids: np.ndarray
    before_probs: np.ndarray
    after_ids: np.ndarray
    after_probs: np.ndarray
    kl: float  # KL(before ‖ after), nats
    argmax_changed: bool

    def rows(self, vocab: tuple[str, ...]) -> tuple[list[tuple[str, float]], list[tuple[str, float]]]:
        """(token, probability) rows before and after, for the top-k tables."""
        before = [(vocab[i], float(p)) for i, p in zip(self.before_ids, self.before_probs)]
        after = [(vocab[i], float(p)) for i, p in zip(self.after_ids, self.after_probs)]
        return before, after


def compare_next_token(before_logits: np.ndarray, after_logits: np.ndarray, position: int,
                       k: int = TOP_K_SHOWN) -> NextTokenChange:
    """``*_logits`` (pos, vocab) of the same sequence; compares the distributions predicted at ``position``."""
    p, q = softmax(before_logits[position]), softmax(after_logits[position])
    b_ids, b_probs = top_tokens(p, k)
    a_ids, a_probs = top_tokens(q, k)
    return NextTokenChange(position, b_ids, b_probs, a_ids, a_probs, kl_divergence(p, q), int(b_ids[0]) != int(a_ids[0]))


# --- head ablation -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AblationSpec:
    """Heads to ablate as (layer, head) pairs, layers whose MLP (or MoE) output is ablated, and how: "zero" or
    "mean" (the component's mean output over positions)."""

    heads: tuple[tuple[int, int], ...] = ()
    mode: str = "zero"
    mlps: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if self.mode not in ("zero", "mean"):
            raise BadInputError(f"Ablation is zero or mean, not {self.mode!r}.")

    def to_text(self) -> list[str]:
        return [f"L{layer}H{head}" for layer, head in self.heads] + [f"L{layer}MLP" for layer in self.mlps]


Reference = Sequence[torch.Tensor] | None  # prompts (1, T_i) whose positions a mean-ablation averages over


@torch.no_grad()
def _mean_over(model: TinyGPT, names: list[str], tokens: torch.Tensor, reference: Reference,
               dims: int) -> dict[str, torch.Tensor]:
    """Each named activation's mean over the batch and positions of ``tokens`` — or, with ``reference``, over
    every position of every reference prompt (prompts of any lengths, each position weighted once)."""
    runs = [tokens] if reference is None else list(reference)
    if not runs:
        raise BadInputError("Mean-ablation over a set of prompts needs at least one prompt.")
    sums: dict[str, torch.Tensor] = {}
    count = 0
    for run in runs:
        rec = Recorder(names)
        model(run, rec=rec)
        for name in names:
            total = rec.tensors[name].sum(dim=tuple(range(dims)))
            sums[name] = total if name not in sums else sums[name] + total
        count += int(run.shape[0] * run.shape[1])
    return {name: total / count for name, total in sums.items()}


@torch.no_grad()
def head_ablations(model: TinyGPT, spec: AblationSpec, tokens: torch.Tensor,
                   reference: Reference = None) -> dict[int, HeadAblation]:
    """Per layer, the :class:`HeadAblation` for ``spec``; mean-ablation reads the clean z of ``tokens`` (or of the
    ``reference`` prompts when given)."""
    cfg = model.cfg
    for layer, head in spec.heads:
        if not (0 <= layer < cfg.n_layer and 0 <= head < cfg.n_head):
            raise BadInputError(f"There is no head L{layer}H{head} in this {cfg.n_layer}×{cfg.n_head} model.")
    means: dict[int, torch.Tensor] = {}
    if spec.mode == "mean" and spec.heads:
        names = sorted({f"blocks.{layer}.attn.hook_z" for layer, _ in spec.heads})
        z = _mean_over(model, names, tokens, reference, dims=2)
        means = {layer: z[f"blocks.{layer}.attn.hook_z"] for layer, _ in spec.heads}
    ablations: dict[int, HeadAblation] = {}
    for layer, head in spec.heads:
        if layer not in ablations:
            ablations[layer] = HeadAblation(keep=torch.ones(cfg.n_head, dtype=torch.bool, device=model.device),
                                            replacement=torch.zeros(cfg.n_head, cfg.d_head, device=model.device))
        ablations[layer].keep[head] = False
        if spec.mode == "mean":
            ablations[layer].replacement[head] = means[layer][head]
    return ablations


@torch.no_grad()
def mlp_ablations(model: TinyGPT, spec: AblationSpec, tokens: torch.Tensor,
                  reference: Reference = None) -> dict[int, torch.Tensor]:
    """Per layer in ``spec.mlps``, the (d_model,) vector its MLP output is replaced by: zeros, or the mean
    ``hook_mlp_out`` over the positions of ``tokens`` (or of the ``reference`` prompts)."""
    cfg = model.cfg
    for layer in spec.mlps:
        if not 0 <= layer < cfg.n_layer:
            raise BadInputError(f"There is no MLP in layer {layer} of this {cfg.n_layer}-layer model.")
    if spec.mode == "zero" or not spec.mlps:
        return {layer: torch.zeros(cfg.d_model, device=model.device) for layer in spec.mlps}
    names = sorted({f"blocks.{layer}.hook_mlp_out" for layer in spec.mlps})
    means = _mean_over(model, names, tokens, reference, dims=2)
    return {layer: means[f"blocks.{layer}.hook_mlp_out"] for layer in spec.mlps}


@contextmanager
def ablated(model: TinyGPT, ablations: dict[int, HeadAblation],
            mlps: dict[int, torch.Tensor] | None = None) -> Iterator[TinyGPT]:
    """Run ``model`` with the given heads (and MLPs: layer -> replacement output) ablated inside the ``with``
    block; restores the previous state."""
    previous = [block.attn.ablation for block in model.blocks]
    handles = []
    try:
        for layer, ablation in ablations.items():
            model.blocks[layer].attn.ablation = ablation
        for layer, replacement in (mlps or {}).items():
            # A forward hook's return value replaces the module's output: the FFN (dense or MoE) writes the
            # replacement at every position, before the block's dropout and its hook_mlp_out record.
            handles.append(model.blocks[layer].ffn.register_forward_hook(
                lambda _module, _args, out, r=replacement: r.to(out.dtype).expand_as(out)))
        yield model
    finally:
        for handle in handles:
            handle.remove()
        for block, old in zip(model.blocks, previous):
            block.attn.ablation = old


# --- generation ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class GenerateSettings:
    strategy: str = "greedy"
    temperature: float = 1.0
    top_k: int = 10
    steps: int = 20
    seed: int = 0

    def __post_init__(self) -> None:
        if self.strategy not in STRATEGIES:
            raise BadInputError(f"The sampling strategy is one of {', '.join(STRATEGIES)}, not {self.strategy!r}.")
        if self.temperature <= 0 or self.top_k < 1 or self.steps < 1:
            raise BadInputError("Temperature must be > 0, top-k ≥ 1 and the number of steps ≥ 1.")


@dataclass(frozen=True)
class GenerationStep:
    step: int  # 1-based
    token_id: int
    top_ids: np.ndarray  # the distribution the token was drawn from (after temperature/top-k), top 10
    top_probs: np.ndarray
    cache_length: int  # positions in the KV cache after this step
    query_attention: np.ndarray = field(repr=False)  # (layer, head, cache_length): the new query row's pattern
    new_keys: np.ndarray = field(repr=False)  # (layer, rows, kv_head, d_head): what this step appended to K —
    # every prompt row at step 1, one row after that


def sampling_distribution(logits: torch.Tensor, settings: GenerateSettings) -> torch.Tensor:
    """Probabilities over the vocabulary that the next token is drawn from (greedy: the plain softmax)."""
    logits = logits.double()
    if settings.strategy == "greedy":
        return torch.softmax(logits, -1)
    logits = logits / settings.temperature
    if settings.strategy == "top-k":
        k = min(settings.top_k, logits.shape[-1])
        threshold = torch.topk(logits, k).values[-1]
        logits = logits.masked_fill(logits < threshold, float("-inf"))
    return torch.softmax(logits, -1)


@torch.no_grad()
def generate(model: TinyGPT, prompt_ids: Sequence[int], settings: GenerateSettings) -> Iterator[GenerationStep]:
    """Read the prompt once into a KV cache, then add one token per step (only its query row is computed)."""
    if not prompt_ids:
        raise BadInputError("Generation needs a prompt of at least one token.")
    model.eval()
    rng = torch.Generator().manual_seed(settings.seed)
    cache = KVCache(model.cfg.n_layer)
    tokens = torch.tensor([list(prompt_ids)], dtype=torch.long, device=model.device)
    limit = model.cfg.n_ctx if model.cfg.pos == "learned" else None
    for step in range(1, settings.steps + 1):
        if limit is not None and cache.length + tokens.shape[1] > limit:
            return  # learned positions end at n_ctx: stop rather than fail
        rec = Recorder("*hook_pattern")
        logits = model(tokens, rec=rec, cache=cache)[0, -1]
        probs = sampling_distribution(logits.cpu(), settings)
        if settings.strategy == "greedy":
            token = int(torch.argmax(probs))
        else:
            token = int(torch.multinomial(probs.float(), 1, generator=rng))
        ids, top = top_tokens(to_numpy(probs))
        rows = np.stack([to_numpy(rec.tensors[f"blocks.{layer}.attn.hook_pattern"][0, :, -1])
                         for layer in range(model.cfg.n_layer)])
        keys = np.stack([to_numpy(layer.k[0, -tokens.shape[1]:]) for layer in cache.layers])
        yield GenerationStep(step, token, ids, top, cache.length, rows, keys)
        tokens = torch.tensor([[token]], dtype=torch.long, device=model.device)
