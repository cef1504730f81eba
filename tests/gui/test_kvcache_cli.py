"""`lmscope kvcache` as users script it: {"mha", "gqa", "mqa", "mla"} in bytes, one sentence and exit 2 when refused."""
from __future__ import annotations

import json

import pytest

from lmscope.gui.cli import main


def run_json(capsys, *args: str) -> dict:
    assert main(["kvcache", *args, "--json"]) == 0
    out, err = capsys.readouterr()
    assert err == "" and out.count("\n") == 1
    return json.loads(out)


def test_typed_in_shape(capsys):
    result = run_json(capsys, "--layers", "32", "--heads", "32", "--kv-heads", "8", "--head-dim", "128",
                      "--tokens", "4096")
    assert result == {"mha": 2 * 32 * 32 * 128 * 4096 * 2, "gqa": 2 * 32 * 8 * 128 * 4096 * 2,
                      "mqa": 2 * 32 * 128 * 4096 * 2}


def test_mla_only_with_a_latent_width_and_dtypes(capsys):
    result = run_json(capsys, "--layers", "60", "--heads", "128", "--head-dim", "128", "--kv-lora-rank", "512",
                      "--rope-head-dim", "64", "--tokens", "10", "--dtype", "fp8")
    assert result["mla"] == 60 * 576 * 10 and result["mha"] == result["gqa"] == 2 * 60 * 128 * 128 * 10
    assert run_json(capsys, "--known", "deepseek-v2", "--tokens", "10", "--dtype", "fp8") == result
    fp32 = run_json(capsys, "--known", "llama-3-8b", "--tokens", "1", "--dtype", "fp32")
    assert fp32["gqa"] == 2 * 32 * 8 * 128 * 4 and "mla" not in fp32


def test_config_folder_and_the_demo(capsys, tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "qwen2", "num_hidden_layers": 2,
                                                      "num_attention_heads": 4, "num_key_value_heads": 2,
                                                      "hidden_size": 64}))
    assert run_json(capsys, "--config", str(tmp_path), "--tokens", "3", "--dtype", "fp32") == {
        "mha": 2 * 2 * 4 * 16 * 3 * 4, "gqa": 2 * 2 * 2 * 16 * 3 * 4, "mqa": 2 * 2 * 16 * 3 * 4}
    demo = run_json(capsys, "--model", "demo", "--tokens", "128", "--dtype", "fp32")
    assert demo["mha"] == 2 * 4 * 4 * 32 * 128 * 4  # the demo: 4 layers, 4 heads of 32


def test_text_table_marks_the_models_own_kind(capsys):
    assert main(["kvcache", "--known", "llama-3-8b", "--tokens", "8192"]) == 0
    out = capsys.readouterr().out
    assert "GQA" in out and "1.00 GiB  ← this model" in out


@pytest.mark.parametrize("args, words", [
    (["--heads", "4", "--tokens", "3"], "--layers"),
    (["--layers", "2", "--heads", "6", "--kv-heads", "4", "--head-dim", "8", "--tokens", "3"], "evenly"),
    (["--known", "gpt2", "--layers", "2", "--tokens", "3"], "not both"),
    (["--layers", "2", "--heads", "4", "--head-dim", "8", "--rope-head-dim", "4", "--tokens", "3"], "kv_lora_rank"),
    (["--config", "/nonexistent/config.json", "--tokens", "3"], "no model config"),
    (["--layers", "0", "--heads", "4", "--head-dim", "8", "--tokens", "3"], "positive"),
])
def test_refusals_are_one_sentence_and_exit_2(capsys, args, words):
    assert main(["kvcache", *args]) == 2
    out, err = capsys.readouterr()
    assert out == "" and words in err and err.count("\n") == 1
