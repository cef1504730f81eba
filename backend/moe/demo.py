"""The built-in MoE demo, ``demo-moe``: a TinyGPT with a mixture-of-experts FFN (8 experts, top-2, one shared
expert, capacity factor 1.25) trained on the demo corpus by ``scripts/train_demo_moe.py`` (seeded, early-stopped on
the validation loss) and shipped in ``resources/demo_moe/`` with its training history, so the router view shows
trained routing — and its load over training — the moment it is opened."""
from __future__ import annotations

from pathlib import Path

from lmscope.backend.models.builtin import builtin_folder
from lmscope.backend.models.config import TinyGPTConfig
from lmscope.backend.training.loop import TrainSettings

NAME = "demo-moe"  # its entry in lmscope.backend.models.builtin.BUILTIN
CONFIG = TinyGPTConfig(n_layer=3, d_model=64, n_head=4, n_kv_head=4, d_mlp=128, n_ctx=128, ffn="moe", n_experts=8,
                       top_k=2, n_shared=1, capacity_factor=1.25, aux_loss_coef=0.01, z_loss_coef=0.001,
                       dropout=0.1)
SETTINGS = TrainSettings(steps=600, batch_size=16, seq_len=96, lr=3e-3, warmup=50, seed=4321, snapshot_every=25,
                         early_stop_patience=4, device="cpu")


def demo_moe_dir() -> Path:
    return builtin_folder(NAME)
