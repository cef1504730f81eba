"""A Hugging Face model's own tokenizer (``tokenizer.json``), behind the same small protocol as our char tokenizer.

Ids are exactly what ``AutoTokenizer`` gives for the folder, with the special tokens it adds by default
(``[CLS] … [SEP]`` for BERT, nothing for GPT-2). For display, a token's string is made readable: byte-level BPE
stand-ins are turned back into text (``Ġthe`` → `` the``; a piece of a multi-byte character shows its bytes as
``\\xe6\\x88``), SentencePiece's ``▁`` becomes a space, and WordPiece keeps its ``##`` continuation mark.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

from lmscope.backend.errors import ModelLoadError
from lmscope.backend.tokenize.bytelevel import unicode_to_bytes

SPECIAL_NAMES = ("bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token")


def readable(piece: str, decoder: str) -> str:
    """A vocabulary piece as a person reads it (see the module docstring)."""
    if decoder == "byte-level":
        table = unicode_to_bytes()
        if piece and all(ch in table for ch in piece):
            return bytes(table[ch] for ch in piece).decode("utf-8", errors="backslashreplace")
        return piece
    if decoder == "metaspace":
        return piece.replace("▁", " ")
    return piece


class HFTokenizer:
    """Satisfies :class:`~lmscope.backend.models.tokenizer.ModelTokenizer` for a ``transformers`` fast tokenizer.

    ``n_vocab`` is the model's embedding size: it can exceed the tokenizer's (Qwen2 pads 151,646 tokens to
    151,936 rows), and ``tokens`` must cover every logit.
    """

    def __init__(self, fast: Any, n_vocab: int = 0, files: Sequence[str] = ()) -> None:
        self.fast = fast
        self.files = tuple(files)
        self._size = max(len(fast), int(n_vocab))
        spec = json.loads(fast.backend_tokenizer.to_str())
        self.model_type = str((spec.get("model") or {}).get("type", "unknown"))
        self.byte_fallback = bool((spec.get("model") or {}).get("byte_fallback", False))
        self.decoder = _decoder_kind(spec.get("decoder"), spec.get("pre_tokenizer"))
        self.kind = {"BPE": "byte-level BPE" if self.decoder == "byte-level" else "BPE"}.get(
            self.model_type, self.model_type)

    @classmethod
    def from_folder(cls, folder: str | Path, n_vocab: int = 0, files: Sequence[str] = ()) -> "HFTokenizer":
        from transformers import AutoTokenizer, TokenizersBackend  # the optional `hf` extra

        try:
            fast = AutoTokenizer.from_pretrained(str(folder), local_files_only=True, trust_remote_code=False)
        except Exception as exc:  # noqa: BLE001  tokenizers raises a bare Exception for a malformed file
            raise ModelLoadError(f"The tokenizer in {Path(folder).name} cannot be read "
                                 f"({type(exc).__name__}: {str(exc).splitlines()[0][:160] if str(exc) else ''}).")
        if not isinstance(fast, TokenizersBackend):
            raise ModelLoadError(f"{Path(folder).name}'s tokenizer is not a fast tokenizer (tokenizer.json).")
        return cls(fast, n_vocab, files)

    # --- the protocol -----------------------------------------------------------------------------------------
    @property
    def vocab_size(self) -> int:
        return self._size

    @property
    def unk_id(self) -> int | None:
        return self.fast.unk_token_id

    @property
    def pad_id(self) -> int:
        """The id a batch is padded with: the pad token, else end-of-text, else unknown, else 0."""
        for candidate in (self.fast.pad_token_id, self.fast.eos_token_id, self.fast.unk_token_id):
            if candidate is not None:
                return int(candidate)
        return 0

    @cached_property
    def special_ids(self) -> frozenset[int]:
        return frozenset(int(i) for i in self.fast.all_special_ids)

    @cached_property
    def special_tokens(self) -> dict[str, str]:
        """Role -> token string (bos/eos/unk/sep/pad/cls/mask), for those this tokenizer has."""
        out = {}
        for name in SPECIAL_NAMES:
            value = getattr(self.fast, name, None)
            if value:
                out[name] = str(value)
        return out

    @cached_property
    def pieces(self) -> tuple[str, ...]:
        """The raw vocabulary pieces by id (``Ġthe``, ``##ing``, ``<0x0A>``); ids past the tokenizer are unused."""
        n = len(self.fast)
        raw = self.fast.convert_ids_to_tokens(list(range(n)))
        return tuple(p if p is not None else f"<unused {i}>" for i, p in enumerate(raw)) + tuple(
            f"<unused {i}>" for i in range(n, self._size))

    @cached_property
    def tokens(self) -> tuple[str, ...]:
        """Display strings by id (see :func:`readable`); special tokens stay as they are written."""
        special = self.special_ids
        return tuple(p if i in special else readable(p, self.decoder) for i, p in enumerate(self.pieces))

    def encode(self, text: str) -> list[int]:
        return list(self.fast(text, verbose=False)["input_ids"])  # the length check belongs to the model

    def encode_with_offsets(self, text: str) -> list[tuple[int, int, int]]:
        """(id, start, end) per token, character offsets into ``text`` ((0, 0) for added special tokens)."""
        enc = self.fast(text, return_offsets_mapping=True)
        return [(int(i), int(a), int(b)) for i, (a, b) in zip(enc["input_ids"], enc["offset_mapping"])]

    def decode(self, ids: Sequence[int]) -> str:
        return self.fast.decode(list(ids))

    def token_strings(self, ids: Sequence[int]) -> list[str]:
        tokens = self.tokens
        return [tokens[int(i)] if 0 <= int(i) < len(tokens) else f"<id {int(i)}>" for i in ids]

    def to_json(self) -> str:
        """The tokenizer as text (``tokenizer.json`` plus its special tokens), for a session."""
        return json.dumps({"kind": "hf", "tokenizer": self.fast.backend_tokenizer.to_str(),
                           "special": self.special_tokens, "n_vocab": self._size, "files": list(self.files)},
                          ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> "HFTokenizer":
        from tokenizers import Tokenizer
        from transformers import TokenizersBackend

        try:
            data = json.loads(text)
            backend = Tokenizer.from_str(data["tokenizer"])
            fast = TokenizersBackend(tokenizer_object=backend, **dict(data.get("special", {})))
        except Exception as exc:  # noqa: BLE001  tokenizers' own errors are bare Exceptions
            raise ModelLoadError(f"The session's tokenizer cannot be rebuilt ({type(exc).__name__}).") from exc
        return cls(fast, int(data.get("n_vocab", 0)), data.get("files", ()))


def _decoder_kind(decoder: Any, pre_tokenizer: Any) -> str:
    """byte-level, metaspace or plain, from the decoder (or pre-tokenizer) of a tokenizer.json."""
    types: list[str] = []
    replaces: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            types.append(str(node.get("type")))
            if node.get("type") == "Replace":
                pattern = node.get("pattern")
                replaces.append(str(pattern.get("String") if isinstance(pattern, dict) else pattern))
            for child in node.get("decoders", []) or node.get("pretokenizers", []) or []:
                walk(child)

    walk(decoder)
    walk(pre_tokenizer)
    if "ByteLevel" in types:
        return "byte-level"
    if "Metaspace" in types or "▁" in replaces:
        return "metaspace"
    return "plain"
