"""What the Prediction dock shows and its settings: a Qt-free state saved in sessions (widgets/state.py).

Besides the settings, a session keeps the dock's last attribution table and its last finished patching maps
(:class:`AttributionState`, :class:`PatchingState`): they took minutes on a real model, and reopening the session
shows them again without the model. The lens grid is not kept — it is recomputed from the prompt in a moment.
Saved numbers are hostile input like everything in a session file: each list's length and each array's shape must
agree with the others, or the part is refused with one sentence.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from lmscope.widgets.lens.data import AttributionData, PatchingData
from lmscope.widgets.state import PanelState, StateError, array, bounded, choice, items, text

TABS = ("lens", "target", "attribution", "patching")
COLOURS = ("probability", "entropy")
ATTRIBUTION_COLUMNS = ("component", "layer", "index", "direct", "zero-ablation Δ", "mean-ablation Δ")
COMPONENT_KINDS = ("embed", "pos_embed", "head", "attn_bias", "mlp", "expert", "shared_expert")
MAX_PROMPT = 20_000  # characters; the longest model here reads a few thousand tokens
MAX_TOKEN_TEXT = 200
MAX_POSITION = 1_000_000
MAX_LAYERS = 1_024  # as backend/models/hf.py's LIMITS
MAX_INDEX = 4_096  # heads or experts in a layer
MAX_COMPONENTS = 1_000_000  # rows of an attribution table: embeddings, then per layer heads, biases, experts
MAX_TITLE = 1_000
MAX_LABEL = 100
MAX_EFFECTS = 1 << 24  # numbers in one patching map: (layers × positions), 64 MB as float32
MAX_SAVED_TOKENS = 100_000  # positions of a saved patching run


@dataclass(frozen=True)
class AttributionState(PanelState):
    """The attribution table as it was computed: one row per component; ``values`` holds direct, zero-ablation Δ
    and mean-ablation Δ per row, the ablation columns meaningful only where ``ablatable`` is 1."""

    STATE_LABEL = "Prediction panel's attribution table"

    labels: tuple[str, ...] = items((), MAX_COMPONENTS, max_chars=MAX_LABEL)
    kinds: tuple[str, ...] = items((), MAX_COMPONENTS, max_chars=MAX_LABEL)
    layers: tuple[int, ...] = items((), MAX_COMPONENTS, -1, MAX_LAYERS)
    indices: tuple[int, ...] = items((), MAX_COMPONENTS, -1, MAX_INDEX)
    ablatable: tuple[int, ...] = items((), MAX_COMPONENTS, 0, 1)
    values: np.ndarray = array("float64", ndim=2, max_items=3 * MAX_COMPONENTS)
    logit_diff: float = 0.0
    bias: float = 0.0
    scale: float = 1.0
    position: int = bounded(0, 0, MAX_POSITION)
    title: str = text("", MAX_TITLE)

    def __post_init__(self) -> None:
        n = len(self.labels)
        lengths = {len(self.kinds), len(self.layers), len(self.indices), len(self.ablatable)}
        if lengths != {n} or (n and self.values.shape != (n, 3)) or (not n and self.values.size):
            raise StateError(f"The saved {self.STATE_LABEL} has lists and values of different lengths.")
        unknown = next((k for k in self.kinds if k not in COMPONENT_KINDS), None)
        if unknown is not None:
            raise StateError(f"The saved {self.STATE_LABEL} has a component of kind {unknown[:40]!r}; kinds are "
                             f"{', '.join(COMPONENT_KINDS)}.")

    @classmethod
    def of(cls, data: AttributionData | None) -> AttributionState:
        if data is None:
            return cls()
        columns = [np.asarray(data.direct, dtype=np.float64)]
        for column in (data.zero_ablation, data.mean_ablation):
            columns.append(np.full(len(data.labels), np.nan) if column is None else np.asarray(column, np.float64))
        values = np.stack(columns, axis=1)
        ablatable = np.isfinite(values[:, 1]) & np.isfinite(values[:, 2])
        values[:, 1:][~ablatable] = 0.0
        return cls(labels=tuple(data.labels), kinds=tuple(data.kinds), layers=tuple(int(v) for v in data.layers),
                   indices=tuple(int(v) for v in data.indices), ablatable=tuple(int(v) for v in ablatable),
                   values=values, logit_diff=float(data.logit_diff), bias=float(data.bias), scale=float(data.scale),
                   position=int(data.position), title=data.title[:MAX_TITLE])

    def data(self) -> AttributionData | None:
        if not self.labels:
            return None
        keep = np.asarray(self.ablatable, dtype=bool)
        zero, mean = (np.where(keep, self.values[:, col], np.nan) for col in (1, 2))
        return AttributionData(labels=self.labels, layers=self.layers, indices=self.indices, kinds=self.kinds,
                               direct=self.values[:, 0].copy(), zero_ablation=zero, mean_ablation=mean,
                               logit_diff=self.logit_diff, bias=self.bias, scale=self.scale, position=self.position,
                               title=self.title)


@dataclass(frozen=True)
class PatchingState(PanelState):
    """The last finished patching run: both prompts' tokens, the normalised effects of every sweep (layer ×
    position, and layer × head) and both logit differences. An unfinished run (cancelled) is not saved."""

    STATE_LABEL = "Prediction panel's patching grid"

    clean_tokens: tuple[str, ...] = items((), MAX_SAVED_TOKENS, max_chars=MAX_TOKEN_TEXT)
    corrupt_tokens: tuple[str, ...] = items((), MAX_SAVED_TOKENS, max_chars=MAX_TOKEN_TEXT)
    resid_pre: np.ndarray = array("float32", ndim=2, max_items=MAX_EFFECTS)
    attn_out: np.ndarray = array("float32", ndim=2, max_items=MAX_EFFECTS)
    mlp_out: np.ndarray = array("float32", ndim=2, max_items=MAX_EFFECTS)
    heads: np.ndarray = array("float32", ndim=2, max_items=MAX_EFFECTS)
    clean_diff: float = 0.0
    corrupt_diff: float = 0.0
    title: str = text("", MAX_TITLE)

    def __post_init__(self) -> None:
        n = len(self.clean_tokens)
        maps = (self.resid_pre, self.attn_out, self.mlp_out, self.heads)
        if not n:
            if self.corrupt_tokens or any(m.size for m in maps):
                raise StateError(f"The saved {self.STATE_LABEL} has effects but no prompt.")
            return
        layers = self.resid_pre.shape[0]
        if (len(self.corrupt_tokens) != n or not 1 <= layers <= MAX_LAYERS
                or any(m.shape != (layers, n) for m in maps[:3]) or self.heads.shape[0] != layers
                or not 1 <= self.heads.shape[1] <= MAX_INDEX):
            raise StateError(f"The saved {self.STATE_LABEL} does not fit together: the prompts have "
                             f"{n:,} and {len(self.corrupt_tokens):,} tokens and the maps are "
                             f"{' '.join('×'.join(map(str, m.shape)) for m in maps)}.")

    @classmethod
    def of(cls, data: PatchingData | None) -> PatchingState:
        maps = None if data is None else (data.resid_pre, data.attn_out, data.mlp_out, data.heads)
        if data is None or not data.complete or not all(np.isfinite(m).all() for m in maps):
            return cls()
        return cls(clean_tokens=tuple(t[:MAX_TOKEN_TEXT] for t in data.clean_tokens),
                   corrupt_tokens=tuple(t[:MAX_TOKEN_TEXT] for t in data.corrupt_tokens),
                   **{name: np.asarray(m, dtype=np.float32) for name, m in zip(("resid_pre", "attn_out", "mlp_out",
                                                                                "heads"), maps)},
                   clean_diff=float(data.clean_diff), corrupt_diff=float(data.corrupt_diff),
                   title=data.title[:MAX_TITLE])

    def data(self) -> PatchingData | None:
        if not self.clean_tokens:
            return None
        return PatchingData(clean_tokens=self.clean_tokens, corrupt_tokens=self.corrupt_tokens,
                            resid_pre=self.resid_pre, attn_out=self.attn_out, mlp_out=self.mlp_out, heads=self.heads,
                            clean_diff=self.clean_diff, corrupt_diff=self.corrupt_diff, complete=True,
                            title=self.title)


@dataclass(frozen=True)
class LensState(PanelState):
    tab: str = choice("lens", *TABS[1:])
    prompt: str = text("", MAX_PROMPT)
    target: str = text("", MAX_TOKEN_TEXT)  # one token as text, or #ID; empty: no target
    distractor: str = text("", MAX_TOKEN_TEXT)
    corrupt: str = text("", MAX_PROMPT)  # the corrupted prompt of patching
    reference: str = text("", MAX_PROMPT)  # mean-ablation prompts, one per line; empty: the prompt itself
    position: int = bounded(-1, -1, MAX_POSITION)  # where attribution and patching read the logit diff; −1: last
    selected: int = bounded(-1, -1, MAX_POSITION)  # the position the target view follows; −1: last
    top_k: int = bounded(5, 1, 50)
    colour: str = choice("probability", "entropy")
    sort_column: int = bounded(3, 0, len(ATTRIBUTION_COLUMNS) - 1)
    sort_descending: bool = True
    attribution: AttributionState = dataclasses.field(default_factory=AttributionState)
    patching: PatchingState = dataclasses.field(default_factory=PatchingState)
