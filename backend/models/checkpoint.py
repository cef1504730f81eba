"""Model folders: ``config.json`` + ``model.safetensors`` + ``vocab.json``. Nothing is ever unpickled.

Loading reads the safetensors header and tensors as plain data; any problem (missing file, corrupt header, wrong
shapes, another program's folder) becomes a :class:`~lmscope.backend.errors.ModelLoadError` with one clear sentence.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_safetensors
from safetensors.torch import save_file

from lmscope.backend.errors import ConfigError, ModelLoadError
from lmscope.backend.models.config import TinyGPTConfig
from lmscope.backend.models.tinygpt import TinyGPT
from lmscope.backend.models.tokenizer import CharTokenizer

CONFIG, WEIGHTS, VOCAB = "config.json", "model.safetensors", "vocab.json"


@dataclass
class LoadedModel:
    model: TinyGPT
    tokenizer: CharTokenizer
    source: str  # where it came from, as a person would describe it


def save_model(folder: str | Path, model: TinyGPT, tokenizer: CharTokenizer, dtype: torch.dtype | None = None) -> None:
    """Write the three files; ``dtype`` (e.g. float16) shrinks a shipped checkpoint, loading restores float32."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    if model.cfg.tie_embeddings:
        state.pop("unembed.weight", None)  # the same tensor as embed.weight; safetensors refuses shared storage
    if dtype is not None:
        state = {k: v.to(dtype) if v.is_floating_point() else v for k, v in state.items()}
    save_file(state, str(folder / WEIGHTS), metadata={"format": "pt", "producer": "lmscope"})
    (folder / CONFIG).write_text(model.cfg.to_json(), encoding="utf-8")
    (folder / VOCAB).write_text(tokenizer.to_json(), encoding="utf-8")


def _read_config(folder: Path) -> TinyGPTConfig:
    path = folder / CONFIG
    if not path.is_file():
        raise ModelLoadError(f"{folder} has no {CONFIG}; a model folder needs {CONFIG}, {WEIGHTS} and {VOCAB}.")
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ModelLoadError(f"{path.name} is not valid JSON ({exc.msg} at line {exc.lineno}).") from exc
    if isinstance(raw, dict) and ("model_type" in raw or "architectures" in raw):
        raise ModelLoadError(
            f"{folder.name} holds a Hugging Face checkpoint ({raw.get('model_type', 'unknown type')}); "
            "lmscope loads TinyGPT folders (config.json, model.safetensors, vocab.json)."
        )
    try:
        return TinyGPTConfig.from_json(text)
    except ConfigError as exc:
        raise ModelLoadError(f"{path.name} is not a usable TinyGPT config: {exc}") from exc


def load_model(folder: str | Path, device: torch.device | str = "cpu") -> LoadedModel:
    folder = Path(folder)
    if not folder.is_dir():
        raise ModelLoadError(f"{folder} is not a folder.")
    cfg = _read_config(folder)
    for name in (WEIGHTS, VOCAB):
        if not (folder / name).is_file():
            raise ModelLoadError(f"{folder} has no {name}.")
    tokenizer = CharTokenizer.from_json((folder / VOCAB).read_text(encoding="utf-8", errors="replace"))
    if tokenizer.vocab_size != cfg.vocab_size:
        raise ModelLoadError(f"The vocabulary has {tokenizer.vocab_size} tokens but the config says "
                             f"{cfg.vocab_size}.")
    try:
        # Deserialise from bytes rather than load_file: its mmap loader hung in a worker thread once the main
        # thread had used it (seen in the test suite); checkpoints here are small enough to read whole.
        state = load_safetensors((folder / WEIGHTS).read_bytes())
    except (SafetensorError, OSError, ValueError) as exc:
        raise ModelLoadError(f"{WEIGHTS} is damaged or not a safetensors file ({exc}).") from exc
    model = TinyGPT(cfg)
    expected = model.state_dict()
    if cfg.tie_embeddings:
        expected.pop("unembed.weight", None)
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    if missing or unexpected:
        what = f"missing {missing[:3]}" if missing else f"unexpected {unexpected[:3]}"
        raise ModelLoadError(f"{WEIGHTS} does not match its config: {what}.")
    for name, tensor in state.items():
        if tuple(tensor.shape) != tuple(expected[name].shape):
            raise ModelLoadError(f"{WEIGHTS}: {name} has shape {tuple(tensor.shape)}, the config needs "
                                 f"{tuple(expected[name].shape)}.")
        if not torch.isfinite(tensor.float()).all():
            raise ModelLoadError(f"{WEIGHTS}: {name} holds NaN or infinite values.")
    model.load_state_dict({k: v.float() for k, v in state.items()}, strict=False)
    model.eval()
    return LoadedModel(model=model.to(device), tokenizer=tokenizer, source=str(folder))
