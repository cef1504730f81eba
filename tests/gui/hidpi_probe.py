"""Run by tests/gui/test_hidpi.py in a fresh process with QT_SCALE_FACTOR=2 (device pixel ratio 2, as on a HiDPI
screen): grabs panels and a plot export, and prints what the test checks as JSON. Not a test module itself."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import torch
from PySide6.QtCore import QSettings
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QApplication

from lmscope.gui.app import build_window, configure_qt
from lmscope.gui.docks import object_name
from lmscope.widgets.style import export_plot

PANELS = ("attention", "histograms", "flashsim", "moe")
SIZE = (900, 640)


def gray(image: QImage) -> np.ndarray:
    image = image.convertToFormat(QImage.Format.Format_Grayscale8)
    bits = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine())
    return bits[:, : image.width()].astype(np.int16)


def sub_pixel_detail(image: np.ndarray) -> float:
    """Among 2 × 2 pixel blocks on an edge (differing from a neighbouring block), the fraction that are not uniform
    inside. A 1× picture scaled up to 2× has uniform blocks only: 0. Text and lines drawn at 2× leave many."""
    h, w = image.shape[0] // 2 * 2, image.shape[1] // 2 * 2
    blocks = image[:h, :w].reshape(h // 2, 2, w // 2, 2).transpose(0, 2, 1, 3).reshape(h // 2, w // 2, 4)
    spread = blocks.max(-1) - blocks.min(-1)
    mean = blocks.mean(-1)
    edge = np.zeros(mean.shape, bool)
    edge[:, :-1] |= np.abs(np.diff(mean, axis=1)) > 24
    edge[:-1, :] |= np.abs(np.diff(mean, axis=0)) > 24
    return float((spread[edge] > 24).mean()) if edge.any() else 0.0


def settle(app: QApplication) -> None:
    for _ in range(8):
        app.processEvents()


def main(folder: Path) -> dict:
    app = QApplication(sys.argv[:1])
    configure_qt()
    window = build_window(torch.device("cpu"), QSettings(str(folder / "lmscope.ini"), QSettings.Format.IniFormat))
    window.resize(1400, 900)
    window.show()
    settle(app)
    result: dict = {"window_dpr": window.devicePixelRatioF(), "panels": {}}
    for name in PANELS:
        dock = window.docks[object_name(name)]
        dock.setFloating(True)
        dock.resize(*SIZE)
        dock.show()
        settle(app)
        grab = dock.grab()
        grab.save(str(folder / f"{name}@2x.png"))
        one = QPixmap(dock.size())  # the same panel painted at 1×, for comparison
        one.setDevicePixelRatio(1.0)
        dock.render(one)
        result["panels"][name] = {
            "logical": [dock.width(), dock.height()], "pixels": [grab.width(), grab.height()],
            "dpr": grab.devicePixelRatio(), "detail": sub_pixel_detail(gray(grab.toImage())),
            "detail_1x_scaled": sub_pixel_detail(np.kron(gray(one.toImage()), np.ones((2, 2), np.int16))),
        }
    plot = window.bindings["histograms"].panel.hist_plot.getPlotItem()
    path = export_plot(plot, str(folder / "export.png"), scale=2.0)
    exported = QImage(path)
    result["export"] = {"logical_width": plot.sceneBoundingRect().width(), "pixels": exported.width(),
                        "detail": sub_pixel_detail(gray(exported))}
    window.runner.shutdown()
    window.close()
    return result


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]))))
