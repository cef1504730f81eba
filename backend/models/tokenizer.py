"""The tokenizer protocol every model's tokenizer meets, and the demo model's: one token per Unicode character.

:class:`ModelTokenizer` is what panels and jobs may call: our :class:`CharTokenizer` and a Hugging Face model's
:class:`~lmscope.backend.models.hf_tokenizer.HFTokenizer` both satisfy it. The char tokenizer is stored as JSON
(``vocab.json``): ``{"kind": "char", "tokens": [...], "unk": "<unk>"}``; token id = list index.
"""
from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar, Protocol, runtime_checkable

from lmscope.backend.errors import ModelLoadError

UNK = "<unk>"


@runtime_checkable
class ModelTokenizer(Protocol):
    """What every model tokenizer offers. ``tokens`` holds one display string per id (``len == vocab_size``,
    covering every logit); ``kind`` names the algorithm (char, byte-level BPE, BPE, WordPiece, Unigram)."""

    kind: str

    @property
    def vocab_size(self) -> int: ...

    @property
    def tokens(self) -> Sequence[str]: ...

    @property
    def unk_id(self) -> int | None: ...

    @property
    def pad_id(self) -> int: ...

    @property
    def special_ids(self) -> frozenset[int]: ...

    def encode(self, text: str) -> list[int]: ...

    def decode(self, ids: Sequence[int]) -> str: ...

    def token_strings(self, ids: Sequence[int]) -> list[str]: ...

    def to_json(self) -> str: ...


@dataclass(frozen=True)
class CharTokenizer:
    tokens: tuple[str, ...]
    unk: str = UNK
    kind: ClassVar[str] = "char"
    _index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.unk not in self.tokens:
            raise ModelLoadError(f"The vocabulary has no unknown token {self.unk!r}.")
        if len(set(self.tokens)) != len(self.tokens):
            raise ModelLoadError("The vocabulary lists a token twice.")
        object.__setattr__(self, "_index", {t: i for i, t in enumerate(self.tokens)})

    @classmethod
    def train(cls, text: str, min_count: int = 1) -> "CharTokenizer":
        """Every character seen at least ``min_count`` times, most frequent first (ties in code-point order)."""
        counts = Counter(text)
        chars = sorted((c for c, n in counts.items() if n >= min_count), key=lambda c: (-counts[c], c))
        return cls(tokens=(UNK, *chars))

    @property
    def vocab_size(self) -> int:
        return len(self.tokens)

    @property
    def unk_id(self) -> int:
        return self._index[self.unk]

    @property
    def pad_id(self) -> int:
        """A batch is padded with the unknown token (masked out of attention wherever padding matters)."""
        return self.unk_id

    @property
    def special_ids(self) -> frozenset[int]:
        return frozenset({self.unk_id})

    def encode(self, text: str) -> list[int]:
        unk = self.unk_id
        return [self._index.get(ch, unk) for ch in text]

    def decode(self, ids: Sequence[int]) -> str:
        return "".join(self.tokens[i] for i in ids)

    def token_strings(self, ids: Sequence[int]) -> list[str]:
        return [self.tokens[i] for i in ids]

    def to_json(self) -> str:
        return json.dumps({"kind": "char", "tokens": list(self.tokens), "unk": self.unk}, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> "CharTokenizer":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ModelLoadError(f"The vocabulary is not valid JSON ({exc.msg} at line {exc.lineno}).") from exc
        if not isinstance(data, dict) or data.get("kind") != "char" or not isinstance(data.get("tokens"), list):
            raise ModelLoadError("The vocabulary is not a character vocabulary written by lmscope.")
        if not all(isinstance(t, str) for t in data["tokens"]):
            raise ModelLoadError("The vocabulary's tokens must all be strings.")
        return cls(tokens=tuple(data["tokens"]), unk=str(data.get("unk", UNK)))
