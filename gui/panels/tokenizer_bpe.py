"""The BPE side of the tokenizer explorer: training in the worker, the replay step, and encoding with it.

Replaying a step is a bisect per word type, done directly. A restored session retrains on its saved word counts
(the replay needs every word's history) and checks that the merges come out as saved.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QT_TRANSLATE_NOOP, QObject

from lmscope.backend.tokenize.bpe import TIE_RULE, BpeModel, Merge, pair_table
from lmscope.backend.tokenize.corpus import PRETOKENIZE_RULE
from lmscope.backend.tokenize.jobs import BpeSource, BpeTrained, bpe_train_job, words_at_step
from lmscope.gui.panels import tokenizer_views as views
from lmscope.widgets.tokenizer.state import BpeState
from lmscope.widgets.terms import term

if TYPE_CHECKING:
    from lmscope.gui.panels.tokenizer import TokenizerBinding

BPE_JOB = QT_TRANSLATE_NOOP("BpePart", "Training BPE")


class BpePart(QObject):
    """Owns the learned model, the source it was trained on and the replay step (merges applied so far)."""

    kind = "bpe"

    def __init__(self, host: "TokenizerBinding") -> None:
        super().__init__(host)
        self.host, self.panel, self.tab = host, host.panel, host.panel.bpe
        self.model: BpeModel | None = None
        self.source, self.requested, self.step = BpeSource(), 0, 0
        self._restore_step = 0
        self._expected_merges: list[tuple[str, str, int]] | None = None
        self.tab.set_rules(self.tr("Tie rule: {tie}  Words: {words}").format(tie=term(TIE_RULE),
                                                                              words=term(PRETOKENIZE_RULE)))
        self.tab.trainRequested.connect(self.on_train)
        self.tab.stepChanged.connect(self.on_step)
        self.tab.encodeRequested.connect(self.on_encode)

    # --- training ------------------------------------------------------------------------------------------
    def on_train(self, kind: str, words: str, path: str, merges: int) -> None:
        self._expected_merges = None
        self._train(BpeSource(kind, words, path), merges, None, 0)

    def _train(self, source: BpeSource, merges: int, counts: list[tuple[str, int]] | None, step: int) -> None:
        def started() -> None:
            self._restore_step = step
            self.tab.set_training(True)
            self.panel.set_status("")

        self.host.start(self, self.tr(BPE_JOB), lambda: bpe_train_job(source, merges, counts), started)

    def job_over(self) -> None:
        self.tab.set_training(False)

    def on_trained(self, event: BpeTrained) -> None:
        model = event.model
        self.model, self.source, self.requested = model, event.source, event.requested
        merges = [(m.rank, m.left, m.right, m.count) for m in model.merges]
        self.tab.set_merges(merges, event.source.describe())
        if self._expected_merges is not None and self._expected_merges != [m[1:] for m in merges]:
            self.panel.set_status(self.tr("Retraining BPE on the saved corpus gave different merges than the session "
                                          "holds."))
        elif len(merges) < event.requested:
            self.panel.set_status(self.tr("BPE stopped after {n} merges: every word is a single symbol.").format(
                n=len(merges)))
        self._expected_merges = None
        step = min(self._restore_step, len(merges))
        self.tab.set_step(step)
        self.on_step(step)

    # --- replay --------------------------------------------------------------------------------------------
    def on_step(self, k: int) -> None:
        """Show the corpus, pair counts and encodings after the first ``k`` merges (fast: no job)."""
        model = self.model
        if model is None:
            return
        self.step = k
        words = [(w.word, w.count, w.symbols, w.changed) for w in words_at_step(model, k)]
        self.tab.set_step_view(words, [(a, b, c) for (a, b), c in pair_table(model, k)])
        self.encode_shown()
        self.host.on_bpe_step()

    def on_encode(self, text: str) -> None:
        if self.model is not None:
            self.tab.set_encoding(*views.encoding_row(self.model, text, self.step))

    def encode_shown(self) -> None:
        """Encode the encoder box's text again (after a new step or model)."""
        self.on_encode(self.tab.encode_text)

    # --- session -------------------------------------------------------------------------------------------
    def state(self, shown: BpeState) -> BpeState:
        """``shown`` (the tab's training form) with what was trained, on what, and the replay step."""
        model = self.model
        merges: tuple[Merge, ...] = model.merges if model is not None else ()
        return shown.replace(
            trained_source=self.source.kind, trained_words=self.source.words, trained_path=self.source.path,
            requested=self.requested, step=self.step, merge_left=tuple(m.left for m in merges),
            merge_right=tuple(m.right for m in merges), merge_counts=tuple(m.count for m in merges),
            corpus_words=model.words if model is not None else (),
            corpus_counts=model.counts if model is not None else ())

    def apply_state(self, state: BpeState) -> None:
        """Retrain on the saved word counts (the replay needs every word's history) and check the merges."""
        self.model, self.step = None, 0
        self.tab.set_merges([], "")
        if not state.merge_left:
            return
        self._expected_merges = list(zip(state.merge_left, state.merge_right, state.merge_counts))
        source = BpeSource(state.trained_source, state.trained_words, state.trained_path)
        counts = list(zip(state.corpus_words, state.corpus_counts))
        # A merge list longer than "requested" cannot come from today's files; asking for fewer would only fail.
        self._train(source, max(state.requested, len(state.merge_left)), counts, state.step)
