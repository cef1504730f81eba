"""A mask beside plain causal attention on one real head: prefix LM, bidirectional, and the content-based kinds
(top-k, Reformer LSH) whose kept keys come from the head's own q·k. The token strip colours each query's LSH bucket.

The spec is typed as on the command line (``prefix:6``, ``topk:3``, ``lsh:8:0``, ``causal+window:4+topk:2``); the
binding runs both captures in the worker and hands back the two patterns, the buckets and one sentence of figures.
"""
from __future__ import annotations

import html
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from lmscope.widgets.state import PanelState, bounded, text
from lmscope.widgets.style import PALETTE
from lmscope.widgets.variants.common import Heatmap, spin


@dataclass(frozen=True)
class MasksState(PanelState):
    spec: str = text("topk:3", max_chars=400)
    layer: int = bounded(0, 0, 10_000)
    head: int = bounded(0, 0, 10_000)


def bucket_strip(tokens: list[str], buckets: np.ndarray | None) -> str:
    """Rich text: each token on the background colour of its bucket (plain when there are no buckets)."""
    spans = []
    for i, token in enumerate(tokens):
        shown = html.escape(token.replace(" ", "␣").replace("\n", "⏎") or "∅")
        if buckets is None:
            spans.append(f"<span>{shown}</span>")
        else:
            colour = PALETTE[int(buckets[i]) % len(PALETTE)]
            spans.append(f'<span style="background:{colour}; color:#000">{shown}<sub>{int(buckets[i])}</sub></span>')
    return " ".join(spans)


class MasksView(QWidget):
    runRequested = Signal()  # the binding reads state() and runs the comparison

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        defaults = MasksState()
        self.spec = QLineEdit(defaults.spec)
        self.spec.setPlaceholderText(self.tr("prefix:6, bidirectional, topk:3, lsh:8:0, causal+window:4+topk:2 …"))
        self.layer, self.head = spin(0, 10_000, defaults.layer), spin(0, 10_000, defaults.head)
        self.run = QPushButton(self.tr("Compare"))
        controls = QHBoxLayout()
        for label, widget in ((self.tr("mask"), self.spec), (self.tr("layer"), self.layer), (self.tr("head"),
                                                                                             self.head)):
            controls.addWidget(QLabel(label))
            controls.addWidget(widget, 1 if widget is self.spec else 0)
        controls.addWidget(self.run)
        self.plain = Heatmap(self.tr("causal (query × key)"), self.tr("query"), self.tr("key"))
        self.masked = Heatmap(self.tr("with the mask"), self.tr("query"), self.tr("key"))
        # the prefix-LM boundary: the square of queries and keys inside the prefix (hidden without one)
        self.prefix_box = pg.PlotCurveItem(pen=pg.mkPen("#ffffff", width=2, style=Qt.PenStyle.DashLine))
        self.masked.plot.addItem(self.prefix_box)
        self.prefix = 0
        self.strip = QLabel("")  # the queries, coloured by LSH bucket
        self.strip.setWordWrap(True)
        self.key_strip = QLabel("")  # the keys, coloured by LSH bucket (a query sees earlier keys of its colour)
        self.key_strip.setWordWrap(True)
        self.summary = QLabel(self.tr("Type a mask and press Compare."))
        self.summary.setWordWrap(True)
        grid = QGridLayout()
        grid.addWidget(self.plain.plot, 0, 0)
        grid.addWidget(self.masked.plot, 0, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addLayout(grid, 1)
        layout.addWidget(self.strip)
        layout.addWidget(self.key_strip)
        layout.addWidget(self.summary)
        self.run.clicked.connect(self.runRequested)
        self.spec.returnPressed.connect(self.runRequested)
        self.buckets: np.ndarray | None = None

    def set_comparison(self, plain: np.ndarray, masked: np.ndarray, tokens: list[str], buckets: np.ndarray | None,
                       key_buckets: np.ndarray | None, summary: str, prefix: int = 0) -> None:
        """Patterns (query, key) of the head without and with the mask; ``buckets`` / ``key_buckets`` (pos,) the
        LSH buckets of the queries and of the keys (None for other masks); ``prefix`` the prefix-LM boundary."""
        self.prefix = prefix
        edge = float(prefix)
        self.prefix_box.setData([0.0, edge, edge, 0.0, 0.0], [0.0, 0.0, edge, edge, 0.0])
        self.prefix_box.setVisible(prefix > 0)
        self.plain.set(plain, levels=(0.0, 1.0))
        self.masked.set(masked, levels=(0.0, 1.0))
        self.buckets = None if buckets is None else np.asarray(buckets)
        self.strip.setText((self.tr("queries: ") if buckets is not None else "") + bucket_strip(tokens, self.buckets))
        self.key_strip.setText("" if key_buckets is None
                               else self.tr("keys: ") + bucket_strip(tokens, np.asarray(key_buckets)))
        self.summary.setText(summary)

    def set_message(self, sentence: str) -> None:
        self.summary.setText(sentence)

    def set_limits(self, n_layer: int, n_head: int) -> None:
        self.layer.setMaximum(max(0, n_layer - 1))
        self.head.setMaximum(max(0, n_head - 1))

    def state(self) -> MasksState:
        return MasksState(spec=self.spec.text().strip(), layer=self.layer.value(), head=self.head.value())

    def set_state(self, state: MasksState) -> None:
        self.spec.setText(state.spec)
        self.layer.setValue(state.layer)
        self.head.setValue(state.head)
