"""Patterns on demand through sessions and the command line: `lmscope info` says whether patterns are stored or
recomputed, `lmscope export` writes a recomputed pattern equal to the stored one, a session from before (patterns
only) still reads as stored, and the window draws a recomputed head exactly as a stored one."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from lmscope.backend.attention import patterns as P
from lmscope.gui.cli import main as cli_main
from lmscope.sessions import open_session

GOLDEN_V1 = Path(__file__).parents[1] / "data" / "session_v1.h5"
TEXT = "注意力 attention is all you need"


@pytest.fixture(scope="module")
def sessions(tmp_path_factory):
    root = tmp_path_factory.mktemp("patterns")
    paths = {"stored": root / "stored.h5", "recomputed": root / "recomputed.h5"}
    assert cli_main(["capture", "--model", "demo", "--text", TEXT, "--store-patterns", "-o",
                     str(paths["stored"])]) == 0
    assert cli_main(["capture", "--model", "demo", "--text", TEXT, "--no-store-patterns", "-o",
                     str(paths["recomputed"])]) == 0
    return paths


def info(path, capsys) -> dict:
    capsys.readouterr()
    assert cli_main(["info", str(path), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_info_says_where_patterns_come_from(sessions, capsys):
    assert info(sessions["stored"], capsys)["traces"][0]["patterns"] == "stored"
    lean = info(sessions["recomputed"], capsys)["traces"][0]
    assert lean["patterns"] == "recomputed" and not any(n.endswith("hook_pattern") for n in lean["tensors"])
    assert info(GOLDEN_V1, capsys)["traces"][0]["patterns"] == "stored"  # a format 1 file: patterns only
    assert cli_main(["info", str(sessions["recomputed"])]) == 0
    assert "attention patterns: recomputed from the stored q and k when shown" in capsys.readouterr().out


def test_asking_where_patterns_are_reads_no_tensor(sessions):
    """Mapping's ``in`` reads a lazily stored tensor to see it is there; the accessor asks the names instead."""
    for kind in ("stored", "recomputed"):
        session = open_session(sessions[kind])
        try:
            trace = session.traces[0].trace
            assert P.has_attention(trace) and P.pattern_source(trace) == kind
            assert P.qk_names(trace, 3) == (P.hook(3, "q"), P.hook(3, "k"))
            assert trace.tensors.reads == 0
        finally:
            session.close()


def test_export_writes_recomputed_patterns(sessions, tmp_path):
    for kind in ("stored", "recomputed"):
        assert cli_main(["export", str(sessions[kind]), "blocks.2.attn.hook_pattern", "blocks.2.attn.hook_attn_scores",
                         "-o", str(tmp_path / f"{kind}.safetensors")]) == 0
    from safetensors.numpy import load_file

    stored, recomputed = (load_file(str(tmp_path / f"{k}.safetensors")) for k in ("stored", "recomputed"))
    np.testing.assert_allclose(recomputed["blocks.2.attn.hook_pattern"], stored["blocks.2.attn.hook_pattern"],
                               rtol=0, atol=2e-6)
    assert np.array_equal(np.isinf(recomputed["blocks.2.attn.hook_attn_scores"]),
                          np.isinf(stored["blocks.2.attn.hook_attn_scores"]))


def test_the_window_draws_a_recomputed_head_as_a_stored_one(sessions, make_window, qtbot):
    windows = {}
    for kind in ("stored", "recomputed"):
        window = make_window(kind)
        with qtbot.waitSignal(window.open_session(sessions[kind]).finished, timeout=60_000):
            pass
        qtbot.waitUntil(lambda w=window: not w.runner.busy, timeout=60_000)
        window.document.set_selection(layer=3, head=1, position=4)
        windows[kind] = window
    heat = {k: w.bindings["attention"].panel.inspector.heatmap for k, w in windows.items()}
    np.testing.assert_allclose(heat["recomputed"].matrix, heat["stored"].matrix, rtol=0, atol=2e-6)
    stats = {k: w.bindings["attention"].panel.inspector.stats.text() for k, w in windows.items()}
    assert stats["recomputed"] == stats["stored"] and "exactly 0 ✓" in stats["recomputed"]
    grids = {k: w.bindings["attention"].panel.model_view.grid.image.image for k, w in windows.items()}
    np.testing.assert_allclose(grids["recomputed"], grids["stored"], atol=1e-5)
    trace = windows["recomputed"].document.current_trace.trace
    assert P.pattern_source(trace) == "recomputed"


def test_info_says_what_was_left_out_and_what_is_a_sum(sessions, capsys, tmp_path):
    lean = tmp_path / "lean.h5"
    capsys.readouterr()
    assert cli_main(["capture", "--model", "demo", "--text", TEXT, "--no-store-logits", "--json", "-o",
                     str(lean)]) == 0
    assert json.loads(capsys.readouterr().out)["logits"] == "left out"
    entry = info(lean, capsys)["traces"][0]
    assert "logits" not in entry["tensors"] and entry["logits_left_out"][-1] > 0
    assert entry["tensors"]["blocks.0.hook_resid_mid"]["sum_of"] == ["blocks.0.hook_resid_pre",
                                                                    "blocks.0.hook_attn_out"]
    assert cli_main(["info", str(lean)]) == 0
    text = capsys.readouterr().out
    assert "logits (1, " in text and "left out of the file" in text
    assert "residual points stored as exact sums of others" in text
    assert "blocks.0.hook_resid_mid" in text and "= blocks.0.hook_resid_pre + blocks.0.hook_attn_out" in text
    assert info(sessions["stored"], capsys)["traces"][0]["tensors"]["logits"]["shape"][-1] > 0  # the demo's: cheap
