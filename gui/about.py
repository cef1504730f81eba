"""Help → About: versions of everything that matters for a bug report, and the device in use."""
from __future__ import annotations

import platform
from importlib.metadata import PackageNotFoundError, version

import torch
from PySide6.QtCore import QCoreApplication

from lmscope.backend.device import describe_device

PACKAGES = ("lmscope", "torch", "PySide6-Essentials", "pyqtgraph", "numpy", "h5py", "jieba", "safetensors",
            "superqt")


def versions() -> dict[str, str]:
    found = {"Python": platform.python_version()}
    for name in PACKAGES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    return found


def about_html(device: torch.device) -> str:
    rows = "".join(f"<tr><td>{k}</td><td>&nbsp;{v}</td></tr>" for k, v in versions().items())
    tagline = QCoreApplication.translate("about", "A desktop microscope and debugger for transformer language models.")
    return (f"<h3>lmscope</h3><p>{tagline}</p>"
            f"<p><b>{QCoreApplication.translate('about', 'Device:')}</b> {describe_device(device)}</p>"
            f"<table>{rows}</table>")
