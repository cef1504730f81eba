"""Shared test setup: headless Qt, and a guard that backend tests never import Qt."""
from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
