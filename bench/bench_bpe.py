"""Benchmark: our BPE trainer against Hugging Face `tokenizers` on ~1 MB of text, 2,000 merges.

`run()` returns rows {name, value, unit, target, note}; `python -m bench.bench_bpe` prints them as a table.
"""
from __future__ import annotations

import random
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `backend` importable from the repository root
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lmscope.backend.tokenize.bpe import pretokenize, train_bpe, word_counts_from_text  # noqa: E402

CORPUS = Path(__file__).resolve().parents[1] / "resources" / "demo" / "corpus.txt"
TARGET_BYTES = 1_000_000
MERGES = 2_000
TARGET_SECONDS = 5.0
_SEED = 1508_07909


def _source_paragraphs() -> list[list[str]]:
    """Paragraphs of the demo corpus as word lists, or seeded pseudo-text when the corpus is missing."""
    if CORPUS.exists():
        paragraphs = [pretokenize(p) for p in CORPUS.read_text(encoding="utf-8").split("\n") if p.strip()]
        return [p for p in paragraphs if p]
    rng = random.Random(_SEED)
    stems = ["token", "model", "attent", "embed", "layer", "train", "norm", "expert", "rout", "decod", "sampl"]
    ends = ["", "s", "ing", "ed", "er", "ion", "ions", "al", "ly"]
    return [[rng.choice(stems) + rng.choice(ends) for _ in range(80)] for _ in range(40)]


def _recombine(word: str, other: str, rng: random.Random) -> str:
    """A new word type from two old ones: a prefix of one glued to a suffix of the other (same script)."""
    if len(word) < 2 or len(other) < 2 or word[0].isascii() != other[0].isascii():
        return word
    return word[: rng.randint(1, len(word) - 1)] + other[rng.randint(1, len(other) - 1):]


def make_text(target_bytes: int = TARGET_BYTES) -> str:
    """Deterministic ~1 MB text: windows of the corpus's paragraphs, words spliced so new types keep appearing."""
    rng = random.Random(_SEED)
    paragraphs = _source_paragraphs()
    vocabulary = [w for p in paragraphs for w in p if w[0].isalnum()]
    lines, size = [], 0
    while size < target_bytes:
        paragraph = rng.choice(paragraphs)
        start = rng.randrange(len(paragraph))
        words = paragraph[start:start + rng.randint(10, 60)]
        words = [_recombine(w, rng.choice(vocabulary), rng) if rng.random() < 0.15 else w for w in words]
        # Chinese runs are whole clauses; take a random slice so they vary like real text does.
        words = [w[rng.randrange(len(w)):][: rng.randint(2, 12)] if not w[0].isascii() and len(w) > 2 else w
                 for w in words]
        line = " ".join(words)
        lines.append(line)
        size += len(line.encode("utf-8")) + 1
    return "\n".join(lines)


def _time_ours(text: str) -> tuple[float, float, int]:
    start = time.perf_counter()
    word_counts = word_counts_from_text(text)
    counted = time.perf_counter()
    model = train_bpe(word_counts, MERGES)
    done = time.perf_counter()
    return counted - start, done - start, len(model.merges)


def _time_hf(text: str) -> tuple[float, int] | None:
    """HF BPE on the same words (our pretokenizer's output, split on whitespace); None if not installed."""
    try:
        from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    except ImportError:
        return None
    lines = [" ".join(pretokenize(line)) for line in text.split("\n")]

    def fresh(vocab_size: int) -> tuple[Tokenizer, trainers.BpeTrainer]:
        tokenizer = Tokenizer(models.BPE(end_of_word_suffix="</w>"))
        tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
        trainer = trainers.BpeTrainer(vocab_size=vocab_size, end_of_word_suffix="</w>", show_progress=False)
        return tokenizer, trainer

    # HF counts its initial alphabet (characters and suffixed last characters) in vocab_size; measure it first.
    tokenizer, trainer = fresh(1)
    tokenizer.train_from_iterator(lines, trainer)
    alphabet = tokenizer.get_vocab_size()
    tokenizer, trainer = fresh(alphabet + MERGES)
    start = time.perf_counter()
    tokenizer.train_from_iterator(lines, trainer)
    seconds = time.perf_counter() - start
    return seconds, tokenizer.get_vocab_size() - alphabet


def run() -> list[dict]:
    text = make_text()
    size = len(text.encode("utf-8"))
    types = len(word_counts_from_text(text))
    source = CORPUS.name if CORPUS.exists() else "seeded pseudo-text"
    rows = [{"name": "bpe corpus", "value": round(size / 1e6, 2), "unit": "MB", "target": "~1",
             "note": f"{len(text):,} chars, {types:,} word types, from {source}"}]
    count_s, ours_s, ours_merges = _time_ours(text)
    rows.append({"name": "lmscope bpe train", "value": round(ours_s, 2), "unit": "s", "target": f"< {TARGET_SECONDS}",
                 "note": f"{ours_merges} merges; incl. {count_s:.2f} s pretokenize + count"})
    hf = _time_hf(text)
    if hf is None:
        rows.append({"name": "HF tokenizers BpeTrainer", "value": "not installed", "unit": "", "target": "",
                     "note": "pip install tokenizers"})
        return rows
    hf_s, hf_merges = hf
    rows.append({"name": "HF tokenizers BpeTrainer", "value": round(hf_s, 2), "unit": "s", "target": "",
                 "note": f"{hf_merges} merges (Rust, all cores), same words"})
    rows.append({"name": "lmscope / HF", "value": round(ours_s / hf_s, 1), "unit": "x", "target": "",
                 "note": "time ratio"})
    return rows



if __name__ == "__main__":
    from bench.common import print_table

    print_table(run())
