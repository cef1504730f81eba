"""Binds the embedding projector to the model, the captures and the worker: points, projections, neighbours,
analogies, import/export and word2vec training that streams into the scatter (the points move while it trains).

Every computation is a backend job (backend/embeddings/jobs.py); this module only turns events into pictures.
It opens on the loaded model's embedding matrix in PCA, so the first view (and the screenshot) shows real data.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QCoreApplication, QObject

from lmscope.backend.demo import demo_corpus
from lmscope.backend.embeddings.jobs import (
    AnalogiesEvaluated, CorpusReady, NeighborsFound, PointsReady, analogy_job, evaluate_job, export_job, import_job,
    neighbors_job, source_job, word2vec_live_job,
)
from lmscope.backend.embeddings.pos import POS_COLUMN
from lmscope.backend.embeddings.projection import Projection, ProjectionUpdate
from lmscope.backend.embeddings.sources import ContextualSource, PointSet, embedding_matrix_source, script_of, token_counts
from lmscope.backend.embeddings.word2vec import Word2VecFinished, Word2VecProgress, Word2VecSettings
from lmscope.backend.tokenize.segment import Segmenter
from lmscope.widgets.projector.panel import ProjectorPanel
from lmscope.widgets.projector.scatter3d import opengl_available
from lmscope.widgets.projector.state import ProjectorState, Word2VecForm
from lmscope.widgets.terms import term

if TYPE_CHECKING:
    from lmscope.gui.main_window import MainWindow
    from lmscope.gui.worker import Job

SNAPSHOT_EVERY = 10  # word2vec steps between two pictures of the moving points
NO_GL = "3-D needs OpenGL, which this display does not offer; the first two components are shown."


def model_source(loaded: Any):  # noqa: ANN201, ANN401 - a LoadedModel → MatrixSource
    tokenizer = loaded.tokenizer
    tokens = list(tokenizer.tokens) if hasattr(tokenizer, "tokens") else tokenizer.token_strings(
        range(tokenizer.vocab_size))
    counts = token_counts(tokens, demo_corpus()) if str(loaded.source).startswith("built-in demo") else None
    return embedding_matrix_source(loaded.model, tokens, QCoreApplication.translate(
        "ProjectorBinding", "{source} · embedding matrix").format(source=term(str(loaded.source))), counts)


class ProjectorBinding(QObject):
    state_type = ProjectorState

    def __init__(self, window: "MainWindow") -> None:
        super().__init__(window)
        self.window, self.doc = window, window.document
        self.panel = ProjectorPanel()
        window.add_panel("projector", self.panel, self.tr("Embedding projector"))
        self.points: PointSet | None = None
        self.projection: Projection | None = None
        self.source, self.layer = "model", -1
        self.settings = self.panel.projection_settings()
        self.segmenter = Segmenter()  # the tokenizer explorer's settings: precise mode, HMM on
        self.losses: list[float] = []
        self._corpus: CorpusReady | None = None
        self._jobs: dict[str, Job] = {}
        self.panel.sourceRequested.connect(self.on_source)
        self.panel.projectRequested.connect(self.on_project)
        self.panel.neighboursRequested.connect(self.on_neighbours)
        self.panel.analogyRequested.connect(self.on_analogy)
        self.panel.trainRequested.connect(self.on_train)
        self.panel.cancelRequested.connect(self.on_cancel)
        self.panel.importRequested.connect(self.on_import)
        self.panel.exportRequested.connect(self.on_export)
        self.panel.evaluation.evaluateRequested.connect(self.on_evaluate)
        self.doc.modelChanged.connect(self.on_model_changed)
        self.doc.tracesChanged.connect(self.on_traces_changed)
        window.register_session_part("projector", self)
        self.panel.set_training(False)

    # --- jobs ----------------------------------------------------------------------------------------------
    def _start(self, kind: str, title: str, factory: Any) -> "Job":  # noqa: ANN401 - a job factory
        job = self.window.start_job(title, factory, self.on_events, kind=f"projector-{kind}", supersede=True)
        self._jobs[kind] = job
        return job

    def busy(self, kind: str) -> bool:
        job = self._jobs.get(kind)
        return job is not None and job.active

    def _show_points(self, source: Any, settings: dict) -> None:  # noqa: ANN401 - an EmbeddingSource
        self.settings = dict(settings)
        self._start("points", self.tr("Projector: points and projection"), lambda: source_job(source, settings))

    # --- sources -------------------------------------------------------------------------------------------
    def on_model_changed(self) -> None:
        if self.source == "model" and self.doc.loaded is not None:
            self._show_points(model_source(self.doc.loaded), self.panel.projection_settings())

    def on_traces_changed(self) -> None:
        n_layer = max((e.trace.n_layer for e in self.doc.traces), default=0)
        self.panel.layer_box.setMaximum(max(n_layer, 0))
        if self.source == "contextual" and self.doc.traces:
            self.on_source("contextual", self.layer)

    def on_source(self, source: str, layer: int) -> None:
        if source == "model":
            if self.doc.loaded is None:
                self.window.panel_notice("projector", self.tr("Load a model first to see its embedding matrix."))
                return
            self.source = source
            self._show_points(model_source(self.doc.loaded), self.panel.projection_settings())
        elif source == "contextual":
            if not self.doc.traces:
                self.window.panel_notice("projector", self.tr("Capture a prompt first (Model → Run prompt…)."))
                return
            self.source, self.layer = source, layer
            traces = [entry.trace for entry in self.doc.traces]
            self._show_points(ContextualSource(traces, None if layer < 0 else layer), self.panel.projection_settings())
        elif source == "word2vec":
            self.panel.tabs.setCurrentIndex(2)
        else:
            self.panel._ask_import()
        self.window.panel_notice("projector", "")

    def on_project(self, settings: dict) -> None:
        if self.points is None:
            return
        points = self.points
        self.settings = dict(settings)
        from lmscope.backend.embeddings.jobs import project_job

        self._start("points", self.tr("Projector: {method} of {n:,} points").format(method=settings["method"].upper(),
                                                                                   n=len(points)),
                    lambda: project_job(points, settings))

    def on_import(self, path: str) -> None:
        self.source = "file"
        settings = self.panel.projection_settings()

        def job():  # noqa: ANN202 - import, then project what was read
            from lmscope.backend.embeddings.jobs import project_job

            for event in import_job(path):
                yield event
                if isinstance(event, PointsReady):
                    yield from project_job(event.points, settings)

        self.settings = settings
        self._start("points", self.tr("Projector: importing {path}").format(path=path), job)

    def on_export(self, path: str) -> None:
        if self.points is not None:
            points = self.points
            self.window.start_job(self.tr("Exporting {path}")
                                  .format(path=path), lambda: export_job(points, path), lambda _: None)

    # --- word2vec ------------------------------------------------------------------------------------------
    def on_train(self, form: Word2VecForm) -> None:
        settings = Word2VecSettings(sg=form.sg, dim=form.dim, window=form.window, negative=form.negative,
                                    min_count=form.min_count, epochs=form.epochs, subsample=form.subsample,
                                    seed=form.seed, snapshot_every=SNAPSHOT_EVERY)
        self.source, self.losses, self._corpus = "word2vec", [], None
        corpus, segmenter = form.corpus or None, self.segmenter
        job = self._start("train", f"word2vec {settings.architecture}",
                          lambda: word2vec_live_job(settings, corpus, segmenter))
        self.panel.set_training(True, self.tr("Reading the corpus…"))
        job.finished.connect(self._on_train_finished)
        job.failed.connect(lambda failure: self.panel.set_training(False, failure.message))

    def _on_train_finished(self, completed: bool) -> None:
        if not completed:
            self.panel.set_training(False, self.tr("Cancelled."), self.losses)

    def on_cancel(self) -> None:
        job = self._jobs.get("train")
        if job is not None and job.active:
            job.cancel()

    # --- neighbours and analogies --------------------------------------------------------------------------
    def on_neighbours(self, row: int, k: int, metric: str) -> None:
        if self.points is None or not 0 <= row < len(self.points):
            return
        vectors = self.points.vectors
        self._start("neighbours", self.tr("Projector: nearest neighbours"), lambda: neighbors_job(vectors, row, k,
                                                                                                  metric))

    def on_analogy(self, a: str, b: str, c: str) -> None:
        if self.points is not None:
            points = self.points
            self._start("neighbours", self.tr("Projector: analogy"), lambda: analogy_job(points, a, b, c,
                                                                              self.panel.k_box.value()))

    def on_evaluate(self, path: str) -> None:
        if self.points is None:
            return
        points, box = self.points, self.panel.evaluation
        box.set_running(Path(path).name)
        job = self._start("evaluate", f"Projector: analogies on {Path(path).name}", lambda: evaluate_job(points, path))
        job.failed.connect(lambda failure: box.set_failed(failure.message))

    # --- events --------------------------------------------------------------------------------------------
    def on_events(self, events: list[Any]) -> None:
        for event in events:
            if isinstance(event, PointsReady):
                self.points = event.points
            elif isinstance(event, Projection):
                self._show_projection(event)
            elif isinstance(event, ProjectionUpdate):
                self._show_update(event)
            elif isinstance(event, NeighborsFound):
                self.panel.set_neighbours(event.rows, event.distances,
                                          self.tr("{title} ≈ (cosine, original space):").format(title=event.title)
                                          if event.title else "")
            elif isinstance(event, AnalogiesEvaluated):
                e = event.evaluation
                self.panel.evaluation.set_results(event.file, [(r.section, r.correct, r.incorrect) for r in e.sections],
                                                  e.skipped_oov, e.questions)
            elif isinstance(event, CorpusReady):
                self._corpus = event
            elif isinstance(event, Word2VecProgress):
                self.losses.append(event.loss)
                self.panel.set_training(True, self.tr("epoch {epoch} · loss {loss:.3f} · {speed:,.0f} words/s").format(
                    epoch=event.epoch + 1, loss=event.loss, speed=event.words_per_s), self.losses)
            elif isinstance(event, Word2VecFinished):
                self.panel.set_training(False, self.tr("Done: {n:,} words in {seconds:.1f} s ({speed:,.0f} words/s).")
                                        .format(n=len(event.vectors), seconds=event.seconds, speed=event.words_per_s),
                                        self.losses)

    def _note(self, n_components: int) -> str:
        return NO_GL if n_components == 3 and not opengl_available() else ""

    def _show_projection(self, projection: Projection) -> None:
        points = self.points
        if points is None or len(projection.coords) != len(points):
            return
        self.projection = projection
        self.panel.set_points(points.title, points.labels, projection.coords, points.columns, points.groups,
                              projection.explained, self._note(projection.coords.shape[1]))

    def _show_update(self, update: ProjectionUpdate) -> None:
        if self._corpus is not None and update.iteration and len(update.coords) == len(self._corpus.labels) \
                and len(self.panel.labels) != len(self._corpus.labels):
            corpus = self._corpus  # the first picture of a word2vec run: its words, by script and frequency
            columns = {"script": np.array([script_of(w) for w in corpus.labels]),
                       "frequency": corpus.counts.astype(np.float64)}
            if corpus.pos is not None:
                columns[POS_COLUMN] = corpus.pos
            self.panel.set_points(self.tr("word2vec on {name} (training…)").format(name=corpus.name), corpus.labels,
                                  update.coords, columns)
        else:
            self.panel.move_points(update.coords)

    # --- sessions ------------------------------------------------------------------------------------------
    def state(self) -> ProjectorState:
        keep_vectors = self.points is not None and self.source in ("word2vec", "file")
        explained = tuple(self.projection.explained) if self.projection is not None else ()
        return self.panel.state(source=self.source, title=self.points.title if self.points else "",
                                layer=self.layer, explained=explained[:3],
                                vectors=self.points.vectors if keep_vectors else np.zeros((0, 0), np.float32))

    def apply_state(self, state: ProjectorState) -> None:
        state.check_shapes()
        job = self._jobs.get("points")
        if job is not None and job.active:
            job.cancel(discard=True)  # the opened model's default picture must not replace the saved one
        self.source, self.layer = state.source, state.layer
        self.panel.set_settings(state)
        if not state.labels:
            return
        vectors, note = state.vectors, ""
        if not vectors.size and state.source == "model" and self.doc.loaded is not None:
            matrix = model_source(self.doc.loaded).points()
            if matrix.labels == state.labels:
                vectors = matrix.vectors
        if not vectors.size:
            vectors = state.coords  # neighbours can only be measured in the picture itself
            note = self.tr("This session holds the picture but not the original vectors; neighbours are measured in "
                           "2-D.")
        columns = {"script": np.array([script_of(w) for w in state.labels])}
        self.points = PointSet(state.source, state.title, state.labels, np.asarray(vectors, np.float32), columns)
        self.projection = Projection(state.method, state.coords, tuple(state.explained))
        self.panel.set_points(state.title, state.labels, state.coords, columns, None, state.explained,
                              note or self._note(state.coords.shape[1]))
        self.panel.set_settings(replace(state))
        if 0 <= state.selected < len(state.labels) and not state.search:
            self.panel.select(state.selected)


def install(window: "MainWindow") -> ProjectorBinding:
    return ProjectorBinding(window)
