"""Router statistics against an independent, loop-by-loop computation of docs/moe.md's definitions, and the
pooled figure against transformers' own ``load_balancing_loss_func`` on a seeded Mixtral model's router logits."""
from __future__ import annotations

import math

import numpy as np
import pytest

from lmscope.backend.errors import BadInputError
from lmscope.backend.moe.routing import router_hook, trace_routing
from lmscope.backend.moe.stats import SCALAR_FIELDS, LayerStats, hf_aux, layer_stats


def reference(logits, chosen, dropped=None):
    """Docs/moe.md's definitions written out with Python loops and math (no shared code with the backend)."""
    n, e = len(logits), len(logits[0])
    k = len(chosen[0])
    counts = [0] * e
    for row in chosen:
        for expert in row:
            counts[expert] += 1
    load = [c / (n * k) for c in counts]
    probs = []
    for row in logits:
        top = max(row)
        exps = [math.exp(x - top) for x in row]
        total = sum(exps)
        probs.append([x / total for x in exps])
    importance = [sum(p[j] for p in probs) / n for j in range(e)]
    z = sum((max(row) + math.log(sum(math.exp(x - max(row)) for x in row))) ** 2 for row in logits) / n
    entropy = sum(-sum(q * math.log(q) for q in p if q > 0) for p in probs) / n
    n_dropped = sum(bool(d) for row in (dropped or []) for d in row)
    mean = n * k / e
    return {
        "load": load, "importance": importance, "switch_aux": e * sum(a * b for a, b in zip(load, importance)),
        "z_loss": z, "entropy": entropy, "dropped_fraction": n_dropped / (n * k),
        "max_violation": (max(counts) - mean) / mean,
    }


def reference_hf(layer_logits, k):
    """transformers' pooled convention, written out: all layers' tokens, top-k of the softmax, slots not / k."""
    rows = [row for layer in layer_logits for row in layer]
    e = len(rows[0])
    probs = []
    for row in rows:
        exps = [math.exp(x - max(row)) for x in row]
        probs.append([x / sum(exps) for x in exps])
    counts = [0] * e
    for p in probs:
        for expert in sorted(range(e), key=lambda j: (-p[j], j))[:k]:
            counts[expert] += 1
    mean_p = [sum(p[j] for p in probs) / len(rows) for j in range(e)]
    return e * sum(counts[j] / len(rows) * mean_p[j] for j in range(e))


def check(stats: LayerStats, ref: dict) -> None:
    assert stats.load == pytest.approx(ref["load"], abs=1e-12)
    assert stats.importance == pytest.approx(ref["importance"], rel=1e-9, abs=1e-12)
    for name in SCALAR_FIELDS:
        assert getattr(stats, name) == pytest.approx(ref[name], rel=1e-9, abs=1e-12), name


def pair_logits(pairs, e=4, high=6.0, second=5.5):
    """One row per token: expert pair (a, b) gets (high, second), the rest 0."""
    rows = []
    for a, b in pairs:
        row = [0.0] * e
        row[a], row[b] = high, second
        rows.append(row)
    return rows


def test_perfectly_balanced_top2():
    pairs = [(0, 1), (2, 3), (1, 2), (3, 0)] * 4
    logits = pair_logits(pairs)
    stats = layer_stats(np.array(logits), np.array(pairs))
    check(stats, reference(logits, pairs))
    assert stats.load == pytest.approx([0.25] * 4)
    assert stats.switch_aux == pytest.approx(1.0)  # 1 at perfect balance, for k = 2 as for k = 1
    assert stats.max_violation == pytest.approx(0.0)
    assert stats.dropped_fraction == 0.0
    assert hf_aux([np.array(logits)], 2) == pytest.approx(2.0)  # transformers' convention: k, not 1


def test_uniform_logits_have_maximal_entropy_and_log_e_z_loss():
    logits = np.zeros((6, 8))
    chosen = np.array([[i % 8, (i + 4) % 8] for i in range(6)])
    stats = layer_stats(logits, chosen)
    check(stats, reference(logits.tolist(), chosen.tolist()))
    assert stats.entropy == pytest.approx(math.log(8))
    assert stats.z_loss == pytest.approx(math.log(8) ** 2)


def test_collapsed_to_one_expert():
    logits = [[9.0, 0.0, 0.0, 0.0]] * 10
    chosen = [[0]] * 10
    stats = layer_stats(np.array(logits), np.array(chosen))
    check(stats, reference(logits, chosen))
    assert stats.load.tolist() == [1.0, 0.0, 0.0, 0.0]
    assert stats.max_violation == pytest.approx(3.0)  # E·1 − 1
    assert stats.switch_aux == pytest.approx(4 * stats.importance[0])


def test_per_layer_collapses_cancel_in_the_pooled_figure():
    # Layer 0 sends every token to experts {0, 1}, layer 1 to {2, 3}: each layer has collapsed onto half the
    # experts, yet transformers' pooled loss is exactly the "perfect" 2.0 of balanced top-2 routing.
    layer0 = pair_logits([(0, 1)] * 8, high=7.0, second=7.0)
    layer1 = pair_logits([(2, 3)] * 8, high=7.0, second=7.0)
    stats0 = layer_stats(np.array(layer0), np.array([[0, 1]] * 8))
    stats1 = layer_stats(np.array(layer1), np.array([[2, 3]] * 8))
    check(stats0, reference(layer0, [[0, 1]] * 8))
    check(stats1, reference(layer1, [[2, 3]] * 8))
    assert stats0.max_violation == pytest.approx(1.0) and stats1.max_violation == pytest.approx(1.0)
    assert stats0.switch_aux > 1.99 and stats1.switch_aux > 1.99  # each layer: twice the balanced value
    pooled = hf_aux([np.array(layer0), np.array(layer1)], 2)
    assert pooled == pytest.approx(reference_hf([layer0, layer1], 2), rel=1e-12)
    assert pooled == pytest.approx(2.0, abs=1e-5)


def test_ties_and_dropped_assignments():
    logits = [[1.0, 1.0, 0.0, 0.0], [0.5, 0.5, 0.5, 0.5], [2.0, 0.0, 2.0, 0.0], [0.0, 3.0, 3.0, 3.0]]
    chosen = [[0, 1], [2, 3], [0, 2], [1, 2]]
    dropped = [[False, False], [False, True], [True, True], [False, False]]
    stats = layer_stats(np.array(logits), np.array(chosen), np.array(dropped))
    check(stats, reference(logits, chosen, dropped))
    assert stats.dropped_fraction == pytest.approx(3 / 8)
    # a dropped assignment still counts as routed
    assert stats.load.sum() == pytest.approx(1.0)
    rows = [[1.0, 1.0, 0.0, 0.0], [0.0, 3.0, 3.0, -1.0]]
    assert hf_aux([np.array(rows)], 2) == pytest.approx(reference_hf([rows], 2))


def test_random_logits_match_the_reference():
    rng = np.random.default_rng(7)
    layers = [rng.normal(size=(37, 6)) * 3 for _ in range(3)]
    for logits in layers:
        chosen = np.argsort(-logits, axis=1)[:, :2]
        check(layer_stats(logits, chosen), reference(logits.tolist(), chosen.tolist()))
    assert hf_aux(layers, 2) == pytest.approx(reference_hf([x.tolist() for x in layers], 2), rel=1e-12)
    assert hf_aux(layers, 1) == pytest.approx(reference_hf([x.tolist() for x in layers], 1), rel=1e-12)


def test_hostile_values_are_one_sentence():
    with pytest.raises(BadInputError, match="NaN or infinite"):
        layer_stats(np.array([[0.0, np.nan]]), np.array([[0]]))
    with pytest.raises(BadInputError, match="0…1"):
        layer_stats(np.array([[0.0, 1.0]]), np.array([[2]]))
    with pytest.raises(BadInputError, match="top_k"):
        hf_aux([np.zeros((2, 3))], 4)


def test_trace_routing_reads_checks_and_fills_in():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(1, 5, 4)).astype(np.float32)
    tensors = {router_hook(1, "hook_router_logits"): logits}
    routing = trace_routing(tensors, {"top_k": 2})
    layer = routing.layers[0]
    assert routing.layer_ids == [1] and routing.top_k == 2 and routing.n_experts == 4
    # indices recomputed from the logits, largest first; weights their softmax
    expected = np.argsort(-logits[0], axis=1)[:, :2]
    assert layer.topk_indices.tolist() == expected.tolist()
    top = np.take_along_axis(logits[0], expected, 1)
    assert layer.topk_weights == pytest.approx(np.exp(top) / np.exp(top).sum(1, keepdims=True), rel=1e-6)
    assert not layer.dropped.any()
    with pytest.raises(BadInputError, match="no router tensors"):
        trace_routing({"blocks.0.mlp.hook_pre": np.zeros((1, 2, 3))})
    bad = dict(tensors)
    bad[router_hook(1, "hook_topk_indices")] = np.full((1, 5, 2), 9)
    with pytest.raises(BadInputError, match="outside"):
        trace_routing(bad)
    bad[router_hook(1, "hook_topk_indices")] = np.zeros((1, 4, 2), dtype=np.int64)
    with pytest.raises(BadInputError, match="covers 4 tokens"):
        trace_routing(bad)
    summary = trace_routing(tensors, {"top_k": 2}).summary(3)
    assert set(summary) == {"trace", "n_tokens", "n_experts", "top_k", "hf_aux", "layers"}
    assert set(summary["layers"][0]) == {"layer", "load", "importance", "switch_aux", "z_loss", "entropy",
                                         "dropped_fraction", "max_violation"}


def test_hf_aux_equals_transformers_load_balancing_loss_on_mixtral_router_logits():
    import torch
    from transformers import MixtralConfig, MixtralForCausalLM
    from transformers.models.mixtral.modeling_mixtral import load_balancing_loss_func

    torch.manual_seed(0)
    config = MixtralConfig(vocab_size=64, hidden_size=32, intermediate_size=48, num_hidden_layers=3,
                           num_attention_heads=4, num_key_value_heads=2, num_local_experts=6,
                           num_experts_per_tok=2, max_position_embeddings=64, output_router_logits=True)
    model = MixtralForCausalLM(config).eval()
    with torch.no_grad():
        for layer in model.model.layers:  # a wider router than the default init, so routing is uneven
            layer.mlp.gate.weight.normal_(0, 1.0)
        ids = torch.randint(0, 64, (2, 11))
        out = model(ids, output_router_logits=True)
    router_logits = out.router_logits
    assert len(router_logits) == 3 and tuple(router_logits[0].shape) == (22, 6)
    theirs = float(load_balancing_loss_func(router_logits, 6, 2))
    ours = hf_aux([r.float().numpy() for r in router_logits], 2)
    assert ours == pytest.approx(theirs, rel=1e-5)
    assert ours == pytest.approx(float(out.aux_loss), rel=1e-5)
    # the same logits through a trace (batch, pos, E), as the adapter records them, give the same figure
    tensors = {router_hook(i, "hook_router_logits"): r.float().numpy().reshape(2, 11, 6)
               for i, r in enumerate(router_logits)}
    assert trace_routing(tensors, {"num_experts_per_tok": 2}).hf_aux() == pytest.approx(theirs, rel=1e-5)


def test_soft_routing_from_a_soft_moe_capture():
    import torch

    from lmscope.backend.capture import capture
    from lmscope.backend.models.config import TinyGPTConfig
    from lmscope.backend.models.tinygpt import TinyGPT
    from lmscope.backend.moe.jobs import RouterUnavailable, router_job
    from lmscope.backend.moe.routing import SoftRouting, soft_layers, trace_soft_routing

    torch.manual_seed(0)
    cfg = TinyGPTConfig(n_layer=2, d_model=16, n_head=2, n_kv_head=2, d_mlp=16, ffn="moe", n_experts=3,
                        moe_mode="soft", soft_slots=2)
    trace = capture(TinyGPT(cfg), list(range(7)))
    assert soft_layers(trace.tensors) == [0, 1]
    events = [e for e in router_job(trace) if isinstance(e, (SoftRouting, RouterUnavailable))]
    (soft,) = events
    assert isinstance(soft, SoftRouting) and soft.dispatch.shape == (2, 7, 6) and soft.slots_per_expert == 2
    assert soft.dispatch.sum(axis=1) == pytest.approx(np.ones((2, 6)), rel=1e-5)
    assert soft.expert_share().sum(-1) == pytest.approx(np.ones((2, 7)), rel=1e-5)
    bad = dict(trace.tensors)
    bad["blocks.1.moe.hook_combine"] = np.full((1, 7, 6), 2.0, np.float32)
    with pytest.raises(BadInputError, match="between 0 and 1"):
        trace_soft_routing(bad, trace.model_config)
    with pytest.raises(BadInputError, match="cannot share"):
        trace_soft_routing(trace.tensors, {"n_experts": 4})
