"""The embedding projector panel: the scatter, its colouring, search, neighbours, analogies and the word2vec trainer.

Built from plain data (coordinates, labels, metadata columns as numpy arrays); it asks for work through signals
and never computes neighbours or projections itself (the binding runs them as jobs). Search is here because it is
over labels only: one regex over all labels joined by newlines finds a million labels' matches in milliseconds.
"""
from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QEvent, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDoubleSpinBox, QFileDialog, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit,
    QPushButton, QSpinBox, QSplitter, QStackedWidget, QTableWidget, QTableWidgetItem, QTabWidget, QVBoxLayout,
    QWidget,
)

from lmscope.widgets.projector.evaluation import AnalogyEvaluationBox
from lmscope.widgets.projector.scatter import ScatterView
from lmscope.widgets.projector.scatter3d import opengl_available
from lmscope.widgets.projector.state import METHODS, ProjectorState, Word2VecForm
from lmscope.widgets.style import PALETTE, make_plot_widget
from lmscope.widgets.glossary import PROJECTOR, explain
from lmscope.widgets.terms import add_choices, current_key, set_key, term

MAX_MATCHES = 1000
CATEGORY_COLOURS = ["#56B4E9", "#E69F00", "#009E73", "#F0E442", "#CC79A7", "#D55E00", "#0072B2", "#BBBBBB"]
METHOD_NAMES = {"pca": QT_TRANSLATE_NOOP("ProjectorPanel", "PCA (exact)"), "tsne": "t-SNE (openTSNE)",
                "umap": "UMAP (umap-learn)"}
SOURCE_NAMES = {"model": QT_TRANSLATE_NOOP("ProjectorPanel", "Model embedding matrix"),
                "word2vec": QT_TRANSLATE_NOOP("ProjectorPanel", "word2vec (train below)"),
                "contextual": QT_TRANSLATE_NOOP("ProjectorPanel", "Residual stream of the captures"),
                "file": QT_TRANSLATE_NOOP("ProjectorPanel", "File (word2vec / TSV)")}


def search_labels(labels: Sequence[str], pattern: str, regex: bool, joined: str | None = None,
                  starts: np.ndarray | None = None) -> np.ndarray:
    """Rows whose label contains ``pattern`` (a substring, or a regular expression when ``regex``), in row order."""
    if not pattern:
        return np.zeros(0, np.int64)
    if joined is None or starts is None:
        joined, starts = join_labels(labels)
    try:
        rx = re.compile(pattern if regex else re.escape(pattern), re.MULTILINE)
    except re.error as exc:
        raise ValueError(f"The pattern is not a valid regular expression ({exc.msg}).") from None
    rows = np.searchsorted(starts, [m.start() for m in rx.finditer(joined)], side="right") - 1
    return np.unique(rows)


def join_labels(labels: Sequence[str]) -> tuple[str, np.ndarray]:
    clean = [str(label).replace("\n", " ") for label in labels]
    lengths = np.fromiter((len(c) + 1 for c in clean), dtype=np.int64, count=len(clean))
    return "\n".join(clean), np.concatenate([[0], np.cumsum(lengths)[:-1]]) if len(clean) else np.zeros(0, np.int64)


def colour_column(values: np.ndarray) -> tuple[np.ndarray, list[str], np.ndarray]:
    """(colour index per point, legend names, RGBA palette): categories as they are (most common first, at most 7
    plus "other"); numbers in 8 quantile bins (log-spaced for skewed counts such as frequency)."""
    if values.dtype.kind in "USO":
        names, inverse, counts = np.unique(values.astype(str), return_inverse=True, return_counts=True)
        keep = np.argsort(-counts, kind="stable")[:7]
        rank = np.full(len(names), len(keep), dtype=np.int64)
        rank[keep] = np.arange(len(keep))
        other = len(names) > len(keep)
        legend = [term(str(names[i])) for i in keep] + ([QCoreApplication.translate("ProjectorPanel",
                                                                                    "other")] if other else [])
        colours = CATEGORY_COLOURS[:len(keep)] + ([CATEGORY_COLOURS[-1]] if other else [])
        palette = np.array([pg.mkColor(c).getRgb() for c in colours], dtype=np.uint8)
        return rank[inverse], legend, palette
    v = values.astype(np.float64)
    if v.size and v.min() >= 0 and v.max() > 100 * max(np.median(v), 1):
        v = np.log1p(v)
    edges = np.unique(np.quantile(v, np.linspace(0, 1, 9))) if v.size else np.array([0.0, 1.0])
    index = np.clip(np.searchsorted(edges, v, side="right") - 1, 0, max(len(edges) - 2, 0))
    colours = pg.colormap.get("viridis").map(np.linspace(0.1, 1, max(len(edges) - 1, 1)), mode="byte")
    legend = [f"≤ {e:.3g}" for e in edges[1:]] or [QCoreApplication.translate("ProjectorPanel", "all")]
    return index.astype(np.int64), legend, np.asarray(colours, dtype=np.uint8)


class ProjectorPanel(QWidget):
    sourceRequested = Signal(str, int)  # source, layer (−1: trajectories)
    projectRequested = Signal(dict)  # method and its parameters
    pointSelected = Signal(int)  # a row, −1 for none
    neighboursRequested = Signal(int, int, str)  # row, k, metric
    analogyRequested = Signal(str, str, str)
    trainRequested = Signal(object)  # Word2VecForm
    cancelRequested = Signal()
    importRequested = Signal(str)
    exportRequested = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.labels: Sequence[str] = ()
        self.columns: dict[str, np.ndarray] = {}
        self.coords = np.zeros((0, 2), np.float32)
        self.selected = -1
        self._joined: tuple[str, np.ndarray] | None = None
        self._matches = np.zeros(0, np.int64)
        self._neighbour_rows: list[int] = []
        self.scatter = ScatterView()
        self.scatter3d = None  # a Scatter3DView, made the first time 3-D points are shown where OpenGL works
        self.views = QStackedWidget()
        self.views.addWidget(self.scatter)
        self.loss_plot = make_plot_widget(self.tr("loss"), self.tr("progress event"))
        self.loss_plot.setMaximumHeight(140)
        self.loss_curve = self.loss_plot.plot(pen=pg.mkPen(PALETTE[0], width=2))
        self.loss_plot.setVisible(False)
        self.title = QLabel("")
        self.title.setWordWrap(True)
        self.colour_box = QComboBox()
        self.legend = QLabel("")
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.note = QLabel("")
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: #e0b050;")
        left = QWidget()
        lay = QVBoxLayout(left)
        lay.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(QLabel(self.tr("Colour by")))
        top.addWidget(self.colour_box)
        lay.addLayout(top)
        lay.addWidget(self.views, 1)
        lay.addWidget(self.legend)
        lay.addWidget(self.note)
        lay.addWidget(self.loss_plot)
        self.tabs = QTabWidget()
        self.tabs.addTab(self._points_tab(), self.tr("Points"))
        self.tabs.addTab(self._find_tab(), self.tr("Find"))
        self.tabs.addTab(self._word2vec_tab(), self.tr("word2vec"))
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(self.tabs)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(2, 2, 2, 2)
        outer.addWidget(split)
        self.colour_box.currentIndexChanged.connect(lambda _: self._recolour())
        self.scatter.pointClicked.connect(self.select)
        explain(self, PROJECTOR)

    # --- building ------------------------------------------------------------------------------------------
    def _points_tab(self) -> QWidget:
        tab = QWidget()
        form = QFormLayout(tab)
        self.source_box = QComboBox()
        for key, name in SOURCE_NAMES.items():
            self.source_box.addItem(self.tr(name), key)
        self.layer_box = QSpinBox()
        self.layer_box.setRange(-1, 10_000)
        self.layer_box.setSpecialValueText(self.tr("all (trajectories)"))
        self.layer_box.setValue(-1)
        self.load_button = QPushButton(self.tr("Show these points"))
        self.load_button.clicked.connect(self._ask_source)
        self.import_button = QPushButton(self.tr("Import file…"))
        self.import_button.clicked.connect(self._ask_import)
        self.export_button = QPushButton(self.tr("Export vectors…"))
        self.export_button.clicked.connect(self._ask_export)
        self.method_box = QComboBox()
        for key in METHODS:
            self.method_box.addItem(self.tr(METHOD_NAMES[key]), key)
        self.dims_box = QComboBox()
        self.dims_box.addItems(["2-D", "3-D"])
        self.perplexity = self._spin(2, 500, 30.0)
        self.exaggeration = self._spin(1, 100, 1.0)
        self.n_neighbors = QSpinBox()
        self.n_neighbors.setRange(2, 500)
        self.n_neighbors.setValue(15)
        self.min_dist = self._spin(0, 1, 0.1, step=0.05)
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.project_button = QPushButton(self.tr("Project"))
        self.project_button.clicked.connect(self._ask_project)
        self.explained = QLabel("")
        for label, widget in ((self.tr("Source"), self.source_box), (self.tr("Layer"), self.layer_box),
                              ("", self.load_button), ("", self.import_button), ("", self.export_button),
                              (self.tr("Projection"), self.method_box), (self.tr("Dimensions"), self.dims_box),
                              (self.tr("t-SNE perplexity"), self.perplexity),
                              (self.tr("t-SNE exaggeration"), self.exaggeration),
                              (self.tr("UMAP neighbours"), self.n_neighbors), (self.tr("UMAP min_dist"), self.min_dist),
                              (self.tr("Seed"), self.seed), ("", self.project_button),
                              (self.tr("Explained"), self.explained)):
            form.addRow(label, widget)
        return tab

    def _find_tab(self) -> QWidget:
        tab = QWidget()
        lay = QVBoxLayout(tab)
        row = QHBoxLayout()
        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText(self.tr("search a word (substring)"))
        self.regex_box = QCheckBox(self.tr("regex"))
        row.addWidget(self.search_edit, 1)
        row.addWidget(self.regex_box)
        lay.addLayout(row)
        self.match_label = QLabel("")
        lay.addWidget(self.match_label)
        row = QHBoxLayout()
        self.k_box = QSpinBox()
        self.k_box.setRange(1, 1000)
        self.k_box.setValue(10)
        self.metric_box = QComboBox()
        add_choices(self.metric_box, ("cosine", "euclidean"))
        self.isolate_box = QCheckBox(self.tr("isolate"))
        row.addWidget(QLabel("k"))
        row.addWidget(self.k_box)
        row.addWidget(self.metric_box)
        row.addWidget(self.isolate_box)
        lay.addLayout(row)
        self.neighbour_title = QLabel(self.tr("Click a point or search a word to see its nearest neighbours."))
        self.neighbour_title.setWordWrap(True)
        lay.addWidget(self.neighbour_title)
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels([self.tr("word"), self.tr("distance")])
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.cellDoubleClicked.connect(lambda r, _c: self._select_listed(r))
        lay.addWidget(self.table, 1)
        box = QGroupBox(self.tr("Analogy: A − B + C"))
        grid = QHBoxLayout(box)
        self.analogy_edits = [QLineEdit() for _ in range(3)]
        for edit, hint in zip(self.analogy_edits, (self.tr("king"), self.tr("man"), self.tr("woman"))):
            edit.setPlaceholderText(hint)
            grid.addWidget(edit)
        self.analogy_button = QPushButton("=")
        self.analogy_button.clicked.connect(self._ask_analogy)
        grid.addWidget(self.analogy_button)
        lay.addWidget(box)
        self.evaluation = AnalogyEvaluationBox()
        lay.addWidget(self.evaluation)
        self.search_edit.returnPressed.connect(self.run_search)
        self.regex_box.toggled.connect(lambda _: self.run_search())
        self.isolate_box.toggled.connect(lambda _: self._show_points(keep_view=True))
        for w in (self.k_box, self.metric_box):
            (w.valueChanged if isinstance(w, QSpinBox) else w.currentTextChanged).connect(
                lambda *_: self._ask_neighbours())
        return tab

    def _word2vec_tab(self) -> QWidget:
        tab = QWidget()
        form = QFormLayout(tab)
        self.corpus_edit = QLineEdit()
        self.corpus_edit.setPlaceholderText(self.tr("empty: the demo corpus"))
        browse = QPushButton(self.tr("Corpus file…"))
        browse.clicked.connect(self._ask_corpus)
        self.arch_box = QComboBox()
        self.arch_box.addItem(self.tr("skip-gram"), "skip-gram")
        self.arch_box.addItem("CBOW", "CBOW")
        self.w2v = {}
        # the word2vec settings' names, shown as "min-count" etc. in the form below
        _names = (QT_TRANSLATE_NOOP("ProjectorPanel", "dim"), QT_TRANSLATE_NOOP("ProjectorPanel", "window"),
                  QT_TRANSLATE_NOOP("ProjectorPanel", "negative"), QT_TRANSLATE_NOOP("ProjectorPanel", "min-count"),
                  QT_TRANSLATE_NOOP("ProjectorPanel", "epochs"), QT_TRANSLATE_NOOP("ProjectorPanel", "seed"))
        for name, lo, hi in (("dim", 2, 1024), ("window", 1, 50), ("negative", 1, 50), ("min_count", 1, 1_000_000),
                             ("epochs", 1, 1000), ("seed", 0, 2**31 - 1)):
            box = QSpinBox()
            box.setRange(lo, hi)
            self.w2v[name] = box
        self.subsample = self._spin(0, 0.5, 1e-3, step=1e-4, decimals=5)
        self.train_button = QPushButton(self.tr("Train"))
        self.train_button.clicked.connect(lambda: self.trainRequested.emit(self.word2vec_form()))
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.cancel_button.clicked.connect(self.cancelRequested)
        self.train_status = QLabel("")
        self.train_status.setWordWrap(True)
        form.addRow(self.tr("Corpus"), self.corpus_edit)
        form.addRow("", browse)
        form.addRow(self.tr("Architecture"), self.arch_box)
        for name, box in self.w2v.items():
            form.addRow(self.tr(name.replace("_", "-")), box)
        form.addRow(self.tr("subsample"), self.subsample)
        form.addRow(self.train_button, self.cancel_button)
        form.addRow(self.train_status)
        self.set_word2vec_form(Word2VecForm())
        return tab

    @staticmethod
    def _spin(lo: float, hi: float, value: float, step: float = 1.0, decimals: int = 2) -> QDoubleSpinBox:
        box = QDoubleSpinBox()
        box.setRange(lo, hi)
        box.setDecimals(decimals)
        box.setSingleStep(step)
        box.setValue(value)
        return box

    # --- showing -------------------------------------------------------------------------------------------
    def set_points(self, title: str, labels: Sequence[str], coords: np.ndarray, columns: dict[str, np.ndarray],
                   groups: np.ndarray | None = None, explained: Sequence[float] = (), note: str = "") -> None:
        self.labels, self.columns, self.groups = labels, columns, groups
        self.coords = np.asarray(coords, dtype=np.float32)
        self._joined = None
        self.title.setText(self.tr("<b>{title}</b> · {value:,} points").format(title=title, value=len(labels)))
        wanted = current_key(self.colour_box)
        self.colour_box.blockSignals(True)
        self.colour_box.clear()
        add_choices(self.colour_box, columns)
        if wanted in columns:
            set_key(self.colour_box, wanted)
        self.colour_box.blockSignals(False)
        self.set_explained(explained)
        self.note.setText(note)
        self.note.setVisible(bool(note))
        self.selected, self._neighbour_rows = -1, []
        self.table.setRowCount(0)
        self._recolour()
        self.run_search()

    def set_explained(self, explained: Sequence[float]) -> None:
        self.explained.setText(self.tr("{parts} = {percent:.1f} % of the variance").format(
            parts=" + ".join(f"{100 * e:.1f} %" for e in explained), percent=100 * sum(explained))
                               if explained else "")

    def move_points(self, coords: np.ndarray) -> None:
        """The same points at new positions (word2vec training, t-SNE iterations)."""
        if len(coords) == len(self.labels):
            self.coords = np.asarray(coords, dtype=np.float32)
            self._show_points(keep_view=False)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange and "groups" in vars(self):  # once it has points
            self._recolour()  # the legend names the colour column's values (Han, Latin…) in the interface language
        super().changeEvent(event)

    def _recolour(self) -> None:
        name = current_key(self.colour_box)
        values = self.columns.get(name)
        if values is None or len(values) != len(self.labels):
            self._colour = (np.zeros(len(self.labels), np.int64), [self.tr("points")],
                            np.array([pg.mkColor(CATEGORY_COLOURS[0]).getRgb()], np.uint8))
        else:
            self._colour = colour_column(np.asarray(values))
        _, legend, palette = self._colour
        self.legend.setText(" ".join(f"<span style='color: rgb({p[0]},{p[1]},{p[2]})'>●</span> {name}"
                                     for name, p in zip(legend, palette)))
        self._show_points(keep_view=True)

    def shows_3d(self) -> bool:
        """Whether the points have three coordinates and OpenGL can draw them (else the 2-D scatter shows two)."""
        return self.coords.ndim == 2 and self.coords.shape[1] >= 3 and opengl_available()

    def active_view(self):  # noqa: ANN201 - ScatterView or Scatter3DView: the same methods
        return self.scatter3d if self.shows_3d() and self.scatter3d is not None else self.scatter

    def _show_points(self, keep_view: bool) -> None:
        index, _, palette = self._colour
        if self.shows_3d() and self.scatter3d is None:
            from lmscope.widgets.projector.scatter3d import Scatter3DView

            self.scatter3d = Scatter3DView()
            self.scatter3d.pointClicked.connect(self.select)
            self.views.addWidget(self.scatter3d)
        view = self.active_view()
        self.views.setCurrentWidget(view)
        rows = self._isolated_rows()
        if rows is None:
            view.set_points(self.coords, self.labels, index, palette, self.groups, keep_view=keep_view)
        else:
            view.set_points(self.coords[rows], [self.labels[i] for i in rows], index[rows], palette,
                            keep_view=False)
        self._refresh_highlight()

    def _isolated_rows(self) -> np.ndarray | None:
        if not self.isolate_box.isChecked() or self.selected < 0:
            return None
        return np.asarray([self.selected, *self._neighbour_rows], dtype=np.int64)

    def _refresh_highlight(self) -> None:
        if self._isolated_rows() is not None:
            self.active_view().set_highlight(0, range(1, 1 + len(self._neighbour_rows)))
        else:
            self.active_view().set_highlight(self.selected, self._neighbour_rows, self._matches[:MAX_MATCHES])

    # --- search, selection, neighbours ---------------------------------------------------------------------
    def run_search(self) -> None:
        pattern = self.search_edit.text()
        if self._joined is None:
            self._joined = join_labels(self.labels)
        try:
            self._matches = search_labels(self.labels, pattern, self.regex_box.isChecked(), *self._joined)
        except ValueError as exc:
            self._matches = np.zeros(0, np.int64)
            self.match_label.setText(str(exc))
            return
        self.match_label.setText(self.tr("{value:,} match{value2}")
                                 .format(value=len(self._matches), value2='es' if len(self._matches) != 1 else '')
                                 if pattern else "")
        if len(self._matches):
            exact = [i for i in self._matches[:MAX_MATCHES].tolist() if self.labels[i] == pattern]
            self.select(exact[0] if exact else int(self._matches[0]))
            if self._isolated_rows() is None:
                self.active_view().zoom_to([self.selected])
        else:
            self._refresh_highlight()

    def select(self, row: int) -> None:
        if self._isolated_rows() is not None and row >= 0:  # a click in the isolated view: map back
            row = int(self._isolated_rows()[row])
        self.selected = row if 0 <= row < len(self.labels) else -1
        self._neighbour_rows = []
        self.table.setRowCount(0)
        self.neighbour_title.setText(self.tr("Nearest to <b>{value}</b> ({value2}, original space):")
                                     .format(value=self.labels[self.selected],
                                             value2=self.metric_box.currentText()) if self.selected >= 0 else
                                     self.tr("Click a point or search a word to see its nearest neighbours."))
        self._refresh_highlight()
        self.pointSelected.emit(self.selected)
        self._ask_neighbours()

    def _ask_neighbours(self) -> None:
        if self.selected >= 0:
            self.neighboursRequested.emit(self.selected, self.k_box.value(), current_key(self.metric_box))

    def set_neighbours(self, rows: Sequence[int], distances: Sequence[float], title: str = "") -> None:
        self._neighbour_rows = [int(r) for r in rows]
        if title:
            self.neighbour_title.setText(title)
        self.table.setRowCount(len(self._neighbour_rows))
        for i, (r, d) in enumerate(zip(self._neighbour_rows, distances)):
            self.table.setItem(i, 0, QTableWidgetItem(str(self.labels[r])))
            self.table.setItem(i, 1, QTableWidgetItem(f"{float(d):.4f}"))
        if self.isolate_box.isChecked():
            self._show_points(keep_view=False)
        else:
            self._refresh_highlight()

    def neighbour_words(self) -> list[str]:
        return [self.table.item(i, 0).text() for i in range(self.table.rowCount())]

    def _select_listed(self, table_row: int) -> None:
        if 0 <= table_row < len(self._neighbour_rows):
            self.select(self._neighbour_rows[table_row])

    # --- requests ------------------------------------------------------------------------------------------
    def _ask_source(self) -> None:
        self.sourceRequested.emit(str(self.source_box.currentData()), self.layer_box.value())

    def projection_settings(self) -> dict:
        return {"method": str(self.method_box.currentData()), "n_components": 2 + self.dims_box.currentIndex(),
                "perplexity": self.perplexity.value(), "exaggeration": self.exaggeration.value(),
                "n_neighbors": self.n_neighbors.value(), "min_dist": self.min_dist.value(), "seed": self.seed.value()}

    def _ask_project(self) -> None:
        self.projectRequested.emit(self.projection_settings())

    def _ask_analogy(self) -> None:
        words = [e.text().strip() for e in self.analogy_edits]
        if all(words):
            self.analogyRequested.emit(*words)

    def _ask_import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Import vectors"), "",
                                              self.tr("Vectors (*.txt *.vec *.bin *.tsv);;All files (*)"))
        if path:
            self.importRequested.emit(path)

    def _ask_export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, self.tr("Export vectors"), "vectors.txt",
                                              self.tr("word2vec text (*.txt);;word2vec binary (*.bin);;TensorBoard TSV "
                                                      "(*.tsv)"))
        if path:
            self.exportRequested.emit(path)

    def _ask_corpus(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Corpus for word2vec"), "", self.tr("Text (*.txt);;All "
                                                                                                "files (*)"))
        if path:
            self.corpus_edit.setText(path)

    def word2vec_form(self) -> Word2VecForm:
        return Word2VecForm(corpus=self.corpus_edit.text(), sg=self.arch_box.currentIndex() == 0,
                            subsample=self.subsample.value(), **{k: b.value() for k, b in self.w2v.items()})

    def set_word2vec_form(self, form: Word2VecForm) -> None:
        self.corpus_edit.setText(form.corpus)
        self.arch_box.setCurrentIndex(0 if form.sg else 1)
        self.subsample.setValue(form.subsample)
        for name, box in self.w2v.items():
            box.setValue(getattr(form, name))

    def set_training(self, running: bool, status: str = "", losses: Sequence[float] = ()) -> None:
        self.train_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        self.train_status.setText(status)
        if losses:
            self.loss_plot.setVisible(True)
            self.loss_curve.setData(np.asarray(losses, dtype=float))

    # --- state ---------------------------------------------------------------------------------------------
    def state(self, **source: object) -> ProjectorState:
        p = self.projection_settings()
        return ProjectorState(
            method=p["method"], n_components=p["n_components"], perplexity=p["perplexity"],
            exaggeration=p["exaggeration"], n_neighbors=p["n_neighbors"], min_dist=p["min_dist"], seed=p["seed"],
            metric=current_key(self.metric_box), k=self.k_box.value(), colour_by=current_key(self.colour_box),
            search=self.search_edit.text(), regex=self.regex_box.isChecked(), selected=self.selected,
            word2vec=self.word2vec_form(), labels=tuple(self.labels), coords=self.coords, **source)

    def set_settings(self, state: ProjectorState) -> None:
        """The controls of ``state`` (its points are shown by :meth:`set_points`)."""
        self.source_box.setCurrentIndex(max(0, self.source_box.findData(state.source)))
        self.layer_box.setValue(state.layer)
        self.method_box.setCurrentIndex(max(0, self.method_box.findData(state.method)))
        self.dims_box.setCurrentIndex(state.n_components - 2)
        self.perplexity.setValue(state.perplexity)
        self.exaggeration.setValue(state.exaggeration)
        self.n_neighbors.setValue(state.n_neighbors)
        self.min_dist.setValue(state.min_dist)
        self.seed.setValue(state.seed)
        self.metric_box.blockSignals(True)
        self.k_box.blockSignals(True)
        set_key(self.metric_box, state.metric)
        self.k_box.setValue(state.k)
        self.metric_box.blockSignals(False)
        self.k_box.blockSignals(False)
        self.regex_box.blockSignals(True)
        self.regex_box.setChecked(state.regex)
        self.regex_box.blockSignals(False)
        self.search_edit.setText(state.search)
        self.set_word2vec_form(state.word2vec)
        if state.colour_by in self.columns:
            set_key(self.colour_box, state.colour_by)
