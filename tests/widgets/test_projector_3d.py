"""The projector's 3-D view: OpenGL detection and the 2-D fallback (offscreen Qt has no context), and, with the
detection forced on, the 3-D items' data, highlights, labels and click picking — all of which need no context, only
the GLViewWidget's matrices (checked against Qt's own QMatrix4x4.map)."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QVector3D

from lmscope.widgets.projector import panel as panel_module
from lmscope.widgets.projector import scatter3d
from lmscope.widgets.projector.panel import ProjectorPanel
from lmscope.widgets.projector.scatter import ScatterView

N = 60


def _points():
    rng = np.random.default_rng(4)
    coords = rng.normal(size=(N, 3)).astype(np.float32)
    labels = [f"w{i}" for i in range(N)]
    columns = {"script": np.array(["Han", "Latin", "digit"] * (N // 3))}
    return coords, labels, columns


def test_offscreen_qt_offers_no_opengl_context_so_3d_falls_back_to_2d(qtbot):
    assert scatter3d._probe() is False  # the offscreen platform cannot create a QOpenGLContext
    panel = ProjectorPanel()
    qtbot.addWidget(panel)
    coords, labels, columns = _points()
    panel.set_points("3-D", labels, coords, columns, note="3-D needs OpenGL")
    assert not panel.shows_3d() and panel.scatter3d is None
    assert panel.views.currentWidget() is panel.scatter and isinstance(panel.active_view(), ScatterView)
    np.testing.assert_array_equal(panel.scatter.coords, coords[:, :2])  # the first two components
    assert panel.note.text() == "3-D needs OpenGL"


def test_3d_view_shows_every_point_in_its_colour_with_search_and_neighbours(qtbot, monkeypatch):
    monkeypatch.setattr(panel_module, "opengl_available", lambda: True)
    panel = ProjectorPanel()
    qtbot.addWidget(panel)
    panel.resize(900, 600)
    panel.show()
    coords, labels, columns = _points()
    panel.set_points("3-D", labels, coords, columns)
    view = panel.scatter3d
    assert view is not None and panel.views.currentWidget() is view
    np.testing.assert_array_equal(view.points.pos, coords)
    index, _, palette = panel._colour
    np.testing.assert_allclose(view.points.color, palette[index] / 255.0)
    panel.search_edit.setText("w1")  # w1, w10…w19: matches; w1 itself selected
    panel.run_search()
    assert panel.selected == 1
    np.testing.assert_array_equal(view.selected.pos, coords[[1]])
    assert len(view.matches.pos) == 11
    panel.set_neighbours([7, 9], [0.1, 0.2])
    np.testing.assert_array_equal(view.neighbours.pos, coords[[7, 9]])
    assert view.label_count() == 3 and [t.text for t in view.text_items] == ["w1", "w7", "w9"]
    panel.isolate_box.setChecked(True)  # the selection and its neighbours alone
    np.testing.assert_array_equal(view.points.pos, coords[[1, 7, 9]])


def test_projection_to_the_screen_matches_qt_and_a_click_selects_the_point_under_it(qtbot, monkeypatch):
    monkeypatch.setattr(panel_module, "opengl_available", lambda: True)
    panel = ProjectorPanel()
    qtbot.addWidget(panel)
    panel.resize(900, 600)
    panel.show()
    coords, labels, columns = _points()
    panel.set_points("3-D", labels, coords, columns)
    view = panel.scatter3d
    view.view.setCameraPosition(elevation=25, azimuth=-60)
    width, height = view.view.width(), view.view.height()
    screen, front = scatter3d.project_to_screen(coords, view.mvp(), width, height)
    assert front.all()
    viewport = (0, 0, width, height)
    qt = view.view.projectionMatrix(viewport, viewport) * view.view.viewMatrix()
    for i in (0, 17, 42):
        ndc = qt.map(QVector3D(*coords[i].tolist()))  # Qt's own projective mapping
        assert abs(screen[i, 0] - (ndc.x() + 1) / 2 * width) < 1e-3
        assert abs(screen[i, 1] - (1 - ndc.y()) / 2 * height) < 1e-3
    # A click on a point picks it (the point farthest from its neighbours on screen, so no other is as near).
    gaps = [np.delete(np.hypot(*(screen - screen[i]).T), i).min() for i in range(N)]
    target = int(np.argmax(gaps))
    assert gaps[target] > 3
    with qtbot.waitSignal(view.pointClicked, timeout=2000) as blocker:
        qtbot.mouseClick(view.view, Qt.MouseButton.LeftButton,
                         pos=QPoint(round(screen[target, 0]), round(screen[target, 1])))
    assert blocker.args == [target] and panel.selected == target
    assert view.nearest_on_screen(QPointF(-500, -500)) == -1


def test_3d_trajectories_link_a_tokens_layers(qtbot, monkeypatch):
    monkeypatch.setattr(panel_module, "opengl_available", lambda: True)
    panel = ProjectorPanel()
    qtbot.addWidget(panel)
    coords = np.arange(18, dtype=np.float32).reshape(6, 3)
    groups = np.array([0, 0, 0, 1, 1, 1])
    panel.set_points("t", [str(i) for i in range(6)], coords, {}, groups)
    segments = panel.scatter3d.trajectories.pos
    np.testing.assert_array_equal(segments, coords[[0, 1, 1, 2, 3, 4, 4, 5]])  # no segment from token 0 to 1
