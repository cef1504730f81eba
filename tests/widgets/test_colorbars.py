"""Every heatmap has a colour bar that shows the image's own levels and colour map, and hovering a cell reads out
that cell's value (widgets/colorbar.py). Plain data in, no model."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QPointF

from lmscope.widgets.attention.generate import GenerationView
from lmscope.widgets.attention.heatmap import HeatmapView
from lmscope.widgets.attention.model import ModelView
from lmscope.widgets.colorbar import ColorBar, cell_at, cell_scene_pos
from lmscope.widgets.flashsim.views import FlashFrame, FlashSetup, HbmView, SramView
from lmscope.widgets.histograms import HistogramsPanel, Timeline
from lmscope.widgets.lens.views import EffectMap
from lmscope.widgets.moe.data import LoadTimeline, RouterView, SoftView
from lmscope.widgets.moe.soft import SoftMatrix
from lmscope.widgets.moe.training import RunView
from lmscope.widgets.moe.views import LoadView, ProbabilityView
from lmscope.widgets.style import fmt
from lmscope.widgets.variants.common import Heatmap


def shown(qtbot, widget, size=(700, 500)):
    qtbot.addWidget(widget)
    widget.resize(*size)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def assert_bar_matches(bar: ColorBar, image: pg.ImageItem) -> None:
    """The bar's scale is the image's levels and its colours are the image's colour map."""
    assert bar.levels() == pytest.approx(tuple(float(v) for v in image.getLevels()))
    lut = bar.colorMap().getLookupTable(0.0, 1.0, 256, alpha=True)
    assert np.array_equal(np.asarray(image.lut), lut)
    assert bar.scene() is image.scene()  # drawn beside the image, in the same picture


TOKENS = ["专", "家", " the", "模", "型", "。"]


def test_attention_heatmap_bar_follows_levels_and_colormap(qtbot):
    view = shown(qtbot, HeatmapView())
    pattern = np.tril(np.full((6, 6), 0.1, np.float32))
    pattern[5, 2] = 0.75
    view.set_tokens(TOKENS, TOKENS)
    view.set_matrix(pattern, "pattern", weights=pattern)
    assert_bar_matches(view.colorbar, view.image)
    assert view.colorbar.levels() == pytest.approx((0.0, 0.75))
    scores = np.linspace(-3, 5, 36, dtype=np.float32).reshape(6, 6)
    view.set_matrix(scores, "signed", scores=scores)
    assert view.colorbar.levels() == pytest.approx((-3.0, 5.0))
    view.set_colormap("magma")
    assert_bar_matches(view.colorbar, view.image)
    qtbot.wait(20)  # the view box applies its new range on the next event loop pass
    view._on_hover(cell_scene_pos(view.image, 5, 2))
    assert view.hover_label.text().endswith(f"score {scores[5, 2]:.4g}")


def test_histograms_over_training_bar_and_real_mouse_hover(qtbot):
    panel = shown(qtbot, HistogramsPanel({"resid_pre": "residual in"}, ()))
    panel.tabs.setCurrentIndex(1)
    density = np.arange(12, dtype=float).reshape(3, 4) + 1  # 3 snapshots × 4 bins
    grid = np.array([-2.0, -1.0, 0.0, 1.0, 2.0])
    panel.set_timeline(Timeline(steps=np.array([0.0, 10.0, 20.0]), grid=grid, density=density,
                                mean=np.zeros(3), std=np.ones(3), label="run"))
    assert_bar_matches(panel.timeline_bar, panel.timeline_image)
    assert panel.timeline_bar.levels() == pytest.approx((0.0, 3.0))
    qtbot.wait(20)
    # A real mouse move over snapshot 1 (step 10), value bin 2 (0 … 1).
    scene = cell_scene_pos(panel.timeline_image, 2, 1)
    plot = panel.timeline_plot
    qtbot.mouseMove(plot.viewport(), plot.mapFromScene(scene))
    qtbot.waitUntil(lambda: "step 10" in panel.timeline_hover.text())
    assert f"density {fmt(density[1, 2])}" in panel.timeline_hover.text()
    assert "values 0 … 1" in panel.timeline_hover.text()


def flash_setup() -> FlashSetup:
    tile_step = np.arange(16).reshape(4, 4).T.copy()  # FA1: K/V blocks outside, Q blocks inside
    return FlashSetup(algo="fa1", n=8, d=4, m=32, br=2, bc=2, causal=False, tile_step=tile_step, dtype_bytes=4,
                      reads=1, writes=1, standard_reads=1, standard_writes=1, peak_sram=40, source="test")


def test_flashattention_score_tile_bar_and_hover(qtbot):
    view = shown(qtbot, SramView())
    setup = flash_setup()
    view.set_setup(setup)
    scores = np.array([[0.5, -np.inf], [0.25, 1.0]])
    view.set_frame(FlashFrame(step=7, tile=(2, 1), m=np.zeros(8), l=np.ones(8), error=np.zeros(8), scores=scores,
                              sram_parts=(("Q", "Qᵢ", 8),), peak_sram=40, hbm_reads=0, hbm_writes=0,
                              transfers=""), 32)
    assert_bar_matches(view.colorbar, view.scores)
    assert view.colorbar.levels() == pytest.approx((0.25, 1.0))
    qtbot.wait(20)
    # tile (2, 1) starts at Q row 4, K column 2: its cell (1, 0) is S[5, 2]
    assert view.readout.on_move(cell_scene_pos(view.scores, 1, 0)) == "S[5, 2] = q5·k2/√d = 0.25"
    assert "masked" in view.readout.on_move(cell_scene_pos(view.scores, 0, 1))
    assert view.readout.on_move(QPointF(-50, -50)) == " "


def test_flashattention_tile_grid_hover_names_the_tile_and_its_step(qtbot):
    view = shown(qtbot, HbmView())
    setup = flash_setup()
    view.set_setup(setup)
    view.set_step(3, (2, 0))
    qtbot.wait(20)
    x, y = view.tile_center(1, 2)
    text = view.readout.on_move(QPointF(x, y))
    assert text.startswith("tile (1, 2): rows 2–3, columns 4–5")
    assert f"step {setup.tile_step[1, 2] + 1} of 16" in text


def router_view() -> RouterView:
    layers, n, e = (0, 2), 6, 4
    idx = np.stack([np.arange(n)[None].repeat(2, 0) % e, (np.arange(n)[None].repeat(2, 0) + 1) % e], axis=-1)
    probs = np.random.default_rng(0).dirichlet(np.ones(e), size=(2, n)).astype(np.float32)
    load = np.stack([np.bincount(idx[r].ravel(), minlength=e) / idx[r].size for r in range(2)])
    return RouterView(label="r", tokens=tuple(TOKENS), layers=layers, topk_indices=idx,
                      topk_weights=np.full(idx.shape, 0.5, np.float32), dropped=np.zeros(idx.shape, bool),
                      probs=probs, load=load, importance=probs.mean(axis=1), columns=(), stats=np.zeros((2, 0)),
                      hf_aux=None, shared_gate=None, n_shared=0)


def test_router_probability_and_load_heatmaps(qtbot):
    view = router_view()
    probs = shown(qtbot, ProbabilityView())
    probs.set_view(view, 1)
    assert_bar_matches(probs.colorbar, probs.image)
    assert probs.colorbar.levels() == pytest.approx((0.0, float(view.probs[1].max())))
    qtbot.wait(20)
    probs._on_hover(cell_scene_pos(probs.image, 3, 4))  # expert 3, token 4
    assert f"expert 3: p = {float(view.probs[1, 4, 3]):.4f}" in probs.hover_label.text()

    load = shown(qtbot, LoadView())
    load.set_view(view, 0, importance=True)
    assert_bar_matches(load.colorbar, load.image)
    assert load.colorbar.levels() == pytest.approx((0.0, float(view.importance.max())))
    qtbot.wait(20)
    assert load.readout.on_move(cell_scene_pos(load.image, 1, 2)) == \
        f"layer 2 · expert 2: importance {fmt(float(view.importance[1, 2]))}"


def test_soft_moe_and_load_over_training_heatmaps(qtbot):
    rng = np.random.default_rng(1)
    dispatch = rng.random((1, 6, 4)).astype(np.float32)
    soft = SoftView("soft", tuple(TOKENS), (0,), dispatch, dispatch, 2, 2)
    matrix = shown(qtbot, SoftMatrix("dispatch"))
    matrix.set_view(soft, 0)
    assert_bar_matches(matrix.colorbar, matrix.image)
    qtbot.wait(20)
    matrix._on_hover(cell_scene_pos(matrix.image, 3, 5))  # slot 3 = expert 1 slot 1, token 5
    assert f"dispatch {float(dispatch[0, 5, 3]):.4f}" in matrix.hover_label.text()

    run = shown(qtbot, RunView())
    load = rng.random((3, 1, 4))
    run.set_timeline(LoadTimeline("run", np.array([0.0, 5.0, 10.0]), (1,), load, bias=load - 0.5), 0)
    for bar, image in ((run.load_bar, run.load_image), (run.bias_bar, run.bias_image)):
        assert_bar_matches(bar, image)
    span = float(np.abs(load - 0.5).max())
    assert run.bias_bar.levels() == pytest.approx((-span, span))
    qtbot.wait(20)
    assert run.readouts[0].on_move(cell_scene_pos(run.load_image, 2, 1)) == \
        f"layer 1 · step 5 · expert 2: load {fmt(float(load[1, 0, 2]))}"


def test_patching_variants_model_and_generation_heatmaps(qtbot):
    effect = shown(qtbot, EffectMap("resid_pre", "positions"))
    values = np.array([[0.5, -0.25], [1.0, 0.0]])
    effect.set_values(values, ["a", "b"])
    assert_bar_matches(effect.colorbar, effect.image)
    assert effect.colorbar.levels() == pytest.approx((-1.0, 1.0))

    heat = Heatmap("causal (query × key)", "query", "key")
    shown(qtbot, heat.plot)
    matrix = np.arange(12, dtype=np.float32).reshape(3, 4)
    heat.set(matrix)
    assert_bar_matches(heat.colorbar, heat.image)
    assert heat.colorbar.levels() == pytest.approx((0.0, 11.0))
    qtbot.wait(20)
    heat.readout.on_move(cell_scene_pos(heat.image, 2, 1))
    assert heat.readout.sink.text() == "query 2, key 1: 9"
    assert heat.plot.getPlotItem().titleLabel.text == "causal (query × key)"  # the title stays put
    heat.readout.on_move(QPointF(-100, -100))
    assert heat.readout.sink.text() == ""

    rope = Heatmap("RoPE angle pos·θᵢ mod 2π (position × pair)", "position", "pair i", "CET-C1")
    shown(qtbot, rope.plot, (385, 350))
    rope.set(matrix)
    qtbot.wait(20)  # a long title does not push the colour bar out of a narrow plot
    assert rope.colorbar.sceneBoundingRect().right() <= rope.plot.width() + 1

    model = shown(qtbot, ModelView({"entropy": "entropy"}))
    thumbs = np.random.default_rng(2).random((2, 3, 4, 4)).astype(np.float32)
    model.set_model(thumbs, {"entropy": np.arange(6, dtype=float).reshape(2, 3)}, [[0], [1], [2]])
    assert_bar_matches(model.grid_bar, model.grid.image)
    assert_bar_matches(model.summary_bar, model.summary.image)

    generate = shown(qtbot, GenerationView())
    keys = np.array([[1.0, -2.0], [0.5, 0.0]])
    rows = np.array([[1.0, np.nan], [0.25, 0.75]])
    generate.show_generation("ab", ["c"], keys, rows, [("c", 0.5)], "t")
    assert_bar_matches(generate.cache_bar, generate.cache_image)
    assert generate.cache_bar.levels() == pytest.approx((-2.0, 2.0))
    qtbot.wait(20)
    assert generate.readouts[1].on_move(cell_scene_pos(generate.query_image, 1, 1)) == "step 1, key 1: weight 0.75"


def test_cell_at_follows_the_image_rect(qtbot):
    """A hover maps through the image's rect: a 2 × 2 image stretched over 10 × 4 view units."""
    plot = shown(qtbot, pg.PlotWidget())
    image = pg.ImageItem(axisOrder="row-major")
    plot.addItem(image)
    image.setImage(np.array([[1.0, 2.0], [3.0, 4.0]], np.float32), levels=(0, 4))
    image.setRect(100, -2, 10, 4)
    plot.getPlotItem().getViewBox().autoRange()
    vb = plot.getPlotItem().getViewBox()
    assert cell_at(image, vb.mapViewToScene(QPointF(107, 1.5))) == (1, 1)
    assert cell_at(image, vb.mapViewToScene(QPointF(101, -1.5))) == (0, 0)
    assert cell_at(image, vb.mapViewToScene(QPointF(99, 0))) is None


def test_router_views_stay_aligned_beside_their_colour_bars(qtbot):
    """The expert map (no bar) and the probability heatmap (a bar) share the token axis: same columns on screen."""
    from lmscope.widgets.moe.panel import MoePanel

    panel = shown(qtbot, MoePanel(), (1100, 900))
    panel.set_view(router_view())
    qtbot.wait(30)
    boxes = [view.plot.getPlotItem().getViewBox() for view in (panel.map, panel.probs)]
    right = [box.mapToScene(box.boundingRect().topRight()).x() for box in boxes]
    assert right[0] == pytest.approx(right[1], abs=1)  # the bar's column is reserved beside the map too
    run = panel.training.current
    boxes = [plot.getPlotItem().getViewBox() for plot in (run.load_plot, run.vio_plot)]
    assert boxes[0].width() == pytest.approx(boxes[1].width(), abs=1)


def test_logit_lens_grid_has_a_colour_key_with_its_range(qtbot):
    """The lens grid is a coloured table, not a plot: its key spans what the cells' colours span."""
    from lmscope.widgets.lens.data import LensGridData
    from lmscope.widgets.lens.grid import cell_colour
    from lmscope.widgets.lens.panel import LensPanel

    panel = shown(qtbot, LensPanel(), (1100, 600))
    lp = np.log(np.array([[[0.9, 0.05], [0.5, 0.2]]] * 2, dtype=np.float32))
    empty = ((("a",) * 2,) * 2,) * 1
    panel.set_lens(LensGridData(
        names=("blocks.0.hook_resid_pre", "blocks.0.hook_resid_post"), tokens=("x", "y"),
        top_strings=((("a", "b"), ("c", "d")),) * 2, top_logprobs=lp,
        entropy=np.array([[0.5, 2.5], [1.0, 1.5]], np.float32), promoted=empty,
        promoted_delta=np.ones((1, 2, 1), np.float32), suppressed=empty,
        suppressed_delta=-np.ones((1, 2, 1), np.float32),
        target=None, target_rank=None, target_logprob=None))
    key = panel.colour_key
    assert (key.title, key.low, key.high) == ("top-1 probability", "0", "1")
    panel.colour.setCurrentText("entropy")
    assert (key.title, key.low, key.high) == ("entropy (nats)", "0", "2.5")
    qtbot.wait(20)
    image = key.grab().toImage()
    y = image.height() // 2
    xs = [x for x in range(image.width()) if image.pixelColor(x, y).saturation() > 80]  # the strip, not the text
    lo, hi = image.pixelColor(xs[1], y), image.pixelColor(xs[-2], y)
    for got, want in ((lo, cell_colour(0.0)), (hi, cell_colour(1.0))):
        assert abs(got.red() - want.red()) + abs(got.green() - want.green()) + abs(got.blue() - want.blue()) < 40
