"""Session files and the tokenizer, FlashAttention, notes and training panels in the real window: format-1 trees
written by the code before panel states restore exactly (and are written back unchanged), and a hostile part is
refused in its own panel's notice line while the others restore and the refused panel stays usable."""
from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

from lmscope.backend.flashsim import make_config
from lmscope.backend.tokenize.bpe import parse_word_counts, train_bpe
from lmscope.sessions import Session, open_session, save_session
from lmscope.sessions.hdf5 import read_tree, write_tree
from lmscope.widgets.flashsim.state import FlashSimState
from lmscope.widgets.notes import NotesState
from lmscope.widgets.tokenizer.state import TokenizerState

GOLDEN = Path(__file__).parents[1] / "data" / "session_v1.h5"

# What the format-1 bindings (commit cf7fcd3, before panel states) wrote for a learner's session: jieba with two user
# words and POS tags, BPE on Sennrich's toy corpus (its merge table, tests/backend/test_bpe.py) replayed to step 7,
# FlashAttention FA2 with fp16 and Br = 2 at step 17. Captured by running that code; int64 arrays are marked.
TOY = "low:5, lower:2, newest:6, widest:3"
FORMAT_1_TOKENIZER = {
    "text": "我们一起来学习大语言模型", "follow_capture": False, "tab": 1,
    "jieba": {"mode": "precise", "hmm": True, "pos": True, "user_words": ["大语言模型", "一起来"],
              "user_freqs": np.array([50, 0], dtype=np.int64), "user_tags": ["nz", ""]},
    "bpe": {"source": "words", "words": TOY, "path": "", "merges_asked": 12, "trained_source": "words",
            "trained_words": TOY, "trained_path": "", "requested": 12, "step": 7,
            "merge_left": ["e", "es", "est", "l", "lo", "n", "ne", "new", "low", "w", "wi", "wid"],
            "merge_right": ["s", "t", "</w>", "o", "w", "e", "w", "est</w>", "</w>", "i", "d", "est</w>"],
            "merge_counts": np.array([9, 9, 9, 7, 7, 6, 6, 6, 5, 3, 3, 3], dtype=np.int64),
            "corpus_words": ["low", "lower", "newest", "widest"],
            "corpus_counts": np.array([5, 2, 6, 3], dtype=np.int64)},
}
FORMAT_1_FLASHSIM = {"algo": "fa2", "n": 64, "d": 16, "sram_bytes": 512, "dtype": "fp16", "br": 2, "bc": 0,
                     "causal": True, "seed": 5, "source": "random", "layer": 0, "head": 0, "step": 17}


def assert_same_tree(ours, theirs, where="") -> None:
    """Same keys, same values and the same kinds of value (str, bool, int, list of str, int64 array)."""
    assert isinstance(ours, dict) and list(ours) == list(theirs), where
    for key, value in theirs.items():
        mine = ours[key]
        if isinstance(value, dict):
            assert_same_tree(mine, value, f"{where}/{key}")
        elif isinstance(value, np.ndarray):
            assert isinstance(mine, np.ndarray) and mine.dtype == value.dtype, f"{where}/{key}"
            np.testing.assert_array_equal(mine, value)
        else:
            assert type(mine) is type(value) and mine == value, f"{where}/{key}"


def through_hdf5(tree, tmp_path):
    with h5py.File(tmp_path / "part.h5", "w") as f:
        write_tree(f.create_group("part"), tree)
    with h5py.File(tmp_path / "part.h5", "r") as f:
        return read_tree(f["part"])


@pytest.mark.parametrize("cls, tree", [(TokenizerState, FORMAT_1_TOKENIZER), (FlashSimState, FORMAT_1_FLASHSIM)])
def test_format_1_trees_read_and_write_back_unchanged(cls, tree, tmp_path):
    state = cls.from_tree(through_hdf5(tree, tmp_path))
    assert_same_tree(state.to_tree(), tree)
    assert cls.from_tree(through_hdf5(state.to_tree(), tmp_path)) == state


def test_format_1_values_land_in_the_right_fields():
    state = TokenizerState.from_tree(FORMAT_1_TOKENIZER)
    assert (state.text, state.tab, state.jieba.pos, state.bpe.step) == ("我们一起来学习大语言模型", 1, True, 7)
    assert list(zip(state.jieba.user_words, state.jieba.user_freqs, state.jieba.user_tags)) == [
        ("大语言模型", 50, "nz"), ("一起来", 0, "")]
    assert state.bpe.merge_left[2] + state.bpe.merge_right[2] == "est</w>"
    flash = FlashSimState.from_tree(FORMAT_1_FLASHSIM)
    assert (flash.algo, flash.dtype, flash.br, flash.causal, flash.source_key) == ("fa2", "fp16", 2, True, "random")
    assert FlashSimState(source="head", layer=1, head=2).source_key == "head:1:2"
    assert FlashSimState().with_source_key("head:3:0") == FlashSimState(source="head", layer=3, head=0)


def test_missing_keys_take_what_format_1_restored_without_them():
    state = TokenizerState.from_tree({"jieba": {}, "bpe": {}})
    assert state == TokenizerState() and not state.follow_capture and state.bpe.merges_asked == 200
    assert FlashSimState.from_tree({}) == FlashSimState(algo="fa1", n=64, d=16, sram_bytes=1024, dtype="fp32")


def session_with(tmp_path, **panels) -> Path:
    """A format-1 session file holding only these panel trees (name -> tree), written by the session writer."""
    path = tmp_path / "panels.h5"
    save_session(Session(panels=panels), path)
    return path


def open_in(window, qtbot, path) -> None:
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=60_000)
    with qtbot.waitSignal(window.runner.jobFinished, timeout=60_000):
        assert window.open_session(path)
    # The tokenizer reloads jieba and retrains BPE in the worker after a restore.
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=60_000)


def notice(window, name) -> str:
    return window.docks[f"dock.{name}"].notice.text()


def test_the_golden_file_holds_no_state_for_these_panels():
    # The golden v1 file was written before these panels saved anything, so opening it leaves them as they are.
    session = open_session(GOLDEN)
    try:
        assert set(session.panels) == {"histograms"}
    finally:
        session.close()


def test_format_1_panel_trees_restore_exactly(window, qtbot, tmp_path):
    open_in(window, qtbot, session_with(tmp_path, tokenizer=FORMAT_1_TOKENIZER, flashsim=FORMAT_1_FLASHSIM))
    tokenizer, flashsim = window.bindings["tokenizer"], window.bindings["flashsim"]
    panel = tokenizer.panel
    assert panel.text == "我们一起来学习大语言模型" and panel.current_tab == "bpe" and tokenizer.jieba.ready
    words = [span.label for span in panel.jieba.words_view.rows[0].spans]
    assert words == ["我们", "一", "起来", "学习", "大语言模型"]  # 大语言模型 added; 一起来 (freq 0) never picked
    assert panel.jieba.words_view.rows[0].spans[-1].note == "nz" and panel.jieba.pos
    assert tokenizer.bpe.model.merges == train_bpe(parse_word_counts(TOY), 12).merges
    assert tokenizer.bpe.step == panel.bpe.step_value == 7 and panel.status_label.text() == ""
    assert flashsim.run.config == make_config(64, 16, 256, br=2, causal=True, algo="fa2")
    assert flashsim.run.position == 17 and flashsim.panel.step_label.text() == f"step 17 / {flashsim.run.total}"
    assert_same_tree(tokenizer.state().to_tree(), FORMAT_1_TOKENIZER)
    assert_same_tree(flashsim.state().to_tree(), FORMAT_1_FLASHSIM)
    assert notice(window, "tokenizer") == notice(window, "flashsim") == ""


def test_hostile_parts_are_refused_in_their_own_panel(window, qtbot, tmp_path, monkeypatch):
    import lmscope.gui.panels.flashsim as binding_module

    made: list[tuple] = []
    real_random_qkv = binding_module.random_qkv
    monkeypatch.setattr(binding_module, "random_qkv", lambda *args: made.append(args) or real_random_qkv(*args))
    flashsim, tokenizer = window.bindings["flashsim"], window.bindings["tokenizer"]
    run = flashsim.run
    hostile_jieba = {**FORMAT_1_TOKENIZER["jieba"], "user_tags": ["nz"]}  # two words, one tag
    path = session_with(tmp_path, flashsim={**FORMAT_1_FLASHSIM, "n": 1e8},
                       tokenizer={**FORMAT_1_TOKENIZER, "jieba": hostile_jieba},
                       notes={"preview": True}, training={"log_loss": True})
    open_in(window, qtbot, path)
    for name, words in (("flashsim", "n is 1e+08"), ("tokenizer", "lists of different lengths")):
        text = notice(window, name)
        assert text.startswith("This panel's part of the session was not restored: The saved ") and words in text
        assert "\n" not in text and text.endswith(".")
    assert not made and flashsim.run is run  # refused before any input was made
    assert window.bindings["notes"].panel.tabs.currentIndex() == 1  # the other parts restored
    assert window.bindings["training"].state().log_loss
    flashsim.panel.n_spin.setValue(32)  # and the refused panels still work
    assert flashsim.run.config.n == 32 and made == [(32, 16, 0)]
    tokenizer.apply_state(TokenizerState(text="低语言模型"))
    qtbot.waitUntil(lambda: tokenizer.jieba.ready and not window.runner.busy, timeout=60_000)
    assert [span.label for span in tokenizer.panel.jieba.words_view.rows[0].spans] == ["低", "语言", "模型"]


def test_a_setting_over_the_tile_limit_never_makes_its_inputs(window, monkeypatch):
    import lmscope.gui.panels.flashsim as binding_module

    monkeypatch.setattr(binding_module, "random_qkv", lambda *args: pytest.fail("inputs made for a refused run"))
    flashsim = window.bindings["flashsim"]
    run = flashsim.run
    flashsim.apply_state(FlashSimState(n=1024, br=1, bc=1))  # within every field's limits: 1,048,576 tiles
    assert "1,048,576 tiles" in flashsim.panel.message and flashsim.run is run


def test_states_survive_a_save_and_reopen(window, qtbot, tmp_path, make_window):
    flashsim = window.bindings["flashsim"]
    flashsim.apply_state(FlashSimState.from_tree(FORMAT_1_FLASHSIM))
    window.bindings["notes"].apply_state(NotesState(preview=True))
    window.bindings["training"].panel.log_loss.setChecked(True)
    saved = tmp_path / "again.h5"
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=60_000)
    with qtbot.waitSignal(window.runner.jobFinished, timeout=60_000):
        assert window.save_session(saved)
    other = make_window("other")
    open_in(other, qtbot, saved)
    assert other.bindings["flashsim"].state() == FlashSimState.from_tree(FORMAT_1_FLASHSIM)
    assert other.bindings["notes"].state().preview and other.bindings["training"].state().log_loss
    assert isinstance(other.bindings["tokenizer"].state(), TokenizerState)
