"""A session's model part to and from a live model: config and vocabulary always, weights when included."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from lmscope.backend.errors import ConfigError, ModelLoadError
from lmscope.backend.models.config import TinyGPTConfig
from lmscope.backend.models.tokenizer import CharTokenizer
from lmscope.sessions.hdf5 import SessionFormatError
from lmscope.sessions.session import ModelPart

if TYPE_CHECKING:  # torch is imported only when a model is rebuilt: opening a session stays light
    import torch

    from lmscope.backend.models.checkpoint import LoadedModel


def part_from_loaded(loaded: "LoadedModel", include_weights: bool = True) -> ModelPart:
    """The model's description, and a numpy copy of its weights unless left out (a copy of every parameter:
    run it in the worker for anything but a small model)."""
    weights = None
    if include_weights:
        state = loaded.model.state_dict()
        if loaded.model.cfg.tie_embeddings:
            state.pop("unembed.weight", None)
        weights = {name: t.detach().float().cpu().numpy() for name, t in state.items()}
    return ModelPart(config=loaded.model.cfg.to_dict(), tokenizer_json=loaded.tokenizer.to_json(),
                     source=loaded.source, weights=weights)


def loaded_from_part(part: ModelPart, device: "torch.device | str" = "cpu") -> "LoadedModel":
    """Rebuild the model from a session that carries its weights (SessionFormatError when it cannot)."""
    import torch

    from lmscope.backend.models.checkpoint import LoadedModel
    from lmscope.backend.models.tinygpt import TinyGPT

    if part.weights is None:
        raise SessionFormatError("This session carries no model weights; attach the model with Model → Attach.")
    try:
        config = TinyGPTConfig.from_dict(part.config)
        tokenizer = CharTokenizer.from_json(part.tokenizer_json)
        model = TinyGPT(config)
        expected = model.state_dict()
        if config.tie_embeddings:
            expected.pop("unembed.weight", None)
        if set(expected) != set(part.weights):
            raise SessionFormatError("The session's weights do not match its model config.")
        state = {}
        for name, reference in expected.items():
            array = np.asarray(part.weights[name], dtype=np.float32)
            if array.shape != tuple(reference.shape):
                raise SessionFormatError(f"The session's weight {name} has the wrong shape {array.shape}.")
            state[name] = torch.from_numpy(array.copy())
        model.load_state_dict(state, strict=False)
    except (ConfigError, ModelLoadError) as exc:
        raise SessionFormatError(f"The session's model cannot be rebuilt: {exc}") from exc
    model.eval()
    return LoadedModel(model=model.to(device), tokenizer=tokenizer, source=part.source)
