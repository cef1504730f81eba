"""The window explains what it draws: every image has a colour bar (or its colours are categories with a legend)."""
from __future__ import annotations

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
