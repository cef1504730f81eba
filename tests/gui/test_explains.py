"""The window explains what it draws: every image has a colour bar (or its colours are categories with a legend)."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QGraphicsView

from lmscope.widgets.colorbar import ColorBar


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
    x, y = panel.current_curve.getData()
    assert y is not None and len(y) == 64 and np.isfinite(y).all() and y.sum() > 0
    assert "expert 2 post-activation" in panel.hist_plot.getPlotItem().titleLabel.text
