"""Real models in the window: a Hugging Face folder loads through the menu's code path, every panel shows its real
tensors, sessions keep where it came from without its weights, and Attach re-enables re-running."""
from __future__ import annotations

import h5py
import numpy as np
import pytest

from lmscope.backend.attention.heads import stage_matrix
from lmscope.backend.models.hf_tiny import make_tiny_checkpoint


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("hf")
    return {family: make_tiny_checkpoint(root / family, family) for family in ("gpt2", "bert")}


def run(qtbot, job, timeout=120_000):
    """Wait for this job (not whichever job a panel started meanwhile) and check it completed."""
    with qtbot.waitSignal(job.finished, timeout=timeout) as done:
        pass
    assert done.args == [True], job


def load(window, qtbot, folder):
    run(qtbot, window.open_model_folder(str(folder)))
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=60_000)


def test_gpt2_folder_shows_its_attention_and_saves_without_weights(window, make_window, qtbot, folders, tmp_path):
    load(window, qtbot, folders["gpt2"])
    loaded = window.document.loaded
    assert loaded.kind == "hf" and "GPT2LMHeadModel" in window.model_label.text()
    assert "float32" in window.model_label.text()
    trace = window.document.current_trace.trace
    window.document.set_selection(layer=1, head=1)
    heat = window.bindings["attention"].panel.inspector.heatmap
    qtbot.waitUntil(lambda: heat.image.image is not None, timeout=10_000)
    expected = stage_matrix(trace, 1, 1, "pattern")
    assert np.allclose(heat.image.image[: expected.shape[0], : expected.shape[1]], expected)
    assert np.all(np.triu(expected, 1) == 0)  # a decoder: causal
    assert str(folders["gpt2"].resolve()) in window.recent_models()

    path = tmp_path / "gpt2.h5"
    run(qtbot, window.save_session(path))
    with h5py.File(path, "r") as f:
        assert "weights" not in f.get("model", {})
    other = make_window("other")
    run(qtbot, other.open_session(path))
    assert other.document.loaded is None and not other.run_action.isEnabled()
    assert "Attach model" in other.model_label.text()
    assert other.session_model_folder() == str(folders["gpt2"])
    run(qtbot, other.attach_model(str(folders["gpt2"])))
    assert other.document.loaded.kind == "hf" and other.run_action.isEnabled()


def test_bert_attends_both_ways(window, qtbot, folders):
    load(window, qtbot, folders["bert"])
    trace = window.document.current_trace.trace
    assert trace.token_strings[0] == "[CLS]" and trace.token_strings[-1] == "[SEP]"
    pattern = stage_matrix(trace, 0, 0, "pattern")
    assert np.triu(pattern, 1).sum() > 0.1  # an encoder sees the tokens after it


def test_a_folder_that_is_not_a_model_is_one_sentence(window, qtbot, tmp_path):
    (tmp_path / "config.json").write_text('{"model_type": "gpt_neo", "architectures": ["GPTNeoForCausalLM"]}')
    with qtbot.waitSignal(window.runner.jobFailed, timeout=60_000) as failed:
        window.open_model_folder(str(tmp_path))
    assert failed.args[0].details == "" and "not supported" in failed.args[0].message
    assert window.document.loaded is None


def test_builtin_models_menu_lists_the_builtins(window):
    window._fill_model_menus()
    texts = [a.text() for a in window.builtin_menu.actions()]
    assert any(t.startswith("demo —") for t in texts) and any(t.startswith("minilm —") for t in texts)


def test_tokenizer_explorer_shows_the_models_own_tokens(window, qtbot, folders):
    from lmscope.backend.tokenize.spans import model_description, model_spans

    load(window, qtbot, folders["bert"])
    tokenizer = window.document.loaded.tokenizer
    spans = model_spans(tokenizer, "the model predicts")
    assert [s.token_id for s in spans] == tokenizer.encode("the model predicts")
    assert spans[0].token == "[CLS]" and spans[0].start == spans[0].end  # added, covers no text
    assert "special token" in spans[0].tooltip
    words = [("the model predicts")[s.start:s.end] for s in spans if s.end > s.start]
    assert "".join(words).replace("##", "") == "themodelpredicts"
    assert model_description(tokenizer) == "WordPiece"


def test_tinygpt_only_tools_say_why_on_a_real_model(window, qtbot, folders):
    load(window, qtbot, folders["gpt2"])
    tools = window.bindings["attention"].tools
    assert tools.ensure_debugger() is None
    assert "TinyGPT's own forward pass" in window.statusBar().currentMessage()
    from lmscope.backend.attention.generate import GenerateSettings
    from lmscope.backend.attention.jobs import generate_job

    with pytest.raises(Exception, match="not available for GPT2LMHeadModel"):
        list(generate_job(window.document.loaded, [1, 2, 3], GenerateSettings()))
    load(window, qtbot, folders["bert"])
    with pytest.raises(Exception, match="needs a decoder"):
        list(generate_job(window.document.loaded, [1, 2, 3], GenerateSettings()))
