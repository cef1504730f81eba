"""The projector's views on plain data: density image when many points are in view, exact points when few, search,
colouring, and a state that survives a hostile tree."""
from __future__ import annotations

import numpy as np
import pytest

from lmscope.widgets.projector.panel import ProjectorPanel, colour_column, search_labels
from lmscope.widgets.projector.scatter import EXACT_ALL, density_image
from lmscope.widgets.projector.state import ProjectorState
from lmscope.widgets.state import StateError


def test_density_image_counts_and_colours_by_hand():
    coords = np.array([[0.1, 0.1], [0.15, 0.1], [0.9, 0.9]], np.float32)
    palette = np.array([[255, 0, 0, 255], [0, 0, 255, 255]], np.uint8)
    image = density_image(coords, np.array([0, 1, 1]), palette, (0, 1, 0, 1), bins=4)
    assert image.shape == (4, 4, 4)
    assert tuple(image[0, 0, :3]) == (127, 0, 127)  # two points, one red one blue: their mean colour
    assert tuple(image[3, 3, :3]) == (0, 0, 255)  # row 3 is the top (y up)
    assert image[0, 0, 3] > image[3, 3, 3] > 0 and image[1, 1, 3] == 0


def test_a_million_points_are_binned_and_exact_when_zoomed_in(qtbot):
    panel = ProjectorPanel()
    qtbot.addWidget(panel)
    panel.resize(1000, 700)
    panel.show()
    rng = np.random.default_rng(0)
    n = EXACT_ALL + 50_000
    coords = rng.normal(size=(n, 2)).astype(np.float32)
    labels = [f"w{i}" for i in range(n)]
    panel.set_points("many", labels, coords, {"script": np.array(["Latin"] * n)})
    scatter = panel.scatter
    assert scatter.mode == "density" and scatter.density.isVisible()
    scatter.plot_item.getViewBox().setRange(xRange=(0, 0.05), yRange=(0, 0.05), padding=0)
    with qtbot.waitSignal(scatter.viewSettled, timeout=5_000):
        pass
    visible = scatter.visible_rows()
    assert 0 < len(visible) < 1000 and scatter.mode == "density+points"
    drawn = sum(len(item.data) for item in scatter.layers)
    assert drawn == len(visible)  # every point in view is drawn exactly: no sampling


def test_search_substring_and_regex():
    labels = ["king", "queen", "kingdom", "模型", "ki\nng"]
    assert search_labels(labels, "king", regex=False).tolist() == [0, 2]
    assert search_labels(labels, "^king$", regex=True).tolist() == [0]
    assert search_labels(labels, "模", regex=False).tolist() == [3]
    assert search_labels(labels, "k.*g", regex=False).tolist() == []
    with pytest.raises(ValueError, match="regular expression"):
        search_labels(labels, "(", regex=True)


def test_colour_columns():
    index, legend, palette = colour_column(np.array(["Han", "Latin", "Han", "punct"]))
    assert legend == ["Han", "Latin", "punct"] and index.tolist() == [0, 1, 0, 2] and palette.shape == (3, 4)
    index, legend, _ = colour_column(np.arange(100, dtype=float))
    assert index.min() == 0 and index.max() == len(legend) - 1 and (np.diff(index) >= 0).all()


def test_panel_search_selects_and_labels(qtbot):
    panel = ProjectorPanel()
    qtbot.addWidget(panel)
    asked = []
    panel.neighboursRequested.connect(lambda row, k, metric: asked.append((row, k, metric)))
    coords = np.random.default_rng(1).normal(size=(50, 2)).astype(np.float32)
    panel.set_points("few", [f"w{i}" for i in range(50)], coords, {})
    panel.search_edit.setText("w17")
    panel.run_search()
    assert panel.selected == 17 and asked[-1] == (17, 10, "cosine")
    panel.set_neighbours([3, 4], [0.1, 0.2])
    assert panel.neighbour_words() == ["w3", "w4"]
    state = panel.state(source="file")
    assert state.selected == 17 and state.coords.shape == (50, 2)


def test_state_round_trip_and_hostile_trees():
    state = ProjectorState(labels=("a", "b"), coords=np.ones((2, 2), np.float32), explained=(0.5, 0.25))
    back = ProjectorState.from_tree(state.to_tree())
    assert back.labels == ("a", "b") and back.coords.dtype == np.float32 and back.explained == (0.5, 0.25)
    tree = state.to_tree()
    for key, value, message in (("coords", np.ones((2, 5)), "shape"), ("coords", np.array([["x"]]), "numbers"),
                                ("coords", np.full((2, 2), np.nan), "finite"), ("method", "pcaa", "one of")):
        with pytest.raises(StateError, match=message):
            ProjectorState.from_tree({**tree, key: value})
    with pytest.raises(StateError, match="labels"):
        ProjectorState.from_tree({**tree, "coords": np.ones((3, 2))}).check_shapes()
