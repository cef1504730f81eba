"""What the config keys and symbols on the controls mean: one definition per term, taken from CONCEPTS.md (the maths
the app must show) and the TinyGPT config, set as tooltips by :func:`explain` on the label and the control it names.

A symbol can mean different things in different panels (``d`` is the head size in FlashAttention and the dilation
of a mask), so each panel explains itself with the glossaries that fit it: ``explain(self, FLASH)``.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication
from PySide6.QtWidgets import QAbstractButton, QFormLayout, QGroupBox, QLabel, QLayout, QWidget

CONTEXT = "Glossary"

# TinyGPT's config keys (backend/models/config.py) and the training settings, as the Train dialog labels them.
CONFIG: dict[str, str] = {
    "vocab_size": QT_TRANSLATE_NOOP("Glossary", "Number of tokens the model knows: rows of the embedding matrix."),
    "n_ctx": QT_TRANSLATE_NOOP("Glossary", "Context length: the most positions one forward pass can see."),
    "d_model": QT_TRANSLATE_NOOP("Glossary", "Width d of the residual stream; each head has d/h dimensions."),
    "n_layer": QT_TRANSLATE_NOOP("Glossary", "Number of transformer blocks (attention + feed-forward) L."),
    "n_head": QT_TRANSLATE_NOOP("Glossary", "Attention heads h per layer, each of size d/h; their outputs are "
                                            "concatenated, then W_O."),
    "n_kv_head": QT_TRANSLATE_NOOP("Glossary", "Key/value heads G. G = n_head is multi-head attention (MHA), 1 is "
                                               "multi-query (MQA: every head shares one K/V), anything between that "
                                               "divides n_head is grouped-query (GQA)."),
    "d_mlp": QT_TRANSLATE_NOOP("Glossary", "Hidden width of the feed-forward network (of each expert in MoE)."),
    "norm": QT_TRANSLATE_NOOP("Glossary", "LayerNorm: (x − mean)/√(var + ε)·γ + β. RMSNorm (1910.07467): "
                                          "x/√(mean(x²) + ε)·g, no centring."),
    "norm_placement": QT_TRANSLATE_NOOP("Glossary", "pre: x + F(LN(x)) (GPT-2 onwards); post: LN(x + F(x)) "
                                                    "(the original Transformer)."),
    "norm_eps": QT_TRANSLATE_NOOP("Glossary", "ε added to the variance (or mean square) before the square root."),
    "pos": QT_TRANSLATE_NOOP("Glossary", "Positions: sinusoidal PE(pos, 2i) = sin(pos/10000^(2i/d)); learned "
                                         "embeddings; RoPE rotates q/k pairs by pos·θᵢ (2104.09864); or none."),
    "rope_base": QT_TRANSLATE_NOOP("Glossary", "RoPE base b: θᵢ = b^(−2i/d) (10000 in the paper)."),
    "act": QT_TRANSLATE_NOOP("Glossary", "Feed-forward activation: ReLU, GELU, or SwiGLU (SiLU(xW) ⊙ xV)W₂ "
                                         "(2002.05202)."),
    "ffn": QT_TRANSLATE_NOOP("Glossary", "dense: one MLP per layer; moe: a mixture of experts chosen by a router."),
    "n_experts": QT_TRANSLATE_NOOP("Glossary", "Routed experts E per MoE layer."),
    "top_k": QT_TRANSLATE_NOOP("Glossary", "Experts each token is sent to: the router keeps the top k logits and "
                                           "softmaxes over them."),
    "n_shared": QT_TRANSLATE_NOOP("Glossary", "Shared experts every token always uses, beside its top-k routed ones "
                                              "(DeepSeekMoE, 2401.06066)."),
    "noisy_gating": QT_TRANSLATE_NOOP("Glossary", "Noisy top-k (1701.06538): H = xW_g + ε·softplus(xW_noise) while "
                                                  "training, then keep the top k."),
    "capacity_factor": QT_TRANSLATE_NOOP("Glossary", "Expert capacity = tokens/experts × capacity factor (× top_k); "
                                                     "assignments over it are dropped and pass through the residual. "
                                                     "0 = unlimited."),
    "aux_loss_coef": QT_TRANSLATE_NOOP("Glossary", "Switch load-balancing loss α·N·Σᵢ fᵢPᵢ (2101.03961) per MoE "
                                                   "layer; equals α when routing is uniform. 0 = off."),
    "z_loss_coef": QT_TRANSLATE_NOOP("Glossary", "Router z-loss (ST-MoE, 2202.08906): mean over tokens of "
                                                 "(log Σⱼ e^{xⱼ})², times this coefficient."),
    "bias_update_rate": QT_TRANSLATE_NOOP("Glossary", "Auxiliary-loss-free balancing (DeepSeek-V3, 2412.19437): a "
                                                      "per-expert selection bias moved by ±γ after each step, down "
                                                      "when over-loaded, up when under-loaded. 0 = off."),
    "moe_mode": QT_TRANSLATE_NOOP("Glossary", "topk: sparse routing · dense: every expert, weighted by the full "
                                              "softmax · soft: Soft MoE slots (2308.00951), no token dropped."),
    "soft_slots": QT_TRANSLATE_NOOP("Glossary", "Slots per expert in Soft MoE: each slot is a softmax-weighted mix "
                                                "of all tokens (dispatch)."),
    "dropout": QT_TRANSLATE_NOOP("Glossary", "Probability of zeroing an activation while training."),
    "tie_embeddings": QT_TRANSLATE_NOOP("Glossary", "Use the embedding matrix, transposed, as the unembedding."),
    "attention": QT_TRANSLATE_NOOP("Glossary", "standard: per-head K and V; mla: multi-head latent attention "
                                               "(DeepSeek-V2, 2405.04434), K and V up-projected from one cached "
                                               "latent."),
    "kv_lora_rank": QT_TRANSLATE_NOOP("Glossary", "MLA latent width d_c: the cache holds c_KV = W_DKV·h of this "
                                                  "size per token and layer."),
    "q_lora_rank": QT_TRANSLATE_NOOP("Glossary", "MLA query latent width (0 = queries straight from h)."),
    "rope_head_dim": QT_TRANSLATE_NOOP("Glossary", "MLA decoupled RoPE key size d_h^R, shared by every head "
                                                   "(0 = none)."),
    "steps": QT_TRANSLATE_NOOP("Glossary", "Optimizer steps to train for."),
    "batch_size": QT_TRANSLATE_NOOP("Glossary", "Sequences per optimizer step."),
    "seq_len": QT_TRANSLATE_NOOP("Glossary", "Tokens per training sequence."),
    "snapshot_every": QT_TRANSLATE_NOOP("Glossary", "Steps between histogram and validation-loss snapshots."),
    "seed": QT_TRANSLATE_NOOP("Glossary", "Random seed: the same seed gives the same numbers."),
    "device": QT_TRANSLATE_NOOP("Glossary", "Where training runs: auto takes CUDA, then Apple MPS, then the CPU."),
    "learning rate": QT_TRANSLATE_NOOP("Glossary", "Peak learning rate (AdamW), after warm-up, decayed by cosine."),
}

FLASH: dict[str, str] = {
    "N": QT_TRANSLATE_NOOP("Glossary", "Sequence length N: Q, K, V and O are N × d; S = QKᵀ would be N × N."),
    "d": QT_TRANSLATE_NOOP("Glossary", "Head dimension d; scores are scaled by 1/√d."),
    "SRAM": QT_TRANSLATE_NOOP("Glossary", "On-chip SRAM in bytes; M is this size in elements of the chosen dtype."),
    "M": QT_TRANSLATE_NOOP("Glossary", "SRAM capacity M in elements. FA1 (2205.14135) picks Bc = ⌈M/4d⌉, "
                                       "Br = min(Bc, d); HBM accesses Θ(N²d²/M) vs Θ(Nd + N²) for standard "
                                       "attention."),
    "Br": QT_TRANSLATE_NOOP("Glossary", "Rows of Q per tile (block size Br); paper: Br = min(⌈M/4d⌉, d)."),
    "Bc": QT_TRANSLATE_NOOP("Glossary", "Columns of K/V per tile (block size Bc); paper: Bc = ⌈M/4d⌉."),
    "FA1": QT_TRANSLATE_NOOP("Glossary", "FlashAttention 1 (2205.14135, Algorithm 1): outer loop over K/V blocks, "
                                         "inner over Q blocks; O rescaled and written after every tile."),
    "FA2": QT_TRANSLATE_NOOP("Glossary", "FlashAttention 2 (2307.08691): outer loop over Q blocks, unnormalised O "
                                         "divided by ℓ once at the end; causal skips blocks above the diagonal."),
    "causal": QT_TRANSLATE_NOOP("Glossary", "Causal mask: keys after the query get −∞ (exactly 0 after softmax)."),
}

MASKS: dict[str, str] = {
    "window w": QT_TRANSLATE_NOOP("Glossary", "Band / sliding window: a query sees the w keys before it (and "
                                              "itself)."),
    "dilated w": QT_TRANSLATE_NOOP("Glossary", "Dilated window: w keys, every d-th one, before the query."),
    "d": QT_TRANSLATE_NOOP("Glossary", "Dilation d: the gap between the keys a dilated window keeps."),
    "random p": QT_TRANSLATE_NOOP("Glossary", "Random attention (BigBird): each allowed key is kept with "
                                              "probability p."),
    "global tokens": QT_TRANSLATE_NOOP("Glossary", "Global tokens (Longformer): positions that see, and are seen "
                                                   "by, every other position."),
    "k": QT_TRANSLATE_NOOP("Glossary", "Content-based sparse attention: each query keeps its k highest-scoring "
                                       "keys."),
    "prefix N": QT_TRANSLATE_NOOP("Glossary", "Prefix LM: the first N positions (the prefix) see each other in both "
                                              "directions; later positions stay causal."),
    "top-k keys": QT_TRANSLATE_NOOP("Glossary", "Content-based sparse attention: each query keeps its k "
                                                "highest-scoring keys, chosen inside each head."),
    "LSH buckets": QT_TRANSLATE_NOOP("Glossary", "Reformer LSH attention: queries and keys are hashed into buckets by "
                                                 "random rotations; a query sees only keys in its own bucket."),
}

GENERATION: dict[str, str] = {
    "T": QT_TRANSLATE_NOOP("Glossary", "Temperature T: sample from softmax(logits/T); lower is greedier."),
    "k": QT_TRANSLATE_NOOP("Glossary", "Top-k sampling: sample only among the k most probable next tokens."),
    "tokens": QT_TRANSLATE_NOOP("Glossary", "Tokens to generate; each step appends one row to the K/V cache."),
}

PROJECTOR: dict[str, str] = {
    "k": QT_TRANSLATE_NOOP("Glossary", "Number of nearest neighbours listed for the selected point."),
    "dim": QT_TRANSLATE_NOOP("Glossary", "word2vec vector size."),
    "window": QT_TRANSLATE_NOOP("Glossary", "word2vec context window: words up to this far from the centre word "
                                            "are its context."),
    "negative": QT_TRANSLATE_NOOP("Glossary", "Negative samples k per positive pair: log σ(v'ₒ·vᵢ) + "
                                              "Σₖ log σ(−v'ₖ·vᵢ), negatives drawn from unigram^0.75."),
    "min-count": QT_TRANSLATE_NOOP("Glossary", "Words seen fewer times than this are left out of the vocabulary."),
    "epochs": QT_TRANSLATE_NOOP("Glossary", "Passes over the corpus."),
    "subsample": QT_TRANSLATE_NOOP("Glossary", "word2vec's sample s: a word seen f times is kept with probability "
                                               "(√(f/t) + 1)·t/f, t = s × corpus size; 0 keeps every word."),
    "t-SNE perplexity": QT_TRANSLATE_NOOP("Glossary", "t-SNE's effective number of neighbours per point."),
    "UMAP neighbours": QT_TRANSLATE_NOOP("Glossary", "UMAP n_neighbors: how local the structure it keeps is."),
    "UMAP min_dist": QT_TRANSLATE_NOOP("Glossary", "UMAP min_dist: how tightly points may pack in the layout."),
}

KVCACHE: dict[str, str] = {
    "layers L": QT_TRANSLATE_NOOP("Glossary", "Layers L: each one caches its own K and V."),
    "query heads H": QT_TRANSLATE_NOOP("Glossary", "Query heads H (n_head)."),
    "key/value heads G": QT_TRANSLATE_NOOP("Glossary", "Key/value heads G (n_kv_head): MHA G = H, GQA 1 < G < H, "
                                                       "MQA G = 1. Cache bytes 2·L·G·d_h·N·b."),
    "head dim d_h": QT_TRANSLATE_NOOP("Glossary", "Head size d_h = d_model/H."),
    "MLA latent d_c": QT_TRANSLATE_NOOP("Glossary", "MLA (2405.04434) caches one latent c_KV = W_DKV·h of size d_c "
                                                    "per token: L·(d_c + d_h^R)·N·b bytes."),
    "MLA RoPE key d_h^R": QT_TRANSLATE_NOOP("Glossary", "MLA's decoupled RoPE key of size d_h^R, shared by every "
                                                        "head and cached beside the latent."),
    "tokens N": QT_TRANSLATE_NOOP("Glossary", "Tokens N in the cache: each decoding step appends one row to K and "
                                              "V per layer."),
}

POSITIONS: dict[str, str] = {
    "query at m": QT_TRANSLATE_NOOP("Glossary", "Position m of the query: RoPE rotates q by m·θᵢ."),
    "key at n": QT_TRANSLATE_NOOP("Glossary", "Position n of the key: RoPE rotates k by n·θᵢ, so qₘ·kₙ depends "
                                              "only on n − m."),
}

_MARKUP = re.compile(r"<[^>]+>")


def term_of(text: str) -> str:
    """A control's text as the glossary spells terms: markup, accelerators, a trailing colon and any "= value"
    part dropped ("M = 256 el." → "M")."""
    text = _MARKUP.sub("", text).replace("&", "").strip()
    return text.split(" =")[0].rstrip(":").strip()


def definition(term: str, *glossaries: Mapping[str, str], contexts: Iterable[str] = ()) -> str:
    """The translated definition of ``term`` from the first glossary that has it (CONFIG last), or "".

    ``term`` may be shown in the interface language: a key matches when its translation in one of ``contexts``
    (the classes whose ``tr()`` may have made the label) reads as ``term``, so "窗口 w" finds "window w"."""
    contexts = tuple(contexts)
    for glossary in (*glossaries, CONFIG):
        for key, text in glossary.items():
            if key == term or any(term_of(QCoreApplication.translate(c, key)) == term for c in contexts):
                return QCoreApplication.translate(CONTEXT, text)
    return ""


def _contexts(widget: QWidget, root: QWidget) -> list[str]:
    """The translation contexts a label under ``root`` was likely made in: its own class and its ancestors' up to
    ``root`` (a panel's ``self.tr`` or ``QCoreApplication.translate("Panel", …)``)."""
    found: list[str] = []
    while widget is not None:
        found.append(widget.metaObject().className())
        if widget is root:
            break
        widget = widget.parentWidget()
    return found


def explain(root: QWidget, *glossaries: Mapping[str, str]) -> int:
    """Give every label, check box or button under ``root`` whose text is a term its definition as tooltip, and the
    control a label names (its buddy, its form field, or the next widget in its row) the same. Tooltips already
    set are kept. Returns how many widgets were given one."""
    given = 0
    for widget in root.findChildren(QWidget):
        if not isinstance(widget, (QLabel, QAbstractButton, QGroupBox)):
            continue
        text = widget.title() if isinstance(widget, QGroupBox) else widget.text()
        tip = definition(term_of(text), *glossaries, contexts=_contexts(widget, root))
        if not tip:
            continue
        named = partner(widget) if isinstance(widget, QLabel) else None
        if isinstance(named, (QLabel, QAbstractButton)):
            named = None  # a neighbour with a name of its own (FlashAttention's "M = …" beside "Br")
        for target in (widget, named):
            if target is not None and not target.toolTip():
                target.setToolTip(tip)
                given += 1
    return given


def partner(label: QLabel) -> QWidget | None:
    """The control a label names: its buddy, else the field of its form row, else the next widget in its layout."""
    if label.buddy() is not None:
        return label.buddy()
    parent = label.parentWidget()
    layout = parent.layout() if parent is not None else None
    return _next_in(layout, label) if layout is not None else None


def _next_in(layout: QLayout, label: QLabel) -> QWidget | None:
    if isinstance(layout, QFormLayout):
        row, role = layout.getWidgetPosition(label)
        if row >= 0 and role == QFormLayout.ItemRole.LabelRole:
            field = layout.itemAt(row, QFormLayout.ItemRole.FieldRole)
            return _first_widget(field) if field is not None else None
    items = [layout.itemAt(i) for i in range(layout.count())]
    for i, item in enumerate(items):
        if item.widget() is label:
            for after in items[i + 1:]:
                found = _first_widget(after)
                if found is not None:
                    return found
            return None
        if item.layout() is not None:
            found = _next_in(item.layout(), label)
            if found is not None:
                return found
    return None


def _first_widget(item: object) -> QWidget | None:
    if item.widget() is not None:
        return item.widget()
    sub = item.layout()
    if sub is not None:
        for i in range(sub.count()):
            found = _first_widget(sub.itemAt(i))
            if found is not None:
                return found
    return None
