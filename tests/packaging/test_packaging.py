"""The wheel installs one package, ``lmscope``, with the demo as package data (the architecture issue, part 1)."""
from __future__ import annotations

import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ROOMS = ("backend", "sessions", "widgets", "gui", "resources")


def declared_packages() -> set[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    assert config["package-dir"] == {"lmscope": "."}
    return set(config["packages"])


def test_every_package_folder_is_declared_and_nothing_else():
    on_disk = {"lmscope"} | {
        "lmscope." + ".".join(init.parent.relative_to(ROOT).parts)
        for room in ROOMS for init in (ROOT / room).rglob("__init__.py")
    }
    assert declared_packages() == on_disk


def test_wheel_holds_only_lmscope_and_runs_from_anywhere(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                    "-w", str(tmp_path / "dist"), str(ROOT)], check=True, timeout=300, capture_output=True)
    (wheel,) = (tmp_path / "dist").glob("lmscope-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/")[0] for name in names}
    assert {t for t in tops if not t.endswith(".dist-info")} == {"lmscope"}, tops
    for shipped in ("model.safetensors", "config.json", "vocab.json", "corpus.txt", "history.npz"):
        assert f"lmscope/resources/demo/{shipped}" in names
    assert "lmscope/resources/help/en/attention.html" in names
    for shipped in ("i18n/lmscope_zh_CN.qm", "i18n/lmscope_zh_CN.ts", "help/zh_CN/attention.html"):
        assert f"lmscope/resources/{shipped}" in names
    assert not any("/tests/" in n or n.startswith("lmscope/bench") for n in names)
    # Unpacked somewhere else, the package finds its demo through importlib.resources, not the checkout.
    target = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(target)
    code = ("import lmscope, lmscope.backend.demo as d; print(lmscope.__file__); print(d.demo_dir()); "
            "print(len(d.demo_corpus()))")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env={"PYTHONPATH": str(target)},
                         check=True, timeout=120, capture_output=True, text=True).stdout.splitlines()
    assert Path(out[0]).is_relative_to(target) and Path(out[1]).is_relative_to(target)
    assert int(out[2]) > 10_000
