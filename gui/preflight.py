"""Before Qt starts on a desktop: are the system libraries its platform plugin needs there?

On a fresh Debian/Ubuntu desktop Qt's xcb plugin needs ``libxcb-icccm4`` and ``libxcb-keysyms1``, which are not
installed by default, and Qt then aborts with a message that blames ``xcb-cursor0``. This check runs ``ldd`` on the
plugin that will be used (and on QtGui itself), and turns every missing library into the one install command that
fixes it. It imports no Qt: a plugin that cannot load must not take the interpreter down with it.

``python -m lmscope.gui.preflight`` prints the problem and exits 1 (``make run`` runs it first); ``lmscope`` runs the
same check before it opens a window.
"""
from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

# soname -> (Debian/Ubuntu package, Fedora package)
PACKAGES: dict[str, tuple[str, str]] = {
    "libxcb-icccm.so.4": ("libxcb-icccm4", "xcb-util-wm"),
    "libxcb-keysyms.so.1": ("libxcb-keysyms1", "xcb-util-keysyms"),
    "libxcb-cursor.so.0": ("libxcb-cursor0", "xcb-util-cursor"),
    "libxcb-image.so.0": ("libxcb-image0", "xcb-util-image"),
    "libxcb-render-util.so.0": ("libxcb-render-util0", "xcb-util-renderutil"),
    "libxcb-shape.so.0": ("libxcb-shape0", "libxcb"),
    "libxcb-randr.so.0": ("libxcb-randr0", "libxcb"),
    "libxcb-xkb.so.1": ("libxcb-xkb1", "libxcb"),
    "libxcb-xinerama.so.0": ("libxcb-xinerama0", "libxcb"),
    "libxcb-sync.so.1": ("libxcb-sync1", "libxcb"),
    "libxcb-xfixes.so.0": ("libxcb-xfixes0", "libxcb"),
    "libxcb-shm.so.0": ("libxcb-shm0", "libxcb"),
    "libxcb-render.so.0": ("libxcb-render0", "libxcb"),
    "libxcb.so.1": ("libxcb1", "libxcb"),
    "libX11-xcb.so.1": ("libx11-xcb1", "libX11-xcb"),
    "libX11.so.6": ("libx11-6", "libX11"),
    "libxkbcommon-x11.so.0": ("libxkbcommon-x11-0", "libxkbcommon-x11"),
    "libxkbcommon.so.0": ("libxkbcommon0", "libxkbcommon"),
    "libwayland-client.so.0": ("libwayland-client0", "libwayland-client"),
    "libwayland-cursor.so.0": ("libwayland-cursor0", "libwayland-cursor"),
    "libwayland-egl.so.1": ("libwayland-egl1", "libwayland-egl"),
    "libEGL.so.1": ("libegl1", "libglvnd-egl"),
    "libGL.so.1": ("libgl1", "libglvnd-glx"),
    "libOpenGL.so.0": ("libopengl0", "libglvnd-opengl"),
    "libfontconfig.so.1": ("libfontconfig1", "fontconfig"),
    "libfreetype.so.6": ("libfreetype6", "freetype"),
    "libdbus-1.so.3": ("libdbus-1-3", "dbus-libs"),
    "libglib-2.0.so.0": ("libglib2.0-0", "glib2"),
}
NOT_FOUND = re.compile(r"^\s*(\S+)\s*=>\s*not found", re.MULTILINE)


@dataclass(frozen=True)
class Problem:
    plugin: str  # "xcb", "wayland", or "" for Qt's own libraries
    missing: tuple[str, ...]  # sonames

    def message(self, which: Callable[[str], str | None] = shutil.which) -> str:
        debian = sorted({PACKAGES.get(s, (s, s))[0] for s in self.missing})
        fedora = sorted({PACKAGES.get(s, (s, s))[1] for s in self.missing})
        where = f"Qt's {self.plugin} platform plugin" if self.plugin else "Qt"
        head = f"{where} cannot load: {', '.join(self.missing)} {'is' if len(self.missing) == 1 else 'are'} missing."
        if which("apt-get"):
            return f"{head} Install {'it' if len(debian) == 1 else 'them'} with:\n  sudo apt-get install {' '.join(debian)}"
        if which("dnf"):
            return f"{head} Install {'it' if len(fedora) == 1 else 'them'} with:\n  sudo dnf install {' '.join(fedora)}"
        return f"{head} Install the system packages that provide them (Debian/Ubuntu: {' '.join(debian)})."


def qt_folder() -> Path | None:
    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0]) / "Qt"


def chosen_platform(env: dict[str, str] | None = None) -> str:
    """The platform plugin Qt will pick: QT_QPA_PLATFORM, else wayland on a Wayland session, else xcb."""
    env = dict(os.environ if env is None else env)
    explicit = env.get("QT_QPA_PLATFORM", "").split(";")[0].split(":")[0].strip()
    if explicit:
        return explicit
    if env.get("WAYLAND_DISPLAY") and not env.get("DISPLAY"):
        return "wayland"
    return "xcb"


def run_ldd(path: Path) -> str:
    try:
        return subprocess.run(["ldd", str(path)], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return ""  # no ldd (macOS, Windows): nothing to say; Qt will speak for itself


def check(env: dict[str, str] | None = None, qt: Path | None = None,
          ldd: Callable[[Path], str] = run_ldd) -> Problem | None:
    """The first problem found, or None when the platform plugin's libraries are all there (or cannot be checked)."""
    if not sys.platform.startswith("linux"):
        return None
    platform = chosen_platform(env)
    if platform in ("offscreen", "minimal", "vnc", "linuxfb"):
        return None
    qt = qt or qt_folder()
    if qt is None:
        return None
    candidates = [("", lib) for lib in sorted((qt / "lib").glob("libQt6Gui.so*"))[:1]]
    plugin = qt / "plugins" / "platforms" / f"libq{platform}.so"
    if plugin.is_file():
        candidates.append((platform, plugin))
    if platform == "xcb":
        candidates += [(platform, lib) for lib in sorted((qt / "lib").glob("libQt6XcbQpa.so*"))[:1]]
    for name, path in candidates:
        missing = tuple(dict.fromkeys(NOT_FOUND.findall(ldd(path))))
        if missing:
            return Problem(name, missing)
    return None


def display_problem(env: dict[str, str] | None = None) -> str | None:
    """A sentence when there is no display to open a window on (a server, an SSH session)."""
    env = dict(os.environ if env is None else env)
    if not sys.platform.startswith("linux"):
        return None
    platform = chosen_platform(env)
    if (platform == "xcb" and not env.get("DISPLAY")) or (platform == "wayland" and not env.get("WAYLAND_DISPLAY")):
        return ("There is no display to open the window on (DISPLAY is not set): run lmscope in a desktop session, "
                "under Xvfb (xvfb-run lmscope), or take pictures headless with `lmscope --screenshot DIR`.")
    return None


def problems(env: dict[str, str] | None = None) -> str | None:
    """What stops a window from opening, as the text to print, or None."""
    problem = check(env)
    if problem is not None:
        return problem.message()
    return display_problem(env)


def main() -> int:
    text = problems()
    if text is None:
        return 0
    print(text, file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
