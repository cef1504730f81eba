"""The shipped demo checkpoint is the recipe's (lmscope.backend.demo.CONFIG/SETTINGS): it reads 512 characters, is
small on disk, and holds the weights of its best validation snapshot — the step its history marks."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from lmscope.backend.demo import CONFIG, DEFAULT_PROMPT, SETTINGS, demo_corpus, demo_dir, load_demo
from lmscope.backend.jobs import capture_prompt
from lmscope.backend.training.history import TrainingHistory
from lmscope.backend.training.loop import _Batches


@pytest.fixture(scope="module")
def demo():
    return load_demo("cpu")


def test_the_demo_is_the_recipe_and_small(demo):
    assert demo.model.cfg.replace(vocab_size=CONFIG.vocab_size) == CONFIG and CONFIG.n_ctx >= 512
    total = sum(p.stat().st_size for p in demo_dir().iterdir())
    assert total < 3 * 2**20, total


def test_a_prompt_of_512_characters_is_read_whole(demo):
    text = (DEFAULT_PROMPT * 20)[:512]
    trace = capture_prompt(demo, text).trace
    assert trace.n_pos == len(demo.tokenizer.encode(text)) == 512 and "truncated" not in trace.meta


def test_the_weights_are_the_best_validation_snapshot(demo):
    history = TrainingHistory.load_npz(demo_dir() / "history.npz")
    best = history.best_snapshot()
    snaps = history.snapshots
    assert [s.step for s in snaps] == list(range(0, history.steps[-1] + 1, SETTINGS.snapshot_every)) or \
        snaps[-1].step == history.steps[-1]
    # it stopped because the validation loss had not improved for `patience` snapshots, or at its last step
    since = len(snaps) - 1 - snaps.index(best)
    assert since == SETTINGS.early_stop_patience or history.steps[-1] == SETTINGS.steps
    # the validation loss of the shipped weights (float16 on disk) on the trainer's own validation batch is the best
    # snapshot's, not the last one's
    text = demo_corpus()
    batches = _Batches(np.asarray(demo.tokenizer.encode(text)), SETTINGS.seq_len, SETTINGS.seed)
    batches.sample(batches.val_ids, 4)  # the probe batch comes first
    val_x, val_y = batches.sample(batches.val_ids, 16)
    with torch.no_grad():
        logits = demo.model.eval()(val_x)
    loss = float(torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), val_y.reshape(-1)))
    assert loss == pytest.approx(best.val_loss, abs=0.01)
    if since:
        assert abs(loss - snaps[-1].val_loss) > abs(loss - best.val_loss)
