"""Tiny seeded Hugging Face checkpoints of every supported family, made in milliseconds, with a real tokenizer.

For tests and the benchmark: transformers' own config classes and ``from_config`` build the model, a ``tokenizers``
tokenizer is trained on a short text beside it (byte-level BPE for GPT-2/Qwen2/Mixtral/Qwen2-MoE, SentencePiece-style
BPE with byte fallback and ``<s>`` for Llama, WordPiece with ``[CLS] … [SEP]`` for BERT), and ``save_pretrained``
writes the folder exactly as a downloaded model looks (config.json, model.safetensors, tokenizer.json, …).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
from transformers import (AutoModel, AutoModelForCausalLM, AutoModelForMaskedLM, BertConfig, GPT2Config,
                          LlamaConfig, MixtralConfig, PreTrainedTokenizerFast, Qwen2Config, Qwen2MoeConfig)

FAMILIES = ("gpt2", "llama", "qwen2", "bert", "mixtral", "qwen2_moe")

TEXT = (
    "The quick brown fox jumps over the lazy dog. A language model predicts the next token from the ones before. "
    "Attention lets every position look at the others; an encoder sees both sides, a decoder only the past. "
    "我们一起来学习大语言模型。注意力机制让每个位置看到其他位置。The model predicts the next token.\n"
)


def train_tokenizer(family: str, vocab_size: int = 320) -> tuple[Tokenizer, dict[str, str]]:
    """A tokenizer of the family's kind trained on TEXT, and the special tokens to save with it."""
    corpus = [line for line in TEXT.split(". ") if line] * 4
    if family == "bert":
        tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
        tok.normalizer = normalizers.BertNormalizer(lowercase=True)
        tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
        tok.decoder = decoders.WordPiece()
        specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
        tok.train_from_iterator(corpus, trainers.WordPieceTrainer(vocab_size=vocab_size, special_tokens=specials,
                                                                      show_progress=False))
        tok.post_processor = processors.TemplateProcessing(
            single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
            special_tokens=[("[CLS]", tok.token_to_id("[CLS]")), ("[SEP]", tok.token_to_id("[SEP]"))])
        return tok, {"unk_token": "[UNK]", "sep_token": "[SEP]", "pad_token": "[PAD]", "cls_token": "[CLS]",
                     "mask_token": "[MASK]"}
    if family == "llama":
        tok = Tokenizer(models.BPE(unk_token="<unk>", byte_fallback=True))
        tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first")
        tok.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse()])
        bytes_ = [f"<0x{b:02X}>" for b in range(256)]
        tok.train_from_iterator(corpus, trainers.BpeTrainer(vocab_size=vocab_size + 256, show_progress=False,
                                                            special_tokens=["<unk>", "<s>", "</s>", *bytes_]))
        tok.post_processor = processors.TemplateProcessing(single="<s> $A", pair="<s> $A <s> $B",
                                                           special_tokens=[("<s>", tok.token_to_id("<s>"))])
        return tok, {"unk_token": "<unk>", "bos_token": "<s>", "eos_token": "</s>"}
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(corpus, trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=["<|endoftext|>"],
                                                        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                                        show_progress=False))
    return tok, {"eos_token": "<|endoftext|>", "bos_token": "<|endoftext|>"}


def tiny_config(family: str, vocab_size: int, specials: dict[str, int], **overrides: Any) -> Any:
    """Two layers, width 32, four heads; GQA for Llama/Mixtral, MQA for Qwen2, a dense layer in Qwen2-MoE."""
    common = dict(vocab_size=vocab_size, initializer_range=0.1, **specials)
    if family == "gpt2":
        cfg = GPT2Config(n_positions=128, n_embd=32, n_layer=2, n_head=4, **common)
    elif family == "llama":
        cfg = LlamaConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                          num_key_value_heads=2, max_position_embeddings=128, tie_word_embeddings=False, **common)
    elif family == "qwen2":
        cfg = Qwen2Config(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                          num_key_value_heads=1, max_position_embeddings=128, tie_word_embeddings=True, **common)
    elif family == "mixtral":
        cfg = MixtralConfig(hidden_size=32, intermediate_size=48, num_hidden_layers=2, num_attention_heads=4,
                            num_key_value_heads=2, max_position_embeddings=128, num_local_experts=4,
                            num_experts_per_tok=2, **common)
    elif family == "qwen2_moe":
        cfg = Qwen2MoeConfig(hidden_size=32, intermediate_size=64, moe_intermediate_size=24,
                             shared_expert_intermediate_size=48, num_hidden_layers=3, num_attention_heads=4,
                             num_key_value_heads=2, max_position_embeddings=128, num_experts=4,
                             num_experts_per_tok=2, mlp_only_layers=[1], norm_topk_prob=False, **common)
    elif family == "bert":
        cfg = BertConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64,
                         max_position_embeddings=128, **common)
    else:
        raise ValueError(f"no tiny config for {family!r}; families: {', '.join(FAMILIES)}")
    for key, value in overrides.items():
        setattr(cfg, key, value)
    return cfg


def make_tiny_checkpoint(folder: str | Path, family: str, seed: int = 0, *, head: bool = True,
                         dtype: torch.dtype | None = None, safetensors: bool = True, extra_vocab: int = 0,
                         **overrides: Any) -> Path:
    """Write a seeded tiny ``family`` model and its tokenizer to ``folder``; ``head=False`` saves a bare encoder
    (BertModel, like sentence-transformers' checkpoints); ``extra_vocab`` pads the embedding past the tokenizer
    (as Qwen2 does); ``safetensors=False`` writes ``pytorch_model.bin`` only."""
    folder = Path(folder)
    tok, special_tokens = train_tokenizer(family)
    ids = {name.replace("_token", "_token_id"): tok.token_to_id(token) for name, token in special_tokens.items()
           if name in ("bos_token", "eos_token", "pad_token")}
    cfg = tiny_config(family, tok.get_vocab_size() + extra_vocab, ids, **overrides)
    if family == "bert":
        cfg.architectures = ["BertForMaskedLM" if head else "BertModel"]
        auto = AutoModelForMaskedLM if head else AutoModel
    else:
        auto = AutoModelForCausalLM
    torch.manual_seed(seed)
    model = auto.from_config(cfg, attn_implementation="eager").eval()
    if dtype is not None:
        model = model.to(dtype)
    folder.mkdir(parents=True, exist_ok=True)
    if safetensors:
        model.save_pretrained(folder)
    else:
        model.config.save_pretrained(folder)
        torch.save({k: v.contiguous() for k, v in model.state_dict().items()}, folder / "pytorch_model.bin")
    PreTrainedTokenizerFast(tokenizer_object=tok, **special_tokens).save_pretrained(folder)
    return folder
