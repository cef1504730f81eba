"""The "Attention variants" dock: three tabs — KV cache (MHA/GQA/MQA/MLA), Positions, Masks (a mask beside causal)."""
from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import QT_TRANSLATE_NOOP
from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget

from lmscope.widgets.state import PanelState, bounded
from lmscope.widgets.variants.kvcache import KVCacheState, KVCacheView
from lmscope.widgets.variants.masks import MasksState, MasksView
from lmscope.widgets.variants.positions import PositionsState, PositionsView

TABS = (QT_TRANSLATE_NOOP("VariantsPanel", "KV cache"), QT_TRANSLATE_NOOP("VariantsPanel", "Positions"),
        QT_TRANSLATE_NOOP("VariantsPanel", "Masks"))


@dataclass(frozen=True)
class VariantsState(PanelState):
    tab: int = bounded(0, 0, len(TABS) - 1)
    kvcache: KVCacheState = field(default_factory=KVCacheState)
    positions: PositionsState = field(default_factory=PositionsState)
    masks: MasksState = field(default_factory=MasksState)


class VariantsPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kvcache = KVCacheView()
        self.positions = PositionsView()
        self.masks = MasksView()
        self.tabs = QTabWidget()
        for view, title in zip((self.kvcache, self.positions, self.masks), map(self.tr, TABS)):
            self.tabs.addTab(view, title)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs)

    def state(self) -> VariantsState:
        return VariantsState(tab=self.tabs.currentIndex(), kvcache=self.kvcache.state(),
                             positions=self.positions.state(), masks=self.masks.state())

    def set_state(self, state: VariantsState) -> None:
        self.kvcache.set_state(state.kvcache)
        self.positions.set_state(state.positions)
        self.masks.set_state(state.masks)
        self.tabs.setCurrentIndex(state.tab)
