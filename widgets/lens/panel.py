"""The Prediction dock's widget: prompt, target and distractor controls over four tabs — the logit-lens grid, the
target across layers, the attribution table and the patching heatmaps. Plain data in, user intent out."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, Signal
from PySide6.QtWidgets import (
    QComboBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPlainTextEdit, QPushButton, QSpinBox, QTabWidget,
    QVBoxLayout, QWidget,
)

from lmscope.widgets.colorbar import ColourKey
from lmscope.widgets.lens.data import AttributionData, LensGridData, PatchingData
from lmscope.widgets.lens.grid import LensGrid
from lmscope.widgets.lens.state import (
    COLOURS, MAX_PROMPT, MAX_TOKEN_TEXT, TABS, AttributionState, LensState, PatchingState,
)
from lmscope.widgets.lens.views import AttributionTable, PatchingView, TargetView
from lmscope.widgets.style import fmt, lookup_table
from lmscope.widgets.terms import add_choices, current_key, set_key


class LensPanel(QWidget):
    lensRequested = Signal()  # run the lens on the prompt (with the target, if any)
    attributionRequested = Signal()
    patchingRequested = Signal()
    headSelected = Signal(int, int)  # (layer, head) clicked in the attribution table

    def __init__(self) -> None:
        super().__init__()
        self.prompt = QLineEdit()
        self.prompt.setPlaceholderText(self.tr("prompt (follows the current capture)"))
        self.prompt.setMaxLength(MAX_PROMPT)
        self.target = QLineEdit()
        self.target.setPlaceholderText(self.tr("target: one token or #ID"))
        self.target.setMaxLength(MAX_TOKEN_TEXT)
        self.distractor = QLineEdit()
        self.distractor.setPlaceholderText(self.tr("distractor: one token or #ID"))
        self.distractor.setMaxLength(MAX_TOKEN_TEXT)
        self.position = QSpinBox()
        self.position.setRange(-1, 1_000_000)
        self.position.setValue(-1)
        self.position.setSpecialValueText(self.tr("last"))
        self.position.setToolTip(self.tr("Where attribution and patching read the logit difference"))
        self.top_k = QSpinBox()
        self.top_k.setRange(1, 50)
        self.top_k.setValue(5)
        self.colour = QComboBox()
        add_choices(self.colour, COLOURS)
        self.run_lens = QPushButton(self.tr("Run lens"))
        self.run_attribution = QPushButton(self.tr("Attribute"))
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setVisible(False)

        controls = QHBoxLayout()
        for label, widget, stretch in ((self.tr("Prompt"), self.prompt, 4), (self.tr("Target"), self.target, 1),
                                       (self.tr("vs"), self.distractor, 1), (self.tr("at"), self.position, 0),
                                       (self.tr("top"), self.top_k, 0), (self.tr("colour"), self.colour, 0)):
            controls.addWidget(QLabel(label))
            controls.addWidget(widget, stretch)
        self.colour_key = ColourKey(lookup_table("viridis"))  # the grid's colours are viridis (lens/grid.py)
        controls.addWidget(self.colour_key, 1)
        controls.addWidget(self.run_lens)
        controls.addWidget(self.run_attribution)

        self.grid = LensGrid()
        self.target_view = TargetView()
        self.attribution = AttributionTable()
        self.reference = QPlainTextEdit()
        self.reference.setPlaceholderText(self.tr("Mean-ablation prompts, one per line (empty: the mean over the "
                                                  "prompt)"))
        self.reference.setMaximumHeight(54)
        attribution_tab = QWidget()
        lay = QVBoxLayout(attribution_tab)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.reference)
        lay.addWidget(self.attribution, 1)
        self.corrupt = QLineEdit()
        self.corrupt.setPlaceholderText(self.tr("corrupted prompt, the same number of tokens as the prompt"))
        self.corrupt.setMaxLength(MAX_PROMPT)
        self.run_patching = QPushButton(self.tr("Patch"))
        self.patching = PatchingView()
        patching_tab = QWidget()
        lay = QVBoxLayout(patching_tab)
        lay.setContentsMargins(0, 0, 0, 0)
        row = QFormLayout()
        line = QHBoxLayout()
        line.addWidget(self.corrupt, 1)
        line.addWidget(self.run_patching)
        row.addRow(self.tr("Corrupted"), line)
        lay.addLayout(row)
        lay.addWidget(self.patching, 1)

        self.tabs = QTabWidget()
        for widget, title in ((self.grid, self.tr("Logit lens")), (self.target_view, self.tr("Target")),
                              (attribution_tab, self.tr("Attribution")), (patching_tab, self.tr("Patching"))):
            self.tabs.addTab(widget, title)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(controls)
        layout.addWidget(self.message)
        layout.addWidget(self.tabs, 1)

        self._lens: LensGridData | None = None
        self._patching: PatchingData | None = None
        self._selected = -1
        self._sort = (3, True)
        self.run_lens.clicked.connect(self.lensRequested)
        self.prompt.returnPressed.connect(self.lensRequested)
        self.target.returnPressed.connect(self.lensRequested)
        self.run_attribution.clicked.connect(self._attribute)
        self.distractor.returnPressed.connect(self._attribute)
        self.run_patching.clicked.connect(self._patch)
        self.corrupt.returnPressed.connect(self._patch)
        self.colour.currentIndexChanged.connect(lambda _i: self.grid.set_colour(current_key(self.colour)))
        self.colour.currentIndexChanged.connect(self._show_colour_key)
        self._show_colour_key()
        self.grid.positionClicked.connect(self.select_position)
        self.attribution.headSelected.connect(self.headSelected)
        self.attribution.sortChanged.connect(self._on_sort)

    # --- intent --------------------------------------------------------------------------------------------
    def _attribute(self) -> None:
        self.tabs.setCurrentIndex(TABS.index("attribution"))
        self.attributionRequested.emit()

    def _patch(self) -> None:
        self.tabs.setCurrentIndex(TABS.index("patching"))
        self.patchingRequested.emit()

    def _on_sort(self, column: int, descending: bool) -> None:
        self._sort = (column, descending)

    def select_position(self, position: int) -> None:
        self._selected = position
        self.target_view.set_data(self._lens, position)

    # --- data ----------------------------------------------------------------------------------------------
    def set_lens(self, data: LensGridData | None) -> None:
        self._lens = data
        self.grid.set_data(data, current_key(self.colour))
        self._show_colour_key()
        self.target_view.set_data(data, self._selected)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt API
        if event.type() == QEvent.Type.LanguageChange and "colour_key" in vars(self):
            self._show_colour_key()  # the key's title is painted, not a widget text the live switch could find
        super().changeEvent(event)

    def _show_colour_key(self) -> None:
        """The grid's colour scale: top-1 probability 0 … 1, or entropy 0 … the grid's largest (lens/grid.py)."""
        if current_key(self.colour) == "entropy":
            entropy = self._lens.entropy if self._lens is not None else np.zeros(0)
            peak = max(float(np.nanmax(entropy)), 1e-9) if entropy.size else 1.0
            self.colour_key.set_scale(self.tr("entropy (nats)"), "0", fmt(peak))
        else:
            self.colour_key.set_scale(self.tr("top-1 probability"), "0", "1")

    def set_attribution(self, data: AttributionData | None) -> None:
        self.attribution.set_data(data)
        self.attribution.sort(*self._sort)

    def set_patching(self, data: PatchingData | None) -> None:
        self._patching = data
        self.patching.set_data(data)

    def set_message(self, text: str, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setStyleSheet("color: #ff8a80;" if error else "")
        self.message.setVisible(bool(text))

    def set_prompt(self, text: str) -> None:
        self.prompt.setText(text)

    def inputs(self) -> dict[str, str | int | list[str]]:
        """What the user typed, for the binding's jobs."""
        return {"prompt": self.prompt.text(), "target": self.target.text().strip(),
                "distractor": self.distractor.text().strip(), "corrupt": self.corrupt.text(),
                "position": self.position.value(), "top_k": self.top_k.value(),
                "reference": [line for line in self.reference.toPlainText().splitlines() if line.strip()]}

    # --- state ---------------------------------------------------------------------------------------------
    def state(self) -> LensState:
        return LensState(tab=TABS[self.tabs.currentIndex()], prompt=self.prompt.text(), target=self.target.text(),
                         distractor=self.distractor.text(), corrupt=self.corrupt.text(),
                         reference=self.reference.toPlainText(), position=self.position.value(),
                         selected=self._selected, top_k=self.top_k.value(), colour=current_key(self.colour),
                         sort_column=self._sort[0], sort_descending=self._sort[1],
                         attribution=AttributionState.of(self.attribution.data_),
                         patching=PatchingState.of(self._patching))

    def set_state(self, state: LensState) -> None:
        self.tabs.setCurrentIndex(TABS.index(state.tab))
        for edit, value in ((self.prompt, state.prompt), (self.target, state.target),
                            (self.distractor, state.distractor), (self.corrupt, state.corrupt)):
            edit.setText(value)
        self.reference.setPlainText(state.reference)
        self.position.setValue(state.position)
        self.top_k.setValue(state.top_k)
        set_key(self.colour, state.colour)
        self._sort = (state.sort_column, state.sort_descending)
        # The results saved with the session: shown again as they were, without the model.
        self.set_attribution(state.attribution.data())
        self.set_patching(state.patching.data())
        self.select_position(state.selected)
