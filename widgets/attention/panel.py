"""The attention & mask inspector: one head's stages as a heatmap with token axes, the model view of every head,
and the debugger, mask and intervention tabs (widgets/attention/*.py) in one panel.

The panel is fed plain arrays and strings and reports intent through signals; its settings go in and out as an
:class:`AttentionState` (widgets/attention/state.py) through ``state()`` / ``set_state()``. The binding in
gui/panels/attention.py talks to the panel and its tabs (``masks``, ``debugger``, ``ablation``, ``generation``,
``model_view``) through their methods and signals only, never to a control inside them; the selected head and
position live in the document.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QFrame, QHBoxLayout, QLabel, QScrollArea, QSizePolicy, QSplitter, QTabWidget, QVBoxLayout,
    QWidget,
)

from lmscope.widgets.attention.debugger import DebuggerView
from lmscope.widgets.attention.generate import InterventionsView
from lmscope.widgets.attention.heatmap import HeatmapView, TokenStrip
from lmscope.widgets.attention.masks import MaskControls
from lmscope.widgets.attention.model import ModelView
from lmscope.widgets.attention.state import COLORMAPS, AttentionState, MaskState
from lmscope.widgets.keys import panel_keys
from lmscope.widgets.style import CURVE_PENS, cjk_font, make_plot_widget
from lmscope.widgets.terms import term


class InspectorView(QWidget):
    """The heatmap, the token strip, and the selected row's weights with its sum, entropy and max."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.heatmap = HeatmapView()
        self.strip = TokenStrip()
        self.row_plot = make_plot_widget(left=self.tr("weight"), bottom=self.tr("key position"))
        self.row_plot.setMaximumHeight(150)
        self.row_curve = self.row_plot.plot(stepMode="center", fillLevel=0, pen=CURVE_PENS[1],
                                            brush=(230, 159, 0, 70))
        self.stats = QLabel(self.tr("Select a query row: click a token, a cell, or a label on the query axis."))
        self.stats.setFont(cjk_font(10))
        self.stats.setWordWrap(True)
        self.stats.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.heatmap)
        split.addWidget(self.row_plot)
        split.setSizes([600, 90])
        split.setStretchFactor(0, 1)  # a taller panel grows the heatmap, not the row's curve
        split.setStretchFactor(1, 0)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(split, 1)
        layout.addWidget(self.strip)
        layout.addWidget(self.stats)

    def set_row_values(self, values: np.ndarray | None, left: str) -> None:
        if values is None or values.size == 0:
            self.row_curve.setData([], [])
            return
        self.row_curve.setData(np.arange(values.size + 1, dtype=np.float64), np.asarray(values, np.float64))
        self.row_plot.setLabel("left", left)
        self.row_plot.getPlotItem().getViewBox().autoRange(padding=0.02)


class AttentionPanel(QWidget):
    headSelected = Signal(int, int)  # layer, head
    positionSelected = Signal(int)  # query position
    viewChanged = Signal()  # stage, colormap, log scale, overlay or sequence changed
    cellClicked = Signal(int, int)  # query, key (the binding paints masks with it when painting is on)

    def __init__(self, stages: dict[str, str], metrics: dict[str, str], conditions: dict[str, str],
                 variables: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._build_toolbar(stages)
        self.inspector = InspectorView()
        self.model_view = ModelView(metrics)
        self.left_tabs = QTabWidget()
        self.left_tabs.addTab(self.inspector, self.tr("Inspector"))
        self.left_tabs.addTab(self.model_view, self.tr("Model view"))
        self.left_tabs.setCornerWidget(self._look, Qt.Corner.TopRightCorner)
        self.debugger = DebuggerView(list(stages), conditions, variables)
        self.masks = MaskControls()
        self.interventions = InterventionsView()
        self.ablation, self.generation = self.interventions.ablation, self.interventions.generation
        self.right_tabs = QTabWidget()
        for widget, title in ((self.debugger, self.tr("Debugger")), (self.masks, self.tr("Masks")),
                              (self.interventions, self.tr("Ablate && generate"))):
            # Scrolling keeps the dock's minimum height small, so the window fits a laptop screen.
            scroll = QScrollArea()
            scroll.setWidgetResizable(True)
            scroll.setFrameShape(QFrame.Shape.NoFrame)
            scroll.setWidget(widget)
            self.right_tabs.addTab(scroll, title)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.left_tabs)
        split.addWidget(self.right_tabs)
        # The inspector keeps ~64 % of the width: in a 767-pixel column (1366×768) its tab row still shows the
        # Inspector and Model view tabs beside the colour controls.
        split.setSizes([700, 400])
        split.setStretchFactor(0, 7)
        split.setStretchFactor(1, 4)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(self._toolbar)
        layout.addWidget(split, 1)
        self._connect()
        # Anywhere in the panel (a text field keeps the keys it types); the heatmap adds its arrow keys.
        self.key_actions = panel_keys(self, (
            (self.tr("Previous layer"), "PgUp", lambda: self.step_head(-1, 0)),
            (self.tr("Next layer"), "PgDown", lambda: self.step_head(1, 0)),
            (self.tr("Previous head"), "[", lambda: self.step_head(0, -1)),
            (self.tr("Next head"), "]", lambda: self.step_head(0, 1))))

    def _build_toolbar(self, stages: dict[str, str]) -> None:
        self.source_label = QLabel(self.tr("No capture yet"))
        self.source_label.setFont(cjk_font(10))
        # A long label must not hold the panel wide open (it sits in a column of a 1366-pixel-wide window): it is
        # cut at the panel's edge and shown whole in its tooltip.
        self.source_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.source_label.setMinimumWidth(120)
        self.layer_box, self.head_box, self.batch_box = QComboBox(), QComboBox(), QComboBox()
        self.stage_box = QComboBox()
        for key, label in stages.items():
            self.stage_box.addItem(term(label), key)
        self.stage_box.setCurrentIndex(max(0, self.stage_box.findData("pattern")))
        self.colormap_box = QComboBox()
        self.colormap_box.addItems(list(COLORMAPS))
        self.log_box = QCheckBox(self.tr("log"))
        self.overlay_box = QCheckBox(self.tr("mask overlay"))
        self.overlay_box.setChecked(True)
        row = QHBoxLayout()
        row.addWidget(self.source_label, 1)
        for text, widget in ((self.tr("layer"), self.layer_box), (self.tr("head"), self.head_box),
                             (self.tr("stage"), self.stage_box), (self.tr("sequence"), self.batch_box)):
            row.addWidget(QLabel(text))
            row.addWidget(widget)
        self._toolbar = row
        # How the heatmap is drawn sits beside the Inspector/Model view tabs, in space they leave empty, so the
        # panel fits a narrow column without a second row of controls.
        self._look = QWidget()
        look = QHBoxLayout(self._look)
        look.setContentsMargins(0, 0, 4, 0)
        for widget in (QLabel(self.tr("colours")), self.colormap_box, self.log_box, self.overlay_box):
            look.addWidget(widget)

    def _connect(self) -> None:
        self.layer_box.currentIndexChanged.connect(self._on_head_box)
        self.head_box.currentIndexChanged.connect(self._on_head_box)
        self.model_view.headSelected.connect(self.headSelected)
        for box in (self.stage_box, self.colormap_box, self.batch_box):
            box.currentIndexChanged.connect(self.viewChanged)
        for check in (self.log_box, self.overlay_box):
            check.toggled.connect(self.viewChanged)
        heat = self.inspector.heatmap
        heat.rowClicked.connect(self.positionSelected)
        heat.cellClicked.connect(self.cellClicked)
        self.inspector.strip.tokenClicked.connect(self.positionSelected)
        self.colormap_box.currentTextChanged.connect(heat.set_colormap)

    # --- data in -------------------------------------------------------------------------------------------
    def set_shape(self, n_layer: int, head_labels: list[str], n_batch: int) -> None:
        """Fill the layer/head/sequence choosers; ``head_labels`` say which kv head each query head reads."""
        for box, labels in ((self.layer_box, [str(i) for i in range(n_layer)]), (self.head_box, head_labels),
                            (self.batch_box, [str(b) for b in range(n_batch)])):
            current = box.currentIndex()
            box.blockSignals(True)
            box.clear()
            box.addItems(labels)
            box.setCurrentIndex(min(max(current, 0), len(labels) - 1))
            box.blockSignals(False)
        self.debugger.editor.set_shape(n_layer, len(head_labels))

    def set_head(self, layer: int, head: int) -> None:
        for box, value in ((self.layer_box, layer), (self.head_box, head)):
            box.blockSignals(True)
            box.setCurrentIndex(value)
            box.blockSignals(False)
        self.model_view.select(layer, head)

    def set_tokens(self, tokens: list[str]) -> None:
        self.inspector.heatmap.set_tokens(tokens, tokens)
        self.inspector.strip.set_tokens(tokens)

    def set_position(self, position: int) -> None:
        self.inspector.heatmap.set_row(position)
        self.inspector.strip.set_position(position)

    def set_source(self, text: str) -> None:
        """What the panel shows: the capture's label, length and mask, or why there is nothing."""
        self.source_label.setText(text)
        self.source_label.setToolTip(text)

    def show_matrix(self, tokens: list[str], matrix: np.ndarray, kind: str, *, cols: list[str] | None = None,
                    weights: np.ndarray | None = None, scores: np.ndarray | None = None,
                    value_name: str = "value") -> None:
        """One head's stage in the inspector, drawn with this panel's log setting: query rows labelled by
        ``tokens``, columns by ``cols`` (the tokens when None); ``kind`` as in :meth:`HeatmapView.set_matrix`."""
        heat = self.inspector.heatmap
        heat.set_tokens(tokens, tokens if cols is None else cols)
        heat.set_matrix(matrix, kind, self.log_box.isChecked(), weights=weights, scores=scores,
                        value_name=value_name)
        self.inspector.strip.set_tokens(tokens)  # kept as it is when the tokens are the same

    def set_overlay(self, masked: np.ndarray | None) -> None:
        """Veil the cells True in ``masked`` (the mask, plus painted cells not applied yet); None hides the veil."""
        self.inspector.heatmap.set_mask(masked)

    def show_row(self, values: np.ndarray | None, left: str, text: str) -> None:
        """The selected query row's values as a curve (``left`` names them) and a line of statistics."""
        self.inspector.set_row_values(values, left)
        self.inspector.stats.setText(text)

    # --- what is chosen ------------------------------------------------------------------------------------
    @property
    def stage(self) -> str:
        return str(self.stage_box.currentData())

    def set_stage(self, stage: str) -> None:
        self.stage_box.setCurrentIndex(max(0, self.stage_box.findData(stage)))

    @property
    def colormap(self) -> str:
        return self.colormap_box.currentText()

    @property
    def batch(self) -> int:
        return max(0, self.batch_box.currentIndex())

    @property
    def overlay(self) -> bool:
        return self.overlay_box.isChecked()

    def state(self, mask: str, breakpoints: tuple[str, ...] = (),
              ablated_heads: tuple[str, ...] = ()) -> AttentionState:
        """The panel's settings; the mask text and the accepted breakpoints and heads are the binding's (it reads
        and writes them with the backend) and come in as arguments."""
        pad_text, pad_side = self.masks.padding()
        return AttentionState(
            stage=self.stage, colormap=self.colormap, log_scale=self.log_box.isChecked(), overlay=self.overlay,
            summary_metric=self.model_view.metric, mask=mask, pad_text=pad_text, pad_side=pad_side,
            breakpoints=tuple(breakpoints), ablated_heads=tuple(ablated_heads), ablation_mode=self.ablation.mode,
            generation=self.generation.state())

    def set_state(self, state: AttentionState, mask: MaskState) -> None:
        """Show ``state``'s settings, with ``mask`` the binding's reading of ``state.mask``; the breakpoint and
        ablation lists are the binding's to show (``DebuggerView.set_breakpoints``, ``AblationView.set_heads``)."""
        self.set_stage(state.stage)
        self.colormap_box.setCurrentText(state.colormap)
        self.log_box.setChecked(state.log_scale)
        self.overlay_box.setChecked(state.overlay)
        self.model_view.set_metric(state.summary_metric)
        self.masks.set_state(mask)
        self.masks.set_padding(state.pad_text, state.pad_side)
        self.ablation.set_mode(state.ablation_mode)
        self.generation.set_state(state.generation)

    def show_tab(self, widget: QWidget) -> None:
        """Bring a right-hand tab (debugger, masks, interventions) to the front."""
        for index in range(self.right_tabs.count()):
            scroll = self.right_tabs.widget(index)
            if isinstance(scroll, QScrollArea) and scroll.widget() is widget:
                self.right_tabs.setCurrentIndex(index)

    def step_head(self, d_layer: int, d_head: int) -> None:
        """Ask for the layer/head that many steps from the shown one, kept inside the model."""
        now = (self.layer_box.currentIndex(), self.head_box.currentIndex())
        n_layer, n_head = self.layer_box.count(), self.head_box.count()
        wanted = (min(max(now[0] + d_layer, 0), n_layer - 1), min(max(now[1] + d_head, 0), n_head - 1))
        if n_layer and n_head and wanted != now:
            self.headSelected.emit(*wanted)

    def _on_head_box(self) -> None:
        self.headSelected.emit(max(0, self.layer_box.currentIndex()), max(0, self.head_box.currentIndex()))
