"""A prompt longer than the model's context: one sentence and the choice of which end to cut, never a crash — in
the backend (TinyGPT's demo, whose learned positions stop at 512, and a Hugging Face GPT-2 that stops at 128), on
the command line (`capture --truncate left|right`) and in the window's Run prompt."""
from __future__ import annotations

import json

import pytest

from lmscope.backend.demo import CONFIG as DEMO_CONFIG
from lmscope.backend.demo import load_demo
from lmscope.backend.jobs import ContextExceeded, PromptTooLong, TraceCaptured, capture_job, capture_prompt, fit_context
from lmscope.gui.cli import main as cli_main

CTX = 512  # the demo's context
LONG = "我们一起来学习大语言模型。The model predicts the next token. " * 24  # 1,152 characters, 512 fit


@pytest.fixture(scope="module")
def demo():
    return load_demo("cpu")


def test_fit_context_cuts_the_side_asked_for(demo):
    assert demo.model.cfg.n_ctx == DEMO_CONFIG.n_ctx == CTX
    ids = list(range(600))
    assert fit_context(ids[:CTX], demo.model.cfg) == ids[:CTX]
    assert fit_context(ids, demo.model.cfg, "left") == ids[-CTX:]
    assert fit_context(ids, demo.model.cfg, "right") == ids[:CTX]
    with pytest.raises(PromptTooLong, match=r"^The prompt has 600 tokens and this model reads at most 512\.$"):
        fit_context(ids, demo.model.cfg)


def test_over_long_prompt_is_reported_or_truncated(demo):
    ids = demo.tokenizer.encode(LONG)
    assert len(ids) > CTX
    events = list(capture_job(demo, LONG))
    exceeded = [e for e in events if isinstance(e, ContextExceeded)]
    assert len(exceeded) == 1 and not any(isinstance(e, TraceCaptured) for e in events)
    assert (exceeded[0].n_tokens, exceeded[0].limit, exceeded[0].text) == (len(ids), CTX, LONG)
    for side, kept in (("left", ids[-CTX:]), ("right", ids[:CTX])):
        trace = capture_prompt(demo, LONG, truncate=side).trace
        assert trace.tokens[0].tolist() == kept and trace.n_pos == CTX
        assert trace.meta["truncated"] == {"side": side, "dropped": len(ids) - CTX, "of": len(ids)}
        assert demo.tokenizer.encode(trace.text) == kept  # the text it read, for re-runs (masks, ablation)


def test_hugging_face_model_is_cut_too(tmp_path):
    from lmscope.backend.models.checkpoint import load_model
    from lmscope.backend.models.hf_tiny import make_tiny_checkpoint

    loaded = load_model(str(make_tiny_checkpoint(tmp_path / "gpt2", "gpt2")))  # n_positions = 128
    text = "The quick brown fox jumps over the lazy dog. " * 30
    ids = loaded.tokenizer.encode(text)
    with pytest.raises(PromptTooLong):
        capture_prompt(loaded, text)
    trace = capture_prompt(loaded, text, truncate="left").trace
    assert trace.tokens[0].tolist() == ids[-128:]


def test_command_line_refuses_in_one_sentence_or_truncates(tmp_path, capsys):
    out = tmp_path / "long.h5"
    assert cli_main(["capture", "--model", "demo", "--text", LONG, "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert "this model reads at most 512" in err and "--truncate left" in err and "Traceback" not in err
    assert len(err.splitlines()) == 1 and not out.exists()
    assert cli_main(["capture", "--model", "demo", "--text", LONG, "--truncate", "right", "--json", "-o",
                     str(out)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["tokens"] == CTX and result["truncated"] > 0
    assert cli_main(["info", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["traces"][0]["tokens"] == CTX


def test_run_prompt_asks_which_end_to_cut(demo_window, qtbot):
    window, doc = demo_window, demo_window.document
    before = len(doc.traces)
    asked = []
    window.ask_truncation = lambda event: asked.append(event) or None  # the user cancels
    job = window.run_prompt(LONG)
    with qtbot.waitSignal(job.finished, timeout=60_000):
        pass
    assert len(doc.traces) == before and asked[0].limit == CTX
    qtbot.waitUntil(lambda: "reads at most 512" in window.statusBar().currentMessage(), timeout=5_000)
    window.ask_truncation = lambda event: "left"
    window.run_prompt(LONG)
    qtbot.waitUntil(lambda: len(doc.traces) == before + 1, timeout=60_000)
    trace = doc.current_trace.trace
    assert trace.n_pos == CTX and trace.meta["truncated"]["side"] == "left"
    assert trace.tokens[0].tolist() == window.document.loaded.tokenizer.encode(LONG)[-CTX:]


def test_a_new_model_with_a_short_context_reads_the_end_of_the_default_prompt():
    """Training (or loading) a model whose context is shorter than the app's own default prompt used to fail the
    whole job at its last step; nobody typed that prompt, so its last tokens are read and the progress says so."""
    import dataclasses

    from lmscope.backend.demo import DEFAULT_PROMPT
    from lmscope.backend.jobs import JobProgress, ModelLoaded, train_job
    from lmscope.backend.models.config import PRESETS
    from lmscope.backend.training.loop import TrainSettings

    config = dataclasses.replace(PRESETS["tiny"], n_ctx=16)
    events = list(train_job(config, TrainSettings(steps=2, batch_size=2, seq_len=8), "short"))
    loaded = next(e for e in events if isinstance(e, ModelLoaded)).loaded
    trace = next(e for e in events if isinstance(e, TraceCaptured)).trace
    ids = loaded.tokenizer.encode(DEFAULT_PROMPT)
    assert len(ids) > 16 and trace.tokens[0].tolist() == ids[-16:]
    assert trace.meta["truncated"] == {"side": "left", "dropped": len(ids) - 16, "of": len(ids)}
    assert any(isinstance(e, JobProgress) and "cut to its last 16 tokens" in e.message for e in events)
