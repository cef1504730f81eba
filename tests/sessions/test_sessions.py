"""Session files without Qt: round trips, the golden v1 file, laziness, atomic saves, refusing what is unsafe."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import h5py
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from lmscope.backend.capture import Trace
from lmscope.backend.training.history import TrainingHistory
from lmscope.backend.stats import histogram_stats
from lmscope.backend.training.loop import HistogramSnapshot, TrainProgress
from lmscope.sessions import (
    FORMAT_VERSION, Bookmark, LazyTensors, ModelPart, SavedTrace, Session, SessionFormatError, describe,
    open_session, save_session,
)

GOLDEN = Path(__file__).parent.parent / "data" / "session_v1.h5"
text_st = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)


def make_trace(tensors: dict[str, np.ndarray], text: str = "你好 🎉", n_pos: int = 3) -> Trace:
    return Trace(tokens=np.arange(n_pos, dtype=np.int64)[None], token_strings=[f"t{i}" for i in range(n_pos)],
                 tensors=tensors, model_config={"n_layer": 1}, text=text, label=text[:10], meta={"k": "v"})


def round_trip(session: Session, tmp_path: Path, **kwargs) -> Session:
    path = tmp_path / "s.h5"
    save_session(session, path, **kwargs)
    return open_session(path)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    arrays=st.dictionaries(
        st.from_regex(r"blocks\.[0-9]\.hook_[a-z_]{1,12}", fullmatch=True),
        hnp.arrays(st.sampled_from([np.float32, np.float64, np.int64, np.bool_]),
                   hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=5)),
        max_size=4),
    text=text_st, notes=text_st, label=text_st,
)
def test_trace_notes_and_bookmarks_round_trip(tmp_path, arrays, text, notes, label):
    session = Session(traces=[SavedTrace(make_trace(arrays, text))], current_trace=0, notes=notes,
                      bookmarks=[Bookmark(0, 1, 2, -1, label)])
    back = round_trip(session, tmp_path)
    trace = back.traces[0].trace
    assert list(trace) == list(arrays)
    for name, array in arrays.items():
        got = trace[name]
        assert got.dtype == array.dtype and got.shape == array.shape
        np.testing.assert_array_equal(got, array)
    assert trace.text == text and back.notes == notes and back.bookmarks[0].text == label
    back.close()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.integers(0, 30), panel_text=text_st, flag=st.booleans(), number=st.floats(allow_nan=False),
       words=st.lists(text_st, max_size=4))
def test_history_and_panel_state_round_trip(tmp_path, steps, panel_text, flag, number, words):
    history = TrainingHistory(label="run 训练")
    for step in range(1, steps + 1):
        history.add(TrainProgress(step, steps, 1.0 / step, 1e-3 * step, 100.0, 0.1))
    if steps:
        history.add(HistogramSnapshot(steps, 0.5, {"blocks.0.hook_resid_pre": histogram_stats(np.arange(10.0))}))
    panels = {"p": {"text": panel_text, "flag": flag, "x": number, "words": words, "none": None,
                    "nested": {"arr": np.arange(4, dtype=np.int32)}}}
    back = round_trip(Session(history=history, panels=panels, layout=b"\x00\x01\x02"), tmp_path)
    assert back.history.steps == history.steps and back.history.loss == history.loss
    assert back.history.label == "run 训练" and len(back.history.snapshots) == (1 if steps else 0)
    state = back.panels["p"]
    assert state["text"] == panel_text and state["flag"] is flag and state["x"] == number
    assert state["words"] == words and state["none"] is None
    np.testing.assert_array_equal(state["nested"]["arr"], np.arange(4))
    assert back.layout == b"\x00\x01\x02"
    back.close()


def test_long_unicode_prompt_round_trips_exactly(tmp_path):
    text = ("语言模型🎉e\u0301" * 12_500)[:100_000]
    back = round_trip(Session(traces=[SavedTrace(make_trace({}, text))]), tmp_path)
    assert back.traces[0].trace.text == text
    back.close()


def test_model_part_and_float16_storage(tmp_path):
    weights = {"embed.weight": np.random.default_rng(0).normal(size=(5, 4)).astype(np.float32)}
    acts = {"blocks.0.hook_resid_pre": np.linspace(-2, 2, 12, dtype=np.float32).reshape(1, 3, 4)}
    session = Session(model=ModelPart({"n_layer": 1}, '{"kind": "char"}', "somewhere", weights),
                      traces=[SavedTrace(make_trace(acts))])
    back = round_trip(session, tmp_path, float16=True)
    got = back.traces[0].trace["blocks.0.hook_resid_pre"]
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, acts["blocks.0.hook_resid_pre"], atol=1e-3)
    np.testing.assert_array_equal(back.model.weights["embed.weight"], weights["embed.weight"])
    back.close()
    no_weights = round_trip(session, tmp_path, include_weights=False)
    assert no_weights.model.weights is None and no_weights.model.source == "somewhere"
    no_weights.close()


def test_golden_v1_file_is_read_forever():
    session = open_session(GOLDEN)
    assert session.meta["format_version"] == 1 <= FORMAT_VERSION
    trace = session.traces[0].trace
    assert trace.text == "我们学习 attention 🎉" and trace.label == "golden"
    assert list(trace) == ["hook_embed", "blocks.0.attn.hook_pattern", "blocks.0.hook_resid_post",
                           "blocks.1.attn.hook_pattern", "blocks.1.hook_resid_post", "logits"]
    assert float(np.sum(trace["logits"])) == pytest.approx(3.930912494659424, rel=1e-6)
    assert float(trace["blocks.1.attn.hook_pattern"][0, 1, 3, 2]) == pytest.approx(0.2522408664226532, rel=1e-6)
    assert session.history.steps == [1, 2, 3] and session.history.snapshots[0].val_loss == 2.25
    assert session.notes == "# Golden\n注意 🎉" and session.bookmarks[0].text == "head 1.0 looks back"
    assert session.selection == {"layer": 1, "head": 1, "position": 3}
    assert session.panels["histograms"] == {"site": "resid_post", "log_y": True}
    assert session.model.config["n_kv_head"] == 1 and len(session.model.weights) > 10
    session.close()


def test_opening_is_lazy(tmp_path):
    big = {f"blocks.{i}.hook_resid_pre": np.full((1, 64, 256), i, np.float32) for i in range(8)}
    path = tmp_path / "lazy.h5"
    save_session(Session(traces=[SavedTrace(make_trace(big, n_pos=64))]), path)
    session = open_session(path)
    tensors = session.traces[0].trace.tensors
    assert isinstance(tensors, LazyTensors) and tensors.reads == 0
    info = describe(session)
    assert info["traces"][0]["tensors"]["blocks.3.hook_resid_pre"]["shape"] == [1, 64, 256]
    assert tensors.reads == 0  # describing reads shapes only
    assert tensors["blocks.5.hook_resid_pre"][0, 0, 0] == 5
    assert tensors.reads == 1  # one panel, one tensor
    session.close()


def test_newer_version_and_foreign_files_are_refused_clearly(tmp_path):
    path = tmp_path / "s.h5"
    save_session(Session(), path)
    with h5py.File(path, "a") as f:
        f.attrs["format_version"] = FORMAT_VERSION + 1
    with pytest.raises(SessionFormatError, match="newer lmscope"):
        open_session(path)
    foreign = tmp_path / "foreign.h5"
    with h5py.File(foreign, "w") as f:
        f["data"] = np.arange(3)
    with pytest.raises(SessionFormatError, match="another program"):
        open_session(foreign)
    text = tmp_path / "notes.h5"
    text.write_text("hello")
    with pytest.raises(SessionFormatError, match="not an HDF5 file"):
        open_session(text)


def test_object_dtypes_are_refused_both_ways(tmp_path):
    bad = {"blocks.0.hook_x": np.array([{"a": 1}, None], dtype=object)}
    with pytest.raises(SessionFormatError, match="refuses"):
        save_session(Session(traces=[SavedTrace(make_trace(bad))]), tmp_path / "bad.h5")
    assert not list(tmp_path.glob("*.h5")) and not list(tmp_path.glob(".*.tmp"))  # no half-written file left
    path = tmp_path / "s.h5"
    save_session(Session(traces=[SavedTrace(make_trace({"blocks.0.hook_x": np.zeros(3, np.float32)}))]), path)
    with h5py.File(path, "a") as f:  # replace the tensor with opaque bytes, the way a pickle would hide
        del f["traces/0/tensors/blocks.0.hook_x"]
        f["traces/0/tensors"].create_dataset("blocks.0.hook_x", data=np.void(b"\x80\x04\x95pickle"))
    with pytest.raises(SessionFormatError, match="opaque data, which lmscope refuses"):
        open_session(path)  # refused before anything is read, not when a panel asks for the tensor


WRITER = textwrap.dedent("""
    import sys, numpy as np
    from lmscope.sessions import Session, SavedTrace, save_session
    from lmscope.backend.capture import Trace
    big = {f"blocks.{i}.hook_resid_pre": np.random.default_rng(i).normal(size=(1, 512, 1024)).astype(np.float32)
           for i in range(40)}
    trace = Trace(np.zeros((1, 512), np.int64), ["x"] * 512, big, {"n_layer": 40})
    import time
    from lmscope.sessions import writer

    def stall(*args, **kwargs):  # the traces are written; stop here, mid-save, until killed
        print("halfway", flush=True)
        time.sleep(600)
    writer._write_history = stall
    print("writing", flush=True)
    save_session(Session(traces=[SavedTrace(trace)], notes="new"), sys.argv[1])
""")


def test_kill_9_mid_save_leaves_the_previous_file(tmp_path):
    path = tmp_path / "s.h5"
    save_session(Session(notes="previous"), path)
    before = path.read_bytes()
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True,
                            cwd=Path(__file__).parents[2])
    assert proc.stdout.readline().strip() == "writing"
    # Killed at a known point mid-save (its traces written, the rest not): waiting for the file to grow raced a
    # fast writer, which could finish and rename between two looks.
    assert proc.stdout.readline().strip() == "halfway"
    tmp_files = list(tmp_path.glob(".s.h5.*.tmp"))
    assert proc.poll() is None, "the writer finished before it could be killed"
    assert tmp_files and tmp_files[0].stat().st_size > 1_000_000  # the temporary file holds the traces so far
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert tmp_files, "the writer never created its temporary file"
    assert path.read_bytes() == before
    assert open_session(path).notes == "previous"
