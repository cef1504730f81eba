"""`lmscope info FILE --verify` at the library level: sound files pass, each kind of problem is one sentence, and
memory stays bounded while every byte is read."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import h5py
import numpy as np
import pytest

from lmscope.backend.trace import Trace
from lmscope.sessions import Bookmark, SavedTrace, Session, open_session, save_session

GOLDEN = Path(__file__).parent.parent / "data" / "session_v1.h5"


def verify(path: Path):
    from lmscope.sessions.verify import verify_session

    return verify_session(path)


@pytest.fixture
def saved(tmp_path) -> Path:
    """The golden session re-saved by today's writer (so its arrays carry fletcher32 checksums)."""
    golden = open_session(GOLDEN)
    trace = golden.traces[0].trace
    copy = Trace(trace.tokens, trace.token_strings, {n: trace[n] for n in trace}, trace.model_config, trace.text,
                 trace.label, trace.meta)
    golden.model.weights = {n: golden.model.weights[n] for n in golden.model.weights}
    path = tmp_path / "saved.h5"
    save_session(Session(model=golden.model, traces=[SavedTrace(copy, golden.traces[0].histograms)],
                         current_trace=0, history=golden.history, selection=golden.selection,
                         bookmarks=golden.bookmarks, notes=golden.notes), path)
    golden.close()
    return path


def test_sound_files_pass():
    verdict = verify(GOLDEN)
    assert verdict.ok and verdict.datasets == 77 and verdict.checksummed == 0 and verdict.bytes_read > 20_000


def test_a_resaved_file_is_checksummed_and_passes(saved):
    verdict = verify(saved)
    assert verdict.ok, verdict.problems
    assert verdict.checksummed >= 40 and verdict.as_dict()["ok"] is True


def test_a_flipped_data_byte_fails_its_checksum(saved):
    with h5py.File(saved, "r") as f:
        info = f["traces/0/tensors/logits"].id.get_chunk_info(0)
    data = bytearray(saved.read_bytes())
    data[info.byte_offset + info.size // 2] ^= 0x10  # a float in the middle of the chunk: only a checksum sees it
    saved.write_bytes(bytes(data))
    assert open_session(saved).traces[0].trace.tokens.shape == (1, 16)  # opening reads no tensor data
    verdict = verify(saved)
    assert verdict.problems == ["/traces/0/tensors/logits fails its checksum or cannot be decompressed: the file "
                                "is damaged (OSError)."]


def edit_tensor(path: Path, name: str, change) -> None:
    with h5py.File(path, "a") as f:
        array = f[name][()]
        del f[name]
        f.create_dataset(name, data=change(array))


def test_a_pattern_that_is_not_a_probability_is_reported(saved):
    edit_tensor(saved, "traces/0/tensors/blocks.1.attn.hook_pattern", lambda a: a * 2)
    problems = verify(saved).problems
    assert problems == ["Trace 0's blocks.1.attn.hook_pattern is not a probability pattern: it holds values "
                        "outside [0, 1]."]


def test_rows_that_do_not_sum_to_one_are_reported(saved):
    edit_tensor(saved, "traces/0/tensors/blocks.0.attn.hook_pattern", lambda a: a * 0.5)
    assert "a row sums to 0.5, not 1" in verify(saved).problems[0]


def test_shapes_are_checked_against_the_config_and_token_count(saved):
    edit_tensor(saved, "traces/0/tensors/logits", lambda a: a[:, :, :12])
    edit_tensor(saved, "traces/0/tensors/hook_embed", lambda a: a[:, :10])
    problems = verify(saved).problems
    assert "Trace 0's hook_embed has shape (1, 10, 16); its config and 16 tokens need (1, 16, 16)." in problems
    assert "Trace 0's logits has shape (1, 16, 12); its config and 16 tokens need (1, 16, 13)." in problems


def test_weights_bookmarks_and_selection_are_checked(tmp_path, saved):
    edit_tensor(saved, "model/weights/embed.weight", lambda a: np.where(a > 0, np.nan, a))
    with h5py.File(saved, "a") as f:
        f["notes/layer"][0] = 7
        f["ui"].attrs["head"] = 5
    problems = verify(saved).problems
    assert "The model weight embed.weight holds NaN or infinite values." in problems
    assert "Bookmark 1 points at layer 7, head 0, position 2, outside trace 0." in problems
    assert any(p.startswith("The saved selection (layer 1, head 5") for p in problems)


def test_a_refused_file_is_one_problem(tmp_path):
    bad = tmp_path / "bad.h5"
    bad.write_bytes(b"not a session")
    assert verify(bad).problems == ["bad.h5 is not an lmscope session (it is not an HDF5 file)."]


MEASURE = textwrap.dedent("""
    import json, resource, sys
    from lmscope.sessions.verify import verify_session
    verify_session(sys.argv[1])  # imports and caches warmed up
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    verdict = verify_session(sys.argv[1])
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"ok": verdict.ok, "bytes": verdict.bytes_read, "grew_kib": after - before}))
""")


def test_verifying_reads_everything_in_bounded_memory(tmp_path):
    path = tmp_path / "big.h5"
    pattern = np.tril(np.ones((512, 512), np.float32))
    pattern /= pattern.sum(-1, keepdims=True)
    tensors = {"blocks.0.attn.hook_pattern": np.broadcast_to(pattern, (1, 32, 512, 512)).copy(),  # 32 MiB
               "blocks.0.hook_resid_pre": np.ones((1, 4096, 4096), np.float32)}  # 64 MiB
    trace = Trace(np.zeros((1, 512), np.int64), ["x"] * 512, tensors, {"n_head": 32})
    save_session(Session(traces=[SavedTrace(trace)]), path)
    del tensors, trace
    done = subprocess.run([sys.executable, "-c", MEASURE, str(path)], capture_output=True, text=True, timeout=300)
    result = json.loads(done.stdout)
    assert result["ok"] and result["bytes"] >= 96 << 20
    assert result["grew_kib"] < 48 << 10  # < 48 MiB for 96 MiB read; the first pass peaked no higher


@pytest.mark.parametrize("family", ["gpt2", "qwen2_moe", "bert"])
def test_hugging_face_captures_verify_sound(tmp_path, family, capsys):
    """The invariants hold for the Hugging Face adapter's hooks too (its shared experts have their own width)."""
    from lmscope.backend.models.hf_tiny import make_tiny_checkpoint
    from lmscope.gui.cli import main

    folder = make_tiny_checkpoint(tmp_path / family, family)
    assert main(["capture", "--model", str(folder), "--text", "hello world", "-o", str(tmp_path / "s.h5")]) == 0
    verdict = verify(tmp_path / "s.h5")
    assert verdict.ok, verdict.problems
    assert verdict.checksummed > 30
