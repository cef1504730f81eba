"""Binds the tokenizer explorer to jieba, our BPE, the loaded model's tokenizer and the document's selection.

The jieba side (:mod:`.tokenizer_jieba`) and the BPE side (:mod:`.tokenizer_bpe`) each own their backend objects
and jobs; this binding owns the text, the comparison of every tokenizer on it, the vocabulary browser, the token
selection shared with the other panels, and the session part (:class:`TokenizerState`). The window has one worker:
a request made while it is busy waits (the panel's status line says so) and starts when it is free.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QObject

from lmscope.backend.tokenize.jobs import BpeTrained, SegmenterReady
from lmscope.backend.tokenize.spans import (
    TokenSpan, bpe_spans, bpe_vocab_size, model_description, model_spans, token_at,
)
from lmscope.gui.panels import tokenizer_views as views
from lmscope.gui.panels.tokenizer_bpe import BpePart
from lmscope.gui.panels.tokenizer_jieba import JiebaPart
from lmscope.widgets.tokenizer.panel import TokenizerPanel
from lmscope.widgets.tokenizer.spans import Span
from lmscope.widgets.tokenizer.state import TokenizerState

if TYPE_CHECKING:
    from lmscope.gui.main_window import MainWindow
    from lmscope.gui.worker import Job, JobFailure

Part = JiebaPart | BpePart
JIEBA_NOTES = {"loading": QT_TRANSLATE_NOOP("TokenizerBinding", "Loading jieba's dictionary…"),
               "unloaded": QT_TRANSLATE_NOOP("TokenizerBinding", "Press Return in the text box to segment with jieba "
                                                                 "(loads its dictionary, ~1 s).")}


class TokenizerBinding(QObject):
    """Owns the text and what every tokenizer makes of it; its jieba and BPE parts own their own state."""

    state_type = TokenizerState

    def __init__(self, window: "MainWindow") -> None:
        super().__init__(window)
        self.window, self.doc = window, window.document
        self.panel = TokenizerPanel()
        window.add_panel("tokenizer", self.panel, self.tr("Tokenizer explorer"))
        self.compare_tab, self.vocab_tab = self.panel.compare, self.panel.vocab
        self.jieba = JiebaPart(self)
        self.bpe = BpePart(self)
        self.jobs: dict[str, Job] = {}  # the latest job of each part ("jieba", "bpe") this panel started
        self._follow_capture = True  # show the current capture's text until the user types another
        self._model_spans: list[TokenSpan] = []
        self._compare_stale = True
        self._connect()
        window.register_session_part("tokenizer", self)
        self.on_model()

    def _connect(self) -> None:
        self.panel.textChanged.connect(self.on_text)
        self.panel.tabChanged.connect(self.on_tab)
        self.compare_tab.spanClicked.connect(self.on_span_clicked)
        self.compare_tab.runRequested.connect(self.on_run)
        self.vocab_tab.sourceChanged.connect(self.refresh_vocab)
        self.doc.modelChanged.connect(self.on_model)
        self.doc.tracesChanged.connect(self.on_traces)
        self.doc.selectionChanged.connect(self.on_selection)
        # Once the demo is in, load jieba and segment the default text, so the panel opens on real data.
        self.window.demoReady.connect(self.on_demo_ready)

    # --- the one worker ------------------------------------------------------------------------------------
    def start(self, part: Part, title: str, factory: Callable[[], Iterator[Any]],
              on_start: Callable[[], None]) -> Job:
        """Queue a job for ``part``; a newer one replaces one still waiting. The panel shows it as under way at
        once (``on_start``), and a waiting job is already the segmenter's owner: nothing reads it until it is over."""
        job = self.window.start_job(title, factory, self.on_events, kind=f"tokenizer.{part.kind}")
        self.jobs[part.kind] = job
        on_start()
        job.finished.connect(partial(self._on_job_finished, part, job))
        job.failed.connect(partial(self._on_job_failed, part, job))
        job.cancelled.connect(partial(self._on_job_finished, part, job, False))
        running = self.window.runner.running
        if running is not None and running is not job:
            self.panel.set_status(self.tr("Waiting for “{running}” to finish: {title} starts then.").format(
                running=running.title, title=title))
        return job

    def _job_over(self, part: Part, job: Job) -> bool:
        """Undo the "under way" look of ``part`` unless a newer job of it has taken over; True if ours."""
        if self.jobs.get(part.kind) is not job:
            return False
        del self.jobs[part.kind]
        part.job_over()
        return True

    def _on_job_finished(self, part: Part, job: Job, completed: bool) -> None:
        if self._job_over(part, job) and not completed:
            self.panel.set_status(self.tr("{title}: cancelled.").format(title=job.title))

    def _on_job_failed(self, part: Part, job: Job, failure: JobFailure) -> None:
        if self._job_over(part, job):
            self.panel.set_status(failure.message)

    def on_events(self, events: list[Any]) -> None:
        for event in events:
            if isinstance(event, SegmenterReady):
                self.jieba.on_ready(event)
            elif isinstance(event, BpeTrained):
                self.bpe.on_trained(event)

    # --- text ----------------------------------------------------------------------------------------------
    def on_demo_ready(self) -> None:
        self.refresh_text(load=True)

    def on_text(self, text: str) -> None:
        entry = self.doc.current_trace
        self._follow_capture = entry is not None and entry.trace.text == text
        self.refresh_text(load=True)

    def refresh_text(self, load: bool = False) -> None:
        loaded = self.doc.loaded
        self._model_spans = model_spans(loaded.tokenizer, self.panel.text) if loaded else []
        self.jieba.refresh(load)  # which refreshes the comparison too
        self.bpe.encode_shown()

    def on_bpe_step(self) -> None:
        """The replay moved or a model arrived: what shows BPE's tokens follows."""
        self.refresh_compare()
        if self.vocab_tab.source == "bpe":
            self.refresh_vocab()

    # --- comparison and selection --------------------------------------------------------------------------
    def refresh_compare(self) -> None:
        """Redraw the comparison and the byte view, or only note they are stale when neither tab is shown:
        at 2,000 characters they take a few hundred milliseconds, too slow for every replay step."""
        if self.panel.current_tab not in ("compare", "vocab"):
            self._compare_stale = True
            return
        self._compare_stale = False
        text, model = self.panel.text, self.bpe.model
        bpe = None
        if model is not None:
            bpe = (bpe_spans(model, text, self.bpe.step), self.bpe.step, bpe_vocab_size(model, self.bpe.step))
        loaded = self.doc.loaded
        tokenizer = ((self._model_spans, loaded.tokenizer.vocab_size, model_description(loaded.tokenizer))
                     if loaded else None)
        rows, stats, ids = views.comparison(text, self.jieba.spans(text), bpe, tokenizer,
                                            self.tr(JIEBA_NOTES.get(self.jieba.status, "")))
        self.compare_tab.set_comparison(len(text), rows, stats, ids)
        self.vocab_tab.set_bytes(*views.bytes_rows(text, self._model_spans if loaded else None))
        self.on_selection()

    def on_tab(self) -> None:
        if self._compare_stale:
            self.refresh_compare()

    def linked(self) -> bool:
        """Model-token positions here are positions in the current capture (same text, same tokens)."""
        entry = self.doc.current_trace
        return (entry is not None and self.doc.loaded is not None and bool(self.panel.text)
                and entry.trace.text == self.panel.text and len(entry.trace.token_strings) == len(self._model_spans))

    def on_span_clicked(self, row: int, index: int) -> None:
        self.select_at(self.compare_tab.span(row, index))

    def select_at(self, span: Span) -> None:
        """Select the model token under a clicked span (its first character; a lone </w> ends a word)."""
        position = token_at(self._model_spans, span.start if span.end > span.start else span.start - 1)
        if position < 0:
            return
        if self.linked():
            self.doc.set_selection(position=position)
            self.on_selection()
        else:
            hit = self._model_spans[position]
            self.compare_tab.set_highlight(hit.start, hit.end)

    def on_selection(self) -> None:
        linked = self.linked()
        position = self.doc.selection.position
        if linked and 0 <= position < len(self._model_spans):
            span = self._model_spans[position]
            self.compare_tab.set_highlight(span.start, span.end)
        else:
            self.compare_tab.set_highlight(-1, -1)
        self.compare_tab.set_link(linked, self.tr("Click a token to select its position in the other panels.")
                                  if linked else
                                  self.tr("This text is not the current capture: run it to link token selection."))

    def on_run(self) -> None:
        if self.panel.text.strip() and self.window.run_prompt(self.panel.text):
            self._follow_capture = True

    def on_traces(self) -> None:
        entry = self.doc.current_trace
        if self._follow_capture and entry is not None and entry.trace.text != self.panel.text:
            self.panel.set_text(entry.trace.text)
            self.refresh_text()
        else:
            self.on_selection()

    def on_model(self) -> None:
        self.refresh_vocab()
        self.refresh_text()

    def refresh_vocab(self) -> None:
        table, description = views.vocabulary(self.vocab_tab.source, self.bpe.model, self.bpe.step, self.doc.loaded)
        self.vocab_tab.set_vocab(description, table.ids, table.tokens, table.frequency, table.length, table.n_bytes)

    # --- session -------------------------------------------------------------------------------------------
    def state(self) -> TokenizerState:
        shown = self.panel.state()
        return shown.replace(follow_capture=self._follow_capture, jieba=self.jieba.state(shown.jieba),
                             bpe=self.bpe.state(shown.bpe))

    def apply_state(self, state: TokenizerState) -> None:
        self.panel.set_state(state)
        self._follow_capture = state.follow_capture
        self.jieba.apply_state(state.jieba)
        self.bpe.apply_state(state.bpe)
        self.refresh_text(load=bool(self.panel.text.strip()))


def install(window: "MainWindow") -> TokenizerBinding:
    return TokenizerBinding(window)
