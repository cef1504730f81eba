"""How much of a session lmscope reads, scaled to this machine's free memory, and one sentence when it runs out.

A session from a teammate is untrusted: it can declare a 7 TiB dataset in 59 kB, or gzip 2 GB of zeros into a few
megabytes. Every dataset's declared size (shape × itemsize) is checked against these limits before anything is
read; ``force`` is the "open anyway" a human who trusts the file and has the memory can ask for.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from lmscope.sessions.errors import SessionFormatError

MiB = 1 << 20
GiB = 1 << 30
FALLBACK_FREE = 2 * GiB  # when the platform tells us nothing about free memory

# A dataset stored at least BOMB_RATIO times smaller than it declares is a compression bomb or a lie about its size
# (an unwritten chunked dataset stores nothing and reads as fill values). Our own writer compresses attention
# patterns ~2× (lzf) and small integer arrays ~10×; a hundredfold is never ours except for all-zero data, and
# below BOMB_FLOOR the ratio does not matter. The same ratio bounds the file as a whole above FILE_FLOOR.
BOMB_RATIO = 100
BOMB_FLOOR = 16 * MiB
FILE_FLOOR = 64 * MiB
# Parts read when a session opens (strings, JSON, history, histograms, panel state) are small in every real file;
# tensors are read lazily and get the memory-scaled limit instead.
PART_BYTES = 64 * MiB


def available_memory() -> int:
    """Bytes this process could still allocate: MemAvailable, capped by a cgroup (container) limit, and by
    ``LMSCOPE_MEMORY_BYTES`` when set (the memory lmscope should plan for, e.g. on a shared server or in tests)."""
    candidates: list[int] = []
    planned = os.environ.get("LMSCOPE_MEMORY_BYTES", "")
    if planned.isdigit() and int(planned) > 0:
        candidates.append(int(planned))
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                candidates.append(int(line.split()[1]) * 1024)
    except (OSError, ValueError, IndexError):
        pass
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        if limit != "max":
            used = int(Path("/sys/fs/cgroup/memory.current").read_text().strip())
            candidates.append(max(0, int(limit) - used))
    except (OSError, ValueError):
        pass
    if not candidates:
        try:
            candidates.append(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
        except (OSError, ValueError, AttributeError):
            candidates.append(FALLBACK_FREE)
    return max(0, min(candidates))


@dataclass(frozen=True)
class Limits:
    """Declared-size limits: one tensor, the whole file, and each part read at open. ``force`` lifts them all
    (and the compression-ratio checks); links, data types and object counts are refused regardless."""

    tensor_bytes: int
    file_bytes: int
    part_bytes: int = PART_BYTES
    force: bool = False
    free_bytes: int = 0  # what the limits were scaled from, for the sentence

    @classmethod
    def for_this_machine(cls, force: bool = False) -> "Limits":
        # A quarter of free memory per tensor leaves room for the copy a panel makes; half for every tensor of the
        # file together, since an opened session keeps what it read. Floors keep a busy machine usable.
        free = available_memory()
        return cls(tensor_bytes=max(256 * MiB, free // 4), file_bytes=max(512 * MiB, free // 2), force=force,
                   free_bytes=free)

    def too_big(self, nbytes: int, limit: int) -> bool:
        return not self.force and nbytes > limit


def human(nbytes: int | float) -> str:
    value = float(nbytes)
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if value < 1024 or unit == "PiB":
            return f"{value:,.0f} {unit}" if unit == "bytes" else f"{value:,.1f} {unit}"
        value /= 1024
    return f"{value:,.1f} EiB"  # pragma: no cover - the loop returns


@contextmanager
def memory_guard(what: str) -> Iterator[None]:
    """Any allocation failure inside reads as one sentence, never a MemoryError traceback."""
    try:
        yield
    except MemoryError as exc:
        raise SessionFormatError(f"{what} needs more memory than this machine can give "
                                 f"({human(available_memory())} free).") from exc
