"""The desktop preflight: a missing system library becomes the one install line that fixes it."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from lmscope.gui import preflight

LDD_MISSING = """\tlinux-vdso.so.1 (0x00007ffd)
\tlibQt6XcbQpa.so.6 => /x/libQt6XcbQpa.so.6 (0x00007f)
\tlibxcb-icccm.so.4 => not found
\tlibxcb-keysyms.so.1 => not found
\tlibxcb-icccm.so.4 => not found
\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f)
"""


def fake_qt(tmp_path: Path) -> Path:
    for rel in ("lib/libQt6Gui.so.6", "lib/libQt6XcbQpa.so.6", "plugins/platforms/libqxcb.so",
                "plugins/platforms/libqwayland.so"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"")
    return tmp_path


def test_a_missing_xcb_library_names_the_packages(tmp_path):
    qt = fake_qt(tmp_path)
    seen = []

    def ldd(path):
        seen.append(path.name)
        return LDD_MISSING if path.name == "libqxcb.so" else "\tlibc.so.6 => /lib/libc.so.6 (0x1)\n"

    problem = preflight.check({"DISPLAY": ":0"}, qt, ldd)
    assert problem == preflight.Problem("xcb", ("libxcb-icccm.so.4", "libxcb-keysyms.so.1"))
    assert seen[:2] == ["libQt6Gui.so.6", "libqxcb.so"]
    apt = problem.message(which=lambda tool: "/usr/bin/apt-get" if tool == "apt-get" else None)
    assert apt.endswith("sudo apt-get install libxcb-icccm4 libxcb-keysyms1")
    assert "xcb-cursor0" not in apt  # Qt's own message blames the wrong package
    dnf = problem.message(which=lambda tool: "/usr/bin/dnf" if tool == "dnf" else None)
    assert dnf.endswith("sudo dnf install xcb-util-keysyms xcb-util-wm")


def test_the_plugin_checked_follows_the_session(tmp_path):
    qt = fake_qt(tmp_path)
    checked = []
    assert preflight.check({"WAYLAND_DISPLAY": "wayland-0"}, qt, lambda p: checked.append(p.name) or "") is None
    assert "libqwayland.so" in checked and "libqxcb.so" not in checked
    assert preflight.check({"QT_QPA_PLATFORM": "offscreen"}, qt, lambda p: LDD_MISSING) is None


def test_no_display_is_one_sentence():
    text = preflight.display_problem({})
    assert text is not None and "DISPLAY is not set" in text and "--screenshot" in text
    assert preflight.display_problem({"DISPLAY": ":1"}) is None


def test_lmscope_without_a_display_prints_the_sentence_and_exits(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "lmscope.gui.cli"], env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "cannot load" in done.stderr or "no display" in done.stderr
