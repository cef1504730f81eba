"""The MoE router panel in the real window: a TinyGPT MoE model's capture routed through the worker and shown
with figures recomputed here from the captured tensors; selection shared with the document; a dense capture says
it has no routers; load recorded at every training snapshot, an earlier run kept to compare; the session part."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from lmscope.backend.demo import demo_corpus
from lmscope.backend.models.checkpoint import save_model
from lmscope.backend.models.config import PRESETS
from lmscope.backend.models.tinygpt import TinyGPT
from lmscope.backend.models.tokenizer import CharTokenizer
from lmscope.backend.training.loop import TrainSettings
from lmscope.widgets.moe.panel import MoeState


@pytest.fixture(scope="module")
def moe_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("moe_model")
    tokenizer = CharTokenizer.train(demo_corpus())
    torch.manual_seed(5)
    model = TinyGPT(PRESETS["moe"].replace(vocab_size=tokenizer.vocab_size)).eval()
    with torch.no_grad():
        for block in model.blocks:
            block.ffn.W_gate.weight.normal_(0, 0.5)
    save_model(folder, model, tokenizer)
    return folder


def idle(window, qtbot):
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=120_000)


@pytest.fixture
def moe_window(window, qtbot, moe_folder):
    window.open_model_folder(str(moe_folder))
    binding = window.bindings["moe"]
    qtbot.waitUntil(lambda: binding.analysis is not None, timeout=120_000)
    idle(window, qtbot)
    return window


def test_capture_is_routed_and_shown_with_the_defined_figures(moe_window):
    binding = moe_window.bindings["moe"]
    view = binding.panel.view
    trace = moe_window.document.current_trace.trace
    assert view.layers == (0, 1) and view.n_experts == 4 and view.top_k == 2 and view.n_shared == 1
    assert view.tokens[:4] == tuple(trace.token_strings[:4])
    for row, layer in enumerate(view.layers):
        logits = trace[f"blocks.{layer}.moe.hook_router_logits"][0].astype(np.float64)
        chosen = trace[f"blocks.{layer}.moe.hook_topk_indices"][0]
        p = np.exp(logits - logits.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        load = np.bincount(chosen.ravel(), minlength=4) / chosen.size
        assert view.load[row] == pytest.approx(load)
        assert view.probs[row] == pytest.approx(p, abs=1e-6)
        assert np.array_equal(binding.panel.map.image.image[row, :, :3],
                              binding.panel.map.colors[chosen[:, 0]][:, :3])
        assert binding.panel.table.item(row, 0).text() == str(layer)
    assert moe_window.docks["dock.moe"].panel is binding.panel
    assert moe_window.session_parts["moe"] is binding


def test_selection_is_shared_with_the_document(moe_window, qtbot):
    binding, doc = moe_window.bindings["moe"], moe_window.document
    binding.panel.select_row(1)
    assert doc.selection.layer == 1
    binding.panel.tokenSelected.emit(3)
    assert doc.selection.position == 3
    doc.set_selection(layer=0, position=5)
    assert binding.panel.row == 0 and binding.panel.map.token_line.value() == pytest.approx(5.5)


def test_dense_capture_has_no_routers(moe_window, qtbot, tmp_path):
    folder = tmp_path / "dense"
    tokenizer = CharTokenizer.train(demo_corpus())
    save_model(folder, TinyGPT(PRESETS["tiny"].replace(vocab_size=tokenizer.vocab_size)), tokenizer)
    binding = moe_window.bindings["moe"]
    moe_window.open_model_folder(str(folder))
    qtbot.waitUntil(lambda: binding.panel.view is None, timeout=120_000)
    assert "no router tensors" in binding.panel.source_label.text()


def train(window, qtbot, config, settings, label):
    job = window.train(config, settings, label)
    with qtbot.waitSignal(job.finished, timeout=120_000) as done:
        pass
    assert done.args == [True]
    idle(window, qtbot)


def test_training_records_load_and_keeps_the_run_to_compare(window, qtbot):
    binding = window.bindings["moe"]
    settings = TrainSettings(steps=6, batch_size=4, seq_len=32, snapshot_every=3, device="cpu")
    config = PRESETS["moe"].replace(noisy_gating=False)
    train(window, qtbot, config, settings, "plain")
    current = binding.panel.training.current.timeline
    assert current is not None and current.steps.tolist() == [0, 3, 6]
    assert current.load.shape == (3, 2, 4) and current.load.sum(-1) == pytest.approx(np.ones((3, 2)))
    assert current.bias is None
    train(window, qtbot, config.replace(bias_update_rate=0.01, aux_loss_coef=0.0), settings, "plain")
    timeline = binding.panel.training.current.timeline
    assert timeline.bias is not None and np.abs(timeline.bias[-1]).max() > 0
    assert np.abs(timeline.bias[-1]).max() <= 6 * 0.01 + 1e-9  # at most ±γ per step
    assert [run.label for run in binding.runs] == ["plain"]
    binding.panel.training.compare_box.setCurrentIndex(1)
    assert binding.state().compare_run == "plain" and not binding.panel.training.other.isHidden()
    # the state survives a round trip through the session tree and is applied back
    state = MoeState.from_tree(binding.state().to_tree())
    binding.panel.training.compare_box.setCurrentIndex(0)
    binding.apply_state(state)
    assert binding.panel.training.compared() == "plain"


def test_train_dialog_sets_the_moe_training_options(qtbot):
    from lmscope.gui.dialogs import TrainDialog

    dialog = TrainDialog()
    qtbot.addWidget(dialog)
    dialog.preset.setCurrentText("moe")
    assert dialog.fields["aux_loss_coef"].value() == pytest.approx(0.01)
    dialog.fields["aux_loss_coef"].setValue(0.0)
    dialog.fields["z_loss_coef"].setValue(0.002)
    dialog.fields["bias_update_rate"].setValue(0.003)
    dialog.fields["capacity_factor"].setValue(1.5)
    dialog.fields["n_shared"].setValue(2)
    dialog.fields["noisy_gating"].setChecked(False)
    dialog.accept()
    cfg = dialog.config
    assert (cfg.ffn, cfg.aux_loss_coef, cfg.z_loss_coef, cfg.bias_update_rate, cfg.capacity_factor, cfg.n_shared,
            cfg.noisy_gating, cfg.moe_mode) == ("moe", 0.0, 0.002, 0.003, 1.5, 2, False, "topk")
    again = TrainDialog()
    qtbot.addWidget(again)
    again.preset.setCurrentText("moe")
    again.fields["n_experts"].setValue(2)
    again.fields["top_k"].setValue(3)
    again.accept()
    assert again.config is None and "top_k (3)" in again.error.text()


def test_damaged_router_tensors_are_a_notice_not_an_error_dialog(moe_window, qtbot):
    from lmscope.backend.jobs import TraceCaptured

    entry = moe_window.document.current_trace
    tensors = dict(entry.trace.tensors)
    tensors["blocks.1.moe.hook_topk_indices"] = np.full_like(tensors["blocks.1.moe.hook_topk_indices"], 99)
    bad = type(entry.trace)(tokens=entry.trace.tokens, token_strings=entry.trace.token_strings, tensors=tensors,
                            model_config=entry.trace.model_config, label="damaged")
    binding = moe_window.bindings["moe"]
    moe_window.document.apply_events([TraceCaptured(bad, {})])
    qtbot.waitUntil(lambda: binding.panel.view is None, timeout=60_000)
    notice = moe_window.docks["dock.moe"].notice
    assert not notice.isHidden() and "outside 0…3" in notice.text()
    assert moe_window.error_dialog is None


def test_built_in_demo_moe_opens_with_routing_and_load_over_training(window, qtbot):
    window._fill_model_menus()
    names = [a.text() for a in window.builtin_menu.actions()]
    assert any(n.startswith("demo-moe") for n in names)
    binding = window.bindings["moe"]
    window.open_model_folder("demo-moe")
    qtbot.waitUntil(lambda: binding.analysis is not None, timeout=120_000)
    idle(window, qtbot)
    assert binding.panel.view.layers == (0, 1, 2) and binding.panel.view.n_experts == 8
    timeline = binding.panel.training.current.timeline
    assert timeline is not None and timeline.label == "demo-moe" and timeline.load.shape[1:] == (3, 8)


def test_soft_moe_capture_shows_dispatch_and_combine(window, qtbot, tmp_path):
    tokenizer = CharTokenizer.train(demo_corpus())
    cfg = PRESETS["moe"].replace(vocab_size=tokenizer.vocab_size, moe_mode="soft", soft_slots=2)
    torch.manual_seed(0)
    save_model(tmp_path / "soft", TinyGPT(cfg), tokenizer)
    binding = window.bindings["moe"]
    window.open_model_folder(str(tmp_path / "soft"))
    qtbot.waitUntil(lambda: binding.panel.soft is not None, timeout=120_000)
    trace = window.document.current_trace.trace
    soft = binding.panel.soft
    assert soft.layers == (0, 1) and soft.n_experts == 4 and soft.slots_per_expert == 2
    assert np.array_equal(soft.dispatch[1], trace["blocks.1.moe.hook_dispatch"][0])
    assert "Soft MoE" in binding.panel.source_label.text()
    window.document.set_selection(layer=1)
    assert binding.panel.row == 1 and "layer 1" in binding.panel.soft_view.note.text()


def test_panel_state_survives_a_session(moe_window, qtbot, tmp_path, make_window):
    binding = moe_window.bindings["moe"]
    binding.panel.select_row(1)
    binding.panel.heatmap_box.setCurrentText("importance")
    binding.panel.marks_box.setChecked(False)
    binding.panel.tabs.setCurrentIndex(1)
    saved = binding.state()
    path = tmp_path / "moe.h5"
    idle(moe_window, qtbot)
    job = moe_window.save_session(path)
    with qtbot.waitSignal(job.finished, timeout=60_000):
        pass
    again = make_window("again")
    again.open_session(path)
    other = again.bindings["moe"]
    qtbot.waitUntil(lambda: other.analysis is not None, timeout=60_000)
    idle(again, qtbot)
    assert other.state() == saved
    assert other.panel.view.layers == (0, 1) and other.panel.row == 1
