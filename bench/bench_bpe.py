"""Benchmark: our BPE trainer against Hugging Face `tokenizers` on ~1 MB of text, 2,000 merges.

Both sides do the same work and are timed the same way: pre-tokenization included on both (ours: pretokenize +
count + train; HF: the same pretokenize producing the same words, then its trainer's whitespace split, count and
train), ``REPEATS`` runs each, alternating, min/median/max. The merges differ by design: ours keeps ``</w>`` as a
symbol of its own and breaks count ties by the pair met first in corpus order (Sennrich et al.'s reference loop,
1508.07909, checked here to give the same first :data:`REFERENCE_MERGES` merges on this corpus); HF glues ``</w>``
to the last character and breaks ties its own way.

`run()` returns rows {name, value, unit, target, note}; `python -m bench.bench_bpe` prints them as a table.
"""
from __future__ import annotations

import collections
import random
import re
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
REPEATS = 3
REFERENCE_MERGES = 200  # the paper's loop recounts every pair of 19k word types per merge: ~50 ms a merge
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


def _ours(text: str) -> list[tuple[str, str]]:
    model = train_bpe(word_counts_from_text(text), MERGES)
    return [(m.left, m.right) for m in model.merges]


def _hf_trainer():  # noqa: ANN202 - a function training HF BPE on lines, or None when tokenizers is missing
    try:
        from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    except ImportError:
        return None

    def fresh(vocab_size: int) -> tuple[Tokenizer, trainers.BpeTrainer]:
        tokenizer = Tokenizer(models.BPE(end_of_word_suffix="</w>"))
        tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
        trainer = trainers.BpeTrainer(vocab_size=vocab_size, end_of_word_suffix="</w>", show_progress=False)
        return tokenizer, trainer

    def train(text: str, vocab_size: int) -> Tokenizer:
        lines = [" ".join(pretokenize(line)) for line in text.split("\n")]  # the same words as ours
        tokenizer, trainer = fresh(vocab_size)
        tokenizer.train_from_iterator(lines, trainer)
        return tokenizer
    return train


def paper_loop(word_counts: list[tuple[str, int]], merges: int) -> list[tuple[str, str]]:
    """Sennrich et al. (2016), Algorithm 1, as printed: recount every pair, merge the best with a regex. ``max``
    over a dict in scan order keeps the first maximum: the tie rule "first met"."""
    vocab = {" ".join([*word, "</w>"]): freq for word, freq in word_counts}
    learned = []
    for _ in range(merges):
        pairs: dict[tuple[str, str], int] = collections.defaultdict(int)
        for word, freq in vocab.items():
            symbols = word.split()
            for i in range(len(symbols) - 1):
                pairs[symbols[i], symbols[i + 1]] += freq
        if not pairs:
            break
        best = max(pairs, key=pairs.get)
        pattern = re.compile(r"(?<!\S)" + re.escape(" ".join(best)) + r"(?!\S)")
        vocab = {pattern.sub("".join(best), word): freq for word, freq in vocab.items()}
        learned.append(best)
    return learned


def _spread(values: list[float]) -> str:
    return f"{min(values):.2f} / {sorted(values)[len(values) // 2]:.2f} / {max(values):.2f}"


def run() -> list[dict]:
    text = make_text()
    size = len(text.encode("utf-8"))
    counts = word_counts_from_text(text)
    source = CORPUS.name if CORPUS.exists() else "seeded pseudo-text"
    rows = [{"name": "bpe corpus", "value": round(size / 1e6, 2), "unit": "MB", "target": "~1",
             "note": f"{len(text):,} chars, {len(counts):,} word types, from {source}"}]
    hf = _hf_trainer()
    alphabet = hf(text, 1).get_vocab_size() if hf is not None else 0  # HF counts its alphabet in vocab_size
    ours_s, hf_s, ours, hf_model = [], [], [], None
    for _ in range(REPEATS):
        start = time.perf_counter()
        ours = _ours(text)
        ours_s.append(time.perf_counter() - start)
        if hf is not None:
            start = time.perf_counter()
            hf_model = hf(text, alphabet + MERGES)
            hf_s.append(time.perf_counter() - start)
    reference = paper_loop(counts, REFERENCE_MERGES)
    same = ours[:REFERENCE_MERGES] == reference
    rows.append({"name": "lmscope bpe train, pretokenize + count included", "value": _spread(ours_s),
                 "unit": "s min/med/max", "target": f"< {TARGET_SECONDS}",
                 "note": f"{len(ours)} merges, {REPEATS} runs"})
    rows.append({"name": "  same merges as the paper's reference loop", "value": "yes" if same else "NO",
                 "unit": "", "target": "yes", "note": f"first {REFERENCE_MERGES} merges of this corpus, "
                                                      "Sennrich et al. Algorithm 1 with first-met ties"})
    if hf is None:
        rows.append({"name": "HF tokenizers BpeTrainer", "value": "not installed", "unit": "", "target": "",
                     "note": "pip install tokenizers"})
        return rows
    hf_merges = hf_model.get_vocab_size() - alphabet
    rows.append({"name": "HF tokenizers BpeTrainer, same pretokenize included (peer)", "value": _spread(hf_s),
                 "unit": "s min/med/max", "target": "", "note": f"{hf_merges} merges (Rust, all cores), same words"})
    rows.append({"name": "lmscope ÷ HF, medians", "value": round(sorted(ours_s)[1] / sorted(hf_s)[1], 1),
                 "unit": "×", "target": "", "note": "merges differ by design: </w> its own symbol, first-met ties"})
    return rows


if __name__ == "__main__":
    from bench.common import print_table

    print_table(run())
