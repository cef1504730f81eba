"""The MoE router panel: routing of the current capture (map and probabilities), load and statistics per layer,
and load over training (the definitions are its help page, resources/help/en/moe.html). Fed plain
:class:`RouterView` / :class:`LoadTimeline` values; reports the user's choice of layer and token through signals."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QT_TRANSLATE_NOOP, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView, QCheckBox, QComboBox, QHBoxLayout, QHeaderView, QLabel, QSplitter, QTableWidget,
    QTableWidgetItem, QTabWidget, QVBoxLayout, QWidget,
)

from lmscope.widgets.colorbar import reserve_colorbar_space
from lmscope.widgets.moe.data import LoadTimeline, RouterView, SoftView
from lmscope.widgets.moe.soft import SoftMoeView
from lmscope.widgets.moe.training import OverTrainingView
from lmscope.widgets.moe.views import ExpertMap, LoadView, ProbabilityView
from lmscope.widgets.state import PanelState, bounded, choice, text
from lmscope.widgets.style import CURVE_PENS, fmt, make_plot_widget
from lmscope.widgets.terms import add_choices, current_key, set_key, term

TABS = (QT_TRANSLATE_NOOP("MoePanel", "Routing"), QT_TRANSLATE_NOOP("MoePanel", "Load && statistics"),
        QT_TRANSLATE_NOOP("MoePanel", "Over training"), QT_TRANSLATE_NOOP("MoePanel", "Soft MoE"))  # "&&": a literal &


@dataclass(frozen=True)
class MoeState(PanelState):
    """What the router panel shows: tab, selected MoE layer (row), top-k marks, heatmap quantity, compared run."""

    tab: int = bounded(0, 0, len(TABS) - 1)
    layer: int = bounded(0, 0, 100_000)  # row of the selected MoE layer (0 = the first MoE block)
    mark_topk: bool = True
    heatmap: str = choice("load", "importance")
    compare_run: str = text("", max_chars=200)  # label of the run compared over training, "" for none


class MoePanel(QWidget):
    layerSelected = Signal(int)  # the model's block index of the selected MoE layer
    tokenSelected = Signal(int)  # position of a clicked token

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view: RouterView | None = None
        self.soft: SoftView | None = None
        self.row = 0
        self.position = -1
        self.source_label = QLabel(self.tr("No MoE capture: capture a prompt with a mixture-of-experts model "
                                   "(Model → Built-in models → demo-moe)."))
        self.source_label.setWordWrap(True)
        self.layer_box = QComboBox()
        self.marks_box = QCheckBox(self.tr("mark top-k"))
        self.marks_box.setChecked(True)
        self.heatmap_box = QComboBox()
        add_choices(self.heatmap_box, ("load", "importance"))
        controls = QHBoxLayout()
        for label, widget in ((self.tr("Layer"), self.layer_box), (self.tr("Heatmap"), self.heatmap_box)):
            controls.addWidget(QLabel(label))
            controls.addWidget(widget)
        controls.addWidget(self.marks_box)
        controls.addStretch(1)
        self.map = ExpertMap()
        self.probs = ProbabilityView()
        self.probs.plot.setXLink(self.map.plot)
        self.gate_plot = make_plot_widget(left=self.tr("shared gate"))
        self.gate_plot.setXLink(self.map.plot)
        reserve_colorbar_space(self.gate_plot)
        self.gate_plot.setMaximumHeight(140)
        self.gate_plot.setVisible(False)
        routing = QSplitter(Qt.Orientation.Vertical)
        routing.addWidget(self.map)
        routing.addWidget(self.probs)
        routing.addWidget(self.gate_plot)
        routing.setSizes([260, 300, 100])
        self.load = LoadView()
        self.table = self._make_table()
        self.hf_label = QLabel(" ")
        self.hf_label.setWordWrap(True)
        stats_box = QWidget()
        stats_layout = QVBoxLayout(stats_box)
        stats_layout.setContentsMargins(0, 0, 0, 0)
        stats_layout.addWidget(self.table, 1)
        stats_layout.addWidget(self.hf_label)
        load_tab = QSplitter(Qt.Orientation.Horizontal)
        load_tab.addWidget(self.load)
        load_tab.addWidget(stats_box)
        load_tab.setSizes([420, 520])
        self.training = OverTrainingView()
        self.soft_view = SoftMoeView()
        self.tabs = QTabWidget()
        for widget, title in zip((routing, load_tab, self.training, self.soft_view), map(self.tr, TABS)):
            self.tabs.addTab(widget, title)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.source_label)
        layout.addLayout(controls)
        layout.addWidget(self.tabs, 1)
        self.layer_box.currentIndexChanged.connect(self._on_layer_box)
        self.marks_box.toggled.connect(self.probs.set_marks_visible)
        self.heatmap_box.currentIndexChanged.connect(self._redraw_load)
        for source in (self.map, self.probs, self.soft_view.dispatch, self.soft_view.combine):
            source.tokenClicked.connect(self._on_token)
        self.map.rowClicked.connect(self.select_row)  # the soft matrices' rows are slots, not layers
        self.load.rowClicked.connect(self.select_row)
        self.table.cellClicked.connect(self._on_table_click)

    @staticmethod
    def _make_table() -> QTableWidget:
        table = QTableWidget(0, 0)
        table.verticalHeader().setVisible(False)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        return table

    # --- data in -------------------------------------------------------------------------------------------
    def set_view(self, view: RouterView | None, reason: str = "") -> None:
        """Show one capture's routing (None: there is nothing to show, and ``reason`` or the default says why)."""
        self.view, self.soft = view, None
        self.soft_view.set_view(None)
        if view is None:
            self.source_label.setText(reason or self.tr("This capture has no router tensors: the model is not a "
                                                        "mixture of experts, or the capture left the router hooks "
                                                        "out."))
            return
        self.row = min(self.row, len(view.layers) - 1)
        self.source_label.setText(
            self.tr("Capture: {label} · {tokens} tokens · {layers} MoE layers · {experts} experts, top-{k}").format(
                label=view.label, tokens=view.n_tokens, layers=len(view.layers), experts=view.n_experts, k=view.top_k)
            + (self.tr(" · {n} shared").format(n=view.n_shared) if view.n_shared else ""))
        self._fill_layers(view.layers)
        self.map.set_view(view)
        self.map.set_row(self.row)
        self._fill_table()
        k = view.top_k
        self.hf_label.setText(
            self.tr("transformers' pooled auxiliary loss (hf_aux) = {value} — its own convention: all layers' tokens "
                    "pooled and every top-{k} slot counted without dividing by k, so balanced top-{k} routing gives "
                    "{k}.0, not 1.0. A pooled figure can look perfect while every layer has collapsed (each onto a "
                    "different set of experts): read the per-layer Switch aux and MaxVio above.")
            .format(value=fmt(view.hf_aux), k=k))
        self._redraw_layer()
        self.set_position(self.position)

    def set_soft(self, soft: SoftView) -> None:
        """Show a Soft MoE capture: its dispatch and combine matrices (there is no top-k router to show)."""
        self.view, self.soft = None, soft
        self.row = min(self.row, len(soft.layers) - 1)
        self.source_label.setText(self.tr("Capture: {label} · {n_tokens} tokens · {value} Soft MoE layers: no router "
                                          "picks experts, see the Soft MoE tab.")
                                  .format(label=soft.label, n_tokens=soft.n_tokens, value=len(soft.layers)))
        self._fill_layers(soft.layers)
        self.soft_view.set_view(soft, self.row)
        self.tabs.setCurrentIndex(TABS.index("Soft MoE"))

    def _layers(self) -> tuple[int, ...]:
        return self.view.layers if self.view is not None else self.soft.layers if self.soft is not None else ()

    def _fill_layers(self, layers: tuple[int, ...]) -> None:
        self.layer_box.blockSignals(True)
        self.layer_box.clear()
        self.layer_box.addItems([f"L{layer}" for layer in layers])
        self.layer_box.setCurrentIndex(self.row)
        self.layer_box.blockSignals(False)

    def set_training(self, current: LoadTimeline | None, others: list[LoadTimeline], compare: str = "") -> None:
        self.training.set_runs(current, others, compare)

    # --- selection -----------------------------------------------------------------------------------------
    def select_row(self, row: int) -> None:
        layers = self._layers()
        if not 0 <= row < len(layers) or row == self.row:
            return
        self.row = row
        self.layer_box.blockSignals(True)
        self.layer_box.setCurrentIndex(row)
        self.layer_box.blockSignals(False)
        if self.soft is not None:
            self.soft_view.set_view(self.soft, row)
        else:
            self._redraw_layer()
        self.layerSelected.emit(layers[row])

    def select_layer(self, block: int) -> None:
        """Select the MoE layer of model block ``block`` (from another panel), if it is one."""
        layers = self._layers()
        if block in layers:
            self.select_row(layers.index(block))

    def set_position(self, position: int) -> None:
        self.position = position
        self.map.set_token(position)
        self.probs.set_token(position)
        self.soft_view.set_token(position)

    # --- state ---------------------------------------------------------------------------------------------
    def state(self) -> MoeState:
        return MoeState(tab=self.tabs.currentIndex(), layer=self.row, mark_topk=self.marks_box.isChecked(),
                        heatmap=current_key(self.heatmap_box), compare_run=self.training.compared())

    def set_state(self, state: MoeState) -> None:
        self.tabs.setCurrentIndex(state.tab)
        self.marks_box.setChecked(state.mark_topk)
        set_key(self.heatmap_box, state.heatmap)
        if state.layer < len(self._layers()):
            self.select_row(state.layer)
        elif not self._layers():
            self.row = state.layer

    # --- drawing -------------------------------------------------------------------------------------------
    def _redraw_layer(self) -> None:
        view = self.view
        if view is None:
            return
        self.map.set_row(self.row)
        self.probs.set_view(view, self.row)
        self._redraw_load()
        self._draw_gate()
        self.training.set_row(self.row)
        self.table.blockSignals(True)
        self.table.selectRow(self.row)
        self.table.blockSignals(False)

    def _redraw_load(self) -> None:
        if self.view is not None:
            self.load.set_view(self.view, self.row, importance=current_key(self.heatmap_box) == "importance")

    def _draw_gate(self) -> None:
        view = self.view
        gate = view.shared_gate if view is not None else None
        self.gate_plot.setVisible(gate is not None)
        self.gate_plot.clear()
        if gate is None:
            return
        x = np.arange(view.n_tokens) + 0.5
        for s in range(gate.shape[-1]):
            self.gate_plot.plot(x, gate[self.row, :, s], pen=CURVE_PENS[s % len(CURVE_PENS)],
                                symbol="o", symbolSize=3)
        self.gate_plot.setYRange(0, 1.05, padding=0)

    def _fill_table(self) -> None:
        """One row per MoE layer; existing cells are reused (a new capture of the same model relabels, 32 layers ×
        9 columns of fresh items cost ~25 ms)."""
        view = self.view
        headers = [self.tr("layer")] + [term(header) for _, header, _ in view.columns] + [self.tr("max load"),
                                                                                          self.tr("expert")]
        if self.table.columnCount() != len(headers):
            self.table.setColumnCount(len(headers))
            self.table.setHorizontalHeaderLabels(headers)
        self.table.setRowCount(len(view.layers))
        right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        for r, layer in enumerate(view.layers):
            busiest = int(view.load[r].argmax())
            cells = [str(layer)] + [fmt(float(v), pct) for v, (_, _, pct) in zip(view.stats[r], view.columns)]
            cells += [fmt(float(view.load[r, busiest]), True), str(busiest)]
            for c, value in enumerate(cells):
                item = self.table.item(r, c)
                if item is None:
                    item = QTableWidgetItem(value)
                    if c:
                        item.setTextAlignment(right)
                    self.table.setItem(r, c, item)
                elif item.text() != value:
                    item.setText(value)

    # --- user intent ---------------------------------------------------------------------------------------
    def _on_layer_box(self, index: int) -> None:
        self.select_row(index)

    def _on_table_click(self, row: int, _column: int) -> None:
        self.select_row(row)

    def _on_token(self, position: int) -> None:
        self.set_position(position)
        self.tokenSelected.emit(position)
