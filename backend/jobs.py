"""The app's long-running work, written as generators (DESIGN.md, "Jobs").

Each job yields :class:`JobProgress` for the progress bar and result events for the document. The same generator
runs in the GUI worker, in the command line and in tests. Nothing here knows about Qt.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import torch

from lmscope.backend.capture import Trace, capture
from lmscope.backend.models.builtin import is_builtin
from lmscope.backend.models.checkpoint import LoadedModel, load_model
from lmscope.backend.demo import DEFAULT_PROMPT, demo_corpus, demo_dir, load_demo
from lmscope.backend.errors import BadInputError
from lmscope.backend.training.history import TrainingHistory
from lmscope.backend.models.config import TinyGPTConfig
from lmscope.backend.stats import HistogramStats, trace_histograms
from lmscope.backend.models.tokenizer import CharTokenizer
from lmscope.backend.training.loop import HistogramSnapshot, TrainFinished, TrainProgress, TrainSettings, train, warm_up_torch


@dataclass(frozen=True)
class JobProgress:
    fraction: float  # 0..1, or −1 when unknown
    message: str


@dataclass(frozen=True)
class ModelLoaded:
    loaded: LoadedModel = field(repr=False)


@dataclass(frozen=True)
class HistoryLoaded:
    history: TrainingHistory = field(repr=False)


@dataclass(frozen=True)
class TraceCaptured:
    trace: Trace = field(repr=False)
    histograms: dict[str, HistogramStats] = field(repr=False)


def capture_prompt(loaded: LoadedModel, text: str, label: str = "") -> TraceCaptured:
    if not text:
        raise BadInputError("The prompt is empty; type some text to run through the model.")
    ids = loaded.tokenizer.encode(text)
    limit = loaded.model.cfg.n_ctx
    if len(ids) > limit and loaded.model.cfg.pos == "learned":
        raise BadInputError(f"The prompt has {len(ids)} tokens; this model reads at most {limit}.")
    trace = capture(loaded.model, ids, token_strings=loaded.tokenizer.token_strings(ids), text=text,
                    label=label or f"{Path(loaded.source).name or 'model'} · {text[:24]}")
    return TraceCaptured(trace=trace, histograms=trace_histograms(trace.tensors, trace.n_layer))


def capture_job(loaded: LoadedModel, text: str, label: str = "") -> Iterator[object]:
    yield JobProgress(-1.0, "Running the prompt through the model…")
    yield capture_prompt(loaded, text, label)


def open_model_job(source: str, device: torch.device, prompt: str = DEFAULT_PROMPT,
                   **hf_options: object) -> Iterator[object]:
    """Load a built-in model (``demo``, ``minilm``), a TinyGPT folder or a Hugging Face folder, then capture
    ``prompt`` with it. ``hf_options`` (dtype, device_map, max_memory, offload_dir) apply to Hugging Face models."""
    yield JobProgress(0.1, "Loading the model…")
    loaded = load_demo(device) if source == "demo" else load_model(source, device, **hf_options)
    yield ModelLoaded(loaded)
    if source == "demo" and (demo_dir() / "history.npz").is_file():
        yield HistoryLoaded(TrainingHistory.load_npz(demo_dir() / "history.npz"))
    yield JobProgress(0.5, "Capturing the default prompt…")
    yield capture_prompt(loaded, prompt, label=source if is_builtin(source) else Path(source).name)
    yield JobProgress(0.8, "Preparing the trainer…")
    warm_up_torch()  # here, while the user waits anyway, not later when they press Train
    yield JobProgress(1.0, "Ready")


def train_job(config: TinyGPTConfig, settings: TrainSettings, label: str,
              prompt: str = DEFAULT_PROMPT) -> Iterator[object]:
    """Train a new model on the demo corpus, streaming its history; capture ``prompt`` with it when done."""
    text = demo_corpus()
    tokenizer = CharTokenizer.train(text)  # the demo's vocabulary, rebuilt from the same corpus
    yield JobProgress(0.0, f"Training {label}…")
    for event in train(config, tokenizer, text, settings):
        if isinstance(event, TrainProgress):
            yield JobProgress(event.step / event.total_steps,
                              f"Training {label}: step {event.step}/{event.total_steps}, loss {event.loss:.3f}")
            yield event
        elif isinstance(event, HistogramSnapshot):
            yield event
        elif isinstance(event, TrainFinished):
            loaded = LoadedModel(model=event.model, tokenizer=event.tokenizer, source=label)
            yield ModelLoaded(loaded)
            yield capture_prompt(loaded, prompt, label=label)


def attach_model_job(folder: str, device: torch.device, expected: dict | None = None) -> Iterator[object]:
    """Load a model folder for a session opened without weights; refuse one that is not the session's model."""
    yield JobProgress(-1.0, f"Loading {Path(folder).name}…")
    loaded = load_model(folder, device)
    if expected:
        got = loaded.model.cfg.to_dict()
        differing = [k for k in ("vocab_size", "n_layer", "d_model", "n_head", "n_kv_head", "d_mlp", "norm",
                                 "norm_placement", "pos", "act", "ffn") if k in expected and expected[k] != got[k]]
        if differing:
            k = differing[0]
            raise BadInputError(f"{Path(folder).name} is not the model this session was captured with "
                                f"({k} is {got[k]}, the session's is {expected[k]}).")
    yield ModelLoaded(loaded)
