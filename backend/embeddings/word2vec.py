"""word2vec in torch (Mikolov et al. 1301.3781, 1310.4546): skip-gram and CBOW with negative sampling, as a job.

The maths is word2vec's (and gensim's) own; only the schedule differs: instead of one SGD step per pair, ``batch``
pairs (skip-gram) or centre words (CBOW) are scored at once and their updates summed into the tables with
``index_add_`` — the same gradients, applied in groups. Per epoch:

- frequent words are dropped with word2vec's keep probability (√(f/t) + 1)·t/f, t = sample × total count;
- each kept centre word draws a reduced window b ∈ [1, window] (closer words weigh more, as in word2vec.c);
- each (centre, context) pair is pushed together and ``negative`` words drawn from counts^0.75 pushed away:
  loss = −log σ(v'ₒ·vᵢ) − Σₖ log σ(−v'ₖ·vᵢ) (a negative equal to the target is skipped);
- CBOW averages the context's input vectors (gensim's cbow_mean=1) and adds the whole error to each of them, as
  word2vec.c and gensim do (the exact gradient of the mean would divide it by the context size);
- the learning rate falls linearly from ``alpha`` to ``min_alpha`` over all epochs' words.

Input vectors start uniform in ±0.5/dim, output vectors at zero (gensim's initialisation).
"""
from __future__ import annotations

import math
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from lmscope.backend.embeddings.corpus import Corpus
from lmscope.backend.embeddings.vectors import WordVectors
from lmscope.backend.errors import ConfigError

CHUNK_WORDS = 100_000  # corpus words windowed at a time: ~6 pairs a word, so ~24 MB of pair indices
TABLE_MIN, TABLE_PER_WORD = 10_000_000, 100  # noise-table slots: 40 MB; a word at P = 1e-7 still has one
REPORT_SECONDS = 0.25  # progress events at most 4 a second (the GUI draws ≤ 30 Hz anyway)
CURVE_POINTS = 50  # the finished loss curve: the mean loss over each 1/50 of training, whatever the machine's speed


@dataclass(frozen=True)
class Word2VecSettings:
    sg: bool = True  # skip-gram (True) or CBOW
    dim: int = 100
    window: int = 5
    negative: int = 5
    min_count: int = 5
    epochs: int = 5
    subsample: float = 1e-3  # word2vec's "sample"; 0 keeps every word
    seed: int = 1
    alpha: float = 0.025
    min_alpha: float = 0.0001
    batch: int = 1024  # pairs (skip-gram) or centre words (CBOW) per update
    snapshot_every: int = 0  # steps between vector snapshots for a live view; 0 for none
    device: str = "cpu"

    def check(self) -> None:
        limits = (("dim", 1, 4096), ("window", 1, 100), ("negative", 1, 100), ("min_count", 1, 10**9),
                  ("epochs", 1, 10_000), ("batch", 1, 1 << 22), ("snapshot_every", 0, 10**9))
        for name, lo, hi in limits:
            value = getattr(self, name)
            if not lo <= value <= hi:
                raise ConfigError(f"word2vec {name.replace('_', '-')} is {value}; it must be between {lo} and {hi}.")
        if not 0 <= self.subsample < 1:
            raise ConfigError(f"word2vec subsample is {self.subsample:g}; it must be in [0, 1).")
        if not 0 < self.alpha <= 1 or not 0 <= self.min_alpha <= self.alpha:
            raise ConfigError("word2vec needs 0 < min-alpha ≤ alpha ≤ 1.")

    @property
    def architecture(self) -> str:
        return "skip-gram" if self.sg else "CBOW"


@dataclass(frozen=True)
class Word2VecProgress:
    epoch: int  # 0-based
    step: int
    words_done: int  # corpus words processed so far, over all epochs
    total_words: int
    loss: float  # mean negative-sampling loss per pair since the last progress event
    words_per_s: float
    alpha: float


@dataclass(frozen=True)
class Word2VecSnapshot:
    step: int
    vectors: np.ndarray = field(repr=False)  # (V, D) float32 copy of the input vectors


@dataclass(frozen=True)
class Word2VecFinished:
    vectors: WordVectors = field(repr=False)
    # The mean loss over each 1/CURVE_POINTS of the training words, in order (fewer for very few batches): the same
    # on a fast and a slow machine, unlike the progress events, which come at most every REPORT_SECONDS.
    losses: np.ndarray = field(repr=False)
    seconds: float
    words_per_s: float


def unigram_distribution(counts: np.ndarray, power: float = 0.75) -> np.ndarray:
    """P(w) ∝ count(w)^power: the noise distribution negatives are drawn from."""
    weights = np.asarray(counts, dtype=np.float64) ** power
    return weights / weights.sum()


def unigram_table(counts: np.ndarray, size: int = 0, power: float = 0.75) -> np.ndarray:
    """word2vec.c's noise table: word i fills about P(i)·size slots (P from :func:`unigram_distribution`), so a
    uniform draw from the table is a draw from counts^0.75. Slot boundaries are round(size · cumulative P)."""
    p = unigram_distribution(counts, power)
    size = size or max(TABLE_MIN, TABLE_PER_WORD * len(p))
    bounds = np.rint(np.cumsum(p) * size).astype(np.int64)
    bounds[-1] = size
    return np.repeat(np.arange(len(p), dtype=np.int32), np.diff(np.concatenate([[0], bounds])))


def keep_probabilities(counts: np.ndarray, sample: float) -> np.ndarray:
    """word2vec's subsampling: P(keep w) = (√(f/t) + 1)·t/f with t = sample × Σ counts, capped at 1."""
    counts = np.asarray(counts, dtype=np.float64)
    if sample <= 0:
        return np.ones_like(counts)
    threshold = sample * counts.sum()
    return np.minimum(1.0, (np.sqrt(counts / threshold) + 1.0) * threshold / counts)


def _sentence_ids(corpus: Corpus) -> np.ndarray:
    return np.repeat(np.arange(corpus.n_sentences, dtype=np.int32), np.diff(corpus.offsets))


def _chunk_bounds(corpus: Corpus) -> list[tuple[int, int]]:
    """Word ranges of about CHUNK_WORDS that end at sentence ends, so no window is cut."""
    n = len(corpus.ids)
    targets = np.arange(CHUNK_WORDS, n, CHUNK_WORDS)
    ends = np.unique(np.concatenate([corpus.offsets[np.searchsorted(corpus.offsets, targets)], [n]]))
    starts = np.concatenate([[0], ends[:-1]])
    return [(int(a), int(b)) for a, b in zip(starts, ends) if b > a]


def skipgram_pairs(words: np.ndarray, sentence: np.ndarray, reach: np.ndarray,
                   window: int) -> tuple[np.ndarray, np.ndarray]:
    """(centre, context) word ids: every context within the centre's reduced window ``reach`` in its sentence."""
    centres, contexts = [], []
    for d in range(1, window + 1):
        same = sentence[:-d] == sentence[d:]
        right = same & (reach[:-d] >= d)  # centre i, context i + d
        left = same & (reach[d:] >= d)  # centre i + d, context i
        centres += [words[:-d][right], words[d:][left]]
        contexts += [words[d:][right], words[:-d][left]]
    return np.concatenate(centres), np.concatenate(contexts)


def cbow_contexts(words: np.ndarray, sentence: np.ndarray, reach: np.ndarray, window: int,
                  pad: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(centres, contexts (n, 2·window), context counts) for centres with any context; each row's context words
    come first, in window order, and ``pad`` fills the rest."""
    n = len(words)
    ctx = np.full((n, 2 * window), pad, dtype=np.int64)
    for d in range(1, window + 1):
        if d >= n:
            break
        same = sentence[:-d] == sentence[d:]
        left = same & (reach[d:] >= d)  # centre i + d sees i
        right = same & (reach[:-d] >= d)  # centre i sees i + d
        ctx[d:, 2 * d - 2][left] = words[:-d][left]
        ctx[:-d, 2 * d - 1][right] = words[d:][right]
    ctx = np.take_along_axis(ctx, np.argsort(ctx == pad, axis=1, kind="stable"), axis=1)  # words first
    count = (ctx != pad).sum(1)
    has = count > 0
    return words[has], ctx[has], count[has]


class _Tables:
    """The two embedding tables and one negative-sampling step on them (gradients written out by hand).

    Speed (bench_projector, one thread): the (batch, 1 + K, dim) temporaries are the cost, so they live in buffers
    allocated once — a fresh 2–5 MB tensor per step is handed back to the system and page-faulted in again, which
    halved the speed — and the weighted sums Σₖ g·v' are ``embedding_bag`` over the output table (no temporary).
    """

    def __init__(self, vocab: int, dim: int, noise: np.ndarray, negative: int, generator: torch.Generator,
                 device: torch.device) -> None:
        self.vocab, self.dim, self.negative, self.device, self.generator = vocab, dim, negative, device, generator
        # One extra input row stays zero: CBOW's padding for windows cut by a sentence end.
        w_in = (torch.rand(vocab + 1, dim, generator=generator, dtype=torch.float32) - 0.5) / dim
        w_in[vocab] = 0
        self.w_in = w_in.to(device)
        self.w_out = torch.zeros(vocab, dim, device=device)
        self.table = torch.from_numpy(noise).to(device)
        self.sign = torch.full((1 + negative,), -1.0, device=device)  # label 1 for the target, 0 for a negative
        self.sign[0] = 1.0
        self._buffers: dict[str, torch.Tensor] = {}

    def _buffer(self, name: str, *shape: int) -> torch.Tensor:
        size = math.prod(shape)
        buf = self._buffers.get(name)
        if buf is None or buf.numel() < size:
            buf = self._buffers[name] = torch.empty(size, dtype=torch.float32, device=self.device)
        return buf[:size].view(*shape)

    def negatives(self, n: int) -> torch.Tensor:
        slots = torch.randint(0, len(self.table), (n, self.negative), generator=self.generator).to(self.device)
        return self.table.index_select(0, slots.reshape(-1)).view(n, self.negative).long()

    def _step(self, hidden: torch.Tensor, target: torch.Tensor,
              alpha: float) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Scores the target and its negatives against ``hidden`` and updates the output table; returns
        (grad for the input side Σₖ g·v'ₖ, taken before the update; targets; loss sum)."""
        n, k1, dim = len(target), 1 + self.negative, self.dim
        neg = self.negatives(n)
        targets = torch.cat([target[:, None], neg], 1)
        flat = targets.reshape(-1)
        out = torch.index_select(self.w_out, 0, flat, out=self._buffer("rows", n * k1, dim)).view(n, k1, dim)
        products = self._buffer("products", n, k1, dim)
        signed = torch.mul(out, hidden[:, None, :], out=products).sum(2).mul_(self.sign)  # ±f: + target, − noise
        keep = torch.ones(n, k1, device=self.device)
        keep[:, 1:] = neg != target[:, None]  # a negative equal to the target is skipped
        loss = -(torch.nn.functional.logsigmoid(signed) * keep).sum()  # −log σ(f) − Σ log σ(−f')
        g = torch.sigmoid(signed.neg_()).mul_(keep).mul_(self.sign * alpha)  # (label − σ(f))·α
        grad = torch.nn.functional.embedding_bag(targets, self.w_out, mode="sum", per_sample_weights=g)
        torch.mul(g[:, :, None], hidden[:, None, :], out=products)
        self.w_out.index_add_(0, flat, products.view(-1, dim))
        return grad, targets, loss

    def skipgram_step(self, centre: torch.Tensor, context: torch.Tensor, alpha: float) -> torch.Tensor:
        hidden = torch.index_select(self.w_in, 0, centre, out=self._buffer("hidden", len(centre), self.dim))
        grad, _, loss = self._step(hidden, context, alpha)
        self.w_in.index_add_(0, centre, grad)
        return loss

    def cbow_step(self, centre: torch.Tensor, ctx: torch.Tensor, count: torch.Tensor, filled: Sequence[int],
                  alpha: float) -> torch.Tensor:
        """``filled[j]``: how many of the rows (sorted by context count, most first) have a word in slot j."""
        hidden = torch.nn.functional.embedding_bag(ctx, self.w_in, mode="sum")  # the padding row is zero
        hidden *= (1.0 / count.to(torch.float32))[:, None]
        grad, _, loss = self._step(hidden, centre, alpha)
        # word2vec.c and gensim (cbow_mean=1) add the whole error to every context word, not error / count.
        for j, rows in enumerate(filled):
            if rows:
                self.w_in.index_add_(0, ctx[:rows, j], grad[:rows])
        return loss

    def vectors(self) -> np.ndarray:
        return self.w_in[:self.vocab].detach().to("cpu").numpy().copy()


def train_word2vec(corpus: Corpus, settings: Word2VecSettings) -> Iterator[object]:
    """Train on ``corpus``; yields :class:`Word2VecProgress`, :class:`Word2VecSnapshot` and, last,
    :class:`Word2VecFinished`. Closing the generator stops training at the next batch."""
    settings.check()
    device = torch.device(settings.device)
    generator = torch.Generator().manual_seed(settings.seed)
    rng = np.random.default_rng(settings.seed)
    tables = _Tables(len(corpus.words), settings.dim, unigram_table(corpus.counts), settings.negative,
                     generator, device)
    keep = keep_probabilities(corpus.counts, settings.subsample)
    sentence_of = _sentence_ids(corpus)
    chunks = _chunk_bounds(corpus)
    n_words = len(corpus.ids)
    total = settings.epochs * n_words
    step, losses = 0, []
    loss_sum, loss_pairs = torch.zeros((), dtype=torch.float64, device=device), 0
    curve_sum, curve_pairs, next_mark = torch.zeros((), dtype=torch.float64, device=device), 0, 1
    start = last_report = time.perf_counter()
    alpha = settings.alpha
    for epoch in range(settings.epochs):
        for a, b in chunks:
            words = corpus.ids[a:b]
            kept = rng.random(len(words)) < keep[words]
            words, sentence = words[kept].astype(np.int64), sentence_of[a:b][kept]
            reach = settings.window - rng.integers(0, settings.window, len(words))
            if settings.sg:
                centre, context = skipgram_pairs(words, sentence, reach, settings.window)
                batches = [(torch.from_numpy(centre[i:i + settings.batch]).to(device),
                            torch.from_numpy(context[i:i + settings.batch]).to(device))
                           for i in range(0, len(centre), settings.batch)]
            else:
                centre, ctx, count = cbow_contexts(words, sentence, reach, settings.window, len(corpus.words))
                # Inside each batch (never across: which centres share a batch is the schedule), centres with more
                # context words first, so context slot j is filled in a prefix of the batch's rows.
                width = ctx.shape[1]
                order = np.argsort((np.arange(len(centre)) // settings.batch) * (width + 1) - count, kind="stable")
                centre, ctx, count = centre[order], ctx[order], count[order]
                batches = [(torch.from_numpy(centre[i:i + settings.batch]).to(device),
                            torch.from_numpy(ctx[i:i + settings.batch]).to(device),
                            torch.from_numpy(count[i:i + settings.batch]).to(device),
                            np.count_nonzero(count[i:i + settings.batch, None] > np.arange(width), axis=0).tolist())
                           for i in range(0, len(centre), settings.batch)]
            done_before = epoch * n_words + a
            for j, batch in enumerate(batches):
                progress = (done_before + (b - a) * j / len(batches)) / total
                alpha = settings.alpha - (settings.alpha - settings.min_alpha) * progress
                batch_loss = tables.skipgram_step(*batch, alpha) if settings.sg else tables.cbow_step(*batch, alpha)
                loss_sum += batch_loss
                curve_sum += batch_loss
                loss_pairs += len(batch[0])
                curve_pairs += len(batch[0])
                step += 1
                if settings.snapshot_every and step % settings.snapshot_every == 0:
                    yield Word2VecSnapshot(step, tables.vectors())
                last = epoch == settings.epochs - 1 and b == n_words and j == len(batches) - 1
                reached = (done_before + (b - a) * (j + 1) / len(batches)) * CURVE_POINTS / total
                if reached >= next_mark or last:
                    losses.append(float(curve_sum) / max(1, curve_pairs))
                    curve_sum.zero_()
                    curve_pairs, next_mark = 0, math.floor(reached) + 1
                now = time.perf_counter()
                if now - last_report >= REPORT_SECONDS or last:
                    done = done_before + round((b - a) * (j + 1) / len(batches))
                    loss = float(loss_sum) / max(1, loss_pairs)
                    yield Word2VecProgress(epoch, step, done, total, loss, done / (now - start), alpha)
                    loss_sum.zero_()
                    loss_pairs, last_report = 0, now
    seconds = time.perf_counter() - start
    vectors = WordVectors(corpus.words, tables.vectors(), corpus.counts.copy())
    yield Word2VecFinished(vectors, np.asarray(losses), seconds, total / seconds if seconds > 0 else math.inf)
