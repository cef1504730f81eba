"""Tokenizer explorer: one text seen by jieba, by BPE learned step by step, by the model's tokenizer and as bytes.

The panel is the text box and four tabs (:mod:`.jieba`, :mod:`.bpe`, :mod:`.vocab`, :mod:`.compare`); it draws plain
values, shows and edits its settings as a :class:`~lmscope.widgets.tokenizer.state.TokenizerState`, and reports intent
through signals. Typing is debounced so a sentence is segmented once the user pauses, not at every keystroke.
"""
from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QTabWidget, QVBoxLayout, QWidget

from lmscope.widgets.style import cjk_font
from lmscope.widgets.tokenizer.bpe import BpeTab
from lmscope.widgets.tokenizer.compare import CompareTab
from lmscope.widgets.tokenizer.jieba import JiebaTab, scrolled
from lmscope.widgets.tokenizer.state import MAX_TEXT, TABS, TokenizerState
from lmscope.widgets.tokenizer.vocab import VocabTab

TAB_TITLES = ("jieba", QT_TRANSLATE_NOOP("TokenizerPanel", "BPE step by step"),
              QT_TRANSLATE_NOOP("TokenizerPanel", "Model vocabulary && bytes"),
              QT_TRANSLATE_NOOP("TokenizerPanel", "Compare"))  # in TABS order
TYPING_PAUSE_MS = 250


class TokenizerPanel(QWidget):
    textChanged = Signal(str)  # after a pause in typing, or at once on Return
    tabChanged = Signal(str)  # "jieba", "bpe", "vocab" or "compare"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.text_edit = QLineEdit()
        self.text_edit.setFont(cjk_font(12))
        self.text_edit.setMaxLength(MAX_TEXT)
        self.text_edit.setPlaceholderText(self.tr("Type a text, e.g. 我们一起来学习大语言模型"))
        self.text_edit.setClearButtonEnabled(True)
        self.status_label = QLabel("")
        self.status_label.setStyleSheet("color: #b06000")
        self.jieba = JiebaTab()
        self.bpe = BpeTab()
        self.vocab = VocabTab()
        self.compare = CompareTab()
        self.tabs = QTabWidget()
        # Each tab scrolls when the dock is shorter or narrower than the tab needs, so the panel never forces
        # the main window to grow.
        self._pages = dict(zip(TABS, (self.jieba, self.bpe, self.vocab, self.compare)))
        for page, title in zip(self._pages.values(), map(self.tr, TAB_TITLES)):
            self.tabs.addTab(scrolled(page), title)
        self._typing = QTimer(self)
        self._typing.setSingleShot(True)
        self._typing.setInterval(TYPING_PAUSE_MS)
        self._typing.timeout.connect(self._emit_text)
        self.tabs.currentChanged.connect(self._emit_tab)
        self.text_edit.textEdited.connect(lambda _: self._typing.start())
        self.text_edit.returnPressed.connect(self._emit_text)
        row = QHBoxLayout()
        row.addWidget(QLabel(self.tr("Text")))
        row.addWidget(self.text_edit, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(row)
        layout.addWidget(self.status_label)
        layout.addWidget(self.tabs, 1)
        self.set_status("")

    @property
    def current_tab(self) -> str:
        """"jieba", "bpe", "vocab" or "compare"."""
        return list(self._pages)[max(0, self.tabs.currentIndex())]

    def show_tab(self, name: str) -> None:
        self.tabs.setCurrentIndex(list(self._pages).index(name))

    @property
    def text(self) -> str:
        return self.text_edit.text()

    def set_text(self, text: str) -> None:
        """Show ``text`` without reporting it (the binding already knows)."""
        self.text_edit.setText(text[:MAX_TEXT])

    def state(self) -> TokenizerState:
        """The text, the tab and each tab's settings as shown; what only the binding knows (whether the text
        follows the capture, what BPE was trained on) is left at its default for the binding to fill in."""
        return TokenizerState(text=self.text, tab=max(0, self.tabs.currentIndex()), jieba=self.jieba.state(),
                              bpe=self.bpe.state())

    def set_state(self, state: TokenizerState) -> None:
        """Show the text, the tab, jieba's options and user words and the BPE form (restoring a session)."""
        self.set_text(state.text)
        self.tabs.setCurrentIndex(state.tab)
        self.jieba.set_state(state.jieba)
        self.bpe.set_state(state.bpe)

    def set_status(self, message: str) -> None:
        """One line about what is going on (loading jieba, waiting for the worker, a bad input)."""
        self.status_label.setText(message)
        self.status_label.setVisible(bool(message))

    def _emit_tab(self, _index: int) -> None:
        self.tabChanged.emit(self.current_tab)

    def _emit_text(self) -> None:
        self._typing.stop()
        self.textChanged.emit(self.text_edit.text())
