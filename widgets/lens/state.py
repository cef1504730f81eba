"""What the Prediction dock shows and its settings: a Qt-free state saved in sessions (widgets/state.py)."""
from __future__ import annotations

from dataclasses import dataclass

from lmscope.widgets.state import PanelState, bounded, choice, text

TABS = ("lens", "target", "attribution", "patching")
COLOURS = ("probability", "entropy")
ATTRIBUTION_COLUMNS = ("component", "layer", "index", "direct", "zero-ablation Δ", "mean-ablation Δ")
MAX_PROMPT = 20_000  # characters; the longest model here reads a few thousand tokens
MAX_TOKEN_TEXT = 200
MAX_POSITION = 1_000_000


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
