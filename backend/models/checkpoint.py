"""Loading any model lmscope knows: a built-in name, a TinyGPT folder or a Hugging Face folder, as a LoadedModel.

TinyGPT folders are ``config.json`` + ``model.safetensors`` + ``vocab.json``; a folder whose config names a
``model_type`` is a Hugging Face checkpoint and goes to ``hf.load_hf``. Nothing is ever unpickled. Any problem
(missing file, corrupt header, wrong shapes, an unsupported architecture) becomes a
:class:`~lmscope.backend.errors.ModelLoadError` with one clear sentence.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_safetensors
from safetensors.torch import save_file

from lmscope.backend.errors import ConfigError, ModelLoadError
from lmscope.backend.models.builtin import BUILTIN, builtin_folder, is_builtin
from lmscope.backend.models.config import TinyGPTConfig
from lmscope.backend.models.description import ModelDescription, describe_tinygpt
from lmscope.backend.models.tinygpt import TinyGPT
from lmscope.backend.models.tokenizer import CharTokenizer, ModelTokenizer

if TYPE_CHECKING:
    from lmscope.backend.models.hf import HFModel

CONFIG, WEIGHTS, VOCAB = "config.json", "model.safetensors", "vocab.json"


@dataclass
class LoadedModel:
    """A model ready to run, its tokenizer and where it came from.

    ``model`` is a TinyGPT or an :class:`~lmscope.backend.models.hf.HFModel`; both are modules called as
    ``model(tokens, allowed=None, rec=None)`` → logits, with ``.device`` and ``.cfg`` (TinyGPT's config, or a
    :class:`ModelDescription` that has the same fields). ``description`` is the common shape for either.
    """

    model: "TinyGPT | HFModel"
    tokenizer: ModelTokenizer
    source: str  # where it came from, as a person would describe it

    @property
    def description(self) -> ModelDescription:
        cfg = self.model.cfg
        if isinstance(cfg, ModelDescription):
            return cfg
        return describe_tinygpt(cfg, n_params=self.model.n_params(), source=self.source)

    @property
    def kind(self) -> str:
        """tinygpt or hf: what the panels that only TinyGPT supports (debugger, training) check first."""
        return self.description.kind

    @property
    def weights_in_sessions(self) -> bool:
        """Whether a session can carry and rebuild this model's weights (TinyGPT only: a Hugging Face model's
        weights stay in its folder, and a session records where that folder is)."""
        return self.kind == "tinygpt"


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


def folder_kind(folder: Path) -> str:
    """tinygpt or hf, from config.json (a Hugging Face config names its model_type)."""
    if not folder.exists():
        raise ModelLoadError(f"{folder} does not exist.")
    if not folder.is_dir():
        raise ModelLoadError(f"{folder} is a file, not a model folder; choose the folder that holds {CONFIG}.")
    path = folder / CONFIG
    if not path.is_file():
        raise ModelLoadError(f"{folder} has no {CONFIG}; a model folder is a TinyGPT folder ({CONFIG}, {WEIGHTS}, "
                             f"{VOCAB}) or a Hugging Face one ({CONFIG}, *.safetensors, tokenizer.json).")
    try:
        raw = json.loads(path.read_bytes()[: 1 << 20].decode("utf-8", errors="replace"))
    except json.JSONDecodeError as exc:
        raise ModelLoadError(f"{path.name} is not valid JSON ({exc.msg} at line {exc.lineno}).") from exc
    return "hf" if isinstance(raw, dict) and ("model_type" in raw or "architectures" in raw) else "tinygpt"


def load_model(source: str | Path, device: torch.device | str = "cpu", **hf_options: Any) -> LoadedModel:
    """Load a built-in model by name (``demo``, ``minilm``), a TinyGPT folder or a Hugging Face folder.

    ``hf_options`` go to :func:`~lmscope.backend.models.hf.load_hf` (``dtype``, ``device_map``, ``max_memory``,
    ``offload_dir``) and are refused for TinyGPT, which has none of them.
    """
    label = BUILTIN[source] if is_builtin(source) else ""
    folder = builtin_folder(str(source)) if label else Path(source).expanduser()
    if folder_kind(folder) == "tinygpt":
        given = [k for k, v in hf_options.items() if v is not None and not (k == "dtype" and v == "auto")]
        if given:
            raise ModelLoadError(f"{folder.name} is a TinyGPT folder; {', '.join(given)} apply only to "
                                 "Hugging Face models.")
        loaded = load_tinygpt(folder, device)
    else:
        try:
            # transformers is the optional `hf` extra and costs seconds to import: only a Hugging Face folder pays.
            from lmscope.backend.models.hf import load_hf
        except ImportError as exc:
            raise ModelLoadError(f"{folder.name} holds a Hugging Face model; opening it needs transformers, "
                                 "tokenizers and accelerate (pip install 'lmscope[hf]').") from exc
        model, tokenizer = load_hf(folder, device, **hf_options)
        loaded = LoadedModel(model=model, tokenizer=tokenizer, source=str(folder.resolve()))
    if label:
        loaded.source = label
    return loaded


def load_tinygpt(folder: str | Path, device: torch.device | str = "cpu") -> LoadedModel:
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
