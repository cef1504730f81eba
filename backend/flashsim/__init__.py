"""The FlashAttention tile simulator: geometry and HBM counts (:mod:`.counts`), the stepped FA1/FA2 passes
(:mod:`.simulator`) and the GUI's streamed run (:mod:`.jobs`). Import the public names from here."""
from lmscope.backend.flashsim.counts import (
    ALGOS, CURVE_ALGOS, DTYPE_BYTES, TileConfig, Traffic, count_traffic, make_config, paper_block_sizes,
    sram_occupancy, standard_traffic, traffic_curve, traffic_vs_sram,
)
from lmscope.backend.flashsim.jobs import (
    TRANSFER_TENSORS, FlashFinished, FlashPrepared, FlashStepBatch, curve_axes, flashsim_job,
)
from lmscope.backend.flashsim.simulator import (
    MAX_SIMULATED_TILES, FlashSimulator, Step, Transfer, exact_attention, random_qkv, row_max_abs_error,
    simulate_summary,
)

__all__ = [
    "ALGOS", "CURVE_ALGOS", "DTYPE_BYTES", "MAX_SIMULATED_TILES", "TRANSFER_TENSORS", "FlashFinished",
    "FlashPrepared", "FlashSimulator", "FlashStepBatch", "Step", "TileConfig", "Traffic", "Transfer",
    "count_traffic", "curve_axes", "exact_attention", "flashsim_job", "make_config", "paper_block_sizes",
    "random_qkv", "row_max_abs_error", "simulate_summary", "sram_occupancy", "standard_traffic", "traffic_curve",
    "traffic_vs_sram",
]
