"""The built-in demo: an original Chinese/English corpus about language models and a TinyGPT trained on it.

The checkpoint is made by ``scripts/train_demo.py`` (seeded, one CPU thread, about 15 minutes) with
:data:`CONFIG` and :data:`SETTINGS`, and shipped in ``resources/demo/``, so the app opens on real data with no
training wait and no download. The run stops once the validation loss has not improved for a while and keeps the
weights of its best snapshot (early stopping; the Training panel marks that step).
"""
from __future__ import annotations

from importlib import resources
from pathlib import Path

import torch

from lmscope.backend.models.checkpoint import LoadedModel, load_model
from lmscope.backend.errors import ModelLoadError
from lmscope.backend.models.config import PRESETS
from lmscope.backend.training.loop import TrainSettings

DEFAULT_PROMPT = "我们一起来学习大语言模型。The model predicts the next token."

# The "demo" preset (4 layers, d 128, 4 heads) reading 512 characters, with dropout; vocab_size comes from the corpus.
CONFIG = PRESETS["demo"].replace(n_ctx=512, dropout=0.2)
# Windows of the whole context, so every learned position is trained; a constant learning rate after the warm-up and
# weight decay 0.1; a snapshot (validation loss) every 20 steps, stopping 4 snapshots after the best one, whose
# weights are kept.
SETTINGS = TrainSettings(steps=400, batch_size=4, seq_len=512, lr=2e-3, min_lr_ratio=1.0, warmup=30,
                         weight_decay=0.1, seed=1234, snapshot_every=20, early_stop_patience=4, keep_best=True,
                         device="cpu")


def demo_dir() -> Path:
    return Path(str(resources.files("lmscope.resources"))) / "demo"


def demo_corpus() -> str:
    path = demo_dir() / "corpus.txt"
    if not path.is_file():
        raise ModelLoadError(f"The demo corpus is missing ({path}); reinstall lmscope.")
    return path.read_text(encoding="utf-8")


def load_demo(device: torch.device | str = "cpu") -> LoadedModel:
    loaded = load_model(demo_dir(), device)
    loaded.source = "built-in demo (TinyGPT trained on the demo corpus)"
    return loaded
