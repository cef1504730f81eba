"""Issue 15's training and generation snags in the GUI: the training plot's empty state and best-validation mark,
keeping the model of a cancelled run, saving a model folder that loads back, and scrubbing through generation."""
from __future__ import annotations

import numpy as np
import torch

from lmscope.backend.models.checkpoint import load_model
from lmscope.backend.models.config import PRESETS
from lmscope.backend.training.history import TrainingHistory
from lmscope.backend.training.loop import TrainSettings
from lmscope.widgets.training import TrainingPanel


def test_the_plot_marks_the_best_step_and_an_empty_history_clears_it(qtbot):
    panel = TrainingPanel()
    qtbot.addWidget(panel)
    steps = np.arange(1, 801)
    panel.set_history("run", steps, 5 - np.log(steps), np.full(800, 1e-3), np.array([0, 200, 800]),
                      np.array([5.0, 2.4, 3.9]), best=(200, 2.4))
    assert panel.best_text == "best validation, step 200" and panel.best_line.value() == 200
    assert panel.best_marker.getData()[0].tolist() == [200.0] and not panel.empty_text.isVisible()
    panel.set_history("", np.array([]), np.array([]), np.array([]), np.array([]), np.array([]))
    assert panel.run_label.text() == "No training history in this session"
    assert panel.empty_text.isVisible() and panel.empty_text.textItem.toPlainText() == \
        "no training history in this session"
    assert panel.best_text == "" and len(panel.train_curve.getData()[0] or []) == 0
    (x0, x1), _ = panel.loss_plot.getPlotItem().getViewBox().viewRange()
    assert x1 < 10, (x0, x1)  # not the previous run's 0…800 axis
    assert panel.step_label.text() == "step —"


def test_a_session_without_history_says_so(demo_window, qtbot):
    panel = demo_window.bindings["training"].panel
    best = demo_window.document.history.best_snapshot()
    assert best is not None and panel.best_text == f"best validation, step {best.step}"  # the shipped demo's run
    demo_window.document.reset_history(TrainingHistory())
    assert panel.run_label.text() == "No training history in this session" and panel.empty_text.isVisible()
    assert panel.best_text == ""


def test_cancelling_keeps_the_model_trained_so_far_and_it_saves_as_a_loadable_folder(demo_window, qtbot,
                                                                                        tmp_path):
    binding = demo_window.bindings["training"]
    asked = []
    binding.ask_keep_model = lambda step, total: asked.append((step, total)) or True
    doc = demo_window.document
    with qtbot.waitSignal(doc.trainingAppended, timeout=60_000):
        demo_window.train(PRESETS["tiny"], TrainSettings(steps=100_000, batch_size=4, seq_len=16), "long")
    with qtbot.waitSignal(demo_window.runner.jobFinished, timeout=30_000) as finished:
        demo_window.cancel_button.click()
    assert finished.args[1] is False
    qtbot.waitUntil(lambda: bool(asked), timeout=10_000)
    step = doc.history.steps[-1]
    assert asked == [(step, 100_000)]
    assert doc.loaded.source == f"long (cancelled at step {step})" and not doc.loaded.model.training
    qtbot.waitUntil(lambda: not demo_window.runner.busy and doc.current_trace.trace.meta is not None, timeout=60_000)
    assert binding.save_action.isEnabled()
    with qtbot.waitSignal(demo_window.runner.jobFinished, timeout=60_000):
        assert binding.save_model(str(tmp_path / "kept"))
    assert binding.last_saved == str(tmp_path / "kept")
    assert sorted(p.name for p in (tmp_path / "kept").iterdir()) == ["config.json", "model.safetensors",
                                                                     "vocab.json"]
    assert str((tmp_path / "kept").resolve()) in demo_window.recent_models()
    again = load_model(str(tmp_path / "kept"))  # what `lmscope --model DIR` and Load model folder… call
    ids = doc.loaded.tokenizer.encode("我们一起来学习大语言模型。")
    with torch.no_grad():
        torch.testing.assert_close(again.model(torch.tensor([ids])), doc.loaded.model(torch.tensor([ids])),
                                   rtol=0, atol=0)


def test_declining_discards_the_cancelled_model(demo_window, qtbot):
    binding = demo_window.bindings["training"]
    asked = []
    binding.ask_keep_model = lambda step, total: asked.append(step) and False
    before = demo_window.document.loaded
    with qtbot.waitSignal(demo_window.document.trainingAppended, timeout=60_000):
        demo_window.train(PRESETS["tiny"], TrainSettings(steps=100_000, batch_size=4, seq_len=16), "long")
    with qtbot.waitSignal(demo_window.runner.jobFinished, timeout=30_000):
        demo_window.cancel_button.click()
    qtbot.waitUntil(lambda: bool(asked), timeout=10_000)
    assert demo_window.document.loaded is before


def test_generation_scrubs_back_through_its_steps(demo_window, qtbot):
    tools = demo_window.bindings["attention"].tools
    gen = demo_window.bindings["attention"].panel.interventions.generation
    gen.steps.setValue(6)
    with qtbot.waitSignal(demo_window.runner.jobFinished, timeout=60_000):
        assert tools.generate()
    steps = tools.steps
    assert len(steps) == 6 and gen.selected_step == 6 and gen.step_slider.isEnabled()
    vocab = demo_window.document.loaded.tokenizer.tokens
    for i in (2, 5, 1):
        gen.select_step(i)
        step = steps[i - 1]
        assert gen.cache_image.image.shape[0] == step.cache_length  # the cache as it was after step i
        assert gen.query_image.image.shape[0] == i
        assert gen.bars.opts["height"] == [float(p) for p in step.top_probs]  # step i's distribution
        assert gen.top_plot.getPlotItem().titleLabel.text == f"next token, step {i}"
        assert gen.step_label.text() == f"{i} of 6"
        assert vocab[int(step.top_ids[0])] is not None
    assert steps[1].cache_length == steps[4].cache_length - 3  # one row per step after the prompt


def test_the_keep_question_is_not_modal_and_its_button_answers(demo_window, qtbot):
    binding = demo_window.bindings["training"]
    with qtbot.waitSignal(demo_window.document.trainingAppended, timeout=60_000):
        demo_window.train(PRESETS["tiny"], TrainSettings(steps=100_000, batch_size=4, seq_len=16), "long")
    with qtbot.waitSignal(demo_window.runner.jobFinished, timeout=30_000):
        demo_window.cancel_button.click()
    qtbot.waitUntil(lambda: binding.keep_box is not None and binding.keep_box.isVisible(), timeout=10_000)
    assert not binding.keep_box.isModal()
    keep = next(b for b in binding.keep_box.buttons() if b.text() == "Keep the model")
    keep.click()
    assert demo_window.document.loaded.source.startswith("long (cancelled at step ")
