"""The MoE router against CONCEPTS.md: balance loss, z-loss, capacity and dropped tokens."""
from __future__ import annotations

import math

import pytest
import torch

from lmscope.backend.models.config import TinyGPTConfig
from lmscope.backend.models.moe import MoE, expert_capacity, router_z_loss, switch_balance_loss
from lmscope.backend.models.recorder import Recorder


def test_switch_balance_loss_is_one_when_routing_is_uniform():
    n_experts, tokens = 4, 8
    probs = torch.full((tokens, n_experts), 1 / n_experts)
    top1 = torch.arange(tokens) % n_experts
    assert switch_balance_loss(probs, top1, n_experts).item() == pytest.approx(1.0)
    # everything to one expert with all the probability: N·1·1 = N
    probs = torch.zeros(tokens, n_experts)
    probs[:, 0] = 1
    assert switch_balance_loss(probs, torch.zeros(tokens, dtype=torch.long), n_experts).item() == pytest.approx(4.0)


def test_router_z_loss_formula():
    logits = torch.tensor([[0.0, 0.0], [math.log(3.0), 0.0]])
    expected = (math.log(2.0) ** 2 + math.log(4.0) ** 2) / 2
    assert router_z_loss(logits).item() == pytest.approx(expected)


def test_capacity_drops_overflow_in_token_order():
    cfg = TinyGPTConfig(d_model=8, n_head=2, n_kv_head=2, d_mlp=8, ffn="moe", n_experts=2, top_k=1,
                        capacity_factor=1.0)
    assert expert_capacity(6, cfg) == 3
    moe = MoE(cfg).eval()
    with torch.no_grad():
        moe.W_gate.weight.zero_()
        moe.W_gate.weight[0, 0] = 10.0  # feature 0 > 0 sends a token to expert 0
    x = torch.zeros(1, 6, 8)
    x[0, :, 0] = 1.0  # all six tokens want expert 0; capacity is 3
    rec = Recorder()
    with torch.no_grad():
        out = moe(x, rec, "moe.")
    dropped = rec.tensors["moe.hook_dropped"][0, :, 0]
    assert dropped.tolist() == [False, False, False, True, True, True]
    # a dropped token gets no expert output: it passes through the residual unchanged
    assert torch.all(out[0, 3:] == 0)
    assert torch.any(out[0, :3] != 0)


# --- training options: slot-counted balance loss, coefficients, aux-loss-free bias, dense and Soft MoE ---------

import numpy as np  # noqa: E402

from lmscope.backend.errors import ConfigError  # noqa: E402
from lmscope.backend.models.moe import bias_step, soft_moe_weights  # noqa: E402
from lmscope.backend.models.tinygpt import TinyGPT  # noqa: E402
from lmscope.backend.moe.stats import layer_stats, max_violation  # noqa: E402
from lmscope.backend.training.events import HistogramSnapshot  # noqa: E402
from lmscope.backend.training.history import TrainingHistory  # noqa: E402

SMALL = TinyGPTConfig(d_model=8, n_head=2, n_kv_head=2, d_mlp=8, ffn="moe", n_experts=4, top_k=2)


def test_balance_loss_counts_every_topk_slot():
    probs = torch.tensor([[0.5, 0.3, 0.1, 0.1], [0.1, 0.1, 0.4, 0.4], [0.25, 0.25, 0.25, 0.25]])
    chosen = torch.tensor([[0, 1], [2, 3], [0, 2]])
    # by hand: counts (2, 1, 2, 1) of 6 slots; mean p = (0.85, 0.65, 0.75, 0.75) / 3
    f = [2 / 6, 1 / 6, 2 / 6, 1 / 6]
    p = [0.85 / 3, 0.65 / 3, 0.75 / 3, 0.75 / 3]
    expected = 4 * sum(a * b for a, b in zip(f, p))
    assert switch_balance_loss(probs, chosen, 4).item() == pytest.approx(expected)
    # the training loss and the router view's per-layer switch_aux are one definition
    logits = torch.log(probs)
    assert expected == pytest.approx(layer_stats(logits.numpy(), chosen.numpy()).switch_aux, rel=1e-6)


def test_aux_loss_uses_the_config_coefficients():
    torch.manual_seed(0)
    ids = torch.randint(0, 256, (2, 10))
    model = TinyGPT(SMALL.replace(aux_loss_coef=0.5, z_loss_coef=0.25)).eval()
    model(ids)
    terms = [b.ffn.aux for b in model.blocks]
    expected = sum(0.5 * t["balance_loss"] + 0.25 * t["z_loss"] for t in terms)
    assert model.aux_loss().item() == pytest.approx(expected.item())
    off = TinyGPT(SMALL.replace(aux_loss_coef=0.0, z_loss_coef=0.0)).eval()
    off(ids)
    assert off.aux_loss().item() == 0.0


@pytest.mark.parametrize("field, value", [("aux_loss_coef", -0.1), ("z_loss_coef", 2.0),
                                          ("bias_update_rate", float("nan")), ("soft_slots", 0),
                                          ("moe_mode", "switch")])
def test_moe_training_fields_are_range_checked(field, value):
    with pytest.raises(ConfigError, match=field):
        SMALL.replace(**{field: value})
    assert TinyGPTConfig.from_json(SMALL.replace(bias_update_rate=0.01).to_json()).bias_update_rate == 0.01


def test_bias_step_is_plus_minus_gamma_against_the_mean():
    bias = torch.tensor([0.0, 0.1, -0.2, 0.0])
    counts = torch.tensor([10, 2, 2, 2])  # mean 4: expert 0 over-loaded, the others under
    assert bias_step(bias, counts, 0.05).tolist() == pytest.approx([-0.05, 0.15, -0.15, 0.05])
    assert bias_step(bias, torch.tensor([3, 3, 3, 3]), 0.05).tolist() == pytest.approx(bias.tolist())


def test_selection_bias_changes_choice_not_weights():
    moe = MoE(SMALL.replace(bias_update_rate=0.1)).eval()
    x = torch.randn(1, 5, 8)
    with torch.no_grad():
        moe.selection_bias.copy_(torch.tensor([0.0, 0.0, 0.0, 100.0]))  # expert 3 always selected
        rec = Recorder()
        moe(x, rec, "")
    idx, weights = rec.tensors["hook_topk_indices"][0], rec.tensors["hook_topk_weights"][0]
    logits = rec.tensors["hook_router_logits"][0]
    assert (idx == 3).any(dim=-1).all()
    chosen = logits.gather(1, idx)
    assert torch.allclose(weights, torch.softmax(chosen, dim=-1))  # softmax of the unbiased scores


def test_aux_free_bias_lowers_max_violation():
    torch.manual_seed(0)
    moe = MoE(SMALL.replace(bias_update_rate=0.05)).train()
    x = torch.randn(1, 256, 8)
    x[..., 7] = 1.0  # a constant feature through which the router below prefers experts 0 and 1 for every token
    with torch.no_grad():
        moe.W_gate.weight.normal_(0, 0.5)
        moe.W_gate.weight[0, 7] = 3.0
        moe.W_gate.weight[1, 7] = 2.0
        vio = []
        for _ in range(100):
            moe(x)
            vio.append(float(max_violation(moe.last_counts.numpy() / moe.last_counts.sum().item())))
            moe.update_selection_bias()
    assert vio[0] > 0.8  # expert 0 takes ~88 % of the tokens' slots beyond its share
    assert max(vio[-10:]) < 0.1  # the bias has spread them: within 10 % of the mean load


def test_training_with_aux_free_balancing_records_lower_max_violation():
    from lmscope.backend.demo import demo_corpus
    from lmscope.backend.models.tokenizer import CharTokenizer
    from lmscope.backend.training.loop import TrainSettings, train

    text = demo_corpus()[:6000]
    tokenizer = CharTokenizer.train(text)
    settings = TrainSettings(steps=40, batch_size=8, seq_len=32, snapshot_every=10, seed=3, device="cpu")
    config = TinyGPTConfig(n_layer=1, d_model=32, n_head=2, n_kv_head=2, d_mlp=32, n_ctx=32, ffn="moe",
                           n_experts=4, top_k=1, aux_loss_coef=0.0, z_loss_coef=0.0)

    def trained_vio(cfg: TinyGPTConfig) -> tuple[float, list]:
        """MaxVio on the probe batch, averaged over the snapshots after initialisation."""
        snaps = [e for e in train(cfg, tokenizer, text, settings) if isinstance(e, HistogramSnapshot)]
        assert [s.step for s in snaps] == [0, 10, 20, 30, 40]
        return float(np.mean([max_violation(s.moe_load).mean() for s in snaps[1:]])), snaps

    # Without balancing this router collapses onto one expert (MaxVio E − 1 = 3); γ must stay small against the
    # spread of the logits, or the token-independent bias itself sends every token to one expert (γ = 0.05 does).
    plain, _ = trained_vio(config)
    balanced, snaps = trained_vio(config.replace(bias_update_rate=0.003))
    assert plain > 2.0 and balanced < plain / 2
    assert snaps[-1].moe_bias.shape == (1, 4) and np.abs(snaps[-1].moe_bias).max() <= 40 * 0.003 + 1e-9
    assert np.allclose(snaps[-1].moe_load.sum(-1), 1.0)


def test_dense_moe_is_the_softmax_weighted_sum_of_every_expert():
    moe = MoE(SMALL.replace(moe_mode="dense")).eval()
    x = torch.randn(2, 3, 8)
    rec = Recorder()
    with torch.no_grad():
        out = moe(x, rec, "")
        flat = x.reshape(6, 8)
        p = torch.softmax(moe.W_gate(flat), dim=-1)
        expected = sum(p[:, e, None] * moe.experts[e](flat) for e in range(4)).reshape(2, 3, 8)
    assert torch.allclose(out, expected, atol=1e-6)
    assert rec.tensors["hook_topk_indices"].shape == (2, 3, 4) and not rec.tensors["hook_dropped"].any()


def test_soft_moe_follows_dispatch_and_combine():
    cfg = SMALL.replace(moe_mode="soft", soft_slots=2, n_shared=1)
    moe = MoE(cfg).eval()
    x = torch.randn(2, 5, 8)
    rec = Recorder()
    with torch.no_grad():
        out = moe(x, rec, "")
        logits = torch.einsum("btd,sd->bts", x, moe.W_gate.weight)  # Φ as (slots, d)
        d = torch.exp(logits) / torch.exp(logits).sum(dim=1, keepdim=True)  # over tokens
        c = torch.exp(logits) / torch.exp(logits).sum(dim=2, keepdim=True)  # over slots
        slots = torch.einsum("bts,btd->bsd", d, x)
        outs = torch.cat([moe.experts[s // 2](slots[:, s:s + 1]) for s in range(8)], dim=1)
        expected = torch.einsum("bts,bsd->btd", c, outs) + moe.shared[0](x)
    assert torch.allclose(out, expected, atol=1e-5)
    dispatch, combine = rec.tensors["hook_dispatch"], rec.tensors["hook_combine"]
    assert torch.allclose(dispatch.sum(1), torch.ones(2, 8)) and torch.allclose(combine.sum(2), torch.ones(2, 5))
    assert torch.allclose(soft_moe_weights(logits)[0], dispatch)
    model = TinyGPT(cfg).eval()
    model(torch.randint(0, 256, (1, 4)))
    assert model.aux_loss() is None  # nothing to balance


def test_capacity_top2_matches_the_definition_and_the_router_view():
    cfg = SMALL.replace(capacity_factor=1.0)
    assert expert_capacity(8, cfg) == 4  # ⌈2·8/4·1.0⌉
    moe = MoE(cfg).eval()
    with torch.no_grad():
        moe.W_gate.weight.zero_()
        moe.W_gate.weight[0, 0] = 5.0
        moe.W_gate.weight[1, 0] = 4.0  # every token ranks experts 0 then 1
    x = torch.zeros(1, 8, 8)
    x[0, :, 0] = 1.0
    rec = Recorder()
    with torch.no_grad():
        moe(x, rec, "")
    dropped = rec.tensors["hook_dropped"][0]
    # queue order: token by token, slot 0 then slot 1; experts 0 and 1 each accept their first 4 assignments
    assert dropped.tolist() == [[False, False]] * 4 + [[True, True]] * 4
    stats = layer_stats(rec.tensors["hook_router_logits"][0].numpy(), rec.tensors["hook_topk_indices"][0].numpy(),
                        dropped.numpy())
    assert stats.dropped_fraction == 0.5 and stats.load.tolist() == [0.5, 0.5, 0.0, 0.0]


def test_history_keeps_moe_load_and_bias_and_refuses_mismatched_arrays():
    load = np.array([[0.5, 0.5, 0.0, 0.0]])
    snaps = [HistogramSnapshot(step=s, val_loss=1.0, stats={}, moe_layers=(1,), moe_load=load * (s + 1) / (s + 1),
                               moe_bias=np.full((1, 4), 0.01 * s)) for s in (0, 5)]
    history = TrainingHistory(snapshots=snaps, label="run")
    back = TrainingHistory.from_arrays(history.to_arrays())
    assert [s.moe_layers for s in back.snapshots] == [(1,), (1,)]
    assert np.array_equal(back.snapshots[1].moe_bias, np.full((1, 4), 0.05))
    arrays = history.to_arrays()
    arrays["snapshot_moe_load"] = arrays["snapshot_moe_load"][:1]
    with pytest.raises(ValueError):
        TrainingHistory.from_arrays(arrays)
    plain = TrainingHistory(snapshots=[HistogramSnapshot(step=0, val_loss=1.0, stats={})])
    assert "snapshot_moe_load" not in plain.to_arrays()
    assert TrainingHistory.from_arrays(plain.to_arrays()).snapshots[0].moe_load is None


def test_early_stopping_keeps_the_best_snapshot_weights():
    from lmscope.backend.demo import demo_corpus
    from lmscope.backend.models.tokenizer import CharTokenizer
    from lmscope.backend.training.loop import TrainFinished, TrainSettings, _Batches, train

    text = demo_corpus()[:3000]
    tokenizer = CharTokenizer.train(text)
    config = TinyGPTConfig(n_layer=1, d_model=32, n_head=2, n_kv_head=2, d_mlp=32, n_ctx=32, ffn="moe",
                           n_experts=4, top_k=2)
    # a learning rate this high makes the validation loss bounce, so patience 2 stops the run early
    settings = TrainSettings(steps=200, batch_size=8, seq_len=32, lr=0.05, warmup=1, snapshot_every=5, seed=1,
                             early_stop_patience=2, device="cpu")
    events = list(train(config, tokenizer, text, settings))
    snaps = [e for e in events if isinstance(e, HistogramSnapshot)]
    done = events[-1]
    assert isinstance(done, TrainFinished) and done.steps < 200 and done.steps == snaps[-1].step
    losses = [s.val_loss for s in snaps]
    best = int(np.argmin(losses))
    assert done.best_step == snaps[best].step and len(snaps) - 1 - best == 2
    # the returned weights are the best snapshot's: their validation loss, recomputed on the same batch, is its own
    batches = _Batches(np.asarray(tokenizer.encode(text)), 32, settings.seed)
    batches.sample(batches.val_ids, 4)
    val_x, val_y = batches.sample(batches.val_ids, 16)
    with torch.no_grad():
        logits = done.model.eval()(val_x)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), val_y.reshape(-1))
    assert float(loss) == pytest.approx(losses[best], rel=1e-5)
