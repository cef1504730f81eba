"""The built-in real model (minilm: sentence-transformers' all-MiniLM-L6-v2) against transformers, its one-time
unpacking into the cache, and the unpacker's refusals (zip-slip, links, zip bombs)."""
from __future__ import annotations

import stat
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

import transformers  # noqa: F401 - a test dependency (pyproject "test" extra): missing is a failure, not a skip
import all_minilm_l6_v2  # noqa: F401 - a test dependency (pyproject "test" extra): missing is a failure, not a skip

from transformers import AutoModel  # noqa: E402

from lmscope.backend.capture import capture  # noqa: E402
from lmscope.backend.errors import ModelLoadError  # noqa: E402
from lmscope.backend.models import builtin  # noqa: E402
from lmscope.backend.models.checkpoint import load_model  # noqa: E402

TEXT = "Tokenization lets a student see real attention."


@pytest.fixture(scope="module")
def minilm(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LMSCOPE_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
        loaded = load_model("minilm")
        folder = builtin.minilm_folder()
        yield loaded, folder


def test_minilm_is_described_as_the_real_bert(minilm):
    loaded, folder = minilm
    cfg = loaded.description
    assert (cfg.architecture, cfg.n_layer, cfg.n_head, cfg.d_model, cfg.vocab_size) == ("BertModel", 6, 12, 384,
                                                                                         30522)
    assert not cfg.causal and not cfg.has_logits and cfg.norm_placement == "post" and cfg.n_params == 22_713_216
    assert loaded.source.startswith("built-in minilm") and cfg.source["folder"] == str(folder)
    assert not loaded.weights_in_sessions


def test_minilm_capture_equals_transformers(minilm):
    loaded, folder = minilm
    ids = loaded.tokenizer.encode(TEXT)
    strings = loaded.tokenizer.token_strings(ids)
    assert strings[0] == "[CLS]" and strings[-1] == "[SEP]" and "##ization" in strings
    trace = capture(loaded.model, ids, token_strings=strings, text=TEXT)
    peer = AutoModel.from_pretrained(folder, attn_implementation="eager").eval()
    with torch.no_grad():
        ref = peer(torch.tensor([ids]), output_attentions=True, output_hidden_states=True)
    for layer in range(6):
        np.testing.assert_allclose(trace[f"blocks.{layer}.attn.hook_pattern"], ref.attentions[layer].numpy(),
                                   rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(trace[f"blocks.{layer}.hook_resid_pre"], ref.hidden_states[layer].numpy(),
                                   rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(trace[f"blocks.{layer}.hook_resid_post"], ref.hidden_states[layer + 1].numpy(),
                                   rtol=1e-5, atol=1e-5)
    assert "logits" not in trace  # a sentence encoder has no language-model head
    with torch.no_grad():
        plain = loaded.model(torch.tensor([ids]))
    np.testing.assert_array_equal(plain.numpy(), ref.last_hidden_state.numpy())


def test_minilm_is_unpacked_once(minilm):
    _, folder = minilm
    stamp = (folder / "model.safetensors").stat().st_mtime_ns
    assert builtin.minilm_folder() == folder
    assert (folder / "model.safetensors").stat().st_mtime_ns == stamp
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".")]  # no staging folder left


def make_zip(path: Path, members: dict[str, bytes], link: str | None = None) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
        if link:
            info = zipfile.ZipInfo(link)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, "/etc/passwd")
    return path


@pytest.mark.parametrize("case", ["slip", "absolute", "link", "bomb", "many"])
def test_unsafe_archives_are_refused(tmp_path, case):
    members = {"config.json": b"{}"}
    link = None
    if case == "slip":
        members["../outside.txt"] = b"x"
    elif case == "absolute":
        members["/tmp/outside.txt"] = b"x"
    elif case == "link":
        link = "tokenizer.json"
    elif case == "bomb":
        members["model.safetensors"] = bytes(50 << 20)  # 50 MB of zeros packs into ~50 kB
    else:
        members.update({f"f{i}.txt": b"x" for i in range(100)})
    archive = make_zip(tmp_path / "model.zip", members, link)
    target = tmp_path / "cache" / "model"
    with pytest.raises(ModelLoadError, match="refused|holds"):
        builtin.unpack_zip(archive, target)
    assert not target.exists() and not (tmp_path / "outside.txt").exists()
    assert list((tmp_path / "cache").iterdir()) == []  # the staging folder is gone too


def test_safe_archive_unpacks_atomically(tmp_path):
    archive = make_zip(tmp_path / "model.zip", {"config.json": b"{}", "sub/tokenizer.json": b"[]"})
    target = builtin.unpack_zip(archive, tmp_path / "cache" / "model")
    assert (target / "config.json").read_bytes() == b"{}" and (target / "sub" / "tokenizer.json").is_file()
    assert builtin.unpack_zip(archive, target) == target  # a second unpack (another process won) is harmless


def test_unknown_builtin_name(tmp_path):
    with pytest.raises(ModelLoadError, match="no built-in model"):
        builtin.builtin_folder("gpt5")
