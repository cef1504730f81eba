"""KV-cache size of MHA, GQA, MQA and MLA side by side: a shape (this model, a well-known one, or typed in), the
bytes per token and for the whole context as bars and a table, and the loaded model's live cache beside them.

The widget only shows numbers it is given (``set_rows``); the binding computes them with the backend's closed forms.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QT_TRANSLATE_NOOP, Signal
from PySide6.QtWidgets import (
    QComboBox, QFormLayout, QHBoxLayout, QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget,
)

from lmscope.widgets.state import PanelState, bounded, choice, text
from lmscope.widgets.style import PALETTE, make_plot_widget
from lmscope.widgets.variants.common import spin
from lmscope.widgets.glossary import KVCACHE, explain
from lmscope.widgets.terms import add_choices, current_key, set_key

THIS_MODEL = "this model"
CUSTOM = "custom"
DTYPES = ("fp16", "fp32", "bf16", "fp8")
SHAPE_FIELDS = ("layers", "heads", "kv_heads", "head_dim", "kv_lora_rank", "rope_head_dim")
LABELS = {"layers": QT_TRANSLATE_NOOP("KVCacheView", "layers L"), "heads": QT_TRANSLATE_NOOP("KVCacheView", "query "
                                                                                                            "heads H"),
          "kv_heads": QT_TRANSLATE_NOOP("KVCacheView", "key/value heads G"),
          "head_dim": QT_TRANSLATE_NOOP("KVCacheView", "head dim d_h"),
          "kv_lora_rank": QT_TRANSLATE_NOOP("KVCacheView", "MLA latent d_c"),
          "rope_head_dim": QT_TRANSLATE_NOOP("KVCacheView", "MLA RoPE key d_h^R")}
BIG = 10_000_000  # a spin box's ceiling: wider than any model's layers, heads or dims


@dataclass(frozen=True)
class KVCacheState(PanelState):
    source: str = text(THIS_MODEL, max_chars=64)  # THIS_MODEL, CUSTOM or a well-known model's name
    layers: int = bounded(4, 1, BIG)
    heads: int = bounded(4, 1, BIG)
    kv_heads: int = bounded(4, 1, BIG)
    head_dim: int = bounded(32, 1, BIG)
    kv_lora_rank: int = bounded(0, 0, BIG)
    rope_head_dim: int = bounded(0, 0, BIG)
    tokens: int = bounded(1024, 0, 1_000_000_000)
    dtype: str = choice(*DTYPES)


@dataclass(frozen=True)
class KVRow:
    """One kind's figures, as the binding computed them."""

    kind: str  # "mha", "gqa", "mqa", "mla"
    per_token: int
    total: int
    of_mha: float
    own: bool  # the kind the shape's model uses


def human_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.2f} {unit}"
        n /= 1024
    return f"{n:.2f} TiB"


class KVCacheView(QWidget):
    shapeChanged = Signal()  # any number, the tokens or the dtype changed: the binding recomputes
    sourceChosen = Signal(str)  # THIS_MODEL, CUSTOM or a well-known name

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.source = QComboBox()
        add_choices(self.source, (THIS_MODEL, CUSTOM))
        self.spins = {name: spin(1 if name in ("layers", "heads", "kv_heads", "head_dim") else 0, BIG,
                                 getattr(KVCacheState(), name)) for name in SHAPE_FIELDS}
        self.tokens = spin(0, 1_000_000_000, KVCacheState().tokens)
        self.dtype = QComboBox()
        add_choices(self.dtype, DTYPES)
        form = QFormLayout()
        form.addRow(self.tr("shape of"), self.source)
        for name in SHAPE_FIELDS:
            form.addRow(self.tr(LABELS[name]), self.spins[name])
        form.addRow(self.tr("tokens N"), self.tokens)
        form.addRow(self.tr("dtype"), self.dtype)
        self.error = QLabel("")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #d55e00")
        form.addRow(self.error)

        self.plot = make_plot_widget(self.tr("bytes for the whole context"), "")
        self.plot.setTitle(self.tr("KV cache"))
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.6)
        self.plot.addItem(self.bars)
        self.bar_labels: list[pg.TextItem] = []
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels([self.tr("per token"), self.tr("whole context"), self.tr("of MHA"), ""])
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setMaximumHeight(150)
        self.caption = QLabel("")
        self.caption.setWordWrap(True)
        self.live = QLabel("")
        self.live.setWordWrap(True)
        right = QVBoxLayout()
        right.addWidget(self.caption)
        right.addWidget(self.plot, 1)
        right.addWidget(self.table)
        right.addWidget(self.live)
        layout = QHBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(right, 1)
        self.rows: list[KVRow] = []

        self.source.currentIndexChanged.connect(lambda _i: self.sourceChosen.emit(current_key(self.source)))
        for box in (*self.spins.values(), self.tokens):
            box.valueChanged.connect(self._edited)
        self.dtype.currentTextChanged.connect(lambda _t: self.shapeChanged.emit())
        explain(self, KVCACHE)

    # --- what the binding calls --------------------------------------------------------------------------------
    def set_sources(self, names: list[str]) -> None:
        """The well-known shapes offered after "this model" (and "custom" last)."""
        current = current_key(self.source)
        self.source.blockSignals(True)
        self.source.clear()
        add_choices(self.source, (THIS_MODEL, *names, CUSTOM))
        set_key(self.source, current if current in (THIS_MODEL, *names, CUSTOM) else THIS_MODEL)
        self.source.blockSignals(False)

    def set_shape(self, **values: int) -> None:
        """Fill the shape's numbers without reporting them as the user's edits."""
        for name, value in values.items():
            box = self.spins[name]
            box.blockSignals(True)
            box.setValue(int(value))
            box.blockSignals(False)

    def set_rows(self, rows: list[KVRow], caption: str) -> None:
        self.rows = list(rows)
        self.error.setText("")
        self.caption.setText(caption)
        kinds = [r.kind.upper() for r in rows]
        totals = np.array([r.total for r in rows], dtype=np.float64)
        brushes = [pg.mkBrush(PALETTE[1] if r.own else PALETTE[0]) for r in rows]
        self.bars.setOpts(x=np.arange(len(rows)), height=totals, width=0.6, brushes=brushes)
        for label in self.bar_labels:
            self.plot.removeItem(label)
        self.bar_labels = []
        for i, row in enumerate(rows):
            label = pg.TextItem(f"{row.kind.upper()}\n{human_bytes(row.total)}", anchor=(0.5, 1.0), color="#dddddd")
            label.setPos(i, float(row.total))
            self.plot.addItem(label)
            self.bar_labels.append(label)
        axis = self.plot.getPlotItem().getAxis("bottom")
        axis.setTicks([list(enumerate(kinds))])
        self.plot.getPlotItem().getViewBox().setRange(xRange=(-0.6, max(0.6, len(rows) - 0.4)),
                                                      yRange=(0.0, max(1.0, totals.max(initial=0.0) * 1.25)))
        self.table.setRowCount(len(rows))
        self.table.setVerticalHeaderLabels(kinds)
        for i, row in enumerate(rows):
            cells = [f"{row.per_token:,} B", f"{row.total:,} B  ({human_bytes(row.total)})", f"{row.of_mha:.1%}",
                     self.tr("← this model") if row.own else ""]
            for j, cell in enumerate(cells):
                self.table.setItem(i, j, QTableWidgetItem(cell))
        self.table.resizeColumnsToContents()

    def set_error(self, sentence: str) -> None:
        """A shape the closed forms refuse (e.g. G does not divide H): one sentence, the old bars stay."""
        self.error.setText(sentence)

    def set_live(self, sentence: str) -> None:
        self.live.setText(sentence)

    # --- state -------------------------------------------------------------------------------------------------
    def state(self) -> KVCacheState:
        return KVCacheState(source=current_key(self.source), tokens=self.tokens.value(),
                            dtype=current_key(self.dtype), **{n: self.spins[n].value() for n in SHAPE_FIELDS})

    def set_state(self, state: KVCacheState) -> None:
        self.set_shape(**{n: getattr(state, n) for n in SHAPE_FIELDS})
        for widget, value in ((self.tokens, state.tokens), (self.dtype, state.dtype), (self.source, state.source)):
            widget.blockSignals(True)
            if isinstance(widget, QComboBox):
                # a well-known name this version lacks: its numbers are in the state, so show them as typed in
                set_key(widget, value if widget.findData(value) >= 0 else CUSTOM)
            else:
                widget.setValue(value)
            widget.blockSignals(False)

    def _edited(self) -> None:
        if self.sender() in self.spins.values() and current_key(self.source) != CUSTOM:
            self.source.blockSignals(True)
            set_key(self.source, CUSTOM)  # typing a number makes the shape the user's own
            self.source.blockSignals(False)
        self.shapeChanged.emit()
