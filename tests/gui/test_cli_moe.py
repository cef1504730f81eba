"""`lmscope moe` on sessions captured from a TinyGPT MoE model: the JSON contract, figures equal to the backend's
definitions recomputed from the stored tensors, and one sentence with exit 2 for a session without routers."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from lmscope.backend.models.checkpoint import save_model
from lmscope.backend.models.config import PRESETS
from lmscope.backend.models.tinygpt import TinyGPT
from lmscope.backend.models.tokenizer import CharTokenizer
from lmscope.gui.cli import main
from lmscope.sessions import open_session

TEXT = "专家混合模型 routes every token. 我们一起学习。"


@pytest.fixture(scope="module")
def moe_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("moe_model")
    tokenizer = CharTokenizer.train(TEXT)
    torch.manual_seed(3)
    model = TinyGPT(PRESETS["moe"].replace(vocab_size=tokenizer.vocab_size)).eval()
    with torch.no_grad():
        for block in model.blocks:
            block.ffn.W_gate.weight.normal_(0, 0.5)  # uneven routing, so the figures differ between layers
    save_model(folder, model, tokenizer)
    return folder


def capture(folder, out, *extra: str) -> None:
    assert main(["capture", "--model", str(folder), "--text", TEXT, "-o", str(out), *extra]) == 0


def test_moe_json_contract_and_figures(moe_folder, tmp_path, capsys):
    out = tmp_path / "moe.h5"
    capture(moe_folder, out)
    capsys.readouterr()
    assert main(["moe", str(out), "--json"]) == 0
    stdout, err = capsys.readouterr()
    assert err == "" and stdout.count("\n") == 1
    result = json.loads(stdout)
    assert set(result) == {"trace", "n_tokens", "n_experts", "top_k", "hf_aux", "layers"}
    assert (result["trace"], result["n_tokens"], result["n_experts"], result["top_k"]) == (0, len(TEXT), 4, 2)
    assert [row["layer"] for row in result["layers"]] == [0, 1]
    session = open_session(out)
    try:
        tensors = session.traces[0].trace.tensors
        for row in result["layers"]:
            logits = tensors[f"blocks.{row['layer']}.moe.hook_router_logits"][0].astype(np.float64)
            chosen = tensors[f"blocks.{row['layer']}.moe.hook_topk_indices"][0]
            dropped = tensors[f"blocks.{row['layer']}.moe.hook_dropped"][0]
            p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
            load = np.bincount(chosen.ravel(), minlength=4) / chosen.size
            assert row["load"] == pytest.approx(load.tolist())
            assert row["importance"] == pytest.approx(p.mean(0).tolist())
            assert row["switch_aux"] == pytest.approx(4 * float((load * p.mean(0)).sum()))
            assert row["z_loss"] == pytest.approx(float((np.log(np.exp(logits).sum(1)) ** 2).mean()))
            assert row["entropy"] == pytest.approx(float(-(p * np.log(p)).sum(1).mean()))
            assert row["dropped_fraction"] == pytest.approx(dropped.mean())
            assert row["max_violation"] == pytest.approx(4 * load.max() - 1)
        # capacity factor 1.25 over 27 tokens: capacity ⌈2·27/4·1.25⌉ = 17 per expert; drops only beyond that
        assert all(0 <= row["dropped_fraction"] < 0.5 for row in result["layers"])
    finally:
        session.close()
    assert main(["moe", str(out)]) == 0
    text, _ = capsys.readouterr()
    assert "hf_aux" in text and "layer" in text and text.count("\n") >= 5


def test_moe_without_router_tensors_exits_2_with_one_sentence(moe_folder, tmp_path, capsys):
    out = tmp_path / "attn.h5"
    capture(moe_folder, out, "--names", "blocks.*.attn.hook_pattern")
    capsys.readouterr()
    assert main(["moe", str(out), "--json"]) == 2
    stdout, err = capsys.readouterr()
    assert stdout == "" and err.count("\n") == 1 and "no router tensors" in err
    assert main(["moe", str(out), "--trace", "5"]) == 2
    assert "out of range" in capsys.readouterr().err
    assert main(["moe", str(tmp_path / "missing.h5")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_train_flags_build_an_moe_run_with_load_and_bias_over_training(tmp_path, capsys):
    out = tmp_path / "train.h5"
    assert main(["train", "--preset", "tiny", "--steps", "4", "--experts", "3", "--top-k", "1", "--shared", "1",
                 "--aux-loss-coef", "0", "--z-loss-coef", "0.002", "--bias-update-rate", "0.01",
                 "--capacity-factor", "1.5", "--no-noisy-gating", "-o", str(out), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["snapshots"] == 2
    session = open_session(out)
    try:
        cfg = session.traces[0].trace.model_config
        assert (cfg["ffn"], cfg["n_experts"], cfg["top_k"], cfg["n_shared"]) == ("moe", 3, 1, 1)
        assert (cfg["aux_loss_coef"], cfg["z_loss_coef"], cfg["bias_update_rate"], cfg["capacity_factor"]) == \
            (0.0, 0.002, 0.01, 1.5)
        snaps = session.history.snapshots
        assert [s.step for s in snaps] == [0, 4] and snaps[1].moe_layers == (0, 1)
        assert snaps[1].moe_load.shape == (2, 3) and np.allclose(snaps[1].moe_load.sum(-1), 1.0)
        assert np.abs(snaps[1].moe_bias).max() == pytest.approx(0.04)  # four ±γ steps in the same direction
        assert not np.any(snaps[0].moe_bias)
    finally:
        session.close()
    assert main(["moe", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["n_experts"] == 3


def test_impossible_train_flags_exit_2(tmp_path, capsys):
    assert main(["train", "--preset", "moe", "--experts", "2", "--top-k", "3", "-o", str(tmp_path / "x.h5")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "top_k (3)" in err


def test_capture_with_the_built_in_demo_moe(tmp_path, capsys):
    out = tmp_path / "demo_moe.h5"
    assert main(["capture", "--model", "demo-moe", "--text", "专家 experts", "-o", str(out)]) == 0
    capsys.readouterr()
    assert main(["moe", str(out), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["n_tokens"], result["n_experts"], result["top_k"]) == (10, 8, 2)
    assert [row["layer"] for row in result["layers"]] == [0, 1, 2]
