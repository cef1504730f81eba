"""Saving where it cannot be saved: a full disk, a folder, /proc, a read-only place, a missing folder; stale
temporary files of killed saves. Each is one sentence, the previous file stays, and nothing crashes."""
from __future__ import annotations

import errno
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from lmscope.backend.trace import Trace
from lmscope.sessions import SavedTrace, Session, SessionFormatError, open_session, save_session


def session(n_layers: int = 4) -> Session:
    tensors = {f"blocks.{i}.hook_resid_pre": np.random.default_rng(i).normal(size=(1, 64, 1024)).astype(np.float32)
               for i in range(n_layers)}
    return Session(traces=[SavedTrace(Trace(np.zeros((1, 64), np.int64), ["x"] * 64, tensors, {}))], notes="new")


FULL_DISK = textwrap.dedent("""
    import resource, signal, sys
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes past the limit fail with EFBIG, as on a full disk
    resource.setrlimit(resource.RLIMIT_FSIZE, (1_000_000, 1_000_000))
    import numpy as np
    from lmscope.backend.trace import Trace
    from lmscope.sessions import SavedTrace, Session, SessionFormatError, save_session
    tensors = {f"t{i}": np.random.default_rng(i).normal(size=(1, 64, 1024)).astype(np.float32) for i in range(10)}
    try:
        save_session(Session(traces=[SavedTrace(Trace(np.zeros((1, 64), np.int64), ["x"] * 64, tensors, {}))]),
                     sys.argv[1])
    except SessionFormatError as exc:
        print("SENTENCE", exc)
""")


def test_a_full_disk_is_one_sentence_and_no_crash(tmp_path):
    """The disk filling up mid-save printed tracebacks from h5py's destructors, then the interpreter segfaulted."""
    target = tmp_path / "s.h5"
    save_session(Session(notes="previous"), target)
    before = target.read_bytes()
    done = subprocess.run([sys.executable, "-c", FULL_DISK, str(target)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]  # -11 (SIGSEGV) before
    assert done.stdout.startswith("SENTENCE s.h5 would be larger than this file system")
    assert "unchanged" in done.stdout and done.stderr == ""  # not one traceback, not even an "ignored" one
    assert target.read_bytes() == before and list(tmp_path.iterdir()) == [target]


def test_no_space_left_is_named_as_such(tmp_path, monkeypatch):
    """ENOSPC from the disk, at any write: the same path as above, with its own sentence."""
    from lmscope.sessions import atomic

    real_write = atomic.GuardedFile.write
    written = []

    def fill_up(self, data):
        written.append(len(memoryview(data)))
        if sum(written) > 200_000:
            self.raw.write = lambda _: (_ for _ in ()).throw(OSError(errno.ENOSPC, "No space left on device"))
        return real_write(self, data)

    monkeypatch.setattr(atomic.GuardedFile, "write", fill_up)
    target = tmp_path / "s.h5"
    with pytest.raises(SessionFormatError, match=f"not enough disk space in {tmp_path} to save s.h5"):
        save_session(session(), target)
    assert not target.exists() and not list(tmp_path.glob(".*.tmp"))


@pytest.mark.parametrize("code, words", [(errno.EROFS, "read-only file system"), (errno.EACCES, "may not write"),
                                          (errno.EDQUOT, "quota"), (errno.EIO, "reported an error")])
def test_write_errors_are_classified_by_errno(tmp_path, code, words):
    from lmscope.sessions.atomic import write_error

    message = str(write_error(OSError(code, "the text is never read"), tmp_path / "s.h5"))
    assert words in message and "never read" not in message and message.endswith("unchanged.")


def test_saving_onto_a_folder_is_one_sentence(tmp_path):
    folder = tmp_path / "look.h5"
    folder.mkdir()
    with pytest.raises(SessionFormatError, match="is a folder; save the session under a file name"):
        save_session(session(1), folder)
    assert folder.is_dir() and not list(folder.iterdir())


@pytest.mark.parametrize("where", ["/proc/lmscope-test.h5", "/proc/self/lmscope-test.h5"])
def test_saving_where_no_file_can_be_created_is_one_sentence(where):
    with pytest.raises(SessionFormatError, match="unchanged"):
        save_session(session(1), where)


def test_saving_into_a_missing_folder_is_one_sentence(tmp_path):
    with pytest.raises(SessionFormatError, match="The folder .*missing does not exist"):
        save_session(session(1), tmp_path / "missing" / "x.h5")


def test_stale_temporary_files_of_dead_saves_are_removed(tmp_path):
    """60 kill -9 during save left 23 temporary files (74 MB) for ever."""
    target = tmp_path / "s.h5"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f".s.h5.{dead.pid}.tmp"
    stale.write_bytes(b"\0" * 1000)
    alive = tmp_path / f".s.h5.{os.getppid()}.tmp"  # a save in progress in a living process: not ours to remove
    alive.write_bytes(b"\0" * 10)
    other = tmp_path / f".other.h5.{dead.pid}.tmp"  # another target's
    other.write_bytes(b"\0")
    save_session(session(1), target)
    assert not stale.exists() and alive.exists() and other.exists()
    assert open_session(target).notes == "new"


def test_the_output_path_is_checked_before_any_work(tmp_path):
    from lmscope.sessions.atomic import check_output_path

    assert check_output_path(tmp_path / "ok.h5") == tmp_path / "ok.h5" and not list(tmp_path.iterdir())
    for bad, words in [(tmp_path / "x.txt", "as .h5 files"), (tmp_path / "no" / "x.h5", "does not exist"),
                       ("/proc/x.h5", "unchanged")]:
        with pytest.raises(SessionFormatError, match=words):
            check_output_path(bad)


def test_saved_arrays_carry_checksums(tmp_path):
    import h5py

    path = tmp_path / "s.h5"
    save_session(session(1), path)
    with h5py.File(path, "r") as f:
        assert f["traces/0/tensors/blocks.0.hook_resid_pre"].fletcher32
        assert f["traces/0/tokens"].fletcher32
