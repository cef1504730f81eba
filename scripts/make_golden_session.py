"""Write tests/data/session_vN.h5, the golden file of the current format version N. Run once per released format
version (version 1: a few hooks; version 2: every hook, so its residual points are stored as sums, and the logits
left out as a long capture's are).

The file is committed and read by the tests forever: never regenerate it for an existing version (a format change
gets a new version number, a migration in sessions/reader.py, and a new golden file beside this one).
"""
from __future__ import annotations

import sys
from pathlib import Path

import torch

from lmscope.backend.capture import capture
from lmscope.backend.training.history import TrainingHistory
from lmscope.backend.models.config import TinyGPTConfig
from lmscope.backend.models.tinygpt import TinyGPT
from lmscope.backend.stats import trace_histograms
from lmscope.backend.models.tokenizer import CharTokenizer
from lmscope.backend.training.loop import HistogramSnapshot, TrainProgress
from lmscope.sessions import FORMAT_VERSION, Bookmark, SavedTrace, Session, save_session

TEXT = "我们学习 attention 🎉"


def main(out: str = f"tests/data/session_v{FORMAT_VERSION}.h5") -> int:
    torch.manual_seed(0)
    tok = CharTokenizer.train(TEXT)
    cfg = TinyGPTConfig(vocab_size=tok.vocab_size, n_ctx=32, d_model=16, n_layer=2, n_head=2, n_kv_head=1, d_mlp=32)
    model = TinyGPT(cfg).eval()
    ids = tok.encode(TEXT)
    names = (["hook_embed", "blocks.*.attn.hook_pattern", "blocks.*.hook_resid_post", "logits"] if FORMAT_VERSION == 1
             else None)  # version 2: every hook
    trace = capture(model, ids, names, token_strings=tok.token_strings(ids), text=TEXT, label="golden")
    hist = trace_histograms(trace.tensors, cfg.n_layer, bins=8)
    history = TrainingHistory(label="golden run")
    for step in range(1, 4):
        history.add(TrainProgress(step, 3, 3.0 - step * 0.5, 1e-3, 1000.0, step * 0.1))
    history.add(HistogramSnapshot(3, 2.25, hist))
    from lmscope.sessions import part_from_loaded
    from lmscope.backend.models.checkpoint import LoadedModel

    session = Session(
        model=part_from_loaded(LoadedModel(model, tok, "golden model")), traces=[SavedTrace(trace, hist)],
        current_trace=0, history=history, layout=b"\x00\xff layout", selection={"layer": 1, "head": 1, "position": 3},
        panels={"histograms": {"site": "resid_post", "log_y": True}}, notes="# Golden\n注意 🎉",
        bookmarks=[Bookmark(0, 1, 0, 2, "head 1.0 looks back")],
    )
    save_session(session, out, store_logits=FORMAT_VERSION == 1)
    print(f"wrote {out} ({Path(out).stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
