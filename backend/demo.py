"""The built-in demo: an original Chinese/English corpus about language models and a TinyGPT trained on it.

The checkpoint is made by ``scripts/train_demo.py`` (seeded) and shipped in ``resources/demo/``, so the app opens
on real data with no training wait and no download.
"""
from __future__ import annotations

from importlib import resources
from pathlib import Path

import torch

from lmscope.backend.models.checkpoint import LoadedModel, load_model
from lmscope.backend.errors import ModelLoadError

DEFAULT_PROMPT = "我们一起来学习大语言模型。The model predicts the next token."


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
