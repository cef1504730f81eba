"""Mask controls (causal, prefix LM, window, dilated, global, random, block, top-k, LSH, painted cells, a padded
second prompt) and the table that shows what an intervention did to the next-token prediction (top-k before/after,
KL)."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView, QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QHBoxLayout, QHeaderView, QLabel,
    QLineEdit, QPushButton, QSpinBox, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget,
)

from lmscope.widgets.attention.heatmap import display_token
from lmscope.widgets.attention.state import MAX_PROMPT, PAD_SIDES, MaskState
from lmscope.widgets.state import field_range
from lmscope.widgets.style import cjk_font
from lmscope.widgets.glossary import MASKS, explain
from lmscope.widgets.terms import add_choices, current_key, set_key


def _spin(name: str, tip: str) -> QSpinBox:
    box = QSpinBox()
    box.setRange(*field_range(MaskState, name))
    box.setSpecialValueText(QCoreApplication.translate("masks", "off"))
    box.setToolTip(tip)
    return box


class TopKTable(QTableWidget):
    """Rank · token before · p before · token after · p after; tokens that moved are highlighted."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, 4, parent)
        self.setHorizontalHeaderLabels([self.tr("before"), "p", self.tr("after"), "p"])
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setFont(cjk_font(10))
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.verticalHeader().setDefaultSectionSize(20)

    def set_rows(self, before: list[tuple[str, float]], after: list[tuple[str, float]]) -> None:
        self.setRowCount(max(len(before), len(after)))
        for r in range(self.rowCount()):
            for c, pairs in ((0, before), (2, after)):
                token, p = pairs[r] if r < len(pairs) else ("", float("nan"))
                token_item = QTableWidgetItem(display_token(token))
                p_item = QTableWidgetItem("" if np.isnan(p) else f"{p:.4f}")
                p_item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                moved = c == 2 and r < len(before) and r < len(after) and before[r][0] != after[r][0]
                if moved:
                    token_item.setBackground(QBrush(QColor(230, 159, 0, 90)))
                self.setItem(r, c, token_item)
                self.setItem(r, c + 1, p_item)


class MaskControls(QWidget):
    """Reports the mask the user composed as plain values (see :meth:`state`) and the padded second prompt."""

    applyRequested = Signal()
    paintToggled = Signal(bool)
    clearPaintRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.causal = QCheckBox(self.tr("causal (no future keys)"))
        self.causal.setChecked(True)
        self.window = _spin("window", self.tr("sliding window / band: |i − j| < w"))
        self.dilated_w = _spin("dilated_w", self.tr("dilated window: keys at i ± k·d, k < w"))
        self.dilated_d = QSpinBox()
        self.dilated_d.setRange(*field_range(MaskState, "dilated_d"))
        self.dilated_d.setValue(MaskState().dilated_d)
        self.global_positions = QLineEdit()
        self.global_positions.setPlaceholderText(self.tr("positions, e.g. 0, 12"))
        self.random_p = QDoubleSpinBox()
        self.random_p.setRange(*field_range(MaskState, "random_p"))
        self.random_p.setSingleStep(0.05)
        self.random_p.setSpecialValueText(self.tr("off"))
        self.random_seed = QSpinBox()
        self.random_seed.setRange(*field_range(MaskState, "random_seed"))
        self.block = _spin("block", self.tr("block-local: same block of b positions"))
        self.prefix = _spin("prefix", self.tr("prefix LM (with causal): the first N positions see each other, later "
                                              "ones are causal"))
        self.top_k = _spin("top_k", self.tr("top-k: each query keeps its k best-scoring keys, chosen inside each head"))
        self.lsh_buckets = _spin("lsh_buckets", self.tr("Reformer LSH: a query sees the keys hashed to its bucket "
                                                        "(an even number of buckets)"))
        self.lsh_buckets.setSingleStep(2)
        self.lsh_seed = QSpinBox()
        self.lsh_seed.setRange(*field_range(MaskState, "lsh_seed"))
        self.paint = QCheckBox(self.tr("paint cells out on the heatmap"))
        self.painted = QLabel(self.tr("0 cells painted"))
        self.clear_paint = QPushButton(self.tr("Clear painted"))
        self.second_prompt = QLineEdit()
        self.second_prompt.setPlaceholderText(self.tr("a shorter second prompt → padded batch"))
        self.second_prompt.setMaxLength(MAX_PROMPT)  # Qt's default cap is 32,767 characters
        self.pad_side = QComboBox()
        add_choices(self.pad_side, PAD_SIDES)
        self.apply_button = QPushButton(self.tr("Run with this mask"))
        self._lay_out()
        self.apply_button.clicked.connect(self.applyRequested)
        self.paint.toggled.connect(self.paintToggled)
        self.clear_paint.clicked.connect(self.clearPaintRequested)

    def _lay_out(self) -> None:
        form = QFormLayout()
        dilated = QHBoxLayout()
        dilated.addWidget(self.dilated_w)
        dilated.addWidget(QLabel("d"))
        dilated.addWidget(self.dilated_d)
        random = QHBoxLayout()
        random.addWidget(self.random_p)
        random.addWidget(QLabel(self.tr("seed")))
        random.addWidget(self.random_seed)
        lsh = QHBoxLayout()
        lsh.addWidget(self.lsh_buckets)
        lsh.addWidget(QLabel(self.tr("seed")))
        lsh.addWidget(self.lsh_seed)
        paint = QHBoxLayout()
        paint.addWidget(self.paint)
        paint.addWidget(self.painted)
        paint.addWidget(self.clear_paint)
        padding = QHBoxLayout()
        padding.addWidget(self.second_prompt, 1)
        padding.addWidget(self.pad_side)
        for label, field in (("", self.causal), (self.tr("prefix N"), self.prefix), (self.tr("window w"), self.window),
                             (self.tr("dilated w"), dilated), (self.tr("global tokens"), self.global_positions),
                             (self.tr("random p"), random), (self.tr("block size"), self.block),
                             (self.tr("top-k keys"), self.top_k), (self.tr("LSH buckets"), lsh),
                             (self.tr("custom"), paint), (self.tr("padding"), padding)):
            form.addRow(label, field)
        self.proof = QLabel("")
        self.proof.setWordWrap(True)
        self.effect_label = QLabel("")
        self.effect_label.setWordWrap(True)
        self.effect_label.setFont(cjk_font(10))
        self.effect = TopKTable()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(form)
        layout.addWidget(self.apply_button)
        layout.addWidget(self.proof)
        layout.addWidget(self.effect_label)
        layout.addWidget(self.effect, 1)
        explain(self, MASKS)

    def state(self) -> MaskState:
        """The composed mask as plain values (the binding turns them into a backend spec)."""
        words = self.global_positions.text().replace(",", " ").split()
        return MaskState(
            causal=self.causal.isChecked(), window=self.window.value(), dilated_w=self.dilated_w.value(),
            dilated_d=self.dilated_d.value(), global_positions=tuple(int(w) for w in words if w.isdecimal()),
            random_p=self.random_p.value(), random_seed=self.random_seed.value(), block=self.block.value(),
            prefix=self.prefix.value(), top_k=self.top_k.value(), lsh_buckets=self.lsh_buckets.value(),
            lsh_seed=self.lsh_seed.value())

    def set_state(self, state: MaskState) -> None:
        self.causal.setChecked(state.causal)
        for box, value in ((self.window, state.window), (self.dilated_w, state.dilated_w),
                           (self.dilated_d, state.dilated_d), (self.random_seed, state.random_seed),
                           (self.block, state.block), (self.prefix, state.prefix), (self.top_k, state.top_k),
                           (self.lsh_buckets, state.lsh_buckets), (self.lsh_seed, state.lsh_seed)):
            box.setValue(value)
        self.global_positions.setText(", ".join(str(p) for p in state.global_positions))
        self.random_p.setValue(state.random_p)

    @property
    def painting(self) -> bool:
        """Clicks on the heatmap paint cells out instead of selecting a row."""
        return self.paint.isChecked()

    def padding(self) -> tuple[str, str]:
        """The second prompt of a padded batch ("" for none) and the side its pads go on."""
        return self.second_prompt.text(), current_key(self.pad_side)

    def set_padding(self, second_prompt: str, side: str) -> None:
        self.second_prompt.setText(second_prompt)
        set_key(self.pad_side, side)

    def set_painted(self, n: int) -> None:
        self.painted.setText(self.tr("{n} cell{value} painted").format(n=n, value='s' if n != 1 else ''))

    def set_proof(self, text: str) -> None:
        self.proof.setText(text)

    def set_effect(self, title: str, before: list[tuple[str, float]], after: list[tuple[str, float]]) -> None:
        self.effect_label.setText(title)
        self.effect.set_rows(before, after)
