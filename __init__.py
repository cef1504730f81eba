"""lmscope: a desktop microscope and debugger for transformer language models.

The repository root is this package's folder (pyproject.toml maps ``lmscope`` to it): ``lmscope.backend``,
``lmscope.sessions``, ``lmscope.widgets``, ``lmscope.gui`` and ``lmscope.resources`` are the folders beside this file.
"""
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("lmscope")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0+unknown"
