"""Rows of coloured token spans aligned on shared units (characters or bytes), wrapped to the view's width.

Each row is one way of cutting the same text (characters, jieba words, BPE symbols, model tokens); a span covers
units ``[start, end)`` so equal offsets line up vertically across rows. Unit widths grow until every label fits,
so alignment never hides a label. Overlapping spans in one row (jieba's full mode) go to extra lanes. A span with
``start == end`` (BPE's lone ``</w>``) is drawn as a narrow marker at that boundary.
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFontMetricsF, QMouseEvent, QPainter, QPaintEvent, QPen, QResizeEvent
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from lmscope.widgets.style import PALETTE, cjk_font

BACKGROUND = QColor("#1e1e1e")
TEXT = QColor("#f0f0f0")
MUTED = QColor("#9a9a9a")
UNKNOWN = QColor("#ff5a5a")
MAX_LABEL = 18  # characters of a label drawn; the tooltip has the rest
PAD, GAP, MIN_UNIT, MARK_W = 5.0, 2.0, 12.0, 30.0
LANE_H, NOTE_H, ROW_GAP, LINE_GAP, MARGIN = 28.0, 13.0, 6.0, 14.0, 6.0


@dataclass(frozen=True)
class Span:
    """Units ``[start, end)`` of the text; ``color`` indexes the shared palette (−1: grey)."""

    start: int
    end: int
    label: str
    tooltip: str = ""
    color: int = 0
    note: str = ""  # a small second line: a POS tag, an id
    unknown: bool = False  # drawn in red with a dashed outline
    emphasis: bool = False  # drawn with a bright outline (what just changed)


@dataclass(frozen=True)
class SpanRow:
    name: str
    spans: tuple[Span, ...] = ()
    summary: str = ""  # under the name, e.g. "7 tokens"
    empty_hint: str = ""  # drawn when there are no spans, e.g. "train BPE first"


def display_label(text: str) -> str:
    """Whitespace made visible and long labels shortened, so every span shows something."""
    text = text.replace(" ", "␣").replace("\n", "↵").replace("\t", "⇥").replace("\r", "␍")
    return text if len(text) <= MAX_LABEL else text[:MAX_LABEL - 1] + "…"


@dataclass
class _Line:
    first: int  # first unit
    last: int  # one past the last unit
    top: float
    row_tops: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class _Piece:
    """Where one span (or the part of it on one wrapped line) is drawn."""

    rect: QRectF
    row: int
    index: int
    cut_left: bool
    cut_right: bool


class SpanRowsView(QWidget):
    spanClicked = Signal(int, int)  # row, span index within the row
    heightChanged = Signal(int)  # the height the wrapped rows need at the current width

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum)
        self._font, self._small = cjk_font(11), cjk_font(8)
        self._fm, self._fm_small = QFontMetricsF(self._font), QFontMetricsF(self._small)
        self._rows: list[SpanRow] = []
        self._lanes: list[list[int]] = []  # per row: lane of each span
        self._n_units = 0
        self._unit_w: list[float] = []
        self._x: list[float] = [0.0]  # cumulative unit widths
        self._lines: list[_Line] = []
        self._name_w = 80.0
        self._highlight = (-1, -1)
        self._selected: tuple[int, int] | None = None
        self._pieces: list[_Piece] = []
        self._laid_out_width = -1
        self._heights: list[float] = []  # per row: its lanes, each with room for a note if any span has one

    # --- data in -------------------------------------------------------------------------------------------
    def set_rows(self, n_units: int, rows: list[SpanRow]) -> None:
        """Draw ``rows`` over units 0 … ``n_units`` − 1 (characters, or bytes in the byte view)."""
        self._n_units, self._rows = max(0, n_units), list(rows)
        self._lanes = [self._assign_lanes(row.spans) for row in self._rows]
        self._selected = None
        self._measure()
        self._relayout(force=True)

    def set_highlight(self, start: int, end: int) -> None:
        """Shade units ``[start, end)`` across every row (the selected position); −1 clears it."""
        self._highlight = (start, end)
        self.update()

    @property
    def rows(self) -> list[SpanRow]:
        return list(self._rows)

    @property
    def highlight(self) -> tuple[int, int]:
        return self._highlight

    # --- layout --------------------------------------------------------------------------------------------
    @staticmethod
    def _assign_lanes(spans: tuple[Span, ...]) -> list[int]:
        """The first lane free at each span's start, taking spans by start (jieba's search mode does not list
        them in order); lone markers stay in lane 0."""
        lane_ends: list[int] = []
        lanes = [0] * len(spans)
        for i in sorted(range(len(spans)), key=lambda i: (spans[i].start, spans[i].end)):  # short words on top
            span = spans[i]
            free = [lane for lane, end in enumerate(lane_ends) if end <= span.start or span.start == span.end]
            lane = free[0] if free else len(lane_ends)
            if lane == len(lane_ends):
                lane_ends.append(0)
            lane_ends[lane] = max(lane_ends[lane], span.end)
            lanes[i] = lane
        return lanes

    def _span_width(self, span: Span) -> float:
        width = self._fm.horizontalAdvance(display_label(span.label))
        if span.note:
            width = max(width, self._fm_small.horizontalAdvance(span.note))
        return width + 2 * PAD + GAP

    def _measure(self) -> None:
        """Widen units until every span's label fits; widths only grow, so one pass over the rows suffices."""
        widths = [MIN_UNIT] * self._n_units
        for row in self._rows:
            markers: dict[int, float] = {}
            for span in row.spans:
                if span.start == span.end:
                    markers[span.start] = markers.get(span.start, 0.0) + MARK_W
            for span in sorted(row.spans, key=lambda s: s.end - s.start):
                start, end = max(0, span.start), min(self._n_units, span.end)
                if end <= start:
                    continue
                need = self._span_width(span) + markers.get(end, 0.0)
                have = sum(widths[start:end])
                if have < need:
                    extra = (need - have) / (end - start)
                    for i in range(start, end):
                        widths[i] += extra
        self._unit_w = widths
        self._x = [0.0]
        for w in widths:
            self._x.append(self._x[-1] + w)
        names = [self._fm_small.horizontalAdvance(r.name) for r in self._rows]
        names += [self._fm_small.horizontalAdvance(r.summary) for r in self._rows]
        self._name_w = max([60.0, *names]) + 14
        self._heights = [(max(lanes, default=0) + 1) * (LANE_H + (NOTE_H if any(s.note for s in row.spans) else 0.0))
                         for row, lanes in zip(self._rows, self._lanes)]

    def _row_height(self, r: int) -> float:
        return self._heights[r]

    def _break_lines(self, available: float) -> list[tuple[int, int]]:
        crossing = [0] * (self._n_units + 1)
        for row in self._rows:
            for span in row.spans:
                for b in range(max(0, span.start + 1), min(self._n_units, span.end)):
                    crossing[b] += 1
        lines, first = [], 0
        while first < self._n_units:
            last = first + 1
            while last < self._n_units and self._x[last + 1] - self._x[first] <= available:
                last += 1
            if last < self._n_units:  # prefer a boundary no span crosses, if one lies in the line's second half
                clean = [b for b in range(last, (first + last) // 2, -1) if crossing[b] == 0]
                last = clean[0] if clean else last
            lines.append((first, last))
            first = last
        return lines

    def _relayout(self, force: bool = False) -> None:
        width = max(200, self.width())
        if width == self._laid_out_width and not force:
            return
        self._laid_out_width = width
        available = width - self._name_w - 2 * MARGIN
        self._lines, top = [], MARGIN
        for first, last in self._break_lines(available) or [(0, 0)]:
            line = _Line(first, last, top)
            for r in range(len(self._rows)):
                line.row_tops.append(top)
                top += self._row_height(r) + ROW_GAP
            self._lines.append(line)
            top += LINE_GAP
        self._pieces = self._place_pieces()
        height = int(top + MARGIN)
        if height != self.minimumHeight():
            self.setMinimumHeight(height)
            self.heightChanged.emit(height)
        self.update()

    def _place_pieces(self) -> list[_Piece]:
        """Each span on each wrapped line it touches (found by bisecting the lines' first units)."""
        firsts = [line.first for line in self._lines]
        pieces = []
        for r, row in enumerate(self._rows):
            lane_h = self._row_height(r) / (max(self._lanes[r], default=0) + 1)
            markers: dict[int, float] = {}
            for span in row.spans:
                if span.start == span.end:
                    markers[span.start] = markers.get(span.start, 0.0) + MARK_W
            for i, span in enumerate(row.spans):
                first = max(0, bisect.bisect_right(firsts, span.start - (span.start == span.end)) - 1)
                last = max(first, bisect.bisect_left(firsts, span.end) - 1)
                for line in self._lines[first:last + 1]:
                    top = line.row_tops[r] + self._lanes[r][i] * lane_h
                    rect = self._span_rect(line, span, top, lane_h, markers.get(span.end, 0.0))
                    if rect is not None:
                        pieces.append(_Piece(rect, r, i, span.start < line.first, span.end > line.last))
        return pieces

    def _unit_x(self, line: _Line, unit: int) -> float:
        return MARGIN + self._name_w + self._x[unit] - self._x[line.first]

    def _span_rect(self, line: _Line, span: Span, top: float, height: float, markers: float) -> QRectF | None:
        """Where ``span`` sits on ``line``; ``markers`` is the width of lone-``</w>`` markers at its end."""
        if span.start == span.end:
            if not line.first < span.start <= line.last:
                return None
            right = self._unit_x(line, span.start) - GAP
            return QRectF(right - MARK_W + GAP, top, MARK_W - GAP, height - GAP)
        start, end = max(span.start, line.first), min(span.end, line.last)
        if end <= start:
            return None
        left, right = self._unit_x(line, start), self._unit_x(line, end) - GAP
        if end == span.end:  # leave room for the lone-</w> markers drawn at this span's end
            right -= markers
        return QRectF(left, top, max(4.0, right - left), height - GAP)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        self._relayout()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return QSize(int(self._name_w + self._x[-1] + 2 * MARGIN), self.minimumHeight())

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return QSize(int(self._name_w + max(self._unit_w, default=MIN_UNIT) + 2 * MARGIN), 40)

    # --- painting ------------------------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt API
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), BACKGROUND)
        visible = QRectF(event.rect())
        for line in self._lines:
            self._paint_line_frame(painter, line)
        for piece in self._pieces:
            if piece.rect.intersects(visible):
                self._paint_piece(painter, piece)
        painter.end()

    def _paint_line_frame(self, painter: QPainter, line: _Line) -> None:
        """Row names and summaries, the highlight band and empty-row hints of one wrapped line."""
        bottom = line.row_tops[-1] + self._row_height(len(self._rows) - 1) if self._rows else line.top
        hs, he = max(self._highlight[0], line.first), min(self._highlight[1], line.last)
        if he > hs:
            band = QRectF(self._unit_x(line, hs) - 1, line.top - 3,
                          self._unit_x(line, he) - self._unit_x(line, hs), bottom - line.top + 6)
            painter.fillRect(band, QColor(255, 255, 255, 60))
            painter.setPen(QPen(QColor("#ffffff"), 1.0))
            painter.drawRect(band)
        painter.setFont(self._small)
        for r, row in enumerate(self._rows):
            top = line.row_tops[r]
            painter.setPen(TEXT)
            painter.drawText(QRectF(MARGIN, top, self._name_w - 8, 14), Qt.AlignmentFlag.AlignLeft, row.name)
            if line is self._lines[0]:
                painter.setPen(MUTED)
                painter.drawText(QRectF(MARGIN, top + 14, self._name_w - 8, 14), Qt.AlignmentFlag.AlignLeft,
                                 row.summary)
            if not row.spans and row.empty_hint and line is self._lines[0]:
                painter.drawText(QRectF(self._unit_x(line, line.first), top, 900, LANE_H),
                                 Qt.AlignmentFlag.AlignVCenter, row.empty_hint)

    def _paint_piece(self, painter: QPainter, piece: _Piece) -> None:
        span, rect = self._rows[piece.row].spans[piece.index], piece.rect
        base = UNKNOWN if span.unknown else (MUTED if span.color < 0 else QColor(PALETTE[span.color % len(PALETTE)]))
        fill = QColor(base)
        fill.setAlpha(75)
        pen = QPen(base, 1.2, Qt.PenStyle.DashLine if span.unknown else Qt.PenStyle.SolidLine)
        if span.emphasis:
            pen = QPen(QColor("#ffffff"), 2.2)
        if self._selected == (piece.row, piece.index):
            pen = QPen(QColor("#ffffff"), 2.5, Qt.PenStyle.DotLine)
        painter.setPen(pen)
        painter.setBrush(fill)
        painter.drawRoundedRect(rect, 3, 3)
        if span.unknown:  # hatched as well as red, so "unknown" does not rest on colour alone
            painter.setBrush(QBrush(QColor(255, 90, 90, 110), Qt.BrushStyle.BDiagPattern))
            painter.drawRoundedRect(rect, 3, 3)
        painter.setPen(TEXT)
        painter.setFont(self._font if span.start != span.end else self._small)
        label_rect = QRectF(rect.left(), rect.top(), rect.width(), LANE_H - GAP)
        painter.drawText(label_rect, Qt.AlignmentFlag.AlignCenter, display_label(span.label))
        if span.note:
            painter.setFont(self._small)
            painter.setPen(base.lighter(140))
            painter.drawText(QRectF(rect.left(), rect.top() + LANE_H - 6, rect.width(), NOTE_H),
                             Qt.AlignmentFlag.AlignCenter, span.note)
        painter.setPen(QPen(TEXT, 1.0))
        if piece.cut_left:  # a line break cuts this span: mark the open side
            painter.drawText(QPointF(rect.left() + 1, rect.bottom() - 2), "…")
        if piece.cut_right:
            painter.drawText(QPointF(rect.right() - 9, rect.bottom() - 2), "…")

    # --- interaction ---------------------------------------------------------------------------------------
    def span_at(self, pos: QPointF) -> tuple[int, int] | None:
        for piece in reversed(self._pieces):
            if piece.rect.contains(pos):
                return piece.row, piece.index
        return None

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt API
        hit = self.span_at(event.position())
        if hit is not None and event.button() == Qt.MouseButton.LeftButton:
            self._selected = hit
            self.update()
            self.spanClicked.emit(*hit)
        super().mousePressEvent(event)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            hit = self.span_at(QPointF(event.pos()))
            if hit is None:
                QToolTip.hideText()
            else:
                span = self._rows[hit[0]].spans[hit[1]]
                QToolTip.showText(event.globalPos(), span.tooltip or span.label, self)
            return True
        return super().event(event)

    def span_rects(self, row: int) -> list[tuple[int, QRectF]]:
        """Where each span of ``row`` is drawn, one rect per wrapped piece (tests check alignment with it)."""
        return [(p.index, QRectF(p.rect)) for p in self._pieces if p.row == row]
