"""The jieba tab of the tokenizer explorer: words (with POS tags and offsets), the DAG/route/HMM picture, user words.

Fed plain values by the binding; reports the user's intent (options, user-word edits) through signals.
"""
from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QFileDialog, QFrame, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QScrollArea,
    QSpinBox, QSplitter, QTextBrowser, QVBoxLayout, QWidget,
)

from lmscope.widgets.style import PALETTE
from lmscope.widgets.tokenizer.dag import Arc, DagView, HmmMark
from lmscope.widgets.tokenizer.spans import Span, SpanRow, SpanRowsView
from lmscope.widgets.tokenizer.state import JiebaState
from lmscope.widgets.tokenizer.tables import RowsModel, make_table

MODES = [
    ("precise", QT_TRANSLATE_NOOP("JiebaTab", "precise"),
     QT_TRANSLATE_NOOP("JiebaTab", "The route dynamic programming picks through the DAG (jieba.cut, the default).")),
    ("full", QT_TRANSLATE_NOOP("JiebaTab", "full (cut_all)"),
     QT_TRANSLATE_NOOP("JiebaTab", "Every dictionary word found in the sentence, overlapping "
                                   "(jieba.cut(cut_all=True)).")),
    ("search", QT_TRANSLATE_NOOP("JiebaTab", "search (cut_for_search)"),
     QT_TRANSLATE_NOOP("JiebaTab", "Precise mode, plus the 2- and 3-character dictionary words inside longer words "
                                   "(jieba.cut_for_search).")),
]
AUTO_FREQ = -1  # the frequency spin box's "auto": let jieba suggest one just high enough to keep the word whole



def scrolled(widget: QWidget, resizable: bool = True) -> QScrollArea:
    area = QScrollArea()
    area.setWidget(widget)
    area.setWidgetResizable(resizable)
    area.setFrameShape(QFrame.Shape.NoFrame)
    return area


class JiebaTab(QWidget):
    optionsChanged = Signal()  # read mode / hmm / pos
    addWordRequested = Signal(str, int, str)  # word, frequency (AUTO_FREQ: suggested), POS tag ("" for none)
    removeWordRequested = Signal(str)
    loadDictionaryRequested = Signal(str)  # path of a jieba user dictionary
    spanClicked = Signal(int, int)  # row, span index in the strip of words (see span())

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._build_controls()
        self._build_views()
        self.mode_box.currentIndexChanged.connect(self._on_options)
        self.hmm_box.toggled.connect(self._on_options)
        self.pos_box.toggled.connect(self._on_options)
        self.add_button.clicked.connect(self._on_add)
        self.word_edit.returnPressed.connect(self._on_add)
        self.remove_button.clicked.connect(self._on_remove)
        self.load_button.clicked.connect(self._on_load)
        self.set_ready(False)

    # --- construction --------------------------------------------------------------------------------------
    def _build_controls(self) -> None:
        self.mode_box = QComboBox()
        for i, (key, label, tip) in enumerate(MODES):
            self.mode_box.addItem(self.tr(label), key)
            self.mode_box.setItemData(i, self.tr(tip), Qt.ItemDataRole.ToolTipRole)
        self.hmm_box = QCheckBox(self.tr("HMM for unknown words"))
        self.hmm_box.setChecked(True)
        self.pos_box = QCheckBox(self.tr("POS tags"))
        self.pos_box.setToolTip(self.tr("Part-of-speech tags from jieba.posseg (precise mode only)."))
        self.count_label = QLabel("")
        row = QHBoxLayout()
        row.addWidget(QLabel(self.tr("Mode")))
        row.addWidget(self.mode_box)
        row.addWidget(self.hmm_box)
        row.addWidget(self.pos_box)
        row.addStretch(1)
        row.addWidget(self.count_label)
        self._controls = row

    def _build_views(self) -> None:
        self.words_view = SpanRowsView()
        self.words_view.spanClicked.connect(self.spanClicked)
        words_area = scrolled(self.words_view)
        self.words_view.heightChanged.connect(self._fit_words_area)
        self.legend_label = QLabel("")
        self.legend_label.setWordWrap(True)
        self.legend_label.setVisible(False)
        self.dag_view = DagView()
        legend = QLabel(self.tr("<span style='color:{route}'>━ route (dynamic programming)</span> &nbsp; <span "
                                "style='color:#8fa0b0'>─ dictionary word &nbsp; ╌ unknown character (freq 1)</span> "
                                "&nbsp; <span style='color:{hmm}'>└┘ HMM run: B begin, M middle, E end, S "
                                "single</span> &nbsp; under each node: best log P of the rest").format(
            route=PALETTE[1], hmm=PALETTE[4]))
        legend.setWordWrap(True)
        self.route_label = QTextBrowser()
        self.route_label.setMaximumHeight(92)
        self.route_label.setMinimumHeight(40)
        self.route_label.setFrameShape(QFrame.Shape.NoFrame)
        dag_box = QGroupBox(self.tr("How precise mode decides"))
        dag_layout = QVBoxLayout(dag_box)
        dag_layout.addWidget(legend)
        dag_area = scrolled(self.dag_view)
        dag_area.setMinimumHeight(120)
        dag_layout.addWidget(dag_area, 1)
        dag_layout.addWidget(self.route_label)

        self.tokens_model = RowsModel([self.tr("word"), self.tr("start"), self.tr("end"), self.tr("POS"),
                                       self.tr("dictionary freq")])
        self.tokens_table = make_table(self.tokens_model, stretch=0)
        tokens_box = QGroupBox(self.tr("Words with character offsets"))
        QVBoxLayout(tokens_box).addWidget(self.tokens_table)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(dag_box)
        bottom = QSplitter(Qt.Orientation.Horizontal)
        bottom.addWidget(tokens_box)
        bottom.addWidget(self._build_user_words())
        splitter.addWidget(bottom)
        splitter.setSizes([480, 170])
        splitter.setStretchFactor(0, 3)  # a short dock gives its height to the picture first

        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(self._controls)
        layout.addWidget(words_area)
        layout.addWidget(self.legend_label)
        layout.addWidget(splitter, 1)
        self._words_area = words_area

    def _build_user_words(self) -> QGroupBox:
        self.user_model = RowsModel([self.tr("word"), self.tr("frequency"), self.tr("tag")])
        self.user_table = make_table(self.user_model, stretch=0)
        self.word_edit = QLineEdit()
        self.word_edit.setPlaceholderText(self.tr("word, e.g. 大语言模型"))
        self.freq_spin = QSpinBox()
        self.freq_spin.setRange(AUTO_FREQ, 2_000_000_000)
        self.freq_spin.setSpecialValueText(self.tr("auto"))
        self.freq_spin.setValue(AUTO_FREQ)
        self.freq_spin.setToolTip(self.tr("auto: jieba suggests a frequency just high enough to keep the word whole; "
                                  "0: never cut this word out of the DAG"))
        self.tag_edit = QLineEdit()
        self.tag_edit.setPlaceholderText(self.tr("tag"))
        self.tag_edit.setMaximumWidth(60)
        self.add_button = QPushButton(self.tr("Add / re-weight"))
        self.remove_button = QPushButton(self.tr("Remove"))
        self.remove_button.setToolTip(self.tr("Undo the change to the selected word, restoring jieba's own entry"))
        self.load_button = QPushButton(self.tr("Load user dictionary…"))
        form = QHBoxLayout()
        form.addWidget(self.word_edit, 1)
        form.addWidget(self.freq_spin)
        form.addWidget(self.tag_edit)
        form.addWidget(self.add_button)
        buttons = QHBoxLayout()
        buttons.addWidget(self.remove_button)
        buttons.addWidget(self.load_button)
        buttons.addStretch(1)
        box = QGroupBox(self.tr("User words"))
        layout = QVBoxLayout(box)
        layout.addWidget(self.user_table, 1)
        layout.addLayout(form)
        layout.addLayout(buttons)
        return box

    def _fit_words_area(self, height: int) -> None:
        """The strip of words is as tall as its wrapped lines, up to four lanes; beyond that it scrolls."""
        height = min(160, height + 4)
        self._words_area.setMinimumHeight(height)
        self._words_area.setMaximumHeight(height)

    # --- data in -------------------------------------------------------------------------------------------
    @property
    def mode(self) -> str:
        return str(self.mode_box.currentData())

    @property
    def hmm(self) -> bool:
        return self.hmm_box.isChecked()

    @property
    def pos(self) -> bool:
        return self.pos_box.isChecked() and self.mode == "precise"

    def state(self) -> JiebaState:
        """The options as the boxes show them (``pos`` as ticked, whatever the mode) and the user words listed."""
        rows = [self.user_model.row_values(i) for i in range(self.user_model.rowCount())]
        return JiebaState(mode=self.mode, hmm=self.hmm, pos=self.pos_box.isChecked(),
                          user_words=tuple(str(r[0]) for r in rows), user_freqs=tuple(int(r[1]) for r in rows),
                          user_tags=tuple(str(r[2]) for r in rows))

    def set_state(self, state: JiebaState) -> None:
        """Show these options and user words without reporting them (restoring a session)."""
        self.set_options(state.mode, state.hmm, state.pos)
        self.set_user_words(list(zip(state.user_words, state.user_freqs, state.user_tags)))

    def span(self, row: int, index: int) -> Span:
        """The span ``spanClicked(row, index)`` reported."""
        return self.words_view.rows[row].spans[index]

    def set_options(self, mode: str, hmm: bool, pos: bool) -> None:
        for widget in (self.mode_box, self.hmm_box, self.pos_box):
            widget.blockSignals(True)
        index = self.mode_box.findData(mode)
        self.mode_box.setCurrentIndex(max(0, index))
        self.hmm_box.setChecked(hmm)
        self.pos_box.setChecked(pos)
        self.pos_box.setEnabled(self.mode == "precise")
        for widget in (self.mode_box, self.hmm_box, self.pos_box):
            widget.blockSignals(False)

    def set_ready(self, ready: bool) -> None:
        """User words can be edited once jieba's dictionary is loaded."""
        for widget in (self.add_button, self.remove_button, self.load_button, self.word_edit):
            widget.setEnabled(ready)

    def set_words(self, n_units: int, row: SpanRow, offsets: list[tuple[str, int, int, str, int]],
                  legend: str = "") -> None:
        """The words as aligned spans, as a table of (word, start, end, tag, dictionary frequency), and the
        legend of the POS tags shown (HTML, empty for none)."""
        self.words_view.set_rows(n_units, [row])
        self._fit_words_area(self.words_view.minimumHeight())
        self.count_label.setText(row.summary)
        self.tokens_model.set_rows(offsets)
        self.legend_label.setText(legend)
        self.legend_label.setVisible(bool(legend))

    def set_explanation(self, text: str, arcs: list[Arc], node_labels: list[str], hmm: list[HmmMark],
                        han: list[bool], summary_html: str) -> None:
        self.dag_view.set_dag(text, arcs, node_labels, hmm, han)
        self.route_label.setHtml(summary_html)

    def set_user_words(self, rows: list[tuple[str, int, str]]) -> None:
        self.user_model.set_rows(rows)

    # --- user intent ---------------------------------------------------------------------------------------
    def _on_options(self) -> None:
        self.pos_box.setEnabled(self.mode == "precise")
        self.optionsChanged.emit()

    def _on_add(self) -> None:
        word = self.word_edit.text().strip()
        if word:
            self.addWordRequested.emit(word, self.freq_spin.value(), self.tag_edit.text().strip())

    def _on_remove(self) -> None:
        rows = self.user_table.selectionModel().selectedRows()
        if rows:
            self.removeWordRequested.emit(str(self.user_model.row_values(rows[0].row())[0]))
        elif self.word_edit.text().strip():
            self.removeWordRequested.emit(self.word_edit.text().strip())

    def _on_load(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Load a jieba user dictionary"), "",
                                              self.tr("Text files (*.txt);;All files (*)"))
        if path:
            self.loadDictionaryRequested.emit(path)
