"""Train the demo checkpoint shipped in resources/demo/ (seeded, one CPU thread: the same machine gives the same
weights). The recipe is ``lmscope.backend.demo.CONFIG`` / ``SETTINGS``; about 15 minutes on one core.

    PYTHONPATH=<folder holding lmscope> .venv/bin/python scripts/train_demo.py [--steps N] [--out DIR]

The run stops once the validation loss has not improved for ``early_stop_patience`` snapshots and keeps the weights
of the best snapshot (early stopping). The training history (loss per step, histogram snapshots with the validation
loss) goes beside the weights as history.npz; the Training panel marks the best step. Weights are stored as float16
to keep the repository small; loading restores float32.
"""
from __future__ import annotations

import argparse
import dataclasses
import sys
import time

import numpy as np
import torch

from lmscope.backend.demo import CONFIG, SETTINGS, demo_corpus, demo_dir
from lmscope.backend.models.checkpoint import save_model
from lmscope.backend.models.tokenizer import CharTokenizer
from lmscope.backend.training.history import TrainingHistory
from lmscope.backend.training.loop import HistogramSnapshot, TrainFinished, TrainProgress, train


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=SETTINGS.steps)
    parser.add_argument("--out", default=str(demo_dir()))
    args = parser.parse_args()
    torch.set_num_threads(1)  # the budget is one core; also makes the run reproducible on any machine's BLAS
    text = demo_corpus()
    tokenizer = CharTokenizer.train(text)
    config = CONFIG.replace(vocab_size=tokenizer.vocab_size)
    settings = dataclasses.replace(SETTINGS, steps=args.steps)
    start = time.time()
    history = TrainingHistory(label="demo")
    for event in train(config, tokenizer, text, settings):
        if isinstance(event, (TrainProgress, HistogramSnapshot)):
            history.add(event)
        if isinstance(event, TrainProgress) and (event.step % 20 == 0 or event.step == 1):
            print(f"step {event.step:5d}  loss {event.loss:.3f}  lr {event.lr:.2e}  "
                  f"{event.tokens_per_s:,.0f} tok/s  {time.time() - start:.0f}s", flush=True)
        if isinstance(event, HistogramSnapshot):
            print(f"  snapshot {event.step:5d}  val loss {event.val_loss:.3f}", flush=True)
        if isinstance(event, TrainFinished):
            save_model(args.out, event.model, tokenizer, dtype=torch.float16)
            history.save_npz(f"{args.out}/history.npz")
            print(f"saved to {args.out}: {config.summary()}; stopped at step {event.steps}, kept the best snapshot, "
                  f"step {event.best_step} (val loss {event.best_val_loss:.3f}, "
                  f"{np.exp(event.best_val_loss):.1f} perplexity); {time.time() - start:.0f}s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
