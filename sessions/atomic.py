"""Writing a file atomically beside its target, and every way that can fail as one sentence.

The session is written to ``.NAME.PID.tmp`` beside the target, fsync'ed and renamed over it, so a crash, a kill -9
or a full disk leaves the previous file as it was. Temporary files of saves killed earlier (their PID is gone) are
removed by the next save to the same target.
"""
from __future__ import annotations

import errno
import glob
import os
import re
from pathlib import Path

from lmscope.sessions.errors import SessionFormatError

SUFFIXES = (".h5", ".hdf5", ".lmscope")


def temp_path(path: Path, pid: int | None = None) -> Path:
    return path.with_name(f".{path.name}.{os.getpid() if pid is None else pid}.tmp")


def write_error(exc: OSError, path: Path) -> SessionFormatError:
    """One sentence for a failed write, by errno (never by the message's text)."""
    folder = path.parent
    sentences = {
        errno.ENOSPC: f"There is not enough disk space in {folder} to save {path.name}",
        errno.EDQUOT: f"Your disk quota in {folder} is used up, so {path.name} cannot be saved",
        errno.EFBIG: f"{path.name} would be larger than this file system (or your file size limit) allows",
        errno.EROFS: f"{folder} is on a read-only file system, so {path.name} cannot be saved there",
        errno.EACCES: f"lmscope may not write in {folder}",
        errno.EPERM: f"lmscope may not write in {folder}",
        errno.EISDIR: f"{path} is a folder; save the session under a file name",
        errno.ENOENT: f"The folder {folder} does not exist or does not accept new files",
        errno.ENOTDIR: f"{folder} is not a folder",
        errno.ENAMETOOLONG: f"The name {path.name[:40]}… is too long for this file system",
        errno.EIO: f"The disk reported an error while saving {path.name}",
    }
    sentence = sentences.get(exc.errno) if exc.errno is not None else None
    if sentence is None:
        reason = os.strerror(exc.errno).lower() if exc.errno else type(exc).__name__
        sentence = f"{path.name} cannot be saved ({reason})"
    return SessionFormatError(sentence + "; any previous file there is unchanged.")


def check_output_path(path: str | Path) -> Path:
    """Refuse a target that cannot be saved to, before any work is done (``train -o missing/x.h5`` used to fail
    only after training): its name, its folder, and a probe file created and removed there."""
    path = Path(path)
    if path.suffix.lower() not in SUFFIXES:
        raise SessionFormatError(f"Save sessions as .h5 files, not {path.suffix or 'a name with no extension'}.")
    if path.is_dir():
        raise SessionFormatError(f"{path} is a folder; save the session under a file name.")
    if not path.parent.is_dir():
        what = "is not a folder" if path.parent.exists() else "does not exist"
        raise SessionFormatError(f"The folder {path.parent} {what}.")
    probe = temp_path(path)
    try:
        with open(probe, "wb"):
            pass
        probe.unlink()
    except OSError as exc:
        raise write_error(exc, path) from exc
    return path


def remove_stale_temps(path: Path) -> list[Path]:
    """Delete ``.NAME.PID.tmp`` files beside ``path`` whose PID is no longer running (saves killed mid-way)."""
    pattern = re.compile(rf"\.{re.escape(path.name)}\.(\d{{1,10}})\.tmp")
    removed = []
    for candidate in glob.glob(glob.escape(str(path.parent)) + os.sep + f".{glob.escape(path.name)}.*.tmp"):
        match = pattern.fullmatch(os.path.basename(candidate))
        if match is None or int(match[1]) == os.getpid() or _running(int(match[1])):
            continue
        try:
            os.unlink(candidate)
            removed.append(Path(candidate))
        except OSError:  # another process removed it, or we may not: not ours to worry about
            pass
    return removed


def _running(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    except (OverflowError, OSError):
        return False
    return True


class GuardedFile:
    """The temporary file as HDF5 sees it, through h5py's file-object driver.

    A failed write (disk full, quota, file size limit, I/O error) is remembered and reported to HDF5 as success,
    and later writes are dropped: HDF5 never enters its failed-write state, in which closing the file printed
    tracebacks from h5py's destructors and then crashed the interpreter (segfault, seen on a full 2 MB tmpfs).
    The save then fails with the remembered error.
    """

    def __init__(self, path: Path) -> None:
        self.raw = open(path, "wb+", buffering=0)  # noqa: SIM115 - closed by close()
        self.error: OSError | None = None

    def write(self, data: bytes) -> int:
        view = memoryview(data).cast("B")
        done = 0
        while self.error is None and done < len(view):
            try:
                written = self.raw.write(view[done:])
            except OSError as exc:
                self.error = exc
                break
            if not written:
                self.error = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                break
            done += written
        return len(view)

    def read(self, size: int = -1) -> bytes:  # h5py recognises a file object by read() and seek()
        return self.raw.read(size)

    def readinto(self, buffer: bytearray) -> int:
        return self.raw.readinto(buffer)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self.raw.seek(offset, whence)

    def tell(self) -> int:
        return self.raw.tell()

    def truncate(self, size: int | None = None) -> int:
        if self.error is None:
            try:
                return self.raw.truncate(size)
            except OSError as exc:
                self.error = exc
        return self.raw.tell() if size is None else size

    def flush(self) -> None:
        pass  # unbuffered: nothing is held back

    def sync(self) -> None:
        if self.error is None:
            try:
                os.fsync(self.raw.fileno())
            except OSError as exc:  # delayed allocation can report a full disk only here
                self.error = exc

    def close(self) -> None:
        self.raw.close()
