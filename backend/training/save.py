"""Save a TinyGPT (one trained in the app, say) as a model folder that ``--model DIR`` and Model → Load model folder
open: config.json, model.safetensors (float32) and vocab.json.

The write is atomic: the files go to a hidden temporary folder beside the target, which is then renamed into place.
A crash or a full disk leaves the target as it was. An existing target is replaced only when it is empty or is itself
a model folder (those three files and nothing else); anything else is refused, never overwritten.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from lmscope.backend.errors import BadInputError
from lmscope.backend.models.checkpoint import CONFIG, VOCAB, WEIGHTS, LoadedModel, save_model

MODEL_FILES = frozenset({CONFIG, WEIGHTS, VOCAB})


def save_model_folder(folder: str | Path, loaded: LoadedModel) -> Path:
    """Write ``loaded`` as a TinyGPT model folder at ``folder``; returns the folder."""
    if not loaded.weights_in_sessions:
        raise BadInputError("Only TinyGPT models can be saved as a model folder; a Hugging Face model already has "
                            "its own folder.")
    target = Path(folder).expanduser().absolute()
    parent = target.parent
    if not parent.is_dir():
        raise BadInputError(f"The folder {parent} does not exist.")
    if target.exists() and not _replaceable(target):
        raise BadInputError(f"{target.name} exists and is not an empty folder or a model folder; choose a new name.")
    temp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=parent))
    old: Path | None = None
    try:
        save_model(temp, loaded.model, loaded.tokenizer)
        for name in MODEL_FILES:
            with open(temp / name, "rb") as f:
                os.fsync(f.fileno())
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=parent))
            os.rmdir(old)
            os.rename(target, old)
        os.rename(temp, target)
    except OSError as exc:
        if old is not None and not target.exists():
            os.rename(old, target)  # put the previous folder back
            old = None
        raise BadInputError(f"The model could not be saved to {target} ({exc.strerror or exc}).") from exc
    finally:
        if temp.exists():
            shutil.rmtree(temp, ignore_errors=True)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    return target


def _replaceable(target: Path) -> bool:
    if not target.is_dir() or target.is_symlink():
        return False
    entries = list(target.iterdir())
    return all(e.is_file() and not e.is_symlink() and e.name in MODEL_FILES for e in entries)
