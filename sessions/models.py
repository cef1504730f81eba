"""A session's model part to and from a live model: config and vocabulary always, weights when included."""
from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from lmscope.backend.errors import ConfigError, ModelLoadError
from lmscope.backend.models.config import TinyGPTConfig
from lmscope.backend.models.tokenizer import CharTokenizer
from lmscope.sessions.errors import SessionFormatError, SessionTooLargeError
from lmscope.sessions.hdf5 import parse_json
from lmscope.sessions.limits import Limits, human, memory_guard
from lmscope.sessions.session import LazyTensors, ModelPart

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


def loaded_from_part(part: ModelPart, device: "torch.device | str" = "cpu", force: bool = False) -> "LoadedModel":
    """Rebuild the model from a session that carries its weights (SessionFormatError when it cannot).

    Everything is checked before the model is built: the config's ranges and parameter count, its memory against
    what is free (unless ``force``: "open anyway"), the vocabulary, and every weight's name and declared shape
    against a model built on torch's "meta" device (shapes only, no memory).
    """
    if part.weights is None:
        raise SessionFormatError("This session carries no model weights; attach the model with Model → Attach.")
    try:
        with memory_guard("Rebuilding the session's model"):
            return _rebuild(part, device, force)
    except (ConfigError, ModelLoadError) as exc:
        raise SessionFormatError(f"The session's model cannot be rebuilt: {exc}") from exc
    except RuntimeError as exc:  # torch's CPU allocator reports exhaustion as a RuntimeError
        raise SessionFormatError(f"The session's model cannot be rebuilt ({type(exc).__name__}).") from exc


def _rebuild(part: ModelPart, device: "torch.device | str", force: bool) -> "LoadedModel":
    config = TinyGPTConfig.from_dict(part.config)
    limits = Limits.for_this_machine(force=force)
    needed = config.parameter_count() * 4
    if limits.too_big(needed, limits.file_bytes):
        raise SessionTooLargeError(f"The session's model needs {human(needed)} to rebuild; this machine has "
                                 f"{human(limits.free_bytes)} free.")
    parse_json(part.tokenizer_json, "The session's vocabulary")  # depth-checked before the tokenizer parses it
    tokenizer = CharTokenizer.from_json(part.tokenizer_json)
    if tokenizer.vocab_size != config.vocab_size:
        raise SessionFormatError(f"The session's vocabulary has {tokenizer.vocab_size} tokens but its model config "
                                 f"says {config.vocab_size}.")
    # The weights the file declares must add up to the config's parameter count before a model that size is built
    # (then the names and shapes are compared with the real model: building on torch's "meta" device first cost
    # ~50 ms a session, a third of opening a small one).
    declared = sum(math.prod(_declared_shape(part.weights, name)) for name in part.weights)
    if declared != config.state_count():  # a tied unembedding is saved once, and counted once
        raise SessionFormatError(f"The session's weights hold {declared:,} numbers; its model config needs "
                                 f"{config.state_count():,}.")
    import torch  # only now: a refused session never pays for importing torch

    from lmscope.backend.models.checkpoint import LoadedModel
    from lmscope.backend.models.tinygpt import TinyGPT

    model = TinyGPT(config)
    expected = {name: tuple(t.shape) for name, t in model.state_dict().items()}
    if config.tie_embeddings:
        expected.pop("unembed.weight", None)
    check_weight_shapes(part.weights, expected)
    state = {}
    for name in expected:
        array = np.asarray(part.weights[name], dtype=np.float32)
        if not np.isfinite(array).all():
            raise SessionFormatError(f"The session's weight {name} holds NaN or infinite values.")
        state[name] = torch.from_numpy(array.copy())
    model.load_state_dict(state, strict=False)
    model.eval()
    return LoadedModel(model=model.to(device), tokenizer=tokenizer, source=part.source)


def expected_weight_shapes(config: TinyGPTConfig) -> dict[str, tuple[int, ...]]:
    """Every weight a session must carry for ``config``, with its shape, from a model built on torch's "meta"
    device (shapes only: nothing allocated or initialised)."""
    import torch

    from lmscope.backend.models.tinygpt import TinyGPT

    with torch.device("meta"):
        expected = {name: tuple(t.shape) for name, t in TinyGPT(config).state_dict().items()}
    if config.tie_embeddings:
        expected.pop("unembed.weight", None)
    return expected


def check_weight_shapes(weights: Mapping[str, np.ndarray], expected: dict[str, tuple[int, ...]]) -> None:
    if set(expected) != set(weights):
        extra, missing = sorted(set(weights) - set(expected)), sorted(set(expected) - set(weights))
        what = f"lacks {missing[0]}" if missing else f"has an unexpected {extra[0][:80]}"
        raise SessionFormatError(f"The session's weights do not match its model config (it {what}).")
    for name, shape in expected.items():
        found = _declared_shape(weights, name)
        if found != shape:
            raise SessionFormatError(f"The session's weight {name} has the shape {found}; its config needs {shape}.")


def _declared_shape(weights: Mapping[str, np.ndarray], name: str) -> tuple[int, ...]:
    if isinstance(weights, LazyTensors):
        return weights.shape_dtype(name)[0]
    return tuple(np.shape(weights[name]))
