"""The debugger's controls: Step / Step over layer / Continue / Run to selected / Restart, a "where am I" strip of
layers × stages, the breakpoint list and editor, and a view of the current stop's tensor.

The panel knows nothing of expressions or models: conditions come in as labelled templates, breakpoints go out as
(layer, head, stage, condition) and come back as display strings once the document has accepted them.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QT_TRANSLATE_NOOP, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import (
    QComboBox, QDoubleSpinBox, QGridLayout, QGroupBox, QLabel, QLineEdit, QListWidget, QPushButton,
    QSizePolicy, QVBoxLayout, QWidget,
)

from lmscope.widgets.attention.heatmap import HeatmapView
from lmscope.widgets.style import cjk_font
from lmscope.widgets.terms import term

COMMANDS = (("step", QT_TRANSLATE_NOOP("DebuggerView", "Step")),
            ("layer", QT_TRANSLATE_NOOP("DebuggerView", "Step over layer")),
            ("continue", QT_TRANSLATE_NOOP("DebuggerView", "Continue")),
            ("run_to", QT_TRANSLATE_NOOP("DebuggerView", "Run to selected head")),
            ("restart", QT_TRANSLATE_NOOP("DebuggerView", "Restart")))


class WhereStrip(QWidget):
    """One block per layer with a cell per stage: passed cells dim, the current one bright, breakpoints marked."""

    def __init__(self, stages: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.stages = list(stages)
        self.n_layer = 0
        self.position: tuple[int, int, int] | None = None  # layer, head, stage index
        self.finished = False
        self.marked_layers: set[int] = set()
        self.setMinimumHeight(38)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return QSize(400, 38)

    def set_state(self, n_layer: int, position: tuple[int, int, int] | None, finished: bool,
                  marked_layers: set[int]) -> None:
        self.n_layer, self.position, self.finished, self.marked_layers = n_layer, position, finished, marked_layers
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt API
        if not self.n_layer:
            return
        painter = QPainter(self)
        width = self.width() / self.n_layer
        cell = (width - 6) / len(self.stages)
        for layer in range(self.n_layer):
            x0 = layer * width + 3
            painter.setPen(QColor("#cccccc"))
            painter.drawText(QRectF(x0, 0, width - 6, 14), Qt.AlignmentFlag.AlignCenter,
                             f"L{layer}" + (" ●" if layer in self.marked_layers else ""))
            for s in range(len(self.stages)):
                painter.fillRect(QRectF(x0 + s * cell + 1, 17, cell - 2, 16), self._colour(layer, s))
        painter.end()

    def _colour(self, layer: int, stage: int) -> QColor:
        if self.finished:
            return QColor("#3c6e57")
        if self.position is None:
            return QColor("#3a3a3a")
        here = (layer, stage) == (self.position[0], self.position[2])
        if here:
            return QColor("#E69F00")
        passed = layer < self.position[0] or (layer == self.position[0] and stage < self.position[2])
        return QColor("#56606a") if passed else QColor("#2d2d2d")


class BreakpointEditor(QGroupBox):
    """Where (layer, head, stage, each possibly *) and when (a preset condition with a threshold, or an
    expression); the list shows the accepted breakpoints."""

    breakpointRequested = Signal(int, int, str, str)  # layer (−1 any), head (−1 any), stage ("" any), condition
    removeRequested = Signal(int)

    def __init__(self, stages: list[str], conditions: dict[str, str], variables: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Breakpoints"), parent)
        self.layer_box, self.head_box, self.stage_box = QComboBox(), QComboBox(), QComboBox()
        self.stage_box.addItem("*", "")
        for stage in stages:
            self.stage_box.addItem(term(stage), stage)
        self.condition_box = QComboBox()
        self.condition_box.addItem(self.tr("always"), "")
        for label, template in conditions.items():
            self.condition_box.addItem(term(label), template)
        self.condition_box.addItem(self.tr("expression"), "expression")
        self.threshold = QDoubleSpinBox()
        self.threshold.setRange(-1e6, 1e6)
        self.threshold.setDecimals(3)
        self.threshold.setValue(0.5)
        self.expression = QLineEdit()
        self.expression.setPlaceholderText(self.tr("e.g. max(pattern[row]) > 0.8 and layer > 0"))
        self.expression.setToolTip(self.tr("Variables: {variables}").format(variables=term(variables)))
        self.add_button = QPushButton(self.tr("Add breakpoint"))
        self.remove_button = QPushButton(self.tr("Remove"))
        self.list = QListWidget()
        self.list.setMaximumHeight(90)
        grid = QGridLayout(self)
        for column, (text, box) in enumerate(((self.tr("layer"), self.layer_box), (self.tr("head"), self.head_box),
                                              (self.tr("stage"), self.stage_box))):
            grid.addWidget(QLabel(text), 0, 2 * column)
            grid.addWidget(box, 0, 2 * column + 1)
        grid.addWidget(QLabel(self.tr("when")), 1, 0)
        grid.addWidget(self.condition_box, 1, 1, 1, 3)
        grid.addWidget(self.threshold, 1, 4, 1, 2)
        grid.addWidget(self.expression, 2, 0, 1, 6)
        grid.addWidget(self.add_button, 3, 0, 1, 3)
        grid.addWidget(self.remove_button, 3, 3, 1, 3)
        grid.addWidget(self.list, 4, 0, 1, 6)
        self.condition_box.currentIndexChanged.connect(self._on_condition)
        self.add_button.clicked.connect(self._on_add)
        self.remove_button.clicked.connect(lambda: self.removeRequested.emit(self.list.currentRow()))
        self.set_shape(0, 0)
        self._on_condition()

    def set_shape(self, n_layer: int, n_head: int) -> None:
        for box, n in ((self.layer_box, n_layer), (self.head_box, n_head)):
            current = box.currentIndex()
            box.clear()
            box.addItem("*", -1)
            for i in range(n):
                box.addItem(str(i), i)
            box.setCurrentIndex(max(0, min(current, n)))

    def set_breakpoints(self, texts: list[str]) -> None:
        self.list.clear()
        self.list.addItems(texts)

    def choose(self, condition_label: str, threshold: float | None = None, stage: str = "") -> None:
        """Pick a preset (by its label) and threshold, as a user would."""
        self.condition_box.setCurrentIndex(max(0, self.condition_box.findText(term(condition_label))))
        if threshold is not None:
            self.threshold.setValue(threshold)
        self.stage_box.setCurrentIndex(max(0, self.stage_box.findData(stage)))

    def condition(self) -> str:
        template = str(self.condition_box.currentData())
        if template == "expression":
            return self.expression.text().strip()
        return template.format(x=f"{self.threshold.value():g}")

    def _on_condition(self) -> None:
        template = str(self.condition_box.currentData())
        self.threshold.setEnabled("{x}" in template)
        self.expression.setEnabled(template == "expression")

    def _on_add(self) -> None:
        self.breakpointRequested.emit(int(self.layer_box.currentData()), int(self.head_box.currentData()),
                                      str(self.stage_box.currentData()), self.condition())


class DebuggerView(QWidget):
    commandRequested = Signal(str)
    breakpointRequested = Signal(int, int, str, str)  # the editor's: layer (−1 any), head (−1 any), stage, condition
    removeRequested = Signal(int)  # index into the breakpoint list

    def __init__(self, stages: list[str], conditions: dict[str, str], variables: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.buttons: dict[str, QPushButton] = {}
        row = QGridLayout()  # three a row: the tab is a narrow column beside the heatmap on a laptop screen
        for index, (command, text) in enumerate(COMMANDS):
            button = QPushButton(self.tr(text))
            button.clicked.connect(lambda _=False, c=command: self.commandRequested.emit(c))
            self.buttons[command] = button
            row.addWidget(button, index // 3, index % 3)
        self.where = WhereStrip(stages)
        self.status = QLabel(self.tr("Not started: press Step, Continue or Run to."))
        self.status.setWordWrap(True)
        self.status.setFont(cjk_font(10))
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.stop_view = HeatmapView()
        self.stop_view.setMinimumHeight(120)
        self.stop_view.setMaximumHeight(260)  # leave the breakpoint editor in view without scrolling
        self.editor = BreakpointEditor(stages, conditions, variables)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(row)
        layout.addWidget(self.where)
        layout.addWidget(self.status)
        layout.addWidget(self.stop_view, 1)
        layout.addWidget(self.editor)
        self.stop_view.plot.getPlotItem().getViewBox().setBorder(QPen(QColor("#555555")))
        self.editor.breakpointRequested.connect(self.breakpointRequested)
        self.editor.removeRequested.connect(self.removeRequested)

    def set_busy(self, busy: bool) -> None:
        for button in self.buttons.values():
            button.setEnabled(not busy)

    def set_status(self, text: str) -> None:
        self.status.setText(text)

    def show_where(self, n_layer: int, position: tuple[int, int, int] | None, finished: bool,
                   marked_layers: set[int]) -> None:
        """The strip of layers × stages: where the pass stands (layer, head, stage index) and marked layers."""
        self.where.set_state(n_layer, position, finished, marked_layers)

    def show_stop(self, rows: list[str], cols: list[str], tensor: np.ndarray, kind: str, *, row: int,
                  weights: np.ndarray | None = None, scores: np.ndarray | None = None,
                  masked: np.ndarray | None = None, value_name: str = "") -> None:
        """The tensor of the current stop (query rows × ``cols``), its masked cells veiled and ``row`` marked."""
        heat = self.stop_view
        heat.set_tokens(rows, cols)
        heat.set_matrix(tensor, kind, weights=weights, scores=scores, value_name=value_name)
        heat.set_mask(masked)
        heat.set_row(row)

    def set_breakpoints(self, texts: list[str]) -> None:
        """The breakpoints the binding accepted, as their text."""
        self.editor.set_breakpoints(texts)
