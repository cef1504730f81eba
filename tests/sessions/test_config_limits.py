"""A model config from a session (or any file) is checked field by field, and by its parameter count, before
anything is built: `n_layer = 1e6` built a million blocks first."""
from __future__ import annotations

import itertools
import math
import time

import pytest

from lmscope.backend.errors import ConfigError
from lmscope.backend.models.config import PRESETS, TinyGPTConfig


@pytest.mark.parametrize("field, value", [
    ("n_layer", 1e6), ("n_layer", 1e300), ("n_layer", math.inf), ("n_layer", 0), ("n_layer", -3), ("n_layer", 2.5),
    ("n_experts", 1e6), ("n_experts", 1_000_000), ("vocab_size", 10 ** 30), ("d_model", "128"), ("n_head", None),
    ("n_ctx", True), ("top_k", [2]), ("d_mlp", {"x": 1}), ("norm_eps", math.nan), ("norm_eps", 0), ("rope_base", -1.0),
    ("rope_base", math.inf), ("capacity_factor", -0.5), ("dropout", 1.0), ("dropout", "0.1"), ("tie_embeddings", 1),
    ("noisy_gating", "yes"), ("norm", "batchnorm"), ("n_shared", 1000), ("soft_slots", 1e9), ("kv_lora_rank", -1),
    ("q_lora_rank", 1e300), ("rope_head_dim", 1 << 20), ("aux_loss_coef", math.inf), ("bias_update_rate", 2.0),
    ("moe_mode", "all"), ("attention", "flash"),
])
def test_each_field_is_range_checked_in_an_instant(field, value):
    start = time.perf_counter()
    with pytest.raises(ConfigError, match=field):
        TinyGPTConfig.from_dict({**PRESETS["tiny"].to_dict(), field: value})
    assert time.perf_counter() - start < 0.5  # nothing is built (1e6 blocks took minutes)


def test_the_parameter_count_is_bounded_before_building():
    config = {**PRESETS["tiny"].to_dict(), "d_model": 16384, "n_head": 16, "n_kv_head": 16, "n_layer": 256,
              "d_mlp": 65536}
    with pytest.raises(ConfigError, match="parameters; lmscope builds TinyGPT models of up to 1,000,000,000"):
        TinyGPTConfig.from_dict(config)


def test_integral_floats_from_json_are_integers():
    config = TinyGPTConfig.from_dict({**PRESETS["tiny"].to_dict(), "n_layer": 3.0, "norm_eps": 1})
    assert config.n_layer == 3 and isinstance(config.n_layer, int) and config.norm_eps == 1.0


@pytest.mark.parametrize("norm, placement, pos, act, ffn, tie, noisy", list(itertools.product(
    ["layernorm", "rmsnorm"], ["pre", "post"], ["learned", "rope", "none"], ["gelu", "swiglu"], ["dense", "moe"],
    [True, False], [True, False])))
def test_parameter_count_matches_the_built_model(norm, placement, pos, act, ffn, tie, noisy):
    from lmscope.backend.models.tinygpt import TinyGPT

    config = TinyGPTConfig(vocab_size=11, n_ctx=7, d_model=12, n_layer=2, n_head=3, n_kv_head=1, d_mlp=5, norm=norm,
                           norm_placement=placement, pos=pos, act=act, ffn=ffn, tie_embeddings=tie,
                           noisy_gating=noisy, n_experts=3, top_k=2, n_shared=1)
    assert config.parameter_count() == TinyGPT(config).n_params()


def test_every_preset_is_in_range():
    for config in PRESETS.values():
        assert TinyGPTConfig.from_dict(config.to_dict()) == config


@pytest.mark.parametrize("attention, q_rank, rope, mode, bias", list(itertools.product(
    ["standard", "mla"], [0, 6], [0, 4], ["topk", "dense", "soft"], [0.0, 0.1])))
def test_parameter_and_state_counts_match_mla_and_moe_modes(attention, q_rank, rope, mode, bias):
    from lmscope.backend.models.tinygpt import TinyGPT

    mla = attention == "mla"
    config = TinyGPTConfig(vocab_size=11, n_ctx=7, d_model=12, n_layer=2, n_head=2, n_kv_head=2, d_mlp=5, ffn="moe",
                           n_experts=3, top_k=2, n_shared=1, attention=attention, kv_lora_rank=4 if mla else 0,
                           q_lora_rank=q_rank if mla else 0, rope_head_dim=rope if mla else 0,
                           pos="rope" if mla and rope else "learned", moe_mode=mode, soft_slots=2,
                           bias_update_rate=bias, noisy_gating=True)
    model = TinyGPT(config)
    state = model.state_dict()
    state.pop("unembed.weight", None)
    assert config.parameter_count() == model.n_params()
    assert config.state_count() == sum(t.numel() for t in state.values())
