"""Capture, training events, checkpoints and statistics — all without Qt."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import torch

from lmscope.backend.capture import capture
from lmscope.backend.models.checkpoint import load_model, save_model
from lmscope.backend.errors import BadInputError, ModelLoadError
from lmscope.backend.models.config import PRESETS, TinyGPTConfig
from lmscope.backend.models.tinygpt import TinyGPT
from lmscope.backend.stats import histogram_stats, rebin, site_hook_names, trace_histograms
from lmscope.backend.models.tokenizer import CharTokenizer
from lmscope.backend.training.loop import HistogramSnapshot, TrainFinished, TrainProgress, TrainSettings, lr_at, train

TEXT = ("the model predicts the next token. 语言模型预测下一个词。attention looks back at earlier tokens. " * 30)


def small_model(**changes) -> TinyGPT:
    torch.manual_seed(0)
    cfg = TinyGPTConfig(vocab_size=40, n_ctx=32, d_model=32, n_layer=2, n_head=4, n_kv_head=2, d_mlp=64)
    return TinyGPT(cfg.replace(**changes)).eval()


def test_backend_imports_no_qt():
    # pytest-qt has already imported Qt into this process, so check in a clean interpreter.
    code = (
        "import pkgutil, importlib, sys, lmscope.backend, lmscope.sessions\n"
        "for pkg in (lmscope.backend, lmscope.sessions):\n"
        "    for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
        "        importlib.import_module(m.name)\n"
        "bad = [n for n in sys.modules if n.split('.')[0] in ('PySide6', 'pyqtgraph', 'superqt')\n"
        "       or n.split('.')[:2] in (['lmscope', 'gui'], ['lmscope', 'widgets'])]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_capture_names_shapes_and_order():
    model = small_model()
    trace = capture(model, list(range(10)))
    names = list(trace)
    assert names[0] == "hook_embed" and names[-1] == "logits"
    assert names.index("blocks.0.hook_resid_pre") < names.index("blocks.0.attn.hook_pattern") \
        < names.index("blocks.1.hook_resid_pre")
    assert trace["blocks.1.attn.hook_pattern"].shape == (1, 4, 10, 10)
    assert trace["blocks.1.attn.hook_q"].shape == (1, 10, 4, 8)
    assert trace["blocks.1.attn.hook_k"].shape == (1, 10, 2, 8)
    assert trace["blocks.0.mlp.hook_post"].shape == (1, 10, 64)
    assert trace["logits"].shape == (1, 10, 40)
    assert all(isinstance(a, np.ndarray) for a in trace.values())
    assert trace.n_layer == 2 and trace.n_pos == 10


def test_capture_logits_equal_plain_forward_and_filter_is_cheap():
    model = small_model()
    tokens = torch.arange(12)[None]
    with torch.no_grad():
        plain = model(tokens).numpy()
    trace = capture(model, tokens, names="logits")
    assert list(trace) == ["logits"]
    np.testing.assert_allclose(trace["logits"], plain, rtol=1e-5, atol=1e-6)
    only_l1 = capture(model, tokens, names=["blocks.1.attn.hook_*"])
    assert set(only_l1) >= {"blocks.1.attn.hook_pattern", "blocks.1.attn.hook_z"}
    assert not any(name.startswith("blocks.0") for name in only_l1)


def test_captured_scores_equal_q_k_over_sqrt_d():
    model = small_model(pos="rope")
    trace = capture(model, list(range(9)))
    q = trace["blocks.0.attn.hook_rot_q"][0].astype(np.float64)
    k = trace["blocks.0.attn.hook_rot_k"][0].astype(np.float64)
    scores = trace["blocks.0.attn.hook_attn_scores"][0]
    for h in range(4):
        expected = q[:, h] @ k[:, h // 2].T / np.sqrt(8)
        tril = np.tril_indices(9)
        np.testing.assert_allclose(scores[h][tril], expected[tril], rtol=1e-4, atol=1e-5)
        assert np.all(np.isneginf(scores[h][np.triu_indices(9, 1)]))


def test_training_yields_progress_snapshots_and_loss_decreases():
    tok = CharTokenizer.train(TEXT)
    cfg = PRESETS["tiny"].replace(n_layer=1, d_model=32, d_mlp=64)
    settings = TrainSettings(steps=60, batch_size=8, seq_len=32, lr=1e-2, warmup=5, snapshot_every=20, seed=1)
    events = list(train(cfg, tok, TEXT, settings))
    progress = [e for e in events if isinstance(e, TrainProgress)]
    snaps = [e for e in events if isinstance(e, HistogramSnapshot)]
    assert [p.step for p in progress] == list(range(1, 61))
    assert [s.step for s in snaps] == [0, 20, 40, 60]
    assert isinstance(events[-1], TrainFinished)
    first, last = np.mean([p.loss for p in progress[:5]]), np.mean([p.loss for p in progress[-5:]])
    assert last < first - 0.5, (first, last)
    assert snaps[-1].val_loss < snaps[0].val_loss
    stats = snaps[0].stats["blocks.0.mlp.hook_post"]
    assert stats.counts.sum() == stats.n > 0 and len(stats.edges) == 65


def test_training_is_seeded():
    tok = CharTokenizer.train(TEXT)
    cfg = PRESETS["tiny"].replace(n_layer=1)
    settings = TrainSettings(steps=5, batch_size=4, seq_len=16, seed=7, snapshot_every=5)
    losses = [[e.loss for e in train(cfg, tok, TEXT, settings) if isinstance(e, TrainProgress)] for _ in range(2)]
    assert losses[0] == losses[1]


def test_training_can_be_cancelled_between_steps():
    tok = CharTokenizer.train(TEXT)
    job = train(PRESETS["tiny"], tok, TEXT, TrainSettings(steps=1000, batch_size=4, seq_len=16))
    steps = [e.step for e, _ in zip((e for e in job if isinstance(e, TrainProgress)), range(3))]
    job.close()  # what Cancel does
    assert steps == [1, 2, 3]
    with pytest.raises(StopIteration):
        next(job)


def test_lr_schedule_warms_up_then_decays_to_floor():
    s = TrainSettings(steps=100, lr=1.0, warmup=10, min_lr_ratio=0.1)
    assert lr_at(0, s) == pytest.approx(0.1)
    assert lr_at(9, s) == pytest.approx(1.0)
    assert lr_at(99, s) == pytest.approx(0.1, abs=1e-3)
    assert all(lr_at(i, s) >= lr_at(i + 1, s) for i in range(10, 99))


def test_bad_training_input_is_a_clear_error():
    tok = CharTokenizer.train(TEXT)
    with pytest.raises(BadInputError, match="corpus"):
        list(train(PRESETS["tiny"], tok, "abc", TrainSettings(steps=1)))
    with pytest.raises(BadInputError, match="steps"):
        TrainSettings(steps=0)


def test_checkpoint_round_trip(tmp_path):
    tok = CharTokenizer.train(TEXT)
    model = small_model(vocab_size=tok.vocab_size)
    save_model(tmp_path, model, tok)
    loaded = load_model(tmp_path)
    ids = tok.encode("the model")
    with torch.no_grad():
        torch.testing.assert_close(loaded.model(torch.tensor([ids])), model(torch.tensor([ids])))
    assert loaded.tokenizer == tok
    assert tok.decode(ids) == "the model"


@pytest.mark.parametrize("damage", ["truncate", "garbage", "no_vocab", "bad_json", "hf", "wrong_shape", "nan"])
def test_corrupt_checkpoint_gives_clear_message(tmp_path, damage):
    tok = CharTokenizer.train(TEXT)
    model = small_model(vocab_size=tok.vocab_size)
    save_model(tmp_path, model, tok)
    weights = tmp_path / "model.safetensors"
    if damage == "truncate":
        weights.write_bytes(weights.read_bytes()[:200])
    elif damage == "garbage":
        weights.write_bytes(b"\x80\x04\x95 this is a pickle, not safetensors" * 10)
    elif damage == "no_vocab":
        (tmp_path / "vocab.json").unlink()
    elif damage == "bad_json":
        (tmp_path / "config.json").write_text("{not json")
    elif damage == "hf":
        (tmp_path / "config.json").write_text(json.dumps({"model_type": "bert", "hidden_size": 384}))
    elif damage == "wrong_shape":
        cfg = json.loads((tmp_path / "config.json").read_text())
        cfg["d_mlp"] = 32
        (tmp_path / "config.json").write_text(json.dumps(cfg))
    elif damage == "nan":
        bad = small_model(vocab_size=tok.vocab_size)
        with torch.no_grad():
            bad.blocks[0].attn.W_Q.weight[0, 0] = float("nan")
        save_model(tmp_path, bad, tok)
    with pytest.raises(ModelLoadError) as info:
        load_model(tmp_path)
    message = str(info.value)
    assert "\n" not in message and len(message) < 300


def test_histogram_stats_against_direct_formulas():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 50, 16))
    x[..., 3] = 0.0  # a dead unit
    x[0, 0, 0] = 100.0  # an outlier
    s = histogram_stats(x, bins=32)
    flat = x.ravel()
    assert s.n == flat.size and s.counts.sum() == flat.size
    assert s.mean == pytest.approx(flat.mean()) and s.std == pytest.approx(flat.std())
    z = (flat - flat.mean()) / flat.std()
    assert s.kurtosis == pytest.approx(np.mean(z ** 4) - 3)
    assert s.dead_frac == pytest.approx(1 / 16)
    assert s.frac_zero == pytest.approx(np.mean(flat == 0))
    assert s.frac_outlier == pytest.approx(1 / flat.size)
    assert s.max_abs == 100.0


def test_histogram_of_nonfinite_and_constant_values():
    s = histogram_stats(np.array([[1.0, np.nan, np.inf, 1.0]]))
    assert s.frac_nonfinite == 0.5 and s.n == 2 and s.counts.sum() == 2 and s.std == 0


def test_rebin_keeps_total_and_trace_histograms_cover_sites():
    counts = np.array([4, 0, 6])
    edges = np.array([0.0, 1.0, 2.0, 3.0])
    out = rebin(edges, counts, np.linspace(-1, 4, 11))
    assert out.sum() == pytest.approx(10)
    trace = capture(small_model(), list(range(8)))
    hist = trace_histograms(trace.tensors, 2)
    assert set(hist) == set(site_hook_names(2))
