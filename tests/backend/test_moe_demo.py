"""The shipped demo-moe checkpoint: small, declared as package data, loads by name with the config the seeded script
trains, routes the demo prompt through every MoE layer, and carries a history with load per expert at every
snapshot, early-stopped on the validation loss."""
from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

import numpy as np

from lmscope.backend.capture import capture
from lmscope.backend.demo import DEFAULT_PROMPT
from lmscope.backend.models.checkpoint import load_model
from lmscope.backend.moe.demo import CONFIG, NAME, SETTINGS, demo_moe_dir
from lmscope.backend.moe.routing import trace_routing
from lmscope.backend.training.history import TrainingHistory

ROOT = Path(__file__).resolve().parents[2]


def test_demo_moe_is_small_and_declared_as_package_data():
    files = sorted(p.name for p in demo_moe_dir().iterdir())
    assert files == ["config.json", "history.npz", "model.safetensors", "vocab.json"]
    total = sum(p.stat().st_size for p in demo_moe_dir().iterdir())
    assert total < 5 * 2**20, total
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"][
        "lmscope.resources"]
    for name in files:
        assert any(fnmatch.fnmatch(f"demo_moe/{name}", p) for p in patterns), name


def test_demo_moe_loads_by_name_and_routes_the_demo_prompt():
    loaded = load_model(NAME)
    cfg = loaded.model.cfg
    assert cfg.replace(vocab_size=CONFIG.vocab_size) == CONFIG
    ids = loaded.tokenizer.encode(DEFAULT_PROMPT)
    trace = capture(loaded.model, ids, token_strings=loaded.tokenizer.token_strings(ids))
    routing = trace_routing(trace.tensors, trace.model_config, trace.token_strings)
    assert routing.layer_ids == [0, 1, 2] and routing.n_experts == 8 and routing.top_k == 2 and routing.n_shared == 1
    stats = routing.stats()
    assert all(abs(s.load.sum() - 1) < 1e-9 for s in stats)
    # trained with the Switch loss: no layer has collapsed onto one expert
    assert all(s.max_violation < 8 - 1 for s in stats)


def test_demo_moe_history_has_load_at_every_snapshot_and_stopped_on_validation_loss():
    history = TrainingHistory.load_npz(demo_moe_dir() / "history.npz")
    assert history.label == NAME and len(history) <= SETTINGS.steps
    snaps = history.snapshots
    assert snaps[0].step == 0 and all(s.moe_load is not None and s.moe_load.shape == (3, 8) for s in snaps)
    assert all(np.allclose(s.moe_load.sum(-1), 1.0) for s in snaps)
    steps = [s.step for s in snaps]
    assert steps == sorted(steps) and all(b - a == SETTINGS.snapshot_every for a, b in zip(steps, steps[1:-1]))
    losses = [s.val_loss for s in snaps]
    best = int(np.argmin(losses))
    # early stopping: either the run ended at the step budget, or `patience` snapshots after the best one
    assert history.steps[-1] == SETTINGS.steps or len(snaps) - 1 - best == SETTINGS.early_stop_patience
    assert losses[best] < losses[0] - 2.0  # it learned: from ln(vocab) ≈ 6.7 nats to well under 4.7
