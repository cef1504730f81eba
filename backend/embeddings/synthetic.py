"""A corpus with known analogy structure, and its questions in the ``questions-words.txt`` format.

Each target word is an (entity, attribute) pair — "lion·he", "lion·she" — and every sentence about it draws context
words from the entity's own topic words *and* from the attribute's words, plus common filler. word2vec factorises
such co-occurrences, so vec(lion·she) ≈ vec(lion·he) − vec(bear·he) + vec(bear·she): the analogy is planted, and
how often a trainer recovers it measures the trainer (``make bench`` runs ours and gensim's on the same text).
Deterministic for a seed.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

ENTITIES = ("lion", "bear", "wolf", "eagle", "shark", "horse", "tiger", "snake", "whale", "crow", "fox", "deer",
            "owl", "goat", "frog", "seal", "hawk", "mole", "swan", "crab")
FAMILIES = {"gender": ("he", "she"), "number": ("one", "many"), "age": ("young", "old")}


@dataclass(frozen=True)
class AnalogyCorpus:
    sentences: list[list[str]]
    questions: str  # questions-words.txt text

    def write(self, corpus_path: str | Path, questions_path: str | Path) -> None:
        Path(corpus_path).write_text("\n".join(" ".join(s) for s in self.sentences) + "\n", encoding="utf-8")
        Path(questions_path).write_text(self.questions, encoding="utf-8")


def analogy_corpus(entities: int = 12, families: int = 2, sentences: int = 4000, topic_words: int = 6,
                   attribute_words: int = 6, filler: int = 60, seed: int = 0) -> AnalogyCorpus:
    rng = random.Random(seed)
    ents = ENTITIES[:entities]
    fams = dict(list(FAMILIES.items())[:families])
    topics = {e: [f"{e}-t{i}" for i in range(topic_words)] for e in ents}
    attrs = {v: [f"{v}-a{i}" for i in range(attribute_words)] for values in fams.values() for v in values}
    fillers = [f"w{i}" for i in range(filler)]
    out = []
    for _ in range(sentences):
        entity = rng.choice(ents)
        family = rng.choice(list(fams))
        value = rng.choice(fams[family])
        words = [f"{entity}·{value}"]
        words += rng.sample(topics[entity], 2) + rng.sample(attrs[value], 2) + rng.sample(fillers, 2)
        rng.shuffle(words)
        out.append(words)
    lines = []
    for family, (a, b) in fams.items():
        lines.append(f": {family}")
        for e1 in ents:
            for e2 in ents:
                if e1 != e2:
                    lines.append(f"{e1}·{a} {e1}·{b} {e2}·{a} {e2}·{b}")
    return AnalogyCorpus(out, "\n".join(lines) + "\n")
