"""Why target and not distractor: direct logit attribution and ablation, per component.

logit diff = logit(target) − logit(distractor) at one position. With the final norm's scale σ frozen at its value
on this input, the norm is affine in the residual, so the final residual's parts (embeddings, every head's
z_h·W_O[h], the attention biases, every MLP or expert) each contribute
    (final_norm(c, σ) − final_norm(0, σ)) · (W_U[:, target] − W_U[:, distractor]),
i.e. (c − mean c)/σ·γ·Δw for LayerNorm and c/σ·g·Δw for RMSNorm, and the rest — final_norm(0, σ)·Δw (β·Δw for
LayerNorm) plus the unembedding bias difference — is the bias term. Parts plus bias sum to the logit diff.

Ablation (extending the attention tools' AblationSpec): each head's z and each MLP's output replaced by zeros or by
its mean over the prompt (or over reference prompts), and the change in the logit diff.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import torch

from lmscope.backend.attention.generate import AblationSpec
from lmscope.backend.errors import BadInputError
from lmscope.backend.jobs import JobProgress
from lmscope.backend.lens.model import Component, LensModel, check_prompt

ABLATION_MODES = ("zero", "mean")


@dataclass(frozen=True)
class Attribution:
    position: int
    target: int
    distractor: int
    logit_diff: float  # the model's own logit(target) − logit(distractor)
    components: tuple[Component, ...]
    direct: np.ndarray = field(repr=False)  # (component,) float64
    bias: float = 0.0  # the final norm's shift and the unembedding bias, through the frozen norm
    scale: float = 1.0  # σ of the final norm at the position (1 without a final norm)
    zero_ablation: np.ndarray | None = field(default=None, repr=False)  # Δ logit diff; NaN: not ablatable
    mean_ablation: np.ndarray | None = field(default=None, repr=False)

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(c.label for c in self.components)

    @property
    def total(self) -> float:
        """Σ direct + bias: the logit diff as the frozen-scale decomposition sees it."""
        return float(self.direct.sum() + self.bias)


@dataclass(frozen=True)
class AttributionComputed:
    attribution: Attribution = field(repr=False)
    target_text: str = ""
    distractor_text: str = ""


def check_pair(lm: LensModel, target: int, distractor: int) -> None:
    vocab = lm.unembed_weight.shape[1]
    for what, token in (("target", target), ("distractor", distractor)):
        if not 0 <= token < vocab:
            raise BadInputError(f"The {what} token #{token} is not in this model's vocabulary of {vocab:,}.")
    if target == distractor:
        raise BadInputError("The target and the distractor are the same token, so their logit difference is 0.")


def logit_diff(logits: torch.Tensor, target: int, distractor: int) -> torch.Tensor:
    """logit(target) − logit(distractor) over the last axis."""
    return logits[..., target].double() - logits[..., distractor].double()


@torch.no_grad()
def direct_attribution(lm: LensModel, ids: Sequence[int], target: int, distractor: int,
                       position: int = -1) -> Attribution:
    check_prompt(lm, ids)
    check_pair(lm, target, distractor)
    tokens = lm.tokens(ids)
    pos = position % len(ids)
    parts, outputs, final = lm.component_outputs(tokens)
    logits, _ = lm.run(tokens, position=pos)
    resid = final[pos].double()
    scale = lm.final_norm_scale(resid)
    W_U = lm.unembed_weight
    dw = (W_U[:, target] - W_U[:, distractor]).double()
    shift = lm.final_norm(torch.zeros_like(resid), scale)  # final_norm(0, σ): β for LayerNorm, 0 for RMSNorm
    direct = (lm.final_norm(outputs[:, pos].double(), scale) - shift) @ dw
    bias = float(shift @ dw)
    if lm.unembed_bias is not None:
        bias += float(lm.unembed_bias[target].double() - lm.unembed_bias[distractor].double())
    return Attribution(position=pos, target=target, distractor=distractor,
                       logit_diff=float(logit_diff(logits[0], target, distractor)), components=tuple(parts),
                       direct=direct.cpu().numpy(), bias=bias, scale=float(scale) if scale is not None else 1.0)


def ablation_spec(component: Component, mode: str) -> AblationSpec | None:
    """The attention tools' ablation of one head or one MLP; None for what they do not ablate."""
    if component.kind == "head":
        return AblationSpec(heads=((component.layer, component.index),), mode=mode)
    if component.kind == "mlp":
        return AblationSpec(mlps=(component.layer,), mode=mode)
    return None


@torch.no_grad()
def ablation_effects(lm: LensModel, ids: Sequence[int], components: Sequence[Component], target: int,
                     distractor: int, position: int = -1, mode: str = "zero",
                     reference: Sequence[Sequence[int]] | None = None) -> Iterator[float | np.ndarray]:
    """Δ logit diff when each head / MLP alone is ablated (NaN for other components); yields the fraction done
    after each ablation, then the array."""
    if mode not in ABLATION_MODES:
        raise BadInputError(f"Ablation is zero or mean, not {mode!r}.")
    tokens = lm.tokens(ids)
    pos = position % len(ids)
    refs = None if not reference else [lm.tokens(r) for r in reference]
    base = logit_diff(lm.run(tokens, position=pos)[0][0], target, distractor)
    effects = np.full(len(components), np.nan)
    todo = [(i, spec) for i, c in enumerate(components) if (spec := ablation_spec(c, mode)) is not None]
    for done, (i, spec) in enumerate(todo, start=1):
        with lm.ablated(spec, tokens, refs):
            diff = logit_diff(lm.run(tokens, position=pos)[0][0], target, distractor)
        effects[i] = float(diff - base)
        yield done / len(todo)
    yield effects


def attribution_job(lm: LensModel, text: str, target: int, distractor: int, position: int = -1,
                    reference_texts: Sequence[str] = (), target_text: str = "",
                    distractor_text: str = "") -> Iterator[object]:
    """Direct attribution, then zero- and mean-ablation of every head and MLP, with progress."""
    ids = lm.encode(text)
    refs = [lm.encode(t) for t in reference_texts if t]
    for ref in refs:
        check_prompt(lm, ref, "mean-ablation prompt")
    yield JobProgress(0.0, "Direct logit attribution…")
    attribution = direct_attribution(lm, ids, target, distractor, position)
    results: dict[str, np.ndarray] = {}
    for m, mode in enumerate(ABLATION_MODES):
        for item in ablation_effects(lm, ids, attribution.components, target, distractor, attribution.position,
                                     mode, refs or None):
            if isinstance(item, np.ndarray):
                results[mode] = item
            else:
                yield JobProgress(0.05 + 0.95 * (m + item) / len(ABLATION_MODES), f"{mode.capitalize()}-ablation…")
    yield AttributionComputed(replace(attribution, zero_ablation=results["zero"], mean_ablation=results["mean"]),
                              target_text, distractor_text)
