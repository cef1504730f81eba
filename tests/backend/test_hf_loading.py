"""Loading Hugging Face folders: bad folders end in one sentence, offline always, no code or pickles run, dtypes,
`.bin` through weights_only, and accelerate's device map with CPU and disk offload."""
from __future__ import annotations

import json
import os
import pickle
import shutil
import socket
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import transformers  # noqa: F401 - a test dependency (pyproject "test" extra): missing is a failure, not a skip

from lmscope.backend.capture import capture  # noqa: E402
from lmscope.backend.errors import BadInputError, ModelLoadError  # noqa: E402
from lmscope.backend.models.checkpoint import load_model  # noqa: E402
from lmscope.backend.models.hf_tiny import make_tiny_checkpoint  # noqa: E402

TEXT = "The model predicts the next token."


@pytest.fixture(scope="module")
def gpt2_folder(tmp_path_factory) -> Path:
    return make_tiny_checkpoint(tmp_path_factory.mktemp("gpt2"), "gpt2", seed=1)


@pytest.fixture
def damaged(gpt2_folder, tmp_path) -> Path:
    folder = tmp_path / "model"
    shutil.copytree(gpt2_folder, folder)
    return folder


def edit_config(folder: Path, **changes) -> None:
    config = json.loads((folder / "config.json").read_text())
    config.update(changes)
    (folder / "config.json").write_text(json.dumps(config))


def one_sentence(exc: BaseException) -> str:
    message = str(exc)
    assert "\n" not in message and len(message) < 300 and message.endswith((".", ")")), message
    return message


DAMAGES = {
    "missing config": (lambda f: (f / "config.json").unlink(), "has no config.json"),
    "bad json": (lambda f: (f / "config.json").write_text('{"model_type": "gpt2",'), "not valid JSON"),
    "not an object": (lambda f: (f / "config.json").write_text("[1, 2]"), "JSON object"),
    "unknown architecture": (lambda f: edit_config(f, model_type="t5", architectures=["T5ForConditionalGeneration"]),
                             "architecture T5ForConditionalGeneration (t5) is not supported yet; supported: GPT-2"),
    "no model_type": (lambda f: (f / "config.json").write_text('{"architectures": ["Foo"]}'), "no model_type"),
    "remote code": (lambda f: edit_config(f, auto_map={"AutoModelForCausalLM": "modeling_evil.EvilModel"}),
                    "never runs code from a model folder"),
    "truncated weights": (lambda f: (f / "model.safetensors").write_bytes(
        (f / "model.safetensors").read_bytes()[:-1000]), "truncated"),
    "garbage weights": (lambda f: (f / "model.safetensors").write_bytes(b"\xff" * 64), "truncated or not"),
    "no weights": (lambda f: (f / "model.safetensors").unlink(), "has no weights"),
    "no tokenizer": (lambda f: (f / "tokenizer.json").unlink(), "has no tokenizer.json"),
    "bad tokenizer": (lambda f: (f / "tokenizer.json").write_text('{"model": 3}'), "tokenizer"),
    "hostile size": (lambda f: edit_config(f, n_embd=10 ** 9), "n_embd"),
    "zero heads": (lambda f: edit_config(f, n_head=0), "n_head is 0"),
    "heads do not divide": (lambda f: edit_config(f, n_head=5), "do not divide"),
    "config bigger than weights": (lambda f: edit_config(f, n_layer=40), "do not belong together"),
    "wrong shape": (lambda f: edit_config(f, n_inner=96), "do not fit its config.json: transformer.h.0.mlp.c_fc"),
}


@pytest.mark.parametrize("damage", DAMAGES)
def test_bad_folder_is_one_sentence(damaged, damage):
    spoil, expected = DAMAGES[damage]
    spoil(damaged)
    with pytest.raises(ModelLoadError) as info:
        load_model(damaged)
    assert expected in one_sentence(info.value)


def test_a_file_is_not_a_folder(gpt2_folder):
    with pytest.raises(ModelLoadError, match="is a file, not a model folder"):
        load_model(gpt2_folder / "config.json")
    with pytest.raises(ModelLoadError, match="does not exist"):
        load_model(gpt2_folder / "nowhere")


def test_tokenizer_remote_code_is_refused(damaged):
    config = json.loads((damaged / "tokenizer_config.json").read_text())
    config["auto_map"] = {"AutoTokenizer": ["tokenization_evil.Evil", None]}
    (damaged / "tokenizer_config.json").write_text(json.dumps(config))
    with pytest.raises(ModelLoadError, match="tokenizer needs its own Python code"):
        load_model(damaged)


def test_loading_never_touches_the_network(gpt2_folder, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("network access while loading a local folder")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    loaded = load_model(gpt2_folder)
    assert loaded.kind == "hf" and os.environ["HF_HUB_OFFLINE"] == "1"


def test_bin_only_folder_loads_through_weights_only(gpt2_folder, tmp_path):
    folder = make_tiny_checkpoint(tmp_path / "bin", "gpt2", seed=1, safetensors=False)
    assert not list(folder.glob("*.safetensors"))
    ids = load_model(folder).tokenizer.encode(TEXT)
    a = capture(load_model(folder).model, ids, "logits")["logits"]
    b = capture(load_model(gpt2_folder).model, ids, "logits")["logits"]
    np.testing.assert_array_equal(a, b)


class Exploit:
    def __reduce__(self):
        return (os.system, ("echo pwned > /dev/null",))


def test_pickle_code_in_a_bin_is_never_run(gpt2_folder, tmp_path, monkeypatch):
    folder = tmp_path / "evil"
    shutil.copytree(gpt2_folder, folder)
    (folder / "model.safetensors").unlink()
    with (folder / "pytorch_model.bin").open("wb") as handle:
        pickle.dump({"transformer.wte.weight": Exploit()}, handle, protocol=2)
    ran = []
    monkeypatch.setattr(os, "system", lambda cmd: ran.append(cmd))
    with pytest.raises(ModelLoadError) as info:
        load_model(folder)
    assert "weights_only=True" in one_sentence(info.value)
    assert not ran


def test_checkpoint_dtype_is_kept_on_request_and_float32_on_cpu(tmp_path):
    folder = make_tiny_checkpoint(tmp_path, "llama", seed=0, dtype=torch.bfloat16)
    auto = load_model(folder)
    assert auto.description.dtype == "float32" and auto.description.source["checkpoint_dtype"] == "bfloat16"
    half = load_model(folder, dtype="bfloat16")
    assert half.description.dtype == "bfloat16"
    ids = half.tokenizer.encode(TEXT)
    trace = capture(half.model, ids, ["blocks.0.attn.hook_pattern", "logits"])
    assert trace["logits"].dtype == np.float32 and trace.meta["model_dtype"] == "bfloat16"
    assert np.allclose(trace["blocks.0.attn.hook_pattern"].sum(-1), 1, atol=1e-2)
    with pytest.raises(BadInputError, match="dtype"):
        load_model(folder, dtype="int8")


def test_device_map_offloads_to_cpu_and_disk_and_captures_the_same(tmp_path):
    """A model forced past its memory cap: some layers on disk, captured layer by layer, equal to the plain run."""
    folder = make_tiny_checkpoint(tmp_path / "m", "llama", seed=4, num_hidden_layers=4)
    plain = load_model(folder)
    cap = plain.description.n_params * 4 // 2  # room for half the float32 weights: the rest must go to disk
    offloaded = load_model(folder, device_map="auto", max_memory={"cpu": cap},
                           offload_dir=str(tmp_path / "offload"))
    where = offloaded.model.hf.hf_device_map
    assert {"cpu", "disk"} <= set(map(str, where.values())), where
    assert offloaded.description.source["device_map"]
    ids = plain.tokenizer.encode(TEXT)
    a = capture(plain.model, ids)
    b = capture(offloaded.model, ids)
    assert list(a) == list(b)
    for name in a:
        np.testing.assert_allclose(b[name], a[name], rtol=1e-5, atol=1e-6, err_msg=name)


def test_options_for_hf_only(tmp_path):
    from lmscope.backend.demo import demo_dir

    with pytest.raises(ModelLoadError, match="apply only to Hugging Face"):
        load_model(demo_dir(), device_map="auto")


def test_missing_extra_is_one_sentence(gpt2_folder, monkeypatch):
    monkeypatch.setitem(sys.modules, "lmscope.backend.models.hf", None)  # as if transformers were not installed
    with pytest.raises(ModelLoadError, match=r"pip install 'lmscope\[hf\]'"):
        load_model(gpt2_folder)
