"""Why the model predicted that token: the logit lens, direct logit attribution, ablation and activation patching.

Everything is written against :class:`~lmscope.backend.lens.model.LensModel`, the few things a model must offer
(hook-point edits, the final norm, the unembedding); ``docs/lens.md`` has the definitions.
"""
from lmscope.backend.lens.attribution import (
    Attribution, AttributionComputed, attribution_job, ablation_effects, direct_attribution,
)
from lmscope.backend.lens.logit_lens import LensComputed, LensResult, lens_job, logit_lens
from lmscope.backend.lens.model import Component, LensModel, TinyGPTLens, lens_model, parse_token
from lmscope.backend.lens.patching import (
    SWEEPS, Patch, PatchingComputed, PatchingResult, patch_effects, patching_job, prepare,
)

__all__ = [
    "SWEEPS", "Attribution", "AttributionComputed", "Component", "LensComputed", "LensModel", "LensResult",
    "Patch", "PatchingComputed", "PatchingResult", "TinyGPTLens", "ablation_effects", "attribution_job",
    "direct_attribution", "lens_job", "lens_model", "logit_lens", "parse_token", "patch_effects", "patching_job",
    "prepare",
]
