"""The FlashAttention panel lists a new trace's heads from their shapes alone: on the GUI thread, for every new
capture or opened session, it must read no tensor (a 4,096-token session's q and k are 288 MiB; reading them here
held the window for 0.8 s before the model view's first thumbnail)."""
from __future__ import annotations

import pytest

from lmscope.backend.capture import capture
from lmscope.backend.errors import BadInputError
from lmscope.backend.models.checkpoint import load_model
from lmscope.gui.panels.flashsim_inputs import head_qkv, head_shape, head_sources
from lmscope.sessions import SavedTrace, Session, open_session, save_session


def test_head_sources_of_a_lazy_session_read_nothing(tmp_path):
    loaded = load_model("demo")
    trace = capture(loaded.model, loaded.tokenizer.encode("The head list comes from shapes."))
    path = save_session(Session(traces=[SavedTrace(trace)], current_trace=0), tmp_path / "s.h5")
    session = open_session(path)
    try:
        lazy = session.traces[0].trace
        sources = head_sources(lazy)
        assert sources == head_sources(trace)
        assert len(sources) == 1 + trace.n_layer * int(trace.model_config["n_head"])
        n, d = head_shape(lazy, 1, 2)
        assert lazy.tensors.reads == 0  # listed and sized without reading a byte of data
        assert (n, d) == (trace.n_pos, trace["blocks.1.attn.hook_q"].shape[-1])
        with pytest.raises(BadInputError, match="no head 99"):
            head_shape(lazy, 1, 99)
        q, k, v = head_qkv(lazy, 1, 2)  # running a head reads it
        assert q.shape == (n, d) and lazy.tensors.reads == 3
    finally:
        session.close()
