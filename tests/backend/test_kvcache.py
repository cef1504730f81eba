"""KV-cache sizes: the closed forms against hand-worked published figures, configs, and the live cache's real bytes."""
from __future__ import annotations

import json

import pytest
import torch
from transformers import DeepseekV2Config, LlamaConfig

from lmscope.backend.attention.generate import GenerateSettings, generate
from lmscope.backend.attention.kvcache import (
    WELL_KNOWN, KVShape, human_bytes, kv_cache_bytes, kv_cache_table, read_config, shape_of_config,
)
from lmscope.backend.errors import BadInputError
from lmscope.backend.models.config import TinyGPTConfig
from lmscope.backend.models.tinygpt import KVCache, TinyGPT


def test_llama_2_7b_is_half_a_mebibyte_per_token_in_fp16():
    # the figure every serving guide quotes: 2 · 32 layers · 4096 (= 32 heads · 128) · 2 bytes = 512 KiB a token
    sizes = kv_cache_bytes(WELL_KNOWN["llama-2-7b"], 1, "fp16")
    assert sizes == {"mha": 524_288, "gqa": 524_288, "mqa": 16_384}
    assert kv_cache_bytes(WELL_KNOWN["llama-2-7b"], 4096, "fp16")["mha"] == 2 * 1024**3  # 2 GiB at 4k context


def test_llama_3_8b_gqa_is_a_quarter_of_mha():
    sizes = kv_cache_bytes(WELL_KNOWN["llama-3-8b"], 8192, "bf16")
    assert sizes["gqa"] == 2 * 32 * 8 * 128 * 8192 * 2 == 1024**3  # 1 GiB at 8k tokens: 128 KiB a token
    assert sizes["mha"] == 4 * sizes["gqa"] and sizes["gqa"] == 8 * sizes["mqa"]


def test_deepseek_v2_mla_is_four_and_a_half_head_dims_per_layer():
    # DeepSeek-V2 Table 1: MLA caches (d_c + d_h^R)·l = 9/2·d_h·l elements a token, "like GQA with 2.25 groups"
    shape = WELL_KNOWN["deepseek-v2"]
    per_token = kv_cache_bytes(shape, 1, "fp8")
    assert per_token["mla"] == (512 + 64) * 60 == 9 * 128 * 60 // 2
    assert per_token["mla"] * 4 == 2 * 60 * 9 * 128  # 2·l·2.25·d_h, times 4
    assert per_token["mha"] == 2 * 60 * 128 * 128
    rows = {row["kind"]: row for row in kv_cache_table(shape, 1000, "fp16")}
    assert rows["mla"]["own"] and rows["mla"]["of_mha"] == pytest.approx(576 / (2 * 128 * 128))
    assert rows["mla"]["total"] == 1000 * 576 * 60 * 2


@pytest.mark.parametrize("dtype, b", [("fp32", 4), ("bf16", 2), ("fp16", 2), ("fp8", 1)])
def test_closed_forms_for_every_kind_and_dtype(dtype, b):
    L, H, G, d, C, R, N = 5, 12, 4, 48, 96, 16, 777
    sizes = kv_cache_bytes(KVShape(L, H, G, d, C, R), N, dtype)
    assert sizes == {"mha": 2 * L * H * d * N * b, "gqa": 2 * L * G * d * N * b, "mqa": 2 * L * d * N * b,
                     "mla": L * (C + R) * N * b}


def test_shapes_from_transformers_configs_and_tinygpt():
    llama = LlamaConfig(num_hidden_layers=3, num_attention_heads=8, num_key_value_heads=2, hidden_size=256)
    assert shape_of_config(llama.to_dict()) == KVShape(3, 8, 2, 32)
    deepseek = DeepseekV2Config(num_hidden_layers=4, num_attention_heads=16, kv_lora_rank=64, qk_rope_head_dim=8,
                                qk_nope_head_dim=32, v_head_dim=32, hidden_size=512)
    # head_dim in a DeepSeek config means the RoPE width; the latent, the RoPE width and d_h come from their own keys
    assert shape_of_config(deepseek.to_dict()) == KVShape(4, 16, 16, 32, kv_lora_rank=64, rope_head_dim=8)
    gpt2 = {"model_type": "gpt2", "n_layer": 12, "n_head": 12, "n_embd": 768}
    assert shape_of_config(gpt2) == KVShape(12, 12, 12, 64)
    falcon = {"num_hidden_layers": 32, "num_attention_heads": 71, "hidden_size": 4544, "multi_query": True}
    assert shape_of_config(falcon).kind == "mqa"
    tiny = TinyGPTConfig(n_layer=2, d_model=64, n_head=4, n_kv_head=2)
    assert shape_of_config(tiny.to_dict()) == KVShape(2, 4, 2, 16)
    mla = TinyGPTConfig(n_layer=2, d_model=64, n_head=4, pos="rope", attention="mla", kv_lora_rank=24,
                        rope_head_dim=8)
    assert shape_of_config(mla.to_dict()) == KVShape(2, 4, 4, 16, 24, 8)


@pytest.mark.parametrize("config, words", [
    ({"n_layer": 2}, "no n_head"),
    ({"num_hidden_layers": 2, "num_attention_heads": "eight"}, "whole number"),
    ({"num_hidden_layers": 2, "num_attention_heads": 8, "num_key_value_heads": 3, "hidden_size": 64}, "evenly"),
    ({"num_hidden_layers": -1, "num_attention_heads": 8, "hidden_size": 64}, "positive"),
    ([1, 2], "JSON object"),
])
def test_hostile_configs_are_one_sentence(config, words):
    with pytest.raises(BadInputError, match=words):
        shape_of_config(config)


def test_read_config_refuses_what_is_not_a_config(tmp_path):
    (tmp_path / "config.json").write_text('{"num_hidden_layers": 2, "num_attention_heads": 4, "hidden_size": 32}')
    config, name = read_config(tmp_path)
    assert shape_of_config(config) == KVShape(2, 4, 4, 8) and name == tmp_path.name
    (tmp_path / "bad.json").write_bytes(b"\xff\xfe{")
    with pytest.raises(BadInputError, match="not a readable JSON"):
        read_config(tmp_path / "bad.json")
    (tmp_path / "list.json").write_text(json.dumps([1]))
    with pytest.raises(BadInputError, match="JSON object"):
        read_config(tmp_path / "list.json")
    with pytest.raises(BadInputError, match="no model config"):
        read_config(tmp_path / "missing.json")


@pytest.mark.parametrize("changes", [
    {"n_kv_head": 4}, {"n_kv_head": 2}, {"n_kv_head": 1},
    {"attention": "mla", "pos": "rope", "kv_lora_rank": 24, "rope_head_dim": 8},
    {"attention": "mla", "pos": "learned", "kv_lora_rank": 12, "q_lora_rank": 8},
])
def test_the_live_cache_holds_exactly_the_closed_form(changes):
    cfg = TinyGPTConfig(vocab_size=30, n_ctx=32, d_model=64, n_layer=3, n_head=4, d_mlp=64).replace(**changes)
    torch.manual_seed(0)
    model = TinyGPT(cfg).eval()
    cache = KVCache(cfg.n_layer)
    with torch.no_grad():
        model(torch.arange(7)[None], cache=cache)
        model(torch.tensor([[3]]), cache=cache)
    shape = shape_of_config(cfg.to_dict())
    assert cache.nbytes == kv_cache_bytes(shape, 8, "fp32")[shape.kind]
    steps = list(generate(model, [1, 2, 3, 4], GenerateSettings(steps=3)))
    assert steps[-1].cache_length == 6


def test_human_bytes():
    assert human_bytes(512) == "512 B" and human_bytes(1536) == "1.50 KiB" and human_bytes(2 * 1024**3) == "2.00 GiB"


def test_shape_of_lmscopes_description_of_a_hugging_face_model(tmp_path):
    from lmscope.backend.models.checkpoint import load_model
    from lmscope.backend.models.hf_tiny import make_tiny_checkpoint

    make_tiny_checkpoint(tmp_path / "qwen2", "qwen2")
    cfg = load_model(tmp_path / "qwen2", "cpu").model.cfg
    shape = shape_of_config(cfg.to_dict())
    assert (shape.layers, shape.heads, shape.kv_heads, shape.head_dim) == (cfg.n_layer, cfg.n_head, cfg.n_kv_head,
                                                                          cfg.d_head)
