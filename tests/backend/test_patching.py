"""Activation patching on TinyGPT: the two fixed points (everything → 1, nothing → 0), batched = one patch per pass
(also for an MoE whose expert capacity couples the rows), starting at a block = a full pass, cancellation, and the
one-sentence refusals. The peer comparison with transformers' GPT-2 is in test_lens_gpt2.py."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from lmscope.backend.errors import BadInputError
from lmscope.backend.jobs import JobProgress
from lmscope.backend.lens import Patch, TinyGPTLens, patch_effects, patching_job, prepare
from lmscope.backend.lens.model import LensModel
from lmscope.backend.lens.patching import PatchingComputed, run_batch, sweep_patches
from lmscope.backend.models.config import TinyGPTConfig
from lmscope.backend.models.tinygpt import TinyGPT
from lmscope.backend.models.tokenizer import CharTokenizer

CLEAN, CORRUPT = "thecatsatonthemat", "thedogsatonthemat"


def tiny(**changes) -> TinyGPTLens:  # noqa: ANN003
    torch.manual_seed(1)
    cfg = TinyGPTConfig(vocab_size=27, n_ctx=32, d_model=32, n_layer=3, n_head=4, n_kv_head=4, d_mlp=64)
    model = TinyGPT(cfg.replace(**changes))
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(8.0 if p.dim() > 1 else 1.0)
    return TinyGPTLens(model.eval(), CharTokenizer(tokens=("<unk>", *"abcdefghijklmnopqrstuvwxyz")))


@pytest.fixture(scope="module")
def lm() -> TinyGPTLens:
    return tiny()


def setup_for(lm: TinyGPTLens, hooks=(), position: int = -1):  # noqa: ANN001, ANN201
    return prepare(lm, lm.encode(CLEAN), lm.encode(CORRUPT), 1, 2, position, hooks)


@pytest.mark.parametrize("changes", [{}, {"pos": "rope", "norm": "rmsnorm", "n_kv_head": 2}])
def test_patching_all_of_the_first_residual_gives_1_and_nothing_gives_0(changes):
    lm = tiny(**changes)
    setup = setup_for(lm, ["blocks.0.hook_resid_pre", "blocks.1.attn.hook_z"])
    patches = [Patch("blocks.0.hook_resid_pre"), Patch("blocks.0.hook_resid_pre", positions=()),
               Patch("blocks.1.attn.hook_z", heads=())]
    *_, (done, effects) = patch_effects(lm, setup, patches)
    assert done == 3
    assert effects[0] == pytest.approx(1.0, abs=1e-5)
    np.testing.assert_allclose(effects[1:], 0.0, atol=1e-5)
    assert abs(setup.clean_diff - setup.corrupt_diff) > 0.01  # so "1" and "0" above are not rounding noise
    # Those two are known without a pass (an empty patch copies nothing); through a real pass they are the same.
    assert setup.changes_nothing(patches[1]) and setup.changes_nothing(patches[2])
    passed = setup.effect(run_batch(lm, setup, patches))
    assert passed[0] == pytest.approx(1.0, abs=1e-5)
    np.testing.assert_allclose(passed[1:], 0.0, atol=1e-5)


def test_positions_before_the_prompts_differ_are_0_without_a_pass(lm):
    # CLEAN and CORRUPT agree on "the" (positions 0-2): a causal model computes the same values there.
    patches = sweep_patches("mlp_out", 3, len(CLEAN), 4) + sweep_patches("heads", 3, len(CLEAN), 4)
    setup = setup_for(lm, sorted({p.hook for p in patches}))
    idle = [setup.changes_nothing(p) for p in patches]
    expected = [p.positions is not None and p.positions[0] < 3 for p in patches]
    assert idle == expected
    effects = setup.effect(run_batch(lm, setup, [p for p, skip in zip(patches, idle) if skip]))
    np.testing.assert_allclose(effects, 0.0, atol=1e-5)  # what those passes would have given


def test_batched_equals_one_patch_per_pass(lm):
    T = len(CLEAN)
    patches = [p for kind in ("resid_pre", "attn_out", "mlp_out", "heads") for p in sweep_patches(kind, 3, T, 4)]
    setup = setup_for(lm, sorted({p.hook for p in patches}), position=9)
    *_, (_, batched) = patch_effects(lm, setup, patches)
    *_, (_, single) = patch_effects(lm, setup, patches, rows=1)
    np.testing.assert_allclose(batched, single, atol=1e-5)
    # Attention is causal: a patch after position 9 cannot change the prediction made at position 9.
    assert np.all(np.abs(batched[: 3 * T].reshape(3, T)[:, 10:]) < 1e-6)


@pytest.mark.parametrize("changes", [{}, {"pos": "rope", "n_kv_head": 2}])
def test_starting_at_a_block_and_a_position_equals_a_full_pass(changes):
    lm = tiny(**changes)
    setup = setup_for(lm, position=9)
    tokens = lm.tokens(lm.encode(CORRUPT)).expand(2, -1)
    resid = setup.corrupt_resid[2].expand(2, -1, -1).clone()
    resid[:, 5:] *= torch.tensor([1.0, 1.5])[:, None, None]  # row 1 changed from position 5 on
    # TinyGPT's run_from skips blocks 0-1 and positions 0-4 (their keys/values from the corrupted run); the generic
    # LensModel.run_from replaces the residual in a full pass.
    fast = lm.run_from(2, resid[:, 5:], tokens, position=9, start=5, prefix=setup.corrupt_prefix)
    full = LensModel.run_from(lm, 2, resid, tokens, position=9)
    torch.testing.assert_close(fast, full, atol=1e-5, rtol=1e-5)
    assert not torch.allclose(full[0], full[1])


def test_latent_attention_patches_from_position_0_and_matches_one_patch_per_pass():
    lm = tiny(attention="mla", kv_lora_rank=16, pos="rope", rope_head_dim=4)
    assert not lm.supports_prefix and lm.batch_independent
    patches = [p for kind in ("resid_pre", "heads") for p in sweep_patches(kind, 3, len(CLEAN), 4)]
    patches.append(Patch("blocks.0.hook_resid_pre"))  # every position: the clean run
    setup = setup_for(lm, sorted({p.hook for p in patches}))
    assert setup.corrupt_prefix == {}
    *_, (_, batched) = patch_effects(lm, setup, patches)
    *_, (_, single) = patch_effects(lm, setup, patches, rows=1)
    np.testing.assert_allclose(batched, single, atol=1e-5)
    assert batched[-1] == pytest.approx(1.0, abs=1e-4)
    np.testing.assert_allclose(batched[:3], 0.0, atol=1e-5)  # layer 0, positions before the prompts differ


def test_moe_with_capacity_runs_one_patch_per_pass():
    lm = tiny(ffn="moe", n_experts=4, top_k=1, capacity_factor=1.0, d_mlp=32)
    assert not lm.batch_independent and not lm.supports_prefix
    setup = setup_for(lm, ["blocks.1.hook_resid_pre"])
    patches = sweep_patches("resid_pre", 3, len(CLEAN), 4)[len(CLEAN):2 * len(CLEAN)]
    *_, (_, effects) = patch_effects(lm, setup, patches)
    # Against plain full passes of the corrupted prompt, one edit each (a pass over fewer positions or a batch of
    # rows would change what each expert's capacity admits).
    clean = setup.clean_cache["blocks.1.hook_resid_pre"]
    full = []
    for pos in range(len(CLEAN)):
        def edit(x, pos=pos):  # noqa: ANN001, ANN202
            x = x.clone()
            x[:, pos] = clean[:, pos]
            return x
        logits = lm.run(setup.corrupt, {"blocks.1.hook_resid_pre": edit}, position=-1)[0][0].double()
        full.append(setup.effect(np.asarray(float(logits[1] - logits[2]))))
    np.testing.assert_allclose(effects, full, atol=1e-5)
    assert np.abs(effects).max() > 0.01
    assert tiny(ffn="moe", capacity_factor=0.0).batch_independent


def test_patching_job_progress_partials_and_json_shape(lm):
    events = list(patching_job(lm, CLEAN, CORRUPT, 1, 2, rows=16))
    progress = [e.fraction for e in events if isinstance(e, JobProgress)]
    partial = [e.result for e in events if isinstance(e, PatchingComputed)]
    assert progress == sorted(progress) and progress[-1] == 1.0
    assert [r.complete for r in partial].count(True) == 1 and partial[-1].complete
    assert np.isnan(partial[0].heads).any() and not np.isnan(partial[-1].heads).any()
    tree = partial[-1].to_json()
    assert list(tree) == ["clean_diff", "corrupt_diff", "resid_pre", "attn_out", "mlp_out", "heads"]
    assert np.asarray(tree["resid_pre"]).shape == (3, len(CLEAN)) and np.asarray(tree["heads"]).shape == (3, 4)
    assert partial[-1].clean_tokens[3] == "c" and partial[-1].corrupt_tokens[3] == "d"


def test_cancelling_between_batches_leaves_no_hooks(lm):
    job = patching_job(lm, CLEAN, CORRUPT, 1, 2, rows=4)
    for event in job:
        if isinstance(event, PatchingComputed):
            break
    job.close()  # what the worker does on Cancel
    modules = [lm.model, *lm.model.modules()]
    assert not any(m._forward_hooks or m._forward_pre_hooks for m in modules)


def test_refusals(lm):
    for args, match in (((CLEAN, "thecat", 1, 2), "same token length"),
                        ((CLEAN, CORRUPT, 3, 3), "same token"),
                        ((CLEAN, CLEAN, 1, 2), "same logit difference"),
                        ((CLEAN, CORRUPT, 1, 99), "not in this model's vocabulary"),
                        (("", "", 1, 2), "empty")):
        with pytest.raises(BadInputError, match=match) as err:
            list(patching_job(lm, *args))
        assert "\n" not in str(err.value)
    with pytest.raises(BadInputError, match="outside"):
        list(patching_job(lm, CLEAN, CORRUPT, 1, 2, position=40))
    with pytest.raises(BadInputError, match="sweeps"):
        list(patching_job(lm, CLEAN, CORRUPT, 1, 2, sweeps=("resid_post",)))
