"""The wall between a session file from anyone and the rest of lmscope.

Before anything is read, :func:`inspect_file` walks the file's link and storage metadata without following any
link, and refuses what our writer never produces and what could make HDF5 read elsewhere or read too much:
external, soft and user-defined links, hard-link aliases and loops, external raw storage, virtual datasets,
filters other than gzip/shuffle/fletcher32/lzf, data types other than numbers, booleans and fixed-length UTF-8
strings, and declared sizes over :class:`~lmscope.sessions.limits.Limits`. Every later access goes through
:func:`child`, which opens only hard links, through a link-access list whose external-link file access reads an
empty in-memory image (a second wall), and checks a dataset's storage again; :func:`read_dataset` reads in
bounded blocks.
"""
from __future__ import annotations

import errno
import math
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np
from h5py import h5a, h5d, h5l, h5o, h5p, h5s, h5t, h5z

from lmscope.sessions.errors import OUTSIDE, SessionFormatError, SessionTooLargeError
from lmscope.sessions.limits import BOMB_FLOOR, BOMB_RATIO, FILE_FLOOR, Limits, human, memory_guard

# Counts that bound the time of a walk (a file with 2 million names used to scan for ever). The demo capture holds
# ~250 objects; a 48-layer capture ~1,000 per trace.
MAX_OBJECTS = 250_000
MAX_DEPTH = 32
MAX_ATTRS = 1_024  # per object; a panel state keeps its scalars as attributes
MAX_ATTR_BYTES = 64 * 1024  # HDF5's own limit for an attribute stored in its object header
MAX_RANK = 8
CHUNK_BYTES = 64 << 20  # one chunk is decompressed whole; our writer's (h5py's) chunks are ≤ 1 MiB
READ_BLOCK = 16 << 20  # bytes per read call in read_dataset / blocks

ALLOWED_FILTERS = {h5z.FILTER_DEFLATE: "gzip", h5z.FILTER_SHUFFLE: "shuffle", h5z.FILTER_FLETCHER32: "fletcher32",
                   h5z.FILTER_LZF: "lzf"}
UNSAFE_SIZE = "{where} declares {size}, more than the {limit} lmscope reads in one {what} on this machine " \
              "({free} free); open it anyway only if you trust the file and have the memory"


def _fail(text: str, kind: type[SessionFormatError] = SessionFormatError) -> SessionFormatError:
    if len(text) > 400:  # a path a file made absurdly long stays readable
        text = text[:240] + " … " + text[-150:]
    return kind(text + ("" if text.endswith(".") else "."))


# --- opening ---------------------------------------------------------------------------------------------------
def open_hdf5(path: Path) -> h5py.File:
    """The file, opened read-only; every failure classified by exception type and errno, never by its text."""
    try:
        info = path.stat()
    except FileNotFoundError as exc:
        raise _fail(f"{path} does not exist") from exc
    except OSError as exc:
        raise _fail(f"{path} cannot be opened ({_reason(exc)})") from exc
    if stat.S_ISDIR(info.st_mode):
        raise _fail(f"{path} is a folder, not a session file")
    if not stat.S_ISREG(info.st_mode):  # a pipe or device would block or never end
        raise _fail(f"{path.name} is not a regular file; lmscope opens session files only")
    try:
        if not h5py.is_hdf5(path):
            raise _fail(f"{path.name} is not an lmscope session (it is not an HDF5 file)")
        return h5py.File(path, "r")
    except SessionFormatError:
        raise
    except MemoryError as exc:
        raise _fail(f"{path.name} cannot be opened: not enough memory") from exc
    except OSError as exc:
        if exc.errno in (errno.EAGAIN, errno.EWOULDBLOCK):  # HDF5's file lock is held by a writer
            raise _fail(f"{path.name} is being written by another program; try again when it is done") from exc
        if exc.errno is not None:
            raise _fail(f"{path.name} cannot be opened ({_reason(exc)})") from exc
        raise _fail(f"{path.name} is damaged or truncated and cannot be opened") from exc
    except (ValueError, RuntimeError, TypeError, KeyError) as exc:
        raise _fail(f"{path.name} is damaged or truncated and cannot be opened") from exc


def _reason(exc: OSError) -> str:
    return os.strerror(exc.errno).lower() if exc.errno else type(exc).__name__


# --- the second wall -------------------------------------------------------------------------------------------
def _safe_lapl() -> h5p.PropLAID:
    # Should an external link ever be traversed despite the walk, HDF5 opens its target through this file-access
    # list: the in-memory "core" driver over an image of eight zero bytes, which is not HDF5, so the traversal fails
    # without reading the target (checked with strace: the target is opened and closed, never read).
    fapl = h5p.create(h5p.FILE_ACCESS)
    fapl.set_fapl_core(backing_store=False)
    fapl.set_file_image(b"\0" * 8)
    lapl = h5p.create(h5p.LINK_ACCESS)
    lapl.set_elink_fapl(fapl)
    return lapl


SAFE_LAPL = _safe_lapl()


def _name(raw: bytes, where: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _fail(f"{where} holds a name that is not UTF-8; the file is damaged") from exc


def _join(parent: str, name: str) -> str:
    return f"{parent.rstrip('/')}/{name}"


def child(group: h5py.Group, name: str) -> h5py.Group | h5py.Dataset:
    """``group[name]``, opened only through a hard link and, for a dataset, only when its storage is inside."""
    where = _join(group.name or "", name)
    if not name or "/" in name or name in (".", ".."):
        raise _fail(f"{where} is not a plain name")
    raw = name.encode("utf-8", "surrogatepass")
    if not group.id.links.exists(raw):
        raise KeyError(name)
    kind = group.id.links.get_info(raw).type
    if kind != h5l.TYPE_HARD:
        raise _fail(OUTSIDE if kind != h5l.TYPE_SOFT else f"{where} is a soft link; lmscope does not follow links")
    oid = h5o.open(group.id, raw, lapl=SAFE_LAPL)
    if isinstance(oid, h5d.DatasetID):
        _check_storage(oid, where)
        return h5py.Dataset(oid)
    if isinstance(oid, h5py.h5g.GroupID):
        return h5py.Group(oid)
    raise _fail(f"{where} is neither a group nor a dataset")


def has(group: h5py.Group, name: str) -> bool:
    return bool(name) and "/" not in name and group.id.links.exists(name.encode("utf-8", "surrogatepass"))


def _check_storage(oid: h5d.DatasetID, where: str) -> h5p.PropDCID:
    dcpl = oid.get_create_plist()
    if dcpl.get_layout() == h5d.VIRTUAL or dcpl.get_external_count() > 0:
        raise _fail(OUTSIDE)
    for index in range(dcpl.get_nfilters()):
        code = dcpl.get_filter(index)[0]
        if code not in ALLOWED_FILTERS:
            raise _fail(f"{where} is encoded with HDF5 filter {code}, which lmscope does not read")
    return dcpl


# --- data types ------------------------------------------------------------------------------------------------
def check_type(tid: h5t.TypeID, where: str) -> np.dtype:
    """Integers, floats, booleans (h5py's enum) and fixed-length UTF-8/ASCII strings; the numpy dtype."""
    kind = tid.get_class()
    if kind == h5t.STRING and not tid.is_variable_str():
        return tid.dtype
    if kind in (h5t.INTEGER, h5t.FLOAT) and tid.get_size() <= 8:
        dtype = tid.dtype
        if dtype.kind in "iuf" and dtype.itemsize in ((2, 4, 8) if dtype.kind == "f" else (1, 2, 4, 8)):
            return dtype
    if kind == h5t.ENUM and tid.dtype.kind == "b":
        return tid.dtype
    what = "variable-length strings, which lmscope never writes" if kind == h5t.STRING else \
        f"{_type_name(kind)} data, which lmscope refuses to read"
    raise _fail(f"{where} holds {what}")


def _type_name(kind: int) -> str:
    names = {h5t.COMPOUND: "compound", h5t.OPAQUE: "opaque", h5t.REFERENCE: "reference", h5t.VLEN: "variable-length",
             h5t.ARRAY: "array", h5t.ENUM: "enum", h5t.BITFIELD: "bitfield", h5t.TIME: "time"}
    return names.get(kind, "an unusual kind of number" if kind in (h5t.INTEGER, h5t.FLOAT) else "unknown")


def _shape(space: h5s.SpaceID, where: str) -> tuple[int, ...] | None:
    kind = space.get_simple_extent_type()
    if kind == h5s.NULL:
        return None
    if kind == h5s.SCALAR:
        return ()
    shape = tuple(int(n) for n in space.shape)
    if len(shape) > MAX_RANK:
        raise _fail(f"{where} has {len(shape)} dimensions; lmscope reads up to {MAX_RANK}")
    return shape


# --- the walk --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FileSummary:
    objects: int
    declared_bytes: int  # every dataset, as declared (shape × itemsize)


def inspect_file(f: h5py.File, limits: Limits) -> FileSummary:
    """Walk every link and object of ``f`` without following links or reading data; refuse what is unsafe."""
    file_size = Path(f.filename).stat().st_size
    _check_object(f.id, "/")
    stack: list[tuple[str, h5py.h5g.GroupID, int]] = [("/", f.id, 0)]
    objects = total = 0
    while stack:
        path, gid, depth = stack.pop()
        entries: list[tuple[bytes, int]] = []

        def collect(name: bytes, info: h5l.LinkInfo) -> int | None:
            entries.append((name, info.type))
            return 1 if objects + len(entries) > MAX_OBJECTS else None  # non-None stops the iteration

        gid.links.iterate(collect, info=True)
        objects += len(entries)
        if objects > MAX_OBJECTS:
            raise _fail(f"This session holds more than {MAX_OBJECTS:,} objects; lmscope reads up to that many")
        for raw, kind in entries:
            where = _join(path, _name(raw, path))
            if kind == h5l.TYPE_SOFT:
                raise _fail(f"{where} is a soft link; lmscope sessions never contain links, so the file is refused")
            if kind != h5l.TYPE_HARD:  # external or user-defined
                raise _fail(OUTSIDE)
            oid = h5o.open(gid, raw, lapl=SAFE_LAPL)
            _check_object(oid, where)
            if isinstance(oid, h5py.h5g.GroupID):
                if depth + 1 > MAX_DEPTH:
                    raise _fail(f"{where} is nested more than {MAX_DEPTH} groups deep")
                stack.append((where, oid, depth + 1))
            elif isinstance(oid, h5d.DatasetID):
                total += _check_dataset(oid, where, limits)
            else:
                raise _fail(f"{where} is a named data type, which lmscope sessions never contain")
    if limits.too_big(total, limits.file_bytes):
        raise _fail(UNSAFE_SIZE.format(where="This session", size=human(total), limit=human(limits.file_bytes),
                                       what="file", free=human(limits.free_bytes)), SessionTooLargeError)
    if not limits.force and total > FILE_FLOOR and total > BOMB_RATIO * file_size:
        raise _fail(f"This session declares {human(total)} of data in a {human(file_size)} file: a compression "
                    f"bomb or a file that lies about its size", SessionTooLargeError)
    return FileSummary(objects, total)


def _check_object(oid: h5py.h5o.ObjectID, where: str) -> None:
    info = h5o.get_info(oid)
    if info.rc != 1:  # several hard links to one object: an alias, or a loop back to a parent
        raise _fail(f"{where} can be reached by {info.rc} paths (a hard link alias or loop), which lmscope "
                    f"sessions never contain")
    if info.num_attrs > MAX_ATTRS:
        raise _fail(f"{where} has {info.num_attrs:,} attributes; lmscope reads up to {MAX_ATTRS:,}")
    for index in range(info.num_attrs):
        aid = h5a.open(oid, index=index)
        name = _name(aid.name, where)
        at = f"{where} attribute {name!r}"
        dtype = check_type(aid.get_type(), at)
        shape = _shape(aid.get_space(), at)
        if shape != ():
            raise _fail(f"{at} is not a single value")
        if dtype.itemsize > MAX_ATTR_BYTES:
            raise _fail(f"{at} is larger than {human(MAX_ATTR_BYTES)}")


def _check_dataset(oid: h5d.DatasetID, where: str, limits: Limits) -> int:
    dcpl = _check_storage(oid, where)
    dtype = check_type(oid.get_type(), where)
    shape = _shape(oid.get_space(), where)
    if shape is None:
        return 0
    nbytes = math.prod(shape) * dtype.itemsize
    if dcpl.get_layout() == h5d.CHUNKED:
        chunk = tuple(int(n) for n in dcpl.get_chunk())
        if len(chunk) != len(shape) or min(chunk, default=1) < 1:
            raise _fail(f"{where} has malformed chunks")
        if math.prod(chunk) * dtype.itemsize > CHUNK_BYTES:
            raise _fail(f"{where} has chunks of {human(math.prod(chunk) * dtype.itemsize)}; lmscope reads chunks "
                        f"of up to {human(CHUNK_BYTES)}")
        n_chunks = math.prod(-(-s // c) for s, c in zip(shape, chunk))
        if n_chunks > max(4096, nbytes // 4096):  # an average chunk under 4 KiB: millions of tiny reads
            raise _fail(f"{where} is cut into {n_chunks:,} chunks, too many for its size")
    if limits.too_big(nbytes, limits.tensor_bytes):
        raise _fail(UNSAFE_SIZE.format(where=where, size=human(nbytes), limit=human(limits.tensor_bytes),
                                       what="dataset", free=human(limits.free_bytes)), SessionTooLargeError)
    if not limits.force and nbytes > BOMB_FLOOR and nbytes > BOMB_RATIO * oid.get_storage_size():
        raise _fail(f"{where} declares {human(nbytes)} but stores {human(oid.get_storage_size())}: a compression "
                    f"bomb or a dataset that lies about its size", SessionTooLargeError)
    return nbytes


# --- bounded reads ---------------------------------------------------------------------------------------------
def declared_bytes(dataset: h5py.Dataset) -> int:
    return 0 if dataset.shape is None else math.prod(dataset.shape) * dataset.dtype.itemsize


def check_size(dataset: h5py.Dataset, limit: int, limits: Limits) -> None:
    nbytes = declared_bytes(dataset)
    if limits.too_big(nbytes, limit):
        raise _fail(UNSAFE_SIZE.format(where=dataset.name, size=human(nbytes), limit=human(limit), what="part",
                                       free=human(limits.free_bytes)), SessionTooLargeError)


def blocks(dataset: h5py.Dataset, step: int = READ_BLOCK, whole_rows: bool = False) -> Iterator[tuple[slice, ...]]:
    """Selections covering ``dataset`` in pieces of about ``step`` bytes, aligned to whole chunks (so no chunk is
    decompressed twice); a piece is one chunk at least, and with ``whole_rows`` holds whole rows (last axis)."""
    shape = dataset.shape
    if not shape or math.prod(shape) == 0:
        yield ()
        return
    grid = dataset.chunks or (1,) * len(shape)
    itemsize = dataset.dtype.itemsize
    axis = len(shape) - (2 if whole_rows and len(shape) > 1 else 1)
    for a in range(axis):  # the outermost axis whose one grid step, with everything inside it, fits
        if math.prod(grid[:a + 1]) * math.prod(shape[a + 1:]) * itemsize <= step:
            axis = a
            break
    unit = math.prod(grid[:axis + 1]) * math.prod(shape[axis + 1:]) * itemsize
    span = grid[axis] * max(1, step // max(1, unit))
    outer = [range(0, shape[i], grid[i]) for i in range(axis)]
    for starts in _product(outer):
        head = tuple(slice(s, min(s + grid[i], shape[i])) for i, s in enumerate(starts))
        for start in range(0, shape[axis], span):
            yield head + (slice(start, min(start + span, shape[axis])),) + tuple(slice(0, n) for n in shape[axis + 1:])


def _product(ranges: list[range]) -> Iterator[tuple[int, ...]]:
    if not ranges:
        yield ()
        return
    for first in ranges[0]:
        for rest in _product(ranges[1:]):
            yield (first, *rest)


def read_dataset(dataset: h5py.Dataset, out_dtype: np.dtype | None = None) -> np.ndarray:
    """The whole dataset in bounded steps: the result is allocated once (its declared size was checked by the
    caller) and filled block by block, converting to ``out_dtype`` on the way (float16 storage → float32)."""
    dtype = np.dtype(out_dtype or dataset.dtype)
    with memory_guard(f"The dataset {dataset.name}"):
        if dataset.shape is None:
            return np.empty(0, dtype)
        if h5py.check_string_dtype(dataset.dtype) is not None or dataset.ndim == 0:
            return np.asarray(dataset[()]).astype(dtype, copy=False)
        out = np.empty(dataset.shape, dtype)
        if out.size:
            for selection in blocks(dataset):
                dataset.read_direct(out, selection, selection)
        return out
