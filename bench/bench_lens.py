"""Activation patching speed: every sweep (resid_pre, attn_out, mlp_out per layer × position; each head) of a
12-layer model on 20 positions, batched as the app runs it, next to the naive loop people write first — one full
hooked forward pass per patch (what TransformerLens tutorials and the peer in tests/backend/test_lens_gpt2.py do).
The "HF GPT-2" shape is transformers' own GPT2LMHeadModel (a seeded folder from hf_tiny, opened by lmscope's loader)
through the Hugging Face lens adapter (backend/lens/hf.py): the same sweeps, hooks on transformers' modules.

The naive loop is timed on every NAIVE_SAMPLE-th patch and its total projected from the mean time per patch (the
whole loop takes many minutes on GPT-2 small's shape on 2 cores); its effects on those patches are checked against
the batched ones. min/median/max of 3 runs each, in the same process. Wall time on a shared machine depends on its
load, so the note also gives this process's CPU time (median) and the 1-minute load average.
"""
from __future__ import annotations

import os
import statistics
import time
from functools import partial
from typing import Any

import numpy as np
import torch

from lmscope.backend.lens import LensModel, TinyGPTLens, patching_job
from lmscope.backend.lens.patching import SWEEPS, PatchingComputed, prepare, sweep_patches
from lmscope.backend.models.config import TinyGPTConfig
from lmscope.backend.models.tinygpt import TinyGPT

T = 20
REPEATS = 3
NAIVE_SAMPLE = 16
SHAPES = {
    # GPT-2 small's shape (124M parameters with the embedding).
    "gpt2-small shape": TinyGPTConfig(vocab_size=50257, n_ctx=64, d_model=768, n_layer=12, n_head=12, n_kv_head=12,
                                      d_mlp=3072),
    "12 layers, d=256": TinyGPTConfig(vocab_size=1000, n_ctx=64, d_model=256, n_layer=12, n_head=8, n_kv_head=8,
                                      d_mlp=1024),
    # The same shape as a Hugging Face GPT-2 (built by transformers, run through backend/lens/hf.py).
    "HF GPT-2, 12 layers, d=256": TinyGPTConfig(vocab_size=1000, n_ctx=64, d_model=256, n_layer=12, n_head=8,
                                                n_kv_head=8, d_mlp=1024),
}


class IdTokenizer:
    """Token i is the character chr(0x4E00 + i): any vocabulary size, one character per token."""

    def __init__(self, vocab_size: int) -> None:
        self.vocab_size = vocab_size

    def encode(self, text: str) -> list[int]:
        return [ord(c) - 0x4E00 for c in text]

    def token_strings(self, ids: list[int]) -> list[str]:
        return [chr(0x4E00 + i) for i in ids]


def _model(name: str, cfg: TinyGPTConfig) -> LensModel:
    torch.manual_seed(0)
    if name.startswith("HF "):
        import tempfile

        from lmscope.backend.lens.hf import HFLens
        from lmscope.backend.models.checkpoint import load_model
        from lmscope.backend.models.hf_tiny import make_tiny_checkpoint

        with tempfile.TemporaryDirectory(prefix="bench-lens-") as folder:
            # The tokenizer trained beside it has ~320 tokens; the embedding is padded to the shape's vocabulary.
            path = make_tiny_checkpoint(folder, "gpt2", extra_vocab=cfg.vocab_size - 320, n_layer=cfg.n_layer,
                                        n_embd=cfg.d_model, n_head=cfg.n_head, n_positions=cfg.n_ctx)
            loaded = load_model(path)
        return HFLens(loaded.model, IdTokenizer(loaded.model.cfg.vocab_size))
    return TinyGPTLens(TinyGPT(cfg).eval(), IdTokenizer(cfg.vocab_size))


def _prompts(cfg: TinyGPTConfig) -> tuple[str, str]:
    """Random tokens, the corrupted prompt one token different at position T // 2: patches before it are 0 without
    a pass (as in a real pair whose difference sits mid-prompt), so about half the position sweeps run."""
    g = torch.Generator().manual_seed(1)
    clean = torch.randint(0, cfg.vocab_size, (T,), generator=g).tolist()
    corrupt = list(clean)
    corrupt[T // 2] = (corrupt[T // 2] + 7) % cfg.vocab_size
    return "".join(chr(0x4E00 + i) for i in clean), "".join(chr(0x4E00 + i) for i in corrupt)


def batched(lm: LensModel, clean: str, corrupt: str) -> dict[str, np.ndarray]:
    events = list(patching_job(lm, clean, corrupt, 1, 2))
    result = [e for e in events if isinstance(e, PatchingComputed)][-1].result
    return {kind: getattr(result, kind) for kind in SWEEPS}


def all_patches(lm: LensModel) -> list[tuple[str, int, Any]]:
    """(sweep, index in the sweep's flattened array, patch) for every patch, in the batched result's order."""
    return [(kind, i, p) for kind in SWEEPS
            for i, p in enumerate(sweep_patches(kind, lm.n_layer, T, lm.n_head))]


@torch.no_grad()
def naive(lm: LensModel, clean: str, corrupt: str, sample: list[tuple[str, int, Any]]) -> np.ndarray:
    """One full forward pass (all positions, all logits) per patch of ``sample``, with one plain hook edit."""
    clean_ids, corrupt_ids = lm.encode(clean), lm.encode(corrupt)
    setup = prepare(lm, clean_ids, corrupt_ids, 1, 2, -1, sorted({p.hook for _, _, p in sample}))
    tokens = lm.tokens(corrupt_ids)
    effects = []
    for _, _, patch in sample:
        source = setup.clean_cache[patch.hook]

        def edit(act: torch.Tensor, patch=patch, source=source) -> torch.Tensor:  # noqa: ANN001
            act = act.clone()
            if patch.heads is not None:
                act[:, :, list(patch.heads)] = source[:, :, list(patch.heads)]
            else:
                act[:, list(patch.positions)] = source[:, list(patch.positions)]
            return act

        logits = lm.run(tokens, {patch.hook: edit})[0][0, -1]
        effects.append(float(setup.effect(np.asarray(float(logits[1].double() - logits[2].double())))))
    return np.asarray(effects)


def _times(job: Any) -> tuple[list[float], float, Any]:  # noqa: ANN401
    """Wall times of REPEATS runs, the median CPU time of this process per run, and the last result."""
    times, cpu, result = [], [], None
    for _ in range(REPEATS):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = job()
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return times, statistics.median(cpu), result


def _row(name: str, times: list[float], note: str, target: str = "") -> dict[str, Any]:
    return {"name": name, "value": f"{min(times):.2f} / {statistics.median(times):.2f} / {max(times):.2f}",
            "unit": "s (min/median/max)", "target": target, "note": note}


def _load() -> str:
    return f"load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"


def run(shapes: tuple[str, ...] = tuple(SHAPES)) -> list[dict[str, Any]]:
    # What the app's worker does (gui/app.py); with more threads than free cores, OpenMP threads spin and a loaded
    # machine's wall and CPU times balloon.
    torch.set_num_threads(max(1, (os.cpu_count() or 2) - 1))
    rows = []
    for name in shapes:
        cfg = SHAPES[name]
        lm = _model(name, cfg)
        clean, corrupt = _prompts(cfg)
        patches = all_patches(lm)
        sample = patches[::NAIVE_SAMPLE]
        fast_times, fast_cpu, fast = _times(partial(batched, lm, clean, corrupt))
        fast_load = _load()
        sample_times, slow_cpu, slow = _times(partial(naive, lm, clean, corrupt, sample))
        scale = len(patches) / len(sample)
        projected = [t * scale for t in sample_times]
        error = float(np.abs(np.asarray([fast[k].reshape(-1)[i] for k, i, _ in sample]) - slow).max())
        threads = torch.get_num_threads()
        rows.append(_row(f"patching, batched ({name})", fast_times,
                         f"{len(patches)} patches, {T} positions (differing at {T // 2}), {threads} threads, CPU {fast_cpu:.1f} s, "
                         f"{fast_load}; max |Δ effect| vs naive {error:.1e}", target="seconds"))
        rows.append(_row(f"patching, naive loop ({name})", projected,
                         f"one full forward per patch, projected from {len(sample)}; CPU {slow_cpu * scale:.1f} s, "
                         f"{_load()}; batched is {statistics.median(projected) / statistics.median(fast_times):.1f}× "
                         f"faster (CPU: {slow_cpu * scale / fast_cpu:.1f}×)"))
    return rows


if __name__ == "__main__":
    import sys

    from bench.common import print_table

    print_table(run(tuple(sys.argv[1:]) or tuple(SHAPES)))
