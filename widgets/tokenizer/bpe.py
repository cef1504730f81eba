"""The BPE tab: train on a source, replay the merges step by step, see the corpus and pair counts at each step,
and encode new text with the merges learned so far.

Replay is a slider over k = 0 … number of merges ("after k merges"); Step, Back and Play move it. The widget draws
what it is given for step k and reports every move through ``stepChanged(k)``.
"""
from __future__ import annotations

import html

from PySide6.QtCore import QT_TRANSLATE_NOOP, QTimer, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QFileDialog, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QSlider, QSpinBox,
    QSplitter, QStackedWidget, QTextBrowser, QVBoxLayout, QWidget,
)

from lmscope.widgets.style import PALETTE, cjk_font
from lmscope.widgets.tokenizer.jieba import scrolled
from lmscope.widgets.tokenizer.spans import SpanRow, SpanRowsView
from lmscope.widgets.tokenizer.state import MAX_MERGES, BpeState
from lmscope.widgets.tokenizer.tables import RowsModel, make_table

SOURCES = [("demo", QT_TRANSLATE_NOOP("BpeTab", "demo corpus")), ("file", QT_TRANSLATE_NOOP("BpeTab", "text file")),
           ("words", QT_TRANSLATE_NOOP("BpeTab", "word list"))]
EOW = "</w>"
PLAY_INTERVAL_MS = 150
SYMBOL_SHADES = ("#c9ddf0", "#f0d9b0")
WORD_JOINER = "\u2060"
EOW_HTML = WORD_JOINER.join(html.escape(ch) for ch in EOW)
MAX_WORDS_SHOWN = 500  # word types drawn in the corpus view; the rest are counted

# One word type at a step: (word, count, symbols, indices of the symbols the step's merge made)
WordView = tuple[str, int, tuple[str, ...], tuple[int, ...]]


class BpeTab(QWidget):
    trainRequested = Signal(str, str, str, int)  # source kind, word list, file path, merges
    stepChanged = Signal(int)  # k: show the state after the first k merges
    encodeRequested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._words: list[WordView] = []
        self._merges: list[tuple[int, str, str, int]] = []
        self._label = ""
        self._play = QTimer(self)
        self._play.setInterval(PLAY_INTERVAL_MS)
        self._play.timeout.connect(self._on_play_tick)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self._build_source())
        layout.addLayout(self._build_replay())
        layout.addWidget(self.step_label)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self._build_tables())
        splitter.addWidget(self._build_encoder())
        splitter.setSizes([440, 170])
        layout.addWidget(splitter, 1)
        self.set_merges([], "")

    # --- construction --------------------------------------------------------------------------------------
    def _build_source(self) -> QGroupBox:
        self.source_box = QComboBox()
        for key, label in SOURCES:
            self.source_box.addItem(self.tr(label), key)
        self.words_edit = QLineEdit("low:5, lower:2, newest:6, widest:3")
        self.words_edit.setToolTip(self.tr("word:count items separated by commas; each word gets the end marker </w>"))
        self.path_edit = QLineEdit()
        self.path_edit.setPlaceholderText(self.tr("a UTF-8 text file"))
        browse = QPushButton(self.tr("Browse…"))
        browse.clicked.connect(self._on_browse)
        file_row = QWidget()
        file_layout = QHBoxLayout(file_row)
        file_layout.setContentsMargins(0, 0, 0, 0)
        file_layout.addWidget(self.path_edit, 1)
        file_layout.addWidget(browse)
        self.source_stack = QStackedWidget()
        for widget in (QLabel(self.tr("Chinese and English text about LLMs")), file_row, self.words_edit):
            self.source_stack.addWidget(widget)
        self.source_box.currentIndexChanged.connect(self.source_stack.setCurrentIndex)
        self.merges_spin = QSpinBox()
        self.merges_spin.setRange(0, MAX_MERGES)
        self.merges_spin.setValue(200)
        self.train_button = QPushButton(self.tr("Train"))
        self.train_button.clicked.connect(self._on_train)
        self.rule_label = QLabel("")
        self.rule_label.setWordWrap(True)
        self.rule_label.setStyleSheet("color: #707070")
        row = QHBoxLayout()
        row.addWidget(QLabel(self.tr("Train on")))
        row.addWidget(self.source_box)
        row.addWidget(self.source_stack, 1)
        row.addWidget(QLabel(self.tr("merges")))
        row.addWidget(self.merges_spin)
        row.addWidget(self.train_button)
        box = QGroupBox(self.tr("BPE: merge the most frequent adjacent pair, again and again"))
        box.setToolTip(self.tr("Sennrich, Haddow and Birch 2016 (arXiv 1508.07909)"))
        layout = QVBoxLayout(box)
        layout.addLayout(row)
        layout.addWidget(self.rule_label)
        return box

    def _build_replay(self) -> QHBoxLayout:
        """First / Back / Step / Play and the slider; the step's merge is written on the line below."""
        self.first_button = QPushButton("|◀")
        self.first_button.setToolTip(self.tr("Back to the characters (0 merges)"))
        self.back_button = QPushButton(self.tr("◀ Back"))
        self.step_button = QPushButton(self.tr("Step ▶"))
        self.play_button = QPushButton(self.tr("Play"))
        self.play_button.setCheckable(True)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.step_label = QLabel("")
        self.step_label.setFont(cjk_font(11))
        self.first_button.clicked.connect(lambda: self.slider.setValue(0))
        self.back_button.clicked.connect(lambda: self.slider.setValue(self.slider.value() - 1))
        self.step_button.clicked.connect(self.step)
        self.play_button.toggled.connect(self._on_play)
        self.slider.valueChanged.connect(self._on_slider)
        row = QHBoxLayout()
        for widget in (self.first_button, self.back_button, self.step_button, self.play_button):
            row.addWidget(widget)
        row.addWidget(self.slider, 1)
        return row

    def _build_tables(self) -> QSplitter:
        self.merge_model = RowsModel([self.tr("rank"), self.tr("pair"), self.tr("count"), self.tr("new symbol")])
        self.merge_table = make_table(self.merge_model)
        self.merge_table.setMinimumWidth(230)  # rank, pair, count and most of the new symbol
        self.merge_table.clicked.connect(lambda index: self.slider.setValue(index.row() + 1))
        merges_box = QGroupBox(self.tr("Merge table"))
        merges_box.setToolTip(self.tr("Click a row to replay up to that merge"))
        QVBoxLayout(merges_box).addWidget(self.merge_table)
        self.corpus_view = QTextBrowser()
        self.corpus_view.setFont(cjk_font(13))
        self.changed_only = QCheckBox(self.tr("only words this merge changed"))
        self.changed_only.toggled.connect(self._render_corpus)
        self.corpus_label = QLabel("")
        self.corpus_label.setWordWrap(True)
        corpus_box = QGroupBox(self.tr("Corpus at this step"))
        corpus_box.setToolTip(self.tr("Every word type split into its symbols; what the last merge made is orange"))
        corpus_layout = QVBoxLayout(corpus_box)
        head = QHBoxLayout()
        head.addWidget(self.corpus_label, 1)
        head.addWidget(self.changed_only)
        corpus_layout.addLayout(head)
        corpus_layout.addWidget(self.corpus_view, 1)
        self.pair_model = RowsModel([self.tr("pair"), self.tr("count")])
        self.pair_table = make_table(self.pair_model, stretch=0)
        pairs_box = QGroupBox(self.tr("Pair counts"))
        pairs_box.setToolTip(self.tr("Adjacent pairs weighted by word count at this step; the top row merges next"))
        QVBoxLayout(pairs_box).addWidget(self.pair_table)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        for widget in (merges_box, corpus_box, pairs_box):
            splitter.addWidget(widget)
        for index, stretch in enumerate((3, 5, 2)):
            splitter.setStretchFactor(index, stretch)
        return splitter

    def _build_encoder(self) -> QGroupBox:
        self.encode_edit = QLineEdit("lowest")
        self.encode_edit.returnPressed.connect(lambda: self.encodeRequested.emit(self.encode_edit.text()))
        self.encode_edit.textEdited.connect(self.encodeRequested.emit)
        self.encode_view = SpanRowsView()
        self.encode_order = QLabel("")
        self.encode_order.setWordWrap(True)
        self.encode_order.setFont(cjk_font(10))
        self.encode_order.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        row = QHBoxLayout()
        row.addWidget(QLabel(self.tr("Encode")))
        row.addWidget(self.encode_edit, 1)
        box = QGroupBox(self.tr("Encode with the merges so far"))
        box.setToolTip(self.tr("New text is encoded with the merges up to this step, applied in rank order"))
        layout = QVBoxLayout(box)
        layout.addLayout(row)
        encode_area = scrolled(self.encode_view)
        encode_area.setMinimumHeight(64)
        layout.addWidget(encode_area, 1)
        layout.addWidget(self.encode_order)
        return box

    # --- data in -------------------------------------------------------------------------------------------
    @property
    def step_value(self) -> int:
        return self.slider.value()

    @property
    def n_merges(self) -> int:
        return self.slider.maximum()

    @property
    def encode_text(self) -> str:
        """The text in the encoder box."""
        return self.encode_edit.text()

    def state(self) -> BpeState:
        """The training form and the replay step; what was trained, and on what, is the binding's to add."""
        return BpeState(source=str(self.source_box.currentData()), words=self.words_edit.text(),
                        path=self.path_edit.text(), merges_asked=self.merges_spin.value(), step=self.step_value)

    def set_state(self, state: BpeState) -> None:
        """Show the training form (the step follows once the merges are in, with :meth:`set_step`)."""
        self.set_source(state.source, state.words, state.path, state.merges_asked)

    def set_source(self, kind: str, words: str, path: str, merges: int) -> None:
        self.source_box.setCurrentIndex(max(0, self.source_box.findData(kind)))
        self.words_edit.setText(words)
        self.path_edit.setText(path)
        self.merges_spin.setValue(merges)

    def set_rules(self, text: str) -> None:
        self.rule_label.setText(text)

    def set_training(self, running: bool) -> None:
        self.train_button.setEnabled(not running)
        self.train_button.setText(self.tr("Training…") if running else self.tr("Train"))

    def set_merges(self, merges: list[tuple[int, str, str, int]], label: str) -> None:
        """The learned merges as (rank, left, right, count); the replay goes back to step 0."""
        self.play_button.setChecked(False)
        display = [(f"{r}", f"{_sym(a)} + {_sym(b)}", f"{c:,}", _sym(a + b)) for r, a, b, c in merges]
        self.merge_model.set_rows([(r, f"{a} {b}", c, a + b) for r, a, b, c in merges], display)
        self.slider.blockSignals(True)
        self.slider.setRange(0, len(merges))
        self.slider.setValue(0)
        self.slider.blockSignals(False)
        for widget in (self.first_button, self.back_button, self.step_button, self.play_button, self.slider):
            widget.setEnabled(bool(merges))
        self._merges = merges
        self._label = label
        self._show_step_label()

    def set_step(self, k: int) -> None:
        """Move the replay without reporting it (restoring a session)."""
        self.slider.blockSignals(True)
        self.slider.setValue(k)
        self.slider.blockSignals(False)
        self._show_step_label()

    def set_step_view(self, words: list[WordView], pairs: list[tuple[str, str, int]]) -> None:
        self._words = list(words)
        self._render_corpus()
        display = [(f"{_sym(a)} + {_sym(b)}", f"{c:,}") for a, b, c in pairs]
        self.pair_model.set_rows([(f"{a} {b}", c) for a, b, c in pairs], display)
        self.pair_model.mark(0 if pairs else -1)

    def set_encoding(self, n_units: int, row: SpanRow, applied: list[str]) -> None:
        self.encode_view.set_rows(n_units, [row])
        self.encode_order.setText(self.tr("Merges applied, in order: {merges}").format(
            merges=" → ".join(applied) if applied else self.tr("none")))

    # --- drawing -------------------------------------------------------------------------------------------
    def _show_step_label(self) -> None:
        k = self.slider.value()
        total = len(self._merges)
        if not total:
            self.step_label.setText(self.tr("Train to replay the merges."))
        elif k == 0:
            self.step_label.setText(self.tr("step 0 / {total}: characters + {EOW}").format(total=total, EOW=EOW))
        else:
            _, a, b, c = self._merges[k - 1]
            self.step_label.setText(self.tr("step {k} / {total}: {value} + {value2} → {value3} ({c:,})")
                                    .format(k=k, total=total, value=_sym(a), value2=_sym(b), value3=_sym(a + b), c=c))
        self.merge_model.mark(k - 1 if k > 0 else -1)
        if k > 0:
            self.merge_table.scrollTo(self.merge_model.index(k - 1, 0))

    def _render_corpus(self) -> None:
        words = [w for w in self._words if w[3]] if self.changed_only.isChecked() else self._words
        changed = sum(1 for w in self._words if w[3])
        shown = words[:MAX_WORDS_SHOWN]
        self.corpus_label.setText(self.tr("{label}: {types:,} word types, {changed:,} changed by this step").format(
            label=self._label, types=len(self._words), changed=changed)
            + (self.tr("; showing {n:,}").format(n=len(shown)) if len(shown) < len(words) else ""))
        parts = [_word_html(w) for w in shown]
        self.corpus_view.setHtml("<div style='line-height: 150%'>" + " &nbsp; ".join(parts) + "</div>")

    # --- user intent ---------------------------------------------------------------------------------------
    def step(self) -> None:
        self.slider.setValue(self.slider.value() + 1)

    def _on_slider(self, k: int) -> None:
        self._show_step_label()
        self.stepChanged.emit(k)

    def _on_play(self, playing: bool) -> None:
        self.play_button.setText(self.tr("Pause") if playing else self.tr("Play"))
        if playing and self.slider.value() >= self.slider.maximum():
            self.slider.setValue(0)
        if playing:
            self._play.start()
        else:
            self._play.stop()

    def _on_play_tick(self) -> None:
        if self.slider.value() >= self.slider.maximum():
            self.play_button.setChecked(False)
        else:
            self.step()

    def _on_train(self) -> None:
        self.trainRequested.emit(str(self.source_box.currentData()), self.words_edit.text(), self.path_edit.text(),
                                 self.merges_spin.value())

    def _on_browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Train BPE on a text file"), "",
                                              self.tr("Text files (*.txt);;All (*)"))
        if path:
            self.path_edit.setText(path)


def _sym(symbol: str) -> str:
    """A symbol as the tables show it: spaces visible, the end marker kept as is."""
    return symbol.replace(" ", "␣") if symbol else "∅"


def _word_html(word: WordView) -> str:
    text, count, symbols, changed = word
    pieces = []
    for i, symbol in enumerate(symbols):
        core, eow = (symbol[:-len(EOW)], True) if symbol.endswith(EOW) else (symbol, False)
        shown = html.escape(core) + (f"<span style='color:#707070; font-size:small'>{EOW_HTML}</span>"
                                     if eow else "")
        # Neighbouring symbols alternate shades so every boundary shows; what the merge just made is orange.
        shade = SYMBOL_SHADES[i % 2]
        style = f"background-color:{PALETTE[1]}; font-weight:bold" if i in changed else f"background-color:{shade}"
        pieces.append(f"<span style='{style}'>{shown}</span>")
    # Word joiners keep a word on one line: a break inside it (or inside </w>) would read as a symbol boundary.
    return WORD_JOINER.join(pieces) + f"{WORD_JOINER}<sub style='color:#8a8a8a'>×{count}</sub>"
