"""The step-through attention debugger: TinyGPT's forward pass as a generator that stops at every (layer, head,
stage), with breakpoints whose conditions are safe expressions (:mod:`lmscope.backend.attention.expr`).

Stages per head, in order (CONCEPTS.md, Attention): ``scores`` = QKᵀ, ``scaled`` = QKᵀ/√d, ``masked`` (−∞ where the
mask forbids), ``pattern`` = softmax, ``z`` = pattern·V. The generator reuses the model's own pieces (embedding,
q/k/v projections, W_O with any head ablation, the rest of the block), so the logits it ends with are the model's.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from lmscope.backend.capture import to_numpy
from lmscope.backend.errors import BadInputError
from lmscope.backend.attention.expr import Expr, ExprError, row_entropy
from lmscope.backend.models.tinygpt import TinyGPT

STAGES = ("scores", "scaled", "masked", "pattern", "z")
STAGE_LABELS = {"scores": "scores QKᵀ", "scaled": "scaled ÷√d", "masked": "after the mask",
                "pattern": "softmax pattern", "z": "output z = pattern·V"}
# The condition presets the panel offers; {x} is the threshold. Every one is an ordinary expression.
CONDITIONS = {
    "NaN/Inf anywhere": "nonfinite > 0",
    "max pattern weight >": "max(weight) > {x}",
    "row entropy <": "min(entropy) < {x}",
    "|score| >": "max(abs(score)) > {x}",
}
VARIABLES = ("q, k, v (pos × d_head), scores, scaled, masked, pattern (query × key), z (pos × d_head), "
             "entropy and weight (per query row: entropy in nats and max weight, NaN for rows that see fewer than "
             "2 keys), score (scaled scores, NaN where masked), nonfinite (count of NaN/±Inf, masked −∞ excluded), "
             "layer, head, row (the query row under study), n (positions)")


@dataclass(frozen=True)
class Stop:
    """One pause point: a head's tensors up to ``stage`` for one sequence of the batch."""

    index: int  # 0-based count of stops in this run
    layer: int
    head: int
    stage: str
    kv_head: int
    tensors: dict[str, np.ndarray] = field(repr=False)  # q, k, v, and every stage up to this one
    allowed: np.ndarray = field(repr=False)  # (query, key) bool

    @property
    def tensor(self) -> np.ndarray:
        return self.tensors[self.stage]

    def env(self, row: int) -> dict[str, Any]:
        """The variables a breakpoint expression may use here (see :data:`VARIABLES`)."""
        env: dict[str, Any] = dict(self.tensors)
        n = self.allowed.shape[0]
        env.update(layer=self.layer, head=self.head, row=row % n if n else 0, n=n)
        choice = self.allowed.sum(-1) >= 2  # a row that sees one key has no choice to make
        if "pattern" in self.tensors:
            env["entropy"] = np.where(choice, row_entropy(self.tensors["pattern"]), np.nan)
            env["weight"] = np.where(choice, self.tensors["pattern"].max(-1), np.nan)
        if "scaled" in self.tensors:
            env["score"] = np.where(self.allowed, self.tensors["scaled"], np.nan)
        env["nonfinite"] = self.nonfinite()
        return env

    def nonfinite(self) -> int:
        count = 0
        for name, tensor in self.tensors.items():
            bad = ~np.isfinite(tensor)
            if name == "masked":
                bad &= self.allowed  # −∞ on a masked cell is the mask working, not a fault
            count += int(bad.sum())
        return count


@dataclass(frozen=True)
class Finished:
    """The end of the pass: logits (pos, vocab) of the sequence under study."""

    logits: np.ndarray = field(repr=False)


@dataclass(frozen=True)
class Breakpoint:
    """Stop at (layer, head, stage) — None is any — when ``condition`` (an expression, empty = always) holds."""

    layer: int | None = None
    head: int | None = None
    stage: str | None = None
    condition: str = ""
    _expr: Expr | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.stage is not None and self.stage not in STAGES:
            raise BadInputError(f"A breakpoint stage must be one of {', '.join(STAGES)} or *, not {self.stage!r}.")
        object.__setattr__(self, "_expr", Expr(self.condition) if self.condition.strip() else None)

    def at(self, stop: Stop) -> bool:
        return ((self.layer is None or self.layer == stop.layer) and (self.head is None or self.head == stop.head)
                and (self.stage is None or self.stage == stop.stage))

    def check(self, stop: Stop, env: dict[str, Any]) -> bool:
        """True when this breakpoint fires at ``stop``; a condition on tensors not computed yet does not fire."""
        if not self.at(stop):
            return False
        if self._expr is None:
            return True
        if not self._expr.names <= set(env):
            return False
        return self._expr.truth(env)

    def to_text(self) -> str:
        def star(value: object) -> str:
            return "*" if value is None else str(value)
        where = f"L{star(self.layer)} H{star(self.head)} {star(self.stage)}"
        return f"{where} if {self.condition}" if self.condition.strip() else where

    @classmethod
    def parse(cls, text: str) -> "Breakpoint":
        """``"L1 H* pattern if min(entropy) < 0.5"``: layer, head, stage (``*`` = any), optional condition."""
        where, _, condition = text.partition(" if ")
        words = where.split()
        if len(words) != 3 or not words[0].startswith("L") or not words[1].startswith("H"):
            raise BadInputError(f"Cannot read the breakpoint {text!r}; write it as 'L1 H* pattern if CONDITION'.")
        try:
            layer, head = (None if w[1:] == "*" else int(w[1:]) for w in words[:2])
        except ValueError as exc:
            raise BadInputError(f"The layer and head of {text!r} must be numbers or *.") from exc
        return cls(layer, head, None if words[2] == "*" else words[2], condition.strip())


def focus_row(stop: Stop, condition: str, default: int) -> int:
    """The query row that explains why ``condition`` fired: lowest entropy, highest weight or |score|, first NaN."""
    env = stop.env(default)
    candidates = (("entropy", np.nanargmin), ("weight", np.nanargmax), ("score", None), ("nonfinite", None))
    for name, pick in candidates:
        if name not in condition or name not in env:
            continue
        values = env[name]
        if name == "score":
            values = np.nanmax(np.abs(np.where(np.isnan(values), -np.inf, values)), axis=-1)
            pick = np.nanargmax
        elif name == "nonfinite":
            rows = np.nonzero(~np.isfinite(stop.tensor).reshape(stop.tensor.shape[0], -1).all(-1))[0]
            return int(rows[0]) if len(rows) else env["row"]
        if np.all(np.isnan(values)):
            return env["row"]
        return int(pick(values))
    return env["row"]


def _head_stops(first: int, layer: int, head: int, kv_head: int, qh: torch.Tensor, kh: torch.Tensor,
                vh: torch.Tensor, allowed: torch.Tensor, batch: int, d_head: int,
                ) -> Iterator[Stop | torch.Tensor]:
    """The five stages of one head for the whole batch; yields a Stop per stage, then z (batch, pos, d_head)."""
    tensors: dict[str, np.ndarray] = {"q": to_numpy(qh[batch]), "k": to_numpy(kh[batch]), "v": to_numpy(vh[batch])}
    allowed_np = to_numpy(allowed[batch])
    scores = qh @ kh.transpose(-1, -2)
    scaled = scores / math.sqrt(d_head)
    masked = scaled.masked_fill(~allowed, float("-inf"))
    pattern = torch.softmax(masked, dim=-1)
    # A row with every key masked has no distribution: zeros (as the model shows it), but a NaN that came from
    # upstream stays visible.
    pattern = torch.where(allowed.any(-1, keepdim=True), pattern, torch.zeros_like(pattern))
    z = pattern @ vh
    for offset, (stage, value) in enumerate(zip(STAGES, (scores, scaled, masked, pattern, z))):
        tensors = {**tensors, stage: to_numpy(value[batch])}
        yield Stop(first + offset, layer, head, stage, kv_head, tensors, allowed_np)
    yield z


@torch.no_grad()
def debug_forward(model: TinyGPT, tokens: torch.Tensor, allowed: torch.Tensor | None = None,
                  batch: int = 0) -> Iterator[Stop | Finished]:
    """Yield a :class:`Stop` per (layer, head, stage), then :class:`Finished` with the logits of ``batch``.

    ``tokens`` (batch, pos); ``allowed`` as TinyGPT takes it (None = causal).
    """
    B, T = tokens.shape
    mask = torch.ones(T, T, dtype=torch.bool, device=tokens.device).tril() if allowed is None else allowed
    mask = mask.to(tokens.device).expand(B, 1, T, T)[:, 0]  # (batch, query, key), the same for every head
    cfg = model.cfg
    group = cfg.n_head // cfg.n_kv_head
    x, rope = model.embed_input(tokens)
    index = 0
    for layer, block in enumerate(model.blocks):
        q, k, v = block.attn.qkv(block.attn_input(x, None, ""), rope)
        heads = []
        for head in range(cfg.n_head):
            kv_head = head // group
            for item in _head_stops(index, layer, head, kv_head, q[:, :, head], k[:, :, kv_head],
                                    v[:, :, kv_head], mask, batch, q.shape[-1]):  # MLA: d_h + d_h^R
                if isinstance(item, Stop):
                    yield item
                else:
                    heads.append(item)
            index += len(STAGES)
        z = torch.stack(heads, dim=2)  # (batch, pos, head, d_head)
        x = block.after_attention(x, block.attn.output(z), None, "")
    yield Finished(to_numpy(model.unembed_output(x)[batch]))


@dataclass(frozen=True)
class Pause:
    """Where a command left the debugger, and why."""

    stop: Stop | None  # None once the pass has finished
    reason: str  # "step", "layer", "breakpoint", "target", "finished", "condition error"
    row: int  # the query row that explains the pause (the row under study unless a condition picked one)
    breakpoint: Breakpoint | None = None
    message: str = ""
    finished: Finished | None = None


class Debugger:
    """Holds one debug_forward generator and moves it by commands: step, step over layer, continue, run to.

    Each command is a generator too (:meth:`advance`): it yields every Stop it passes (for progress) and ends with
    a :class:`Pause`. :meth:`do` runs one to its end on the calling thread.
    """

    def __init__(self, model: TinyGPT, tokens: torch.Tensor, allowed: torch.Tensor | None = None,
                 breakpoints: tuple[Breakpoint, ...] = (), batch: int = 0, row: int = -1) -> None:
        self.model, self.tokens, self.allowed = model, tokens, allowed
        self.breakpoints = tuple(breakpoints)
        self.batch, self.row = batch, row
        cfg = model.cfg
        self.total = cfg.n_layer * cfg.n_head * len(STAGES)
        self.restart()

    def restart(self) -> None:
        was_training = self.model.training
        self.model.eval()  # dropout off: stepping is deterministic
        self._gen = debug_forward(self.model, self.tokens, self.allowed, self.batch)
        self._restore_training = was_training
        self.current: Stop | None = None
        self.finished: Finished | None = None

    def advance(self, command: str, target: tuple[int, int] | None = None) -> Iterator[Stop | Pause]:
        """``command`` is "step", "layer" (step over layer), "continue" or "run_to" (``target`` = layer, head)."""
        if command == "run_to":
            if target is None:
                raise BadInputError("Run to needs a layer and a head.")
            if self.current is None or (self.current.layer, self.current.head) >= target or self.finished:
                self.restart()
        if self.finished is not None:
            yield Pause(None, "finished", self.row, finished=self.finished)
            return
        until = self._condition(command, target)
        start_layer = self.current.layer if self.current is not None else -1
        for item in self._gen:
            if isinstance(item, Finished):
                self.finished, self.current = item, None
                self.model.train(self._restore_training)
                yield Pause(None, "finished", self.row, finished=item)
                return
            self.current = item
            yield item
            pause = until(item, start_layer)
            if pause is not None:
                yield pause
                return

    def do(self, command: str, target: tuple[int, int] | None = None) -> Pause:
        pause = None
        for item in self.advance(command, target):
            if isinstance(item, Pause):
                pause = item
        assert pause is not None
        return pause

    def _condition(self, command: str, target: tuple[int, int] | None) -> Callable[[Stop, int], Pause | None]:
        if command == "step":
            return lambda stop, _start: Pause(stop, "step", self.row)
        if command == "layer":
            return lambda stop, start: Pause(stop, "layer", self.row) if stop.layer != start else None
        if command == "run_to":
            return lambda stop, _start: (Pause(stop, "target", self.row)
                                         if (stop.layer, stop.head) == target else None)
        if command == "continue":
            return lambda stop, _start: self._check_breakpoints(stop)
        raise BadInputError(f"Unknown debugger command {command!r}.")

    def _check_breakpoints(self, stop: Stop) -> Pause | None:
        active = [bp for bp in self.breakpoints if bp.at(stop)]
        if not active:
            return None
        env = stop.env(self.row)
        for bp in active:
            try:
                fired = bp.check(stop, env)
            except ExprError as exc:
                return Pause(stop, "condition error", self.row, bp, str(exc))
            if fired:
                row = focus_row(stop, bp.condition, env["row"])
                return Pause(stop, "breakpoint", row, bp, f"{bp.to_text()} fired")
        return None
