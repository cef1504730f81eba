"""A HiDPI screen (device pixel ratio 2): panels and plot exports are drawn at twice the pixels, with text and
lines rendered at that resolution rather than a 1× picture scaled up. Run in a fresh process, because Qt reads
QT_SCALE_FACTOR once, when the application starts (tests/gui/hidpi_probe.py does the drawing)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PROBE = Path(__file__).with_name("hidpi_probe.py")


@pytest.fixture(scope="module")
def drawn(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hidpi")
    scaling = ("QT_SCALE", "QT_SCREEN_SCALE", "QT_ENABLE_HIGHDPI")
    env = {k: v for k, v in os.environ.items() if not k.startswith(scaling)}
    env.update(QT_QPA_PLATFORM="offscreen", QT_SCALE_FACTOR="2")
    done = subprocess.run([sys.executable, str(PROBE), str(folder)], env=env, capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_panels_are_grabbed_at_twice_the_pixels(drawn):
    assert drawn["window_dpr"] == 2.0
    for name, panel in drawn["panels"].items():
        assert panel["dpr"] == 2.0, name
        assert panel["pixels"] == [2 * panel["logical"][0], 2 * panel["logical"][1]], name


def test_text_and_lines_are_drawn_at_2x_not_scaled_up(drawn):
    """Edges inside 2 × 2 pixel blocks exist only when drawn at 2×: the same panel painted at 1× and scaled up has
    none (measured here: 0.30–0.42 at 2×, 0.0 scaled up), so the probe can tell the two apart."""
    for name, panel in drawn["panels"].items():
        assert panel["detail_1x_scaled"] == 0.0, name
        assert panel["detail"] > 0.2, (name, panel["detail"])


def test_plot_export_is_at_twice_the_plot_width_and_sharp(drawn):
    export = drawn["export"]
    assert export["pixels"] == round(2 * export["logical_width"])
    assert export["detail"] > 0.2
