"""`lmscope info | capture | train | open` with hostile files and clumsy command lines: one sentence on stderr,
exit 2, never a traceback; escaped control characters; `info --verify`; `open --screenshot`."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

from lmscope.backend.trace import Trace
from lmscope.gui.cli import main
from lmscope.sessions import SavedTrace, Session, save_session

GOLDEN = Path(__file__).parent.parent / "data" / "session_v1.h5"
OSC_TITLE = "\x1b]0;pwned\x07"
OSC_CLIPBOARD = "\x1b]52;c;ZXZpbA==\x07"


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def one_sentence(err: str) -> str:
    assert err.startswith("lmscope") and err.count("\n") == 1 and "Traceback" not in err, err
    return err


@pytest.fixture
def hostile(tmp_path) -> Path:
    """A session whose strings carry terminal escapes and a lone surrogate."""
    path = tmp_path / "hostile.h5"
    trace = Trace(np.zeros((1, 2), np.int64), ["a", "b"],
                  {f"x{OSC_CLIPBOARD}": np.zeros((1, 2, 3), np.float32)}, {"n_layer": 1}, text="t",
                  label=f"l{OSC_TITLE}\ud800\u009b31m")
    save_session(Session(traces=[SavedTrace(trace)]), path)
    with h5py.File(path, "a") as f:
        f.attrs["app_version"] = np.bytes_(f"9{OSC_TITLE}".encode())
    return path


@pytest.mark.parametrize("argv", [["info"], ["capture"], ["train"], ["open"], ["bpe", "--merges", "3"],
                                  ["info", "x.h5", "--bogus"], ["nonsense"], ["train", "--steps"]])
def test_a_bad_command_line_is_one_sentence_and_help(capsys, argv):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    out, err = capsys.readouterr()
    assert exit_.value.code == 2 and out == ""
    one_sentence(err)
    assert err.rstrip().endswith("--help`.") and "usage:" not in err


@pytest.mark.parametrize("steps", ["1e12", "1000000000000", "0", "-5"])
def test_absurd_step_counts_are_refused(capsys, tmp_path, steps):
    with pytest.raises(SystemExit) as exit_:
        main(["train", "--steps", steps, "-o", str(tmp_path / "x.h5")])
    assert exit_.value.code == 2 and "--steps" in one_sentence(capsys.readouterr().err)


def test_train_checks_its_output_folder_before_training(capsys, tmp_path):
    start = time.perf_counter()
    code, out, err = run(capsys, "train", "--steps", "50", "-o", str(tmp_path / "missing" / "x.h5"))
    assert code == 2 and out == "" and "missing does not exist" in one_sentence(err)
    assert time.perf_counter() - start < 2  # before: 85 s of training, then the error


def test_capture_checks_its_output_first(capsys, tmp_path):
    folder = tmp_path / "look.h5"
    folder.mkdir()
    code, _, err = run(capsys, "capture", "-o", str(folder))
    assert code == 2 and "is a folder" in one_sentence(err)


def test_info_escapes_control_characters_in_text(capsys, hostile):
    code, out, err = run(capsys, "info", str(hostile))
    assert code == 0 and err == ""
    for raw in (OSC_TITLE, OSC_CLIPBOARD, "\x1b", "\x07", "\x9b", "\ud800"):
        assert raw not in out
    assert "l\\x1b]0;pwned\\x07\\ud800\\x9b31m" in out and "x\\x1b]52;c;ZXZpbA==\\x07" in out
    assert "lmscope 9\\x1b]0;pwned\\x07" in out


def test_info_json_is_strict_json_with_nothing_raw(capsys, hostile):
    code, out, err = run(capsys, "info", str(hostile), "--json")
    assert code == 0 and err == "" and out.count("\n") == 1
    assert not any(c in out for c in ("\x1b", "\x07", "\x9b", "\ud800"))
    info = json.loads(out)
    assert info["traces"][0]["label"] == f"l{OSC_TITLE}\ud800\u009b31m"  # the same value, escaped in JSON


def test_info_of_opaque_bytes_is_one_sentence(capsys, tmp_path):
    """An opaque attribute read back as bytes: `info --json` raised "bytes is not JSON serializable"."""
    path = tmp_path / "s.h5"
    shutil.copy(GOLDEN, path)
    with h5py.File(path, "a") as f:
        f.attrs["created"] = np.void(b"\x80\x04pickle")
    code, out, err = run(capsys, "info", str(path), "--json")
    assert code == 2 and out == "" and "opaque" in one_sentence(err)


def test_info_of_lone_surrogates_on_an_ascii_terminal(tmp_path, hostile):
    env = {**os.environ, "PYTHONIOENCODING": "ascii", "LC_ALL": "C"}
    done = subprocess.run([sys.executable, "-m", "lmscope.gui.cli", "info", str(hostile)], capture_output=True,
                          env=env, timeout=120)
    assert done.returncode == 0 and done.stderr == b"", done.stderr.decode(errors="replace")[-1500:]


def test_info_into_a_closed_pipe_is_quiet(hostile):
    """`lmscope info FILE | head` ended in a BrokenPipeError traceback."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run([sys.executable, "-m", "lmscope.gui.cli", "info", str(hostile)], stdout=write_end,
                              stderr=subprocess.PIPE, timeout=120)
    finally:
        os.close(write_end)
    assert done.returncode == 141 and done.stderr == b"", done.stderr.decode()[-1500:]


@pytest.mark.parametrize("make", ["truncated", "external", "bomb"])
def test_refused_files_exit_2_with_one_sentence(capsys, tmp_path, make):
    path = tmp_path / "s.h5"
    if make == "truncated":
        path.write_bytes(GOLDEN.read_bytes()[:2000])
    else:
        shutil.copy(GOLDEN, path)
        with h5py.File(path, "a") as f:
            del f["notes/markdown"]
            if make == "external":
                f["notes"]["markdown"] = h5py.ExternalLink("/etc/passwd", "/x")
            else:
                f["notes"].create_dataset("markdown", data=np.zeros(1 << 23, np.float32), compression="gzip")
    for extra in ([], ["--json"], ["--verify"]):
        code, out, err = run(capsys, "info", str(path), *extra)
        assert code == 2 and one_sentence(err if not extra == ["--verify"] else "lmscope " + out.split("\n")[0] + "\n")


def test_force_opens_what_only_its_size_refused(capsys, tmp_path):
    path = tmp_path / "s.h5"
    shutil.copy(GOLDEN, path)
    with h5py.File(path, "a") as f:
        f["notes"].create_dataset("zeros", data=np.zeros(1 << 23, np.float32), compression="gzip")
    assert run(capsys, "info", str(path))[0] == 2
    code, out, _ = run(capsys, "info", str(path), "--force")
    assert code == 0 and "format version 1" in out


def test_verify_exit_codes(capsys, tmp_path):
    code, out, _ = run(capsys, "info", str(GOLDEN), "--verify")
    assert code == 0 and out.startswith(f"{GOLDEN}: sound — 77 datasets read (0 with checksums)")
    path = tmp_path / "s.h5"
    shutil.copy(GOLDEN, path)
    with h5py.File(path, "a") as f:
        f["traces/0/tensors/blocks.0.attn.hook_pattern"][0, 0, 0, 0] = 3.0
    code, out, _ = run(capsys, "info", str(path), "--verify", "--json")
    result = json.loads(out)
    assert code == 2 and result["ok"] is False and result["problems"] == [
        "Trace 0's blocks.0.attn.hook_pattern is not a probability pattern: it holds values outside [0, 1]."]


def test_open_screenshot_writes_every_dock_or_exits_2(tmp_path):
    capture = tmp_path / "capture.h5"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path)}
    made = subprocess.run([sys.executable, "-m", "lmscope.gui.cli", "capture", "-o", str(capture)],
                          capture_output=True, text=True, env=env, timeout=300)
    assert made.returncode == 0, made.stderr[-1500:]
    shots = tmp_path / "shots"
    done = subprocess.run([sys.executable, "-m", "lmscope.gui.cli", "open", str(capture), "--screenshot", str(shots)],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-1500:]
    names = {p.name for p in shots.iterdir()}
    assert {"main_window.png", "histograms.png", "attention.png", "notes.png"} <= names
    assert all((shots / n).stat().st_size > 1000 for n in names)
    bad = tmp_path / "bad.h5"
    bad.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 100)
    refused = subprocess.run([sys.executable, "-m", "lmscope.gui.cli", "open", str(bad), "--screenshot",
                              str(tmp_path / "none")], capture_output=True, text=True, env=env, timeout=300)
    assert refused.returncode == 2
    lines = [line for line in refused.stderr.splitlines() if line.startswith("lmscope")]
    assert lines == ["lmscope: bad.h5 is damaged or truncated and cannot be opened."]
    assert not (tmp_path / "none").exists()
