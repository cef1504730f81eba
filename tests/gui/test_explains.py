"""The window explains what it draws: every image has a colour bar (or its colours are categories with a legend),
sites carry the model's own names, and every control named by a config key or a symbol has a tooltip."""
from __future__ import annotations

import re
from dataclasses import fields

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QAbstractButton, QGraphicsView, QLabel, QWidget

from lmscope.backend.models.config import TinyGPTConfig
from lmscope.backend.training.loop import TrainSettings
from lmscope.gui.dialogs import FLOAT_FIELDS, INT_FIELDS, TrainDialog
from lmscope.gui.i18n import install_language
from lmscope.widgets.colorbar import ColorBar
from lmscope.widgets.glossary import CONFIG, partner


def scene_items(window):
    for view in window.findChildren(QGraphicsView):
        if view.scene() is not None:
            yield from view.scene().items()


def test_every_heatmap_in_the_window_has_a_colour_bar(window):
    items = list(scene_items(window))
    bars = [item for item in items if isinstance(item, ColorBar)]
    images = [item for item in items if isinstance(item, pg.ImageItem)]
    assert len(images) >= 15 and len(bars) >= 12  # attention, histograms, FlashAttention, router, patching, …
    with_bar = {id(bar.image) for bar in bars}
    missing = [f"{type(image.parentItem()).__name__}/{type(image).__name__}" for image in images
               if id(image) not in with_bar and not getattr(image, "colour_key", "")]
    assert not missing, f"images without a colour bar or a legend: {missing}"
    for bar in bars:  # each bar sits in the same picture as its image and shows its levels
        assert bar.scene() is bar.image.scene()
        levels = bar.image.getLevels()
        if levels is not None:
            assert tuple(bar.levels()) == tuple(float(v) for v in levels)


def test_moe_model_sites_explain_the_empty_mlp_and_offer_each_expert(window, qtbot):
    """demo-moe in the histograms panel: RMSNorm/LayerNorm named as the model has it, the MLP sites say why they
    are empty, and the per-expert sites carry the expert's own histogram."""
    window.open_model_folder("demo-moe")
    qtbot.waitUntil(lambda: window.document.current_trace is not None, timeout=120_000)
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=120_000)
    panel = window.bindings["histograms"].panel
    labels = [panel.site_box.itemText(i) for i in range(panel.site_box.count())]
    assert "LayerNorm 1 normalized" in labels and "expert 7 post-activation" in labels
    assert "shared expert 0 pre-activation" in labels
    panel.select(0, "mlp_post")
    assert not panel.site_note.isHidden() and "mixture of experts" in panel.site_note.text()
    empty = panel.current_curve.getData()[1]
    assert empty is None or len(empty) == 0
    panel.select(0, "expert2_post")
    assert panel.site_note.isHidden()
    _x, y = panel.current_curve.getData()
    assert y is not None and len(y) == 64 and np.isfinite(y).all() and y.sum() > 0
    assert "expert 2 post-activation" in panel.hist_plot.getPlotItem().titleLabel.text


CONFIG_KEYS = {f.name for f in fields(TinyGPTConfig)} | {f.name for f in fields(TrainSettings)}
# A symbol: a lone letter, a subscripted one (d_h, d_h^R) or a block size (Br, Bc), alone or ending a short label
# ("tokens N", "window w"), possibly followed by its value ("M = 256 el.").
SYMBOL = re.compile(r"(^|\s)([A-Za-z]|[A-Za-z]_[\w^]+|B[rc]|FA[12])$")


def names_a_key_or_symbol(text: str) -> bool:
    text = re.sub(r"<[^>]+>", "", text).replace("&", "").strip()
    if not text or not text[0].isalpha() or len(text) > 24:  # values ("0 B", "= 0 of M") and sentences
        return False
    text = text.split(" =")[0].rstrip(":").strip()
    return text in CONFIG_KEYS or bool(SYMBOL.search(text))


def unexplained(root) -> tuple[list[str], int]:
    missing, checked = [], 0
    for widget in root.findChildren(QWidget):
        if isinstance(widget, (QLabel, QAbstractButton)) and names_a_key_or_symbol(widget.text()):
            checked += 1
            if not widget.toolTip():
                missing.append(f"{type(widget).__name__} {widget.text()!r}")
            control = partner(widget) if isinstance(widget, QLabel) else None
            if control is not None and not isinstance(control, (QLabel, QAbstractButton)) and not control.toolTip():
                missing.append(f"the control beside {widget.text()!r}")
    return missing, checked


def test_every_control_named_by_a_config_key_or_symbol_has_a_tooltip(window, qtbot):
    missing, checked = unexplained(window)
    assert checked >= 20, checked  # Br, Bc, N, d, M, T, k, window w, tokens N, head dim d_h, query at m, …
    assert not missing, missing
    dialog = TrainDialog(window)
    qtbot.addWidget(dialog)
    missing, checked = unexplained(dialog)
    assert checked >= len(INT_FIELDS) + len(FLOAT_FIELDS) and not missing, missing
    label = next(w for w in dialog.findChildren(QLabel) if w.text() == "n_kv_head")
    assert "GQA" in label.toolTip() and label.buddy().toolTip() == label.toolTip()


def test_a_window_started_in_chinese_explains_its_translated_labels(make_window, qtbot):
    """`--language zh_CN`: the labels are Chinese when the panels explain themselves ("窗口 w", "前缀 N"), and each
    still finds its glossary entry, shown in Chinese."""
    install_language("zh_CN")
    try:
        window = make_window("zh")
        missing, checked = unexplained(window)
        assert checked >= 20 and not missing, missing
        label = next(w for w in window.findChildren(QLabel) if w.text() == "窗口 w")
        assert label.toolTip().startswith("带状 / 滑动窗口") and partner(label).toolTip()
        prefix = next(w for w in window.findChildren(QLabel) if w.text() == "前缀 N")
        assert "前缀语言模型" in prefix.toolTip()
        dialog = TrainDialog(window)
        qtbot.addWidget(dialog)
        missing, _ = unexplained(dialog)
        assert not missing, missing
        rate = next(w for w in dialog.findChildren(QLabel) if w.text() == "学习率")
        assert "AdamW" in rate.toolTip() and "预热" in rate.toolTip()
    finally:
        install_language("en")


def test_the_glossary_defines_every_config_key():
    """A new config key needs a definition before it can appear on a control."""
    assert {f.name for f in fields(TinyGPTConfig)} <= set(CONFIG)
    assert all(text.strip().endswith((".", ")")) for text in CONFIG.values())
