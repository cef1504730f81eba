"""Training as a generator: the same loop runs in a test, on the command line and in the GUI worker.

``train(...)`` yields :class:`TrainStarted` (the model being trained, so a cancelled run can keep it), then
:class:`TrainProgress` every step, a :class:`HistogramSnapshot` every ``snapshot_every`` steps (and at step 0, so the
over-training view starts at initialisation), and finally :class:`TrainFinished` with the trained model. Closing the
generator (Cancel) stops it between steps, with the weights of the last finished step. AdamW, linear warm-up then
cosine decay, seeded batches. The run keeps the snapshot with the lowest validation loss: with ``keep_best`` (the
default) the finished model holds those weights, not the last step's.
"""
from __future__ import annotations

import math
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import torch

from lmscope.backend.capture import capture
from lmscope.backend.device import pick_device
from lmscope.backend.errors import BadInputError
from lmscope.backend.models.config import TinyGPTConfig
from lmscope.backend.models.moe import MoE
from lmscope.backend.models.tinygpt import TinyGPT
from lmscope.backend.moe.routing import moe_layers, router_hook
from lmscope.backend.moe.stats import expert_counts
from lmscope.backend.stats import site_hook_names, trace_histograms
from lmscope.backend.models.tokenizer import CharTokenizer
from lmscope.backend.training.events import HistogramSnapshot, TrainProgress


@dataclass(frozen=True)
class TrainSettings:
    steps: int = 300
    batch_size: int = 16
    seq_len: int = 64
    lr: float = 3e-3
    min_lr_ratio: float = 0.1
    warmup: int = 20
    weight_decay: float = 0.1
    grad_clip: float = 1.0
    seed: int = 0
    snapshot_every: int = 25
    # Early stopping (0 = off): stop once the validation loss has not improved for this many snapshots in a row,
    # and hand back the weights of the best snapshot.
    early_stop_patience: int = 0
    # Hand back the weights of the snapshot with the lowest validation loss (not the last step's).
    keep_best: bool = True
    bins: int = 64
    device: str | None = None

    def __post_init__(self) -> None:
        for name in ("steps", "batch_size", "seq_len", "snapshot_every", "bins"):
            if int(getattr(self, name)) <= 0:
                raise BadInputError(f"{name} must be a positive integer, not {getattr(self, name)!r}.")
        if self.early_stop_patience < 0:
            raise BadInputError(f"early_stop_patience must be ≥ 0 (0 = off), not {self.early_stop_patience}.")
        if not self.lr > 0:
            raise BadInputError(f"The learning rate must be positive, not {self.lr}.")


@dataclass(frozen=True)
class TrainFinished:
    model: TinyGPT = field(repr=False)
    tokenizer: CharTokenizer = field(repr=False)
    steps: int
    final_loss: float
    best_step: int = -1  # the snapshot with the lowest validation loss (``model`` holds it with keep_best)
    best_val_loss: float = float("nan")


@dataclass(frozen=True)
class TrainStarted:
    """The model about to be trained. The trainer changes it in place until the run ends; a caller may use it once
    the generator is finished or closed (a cancelled run: the weights of the last finished step)."""

    model: TinyGPT = field(repr=False)
    tokenizer: CharTokenizer = field(repr=False)


TrainEvent = TrainStarted | TrainProgress | HistogramSnapshot | TrainFinished


def lr_at(step: int, settings: TrainSettings) -> float:
    """Linear warm-up to ``lr``, then cosine decay to ``lr · min_lr_ratio`` at the last step."""
    if step < settings.warmup:
        return settings.lr * (step + 1) / settings.warmup
    progress = (step - settings.warmup) / max(1, settings.steps - settings.warmup)
    floor = settings.lr * settings.min_lr_ratio
    return floor + 0.5 * (settings.lr - floor) * (1 + math.cos(math.pi * min(1.0, progress)))


def warm_up_torch() -> None:
    """Import what the first optimizer step imports lazily (torch._dynamo, ~2 s holding the GIL).

    Done once at start-up so the GUI does not stall when the user starts training.
    """
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.AdamW([param], lr=1e-3)
    param.sum().backward()
    opt.step()


class _Batches:
    """Seeded random windows of the token stream; the last 10 % is held out for the validation loss."""

    def __init__(self, ids: np.ndarray, seq_len: int, seed: int) -> None:
        if ids.size < 2 * (seq_len + 1):
            raise BadInputError(f"The corpus has {ids.size} tokens; training with windows of {seq_len} needs at "
                                f"least {2 * (seq_len + 1)}.")
        split = max(seq_len + 1, int(ids.size * 0.9))
        self.train_ids = torch.from_numpy(ids[:split].astype(np.int64))
        self.val_ids = torch.from_numpy(ids[split - seq_len - 1:].astype(np.int64))
        self.seq_len = seq_len
        self.gen = torch.Generator().manual_seed(seed)

    def sample(self, ids: torch.Tensor, batch_size: int) -> tuple[torch.Tensor, torch.Tensor]:
        starts = torch.randint(0, ids.numel() - self.seq_len - 1, (batch_size,), generator=self.gen)
        windows = torch.stack([ids[s: s + self.seq_len + 1] for s in starts.tolist()])
        return windows[:, :-1], windows[:, 1:]


def train(
    config: TinyGPTConfig,
    tokenizer: CharTokenizer,
    text: str,
    settings: TrainSettings = TrainSettings(),
) -> Iterator[TrainEvent]:
    if config.vocab_size != tokenizer.vocab_size:
        config = config.replace(vocab_size=tokenizer.vocab_size)
    seq_len = min(settings.seq_len, config.n_ctx)
    device = pick_device(settings.device)
    torch.manual_seed(settings.seed)
    model = TinyGPT(config).to(device)
    batches = _Batches(np.asarray(tokenizer.encode(text)), seq_len, settings.seed)
    probe, _ = batches.sample(batches.val_ids, 4)
    val_x, val_y = batches.sample(batches.val_ids, 16)
    opt = torch.optim.AdamW(model.parameters(), lr=settings.lr, weight_decay=settings.weight_decay,
                            betas=(0.9, 0.95))
    yield TrainStarted(model, tokenizer)
    first = _snapshot(model, probe, val_x, val_y, 0, settings.bins)
    yield first
    best = _Best(settings.early_stop_patience, settings.keep_best or settings.early_stop_patience > 0, model, first)
    start = time.perf_counter()
    loss_value = float("nan")
    for step in range(settings.steps):
        t0 = time.perf_counter()
        lr = lr_at(step, settings)
        for group in opt.param_groups:
            group["lr"] = lr
        x, y = batches.sample(batches.train_ids, settings.batch_size)
        model.train()
        logits = model(x.to(device))
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.to(device).reshape(-1))
        aux = model.aux_loss()
        opt.zero_grad(set_to_none=True)
        (loss if aux is None else loss + aux).backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), settings.grad_clip)
        opt.step()
        for module in model.modules():
            if isinstance(module, MoE):
                module.update_selection_bias()  # DeepSeek-V3's ±γ, after the step, from this batch's load
        loss_value = float(loss.detach())
        if not math.isfinite(loss_value):
            raise BadInputError(f"The loss became {loss_value} at step {step + 1}; lower the learning rate.")
        elapsed = time.perf_counter() - t0
        yield TrainProgress(step + 1, settings.steps, loss_value, lr, x.numel() / max(elapsed, 1e-9),
                            time.perf_counter() - start)
        if (step + 1) % settings.snapshot_every == 0 or step + 1 == settings.steps:
            snapshot = _snapshot(model, probe, val_x, val_y, step + 1, settings.bins)
            yield snapshot
            if best.stop_after(snapshot, model):
                break
    model.eval()
    best.restore(model)
    yield TrainFinished(model=model, tokenizer=tokenizer, steps=step + 1, final_loss=loss_value,
                        best_step=best.step, best_val_loss=best.loss)


class _Best:
    """The snapshot with the lowest validation loss (its weights, with ``keep``), and for early stopping how many
    snapshots have passed since."""

    def __init__(self, patience: int, keep: bool, model: TinyGPT, first: HistogramSnapshot) -> None:
        self.patience, self.keep, self.since = patience, keep, 0
        self.loss, self.step, self.state = first.val_loss, first.step, self._copy(model) if keep else None

    @staticmethod
    def _copy(model: TinyGPT) -> dict[str, torch.Tensor]:
        return {k: v.detach().clone() for k, v in model.state_dict().items()}

    def stop_after(self, snapshot: HistogramSnapshot, model: TinyGPT) -> bool:
        if snapshot.val_loss < self.loss:
            self.loss, self.step, self.since = snapshot.val_loss, snapshot.step, 0
            self.state = self._copy(model) if self.keep else None
            return False
        self.since += 1
        return bool(self.patience) and self.since >= self.patience

    def restore(self, model: TinyGPT) -> None:
        if self.state is not None:
            model.load_state_dict(self.state)


@torch.no_grad()
def _snapshot(model: TinyGPT, probe: torch.Tensor, val_x: torch.Tensor, val_y: torch.Tensor, step: int,
              bins: int) -> HistogramSnapshot:
    router = [router_hook(layer, hook) for layer in range(model.cfg.n_layer)
              for hook in ("hook_router_logits", "hook_topk_indices")]
    cfg = model.cfg
    experts = (cfg.n_experts, cfg.n_shared) if cfg.ffn == "moe" else (0, 0)
    trace = capture(model, probe, site_hook_names(cfg.n_layer, *experts) + router)
    was_training = model.training
    model.eval()
    logits = model(val_x.to(model.device))
    val_loss = float(torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                                       val_y.to(model.device).reshape(-1)))
    model.train(was_training)
    stats = trace_histograms(trace.tensors, model.cfg.n_layer, bins)
    return HistogramSnapshot(step=step, val_loss=val_loss, stats=stats, **_moe_load(model, trace.tensors))


def _moe_load(model: TinyGPT, tensors: dict) -> dict[str, object]:
    """Load per expert of every MoE layer on the probe batch, and the selection bias when balancing uses one."""
    layers = moe_layers(tensors)
    if not layers:
        return {}
    e = model.cfg.n_experts
    load = np.stack([expert_counts(idx := tensors[router_hook(layer, "hook_topk_indices")], e) / max(1, idx.size)
                     for layer in layers])
    biases = [model.blocks[layer].ffn.selection_bias for layer in layers]
    bias = None if any(b is None for b in biases) else np.stack([b.detach().cpu().numpy() for b in biases])
    return {"moe_layers": tuple(layers), "moe_load": load, "moe_bias": bias}
