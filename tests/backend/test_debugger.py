"""The step-through debugger against independent computations: scores from the captured Q and K, the model's own
logits, planted NaNs, breakpoints, determinism, and ablation touching only what it should."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from lmscope.backend.attention.heads import head_summary, kv_groups, stage_matrix, thumbnails
from lmscope.backend.capture import capture
from lmscope.backend.attention.debugger import STAGES, Breakpoint, Debugger, Stop, debug_forward
from lmscope.backend.errors import BadInputError
from lmscope.backend.attention.generate import AblationSpec, ablated, head_ablations
from lmscope.backend.attention.masks import MaskSpec
from lmscope.backend.models.config import TinyGPTConfig
from lmscope.backend.models.recorder import Recorder
from lmscope.backend.models.tinygpt import TinyGPT

T = 10


def _model(**changes) -> TinyGPT:  # noqa: ANN003
    torch.manual_seed(0)
    cfg = TinyGPTConfig(vocab_size=40, n_ctx=32, d_model=32, n_layer=3, n_head=4, n_kv_head=2, d_mlp=64)
    return TinyGPT(cfg.replace(**changes)).eval()


def _tokens() -> torch.Tensor:
    return torch.randint(0, 40, (1, T), generator=torch.Generator().manual_seed(1))


@pytest.mark.parametrize("changes", [{}, {"pos": "rope"}, {"norm_placement": "post", "n_kv_head": 1}])
def test_stops_cover_every_head_and_stage_and_end_with_the_models_logits(changes):
    model = _model(**changes)
    items = list(debug_forward(model, _tokens()))
    stops = [s for s in items if isinstance(s, Stop)]
    assert [(s.layer, s.head, s.stage) for s in stops] == [
        (layer, head, stage) for layer in range(3) for head in range(4) for stage in STAGES]
    with torch.no_grad():
        expected = model(_tokens())[0].numpy()
    np.testing.assert_allclose(items[-1].logits, expected, rtol=1e-4, atol=1e-5)


def test_stage_tensors_match_an_independent_computation():
    model = _model()
    stops = [s for s in debug_forward(model, _tokens()) if isinstance(s, Stop)]
    trace = capture(model, _tokens())
    d = model.cfg.d_head
    for stop in stops[::3]:
        q = trace[f"blocks.{stop.layer}.attn.hook_q"][0, :, stop.head].astype(np.float64)
        k = trace[f"blocks.{stop.layer}.attn.hook_k"][0, :, stop.kv_head].astype(np.float64)
        raw = q @ k.T
        expected = {"scores": raw, "scaled": raw / math.sqrt(d),
                    "masked": np.where(np.tri(T, dtype=bool), raw / math.sqrt(d), -np.inf)}
        if stop.stage in expected:
            np.testing.assert_allclose(stop.tensor, expected[stop.stage], rtol=1e-4, atol=1e-5)
        elif stop.stage == "pattern":
            np.testing.assert_allclose(stop.tensor.sum(-1), 1.0, rtol=1e-5)
            assert np.all(np.triu(stop.tensor, 1) == 0.0)
            np.testing.assert_allclose(stop.tensor, trace[f"blocks.{stop.layer}.attn.hook_pattern"][0, stop.head],
                                       rtol=1e-4, atol=1e-6)
        else:
            v = trace[f"blocks.{stop.layer}.attn.hook_v"][0, :, stop.kv_head]
            np.testing.assert_allclose(stop.tensor, stop.tensors["pattern"] @ v, rtol=1e-4, atol=1e-5)


def test_trace_stages_equal_q_k_recomputation_and_gqa_groups():
    model = _model()
    trace = capture(model, _tokens())
    for head in range(4):
        scaled = stage_matrix(trace, 1, head, "scaled")
        masked = stage_matrix(trace, 1, head, "masked")
        allowed = np.tri(T, dtype=bool)
        np.testing.assert_allclose(scaled[allowed], masked[allowed], rtol=1e-4, atol=1e-5)
        assert np.all(masked[~allowed] == -np.inf)
        assert stage_matrix(trace, 1, head, "z").shape == (T, model.cfg.d_head)
    assert kv_groups(trace.model_config) == [[0, 1], [2, 3]]


def test_a_planted_nan_stops_the_debugger_at_that_layer():
    model = _model()
    with torch.no_grad():
        model.blocks[2].attn.W_V.weight[3, 5] = float("nan")
    debugger = Debugger(model, _tokens(), breakpoints=(Breakpoint.parse("L* H* * if nonfinite > 0"),))
    pause = debugger.do("continue")
    assert pause.reason == "breakpoint" and pause.stop.layer == 2 and pause.stop.head == 0
    assert pause.stop.stage == "scores"  # v is visible (with its NaN) from the head's first stop
    assert np.isnan(pause.stop.tensors["v"]).any()


def test_masked_minus_infinity_is_not_a_fault():
    debugger = Debugger(_model(), _tokens(), breakpoints=(Breakpoint.parse("L* H* * if nonfinite > 0"),))
    assert debugger.do("continue").reason == "finished"


def test_step_commands_and_determinism():
    model = _model()
    debugger = Debugger(model, _tokens())
    first = debugger.do("step").stop
    assert (first.layer, first.head, first.stage) == (0, 0, "scores")
    assert debugger.do("step").stop.stage == "scaled"
    over = debugger.do("layer").stop
    assert (over.layer, over.head, over.stage) == (1, 0, "scores")
    target = debugger.do("run_to", (2, 3)).stop
    assert (target.layer, target.head) == (2, 3)
    back = debugger.do("run_to", (0, 1)).stop  # behind us: restarts, then runs forward
    assert (back.layer, back.head, back.index) == (0, 1, 5)
    again = Debugger(model, _tokens())
    again.do("run_to", (0, 1))
    for name, tensor in back.tensors.items():
        np.testing.assert_array_equal(tensor, again.current.tensors[name])
    assert debugger.do("continue").reason == "finished"
    assert debugger.do("step").reason == "finished"
    debugger.restart()
    assert debugger.do("step").stop.index == 0


def test_conditional_breakpoints_fire_where_their_condition_holds():
    model = _model()
    bp = Breakpoint.parse("L* H* * if min(entropy) < 0.7")
    pause = Debugger(model, _tokens(), breakpoints=(bp,)).do("continue")
    assert pause.stop.stage == "pattern"  # the first stage where entropy exists
    entropy = pause.stop.env(-1)["entropy"]
    assert np.nanmin(entropy) < 0.7 and entropy[pause.row] == np.nanmin(entropy)
    exact = Debugger(model, _tokens(), breakpoints=(Breakpoint(layer=1, head=2, stage="z"),)).do("continue")
    assert (exact.stop.layer, exact.stop.head, exact.stop.stage) == (1, 2, "z")
    never = Debugger(model, _tokens(), breakpoints=(Breakpoint.parse("L* H* pattern if max(weight) > 2"),))
    assert never.do("continue").reason == "finished"
    broken = Debugger(model, _tokens(), breakpoints=(Breakpoint.parse("L0 H0 pattern if pattern[99, 0] > 0"),))
    assert broken.do("continue").reason == "condition error"


def test_breakpoint_text_round_trip_and_errors():
    for text in ("L1 H* pattern if min(entropy) < 0.5", "L* H2 *", "L0 H0 z if nonfinite > 0"):
        assert Breakpoint.parse(text).to_text() == text
    with pytest.raises(BadInputError):
        Breakpoint.parse("layer one")
    with pytest.raises(BadInputError):
        Breakpoint.parse("L1 H1 softmaxx")


def test_debugger_runs_with_a_mask():
    model = _model()
    allowed = torch.as_tensor(MaskSpec(window=2).allowed(T))
    debugger = Debugger(model, _tokens(), allowed=allowed)
    stop = debugger.do("run_to", (0, 0))
    for _ in range(3):
        stop = debugger.do("step").stop
    assert stop.stage == "pattern" and np.all(stop.tensor[~allowed[0, 0].numpy()] == 0.0)
    assert debugger.do("continue").finished.logits.shape == (T, 40)


@pytest.mark.parametrize("mode", ["zero", "mean"])
def test_ablating_a_head_changes_only_what_it_should(mode):
    model = _model()
    tokens = _tokens()
    names = ["*hook_z", "*hook_pattern", "logits"]
    clean = capture(model, tokens, names)
    spec = AblationSpec(((1, 2),), mode)
    with ablated(model, head_ablations(model, spec, tokens)):
        after = capture(model, tokens, names)
    assert model.blocks[1].attn.ablation is None  # restored
    z = after["blocks.1.attn.hook_z"][0]
    expected = 0.0 if mode == "zero" else clean["blocks.1.attn.hook_z"][0, :, 2].mean(0)
    np.testing.assert_allclose(z[:, 2], np.broadcast_to(expected, z[:, 2].shape), atol=1e-6)
    for head in (0, 1, 3):  # the other heads of that layer are untouched
        np.testing.assert_array_equal(z[:, head], clean["blocks.1.attn.hook_z"][0, :, head])
    for name in ("blocks.0.attn.hook_pattern", "blocks.0.attn.hook_z", "blocks.1.attn.hook_pattern"):
        np.testing.assert_array_equal(after[name], clean[name])  # upstream of the ablation: identical
    assert not np.allclose(after["blocks.2.attn.hook_pattern"], clean["blocks.2.attn.hook_pattern"])
    assert not np.allclose(after["logits"], clean["logits"])


def test_ablation_rejects_a_head_that_does_not_exist():
    with pytest.raises(BadInputError, match="no head"):
        head_ablations(_model(), AblationSpec(((5, 0),)), _tokens())


def test_head_summary_and_thumbnails_by_hand():
    prev = np.eye(4, k=-1)
    prev[0, 0] = 1.0  # a previous-token head (row 0 can only see itself)
    first = np.zeros((4, 4))
    first[:, 0] = 1.0
    uniform = np.tri(4) / np.arange(1, 5)[:, None]
    patterns = np.stack([prev, first, uniform])[None]  # (1 layer, 3 heads, 4, 4)
    summary = head_summary(patterns)
    np.testing.assert_allclose(summary["previous"][0], [1.0, 1 / 3, (1 / 2 + 1 / 3 + 1 / 4) / 3])
    np.testing.assert_allclose(summary["first"][0], [0.5, 1.0, (1 + 1 / 2 + 1 / 3 + 1 / 4) / 4])
    np.testing.assert_allclose(summary["diagonal"][0], [0.25, 0.25, (1 + 1 / 2 + 1 / 3 + 1 / 4) / 4])
    np.testing.assert_allclose(summary["entropy"][0], [0.0, 0.0, np.mean(np.log([2, 3, 4]))])
    thumbs = thumbnails(patterns, size=2)
    assert thumbs.shape == (1, 3, 2, 2) and thumbs.dtype == np.float32
    np.testing.assert_allclose(thumbs[0, 1], [[0.5, 0.0], [0.5, 0.0]])


def test_recorder_sees_ablated_z():
    model = _model()
    rec = Recorder("blocks.0.attn.hook_z")
    with ablated(model, head_ablations(model, AblationSpec(((0, 1),)), _tokens())):
        model(_tokens(), rec=rec)
    assert rec.tensors["blocks.0.attn.hook_z"][0, :, 1].abs().max() == 0
