"""The FlashAttention panel in the real window: default view, exact stepping both ways, FA1/FA2, real heads from
the demo capture, runs through the worker, and the session part. Numbers are checked against a fresh simulator
and an independent softmax, not against what the panel itself stored."""
from __future__ import annotations


import numpy as np
import pytest

from lmscope.backend.flashsim import (
    FlashFinished, FlashPrepared, FlashSimulator, FlashStepBatch, count_traffic, flashsim_job, make_config,
    random_qkv, row_max_abs_error, standard_traffic,
)
from lmscope.gui.panels.flashsim import DEFAULTS
from lmscope.gui.panels.flashsim_inputs import head_qkv
from lmscope.gui.panels.flashsim_run import RunLog
from lmscope.widgets.flashsim.state import FlashSimState
from lmscope.widgets.state import StateError

ISSUE_CONFIG = make_config(64, 16, 256)  # N = 64, d = 16, M = 256 elements (1024 bytes of fp32), FA1


def softmax_attention(q, k, v, causal):
    """Plain row softmax, written here so the check does not share code with lmscope.backend.flashsim.simulator."""
    scores = q @ k.T / np.sqrt(q.shape[1])
    if causal:
        scores = np.where(np.tril(np.ones(scores.shape, bool)), scores, -np.inf)
    weights = np.exp(scores - scores.max(axis=1, keepdims=True))
    return (weights / weights.sum(axis=1, keepdims=True)) @ v


def simulator_after(config, qkv, steps):
    """A fresh simulator advanced by ``steps`` tiles: the reference for what the panel shows at that step."""
    simulator = FlashSimulator(config, *qkv)
    generator = simulator.steps()
    for _ in range(steps):
        next(generator)
    return simulator




@pytest.fixture
def binding(window):
    return window.bindings["flashsim"]


def counter(panel, row):
    return [int(label.text().replace(",", "")) for label in panel.counter_labels[row][1:4]]


def test_default_view_is_the_issue_setting_at_step_0(binding, window):
    panel = binding.panel
    assert binding.settings == DEFAULTS and binding.run.config == ISSUE_CONFIG
    assert panel.state() == DEFAULTS and panel.m_label.text() == "M = 256 el."
    assert panel.step_label.text() == "step 0 / 256" and binding.run.position == 0
    traffic, standard = count_traffic(ISSUE_CONFIG), standard_traffic(64, 16)
    assert counter(panel, "whole") == [traffic.reads, traffic.writes, traffic.total]
    assert counter(panel, "standard") == [standard.reads, standard.writes, standard.total]
    assert counter(panel, "so_far") == [0, 0, 0]
    assert window.session_parts["flashsim"] is binding
    assert window.docks["dock.flashsim"].panel is panel
    assert not window.runner.busy  # the default run is computed at once, never blocking the demo's job


def test_step_shows_the_simulator_state_and_the_end_matches_exact_attention(binding, qtbot):
    panel, qkv = binding.panel, random_qkv(64, 16, 0)
    for _ in range(5):
        panel.step_button.click()
    reference = simulator_after(ISSUE_CONFIG, qkv, 5)
    assert np.array_equal(binding.run.m, reference.m) and np.array_equal(binding.run.l, reference.l)
    assert counter(panel, "so_far")[:2] == [reference.hbm_reads, reference.hbm_writes]
    _, m_bars = panel.row_plots.bars[0].getData()
    assert np.array_equal(m_bars, np.where(np.isfinite(reference.m), reference.m, np.nan), equal_nan=True)
    panel.end_button.click()
    exact = softmax_attention(*qkv, causal=False)
    final = simulator_after(ISSUE_CONFIG, qkv, 256)
    assert np.array_equal(binding.run.error, row_max_abs_error(final.o, exact))
    assert binding.run.error.max() <= 1e-12
    shown = float(panel.error_label.text().split("=")[1])
    assert shown <= 1e-12 and panel.step_label.text() == "step 256 / 256"
    assert counter(panel, "so_far") == counter(panel, "whole")


def test_step_back_is_exact(binding):
    qkv = random_qkv(64, 16, 0)
    for _ in range(40):
        binding.on_step(1)
    for _ in range(15):
        binding.panel.back_button.click()
    reference = simulator_after(ISSUE_CONFIG, qkv, 25)
    back = (binding.run.m.copy(), binding.run.l.copy(), binding.run.error.copy())
    assert np.array_equal(back[0], reference.m) and np.array_equal(back[1], reference.l)
    binding.on_seek(200)
    binding.on_seek(25)  # a long jump lands on the same arrays as stepping
    for before, after in zip(back, (binding.run.m, binding.run.l, binding.run.error)):
        assert np.array_equal(before, after)
    binding.on_seek(1)
    binding.on_step(-1)
    assert np.all(np.isneginf(binding.run.m)) and not binding.run.l.any()
    assert binding.panel.transfers_label.text().startswith("Step 0")


def test_fa2_toggle_changes_the_counts(binding, qtbot):
    panel = binding.panel
    fa1 = counter(panel, "whole")
    panel.algo_buttons.button(1).click()
    fa2_config = make_config(64, 16, 256, algo="fa2")
    traffic = count_traffic(fa2_config)
    assert binding.settings.algo == "fa2" and binding.run.config == fa2_config
    assert counter(panel, "whole") == [traffic.reads, traffic.writes, traffic.total] != fa1
    assert "FA2" in panel.ratio_label.text()
    binding.on_seek(binding.run.total)
    assert binding.run.error.max() <= 1e-12


def test_causal_and_block_overrides(binding):
    binding.panel.causal_box.setChecked(True)
    binding.panel.bc_spin.setValue(8)
    config = make_config(64, 16, 256, bc=8, causal=True)
    assert binding.run.config == config and binding.run.total == count_traffic(config).tiles
    assert (binding.run.tile_step[0, 1:] == -1).all()  # row block 0 sees only K/V block 0
    binding.on_seek(binding.run.total)
    assert binding.run.error.max() <= 1e-12


def test_a_setting_that_cannot_run_says_why_and_keeps_the_run(binding):
    run = binding.run
    binding.panel.sram_spin.setValue(60)  # 15 fp32 elements: not one row of K and one of V
    assert binding.run is run
    assert "cannot hold one row of K" in binding.panel.message_label.text()
    # A session asking for it is refused before any work …
    with pytest.raises(StateError, match="n is 5000; it should be between 1 and 1024"):
        FlashSimState.from_tree({**binding.state().to_tree(), "sram_bytes": 1024, "n": 5000})
    binding.apply(binding.settings.replace(sram_bytes=1024, n=5000))  # … and the binding's own check says why
    assert "lmscope flashsim" in binding.panel.message_label.text() and binding.run is run


def test_real_head_from_the_demo_capture(demo_window, qtbot):
    binding = demo_window.bindings["flashsim"]
    panel, trace = binding.panel, demo_window.document.current_trace.trace
    index = panel.source_box.findData("head:1:2")
    assert index > 0 and panel.source_box.count() == 1 + 4 * 4  # random + every head of the 4-layer demo
    panel.source_box.setCurrentIndex(index)
    n_pos, d_head = trace.n_pos, trace["blocks.1.attn.hook_q"].shape[-1]
    assert binding.settings.causal is True  # the demo model is causal
    assert (binding.run.config.n, binding.run.config.d) == (n_pos, d_head) and not panel.n_spin.isEnabled()
    panel.end_button.click()
    assert binding.run.error.max() <= 1e-12
    # The head's inputs are the ones the model used: its own attention output hook_z agrees.
    q, k, v = head_qkv(trace, 1, 2)
    output = FlashSimulator(binding.run.config, q, k, v).run()
    assert np.abs(output - trace["blocks.1.attn.hook_z"][0, :, 2]).max() < 1e-5
    state = binding.state()
    assert (state.source, state.layer, state.head) == ("head", 1, 2)


def test_a_restored_head_waits_for_its_capture(binding, window, qtbot):
    state = binding.state().replace(source="head", layer=1, head=2, causal=True, step=5)
    binding.apply_state(state)  # no capture yet: random inputs, and a message saying why
    assert binding.settings.source == "random" and "capture" in binding.panel.message_label.text()
    with qtbot.waitSignal(window.demoReady, timeout=120_000):
        window.open_demo()
    assert binding.settings.source_key == "head:1:2" and binding.run.position == 5
    assert binding.state() == state.replace(n=binding.run.config.n, d=binding.run.config.d)


def test_session_state_round_trip(binding):
    panel = binding.panel
    panel.algo_buttons.button(1).click()
    panel.causal_box.setChecked(True)
    panel.dtype_box.setCurrentText("fp16")
    panel.sram_spin.setValue(512)  # 256 fp16 elements
    panel.br_spin.setValue(2)
    panel.seed_spin.setValue(5)
    binding.on_seek(17)
    state = binding.state().to_tree()  # exactly the keys and types session format 1 stores
    assert state == {"algo": "fa2", "n": 64, "d": 16, "sram_bytes": 512, "dtype": "fp16", "br": 2, "bc": 0,
                     "causal": True, "seed": 5, "source": "random", "layer": 0, "head": 0, "step": 17}
    frame = (binding.run.m.copy(), binding.run.l.copy(), binding.run.error.copy())
    assert all(type(value) is type(FlashSimState().to_tree()[key]) for key, value in state.items())
    binding.apply(DEFAULTS)
    assert binding.run.position == 0 and binding.settings.algo == "fa1"
    # As HDF5 gives values back: numpy scalars and bytes.
    binding.apply_state(FlashSimState.from_tree({key: (value.encode() if isinstance(value, str)
                                                       else np.asarray(value)[()]) for key, value in state.items()}))
    assert binding.state().to_tree() == state and panel.state().algo == "fa2"
    assert binding.run.config == make_config(64, 16, 256, br=2, causal=True, algo="fa2")
    for before, after in zip(frame, (binding.run.m, binding.run.l, binding.run.error)):
        assert np.array_equal(before, after)
    assert panel.step_label.text() == f"step 17 / {binding.run.total:,}"


def test_a_large_run_goes_through_the_worker_and_a_newer_setting_wins(binding, window, qtbot):
    with qtbot.waitSignal(window.runner.jobFinished, timeout=60_000):
        binding.apply_state(binding.state().replace(n=256, step=3000))
        assert window.runner.busy and "background" in binding.panel.message_label.text()
    assert binding.run.config.n == 256 and binding.run.total == count_traffic(binding.run.config).tiles == 4096
    assert binding.run.position == 3000 and binding.panel.message_label.text() == ""
    binding.panel.n_spin.setValue(1024)  # a big run starts …
    assert window.runner.busy
    binding.panel.n_spin.setValue(32)  # … and a small one, computed at once, replaces it
    assert binding.run.config.n == 32
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=60_000)
    assert binding.run.config.n == 32 and binding.settings.n == 32  # the cancelled run's leftovers dropped
    assert binding.panel.message_label.text() == ""
    binding.panel.n_spin.setValue(1024)
    binding.panel.n_spin.setValue(300)  # a big run while another computes: it waits, then runs
    qtbot.waitUntil(lambda: not window.runner.busy and binding.run.config.n == 300, timeout=60_000)
    assert binding.run.total == count_traffic(binding.run.config).tiles


def test_cancel_from_the_status_bar_keeps_the_previous_run(binding, window, qtbot):
    run = binding.run
    binding.panel.n_spin.setValue(1024)
    with qtbot.waitSignal(window.runner.jobFinished, timeout=60_000) as finished:
        window.cancel_button.click()
    assert finished.args[1] is False and binding.run is run
    assert "cancelled" in binding.panel.message_label.text()
    assert binding.panel.n_spin.value() == binding.settings.n == binding.state().n == 64


def test_the_job_generator_alone():
    config = make_config(40, 8, 64, causal=True, algo="fa2")
    events = list(flashsim_job(config, *random_qkv(40, 8, 1), batch_size=7))
    prepared = next(e for e in events if isinstance(e, FlashPrepared))
    batches = [e for e in events if isinstance(e, FlashStepBatch)]
    finished = events[-1]
    assert isinstance(finished, FlashFinished) and finished.traffic == prepared.traffic == count_traffic(config)
    assert sum(len(b) for b in batches) == prepared.traffic.tiles and max(len(b) for b in batches) == 7
    assert set(prepared.vs_m) == set(prepared.vs_n) == {"standard", "fa1", "fa2"}
    assert config.m in prepared.vs_m["fa1"]["x"] and config.n in prepared.vs_n["fa1"]["x"]
    moves = np.concatenate([b.transfers for b in batches])  # rows: tensor code, block, is write, elements
    assert moves[moves[:, 2] == 0, 3].sum() == finished.traffic.reads
    assert moves[moves[:, 2] == 1, 3].sum() == finished.traffic.writes
    log = RunLog(prepared)
    for batch in batches:
        log.add(batch)
    log.finish()
    log.seek(log.total)
    assert log.error.max() <= 1e-12 and log.frame().hbm_reads == finished.traffic.reads
    assert log.frame().transfers.startswith(f"Tile ({config.tr - 1}, {config.tc - 1}) masked: read K")
