"""GPT-2's byte-level view of text: UTF-8 bytes and the printable characters that stand in for them.

Byte-level BPE (GPT-2, RoBERTa, …) never needs an unknown token: text becomes UTF-8 bytes, and each of the 256
bytes has a printable Unicode stand-in so merges can work on ordinary strings. A space is byte 0x20 → ``Ġ``; one
Chinese character is three bytes and so three stand-ins (我 → E6 88 91 → ``æĪĳ``). No Qt here.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache


@cache
def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's table (``encoder.py`` in openai/gpt-2): printable Latin-1 bytes stand for themselves, and the other
    68 bytes (controls, space, 0x7F–0xA0, 0xAD) are moved to U+0100 onwards in byte order, so none is whitespace."""
    keep = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    table = {b: chr(b) for b in keep}
    shifted = 0
    for b in range(256):
        if b not in table:
            table[b] = chr(256 + shifted)
            shifted += 1
    return dict(sorted(table.items()))


@cache
def unicode_to_bytes() -> dict[str, int]:
    return {ch: b for b, ch in bytes_to_unicode().items()}


@dataclass(frozen=True)
class CharBytes:
    """One character of a text at ``offset`` (in characters) with its UTF-8 bytes."""

    char: str
    offset: int
    data: bytes

    @property
    def hex(self) -> str:
        return " ".join(f"{b:02X}" for b in self.data)

    @property
    def stand_ins(self) -> str:
        table = bytes_to_unicode()
        return "".join(table[b] for b in self.data)


def char_bytes(text: str) -> list[CharBytes]:
    """Every character of ``text`` with its UTF-8 encoding (surrogates, which UTF-8 cannot hold, become U+FFFD)."""
    return [CharBytes(ch, i, ch.encode("utf-8", errors="replace")) for i, ch in enumerate(text)]


def to_byte_level(text: str) -> str:
    """The string GPT-2's byte-level BPE starts from: one stand-in per UTF-8 byte."""
    table = bytes_to_unicode()
    return "".join(table[b] for b in text.encode("utf-8", errors="replace"))


def from_byte_level(symbols: str) -> str:
    """Undo :func:`to_byte_level` (invalid UTF-8 sequences become U+FFFD, as GPT-2's decoder does)."""
    table = unicode_to_bytes()
    return bytes(table[ch] for ch in symbols).decode("utf-8", errors="replace")
