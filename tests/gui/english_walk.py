"""Walk a window's widget tree for every text a reader sees, and find the ones still in English.

What may stay in Latin letters is short and explicit: the technical terms Chinese ML texts write in Latin, names
(of the app, libraries, papers' authors, file formats), hook names, numbers and the data itself (token text).
"""
from __future__ import annotations

import html
import re
from collections.abc import Iterator

import pyqtgraph as pg
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QComboBox,
    QDockWidget,
    QGroupBox,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QPlainTextEdit,
    QStackedWidget,
    QTabBar,
    QTabWidget,
    QTextEdit,
    QWidget,
)

# Kept in Latin script as Chinese technical writing keeps them (ML terms, formula symbols, units), and names (of
# formats, libraries, models, people). Compared case-sensitively as whole words; identifiers_with_underscores, single
# letters, numbers, hook and file names are left out by CODE and DATA below.
ALLOWED = frozenset({
    # ML terms
    "softmax", "RoPE", "top-k", "KV", "KV cache", "QK", "GELU", "SwiGLU", "LayerNorm", "RMSNorm", "LN1", "LN2", "BPE",
    "MoE", "Soft MoE", "MaxVio", "Switch", "z-loss", "PCA", "t-SNE", "UMAP", "word2vec", "skip-gram", "CBOW", "GQA",
    "MQA", "MLA", "MHA", "FlashAttention", "FA1", "FA2", "SRAM", "HBM", "MLP", "PE", "Br", "Bc", "logit", "Logit",
    "DAG", "HMM", "LSH", "NaN", "Inf", "ID", "id", "top-1", "LN", "ReLU", "SiLU", "softplus", "AdamW",
    # formula symbols, units and number formats
    "pos", "mod", "Nd", "xW", "xV", "log", "sin", "max", "min", "KiB", "MiB", "fp16", "fp32", "fp64", "bf16", "fp8",
    "float32", "float16",
    # names: the app, formats, libraries, colour maps, papers' authors, model shapes the KV-cache panel offers
    "lmscope", "TinyGPT", "GPT-2", "Hugging", "Face", "jieba", "Markdown", "PNG", "SVG", "TSV", "UTF-8", "CPU",
    "openTSNE", "umap-learn", "jieba.posseg", "viridis", "magma", "inferno", "cividis", "CET-L1", "Sennrich", "Haddow",
    "Birch", "arXiv", "English", "Transformer", "BigBird", "Longformer", "Reformer", "DeepSeekMoE", "ST-MoE",
    "DeepSeek-V2", "DeepSeek-V3", "CUDA", "Apple", "MPS", "questions-words",
    "gpt2", "deepseek-v2", "deepseek-v2-lite", "deepseek-v3", "falcon-7b", "llama-2-7b", "llama-2-70b", "llama-3-8b",
    "mistral-7b", "qwen2-7b",
})
# Code the reader types or reads as code: `commands`, identifiers_with_underscores, mask specs (prefix:6, topk:3,
# causal+window:4) and the breakpoint language's names (its placeholder and tooltip).
CODE = re.compile(r"`[^`]*`|\b\w*_\w*\b(?:\s*=\s*\w+)?|\b[a-z]+(?:[:+][\w.]+)+")
EXPRESSION_NAMES = frozenset({"scores", "scaled", "masked", "pattern", "entropy", "weight", "score", "nonfinite",
                              "layer", "head", "row", "max", "abs", "min", "and", "bidirectional"})
# Hook names (blocks.0.attn.hook_pattern), file names, numbers with units, formulas' single letters.
DATA = re.compile(r"blocks\.\d+\.[\w.]+|hook_\w+|\b[\w-]+\.(?:h5|json|txt|safetensors|png|svg|npz)\b"
                  r"|\b\d[\d,.]*\w*\b|\b[A-Za-z]\b|&\w+;|\bx\d+\b")
WORD = re.compile(r"[A-Za-z][A-Za-z'-]*[A-Za-z]")


def visible_texts(window: QMainWindow) -> Iterator[tuple[str, str]]:
    """(where, text) for every text the window's widgets, menus, tabs and plots show."""
    widgets = [window, *window.findChildren(QWidget)]
    actions: dict[int, tuple[str, QAction]] = {}
    for widget in widgets:
        if widget.isHidden() and not isinstance(widget, QMenu) and not isinstance(widget.parentWidget(),
                                                                                  QStackedWidget):
            # Hidden on purpose (an idle job's line in the status bar), unlike a tab page not in front, which the
            # reader brings up with one click.
            continue
        where = f"{type(widget).__name__} {widget.objectName()}".strip()
        # Qt's accessors through the class: a panel may shadow ``title`` or ``text`` with an attribute.
        yield where + " tooltip", QWidget.toolTip(widget)
        if isinstance(widget, QDockWidget | QMainWindow):
            yield where + " title", QWidget.windowTitle(widget)
        if isinstance(widget, QLabel):
            yield where, QLabel.text(widget)
        elif isinstance(widget, QAbstractButton):
            yield where, QAbstractButton.text(widget)
        elif isinstance(widget, QGroupBox):
            yield where, QGroupBox.title(widget)
        elif isinstance(widget, QLineEdit | QTextEdit | QPlainTextEdit):
            yield where + " placeholder", type(widget).placeholderText(widget)
        elif isinstance(widget, QComboBox):
            for i in range(QComboBox.count(widget)):
                yield where + " item", QComboBox.itemText(widget, i)
        elif isinstance(widget, QTabBar):
            for i in range(QTabBar.count(widget)):
                yield where + " tab", QTabBar.tabText(widget, i)
                yield where + " tab tooltip", QTabBar.tabToolTip(widget, i)
        elif isinstance(widget, QTabWidget):
            for i in range(QTabWidget.count(widget)):
                yield where + " tab", QTabWidget.tabText(widget, i)
        elif isinstance(widget, QMenu):
            yield where + " menu", QMenu.title(widget)
        elif isinstance(widget, QAbstractSpinBox):
            yield where + " special value", QAbstractSpinBox.specialValueText(widget)
        elif isinstance(widget, pg.GraphicsView):
            for item in widget.scene().items():
                if isinstance(item, pg.AxisItem):
                    yield where + " axis", item.labelText
                elif isinstance(item, pg.LabelItem):
                    yield where + " label", item.text
        for action in widget.actions():
            actions[id(action)] = (where, action)
    for action in window.findChildren(QAction):
        actions[id(action)] = ("QAction", action)
    for where, action in actions.values():
        yield where + " action", action.text()
        # Qt makes an action's tooltip from its text when none is set: nothing new to read.
        derived = action.text().replace("&", "").removesuffix("...").removesuffix("…")
        yield where + " action tooltip", action.toolTip() if action.toolTip() not in (derived, action.text()) else ""


def english_words(text: str, data_words: frozenset[str] = frozenset()) -> list[str]:
    """The words of ``text`` that are English and neither an allowed term nor data."""
    plain = CODE.sub(" ", html.unescape(re.sub(r"<[^>]+>", " ", text)).replace("&", ""))
    for term in sorted(ALLOWED, key=len, reverse=True):
        plain = re.sub(rf"(?<![\w-]){re.escape(term)}(?![\w-])", " ", plain)
    plain = DATA.sub(" ", plain)
    return [w for w in WORD.findall(plain) if w not in data_words and w not in ALLOWED]
