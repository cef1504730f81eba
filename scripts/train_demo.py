"""Train the demo checkpoint shipped in resources/demo/ (seeded: the same machine gives the same weights).

    .venv/bin/python scripts/train_demo.py [--steps N]

The training history (loss per step, histogram snapshots every 25 steps) goes beside it as history.npz.
Weights are stored as float16 to keep the repository small; loading restores float32.
"""
from __future__ import annotations

import argparse
import sys
import time

import torch

from lmscope.backend.models.checkpoint import save_model
from lmscope.backend.demo import demo_corpus, demo_dir
from lmscope.backend.models.config import PRESETS
from lmscope.backend.models.tokenizer import CharTokenizer
from lmscope.backend.training.history import TrainingHistory
from lmscope.backend.training.loop import HistogramSnapshot, TrainFinished, TrainProgress, TrainSettings, train


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=800)
    parser.add_argument("--out", default=str(demo_dir()))
    args = parser.parse_args()
    text = demo_corpus()
    tokenizer = CharTokenizer.train(text)
    config = PRESETS["demo"].replace(vocab_size=tokenizer.vocab_size, dropout=0.2)
    settings = TrainSettings(steps=args.steps, batch_size=32, seq_len=128, lr=3e-3, warmup=100, seed=1234,
                             snapshot_every=25, device="cpu")
    torch.set_num_threads(max(1, torch.get_num_threads()))
    start = time.time()
    history = TrainingHistory(label="demo")
    for event in train(config, tokenizer, text, settings):
        if isinstance(event, (TrainProgress, HistogramSnapshot)):
            history.add(event)
        if isinstance(event, TrainProgress) and (event.step % 50 == 0 or event.step == 1):
            print(f"step {event.step:5d}  loss {event.loss:.3f}  lr {event.lr:.2e}  "
                  f"{event.tokens_per_s:,.0f} tok/s  {time.time() - start:.0f}s", flush=True)
        if isinstance(event, TrainFinished):
            save_model(args.out, event.model, tokenizer, dtype=torch.float16)
            history.save_npz(f"{args.out}/history.npz")
            print(f"saved to {args.out}: {config.summary()}; final loss {event.final_loss:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
