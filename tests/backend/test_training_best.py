"""The trainer keeps the snapshot with the lowest validation loss, hands out the live model first (a cancelled run
can keep it), and a model saved as a folder loads back with the same logits."""
from __future__ import annotations

import os

import numpy as np
import pytest
import torch

from lmscope.backend.demo import demo_corpus
from lmscope.backend.errors import BadInputError
from lmscope.backend.models.checkpoint import LoadedModel, load_model
from lmscope.backend.models.config import TinyGPTConfig
from lmscope.backend.models.tokenizer import CharTokenizer
from lmscope.backend.training.history import TrainingHistory
from lmscope.backend.training.loop import (
    HistogramSnapshot, TrainFinished, TrainSettings, TrainStarted, _Batches, train,
)
from lmscope.backend.training.save import save_model_folder

TEXT = demo_corpus()[:1500]
CONFIG = TinyGPTConfig(n_layer=1, d_model=32, n_head=2, n_kv_head=2, d_mlp=64, n_ctx=16)


def _run(**overrides):
    tokenizer = CharTokenizer.train(TEXT)
    # 1,500 characters at a constant, high learning rate: the validation loss bottoms out early, then wanders up
    settings = TrainSettings(**{"steps": 40, "batch_size": 8, "seq_len": 16, "lr": 0.02, "min_lr_ratio": 1.0,
                                "warmup": 1, "snapshot_every": 4, "seed": 1, "bins": 8, "device": "cpu",
                                **overrides})
    return tokenizer, settings, list(train(CONFIG, tokenizer, TEXT, settings))


def _val_loss(model, tokenizer, settings) -> float:
    batches = _Batches(np.asarray(tokenizer.encode(TEXT)), 16, settings.seed)
    batches.sample(batches.val_ids, 4)  # the probe batch, drawn first as the trainer does
    val_x, val_y = batches.sample(batches.val_ids, 16)
    with torch.no_grad():
        logits = model.eval()(val_x)
    return float(torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), val_y.reshape(-1)))


def test_the_finished_model_holds_the_best_validation_snapshot_without_early_stopping():
    tokenizer, settings, events = _run()
    assert isinstance(events[0], TrainStarted)
    snaps = [e for e in events if isinstance(e, HistogramSnapshot)]
    done = events[-1]
    assert isinstance(done, TrainFinished) and done.steps == 40  # no early stop: the run went to the end
    losses = [s.val_loss for s in snaps]
    best = int(np.argmin(losses))
    assert best != len(snaps) - 1, losses  # the test means something only if the last snapshot is not the best
    assert (done.best_step, done.best_val_loss) == (snaps[best].step, losses[best])
    assert _val_loss(done.model, tokenizer, settings) == pytest.approx(losses[best], abs=1e-5)
    history = TrainingHistory()
    for event in events:
        if isinstance(event, HistogramSnapshot):
            history.add(event)
    assert history.best_snapshot().step == done.best_step
    # the live model TrainStarted handed out is the one that was trained
    assert events[0].model is done.model


def test_keep_best_off_hands_back_the_last_step_but_still_names_the_best():
    tokenizer, settings, events = _run(keep_best=False)
    snaps = [e for e in events if isinstance(e, HistogramSnapshot)]
    done = events[-1]
    assert done.best_step == snaps[int(np.argmin([s.val_loss for s in snaps]))].step
    assert _val_loss(done.model, tokenizer, settings) == pytest.approx(snaps[-1].val_loss, abs=1e-5)


def test_history_without_snapshots_has_no_best():
    assert TrainingHistory().best_snapshot() is None
    history = TrainingHistory(snapshots=[HistogramSnapshot(0, 5.0, {}), HistogramSnapshot(5, 3.0, {}),
                                         HistogramSnapshot(10, 3.0, {}), HistogramSnapshot(15, float("nan"), {})])
    assert history.best_snapshot().step == 5  # the first of equals, as the trainer keeps it


def _tiny_loaded() -> LoadedModel:
    tokenizer = CharTokenizer.train(TEXT)
    from lmscope.backend.models.tinygpt import TinyGPT

    torch.manual_seed(0)
    model = TinyGPT(CONFIG.replace(vocab_size=tokenizer.vocab_size)).eval()
    return LoadedModel(model=model, tokenizer=tokenizer, source="trained here")


def test_a_saved_model_folder_loads_back_with_the_same_logits(tmp_path):
    loaded = _tiny_loaded()
    folder = save_model_folder(tmp_path / "mine", loaded)
    assert sorted(p.name for p in folder.iterdir()) == ["config.json", "model.safetensors", "vocab.json"]
    again = load_model(str(folder))
    ids = loaded.tokenizer.encode("The model pred")
    assert again.tokenizer.encode("The model pred") == ids
    with torch.no_grad():
        want = loaded.model(torch.tensor([ids]))
        got = again.model(torch.tensor([ids]))
    torch.testing.assert_close(got, want, rtol=0, atol=0)
    # saving again replaces the previous model folder, and leaves no temporary folder behind
    with torch.no_grad():
        for param in loaded.model.parameters():
            param.add_(0.01)
    save_model_folder(folder, loaded)
    assert sorted(os.listdir(tmp_path)) == ["mine"]
    with torch.no_grad():
        now = loaded.model(torch.tensor([ids]))
        torch.testing.assert_close(load_model(str(folder)).model(torch.tensor([ids])), now, rtol=0, atol=0)
    assert not torch.equal(now, want)


def test_saving_never_overwrites_a_folder_that_is_not_a_model(tmp_path):
    loaded = _tiny_loaded()
    busy = tmp_path / "notes"
    busy.mkdir()
    (busy / "thesis.txt").write_text("mine")
    with pytest.raises(BadInputError, match="is not an empty folder or a model folder"):
        save_model_folder(busy, loaded)
    assert sorted(os.listdir(busy)) == ["thesis.txt"] and sorted(os.listdir(tmp_path)) == ["notes"]
    with pytest.raises(BadInputError, match="does not exist"):
        save_model_folder(tmp_path / "missing" / "mine", loaded)
    empty = tmp_path / "empty"
    empty.mkdir()
    assert save_model_folder(empty, loaded) == empty and (empty / "model.safetensors").is_file()
