"""Binds the tokenizer explorer to jieba, our BPE, the loaded model's tokenizer and the document's selection.

jieba's dictionary loads in the worker the first time a text needs it; after that a sentence is segmented directly
(~1 ms). BPE trains in the worker; replaying a step is a bisect per word type, done directly. The window has one
worker: a request made while it is busy waits (the panel's status line says so) and starts when it is free.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QObject

from lmscope.backend.tokenize.bpe import PRETOKENIZE_RULE, TIE_RULE, BpeModel, Merge, pair_table
from lmscope.backend.errors import LmscopeError
from lmscope.backend.tokenize.segment import Segmenter, UserWord
from lmscope.backend.tokenize.spans import TokenSpan, bpe_spans, bpe_vocab_size, jieba_spans, model_spans, token_at
from lmscope.backend.tokenize.jobs import (BpeSource, BpeTrained, SegmenterReady, SegmentRequest, Segmented, bpe_train_job,
                                    load_segmenter_job, segment_text, words_at_step)
from lmscope.gui.panels import tokenizer_views as views
from lmscope.widgets.tokenizer.panel import TokenizerPanel
from lmscope.widgets.tokenizer.spans import Span

if TYPE_CHECKING:
    from lmscope.gui.main_window import MainWindow
    from lmscope.gui.worker import Job, JobFailure

JIEBA_JOB = "Loading jieba's dictionary"
BPE_JOB = "Training BPE"


class TokenizerBinding(QObject):
    """Owns the explorer's state (the segmenter, the learned BPE, the replay step) and feeds the panel views."""

    def __init__(self, window: "MainWindow") -> None:
        super().__init__(window)
        self.window, self.doc = window, window.document
        self.panel = TokenizerPanel()
        window.add_panel("tokenizer", self.panel, "Tokenizer explorer")
        self.segmenter = Segmenter()
        self.jieba_state = "unloaded"  # "loading" while a job holds the segmenter, then "ready"
        self.segmented: Segmented | None = None
        self._pending_words: list[UserWord] | None = None  # restored words waiting for the dictionary
        self._loading_words: list[UserWord] = []
        self.bpe: BpeModel | None = None
        self.bpe_source, self.bpe_requested, self.step = BpeSource(), 0, 0
        self._restore_step = 0
        self._expected_merges: list[tuple[str, str, int]] | None = None
        self.jobs: dict[str, Job] = {}  # the latest job of each kind ("jieba", "bpe") this panel started
        self._follow_capture = True  # show the current capture's text until the user types another
        self._model_spans: list[TokenSpan] = []
        self._compare_stale = True
        self.panel.bpe.set_rules(f"Tie rule: {TIE_RULE}  Words: {PRETOKENIZE_RULE}")
        self._connect()
        window.register_session_part("tokenizer", self)
        self.on_model()

    def _connect(self) -> None:
        p = self.panel
        p.textChanged.connect(self.on_text)
        p.jieba.optionsChanged.connect(self.on_options)
        p.jieba.addWordRequested.connect(self.on_add_word)
        p.jieba.removeWordRequested.connect(self.on_remove_word)
        p.jieba.loadDictionaryRequested.connect(self.on_load_dictionary)
        p.bpe.trainRequested.connect(self.on_train)
        p.bpe.stepChanged.connect(self.on_step)
        p.bpe.encodeRequested.connect(self.on_encode)
        p.vocab.sourceChanged.connect(self.refresh_vocab)
        p.compare.spanClicked.connect(self.on_span_clicked)
        p.jieba.words_view.spanClicked.connect(self.on_word_clicked)
        p.compare.runRequested.connect(self.on_run)
        p.tabs.currentChanged.connect(self.on_tab)
        self.doc.modelChanged.connect(self.on_model)
        self.doc.tracesChanged.connect(self.on_traces)
        self.doc.selectionChanged.connect(self.on_selection)
        # Once the demo is in, load jieba and segment the default text, so the panel opens on real data.
        self.window.demoReady.connect(self.on_demo_ready)

    # --- the one worker ------------------------------------------------------------------------------------
    def _start(self, kind: str, title: str, factory: Callable[[], Iterator[Any]], on_start: Callable[[], None]) -> Job:
        """Queue a job of ``kind``; a newer one replaces one still waiting. The panel shows it as under way at
        once (``on_start``), and a waiting job is already the segmenter's owner: nothing reads it until it is over."""
        job = self.window.start_job(title, factory, self.on_events, kind=f"tokenizer.{kind}")
        self.jobs[kind] = job
        on_start()
        job.finished.connect(partial(self._on_job_finished, kind, job))
        job.failed.connect(partial(self._on_job_failed, kind, job))
        job.cancelled.connect(partial(self._on_job_finished, kind, job, False))
        running = self.window.runner.running
        if running is not None and running is not job:
            self.panel.set_status(f"Waiting for “{running.title}” to finish: {title.lower()} starts then.")
        return job

    def _job_over(self, kind: str, job: Job) -> bool:
        """Undo the "under way" look of ``kind`` unless a newer job of that kind has taken over; True if ours."""
        if self.jobs.get(kind) is not job:
            return False
        del self.jobs[kind]
        if kind == "jieba" and self.jieba_state == "loading":  # cancelled or failed before it was done
            self.jieba_state = "ready" if self.segmenter.loaded else "unloaded"
            self.panel.jieba.set_ready(self.jieba_state == "ready")
        if kind == "bpe":
            self.panel.bpe.set_training(False)
        return True

    def _on_job_finished(self, kind: str, job: Job, completed: bool) -> None:
        if self._job_over(kind, job) and not completed:
            self.panel.set_status(f"{job.title}: cancelled.")

    def _on_job_failed(self, kind: str, job: Job, failure: JobFailure) -> None:
        if self._job_over(kind, job):
            self.panel.set_status(failure.message)

    def on_events(self, events: list[Any]) -> None:
        for event in events:
            if isinstance(event, SegmenterReady):
                self.jieba_state = "ready"
                self.panel.jieba.set_ready(True)
                self.panel.set_status("")
                self.segmented = event.segmented
                if self._pending_words is not None:  # restored while it loaded: its result is out of date
                    self._apply_user_words(self._pending_words)
                self.refresh_jieba()
            elif isinstance(event, BpeTrained):
                self._on_bpe_trained(event)

    # --- text and jieba ------------------------------------------------------------------------------------
    def on_demo_ready(self) -> None:
        self.refresh_text(load=True)

    def on_text(self, text: str) -> None:
        entry = self.doc.current_trace
        self._follow_capture = entry is not None and entry.trace.text == text
        self.refresh_text(load=True)

    def on_options(self) -> None:
        self.refresh_jieba(load=True)

    def refresh_text(self, load: bool = False) -> None:
        loaded = self.doc.loaded
        self._model_spans = model_spans(loaded.tokenizer, self.panel.text) if loaded else []
        self.refresh_jieba(load)  # which refreshes the comparison too
        self.on_encode(self.panel.bpe.encode_edit.text())

    def request(self) -> SegmentRequest:
        jieba = self.panel.jieba
        return SegmentRequest(self.panel.text, jieba.mode, jieba.hmm, jieba.pos)

    def refresh_jieba(self, load: bool = False) -> None:
        """Segment the text directly once jieba is loaded; before that, load it in the worker if asked to."""
        request = self.request()
        if self.jieba_state == "ready" and request.text.strip():
            if self.segmented is None or self.segmented.request != request:
                try:
                    self.segmented = segment_text(self.segmenter, request)
                except LmscopeError as error:
                    self.panel.set_status(str(error))
                    return
            self._show_jieba()
        elif self.jieba_state == "unloaded" and load and request.text.strip():
            self._load_jieba(request)
        self.refresh_compare()

    def _load_jieba(self, request: SegmentRequest | None, dictionary: str | None = None) -> None:
        words = list(self._pending_words or [])
        known = self._known_words() + words  # read now: once the job starts, the worker owns the segmenter

        def started() -> None:
            self._loading_words = known
            self.jieba_state = "loading"
            self.panel.jieba.set_ready(False)
            self._pending_words = None
            self.panel.set_status("Loading jieba's dictionary (about a second, the first time)…" if not dictionary
                                  else f"Reading the user dictionary {dictionary}…")

        self._start("jieba", JIEBA_JOB, lambda: load_segmenter_job(self.segmenter, words, request, dictionary),
                    started)

    def _show_jieba(self) -> None:
        segmented = self.segmented
        assert segmented is not None
        row, table, legend = views.jieba_row(segmented, self.segmenter)
        self.panel.jieba.set_words(len(segmented.request.text), row, table, legend)
        arcs, labels, marks, han, summary = views.dag_view(segmented.explanation)
        if segmented.explained_chars < len(segmented.request.text):
            summary += f"<br>(The picture shows the first {segmented.explained_chars} characters.)"
        self.panel.jieba.set_explanation(segmented.explanation.text, arcs, labels, marks, han, summary)
        self.panel.jieba.set_user_words([(w.word, w.freq, w.tag or "") for w in self._known_words()])

    def _known_words(self) -> list[UserWord]:
        """The user words; while a job holds the segmenter, the ones it was started with (never read it then)."""
        if self.jieba_state != "loading":
            self._loading_words = self.segmenter.user_words()
        return list(self._loading_words)

    def _change_words(self, change: Callable[[], object]) -> None:
        if self.jieba_state != "ready":
            return
        try:
            change()
        except LmscopeError as error:
            self.panel.set_status(str(error))
            return
        self.panel.set_status("")
        self.segmented = None
        self.refresh_jieba()

    def on_add_word(self, word: str, freq: int, tag: str) -> None:
        self._change_words(lambda: self.segmenter.add_word(word, None if freq < 0 else freq, tag or None))

    def on_remove_word(self, word: str) -> None:
        self._change_words(lambda: self.segmenter.remove_word(word))

    def on_load_dictionary(self, path: str) -> None:
        if self.jieba_state == "ready":
            self._load_jieba(self.request() if self.panel.text.strip() else None, dictionary=path)

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

    # --- BPE -----------------------------------------------------------------------------------------------
    def on_train(self, kind: str, words: str, path: str, merges: int) -> None:
        self._expected_merges = None
        self._train(BpeSource(kind, words, path), merges, None, 0)

    def _train(self, source: BpeSource, merges: int, counts: list[tuple[str, int]] | None, step: int) -> None:
        def started() -> None:
            self._restore_step = step
            self.panel.bpe.set_training(True)
            self.panel.set_status("")

        self._start("bpe", BPE_JOB, lambda: bpe_train_job(source, merges, counts), started)

    def _on_bpe_trained(self, event: BpeTrained) -> None:
        model = event.model
        self.bpe, self.bpe_source, self.bpe_requested = model, event.source, event.requested
        merges = [(m.rank, m.left, m.right, m.count) for m in model.merges]
        self.panel.bpe.set_merges(merges, event.source.describe())
        if self._expected_merges is not None and self._expected_merges != [m[1:] for m in merges]:
            self.panel.set_status("Retraining BPE on the saved corpus gave different merges than the session holds.")
        elif len(merges) < event.requested:
            self.panel.set_status(f"BPE stopped after {len(merges)} merges: every word is a single symbol.")
        self._expected_merges = None
        step = min(self._restore_step, len(merges))
        self.panel.bpe.set_step(step)
        self.on_step(step)

    def on_step(self, k: int) -> None:
        """Show the corpus, pair counts and encodings after the first ``k`` merges (fast: no job)."""
        model = self.bpe
        if model is None:
            return
        self.step = k
        words = [(w.word, w.count, w.symbols, w.changed) for w in words_at_step(model, k)]
        self.panel.bpe.set_step_view(words, [(a, b, c) for (a, b), c in pair_table(model, k)])
        self.on_encode(self.panel.bpe.encode_edit.text())
        self.refresh_compare()
        if self.panel.vocab.source == "bpe":
            self.refresh_vocab()

    def on_encode(self, text: str) -> None:
        if self.bpe is not None:
            self.panel.bpe.set_encoding(*views.encoding_row(self.bpe, text, self.step))

    # --- comparison and selection --------------------------------------------------------------------------
    def refresh_compare(self) -> None:
        """Redraw the comparison and the byte view, or only note they are stale when neither tab is shown:
        at 2,000 characters they take a few hundred milliseconds, too slow for every replay step."""
        if self.panel.current_tab not in ("compare", "vocab"):
            self._compare_stale = True
            return
        self._compare_stale = False
        text = self.panel.text
        jieba = None
        if self.jieba_state == "ready" and self.segmented is not None and self.segmented.request.text == text:
            jieba = jieba_spans(self.segmented.tokens, self.segmenter)
        note = {"loading": "Loading jieba's dictionary…",
                "unloaded": "Press Return in the text box to segment with jieba (loads its dictionary, ~1 s)."}
        bpe = None
        if self.bpe is not None:
            bpe = (bpe_spans(self.bpe, text, self.step), self.step, bpe_vocab_size(self.bpe, self.step))
        loaded = self.doc.loaded
        model = (self._model_spans, loaded.tokenizer.vocab_size, "characters") if loaded else None
        rows, stats, ids = views.comparison(text, jieba, bpe, model, note.get(self.jieba_state, ""))
        self.panel.compare.set_comparison(len(text), rows, stats, ids)
        self.panel.vocab.set_bytes(*views.bytes_rows(text, self._model_spans if loaded else None))
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
        self._select_at(self.panel.compare.view.rows[row].spans[index])

    def on_word_clicked(self, row: int, index: int) -> None:
        self._select_at(self.panel.jieba.words_view.rows[row].spans[index])

    def _select_at(self, span: Span) -> None:
        """Select the model token under a clicked span (its first character; a lone </w> ends a word)."""
        position = token_at(self._model_spans, span.start if span.end > span.start else span.start - 1)
        if position < 0:
            return
        if self.linked():
            self.doc.set_selection(position=position)
            self.on_selection()
        else:
            hit = self._model_spans[position]
            self.panel.compare.set_highlight(hit.start, hit.end)

    def on_selection(self) -> None:
        linked = self.linked()
        position = self.doc.selection.position
        if linked and 0 <= position < len(self._model_spans):
            span = self._model_spans[position]
            self.panel.compare.set_highlight(span.start, span.end)
        else:
            self.panel.compare.set_highlight(-1, -1)
        self.panel.compare.set_link(linked, "Click a token to select its position in the other panels." if linked
                                    else "This text is not the current capture: run it to link token selection.")

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
        table, description = views.vocabulary(self.panel.vocab.source, self.bpe, self.step, self.doc.loaded)
        self.panel.vocab.set_vocab(description, table.ids, table.tokens, table.frequency, table.length,
                                   table.n_bytes)

    # --- session -------------------------------------------------------------------------------------------
    def session_state(self) -> dict[str, Any]:
        jieba, bpe = self.panel.jieba, self.panel.bpe
        words = self._pending_words if self._pending_words is not None else self._known_words()
        merges: tuple[Merge, ...] = self.bpe.merges if self.bpe is not None else ()
        return {
            "text": self.panel.text, "follow_capture": self._follow_capture, "tab": self.panel.tabs.currentIndex(),
            "jieba": {"mode": jieba.mode, "hmm": jieba.hmm, "pos": jieba.pos_box.isChecked(),
                      "user_words": [w.word for w in words],
                      "user_freqs": np.asarray([w.freq for w in words], dtype=np.int64),
                      "user_tags": [w.tag or "" for w in words]},
            "bpe": {"source": str(bpe.source_box.currentData()), "words": bpe.words_edit.text(),
                    "path": bpe.path_edit.text(), "merges_asked": bpe.merges_spin.value(),
                    "trained_source": self.bpe_source.kind, "trained_words": self.bpe_source.words,
                    "trained_path": self.bpe_source.path, "requested": self.bpe_requested, "step": self.step,
                    "merge_left": [m.left for m in merges], "merge_right": [m.right for m in merges],
                    "merge_counts": np.asarray([m.count for m in merges], dtype=np.int64),
                    "corpus_words": list(self.bpe.words) if self.bpe else [],
                    "corpus_counts": np.asarray(self.bpe.counts if self.bpe else [], dtype=np.int64)},
        }

    def restore_session_state(self, state: dict[str, Any]) -> None:
        jieba, bpe = dict(state.get("jieba", {})), dict(state.get("bpe", {}))
        self.panel.set_text(str(state.get("text", "")))
        self._follow_capture = bool(state.get("follow_capture", False))
        self.panel.tabs.setCurrentIndex(int(state.get("tab", 0)))
        self.panel.jieba.set_options(str(jieba.get("mode", "precise")), bool(jieba.get("hmm", True)),
                                     bool(jieba.get("pos", False)))
        words = [UserWord(str(w), int(f), str(t) or None) for w, f, t in
                 zip(jieba.get("user_words", []), jieba.get("user_freqs", []), jieba.get("user_tags", []))]
        if self.jieba_state == "ready":
            self._apply_user_words(words)
        else:
            self._pending_words = words
        self.panel.bpe.set_source(str(bpe.get("source", "demo")), str(bpe.get("words", "")),
                                  str(bpe.get("path", "")), int(bpe.get("merges_asked", 200)))
        self._restore_bpe(bpe)
        self.refresh_text(load=bool(self.panel.text.strip()))

    def _restore_bpe(self, bpe: dict[str, Any]) -> None:
        """Retrain on the saved word counts (the replay needs every word's history) and check the merges."""
        self.bpe, self.step = None, 0
        self.panel.bpe.set_merges([], "")
        left, right = [str(x) for x in bpe.get("merge_left", [])], [str(x) for x in bpe.get("merge_right", [])]
        if not left:
            return
        counts = [(str(w), int(c)) for w, c in zip(bpe.get("corpus_words", []), bpe.get("corpus_counts", []))]
        self._expected_merges = list(zip(left, right, (int(c) for c in bpe.get("merge_counts", []))))
        source = BpeSource(str(bpe.get("trained_source", "demo")), str(bpe.get("trained_words", "")),
                           str(bpe.get("trained_path", "")))
        self._train(source, int(bpe.get("requested", len(left))), counts, int(bpe.get("step", 0)))


def install(window: "MainWindow") -> TokenizerBinding:
    return TokenizerBinding(window)
