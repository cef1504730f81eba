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
from lmscope.backend.models.builtin import builtin_folder, is_builtin
from lmscope.backend.models.checkpoint import LoadedModel, load_model
from lmscope.backend.demo import DEFAULT_PROMPT, demo_corpus, load_demo
from lmscope.backend.errors import BadInputError
from lmscope.backend.training.history import TrainingHistory
from lmscope.backend.models.config import TinyGPTConfig
from lmscope.backend.stats import HistogramStats, trace_histograms
from lmscope.backend.models.tokenizer import CharTokenizer
from lmscope.backend.training.loop import (
    HistogramSnapshot, TrainFinished, TrainProgress, TrainSettings, TrainStarted, train, warm_up_torch,
)


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


@dataclass(frozen=True)
class ContextExceeded:
    """A prompt longer than the model's context: nothing was captured; the GUI asks which end to cut and runs it
    again with ``truncate``."""

    text: str
    n_tokens: int
    limit: int

    @property
    def sentence(self) -> str:
        return context_sentence(self.n_tokens, self.limit)


TRUNCATE_SIDES = ("left", "right")  # left: keep the last tokens (the end of the text); right: keep the first


def context_sentence(n_tokens: int, limit: int) -> str:
    return f"The prompt has {n_tokens:,} tokens and this model reads at most {limit:,}."


class PromptTooLong(BadInputError):
    """A prompt longer than the model's context, where nobody said which end to cut."""

    def __init__(self, n_tokens: int, limit: int, advice: str = "") -> None:
        self.n_tokens, self.limit = n_tokens, limit
        super().__init__(f"{context_sentence(n_tokens, limit)} {advice}".strip())


def context_limit(cfg: object) -> int | None:
    """The most tokens the model reads: its context (learned positions stop there; RoPE and sinusoidal models were
    built for it); None when the model does not say."""
    n_ctx = int(getattr(cfg, "n_ctx", 0) or 0)
    return n_ctx if n_ctx > 0 else None


def fit_context(ids: list[int], cfg: object, truncate: str | None = None) -> list[int]:
    """``ids`` as they are when they fit, else cut to the context from the ``truncate`` side: "left" drops the
    start (keeps the last tokens), "right" drops the end; :class:`PromptTooLong` when ``truncate`` is None."""
    limit = context_limit(cfg)
    if limit is None or len(ids) <= limit:
        return list(ids)
    if truncate is None:
        raise PromptTooLong(len(ids), limit)
    if truncate not in TRUNCATE_SIDES:
        raise BadInputError(f"Truncate from the left or the right, not {truncate!r}.")
    return list(ids[-limit:]) if truncate == "left" else list(ids[:limit])


def capture_prompt(loaded: LoadedModel, text: str, label: str = "", truncate: str | None = None) -> TraceCaptured:
    """Capture ``text``; an over-long prompt raises :class:`PromptTooLong` unless ``truncate`` says which end to cut.
    A truncated capture keeps the text it read (decoded) and says what was dropped in ``meta["truncated"]``."""
    if not text:
        raise BadInputError("The prompt is empty; type some text to run through the model.")
    all_ids = loaded.tokenizer.encode(text)
    ids = fit_context(all_ids, loaded.model.cfg, truncate)
    read = text
    if len(ids) < len(all_ids):
        read = loaded.tokenizer.decode(ids)
    trace = capture(loaded.model, ids, token_strings=loaded.tokenizer.token_strings(ids), text=read,
                    label=label or f"{Path(loaded.source).name or 'model'} · {read[:24]}")
    if len(ids) < len(all_ids):
        trace.meta["truncated"] = {"side": truncate, "dropped": len(all_ids) - len(ids), "of": len(all_ids)}
    return TraceCaptured(trace=trace, histograms=trace_histograms(trace.tensors, trace.n_layer))


def capture_job(loaded: LoadedModel, text: str, label: str = "", truncate: str | None = None) -> Iterator[object]:
    """Capture ``text`` in the worker. Over the model's context with no ``truncate``: yields
    :class:`ContextExceeded` (the tokenizing happened here, not on the GUI thread) and captures nothing."""
    yield JobProgress(-1.0, "Running the prompt through the model…")
    try:
        yield capture_prompt(loaded, text, label, truncate)
    except PromptTooLong as exc:
        yield ContextExceeded(text, exc.n_tokens, exc.limit)


def open_model_job(source: str, device: torch.device, prompt: str = DEFAULT_PROMPT,
                   **hf_options: object) -> Iterator[object]:
    """Load a built-in model (``demo``, ``minilm``), a TinyGPT folder or a Hugging Face folder, then capture
    ``prompt`` with it. ``hf_options`` (dtype, device_map, max_memory, offload_dir) apply to Hugging Face models."""
    yield JobProgress(0.1, "Loading the model…")
    loaded = load_demo(device) if source == "demo" else load_model(source, device, **hf_options)
    yield ModelLoaded(loaded)
    if source in ("demo", "demo-moe") and (builtin_folder(source) / "history.npz").is_file():
        yield HistoryLoaded(TrainingHistory.load_npz(builtin_folder(source) / "history.npz"))
    yield JobProgress(0.5, "Capturing the default prompt…")
    yield from default_capture(loaded, prompt, source if is_builtin(source) else Path(source).name)
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
        elif isinstance(event, (HistogramSnapshot, TrainStarted)):
            yield event  # TrainStarted: the live model, which a cancelled run may keep
        elif isinstance(event, TrainFinished):
            loaded = LoadedModel(model=event.model, tokenizer=event.tokenizer, source=label)
            yield ModelLoaded(loaded)
            yield from default_capture(loaded, prompt, label)


def default_capture(loaded: LoadedModel, prompt: str, label: str) -> Iterator[object]:
    """The app's own first capture of a new model. Nobody typed this prompt, so a model with a shorter context
    reads its last tokens (``meta["truncated"]`` says so) instead of failing the load or the training run."""
    captured = capture_prompt(loaded, prompt, label=label, truncate="left")
    cut = captured.trace.meta.get("truncated")
    if cut:
        yield JobProgress(0.9, f"{context_sentence(cut['of'], captured.trace.n_pos)} The default prompt was cut to its "
                               f"last {captured.trace.n_pos:,} tokens.")
    yield captured


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
