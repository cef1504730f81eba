"""What the FlashAttention panel shows: the simulator's settings and the step on screen, as Qt-free panel state.

The limits are the panel's own (a run it steps through must fit in memory and be computed in seconds), so a session
file asking for N = 10⁸ is refused by :meth:`FlashSimState.from_tree` before anything is allocated or computed.
"""
from __future__ import annotations

from dataclasses import dataclass

from lmscope.widgets.state import PanelState, StateError, bounded, choice

MAX_N = 1024  # longer sequences: `lmscope flashsim`, which can count without stepping
MAX_TILES = 65_536  # N = 1024 with 4 × 4 tiles; a stored step costs ~300 bytes, the whole run ~20 MB
MAX_D = 512
MAX_SRAM_BYTES = 64 * 1024 * 1024
MAX_SEED = 2**31 - 1
MAX_LAYER = 4096  # layer and head indices: a head the capture lacks is refused when the run is built
RANDOM = "random"


@dataclass(frozen=True)
class FlashSimState(PanelState):
    """Settings of the simulated pass and the step shown. Br = Bc = 0 means the paper's block sizes.

    ``source`` is "random" (standard-normal Q, K, V from ``seed``) or "head" (``layer``, ``head`` of the current
    capture). ``to_tree()`` writes exactly the keys session format 1 has always stored for this panel.
    """

    STATE_LABEL = "FlashAttention panel state"

    algo: str = choice("fa1", "fa2")
    n: int = bounded(64, 1, MAX_N)
    d: int = bounded(16, 1, MAX_D)
    sram_bytes: int = bounded(1024, 1, MAX_SRAM_BYTES)
    dtype: str = choice("fp32", "fp16", "fp64")
    br: int = bounded(0, 0, MAX_N)
    bc: int = bounded(0, 0, MAX_N)
    causal: bool = False
    seed: int = bounded(0, 0, MAX_SEED)
    source: str = choice(RANDOM, "head")
    layer: int = bounded(0, 0, MAX_LAYER)
    head: int = bounded(0, 0, MAX_LAYER)
    step: int = bounded(0, 0, MAX_TILES)

    @property
    def source_key(self) -> str:
        """The input as the panel's source list names it: "random" or "head:<layer>:<head>"."""
        return RANDOM if self.source == RANDOM else f"head:{self.layer}:{self.head}"

    @property
    def random(self) -> bool:
        return self.source == RANDOM

    def with_source_key(self, key: str) -> FlashSimState:
        """This state with the input named by a source-list key (see :attr:`source_key`)."""
        if key == RANDOM:
            return self.replace(source=RANDOM, layer=0, head=0)
        kind, _, rest = key.partition(":")
        layer, _, head = rest.partition(":")
        if kind != "head" or not layer.isdigit() or not head.isdigit():
            raise StateError(f"{key[:40]!r} names no input of the FlashAttention panel.")
        return self.replace(source="head", layer=int(layer), head=int(head))
