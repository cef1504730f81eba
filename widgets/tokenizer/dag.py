"""jieba's algorithm drawn: the DAG of dictionary words over the characters, the DP route, the HMM spans.

Nodes sit between characters (node i is "before character i"); every candidate word ``text[i:j]`` is an arc from
node i to node j above the characters, higher for longer words. The route dynamic programming chose is drawn
thick and labelled with each word's log-probability; the value under node i is the DP's best score for the rest
of the sentence from there. Runs handed to the HMM are bracketed below with their B/M/E/S states.
"""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import (
    QColor, QFontMetricsF, QPainter, QPainterPath, QPainterPathStroker, QPaintEvent, QPen, QResizeEvent,
)
from PySide6.QtWidgets import QToolTip, QWidget

from lmscope.widgets.style import PALETTE, cjk_font

BACKGROUND = QColor("#1e1e1e")
TEXT = QColor("#f0f0f0")
MUTED = QColor("#8a8a8a")
ROUTE = QColor(PALETTE[1])  # orange
ARC = QColor("#6f7f8f")
HMM = QColor(PALETTE[4])  # pink
STATE_COLORS = {"B": PALETTE[0], "M": PALETTE[2], "E": PALETTE[3], "S": PALETTE[5]}
CELL, MAX_CELL, MARGIN, ARC_BASE, ARC_STEP, ARC_MAX = 46.0, 72.0, 24.0, 16.0, 17.0, 170.0


@dataclass(frozen=True)
class Arc:
    """A candidate word over characters ``[start, end)``."""

    start: int
    end: int
    word: str
    tooltip: str = ""
    on_route: bool = False
    in_dictionary: bool = True
    label: str = ""  # drawn at the apex of route arcs, e.g. "−6.41"


@dataclass(frozen=True)
class HmmMark:
    """Characters ``[start, end)`` that went to the HMM: one state letter per character, and what it made."""

    start: int
    end: int
    states: str
    words: str


class DagView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMouseTracking(True)
        self._font, self._small = cjk_font(14), cjk_font(8)
        self._text = ""
        self._han: list[bool] = []
        self._arcs: list[Arc] = []
        self._paths: list[QPainterPath] = []
        self._node_labels: list[str] = []
        self._hmm: list[HmmMark] = []
        self._arc_room = 0.0  # height of the tallest arc and its label
        self._offset = 0.0  # centres the picture vertically when the view is taller than it
        self._left = 0.0  # and horizontally when it is wider
        self._cell = CELL  # character width: grows with the view up to MAX_CELL so short sentences fill it
        self._resize()

    # --- data in -------------------------------------------------------------------------------------------
    def set_dag(self, text: str, arcs: list[Arc], node_labels: list[str], hmm: list[HmmMark],
                han: list[bool] | None = None) -> None:
        """``node_labels[i]`` goes under node i (len(text) + 1 of them); ``han[i]`` is False for characters
        outside the blocks jieba segments with its dictionary (drawn grey, without arcs)."""
        self._text, self._arcs, self._hmm = text, list(arcs), list(hmm)
        self._node_labels = list(node_labels) + [""] * (len(text) + 1 - len(node_labels))
        self._han = list(han) if han is not None else [True] * len(text)
        longest = max((a.end - a.start for a in self._arcs), default=1)
        self._arc_room = 18 + min(ARC_MAX, ARC_BASE + (longest - 1) * ARC_STEP)
        self._resize()
        self._fit_cells()

    def clear(self) -> None:
        self.set_dag("", [], [], [])

    @property
    def arcs(self) -> list[Arc]:
        return list(self._arcs)

    # --- geometry ------------------------------------------------------------------------------------------
    def node_x(self, i: int) -> float:
        return self._left + MARGIN + i * self._cell

    def _fit_cells(self) -> None:
        self._cell = max(CELL, min(MAX_CELL, (self.width() - 2 * MARGIN) / max(1, len(self._text))))
        self._offset = max(0.0, (self.height() - self.minimumHeight()) / 2)
        self._left = max(0.0, (self.width() - 2 * MARGIN - len(self._text) * self._cell) / 2)
        self._paths = [self._arc_path(a) for a in self._arcs]
        self.update()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        self._fit_cells()

    @property
    def _arc_top(self) -> float:
        return self._offset + MARGIN + self._arc_room

    @property
    def _char_top(self) -> float:
        return self._arc_top + 4

    def _arc_path(self, arc: Arc) -> QPainterPath:
        x0, x1 = self.node_x(arc.start) + 3, self.node_x(arc.end) - 3
        height = min(ARC_MAX, ARC_BASE + (arc.end - arc.start - 1) * ARC_STEP)
        if arc.on_route:
            height += 4  # lift the route a little above the dictionary arcs it shares nodes with
        base = self._arc_top
        path = QPainterPath(QPointF(x0, base))
        # A cubic with control points at 4/3 of the height peaks at exactly `height`.
        path.cubicTo(QPointF(x0, base - height * 4 / 3), QPointF(x1, base - height * 4 / 3), QPointF(x1, base))
        return path

    def _resize(self) -> None:
        width = 2 * MARGIN + max(1, len(self._text)) * CELL
        height = MARGIN + self._arc_room + 4 + CELL + 26 + (48 if self._hmm else 0) + MARGIN
        self.setMinimumSize(int(width), int(height))

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return self.minimumSize()

    # --- painting ------------------------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt API
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), BACKGROUND)
        if not self._text:
            painter.setPen(MUTED)
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.tr("Type a sentence to see jieba's DAG."))
            painter.end()
            return
        # Dictionary arcs first, the route on top of them.
        for arc, path in sorted(zip(self._arcs, self._paths), key=lambda pair: pair[0].on_route):
            style = Qt.PenStyle.SolidLine if arc.in_dictionary else Qt.PenStyle.DashLine
            painter.setPen(QPen(ROUTE if arc.on_route else ARC, 3.0 if arc.on_route else 1.2, style))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawPath(path)
        self._paint_route_labels(painter)
        self._paint_characters(painter)
        self._paint_hmm(painter)
        painter.end()

    def _paint_route_labels(self, painter: QPainter) -> None:
        painter.setFont(self._small)
        metrics = QFontMetricsF(self._small)
        for arc, path in zip(self._arcs, self._paths):
            if not arc.on_route or not arc.label:
                continue
            apex = path.pointAtPercent(0.5)
            width = metrics.horizontalAdvance(arc.label) + 6
            box = QRectF(apex.x() - width / 2, apex.y() - 15, width, 13)
            painter.fillRect(box, BACKGROUND)
            painter.setPen(ROUTE)
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, arc.label)

    def _paint_characters(self, painter: QPainter) -> None:
        top = self._char_top
        for i, ch in enumerate(self._text):
            cell = QRectF(self.node_x(i) + 2, top, self._cell - 4, CELL - 8)
            painter.setPen(QPen(QColor("#5a5a5a"), 1.0))
            painter.setBrush(QColor("#2b2b2b") if self._han[i] else QColor("#222222"))
            painter.drawRoundedRect(cell, 4, 4)
            painter.setFont(self._font)
            painter.setPen(TEXT if self._han[i] else MUTED)
            shown = {" ": "␣", "\n": "↵", "\t": "⇥"}.get(ch, ch)
            painter.drawText(cell, Qt.AlignmentFlag.AlignCenter, shown)
        painter.setFont(self._small)
        painter.setPen(MUTED)
        for i, label in enumerate(self._node_labels):
            if label:
                painter.drawText(QRectF(self.node_x(i) - self._cell / 2, top + CELL - 6, self._cell, 14),
                                 Qt.AlignmentFlag.AlignCenter, label)
            painter.drawEllipse(QPointF(self.node_x(i), top - 2), 2.0, 2.0)

    def _paint_hmm(self, painter: QPainter) -> None:
        top = self._char_top + CELL + 12
        for mark in self._hmm:
            x0, x1 = self.node_x(mark.start) + 3, self.node_x(mark.end) - 3
            painter.setPen(QPen(HMM, 1.5))
            painter.drawLine(QPointF(x0, top), QPointF(x1, top))
            painter.drawLine(QPointF(x0, top - 5), QPointF(x0, top))
            painter.drawLine(QPointF(x1, top - 5), QPointF(x1, top))
            painter.setFont(self._small)
            for k, state in enumerate(mark.states[:mark.end - mark.start]):
                painter.setPen(QColor(STATE_COLORS.get(state, "#8a8a8a")))
                painter.drawText(QRectF(self.node_x(mark.start + k), top + 2, self._cell, 14),
                                 Qt.AlignmentFlag.AlignCenter, state)
            painter.setPen(HMM)
            painter.drawText(QRectF(x0, top + 17, max(x1 - x0, 160.0), 14), Qt.AlignmentFlag.AlignLeft,
                             f"HMM → {mark.words}")

    # --- hover ---------------------------------------------------------------------------------------------
    def arc_at(self, pos: QPointF) -> int:
        stroker = QPainterPathStroker()
        stroker.setWidth(7.0)
        # Route arcs win: they are drawn on top and are what a learner hovers first.
        order = sorted(range(len(self._arcs)), key=lambda i: not self._arcs[i].on_route)
        for i in order:
            if stroker.createStroke(self._paths[i]).contains(pos):
                return i
        return -1

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            i = self.arc_at(QPointF(event.pos()))
            if i < 0:
                QToolTip.hideText()
            else:
                arc = self._arcs[i]
                QToolTip.showText(event.globalPos(), arc.tooltip or arc.word, self)
            return True
        return super().event(event)
