"""Activation patching: which places carry the information that makes the clean prompt's answer.

Run the corrupted prompt with one activation replaced by the clean run's, and measure the normalised effect on the
logit diff, (patched − corrupt)/(clean − corrupt): 1 where the patch restores the clean answer, 0 where it does
nothing. Sweeps: ``blocks.{l}.hook_resid_pre`` per (layer, position), ``hook_attn_out`` and ``hook_mlp_out`` per
(layer, position), and each head's z per (layer, head) at every position.

Speed (bench/bench_lens.py): patches go through the model in batches — one row per patch, each row's edit
touching only its own row. A patch at (layer l, position p) leaves everything before block l, and every position
before p, as the corrupted run had it; so a batch of patches near each other starts at its lowest block, from the
corrupted residual there, and (for a model that supports it) at its first position, reading the corrupted run's
keys and values for earlier positions as decoding reads a KV cache. Patches are batched in tiles of neighbouring
layers and positions to keep those starts high. Only the measured position is normed and unembedded. A patch whose
clean values are bit for bit the corrupted run's (every position before the prompts first differ, in a causal
model) is 0 without a pass. A model whose rows interact (an MoE with expert capacity) runs one patch per pass.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from lmscope.backend.errors import BadInputError
from lmscope.backend.jobs import JobProgress
from lmscope.backend.lens.attribution import check_pair, logit_diff
from lmscope.backend.lens.model import Edit, LensModel, check_prompt, hook_layer

SWEEPS = ("resid_pre", "attn_out", "mlp_out", "heads")
SWEEP_HOOKS = {"resid_pre": "blocks.{}.hook_resid_pre", "attn_out": "blocks.{}.hook_attn_out",
               "mlp_out": "blocks.{}.hook_mlp_out", "heads": "blocks.{}.attn.hook_z"}
# Rows × positions per batched pass: bounds the activations of one pass (~100 MB at GPT-2 small's width).
BATCH_TOKENS = 5120
MAX_ROWS = 256
# Tiles of patches batched together: about a sixth of the layers by a quarter of the positions. A patch costs
# (L − l_start)·(T − p_start) token-blocks, which averages 0.28·L·T with per-patch starts; these tiles give ≈ 0.36,
# starting at block 0 and position 0 would give 1. Measured on bench_lens's 12-layer d=256 model, the 720
# per-position patches of 20 tokens (one thread, CPU time): 2.1–2.4 s in these 2 × 5 tiles, 2.4–2.7 s in 3 × 10,
# 3.3 s in 2 × 5 tiles starting at position 0, 5.5–6.0 s in 256-row batches starting at block 0 and position 0.
LAYER_TILES, POSITION_TILES = 6, 4
# |clean − corrupt| below this leaves the normalised effect undefined.
MIN_DENOMINATOR = 1e-6


@dataclass(frozen=True)
class Patch:
    """The clean run's activation at ``hook``, copied into the corrupted run at some positions (and heads)."""

    hook: str
    positions: tuple[int, ...] | None = None  # None: every position
    heads: tuple[int, ...] | None = None  # attn.hook_z only; None: every head

    @property
    def layer(self) -> int:
        return hook_layer(self.hook)[0]

    @property
    def first_position(self) -> int | None:
        """The earliest position the patch changes (None: it changes none)."""
        if self.positions is None:
            return 0
        return min(self.positions) if self.positions else None


@dataclass
class PatchSetup:
    """The clean and corrupted runs every patch is measured against."""

    clean: torch.Tensor  # (1, pos) token ids
    corrupt: torch.Tensor
    target: int
    distractor: int
    position: int  # ≥ 0
    clean_diff: float
    corrupt_diff: float
    clean_cache: dict[str, torch.Tensor] = field(repr=False)  # hook -> (1, pos, …)
    corrupt_resid: dict[int, torch.Tensor] = field(repr=False)  # layer -> corrupted resid_pre (1, pos, d_model)
    corrupt_prefix: dict[str, torch.Tensor] = field(repr=False)  # the model's prefix_names() of the corrupted run
    corrupt_cache: dict[str, torch.Tensor] = field(default_factory=dict, repr=False)  # the corrupted run at hooks

    def changes_nothing(self, patch: Patch) -> bool:
        """Whether the clean values the patch copies are the corrupted run's own, bit for bit (positions before the
        prompts first differ, in a causal model): the patched run is then the corrupted run, its effect 0."""
        corrupt = self.corrupt_cache.get(patch.hook)
        if corrupt is None:
            return False
        clean, corrupt = self.clean_cache[patch.hook][0], corrupt[0]
        if patch.positions is not None:
            clean, corrupt = clean[list(patch.positions)], corrupt[list(patch.positions)]
        if patch.heads is not None and patch.hook.endswith("hook_z"):
            clean, corrupt = clean[:, list(patch.heads)], corrupt[:, list(patch.heads)]
        return bool(torch.equal(clean, corrupt))

    def effect(self, patched: np.ndarray) -> np.ndarray:
        return (patched - self.corrupt_diff) / (self.clean_diff - self.corrupt_diff)


@dataclass(frozen=True)
class PatchingResult:
    clean_tokens: tuple[str, ...]
    corrupt_tokens: tuple[str, ...]
    target: int
    distractor: int
    position: int
    clean_diff: float
    corrupt_diff: float
    resid_pre: np.ndarray = field(repr=False)  # (layer, pos) effects; NaN where not (yet) computed
    attn_out: np.ndarray = field(repr=False)  # (layer, pos)
    mlp_out: np.ndarray = field(repr=False)  # (layer, pos)
    heads: np.ndarray = field(repr=False)  # (layer, head)
    complete: bool = True

    def to_json(self) -> dict:
        """The ``lmscope patch --json`` object (issue 17)."""
        def rows(a: np.ndarray) -> list[list[float | None]]:
            return [[None if np.isnan(v) else float(v) for v in row] for row in a]

        return {"clean_diff": self.clean_diff, "corrupt_diff": self.corrupt_diff, "resid_pre": rows(self.resid_pre),
                "attn_out": rows(self.attn_out), "mlp_out": rows(self.mlp_out), "heads": rows(self.heads)}


@dataclass(frozen=True)
class PatchingComputed:
    result: PatchingResult = field(repr=False)
    clean_text: str = ""
    corrupt_text: str = ""
    target_text: str = ""
    distractor_text: str = ""


def sweep_patches(kind: str, n_layer: int, n_pos: int, n_head: int) -> list[Patch]:
    hook = SWEEP_HOOKS[kind]
    if kind == "heads":
        return [Patch(hook.format(layer), heads=(head,)) for layer in range(n_layer) for head in range(n_head)]
    return [Patch(hook.format(layer), positions=(pos,)) for layer in range(n_layer) for pos in range(n_pos)]


@torch.no_grad()
def prepare(lm: LensModel, clean_ids: Sequence[int], corrupt_ids: Sequence[int], target: int, distractor: int,
            position: int = -1, hooks: Sequence[str] = ()) -> PatchSetup:
    """Run both prompts once: their logit diffs, the clean activations at ``hooks``, the corrupted residuals."""
    check_prompt(lm, clean_ids, "clean prompt")
    check_prompt(lm, corrupt_ids, "corrupted prompt")
    if len(clean_ids) != len(corrupt_ids):
        raise BadInputError(f"The clean prompt has {len(clean_ids)} tokens and the corrupted one {len(corrupt_ids)}; "
                            "patching needs prompts of the same token length.")
    check_pair(lm, target, distractor)
    if not -len(clean_ids) <= position < len(clean_ids):
        raise BadInputError(f"Position {position} is outside the {len(clean_ids)}-token prompts.")
    pos = position % len(clean_ids)
    clean, corrupt = lm.tokens(clean_ids), lm.tokens(corrupt_ids)
    resid_names = [f"blocks.{layer}.hook_resid_pre" for layer in range(lm.n_layer)]
    clean_logits, clean_cache = lm.run(clean, capture=sorted(set(hooks)), position=pos)
    prefix_names = lm.prefix_names() if lm.supports_prefix else []
    corrupt_logits, corrupt_cache = lm.run(corrupt, capture=sorted({*hooks, *resid_names, *prefix_names}),
                                           position=pos)
    clean_diff = float(logit_diff(clean_logits[0], target, distractor))
    corrupt_diff = float(logit_diff(corrupt_logits[0], target, distractor))
    if abs(clean_diff - corrupt_diff) < MIN_DENOMINATOR * max(1.0, abs(clean_diff)):
        raise BadInputError(f"Both prompts give the same logit difference ({clean_diff:.4g}), so no patch can "
                            "restore anything; choose a corrupted prompt that changes the answer.")
    return PatchSetup(clean, corrupt, target, distractor, pos, clean_diff, corrupt_diff, clean_cache,
                      {layer: corrupt_cache[name] for layer, name in enumerate(resid_names)},
                      {name: corrupt_cache[name] for name in prefix_names},
                      {name: corrupt_cache[name] for name in hooks})


def _edit(clean: torch.Tensor, rows: list[int], patches: list[Patch], is_z: bool, start: int) -> Edit:
    """An edit writing each row's patch (clean values at its positions/heads) into that row only, for a pass
    whose activations begin at position ``start``."""
    n_pos = clean.shape[1]
    r_idx: list[int] = []
    p_idx: list[int] = []
    h_idx: list[int] = []
    for row, patch in zip(rows, patches):
        positions = range(n_pos) if patch.positions is None else patch.positions
        if is_z:
            heads = range(clean.shape[2]) if patch.heads is None else patch.heads
            for p in positions:
                r_idx += [row] * len(heads)
                p_idx += [p] * len(heads)
                h_idx += list(heads)
        else:
            r_idx += [row] * len(positions)
            p_idx += list(positions)
    device = clean.device
    r, p = torch.tensor(r_idx, device=device, dtype=torch.long), torch.tensor(p_idx, device=device, dtype=torch.long)
    h = torch.tensor(h_idx, device=device, dtype=torch.long)
    source = clean[0, start:]
    p = p - start

    def edit(act: torch.Tensor) -> torch.Tensor:
        if r.numel() == 0:
            return act
        out = act.clone(memory_format=torch.contiguous_format)  # the input may be an expanded view
        if is_z:
            out[r, p, h] = source[p, h].to(out.dtype)
        else:
            out[r, p] = source[p].to(out.dtype)
        return out

    return edit


@torch.no_grad()
def run_batch(lm: LensModel, setup: PatchSetup, patches: Sequence[Patch]) -> np.ndarray:
    """The patched logit diff of each patch, all in one forward pass from the lowest block they touch (and, when
    the model can, from the first position they change)."""
    n = len(patches)
    layer = min(p.layer for p in patches)
    firsts = [p.first_position for p in patches]
    start = 0
    if lm.supports_prefix:
        start = min([f for f in firsts if f is not None] or [setup.position])
        start = min(start, setup.position)  # the measured position must be in the pass
    groups: dict[str, tuple[list[int], list[Patch]]] = defaultdict(lambda: ([], []))
    for row, patch in enumerate(patches):
        groups[patch.hook][0].append(row)
        groups[patch.hook][1].append(patch)
    edits = {hook: _edit(setup.clean_cache[hook], rows, group, hook.endswith("hook_z"), start)
             for hook, (rows, group) in groups.items()}
    tokens = setup.corrupt.expand(n, -1)
    resid = setup.corrupt_resid[layer][:, start:].expand(n, -1, -1)
    logits = lm.run_from(layer, resid, tokens, edits, position=setup.position, start=start,
                         prefix=setup.corrupt_prefix)
    return logit_diff(logits, setup.target, setup.distractor).cpu().numpy()


def batch_rows(lm: LensModel, n_pos: int) -> int:
    if not lm.batch_independent:
        return 1
    return max(1, min(MAX_ROWS, BATCH_TOKENS // max(1, n_pos)))


def plan_batches(patches: Sequence[Patch], n_layer: int, n_pos: int, rows: int) -> list[list[int]]:
    """Indices of ``patches`` in batches of at most ``rows``, each from one tile of neighbouring layers and
    positions (ordered within a tile by first position, then layer), so that every batch can start late."""
    layer_tile = max(1, -(-n_layer // LAYER_TILES))
    position_tile = max(1, -(-n_pos // POSITION_TILES))
    tiles: dict[tuple[int, int], list[int]] = defaultdict(list)
    for i, patch in enumerate(patches):
        first = patch.first_position
        tiles[(patch.layer // layer_tile, (first or 0) // position_tile)].append(i)
    batches = []
    for key in sorted(tiles):
        members = sorted(tiles[key], key=lambda i: (patches[i].first_position or 0, patches[i].layer))
        batches += [members[k:k + rows] for k in range(0, len(members), rows)]
    return batches


def patch_effects(lm: LensModel, setup: PatchSetup, patches: Sequence[Patch],
                  rows: int | None = None) -> Iterator[tuple[int, np.ndarray]]:
    """Normalised effects of ``patches``, a batch at a time: yields (patches done so far, effects of all patches,
    NaN for those not done). A patch that copies exactly what the corrupted run already has is 0 without a pass."""
    n_pos = setup.clean.shape[1]
    rows = rows or batch_rows(lm, n_pos)
    effects = np.full(len(patches), np.nan)
    idle = [setup.changes_nothing(patch) for patch in patches]
    effects[np.flatnonzero(idle)] = 0.0
    done = sum(idle)
    todo = [i for i, skip in enumerate(idle) if not skip]
    if not todo:
        yield done, effects.copy()
    for batch in plan_batches([patches[i] for i in todo], lm.n_layer, n_pos, rows):
        batch = [todo[i] for i in batch]
        diffs = run_batch(lm, setup, [patches[i] for i in batch])
        effects[batch] = setup.effect(diffs)
        done += len(batch)
        yield done, effects.copy()


def patching_job(lm: LensModel, clean_text: str, corrupt_text: str, target: int, distractor: int,
                 position: int = -1, sweeps: Sequence[str] = SWEEPS, rows: int | None = None,
                 target_text: str = "", distractor_text: str = "") -> Iterator[object]:
    """Every sweep of ``sweeps``, with progress and a partial result after each batch (the heatmaps fill in)."""
    unknown = [s for s in sweeps if s not in SWEEPS]
    if unknown:
        raise BadInputError(f"Patching sweeps are {', '.join(SWEEPS)}, not {unknown[0]!r}.")
    clean_ids, corrupt_ids = lm.encode(clean_text), lm.encode(corrupt_text)
    L, H, T = lm.n_layer, lm.n_head, len(clean_ids)
    plan = {kind: sweep_patches(kind, L, T, H) for kind in sweeps}
    hooks = sorted({p.hook for patches in plan.values() for p in patches})
    yield JobProgress(0.0, "Running the clean and corrupted prompts…")
    setup = prepare(lm, clean_ids, corrupt_ids, target, distractor, position, hooks)
    shapes = {"resid_pre": (L, T), "attn_out": (L, T), "mlp_out": (L, T), "heads": (L, H)}
    arrays = {kind: np.full(shape, np.nan) for kind, shape in shapes.items()}
    texts = (clean_text, corrupt_text, target_text, distractor_text)

    def result(complete: bool) -> PatchingComputed:
        return PatchingComputed(PatchingResult(
            tuple(lm.token_strings(clean_ids)), tuple(lm.token_strings(corrupt_ids)), target, distractor,
            setup.position, setup.clean_diff, setup.corrupt_diff, **{k: a.copy() for k, a in arrays.items()},
            complete=complete), *texts)

    # One plan over every sweep, so a batch may mix kinds of patches at neighbouring layers.
    patches = [p for kind in sweeps for p in plan[kind]]
    total = len(patches)
    for done, effects in patch_effects(lm, setup, patches, rows):
        offset = 0
        for kind in sweeps:
            arrays[kind][...] = effects[offset:offset + len(plan[kind])].reshape(shapes[kind])
            offset += len(plan[kind])
        yield JobProgress(done / total, f"Patching: {done}/{total} patches")
        yield result(complete=False)
    yield result(complete=True)
