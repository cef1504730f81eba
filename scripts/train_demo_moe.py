"""Train the MoE demo checkpoint shipped in resources/demo_moe/ (seeded: the same machine gives the same weights).

    .venv/bin/python scripts/train_demo_moe.py [--steps N] [--out DIR]

The config and settings are ``lmscope.backend.moe.demo.CONFIG`` / ``SETTINGS``: 3 layers, d=64, 8 experts top-2 plus
one shared expert, capacity factor 1.25, Switch aux 0.01 and z-loss 0.001, early stopping on the validation loss
(patience 4 snapshots of 25 steps); one CPU thread, a few minutes. The training history (loss per step, histograms
and load per expert at every snapshot) goes beside it as history.npz; weights are stored as float16.
"""
from __future__ import annotations

import argparse
import dataclasses
import sys
import time

import numpy as np
import torch

from lmscope.backend.demo import demo_corpus
from lmscope.backend.models.checkpoint import save_model
from lmscope.backend.models.tokenizer import CharTokenizer
from lmscope.backend.moe.demo import CONFIG, NAME, SETTINGS, demo_moe_dir
from lmscope.backend.training.history import TrainingHistory
from lmscope.backend.training.loop import HistogramSnapshot, TrainFinished, TrainProgress, train


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=SETTINGS.steps)
    parser.add_argument("--out", default=str(demo_moe_dir()))
    args = parser.parse_args()
    torch.set_num_threads(1)  # the budget is one core; also makes the run reproducible on any machine's BLAS
    text = demo_corpus()
    tokenizer = CharTokenizer.train(text)
    config = CONFIG.replace(vocab_size=tokenizer.vocab_size)
    settings = dataclasses.replace(SETTINGS, steps=args.steps)
    start = time.time()
    history = TrainingHistory(label=NAME)
    for event in train(config, tokenizer, text, settings):
        if isinstance(event, (TrainProgress, HistogramSnapshot)):
            history.add(event)
        if isinstance(event, TrainProgress) and (event.step % 50 == 0 or event.step == 1):
            print(f"step {event.step:5d}  loss {event.loss:.3f}  lr {event.lr:.2e}  "
                  f"{event.tokens_per_s:,.0f} tok/s  {time.time() - start:.0f}s", flush=True)
        if isinstance(event, HistogramSnapshot):
            vio = 0.0 if event.moe_load is None else float((config.n_experts * event.moe_load.max(-1) - 1).mean())
            print(f"  snapshot {event.step:5d}  val loss {event.val_loss:.3f}  mean MaxVio {vio:.3f}", flush=True)
        if isinstance(event, TrainFinished):
            save_model(args.out, event.model, tokenizer, dtype=torch.float16)
            history.save_npz(f"{args.out}/history.npz")
            best = history.snapshots[[s.step for s in history.snapshots].index(event.best_step)]
            print(f"saved to {args.out}: {config.summary()}; stopped at step {event.steps}, best snapshot "
                  f"{event.best_step} (val loss {best.val_loss:.3f}, {np.exp(best.val_loss):.1f} perplexity); "
                  f"{time.time() - start:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
