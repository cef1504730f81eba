"""Word-vector files: word2vec text and binary (what gensim's ``load_word2vec_format`` reads), TensorBoard projector
TSV (vectors.tsv + metadata.tsv). Import and export.

Every file is hostile: the header's count × dimension is checked against the file's size before anything is
allocated, a word is at most ``MAX_WORD_BYTES`` bytes, numbers must be finite, and anything wrong is one sentence
(:class:`VectorFileError`), never a traceback. No pickle anywhere. Words holding whitespace (a character-level
model's " " token) cannot stand in these formats; they are written with visible stand-ins (space → ␠, tab → ␉,
newline → ␤, carriage return → ␍), and an empty word as ∅.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from lmscope.backend.embeddings.vectors import WordVectors
from lmscope.backend.errors import BadInputError

MAX_DIM = 65_536
MAX_WORD_BYTES = 4096
MAX_BYTES = 16 << 30  # vectors (float32) one file may ask us to hold
MAX_LINE = 4 << 20  # characters in one text line (65,536 floats of ~60 characters fit)
FORMATS = ("auto", "word2vec-text", "word2vec-binary", "tsv")
_STAND_INS = str.maketrans({" ": "␠", "\t": "␉", "\n": "␤", "\r": "␍", "\x0b": "␋", "\x0c": "␌", "\x85": "␤",
                            "\u2028": "␤", "\u2029": "␤", "\xa0": "␠", "\u3000": "␠"})


class VectorFileError(BadInputError):
    """A vector file that cannot be read or written, with one sentence saying why."""


def printable_word(word: str) -> str:
    """A word as one whitespace-free field (the stand-ins above); ∅ for the empty word."""
    if not word:
        return "∅"
    word = word.translate(_STAND_INS)
    return "".join("␠" if ch.isspace() else ch for ch in word)


# --- writing --------------------------------------------------------------------------------------------------
def write_word2vec(wv: WordVectors, path: str | Path, binary: bool = False) -> Path:
    """word2vec format: a "count dim" line, then per word "word v1 … vD" (text) or "word " + D float32 (binary)."""
    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    try:
        with tmp.open("wb") as f:
            f.write(f"{len(wv)} {wv.dim}\n".encode())
            vectors = wv.vectors.astype("<f4", copy=False)
            for word, row in zip(wv.words, vectors):
                key = printable_word(word).encode("utf-8", "surrogatepass")
                if binary:
                    f.write(key + b" " + row.tobytes() + b"\n")
                else:
                    f.write(key + b" " + " ".join(f"{x:.6g}" for x in row.tolist()).encode() + b"\n")
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise VectorFileError(f"{path} cannot be written ({exc.strerror or type(exc).__name__}).") from None
    return path


def write_tsv(wv: WordVectors, vectors_path: str | Path, metadata_path: str | Path | None = None,
              columns: dict[str, Sequence] | None = None) -> tuple[Path, Path | None]:
    """TensorBoard projector files: vectors.tsv (tab-separated floats) and metadata.tsv (the words; with a header
    row "word<TAB>column…" when ``columns`` add more, as the projector expects)."""
    vectors_path = Path(vectors_path)
    try:
        with vectors_path.open("w", encoding="utf-8", newline="\n") as f:
            for row in wv.vectors.tolist():
                f.write("\t".join(f"{x:.6g}" for x in row) + "\n")
        if metadata_path is None:
            return vectors_path, None
        metadata_path = Path(metadata_path)
        columns = columns or {}
        with metadata_path.open("w", encoding="utf-8", newline="\n") as f:
            if columns:
                f.write("\t".join(["word", *(printable_word(c) for c in columns)]) + "\n")
            for i, word in enumerate(wv.words):
                f.write("\t".join([printable_word(word), *(printable_word(str(v[i])) for v in columns.values())])
                        + "\n")
    except OSError as exc:
        raise VectorFileError(f"The TSV files cannot be written ({exc.strerror or type(exc).__name__}).") from None
    return vectors_path, metadata_path


# --- reading --------------------------------------------------------------------------------------------------
def _header(f, path: Path) -> tuple[int, int]:  # noqa: ANN001 - a binary file
    line = f.readline(256)
    try:
        count, dim = (int(x) for x in line.decode("ascii").split())
    except (UnicodeDecodeError, ValueError):
        raise VectorFileError(f"{path.name} does not start with a 'count dimension' line; it is not a word2vec "
                              "file.") from None
    if not (1 <= count and 1 <= dim <= MAX_DIM):
        raise VectorFileError(f"{path.name} declares {count} words of dimension {dim}; that is not a usable size.")
    if count * dim * 4 > MAX_BYTES:
        raise VectorFileError(f"{path.name} declares {count:,} × {dim:,} vectors, more than lmscope loads "
                              f"({MAX_BYTES >> 30} GiB).")
    return count, dim


def _finite(vectors: np.ndarray, path: Path) -> None:
    bad = ~np.isfinite(vectors).all(axis=1)
    if bad.any():
        raise VectorFileError(f"Vector {int(np.flatnonzero(bad)[0]) + 1} in {path.name} holds a value that is not a "
                              "finite number.")


def _decode_word(raw: bytes, number: int, path: Path) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise VectorFileError(f"Word {number} in {path.name} is not UTF-8.") from None


def _read_binary(path: Path) -> WordVectors:
    size = path.stat().st_size
    with path.open("rb") as f:
        count, dim = _header(f, path)
        if count * (dim * 4 + 2) > size:
            raise VectorFileError(f"{path.name} declares {count:,} vectors of dimension {dim} but is only "
                                  f"{size:,} bytes long; it is truncated or not binary.")
        vectors = np.empty((count, dim), dtype=np.float32)
        words = []
        for i in range(count):
            raw = bytearray()
            while True:
                ch = f.read(1)
                if not ch:
                    raise VectorFileError(f"{path.name} ends inside word {i + 1}; the file is truncated.")
                if ch == b" ":
                    break
                if ch != b"\n" or raw:  # word2vec.c ends each vector with "\n"; gensim does not
                    raw += ch
                if len(raw) > MAX_WORD_BYTES:
                    raise VectorFileError(f"Word {i + 1} in {path.name} is longer than {MAX_WORD_BYTES} bytes; the "
                                          "file is not a word2vec binary file.")
            words.append(_decode_word(bytes(raw), i + 1, path))
            data = f.read(4 * dim)
            if len(data) != 4 * dim:
                raise VectorFileError(f"{path.name} ends inside vector {i + 1}; the file is truncated.")
            vectors[i] = np.frombuffer(data, dtype="<f4")
    _finite(vectors, path)
    return WordVectors(tuple(words), vectors)


def _text_lines(path: Path, skip: int = 0):  # noqa: ANN202 - yields (line number, text)
    try:
        with path.open("r", encoding="utf-8", newline=None) as f:
            for number in range(1, 1 << 62):
                line = f.readline(MAX_LINE + 1)
                if not line:
                    return
                if len(line) > MAX_LINE:
                    raise VectorFileError(f"Line {number} of {path.name} is longer than {MAX_LINE:,} characters.")
                if number > skip:
                    yield number, line
    except UnicodeDecodeError:
        raise VectorFileError(f"{path.name} is not UTF-8 text.") from None


def _floats(fields: Sequence[str], dim: int, number: int, path: Path) -> np.ndarray:
    if len(fields) != dim:
        raise VectorFileError(f"Line {number} of {path.name} has {len(fields)} numbers; the file's vectors have "
                              f"{dim}.")
    try:
        return np.array(fields, dtype=np.float32)
    except ValueError:
        raise VectorFileError(f"Line {number} of {path.name} holds something that is not a number.") from None


def _read_text(path: Path) -> WordVectors:
    size = path.stat().st_size
    with path.open("rb") as f:
        count, dim = _header(f, path)
    if count * (dim * 2 + 1) > size:  # every number takes at least a digit and a separator
        raise VectorFileError(f"{path.name} declares {count:,} vectors of dimension {dim} but is only {size:,} "
                              "bytes long; it is truncated.")
    vectors = np.empty((count, dim), dtype=np.float32)
    words = []
    for number, line in _text_lines(path, skip=1):
        if not line.strip():
            continue
        if len(words) == count:
            raise VectorFileError(f"{path.name} holds more vectors than the {count:,} its header declares.")
        parts = line.rstrip().rsplit(" ", dim)
        if len(parts) != dim + 1:
            raise VectorFileError(f"Line {number} of {path.name} is not 'word' followed by {dim} numbers.")
        vectors[len(words)] = _floats(parts[1:], dim, number, path)
        words.append(parts[0])
    if len(words) != count:
        raise VectorFileError(f"{path.name} holds {len(words):,} vectors; its header declares {count:,}.")
    _finite(vectors, path)
    return WordVectors(tuple(words), vectors)


def _looks_binary(path: Path) -> bool:
    with path.open("rb") as f:
        f.readline(256)
        sample = f.read(1 << 16)
    if b"\x00" in sample:
        return True
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start < len(sample) - 4  # a character cut at the sample's end is still text
    return False


def read_tsv(vectors_path: str | Path, metadata_path: str | Path | None = None) -> tuple[WordVectors, dict]:
    """TensorBoard projector TSV: (vectors labelled by the metadata's first column, {column: values} of the rest).

    Without metadata the points are labelled by their row number. Metadata has a header row exactly when it has
    more than one column (the projector's own rule).
    """
    path = Path(vectors_path)
    if not path.is_file():
        raise VectorFileError(f"{path} does not exist or is not a file.")
    rows: list[np.ndarray] = []
    dim = -1
    budget = MAX_BYTES
    for number, line in _text_lines(path):
        if not line.strip():
            continue
        fields = line.rstrip("\r\n").split("\t")
        if dim < 0:
            dim = len(fields)
            if dim > MAX_DIM:
                raise VectorFileError(f"{path.name} has {dim:,} columns; lmscope reads at most {MAX_DIM:,}.")
        rows.append(_floats(fields, dim, number, path))
        budget -= 4 * dim
        if budget < 0:
            raise VectorFileError(f"{path.name} holds more than {MAX_BYTES >> 30} GiB of vectors.")
    if not rows:
        raise VectorFileError(f"{path.name} holds no vectors.")
    vectors = np.stack(rows)
    _finite(vectors, path)
    if metadata_path is None:
        return WordVectors(tuple(str(i) for i in range(len(rows))), vectors), {}
    meta_path = Path(metadata_path)
    if not meta_path.is_file():
        raise VectorFileError(f"{meta_path} does not exist or is not a file.")
    lines = [line.rstrip("\r\n") for _, line in _text_lines(meta_path)]
    while lines and lines[-1] == "":
        lines.pop()
    header = len(lines) == len(rows) + 1
    if len(lines) - header != len(rows):
        raise VectorFileError(f"{meta_path.name} has {len(lines):,} lines for {len(rows):,} vectors.")
    table = [line.split("\t") for line in lines]
    names = table[0] if header else ["label"]
    body = table[1:] if header else table
    if any(len(r) != len(names) for r in body):
        bad = next(i for i, r in enumerate(body) if len(r) != len(names))
        raise VectorFileError(f"Line {bad + 1 + header} of {meta_path.name} has a different number of columns.")
    columns = {name: [r[j] for r in body] for j, name in enumerate(names[1:], start=1)}
    return WordVectors(tuple(r[0] for r in body), vectors), columns


def read_vectors(path: str | Path, fmt: str = "auto") -> WordVectors:
    """word2vec text or binary (``auto`` looks at the bytes), or a TSV of vectors with metadata.tsv beside it."""
    path = Path(path)
    if fmt not in FORMATS:
        raise VectorFileError(f"Unknown vector format {fmt!r}; choose one of {', '.join(FORMATS)}.")
    if not path.is_file():
        raise VectorFileError(f"{path} does not exist or is not a file.")
    try:
        if fmt == "tsv" or (fmt == "auto" and path.suffix.lower() == ".tsv"):
            metadata = path.with_name("metadata.tsv")
            return read_tsv(path, metadata if metadata.is_file() and metadata != path else None)[0]
        if fmt == "word2vec-binary" or (fmt == "auto" and _looks_binary(path)):
            return _read_binary(path)
        return _read_text(path)
    except OSError as exc:
        raise VectorFileError(f"{path.name} cannot be read ({exc.strerror or type(exc).__name__}).") from None
    except MemoryError:
        raise VectorFileError(f"{path.name} is too large for the memory left.") from None

