"""Words that reach the widgets as plain data (the backend's stage, site and metric names, the states' choices),
translated where a widget shows them, and combo boxes that show a translated label but hold the key.

The backend stays Qt-free, so its words are listed here with ``QT_TRANSLATE_NOOP`` for ``make translations`` to
extract; ``tests/gui/test_i18n_catalogue.py`` checks that every label the backend exports is in this list.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication
from PySide6.QtWidgets import QComboBox

CONTEXT = "Terms"


def term(text: str) -> str:
    """``text`` (a backend label or a state's choice) in the interface language; unknown text stays as it is."""
    return QCoreApplication.translate(CONTEXT, text)


# The histogram sites a model names in its own words (backend/stats.py model_sites): "RMSNorm 1 normalized",
# "expert 3 post-activation", "MLP pre-activation (per expert: none)". Each shape is one template to translate.
_SITE_SHAPES = (
    (re.compile(r"^(?P<norm>\w+) (?P<n>\d+) normalized$"), QT_TRANSLATE_NOOP("Terms", "{norm} {n} normalized")),
    (re.compile(r"^expert (?P<n>\d+) pre-activation$"), QT_TRANSLATE_NOOP("Terms", "expert {n} pre-activation")),
    (re.compile(r"^expert (?P<n>\d+) post-activation$"), QT_TRANSLATE_NOOP("Terms", "expert {n} post-activation")),
    (re.compile(r"^shared expert (?P<n>\d+) pre-activation$"),
     QT_TRANSLATE_NOOP("Terms", "shared expert {n} pre-activation")),
    (re.compile(r"^shared expert (?P<n>\d+) post-activation$"),
     QT_TRANSLATE_NOOP("Terms", "shared expert {n} post-activation")),
)
_PER_EXPERT = " (per expert: none)"


def site_term(label: str) -> str:
    """A histogram site's label (backend/stats.py ``model_sites``) in the interface language: a fixed label is a
    term, a model-named one ("LayerNorm 1 normalized", "expert 3 post-activation") is translated by its shape."""
    if term(label) != label:
        return term(label)
    if label.endswith(_PER_EXPERT):
        site = site_term(label[:-len(_PER_EXPERT)])
        return QCoreApplication.translate(CONTEXT, "{site} (per expert: none)").format(site=site)
    for shape, template in _SITE_SHAPES:
        found = shape.match(label)
        if found is not None:
            parts = {name: term(value) for name, value in found.groupdict().items()}  # "Norm" when unnamed
            return QCoreApplication.translate(CONTEXT, template).format(**parts)
    return term(label)


def add_choices(box: QComboBox, keys: Iterable[str], labels: dict[str, str] | None = None) -> None:
    """One item per key, showing its translated label (the key itself, or ``labels[key]``) and holding the key."""
    for key in keys:
        box.addItem(term((labels or {}).get(key, key)), key)


def current_key(box: QComboBox) -> str:
    data = box.currentData()
    return "" if data is None else str(data)


def set_key(box: QComboBox, key: str) -> None:
    """Select the item holding ``key``; an unknown key leaves the selection as it is (like ``setCurrentText``)."""
    index = box.findData(key)
    if index >= 0:
        box.setCurrentIndex(index)


_TERMS = (
    # backend/stats.py SITE_LABELS and STAT_COLUMNS
    QT_TRANSLATE_NOOP("Terms", "residual in"), QT_TRANSLATE_NOOP("Terms", "LN1 normalized"),
    QT_TRANSLATE_NOOP("Terms", "attention out"), QT_TRANSLATE_NOOP("Terms", "LN2 normalized"),
    QT_TRANSLATE_NOOP("Terms", "MLP pre-activation"), QT_TRANSLATE_NOOP("Terms", "MLP post-activation"),
    QT_TRANSLATE_NOOP("Terms", "residual out"), QT_TRANSLATE_NOOP("Terms", "{site} (per expert: none)"),
    QT_TRANSLATE_NOOP("Terms", "norm 1 normalized"), QT_TRANSLATE_NOOP("Terms", "norm 2 normalized"),
    QT_TRANSLATE_NOOP("Terms", "Norm"),
    # backend/stats.py MOE_MLP_NOTE and model_sites's note for a Hugging Face MoE model
    QT_TRANSLATE_NOOP("Terms", "This layer's FFN is a mixture of experts, so there is no single MLP to histogram: "
                               "each expert sees only the tokens routed to it. Pick an “expert … activation” site "
                               "instead."),
    QT_TRANSLATE_NOOP("Terms", "This layer's FFN is a mixture of experts, so there is no single MLP to histogram; "
                               "lmscope does not record the activations inside a Hugging Face model's experts."),
    QT_TRANSLATE_NOOP("Terms", "mean"), QT_TRANSLATE_NOOP("Terms", "std"), QT_TRANSLATE_NOOP("Terms", "ex. kurtosis"),
    QT_TRANSLATE_NOOP("Terms", "max |x|"), QT_TRANSLATE_NOOP("Terms", "exactly 0"),
    QT_TRANSLATE_NOOP("Terms", "dead units"), QT_TRANSLATE_NOOP("Terms", "beyond 6σ"),
    # backend/attention/debugger.py STAGE_LABELS, CONDITIONS, VARIABLES; heads.py SUMMARY_METRICS
    QT_TRANSLATE_NOOP("Terms", "scores QKᵀ"), QT_TRANSLATE_NOOP("Terms", "scaled ÷√d"),
    QT_TRANSLATE_NOOP("Terms", "after the mask"), QT_TRANSLATE_NOOP("Terms", "softmax pattern"),
    QT_TRANSLATE_NOOP("Terms", "output z = pattern·V"),
    QT_TRANSLATE_NOOP("Terms", "NaN/Inf anywhere"), QT_TRANSLATE_NOOP("Terms", "max pattern weight >"),
    QT_TRANSLATE_NOOP("Terms", "row entropy <"), QT_TRANSLATE_NOOP("Terms", "|score| >"),
    QT_TRANSLATE_NOOP("Terms", "q, k, v (pos × d_head), scores, scaled, masked, pattern (query × key), z (pos × "
                               "d_head), entropy and weight (per query row: entropy in nats and max weight, NaN for "
                               "rows that see fewer than 2 keys), score (scaled scores, NaN where masked), nonfinite "
                               "(count of NaN/±Inf, masked −∞ excluded), layer, head, row (the query row under "
                               "study), n (positions)"),
    QT_TRANSLATE_NOOP("Terms", "mean row entropy (nats)"), QT_TRANSLATE_NOOP("Terms", "attention to the first token"),
    QT_TRANSLATE_NOOP("Terms", "previous-token score"), QT_TRANSLATE_NOOP("Terms", "diagonal (self) score"),
    # the states' choices shown in combo boxes
    QT_TRANSLATE_NOOP("Terms", "zero"), QT_TRANSLATE_NOOP("Terms", "greedy"), QT_TRANSLATE_NOOP("Terms", "temperature"),
    QT_TRANSLATE_NOOP("Terms", "top-k"), QT_TRANSLATE_NOOP("Terms", "left"), QT_TRANSLATE_NOOP("Terms", "right"),
    QT_TRANSLATE_NOOP("Terms", "probability"), QT_TRANSLATE_NOOP("Terms", "entropy"),
    QT_TRANSLATE_NOOP("Terms", "load"), QT_TRANSLATE_NOOP("Terms", "importance"),
    QT_TRANSLATE_NOOP("Terms", "custom"), QT_TRANSLATE_NOOP("Terms", "this model"),
    QT_TRANSLATE_NOOP("Terms", "cosine"), QT_TRANSLATE_NOOP("Terms", "euclidean"),
    QT_TRANSLATE_NOOP("Terms", "script"), QT_TRANSLATE_NOOP("Terms", "frequency"), QT_TRANSLATE_NOOP("Terms", "length"),
    QT_TRANSLATE_NOOP("Terms", "none"), QT_TRANSLATE_NOOP("Terms", "layer"), QT_TRANSLATE_NOOP("Terms", "token id"),
    QT_TRANSLATE_NOOP("Terms", "Han"), QT_TRANSLATE_NOOP("Terms", "Latin"), QT_TRANSLATE_NOOP("Terms", "digit"),
    QT_TRANSLATE_NOOP("Terms", "punct"), QT_TRANSLATE_NOOP("Terms", "space"), QT_TRANSLATE_NOOP("Terms", "other"),
    QT_TRANSLATE_NOOP("Terms", "pattern"), QT_TRANSLATE_NOOP("Terms", "scores"), QT_TRANSLATE_NOOP("Terms", "scaled"),
    QT_TRANSLATE_NOOP("Terms", "masked"),
    # backend/models/builtin.py BUILTIN: the built-in models' names, shown where a panel names the loaded model
    QT_TRANSLATE_NOOP("Terms", "built-in demo (TinyGPT trained on the demo corpus)"),
    QT_TRANSLATE_NOOP("Terms", "built-in minilm (sentence-transformers all-MiniLM-L6-v2: BERT, 6 layers, WordPiece)"),
    QT_TRANSLATE_NOOP("Terms", "built-in demo-moe (TinyGPT, 8 experts top-2 + 1 shared, trained on the demo corpus)"),
    # backend/embeddings/pos.py POS_COLUMN and POS_CLASSES, the projector's colour column and its legend
    QT_TRANSLATE_NOOP("Terms", "POS (jieba)"), QT_TRANSLATE_NOOP("Terms", "noun"), QT_TRANSLATE_NOOP("Terms", "verb"),
    QT_TRANSLATE_NOOP("Terms", "adjective"), QT_TRANSLATE_NOOP("Terms", "adverb"),
    QT_TRANSLATE_NOOP("Terms", "pronoun"), QT_TRANSLATE_NOOP("Terms", "number"),
    QT_TRANSLATE_NOOP("Terms", "function word"), QT_TRANSLATE_NOOP("Terms", "idiom"),
    QT_TRANSLATE_NOOP("Terms", "English"), QT_TRANSLATE_NOOP("Terms", "non-word"),
    # backend/tokenize/bpe.py TIE_RULE and corpus.py PRETOKENIZE_RULE
    QT_TRANSLATE_NOOP("Terms", "When pairs tie on count, the pair met first wins: scan the words in the order they "
                               "first appear in the corpus, each word left to right."),
    QT_TRANSLATE_NOOP("Terms", "Words are split at whitespace; each run of CJK characters is one word, each run of "
                               "other letters, digits and '_' is one word, and every other character (punctuation, "
                               "emoji) is a word of its own. Combining marks, joiners and emoji skin tones stay with "
                               "the character before them."),
    # backend/embeddings/sources.py: the device line of the status bar is the backend's; pyqtgraph's own menus
    QT_TRANSLATE_NOOP("GraphicsScene", "Export..."),
)
