"""A Hugging Face model's own tokenizer: ids exactly as the `tokenizers` library gives them for tokenizer.json
(with the special tokens it adds by default), readable token strings, and the protocol the char tokenizer shares."""
from __future__ import annotations

import pytest

import transformers  # noqa: F401 - a test dependency (pyproject "test" extra): missing is a failure, not a skip

from tokenizers import Tokenizer  # noqa: E402
from transformers import AutoTokenizer  # noqa: E402

from lmscope.backend.models.checkpoint import load_model  # noqa: E402
from lmscope.backend.models.hf_tiny import make_tiny_checkpoint  # noqa: E402
from lmscope.backend.models.hf_tokenizer import HFTokenizer  # noqa: E402
from lmscope.backend.models.tokenizer import CharTokenizer, ModelTokenizer  # noqa: E402

TEXTS = ["The model predicts the next token.", "我们一起来学习大语言模型。", "Attention, 猫 and émigrés!\n  x"]


@pytest.fixture(scope="module", params=["gpt2", "llama", "bert", "qwen2"])
def tokenizer_folder(request, tmp_path_factory):
    extra = 8 if request.param == "qwen2" else 0  # Qwen2 pads its embedding past the tokenizer
    folder = make_tiny_checkpoint(tmp_path_factory.mktemp(request.param), request.param, extra_vocab=extra)
    return request.param, folder, load_model(folder).tokenizer


def test_ids_are_the_tokenizer_files_own(tokenizer_folder):
    family, folder, tok = tokenizer_folder
    raw = Tokenizer.from_file(str(folder / "tokenizer.json"))
    auto = AutoTokenizer.from_pretrained(folder)
    for text in TEXTS:
        ids = tok.encode(text)
        assert ids == raw.encode(text).ids == auto(text)["input_ids"]
        first, last = tok.token_strings(ids)[0], tok.token_strings(ids)[-1]
        if family == "bert":
            assert (first, last) == ("[CLS]", "[SEP]")
        elif family == "llama":
            assert first == "<s>"
        else:
            assert tok.special_ids.isdisjoint(ids)  # GPT-2's tokenizer adds nothing


def test_protocol_and_vocabulary_cover_every_logit(tokenizer_folder):
    family, folder, tok = tokenizer_folder
    loaded = load_model(folder)
    assert isinstance(tok, ModelTokenizer) and isinstance(CharTokenizer.train("ab"), ModelTokenizer)
    assert tok.vocab_size == len(tok.tokens) == len(tok.pieces) == loaded.model.cfg.vocab_size
    if family == "qwen2":
        assert tok.tokens[-1] == f"<unused {tok.vocab_size - 1}>"
    assert tok.pad_id in range(tok.vocab_size)
    assert tok.kind == {"gpt2": "byte-level BPE", "qwen2": "byte-level BPE", "llama": "BPE",
                        "bert": "WordPiece"}[family]


def test_token_strings_are_readable(tokenizer_folder):
    family, _, tok = tokenizer_folder
    ids = tok.encode(TEXTS[0])
    shown = tok.token_strings(ids)
    if family in ("gpt2", "qwen2"):
        assert "".join(shown) == TEXTS[0]  # byte-level stand-ins (Ġ) turned back into text
        assert not any("Ġ" in s for s in shown)
        partial = [s for s in tok.token_strings(tok.encode("猫")) if s.startswith("\\x")]
        assert partial  # 猫 is not in the tiny vocabulary: its bytes show as escapes, not as mojibake
        assert tok.decode(tok.encode(TEXTS[2])) == TEXTS[2]
    elif family == "llama":
        assert "".join(shown[1:]) == " " + TEXTS[0]  # ▁ shown as a space, after <s>
        assert "<0xE7>" in tok.token_strings(tok.encode("猫"))  # byte fallback for an unseen character
    else:
        pieces = tok.token_strings(tok.encode("tokenization"))
        assert any(p.startswith("##") for p in pieces)  # WordPiece continuations keep their mark


def test_offsets_point_into_the_text(tokenizer_folder):
    family, _, tok = tokenizer_folder
    text = TEXTS[0]
    spans = tok.encode_with_offsets(text)
    assert [i for i, _, _ in spans] == tok.encode(text)
    for token_id, start, end in spans:
        if token_id not in tok.special_ids:
            assert 0 <= start < end <= len(text)


def test_json_round_trip_gives_the_same_ids(tokenizer_folder):
    _, _, tok = tokenizer_folder
    again = HFTokenizer.from_json(tok.to_json())
    for text in TEXTS:
        assert again.encode(text) == tok.encode(text)
    assert again.tokens == tok.tokens and again.files == tok.files
