"""jieba's dictionary cache lives in a per-user 0700 folder: /tmp/jieba.cache is loaded with marshal by jieba's
default, and any local user can plant it."""
from __future__ import annotations

import marshal
import os
import stat
import tempfile

import pytest

from lmscope.backend.tokenize.segment import Segmenter


@pytest.fixture
def shared_tmp(tmp_path, monkeypatch):
    """A stand-in for /tmp, with a cache another user planted: it makes 我们学习 one word."""
    shared = tmp_path / "shared-tmp"
    shared.mkdir()
    (shared / "jieba.cache").write_bytes(marshal.dumps(({"我们学习": 1000, "我": 1, "我们": 1, "我们学": 1}, 1003)))
    monkeypatch.setattr(tempfile, "tempdir", str(shared))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return shared


def test_a_planted_cache_in_the_shared_temp_folder_is_never_loaded(shared_tmp, tmp_path):
    segmenter = Segmenter()
    segmenter.load()
    assert [t.word for t in segmenter.segment("我们学习")] == ["我们", "学习"]
    folder = tmp_path / "cache" / "lmscope" / "jieba"
    assert (folder / "jieba.cache").is_file()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_an_open_folder_is_closed_and_a_writable_cache_removed(shared_tmp, tmp_path):
    from lmscope.backend.tokenize.segment import jieba_cache_dir

    folder = tmp_path / "cache" / "lmscope" / "jieba"
    folder.mkdir(parents=True)
    folder.chmod(0o777)
    planted = folder / "jieba.cache"
    planted.write_bytes((shared_tmp / "jieba.cache").read_bytes())
    planted.chmod(0o666)
    assert jieba_cache_dir() == folder and stat.S_IMODE(folder.stat().st_mode) == 0o700
    segmenter = Segmenter()
    segmenter.load()
    assert [t.word for t in segmenter.segment("我们学习")] == ["我们", "学习"]
    assert stat.S_IMODE(planted.stat().st_mode) & 0o022 == 0  # rebuilt by jieba, not the planted one


def test_a_folder_that_is_a_symlink_is_not_used(tmp_path, monkeypatch):
    from lmscope.backend.tokenize.segment import jieba_cache_dir

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    (tmp_path / "cache" / "lmscope").mkdir(parents=True)
    os.symlink(elsewhere, tmp_path / "cache" / "lmscope" / "jieba")
    folder = jieba_cache_dir()
    assert folder != tmp_path / "cache" / "lmscope" / "jieba" and stat.S_IMODE(folder.stat().st_mode) == 0o700
    folder.rmdir()
