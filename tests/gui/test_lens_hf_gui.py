"""The Prediction dock on a Hugging Face folder (a tiny seeded GPT-2): the lens grid shows the top tokens of
transformers' own forward pass, attribution and patching run, both are saved with the session and shown again when
it is reopened (in a window without the model), hostile saved results are one sentence in the panel's notice, and an
encoder is refused there in one sentence."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from transformers import AutoModelForCausalLM

from lmscope.backend.models.hf_tiny import make_tiny_checkpoint
from lmscope.sessions import Session, save_session
from lmscope.widgets.attention.heatmap import display_token
from lmscope.widgets.lens.state import LensState

PROMPT = "The quick fox"


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("hf-lens")
    return {family: make_tiny_checkpoint(root / family, family, seed=2) for family in ("gpt2", "bert")}


def run(qtbot, job, timeout=120_000) -> None:
    with qtbot.waitSignal(job.finished, timeout=timeout) as done:
        pass
    assert done.args == [True], job


def idle(qtbot, window) -> None:
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=120_000)


def notice(window) -> str:
    return window.docks["dock.lens"].notice.text()


def test_the_lens_grid_shows_a_gpt2_folders_top_tokens(window, qtbot, folders):
    run(qtbot, window.open_model_folder(str(folders["gpt2"])))
    idle(qtbot, window)
    binding = window.bindings["lens"]
    binding.apply_state(LensState(prompt=PROMPT, top_k=3))
    loaded = window.document.loaded
    ids = loaded.tokenizer.encode(PROMPT)
    grid = binding.panel.grid
    qtbot.waitUntil(lambda: grid.grid_model.columnCount() == len(ids) and grid.grid_model.rowCount() == 3,
                    timeout=120_000)
    idle(qtbot, window)
    peer = AutoModelForCausalLM.from_pretrained(folders["gpt2"], attn_implementation="eager").eval()
    with torch.no_grad():
        top = peer(torch.tensor([ids])).logits[0].argmax(-1).tolist()
    assert [grid.cell_text(2, col) for col in range(len(ids))] == [display_token(loaded.tokenizer.tokens[i])
                                                                  for i in top]
    assert notice(window) == ""


def test_attribution_and_patching_are_saved_with_the_session(window, make_window, qtbot, folders, tmp_path):
    run(qtbot, window.open_model_folder(str(folders["gpt2"])))
    idle(qtbot, window)
    binding = window.bindings["lens"]
    panel = binding.panel
    tokenizer = window.document.loaded.tokenizer
    ids = tokenizer.encode(PROMPT)
    tokens = tokenizer.token_strings(ids)
    # A corrupted prompt that differs in the last token only, and the two tokens it moves furthest apart.
    corrupt = next(text for text in (PROMPT[:-1] + c for c in "xgrtnw")
                   if len(other := tokenizer.encode(text)) == len(ids) and other[:-1] == ids[:-1]
                   and other[-1] != ids[-1])
    peer = AutoModelForCausalLM.from_pretrained(folders["gpt2"], attn_implementation="eager").eval()
    with torch.no_grad():
        shift = peer(torch.tensor([ids])).logits[0, -1] - peer(torch.tensor([tokenizer.encode(corrupt)])).logits[0, -1]
    binding.apply_state(LensState(prompt=PROMPT, target=f"#{int(shift.argmax())}", distractor=f"#{int(shift.argmin())}",
                                  corrupt=corrupt, sort_column=3, sort_descending=True))
    idle(qtbot, window)
    panel.run_attribution.click()
    qtbot.waitUntil(lambda: panel.attribution.items.rowCount() > 0, timeout=120_000)
    idle(qtbot, window)
    labels = panel.attribution.row_labels()
    assert len(labels) == 2 + 2 * (4 + 1 + 1)  # embeddings; per layer 4 heads, attention bias, MLP
    row = next(r for r, label in enumerate(labels) if label == "L1 H2")
    panel.attribution.click_row(row)
    assert (window.document.selection.layer, window.document.selection.head) == (1, 2)
    panel.run_patching.click()
    qtbot.waitUntil(lambda: "(patching…)" not in panel.patching.note.text()
                    and panel.patching.prompts.rowCount() == len(tokens), timeout=120_000)
    idle(qtbot, window)
    resid = panel.patching.maps["resid_pre"].values.copy()
    heads = panel.patching.maps["heads"].values.copy()
    assert resid.shape == (2, len(tokens)) and heads.shape == (2, 4)
    assert abs(resid[0, len(tokens) - 1] - 1) < 1e-3  # the prompts differ only in the last token
    saved_note = panel.attribution.note.text()
    direct = panel.attribution.data_.direct.copy()

    path = tmp_path / "lens.h5"
    run(qtbot, window.save_session(path))
    other = make_window("other")
    run(qtbot, other.open_session(path))
    idle(qtbot, other)
    theirs = other.bindings["lens"].panel
    assert other.document.loaded is None and notice(other) == ""
    assert theirs.attribution.row_labels() == labels and theirs.attribution.note.text() == saved_note
    np.testing.assert_array_equal(theirs.attribution.data_.direct, direct)
    for mine, restored in ((panel.attribution.data_, theirs.attribution.data_),):
        np.testing.assert_array_equal(np.isnan(mine.zero_ablation), np.isnan(restored.zero_ablation))
        np.testing.assert_allclose(restored.mean_ablation, mine.mean_ablation)
    np.testing.assert_allclose(theirs.patching.maps["resid_pre"].values, resid)
    np.testing.assert_allclose(theirs.patching.maps["heads"].values, heads)
    assert theirs.patching.prompts.rowCount() == len(tokens) and "(patching…)" not in theirs.patching.note.text()
    # A click on a restored head row still opens it in the inspector.
    theirs.attribution.click_row(next(r for r, label in enumerate(theirs.attribution.row_labels())
                                      if label == "L0 H3"))
    assert (other.document.selection.layer, other.document.selection.head) == (0, 3)


def test_hostile_saved_results_are_one_sentence_in_the_panel(window, qtbot, tmp_path):
    good = LensState(prompt="abc").to_tree()
    patching = {"clean_tokens": ["a", "b"], "corrupt_tokens": ["a", "c"],
                "resid_pre": np.zeros((2, 2), np.float32), "attn_out": np.zeros((2, 3), np.float32),
                "mlp_out": np.zeros((2, 2), np.float32), "heads": np.zeros((2, 4), np.float32)}
    attribution = {"labels": ["L0 H0"], "kinds": ["rm -rf"], "layers": np.array([0]), "indices": np.array([0]),
                   "ablatable": np.array([1]), "values": np.zeros((1, 3))}
    cases = [({**good, "patching": patching}, "does not fit together"),
             ({**good, "attribution": attribution}, "of kind 'rm -rf'"),
             ({**good, "attribution": {**attribution, "kinds": ["head"], "values": np.full((1, 3), np.inf)}},
              "not finite")]
    for index, (tree, words) in enumerate(cases):
        path = tmp_path / f"hostile-{index}.h5"
        save_session(Session(panels={"lens": tree}), path)
        idle(qtbot, window)
        with qtbot.waitSignal(window.runner.jobFinished, timeout=60_000):
            assert window.open_session(path)
        text = notice(window)
        assert text.startswith("This panel's part of the session was not restored: The saved ") and words in text
        assert "\n" not in text and text.endswith(".")


def test_an_encoder_is_refused_in_one_sentence(window, qtbot, folders):
    run(qtbot, window.open_model_folder(str(folders["bert"])))
    idle(qtbot, window)
    text = notice(window)
    assert "encoder" in text and "\n" not in text and text.endswith(".")
    assert window.bindings["lens"].lm is None
