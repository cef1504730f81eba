"""Soft MoE's two matrices for the selected layer, slots down and tokens across (the token axis shared with the
router view): dispatch D (softmax over tokens: each slot row sums to 1 — what the slot reads) and combine C
(softmax over slots: each token column sums to 1 — where the token's output comes from)."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QT_TRANSLATE_NOOP, Qt
from PySide6.QtWidgets import QLabel, QSplitter, QVBoxLayout, QWidget

from lmscope.widgets.colorbar import ColorBar
from lmscope.widgets.moe.data import SoftView
from lmscope.widgets.moe.views import ImagePlot

MEANING = {
    "dispatch": QT_TRANSLATE_NOOP("SoftMatrix", "share of the slot's input"),
    "combine": QT_TRANSLATE_NOOP("SoftMatrix", "share of the token's output"),
}
_KINDS = (QT_TRANSLATE_NOOP("SoftMatrix", "dispatch"), QT_TRANSLATE_NOOP("SoftMatrix", "combine"))


class SoftMatrix(ImagePlot):
    def __init__(self, kind: str, parent: QWidget | None = None) -> None:
        super().__init__(left_width=56, parent=parent)
        self.kind = kind
        self.colorbar = ColorBar(self.image, "viridis", self.tr(kind), plot=self.plot)
        self.row = 0

    def set_view(self, view: SoftView, row: int) -> None:
        old = self.view
        self.view, self.row = view, row
        matrix = (view.dispatch if self.kind == "dispatch" else view.combine)[row].T  # (slots, T)
        top = float(matrix.max()) if matrix.size else 1.0
        self.image.setImage(np.ascontiguousarray(matrix, dtype=np.float32), autoLevels=False,
                            levels=(0.0, top if top > 0 else 1.0))
        self.image.setRect(0, 0, view.n_tokens, view.n_slots)
        self.left_axis.set_tokens([f"e{s // view.slots_per_expert}·{s % view.slots_per_expert}"
                                   for s in range(view.n_slots)])
        if old is None or old.tokens != view.tokens:
            self.bottom_axis.set_tokens(list(view.tokens))
        if old is None or (old.n_tokens, old.n_slots) != (view.n_tokens, view.n_slots):
            self.plot.getPlotItem().getViewBox().setRange(xRange=(0, view.n_tokens), yRange=(0, view.n_slots),
                                                          padding=0.01)

    def describe(self, row: int, col: int) -> str:
        view = self.view
        matrix = view.dispatch if self.kind == "dispatch" else view.combine
        e, j = divmod(row, view.slots_per_expert)
        return self.tr("layer {layer} · {token} · slot {j} of expert {e}: {kind} {value:.4f} ({meaning})").format(
            layer=view.layers[self.row], token=self.token_text(col), j=j, e=e, kind=self.tr(self.kind),
            value=float(matrix[self.row, col, row]), meaning=self.tr(MEANING[self.kind]))


class SoftMoeView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.note = QLabel(self.tr("No Soft MoE capture: train or load a model with moe_mode = soft."))
        self.note.setWordWrap(True)
        self.dispatch = SoftMatrix("dispatch")
        self.combine = SoftMatrix("combine")
        self.combine.plot.setXLink(self.dispatch.plot)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.dispatch)
        split.addWidget(self.combine)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.note)
        layout.addWidget(split, 1)
        self.view: SoftView | None = None

    def set_view(self, view: SoftView | None, row: int = 0) -> None:
        self.view = view
        if view is None:
            self.note.setText(self.tr("No Soft MoE capture: train or load a model with moe_mode = soft."))
            return
        self.note.setText(
            self.tr("Soft MoE, layer {value}: {n_experts} experts × {slots_per_expert} slots. Top: dispatch D = "
                    "softmax over tokens (each slot row sums to 1: what the slot reads). Bottom: combine C = softmax "
                    "over slots (each token column sums to 1: where its output comes from). No token is dropped.")
            .format(value=view.layers[row], n_experts=view.n_experts, slots_per_expert=view.slots_per_expert))
        self.dispatch.set_view(view, row)
        self.combine.set_view(view, row)

    def set_token(self, position: int) -> None:
        self.dispatch.set_token(position)
        self.combine.set_token(position)
