"""The attention panel's state, Qt-free: what the session stores under ``ui/panels/attention`` and what the panel's
tabs show (widgets/state.py explains the validation).

The saved tree keeps the keys and value types that format 1 sessions were written with: the view settings, the mask
as the backend's mask text (``"causal window=8 custom=3:1"``), the padded second prompt, breakpoints as their text
(``"L1 H* pattern if min(entropy) < 0.5"``), ablated heads as ``"L3H1"`` and a ``generation`` group. Reading those
texts is the backend's job (``MaskSpec.parse``, ``Breakpoint.parse``), done by the binding, so this module only
bounds their length and count.
"""
from __future__ import annotations

from dataclasses import dataclass

from lmscope.widgets.state import PanelState, bounded, choice, items, text

# Stage and metric keys of backend.attention (STAGE_LABELS, SUMMARY_METRICS), repeated here because widgets do not
# import the backend; tests/widgets/test_attention_state.py checks that the two lists agree.
STAGES = ("pattern", "scores", "scaled", "masked", "z")
SUMMARY_METRICS = ("entropy", "first", "previous", "diagonal")
COLORMAPS = ("viridis", "magma", "inferno", "cividis", "CET-L1")
PAD_SIDES = ("right", "left")
ABLATION_MODES = ("zero", "mean")
STRATEGIES = ("greedy", "temperature", "top-k")  # backend.attention.generate.STRATEGIES

MAX_SPAN = 4096  # window, dilation width and block size: the longest context the app captures
MAX_POSITION = 1_000_000  # a global position beyond the prompt is ignored by the mask, so only its size is bounded
MAX_GLOBAL = 4096  # global positions: at most one per position of the longest context
MAX_SEED = 1_000_000
MAX_LSH_BUCKETS = 1024  # backend.attention.masks.MAX_LSH_BUCKETS
MAX_PROMPT = 100_000  # characters of the padded second prompt (a long document, not a corpus)
# Mask text with painted cells: 10,000 painted cells of up to 10 characters ("4095:4095,") is 100k characters.
MAX_MASK_TEXT = 200_000
MAX_BREAKPOINTS = 256  # added one by one by hand; a few dozen is a lot
MAX_BREAKPOINT_TEXT = 600  # "L* H* pattern if " plus an expression of at most 500 characters (backend expr.py)
MAX_ABLATED_HEADS = 4096  # every head of a 64-layer, 64-head model
MAX_HEAD_TEXT = 24  # "L{layer}H{head}"


@dataclass(frozen=True)
class MaskState(PanelState):
    """The Masks tab's composed mask as plain values, mirroring the backend's ``MaskSpec`` without painted cells
    (the prefix LM and the content-based top-k and LSH kinds included).

    Sessions store the mask as text; the binding parses it and checks here (``from_tree``) that it fits the controls.
    """

    causal: bool = True
    window: int = bounded(0, 0, MAX_SPAN)  # 0 = off
    dilated_w: int = bounded(0, 0, MAX_SPAN)  # 0 = off
    dilated_d: int = bounded(2, 1, 512)
    global_positions: tuple[int, ...] = items((), max_items=MAX_GLOBAL, lo=0, hi=MAX_POSITION)
    random_p: float = bounded(0.0, 0.0, 1.0)  # 0 = off
    random_seed: int = bounded(0, 0, MAX_SEED)
    block: int = bounded(0, 0, MAX_SPAN)  # 0 = off
    prefix: int = bounded(0, 0, MAX_SPAN)  # prefix LM (with causal): the first N positions see each other; 0 = off
    top_k: int = bounded(0, 0, MAX_SPAN)  # each query keeps its k best-scoring keys; 0 = off
    lsh_buckets: int = bounded(0, 0, MAX_LSH_BUCKETS)  # Reformer LSH buckets (even); 0 = off
    lsh_seed: int = bounded(0, 0, MAX_SEED)


@dataclass(frozen=True)
class GenerationState(PanelState):
    """Token-by-token generation settings (the backend's ``GenerateSettings``)."""

    strategy: str = choice(*STRATEGIES)
    temperature: float = bounded(1.0, 0.05, 10.0)
    top_k: int = bounded(10, 1, 1000)
    steps: int = bounded(20, 1, MAX_SPAN)
    seed: int = bounded(0, 0, MAX_SEED)


@dataclass(frozen=True)
class AttentionState(PanelState):
    """The attention panel as sessions store it: view settings, mask and padding, breakpoints, ablation, generation."""

    stage: str = choice(*STAGES)
    colormap: str = choice(*COLORMAPS)
    log_scale: bool = False
    overlay: bool = True
    summary_metric: str = choice(*SUMMARY_METRICS)
    mask: str = text("causal", max_chars=MAX_MASK_TEXT)
    pad_text: str = text("", max_chars=MAX_PROMPT)
    pad_side: str = choice(*PAD_SIDES)
    breakpoints: tuple[str, ...] = items((), max_items=MAX_BREAKPOINTS, max_chars=MAX_BREAKPOINT_TEXT)
    ablated_heads: tuple[str, ...] = items((), max_items=MAX_ABLATED_HEADS, max_chars=MAX_HEAD_TEXT)
    ablation_mode: str = choice(*ABLATION_MODES)
    generation: GenerationState = GenerationState()
