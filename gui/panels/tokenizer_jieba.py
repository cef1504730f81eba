"""The jieba side of the tokenizer explorer: the private segmenter, the segmentation of the text, the user words.

jieba's dictionary loads in the worker the first time a text needs it (about a second); after that a sentence is
segmented directly (~1 ms). While a job holds the segmenter nothing here reads it: the user words it was started
with stand in for it.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QT_TRANSLATE_NOOP, QObject

from lmscope.backend.errors import LmscopeError
from lmscope.backend.tokenize.jobs import SegmenterReady, Segmented, SegmentRequest, load_segmenter_job, segment_text
from lmscope.backend.tokenize.segment import Segmenter, UserWord
from lmscope.backend.tokenize.spans import TokenSpan, jieba_spans
from lmscope.gui.panels import tokenizer_views as views
from lmscope.widgets.tokenizer.state import JiebaState

if TYPE_CHECKING:
    from lmscope.gui.panels.tokenizer import TokenizerBinding

JIEBA_JOB = QT_TRANSLATE_NOOP("JiebaPart", "Loading jieba's dictionary")


def user_words(state: JiebaState) -> list[UserWord]:
    return [UserWord(word, freq, tag or None)
            for word, freq, tag in zip(state.user_words, state.user_freqs, state.user_tags)]


class JiebaPart(QObject):
    """Owns the segmenter and its state ("unloaded", "loading" while a job holds it, then "ready")."""

    kind = "jieba"

    def __init__(self, host: "TokenizerBinding") -> None:
        super().__init__(host)
        self.host, self.panel, self.tab = host, host.panel, host.panel.jieba
        self.segmenter = Segmenter()
        self.status = "unloaded"
        self.segmented: Segmented | None = None
        self._pending_words: list[UserWord] | None = None  # restored words waiting for the dictionary
        self._loading_words: list[UserWord] = []
        self.tab.optionsChanged.connect(self.on_options)
        self.tab.addWordRequested.connect(self.on_add_word)
        self.tab.removeWordRequested.connect(self.on_remove_word)
        self.tab.loadDictionaryRequested.connect(self.on_load_dictionary)
        self.tab.spanClicked.connect(self.on_word_clicked)

    @property
    def ready(self) -> bool:
        return self.status == "ready"

    def request(self) -> SegmentRequest:
        return SegmentRequest(self.panel.text, self.tab.mode, self.tab.hmm, self.tab.pos)

    # --- the job -------------------------------------------------------------------------------------------
    def on_ready(self, event: SegmenterReady) -> None:
        self.status = "ready"
        self.tab.set_ready(True)
        self.panel.set_status("")
        self.segmented = event.segmented
        if self._pending_words is not None:  # restored while it loaded: its result is out of date
            self._apply_user_words(self._pending_words)
        self.refresh()

    def job_over(self) -> None:
        """A job of ours ended without making the segmenter ready (cancelled or failed)."""
        if self.status == "loading":
            self.status = "ready" if self.segmenter.loaded else "unloaded"
            self.tab.set_ready(self.ready)

    def _load(self, request: SegmentRequest | None, dictionary: str | None = None) -> None:
        words = list(self._pending_words or [])
        known = self._known_words() + words  # read now: once the job starts, the worker owns the segmenter

        def started() -> None:
            self._loading_words = known
            self.status = "loading"
            self.tab.set_ready(False)
            self._pending_words = None
            self.panel.set_status(self.tr("Loading jieba's dictionary (about a second, the first time)…")
                                  if not dictionary else
                                  self.tr("Reading the user dictionary {path}…").format(path=dictionary))

        self.host.start(self, self.tr(JIEBA_JOB), lambda: load_segmenter_job(self.segmenter, words, request,
                                                                             dictionary),
                        started)

    # --- segmenting ----------------------------------------------------------------------------------------
    def on_options(self) -> None:
        self.refresh(load=True)

    def refresh(self, load: bool = False) -> None:
        """Segment the text directly once jieba is loaded; before that, load it in the worker if asked to. The
        comparison follows."""
        request = self.request()
        if self.ready and request.text.strip():
            if self.segmented is None or self.segmented.request != request:
                try:
                    self.segmented = segment_text(self.segmenter, request)
                except LmscopeError as error:
                    self.panel.set_status(str(error))
                    return
            self._show()
        elif self.status == "unloaded" and load and request.text.strip():
            self._load(request)
        self.host.refresh_compare()

    def _show(self) -> None:
        segmented = self.segmented
        assert segmented is not None
        row, table, legend = views.jieba_row(segmented, self.segmenter)
        self.tab.set_words(len(segmented.request.text), row, table, legend)
        arcs, labels, marks, han, summary = views.dag_view(segmented.explanation)
        if segmented.explained_chars < len(segmented.request.text):
            summary += "<br>" + self.tr("(The picture shows the first {n} characters.)").format(
                n=segmented.explained_chars)
        self.tab.set_explanation(segmented.explanation.text, arcs, labels, marks, han, summary)
        self.tab.set_user_words([(w.word, w.freq, w.tag or "") for w in self._known_words()])

    def spans(self, text: str) -> list[TokenSpan] | None:
        """jieba's words of ``text`` as token spans, when the segmentation on show is of that text."""
        if self.ready and self.segmented is not None and self.segmented.request.text == text:
            return jieba_spans(self.segmented.tokens, self.segmenter)
        return None

    def on_word_clicked(self, row: int, index: int) -> None:
        self.host.select_at(self.tab.span(row, index))

    # --- user words ----------------------------------------------------------------------------------------
    def _known_words(self) -> list[UserWord]:
        """The user words; while a job holds the segmenter, the ones it was started with (never read it then)."""
        if self.status != "loading":
            self._loading_words = self.segmenter.user_words()
        return list(self._loading_words)

    def _change_words(self, change: Callable[[], object]) -> None:
        if not self.ready:
            return
        try:
            change()
        except LmscopeError as error:
            self.panel.set_status(str(error))
            return
        self.panel.set_status("")
        self.segmented = None
        self.refresh()

    def on_add_word(self, word: str, freq: int, tag: str) -> None:
        self._change_words(lambda: self.segmenter.add_word(word, None if freq < 0 else freq, tag or None))

    def on_remove_word(self, word: str) -> None:
        self._change_words(lambda: self.segmenter.remove_word(word))

    def on_load_dictionary(self, path: str) -> None:
        if self.ready:
            self._load(self.request() if self.panel.text.strip() else None, dictionary=path)

    def _apply_user_words(self, words: list[UserWord]) -> None:
        """Make the user words exactly ``words`` (restoring a session)."""
        self._pending_words = None
        for old in self.segmenter.user_words():
            self.segmenter.remove_word(old.word)
        for word in words:
            try:
                self.segmenter.add_word(word.word, word.freq, word.tag)
            except LmscopeError as error:
                self.panel.set_status(str(error))
        self.segmented = None

    # --- session -------------------------------------------------------------------------------------------
    def state(self, shown: JiebaState) -> JiebaState:
        """``shown`` (the tab's options) with the user words: the restored ones still waiting for the
        dictionary, else the segmenter's."""
        words = self._pending_words if self._pending_words is not None else self._known_words()
        return shown.replace(user_words=tuple(w.word for w in words), user_freqs=tuple(w.freq for w in words),
                             user_tags=tuple(w.tag or "" for w in words))

    def apply_state(self, state: JiebaState) -> None:
        """Take the saved user words: now if the dictionary is loaded, else once it is (the tab shows the
        options already)."""
        words = user_words(state)
        if self.ready:
            self._apply_user_words(words)
        else:
            self._pending_words = words
