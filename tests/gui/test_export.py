"""Tensors out of lmscope: `lmscope export` and File → Export tensors…, in .npy, .csv and .safetensors."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from safetensors.numpy import load_file

from lmscope.backend.errors import BadInputError
from lmscope.backend.tensor_export import export_tensors, select_names
from lmscope.gui.cli import main as cli_main


@pytest.fixture(scope="module")
def session_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("export") / "look.h5"
    assert cli_main(["capture", "--model", "demo", "--text", "注意力 attention", "-o", str(path)]) == 0
    return path


def read_trace(path):
    from lmscope.sessions import open_session

    session = open_session(path)
    trace = session.traces[session.current_trace].trace
    return session, trace


def test_export_formats_round_trip(session_file, tmp_path, capsys):
    session, trace = read_trace(session_file)
    try:
        pattern = np.asarray(trace["blocks.1.attn.hook_pattern"])
        resid = {n: np.asarray(trace[n]) for n in trace.tensors if n.endswith("hook_resid_pre")}
    finally:
        session.close()
    assert cli_main(["export", str(session_file), "blocks.1.attn.hook_pattern", "-o", str(tmp_path / "p.npy")]) == 0
    assert np.array_equal(np.load(tmp_path / "p.npy", allow_pickle=False), pattern)
    assert cli_main(["export", str(session_file), "blocks.*.hook_resid_pre", "-o", str(tmp_path / "r.safetensors"),
                     "--json"]) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert [t["name"] for t in out["tensors"]] == list(resid)
    loaded = load_file(str(tmp_path / "r.safetensors"))
    assert all(np.array_equal(loaded[n], a) for n, a in resid.items())
    head = pattern[0, 0]  # (query, key) of head 0
    export_tensors({"head0": head}, tmp_path / "h.csv")
    text = (tmp_path / "h.csv").read_text()
    assert text.startswith("# head0 shape=")
    assert np.allclose(np.loadtxt(tmp_path / "h.csv", delimiter=","), head, atol=1e-8)


@pytest.mark.parametrize("argv, message", [
    (["no.such.tensor"], "No captured tensor is called"),
    (["blocks.*", "--trace", "7"], "There is no capture 7"),
    (["blocks.*.hook_resid_pre"], "holds one tensor"),  # several into one .npy
])
def test_export_refuses_in_one_sentence(session_file, tmp_path, argv, message):
    done = subprocess.run([sys.executable, "-m", "lmscope.gui.cli", "export", str(session_file), *argv,
                           "-o", str(tmp_path / "x.npy")], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "x.npy").exists()


def test_backend_refusals():
    with pytest.raises(BadInputError, match="suffixes"):
        export_tensors({"a": np.zeros(2)}, "x.txt")
    with pytest.raises(BadInputError, match="at most 2 dimensions"):
        export_tensors({"a": np.zeros((2, 2, 2))}, "/tmp/x.csv")
    assert select_names(["a.x", "b.x", "a.y"], ["a.*"]) == ["a.x", "a.y"]


def test_file_export_tensors_in_the_window(demo_window, qtbot, tmp_path):
    out = tmp_path / "pattern.npy"
    with qtbot.waitSignal(demo_window.runner.jobFinished, timeout=60_000) as done:
        job = demo_window.export_tensors(["blocks.0.attn.hook_pattern"], out)
    assert done.args[0] is job and done.args[1] is True
    trace = demo_window.document.current_trace.trace
    assert np.array_equal(np.load(out), trace["blocks.0.attn.hook_pattern"])
    assert "pattern.npy" in demo_window.statusBar().currentMessage()
