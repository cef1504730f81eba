"""The tokenizer explorer's widgets on plain data, with qtbot: aligned rows, replay controls, the intent they report."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QFontMetricsF, QGuiApplication

from lmscope.widgets.style import cjk_font
from lmscope.widgets.tokenizer.panel import TokenizerPanel
from lmscope.widgets.tokenizer.bpe import BpeTab
from lmscope.widgets.tokenizer.dag import Arc, DagView, HmmMark
from lmscope.widgets.tokenizer.jieba import AUTO_FREQ, JiebaTab
from lmscope.widgets.tokenizer.spans import Span, SpanRow, SpanRowsView, display_label

TEXT = "我们一起来学习大语言模型"
CHARS = SpanRow("characters", tuple(Span(i, i + 1, ch) for i, ch in enumerate(TEXT)))
WORDS = SpanRow("jieba", tuple(Span(s, e, TEXT[s:e], note="n") for s, e in
                               [(0, 2), (2, 3), (3, 5), (5, 7), (7, 12)]))
# The toy corpus's merges (tests/backend/test_bpe.py): (rank, left, right, count)
TOY = [(0, "e", "s", 9), (1, "es", "t", 9), (2, "est", "</w>", 9), (3, "l", "o", 7), (4, "lo", "w", 7)]


@pytest.fixture
def rows(qtbot):
    view = SpanRowsView()
    qtbot.addWidget(view)
    view.resize(900, 200)
    view.set_rows(len(TEXT), [CHARS, WORDS])
    return view


def rects(view: SpanRowsView, row: int) -> dict[int, list]:
    out: dict[int, list] = {}
    for index, rect in view.span_rects(row):
        out.setdefault(index, []).append(rect)
    return out


def test_rows_align_on_character_offsets_and_labels_fit(rows):
    chars, words = rects(rows, 0), rects(rows, 1)
    assert len(chars) == 12 and len(words) == 5
    # 大语言模型 covers characters 7..11: its left edge is 大's, its right edge 型's.
    assert words[4][0].left() == pytest.approx(chars[7][0].left())
    assert words[4][0].right() == pytest.approx(chars[11][0].right())
    assert words[0][0].left() == pytest.approx(chars[0][0].left()) and words[0][0].top() > chars[0][0].bottom()
    metrics = QFontMetricsF(cjk_font(11))
    for span, (rect,) in zip(WORDS.spans, words.values()):
        assert rect.width() >= metrics.horizontalAdvance(span.label)


def test_narrow_view_wraps_and_marks_cut_spans(rows):
    rows.resize(260, 200)
    rows.set_rows(len(TEXT), [CHARS, WORDS])
    pieces = rects(rows, 1)
    assert sum(len(p) for p in pieces.values()) >= 5
    assert max(r.top() for r in rects(rows, 0)[11]) > rects(rows, 0)[0][0].top()  # 型 is on a later line
    assert rows.minimumHeight() > 150


def test_overlapping_spans_get_lanes_and_lone_markers_get_room(qtbot):
    view = SpanRowsView()
    qtbot.addWidget(view)
    view.resize(900, 200)
    full = SpanRow("full", (Span(0, 2, "中国"), Span(0, 5, "中国科学院"), Span(2, 4, "科学"), Span(5, 5, "</w>")))
    view.set_rows(5, [full])
    (a,), (b,), (c,), (eow,) = rects(view, 0).values()
    assert b.top() > a.top() and c.top() == a.top()  # 中国科学院 overlaps both: second lane
    assert eow.width() > 10 and eow.right() <= view.width()
    assert display_label("a b\n") == "a␣b↵" and display_label("x" * 40).endswith("…")


def test_click_reports_the_span_and_highlight_draws(rows, qtbot):
    (rect,) = rects(rows, 1)[3]
    with qtbot.waitSignal(rows.spanClicked) as clicked:
        qtbot.mouseClick(rows, Qt.MouseButton.LeftButton, pos=rect.center().toPoint())
    assert clicked.args == [1, 3]
    assert rows.span_at(QPointF(2, 2)) is None
    rows.set_highlight(5, 7)
    image = rows.grab().toImage()
    band = rects(rows, 0)[5][0]
    inside = image.pixelColor(int(band.left()) + 2, int(band.top()) - 2)
    outside = image.pixelColor(int(rects(rows, 0)[0][0].left()) + 2, int(band.top()) - 2)
    assert inside.lightness() > outside.lightness()  # the selected position is shaded across rows


def test_bpe_replay_by_step_back_slider_and_play(qtbot):
    tab = BpeTab()
    qtbot.addWidget(tab)
    tab.set_merges(TOY, "word list")
    assert (tab.slider.maximum(), tab.step_value) == (5, 0)
    assert tab.merge_model.rowCount() == 5 and tab.merge_model.index(2, 3).data() == "est</w>"
    with qtbot.waitSignal(tab.stepChanged) as moved:
        tab.step_button.click()
    assert moved.args == [1] and "e + s → es (9)" in tab.step_label.text() and tab.merge_model.marked_row == 0
    tab.step_button.click()
    with qtbot.waitSignal(tab.stepChanged) as moved:
        tab.back_button.click()
    assert moved.args == [1]
    tab.merge_table.clicked.emit(tab.merge_model.index(3, 0))  # a merge-table row jumps there
    assert tab.step_value == 4
    steps: list[int] = []
    tab.stepChanged.connect(steps.append)
    tab._play.setInterval(1)
    tab.play_button.click()
    qtbot.waitUntil(lambda: not tab.play_button.isChecked(), timeout=5000)
    assert steps == [5] and tab.step_value == 5  # playing stops at the last merge
    tab.set_step(2)  # restoring does not report
    assert steps == [5] and tab.merge_model.marked_row == 1


def test_bpe_step_view_and_train_intent(qtbot):
    tab = BpeTab()
    qtbot.addWidget(tab)
    tab.set_merges(TOY, "word list")
    newest = ("newest", 6, ("n", "e", "w", "es", "t", "</w>"), (3,))
    tab.set_step_view([newest, ("low", 5, ("l", "o", "w", "</w>"), ())], [("es", "t", 9), ("t", "</w>", 9)])
    assert "2 word types, 1 changed" in tab.corpus_label.text()
    assert tab.pair_model.marked_row == 0 and tab.pair_model.index(0, 0).data() == "es + t"
    tab.changed_only.setChecked(True)
    assert "low" not in tab.corpus_view.toPlainText() and "×6" in tab.corpus_view.toPlainText()
    tab.source_box.setCurrentIndex(2)
    tab.merges_spin.setValue(30)
    with qtbot.waitSignal(tab.trainRequested) as train:
        tab.train_button.click()
    assert train.args == ["words", "low:5, lower:2, newest:6, widest:3", "", 30]


def test_jieba_mode_switches_and_user_words_emit_intent(qtbot):
    tab = JiebaTab()
    qtbot.addWidget(tab)
    with qtbot.waitSignal(tab.optionsChanged):
        tab.mode_box.setCurrentIndex(tab.mode_box.findData("full"))
    assert tab.mode == "full" and not tab.pos_box.isEnabled() and not tab.pos
    with qtbot.waitSignal(tab.optionsChanged):
        tab.hmm_box.setChecked(False)
    assert not tab.hmm
    tab.set_options("precise", True, True)  # restoring does not report
    assert (tab.mode, tab.hmm, tab.pos) == ("precise", True, True)
    assert not tab.add_button.isEnabled()  # until jieba is loaded
    tab.set_ready(True)
    tab.word_edit.setText("大语言模型")
    with qtbot.waitSignal(tab.addWordRequested) as added:
        tab.add_button.click()
    assert added.args == ["大语言模型", AUTO_FREQ, ""]
    tab.set_user_words([("大语言模型", 3, "nz")])
    tab.user_table.selectRow(0)
    with qtbot.waitSignal(tab.removeWordRequested) as removed:
        tab.remove_button.click()
    assert removed.args == ["大语言模型"]


def test_dag_view_draws_the_route_and_finds_arcs(qtbot):
    view = DagView()
    qtbot.addWidget(view)
    arcs = [Arc(0, 1, "大"), Arc(0, 2, "大语", on_route=True, label="大语 −9.0"), Arc(1, 2, "语", in_dictionary=False)]
    view.set_dag("大语", arcs, ["−9.0", "−4.0", "0.0"], [HmmMark(0, 2, "BE", "大语")])
    view.resize(view.minimumSize())
    image = view.grab().toImage()  # lays the view out at its size first
    apex = view._paths[1].pointAtPercent(0.5)
    assert apex.x() == pytest.approx(view.node_x(1))  # the route arc peaks midway between nodes 0 and 2
    assert view.arc_at(apex) == 1 and view.arc_at(QPointF(1, 1)) == -1
    assert image.pixelColor(int(apex.x()), int(apex.y())).red() > 150  # the route is drawn orange


def test_panel_reports_text_after_a_pause_and_copies_ids(qtbot):
    panel = TokenizerPanel()
    qtbot.addWidget(panel)
    with qtbot.waitSignal(panel.textChanged, timeout=2000) as typed:
        qtbot.keyClicks(panel.text_edit, "abc")
    assert typed.args == ["abc"]
    with qtbot.assertNotEmitted(panel.textChanged, wait=400):
        panel.set_text("我们")
    panel.compare.set_comparison(2, [CHARS], [("characters", 2, 1.0, None, None, None)],
                                 {"model tokenizer": [176, 143], "characters (code points)": [25105, 20204]})
    panel.compare.copy_box.setCurrentText("model tokenizer")
    assert panel.compare.copy_ids() == "[176, 143]"
    assert QGuiApplication.clipboard().text() == "[176, 143]"
    assert panel.compare.stats_model.index(0, 3).data() == "—"


def test_vocabulary_browser_searches_and_sorts(qtbot):
    import numpy as np

    panel = TokenizerPanel()
    qtbot.addWidget(panel)
    tokens = ["<unk>", " ", "e", "语言", "模"]
    panel.vocab.set_vocab("demo", np.arange(5), tokens, np.asarray([0, 50, 40, 3, 9]), np.asarray([5, 1, 1, 2, 1]),
                          np.asarray([5, 1, 1, 6, 3]))
    assert panel.vocab.visible_tokens() == tokens
    panel.vocab.sort_box.setCurrentText("frequency")
    assert panel.vocab.visible_tokens() == [" ", "e", "模", "语言", "<unk>"]
    panel.vocab.sort_box.setCurrentText("length")
    assert panel.vocab.visible_tokens()[0] == "<unk>"
    panel.vocab.search_edit.setText("语")
    assert panel.vocab.visible_tokens() == ["语言"]


def test_unordered_spans_still_pack_into_few_lanes(qtbot):
    view = SpanRowsView()
    qtbot.addWidget(view)
    view.resize(900, 200)
    # jieba's search mode lists the short words inside a long word before the long word itself
    search = SpanRow("search", (Span(0, 2, "中国"), Span(2, 4, "科学"), Span(3, 5, "学院"), Span(2, 5, "科学院"),
                                Span(0, 5, "中国科学院")))
    view.set_rows(5, [search])
    tops = {index: rect.top() for index, rect in view.span_rects(0)}
    assert len(set(tops.values())) == 4  # as many lanes as words overlap at 学: 中国 科学 | 中国科学院 | 科学院 | 学院
    assert tops[0] == tops[1] < tops[4] < tops[3] < tops[2]
