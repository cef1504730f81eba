"""Benchmark: word2vec words/s and analogy accuracy against gensim (same corpus, same settings, one worker), and the
projector's scatter frame times at 100k and 1M points.

The corpus is the planted-analogy corpus of backend/embeddings/synthetic.py (known structure, so accuracy means
something); both trainers get the same sentences. Each timing is the min/median/max of ``RUNS`` runs.
`run()` returns rows {name, value, unit, target, note}; `python -m bench.bench_projector` prints them.
"""
from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

RUNS = 3
SETTINGS = {"dim": 100, "window": 5, "negative": 5, "min_count": 5, "epochs": 5, "subsample": 1e-3, "seed": 1}


def _spread(values: list[float]) -> str:
    return f"min {min(values):,.0f} / median {statistics.median(values):,.0f} / max {max(values):,.0f}"


def word2vec_rows() -> list[dict]:
    import torch
    from gensim.models import Word2Vec

    from lmscope.backend.embeddings.corpus import build_corpus
    from lmscope.backend.embeddings.synthetic import analogy_corpus
    from lmscope.backend.embeddings.vectors import evaluate_analogies
    from lmscope.backend.embeddings.word2vec import Word2VecFinished, Word2VecSettings, train_word2vec

    torch.set_num_threads(1)  # one worker each: gensim's workers=1 is one C thread
    data = analogy_corpus(entities=20, families=3, sentences=20_000)
    folder = Path(tempfile.mkdtemp(prefix="lmscope-bench-w2v-"))
    data.write(folder / "corpus.txt", folder / "questions.txt")
    corpus = build_corpus(data.sentences, SETTINGS["min_count"])
    sentences = list(corpus.sentences())
    rows = []
    for sg in (True, False):
        arch = "skip-gram" if sg else "CBOW"
        ours_speed, theirs_speed = [], []
        ours_acc = theirs_acc = 0.0
        for _ in range(RUNS):
            settings = Word2VecSettings(sg=sg, **SETTINGS)
            done = [e for e in train_word2vec(corpus, settings) if isinstance(e, Word2VecFinished)][-1]
            ours_speed.append(done.words_per_s)
            ours_acc = evaluate_analogies(done.vectors, folder / "questions.txt").total.accuracy
            start = time.perf_counter()
            model = Word2Vec(sentences, vector_size=SETTINGS["dim"], window=SETTINGS["window"],
                             negative=SETTINGS["negative"], min_count=SETTINGS["min_count"], epochs=SETTINGS["epochs"],
                             sample=SETTINGS["subsample"], seed=SETTINGS["seed"], sg=int(sg), workers=1)
            theirs_speed.append(SETTINGS["epochs"] * len(corpus.ids) / (time.perf_counter() - start))
            theirs_acc = model.wv.evaluate_word_analogies(str(folder / "questions.txt"))[0]
        ratio = statistics.median(ours_speed) / statistics.median(theirs_speed)
        rows += [
            {"name": f"word2vec {arch} words/s (ours, torch CPU, 1 thread)", "value": f"{statistics.median(ours_speed):,.0f}",
             "unit": "words/s", "note": _spread(ours_speed)},
            {"name": f"word2vec {arch} words/s (gensim, 1 worker)", "value": f"{statistics.median(theirs_speed):,.0f}",
             "unit": "words/s", "note": _spread(theirs_speed)},
            {"name": f"word2vec {arch} speed ratio ours/gensim", "value": f"{ratio:.2f}", "unit": "×",
             "target": "≥ 0.5", "note": "ratio of the medians; each run times both, so a busy machine slows both"},
            {"name": f"word2vec {arch} analogy accuracy ours / gensim", "value": f"{ours_acc:.3f} / {theirs_acc:.3f}",
             "unit": "", "note": f"{len(corpus.ids):,} words, planted analogies"},
        ]
    return rows


def _qt_app():  # noqa: ANN202 - the QApplication, made as the app makes it (GL contexts shared)
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QCoreApplication, Qt
    from PySide6.QtWidgets import QApplication

    if QApplication.instance() is None:
        QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)
    return QApplication.instance() or QApplication([])


def scatter_rows() -> list[dict]:
    import pyqtgraph as pg

    app = _qt_app()
    from lmscope.widgets.projector.scatter import ScatterView

    pg.setConfigOptions(imageAxisOrder="row-major")
    rows = []
    for n in (100_000, 1_000_000):
        rng = np.random.default_rng(0)
        coords = rng.normal(size=(n, 2)).astype(np.float32)
        colours = rng.integers(0, 6, n)
        palette = np.array([pg.mkColor(c).getRgb() for c in ("#56B4E9", "#E69F00", "#009E73", "#F0E442",
                                                                 "#CC79A7", "#D55E00")], np.uint8)
        view = ScatterView()
        view.resize(800, 800)
        view.show()
        start = time.perf_counter()
        view.set_points(coords, [""] * n, colours, palette)
        view.grab()
        fill = time.perf_counter() - start
        frames = []
        vb = view.plot_item.getViewBox()
        for i in range(20):  # pan and zoom, one rendered frame each (no settle: what a drag costs)
            span = 4.0 * 0.9 ** i
            start = time.perf_counter()
            vb.setRange(xRange=(-span + 0.05 * i, span + 0.05 * i), yRange=(-span, span), padding=0)
            view.grab()
            frames.append((time.perf_counter() - start) * 1000)
        app.processEvents()
        rows.append({"name": f"scatter {n:,} points: pan/zoom frame", "value": f"{statistics.median(frames):.1f}",
                     "unit": "ms", "target": "< 50" if n <= 100_000 else "viewable",
                     "note": f"max {max(frames):.1f} ms; first fill {fill * 1000:.0f} ms; mode {view.mode}"})
        view.close()
        view.deleteLater()
    return rows


def scatter3d_rows() -> list[dict]:
    """The 3-D view's orbit/zoom frame at 100k and 1M points, where an OpenGL context exists (not offscreen: run
    the bench under a display, e.g. ``QT_QPA_PLATFORM=xcb xvfb-run -a``, for Mesa's software renderer)."""
    app = _qt_app()
    from lmscope.widgets.projector.scatter3d import Scatter3DView, opengl_available

    if not opengl_available():
        return [{"name": "3-D view: orbit/zoom frame", "value": "n/a", "unit": "",
                 "note": f"no OpenGL context on the {app.platformName()} platform: the projector shows 2-D there"}]
    from OpenGL import GL

    rows = []
    palette = np.array([[86, 180, 233, 255], [230, 159, 0, 255], [0, 158, 115, 255]], np.uint8)
    for n in (100_000, 1_000_000):
        rng = np.random.default_rng(0)
        view = Scatter3DView()
        view.resize(800, 800)
        view.show()
        start = time.perf_counter()
        view.set_points(rng.normal(size=(n, 3)).astype(np.float32), [""] * n, rng.integers(0, 3, n), palette)
        view.view.grabFramebuffer()
        fill = time.perf_counter() - start
        view.view.makeCurrent()
        renderer = (GL.glGetString(GL.GL_RENDERER) or b"?").decode(errors="replace")
        view.view.doneCurrent()
        frames = []
        for i in range(10):  # orbit and zoom, one rendered frame each
            view.view.setCameraPosition(azimuth=10 * i, distance=8 * 0.95 ** i)
            start = time.perf_counter()
            view.view.grabFramebuffer()
            frames.append((time.perf_counter() - start) * 1000)
        rows.append({"name": f"3-D view {n:,} points: orbit/zoom frame", "value": f"{statistics.median(frames):.1f}",
                     "unit": "ms", "note": f"max {max(frames):.1f} ms; first fill {fill * 1000:.0f} ms; {renderer}"})
        view.close()
        view.deleteLater()
        app.processEvents()
    return rows


def run() -> list[dict]:
    return scatter_rows() + scatter3d_rows() + word2vec_rows()


if __name__ == "__main__":
    from bench.common import print_table

    print_table(run())
