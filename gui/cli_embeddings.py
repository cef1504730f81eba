"""`lmscope word2vec | neighbors | analogy`: train word vectors and ask them questions, headless.

``word2vec`` prints its progress on stderr (a bar on a terminal), writes the vectors in word2vec format (binary when
the file ends in .bin; gensim's ``KeyedVectors.load_word2vec_format`` reads both) and, with ``-o``, a session whose
projector shows the vectors in PCA. ``neighbors`` and ``analogy`` read word2vec text/binary or projector TSV files.
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from lmscope.backend.errors import BadInputError
from lmscope.gui.cli_sessions import drain


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from exc


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from exc


def add_commands(sub: argparse._SubParsersAction) -> None:
    w2v = sub.add_parser("word2vec", help="train word2vec (skip-gram or CBOW, negative sampling) on a text file")
    w2v.add_argument("--corpus", required=True, metavar="FILE", help="UTF-8 text, one sentence per line")
    arch = w2v.add_mutually_exclusive_group()
    arch.add_argument("--sg", dest="sg", action="store_true", default=True, help="skip-gram (default)")
    arch.add_argument("--cbow", dest="sg", action="store_false", help="continuous bag of words")
    w2v.add_argument("--dim", type=_int, default=100)
    w2v.add_argument("--window", type=_int, default=5)
    w2v.add_argument("--negative", type=_int, default=5)
    w2v.add_argument("--min-count", type=_int, default=5)
    w2v.add_argument("--epochs", type=_int, default=5)
    w2v.add_argument("--subsample", type=_float, default=1e-3)
    w2v.add_argument("--seed", type=_int, default=1)
    w2v.add_argument("--device", help="cpu (default), cuda, cuda:N or mps")
    w2v.add_argument("--export-vectors", metavar="OUT.txt", help="word2vec format; binary when it ends in .bin")
    w2v.add_argument("-o", "--output", metavar="SESSION.h5", help="a session whose projector shows the vectors")
    w2v.add_argument("--json", action="store_true")
    nb = sub.add_parser("neighbors", help="the nearest words of a word in a vector file")
    nb.add_argument("vectors", metavar="VECTORS")
    nb.add_argument("word", metavar="WORD")
    nb.add_argument("--k", type=_int, default=10)
    nb.add_argument("--metric", choices=("cosine", "euclidean"), default="cosine")
    nb.add_argument("--json", action="store_true")
    an = sub.add_parser("analogy", help="A − B + C in a vector file, or --eval on a questions-words.txt file")
    an.add_argument("vectors", metavar="VECTORS")
    an.add_argument("words", nargs="*", metavar="A B C")
    an.add_argument("--eval", metavar="QUESTIONS", help="accuracy per section on a questions-words.txt file")
    an.add_argument("--k", type=_int, default=10)
    an.add_argument("--restrict-vocab", type=_int, default=300_000)
    an.add_argument("--json", action="store_true")


def _projector_tree(points: Any, projection: Any, settings: Any, corpus: str) -> dict[str, Any]:  # noqa: ANN401
    from lmscope.widgets.projector.state import ProjectorState, Word2VecForm

    form = Word2VecForm(corpus=corpus, sg=settings.sg, dim=min(max(settings.dim, 2), 1024),
                        window=min(settings.window, 50), negative=min(settings.negative, 50),
                        min_count=min(settings.min_count, 1_000_000), epochs=min(settings.epochs, 1000),
                        subsample=min(settings.subsample, 0.5), seed=settings.seed)
    return ProjectorState(source="word2vec", title=points.title, method="pca", word2vec=form,
                          explained=projection.explained, labels=points.labels, coords=projection.coords,
                          vectors=points.vectors).to_tree()


def run_word2vec(args: argparse.Namespace) -> dict[str, Any]:
    from lmscope.backend.embeddings.formats import write_word2vec
    from lmscope.backend.embeddings.jobs import CorpusReady, PointsReady, word2vec_job
    from lmscope.backend.embeddings.projection import pca
    from lmscope.backend.embeddings.word2vec import Word2VecFinished, Word2VecSettings

    if not Path(args.corpus).is_file():
        raise BadInputError(f"The corpus {args.corpus} does not exist or is not a file.")
    settings = Word2VecSettings(sg=args.sg, dim=args.dim, window=args.window, negative=args.negative,
                                min_count=args.min_count, epochs=args.epochs, subsample=args.subsample,
                                seed=args.seed, device=args.device or "cpu")
    corpus = finished = points = None
    for event in drain(word2vec_job(settings, args.corpus)):
        if isinstance(event, CorpusReady):
            corpus = event
        elif isinstance(event, Word2VecFinished):
            finished = event
        elif isinstance(event, PointsReady):
            points = event.points
    assert corpus is not None and finished is not None and points is not None
    result: dict[str, Any] = {
        "corpus": str(args.corpus), "architecture": settings.architecture, "words": corpus.words,
        "vocabulary": corpus.vocab, "sentences": corpus.sentences, "dim": settings.dim, "epochs": settings.epochs,
        "first_loss": float(finished.losses[0]), "final_loss": float(finished.losses[-1]),
        "seconds": round(finished.seconds, 3), "words_per_s": round(finished.words_per_s, 1),
    }
    if args.export_vectors:
        path = write_word2vec(finished.vectors, args.export_vectors, binary=args.export_vectors.endswith(".bin"))
        result["vectors"] = str(path)
    if args.output:
        from lmscope.sessions import Session, save_session

        session = Session(panels={"projector": _projector_tree(points, pca(points.vectors), settings,
                                                               str(Path(args.corpus).resolve()))})
        result["output"] = str(save_session(session, args.output))
    return result


def word2vec_text(r: dict[str, Any]) -> str:
    lines = [f"word2vec {r['architecture']} on {r['corpus']}: {r['words']:,} words, vocabulary {r['vocabulary']:,}, "
             f"{r['epochs']} epochs of dimension {r['dim']}",
             f"loss {r['first_loss']:.3f} → {r['final_loss']:.3f} in {r['seconds']:.1f} s "
             f"({r['words_per_s']:,.0f} words/s)"]
    lines += [f"vectors: {r['vectors']}"] if "vectors" in r else []
    lines += [f"session: {r['output']}"] if "output" in r else []
    return "\n".join(lines)


def run_neighbors(args: argparse.Namespace) -> dict[str, Any]:
    from lmscope.backend.embeddings.formats import read_vectors
    from lmscope.backend.embeddings.vectors import neighbors

    if args.k < 1:
        raise BadInputError(f"--k is {args.k}; ask for at least one neighbour.")
    wv = read_vectors(args.vectors)
    found = neighbors(wv, args.word, args.k, args.metric)
    return {"word": args.word, "metric": args.metric,
            "neighbors": [{"word": w, "distance": d} for w, d in found]}


def neighbors_text(r: dict[str, Any]) -> str:
    unit = "1 − cosine" if r["metric"] == "cosine" else "L2 distance"
    return "\n".join([f"nearest to {r['word']} ({unit}):"]
                     + [f"  {n['word']:30s} {n['distance']:.4f}" for n in r["neighbors"]])


def run_analogy(args: argparse.Namespace) -> dict[str, Any]:
    from lmscope.backend.embeddings.formats import read_vectors
    from lmscope.backend.embeddings.vectors import analogy, evaluate_analogies

    if bool(args.eval) == bool(args.words):
        raise BadInputError("Give either three words A B C or --eval QUESTIONS, not both or neither.")
    if args.words and len(args.words) != 3:
        raise BadInputError(f"An analogy takes three words A B C (A − B + C); {len(args.words)} were given.")
    wv = read_vectors(args.vectors)
    if args.eval:
        return {"eval": str(args.eval), **evaluate_analogies(wv, args.eval, restrict_vocab=args.restrict_vocab).to_dict()}
    a, b, c = args.words
    return {"query": [a, b, c], "results": [{"word": w, "similarity": s} for w, s in analogy(wv, a, b, c, args.k)]}


def analogy_text(r: dict[str, Any]) -> str:
    if "results" in r:
        a, b, c = r["query"]
        return "\n".join([f"{a} − {b} + {c} ≈"] + [f"  {x['word']:30s} {x['similarity']:.4f}" for x in r["results"]])
    lines = [f"{s['section']:32s} {s['correct']:6d} / {s['correct'] + s['incorrect']:<6d} {s['accuracy']:7.2%}"
             for s in r["sections"]]
    t = r["total"]
    lines.append(f"{'total':32s} {t['correct']:6d} / {t['correct'] + t['incorrect']:<6d} {t['accuracy']:7.2%}")
    lines.append(f"{r['skipped_oov']:,} of {r['questions']:,} questions skipped (a word outside the vocabulary)")
    return "\n".join(lines)


COMMANDS = {
    "word2vec": (run_word2vec, word2vec_text),
    "neighbors": (run_neighbors, neighbors_text),
    "analogy": (run_analogy, analogy_text),
}
