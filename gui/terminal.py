"""Text from files on a terminal: control characters and lone surrogates shown as escapes, never sent raw.

A session's names, labels and versions are the author's text; raw, they could set the terminal's title or the
clipboard (OSC 0 / OSC 52), and a lone surrogate cannot even be encoded.
"""
from __future__ import annotations

import re

# C0 controls but newline and tab, DEL, C1 controls (0x9b is CSI, 0x9d OSC) and lone surrogates: a file could set
# the terminal's title or clipboard (OSC 0 / OSC 52) through them, and surrogates cannot even be encoded.
_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_UNSAFE_IN_FIELD = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_safe(text: str, field: bool = False) -> str:
    """``text`` with control characters shown as ``\\x1b``-style escapes; ``field`` escapes newlines and tabs too
    (one value on one line)."""
    return (_UNSAFE_IN_FIELD if field else _UNSAFE).sub(_escape, text)


def json_safe(text: str) -> str:
    """JSON text whose strings carry DEL, C1 controls and lone surrogates as ``\\u`` escapes (json.dumps leaves
    them raw with ensure_ascii=False); still the same JSON value."""
    return re.sub(r"[\x7f-\x9f\ud800-\udfff]", lambda m: f"\\u{ord(m.group()):04x}", text)
