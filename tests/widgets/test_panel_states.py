"""The tokenizer, FlashAttention, notes and training panel states: they round-trip through HDF5 and through the
widgets, and a hostile tree is refused with one sentence before anything is allocated. (That they write exactly what
session format 1 stored is checked in tests/gui/test_panel_sessions.py.)"""
from __future__ import annotations

import tracemalloc

import h5py
import numpy as np
import pytest

from lmscope.sessions.hdf5 import read_tree, write_tree
from lmscope.widgets.flashsim.panel import FlashSimPanel
from lmscope.widgets.flashsim.state import FlashSimState
from lmscope.widgets.notes import NotesPanel, NotesState
from lmscope.widgets.state import StateError
from lmscope.widgets.tokenizer.panel import TokenizerPanel
from lmscope.widgets.tokenizer.state import BpeState, JiebaState, TokenizerState
from lmscope.widgets.training import TrainingPanel, TrainingState

TOY = "low:5, lower:2, newest:6, widest:3"


def through_hdf5(tree, tmp_path):
    with h5py.File(tmp_path / "part.h5", "w") as f:
        write_tree(f.create_group("part"), tree)
    with h5py.File(tmp_path / "part.h5", "r") as f:
        return read_tree(f["part"])


def test_states_round_trip_through_hdf5(tmp_path):
    states = [
        TokenizerState(text="低 lower", follow_capture=True, tab=3,
                       jieba=JiebaState(mode="search", hmm=False, user_words=("大语言模型",), user_freqs=(50,),
                                        user_tags=("nz",)),
                       bpe=BpeState(source="file", path="/tmp/语料.txt", merges_asked=3, trained_source="words",
                                    trained_words="ab:2", requested=3, step=1, merge_left=("a",),
                                    merge_right=("b",), merge_counts=(2,), corpus_words=("ab",),
                                    corpus_counts=(2,))),
        FlashSimState(algo="fa2", n=1024, d=512, sram_bytes=64 * 1024 * 1024, dtype="fp64", br=1024, bc=3,
                      causal=True, seed=2**31 - 1, source="head", layer=3, head=7, step=65_536),
        NotesState(preview=True), TrainingState(log_loss=True),
    ]
    for state in states:
        assert type(state).from_tree(through_hdf5(state.to_tree(), tmp_path)) == state
    flash = states[1]
    assert flash.source_key == "head:3:7" and flash.with_source_key("random") == flash.replace(
        source="random", layer=0, head=0)
    with pytest.raises(StateError):
        flash.with_source_key("layer 3")


HOSTILE_TOKENIZER = [
    {"text": "字" * 2001},
    {"tab": 4},
    {"tab": 1.5},
    {"follow_capture": "yes"},
    {"jieba": "precise"},
    {"jieba": {"mode": "fast"}},
    {"jieba": {"user_words": ["大", "模型"], "user_freqs": np.array([1]), "user_tags": ["", ""]}},
    {"jieba": {"user_words": ["大"], "user_freqs": np.array([-1]), "user_tags": [""]}},
    {"jieba": {"user_words": ["长" * 300], "user_freqs": np.array([1]), "user_tags": [""]}},
    {"jieba": {"user_words": ["词"] * 200_001}},
    {"bpe": {"merges_asked": 10**9}},
    {"bpe": {"source": "url"}},
    {"bpe": {"path": b"\xff\xfe"}},
    {"bpe": {"merge_left": ["l"], "merge_right": ["o"], "merge_counts": np.array([7])}},
    {"bpe": {"corpus_words": ["low"], "corpus_counts": np.array([0])}},
    {"bpe": {"corpus_words": ["w"] * 500_001, "corpus_counts": np.ones(500_001, dtype=np.int64)}},
    {"bpe": {"merge_counts": np.zeros((2, 2), dtype=np.int64)}},
    {"bpe": {"step": float("nan")}},
    [],
]
HOSTILE_FLASHSIM = [{"n": 1e8}, {"n": 20_000}, {"d": 0}, {"sram_bytes": 2**40}, {"br": -1}, {"bc": 5000},
                    {"algo": "fa3"}, {"dtype": "bf16"}, {"source": "file"}, {"step": 10**9}, {"n": float("nan")},
                    {"n": True}, {"causal": 2}, {"seed": 2**31}, {"layer": 1.5}, "n=64"]


@pytest.mark.parametrize("cls, tree", [(TokenizerState, t) for t in HOSTILE_TOKENIZER]
                         + [(FlashSimState, t) for t in HOSTILE_FLASHSIM]
                         + [(NotesState, {"preview": "no"}), (TrainingState, {"log_loss": 3})])
def test_a_hostile_tree_is_one_sentence_and_allocates_nothing(cls, tree):
    tracemalloc.start()
    try:
        with pytest.raises(StateError) as refused:
            cls.from_tree(tree)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    message = str(refused.value)
    assert message.startswith("The saved ") and message.endswith(".") and "\n" not in message
    assert len(message) < 200 and "Traceback" not in message
    assert peak < 1_000_000  # a message, not a run: N = 10⁸ would be gigabytes


def test_the_tokenizer_panel_shows_and_gives_back_its_state(qtbot):
    panel = TokenizerPanel()
    qtbot.addWidget(panel)
    state = TokenizerState(text="我们一起来学习大语言模型", tab=1, jieba=JiebaState(
        pos=True, user_words=("大语言模型", "一起来"), user_freqs=(50, 0), user_tags=("nz", "")),
        bpe=BpeState(source="words", words=TOY, merges_asked=12, requested=12, step=7))
    with qtbot.assertNotEmitted(panel.textChanged), qtbot.assertNotEmitted(panel.jieba.optionsChanged):
        panel.set_state(state)
    shown = panel.state()
    assert (shown.text, shown.tab, panel.current_tab) == (state.text, 1, "bpe")
    assert shown.jieba == state.jieba  # options and the user words listed
    assert shown.bpe == BpeState(source="words", words=TOY, merges_asked=12)  # the form; the rest is the binding's
    panel.set_state(state.replace(jieba=JiebaState(mode="full", pos=True)))
    assert panel.state().jieba.pos and not panel.jieba.pos  # ticked, but POS tags need precise mode


def test_the_flashsim_panel_state_keeps_the_step_it_shows(qtbot):
    panel = FlashSimPanel()
    qtbot.addWidget(panel)
    state = FlashSimState(algo="fa2", sram_bytes=512, dtype="fp16", br=2, causal=True, seed=5, step=17)
    panel.set_state(state)
    assert panel.state() == state.replace(step=0)  # no frame drawn yet
    assert panel.n_spin.maximum() == 1024 and panel.d_spin.maximum() == 512  # the state's own limits


def test_notes_and_training_panels_keep_their_view(qtbot):
    notes, training = NotesPanel(), TrainingPanel()
    qtbot.addWidget(notes)
    qtbot.addWidget(training)
    notes.set_notes("# Heads\n**2.3** copies")
    notes.set_state(NotesState(preview=True))
    assert notes.tabs.currentIndex() == 1 and "Heads" in notes.preview.toPlainText()
    assert notes.state() == NotesState(preview=True) == NotesState.from_tree(notes.state().to_tree())
    training.set_state(TrainingState(log_loss=True))
    assert training.loss_plot.getPlotItem().ctrl.logYCheck.isChecked()
    assert training.state().to_tree() == {"log_loss": True}
