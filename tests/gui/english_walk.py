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

# Terms kept in Latin script in Chinese technical writing, and names. Compared case-sensitively, whole words.
ALLOWED = frozenset(["softmax", "RoPE", "ALiBi", "top-k", "top-p", "KV", "Q", "K", "V", "QK", "QKᵀ", "GELU", "ReLU", "SiLU", "SwiGLU", "LayerNorm", "RMSNorm", "BPE", "MoE", "PCA", "t-SNE", "UMAP", "word2vec", "HDF5", "GQA", "MQA", "MLA", "MHA", "FlashAttention", "FA1", "FA2", "SRAM", "HBM", "GPU", "CPU", "CUDA", "MPS", "FFN", "MLP", "logit", "logits", "lmscope", "TinyGPT", "GPT", "GPT-2", "BERT", "Llama", "Qwen", "Mixtral", "jieba", "HMM", "Sennrich", "Haddow", "Birch", "arXiv", "PNG", "SVG", "TSV", "CSV", "JSON", "UTF-8", "Hugging", "Face", "Ctrl", "Shift", "Alt", "F1", "PyTorch", "Qt", "NaN", "inf", "fp16", "fp32", "fp64", "float16", "float32", "bfloat16", "float64", "int8", "dtype", "d_model", "d_head", "d_k", "n_head", "n_layer", "viridis", "magma", "inferno", "plasma", "cividis", "gray", "greys", "turbo", "English", "lmscope.h5", "h5", "cos", "sin", "exp", "log", "max", "min", "argmax", "sqrt", "tokenizer.json", "id", "ids", "lm_head", "KiB", "MiB", "GiB", "Br", "Bc", "PE", "CET-L1", "CET-D1", "CET-C1", "openTSNE", "umap-learn", "resid_pre", "resid_post", "attn_out", "mlp_out", "gpt2", "deepseek-v2", "deepseek-v2-lite", "deepseek-v3", "falcon-7b", "llama-2-7b", "llama-2-70b", "llama-3-8b", "mistral-7b", "qwen2-7b", "bf16", "fp8", "MaxVio", "Switch", "z-loss", "cut_all", "cut_for_search", "posseg", "DAG", "LSH", "word2vec", "TSV", "Logit", "LN1", "LN2", "Inf", "ID", "CBOW", "skip-gram", "Markdown", "pos", "mod", "Nd"]) | {"KV cache", "Soft MoE"}
# Code the reader types or reads as code: `commands`, identifiers_with_underscores, mask specs (prefix:6, topk:3,
# causal+window:4) and the breakpoint language's names (its placeholder and tooltip).
CODE = re.compile(r"`[^`]*`|\b\w*_\w*\b(?:\s*=\s*\w+)?|\b[a-z]+(?:[:+][\w.]+)+")
EXPRESSION_NAMES = frozenset(["q", "k", "v", "scores", "scaled", "masked", "pattern", "z", "entropy", "weight", "score", "nonfinite", "layer", "head", "row", "n", "max", "abs", "min", "and", "bidirectional"])
# Hook names (blocks.0.attn.hook_pattern), file names, numbers with units, formulas' single letters.
DATA = re.compile(r"blocks\.\d+\.[\w.]+|hook_\w+|\b[\w-]+\.(?:h5|json|txt|safetensors|png|svg|npz)\b"
                  r"|\b\d[\d,.]*\w*\b|\b[A-Za-z]\b|&\w+;|\bx\d+\b")
WORD = re.compile(r"[A-Za-z][A-Za-z'-]*[A-Za-z]")


def visible_texts(window: QMainWindow) -> Iterator[tuple[str, str]]:
    """(where, text) for every text the window's widgets, menus, tabs and plots show."""
    widgets = [window, *window.findChildren(QWidget)]
    actions: dict[int, tuple[str, QAction]] = {}
    for widget in widgets:
        if widget.isHidden() and not isinstance(widget, QMenu) and not isinstance(widget.parentWidget(), QStackedWidget):
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
