"""Positional encodings, seen: the sinusoidal table, RoPE's angles and its relative-position property on a real
head, learned position embeddings and their similarity, and which RoPE pairing a model uses.

Everything is float64 numpy so the view's numbers are exact to the last digit a person can read. The RoPE here is
TinyGPT's (interleaved pairs (2i, 2i+1), RoFormer); ``pairing="rotate_half"`` is Hugging Face Llama's (i, i + d/2),
the same rotation applied to a fixed permutation of the head's dimensions.
"""
from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from lmscope.backend.errors import BadInputError
from lmscope.backend.jobs import JobProgress
from lmscope.backend.trace import Trace

# Hugging Face model types whose RoPE pairs dimension i with i + d/2 (``rotate_half``), and those that rotate
# neighbouring pairs (GPT-J's ``rotate_every_two``; DeepSeek-V2's complex view of consecutive pairs).
ROTATE_HALF_TYPES = frozenset({"llama", "mistral", "mixtral", "qwen2", "qwen2_moe", "qwen3", "gemma", "gemma2",
                               "phi3", "gpt_neox", "olmo", "starcoder2", "stablelm", "falcon", "cohere"})
INTERLEAVED_TYPES = frozenset({"gptj", "deepseek_v2", "chatglm"})
ABSOLUTE_TYPES = frozenset({"gpt2", "bert", "roberta", "opt", "distilbert", "xlm-roberta"})


def sinusoidal_table(n_pos: int, d: int, base: float = 10000.0) -> np.ndarray:
    """PE(pos, 2i) = sin(pos/base^(2i/d)), PE(pos, 2i+1) = cos(pos/base^(2i/d)) (Vaswani et al. 2017, §3.5)."""
    angle = np.arange(n_pos, dtype=np.float64)[:, None] / base ** (np.arange(0, d, 2, dtype=np.float64) / d)
    table = np.zeros((n_pos, d))
    table[:, 0::2] = np.sin(angle)
    table[:, 1::2] = np.cos(angle[:, : d // 2])
    return table


def sinusoid_dot_by_offset(table: np.ndarray, reference: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Offsets k and PE(m)·PE(m + k) for m = ``reference``: it equals Σᵢ cos(k·ωᵢ) for even d, whatever m is."""
    offsets = np.arange(table.shape[0] - reference)
    return offsets, table[reference + offsets] @ table[reference]


def rope_frequencies(d: int, base: float = 10000.0) -> np.ndarray:
    """θᵢ = base^(−2i/d), one per rotated pair."""
    return base ** (-np.arange(0, d, 2, dtype=np.float64) / d)


def rope_angle_table(n_pos: int, d: int, base: float = 10000.0) -> np.ndarray:
    """(position, pair) rotation angles pos·θᵢ in radians."""
    return np.arange(n_pos, dtype=np.float64)[:, None] * rope_frequencies(d, base)[None, :]


def rotate(x: np.ndarray, positions: np.ndarray | int, base: float = 10000.0,
           pairing: str = "interleaved") -> np.ndarray:
    """RoPE of vectors x (…, d) at ``positions`` (broadcast over x's leading axes), in float64."""
    x = np.asarray(x, dtype=np.float64)
    d = x.shape[-1]
    angle = np.asarray(positions, dtype=np.float64)[..., None] * rope_frequencies(d, base)
    cos, sin = np.cos(angle), np.sin(angle)
    if pairing == "interleaved":
        first, second = x[..., 0::2], x[..., 1::2]
    elif pairing == "rotate_half":
        first, second = x[..., : d // 2], x[..., d // 2:]
    else:
        raise BadInputError(f"RoPE pairs dimensions interleaved or rotate_half, not {pairing!r}.")
    out = np.empty(np.broadcast_shapes(x.shape, cos.shape[:-1] + (d,)))
    a, b = first * cos - second * sin, first * sin + second * cos
    if pairing == "interleaved":
        out[..., 0::2], out[..., 1::2] = a, b
    else:
        out[..., : d // 2], out[..., d // 2:] = a, b
    return out


def shifted_scores(q: np.ndarray, k: np.ndarray, m: int, n: int, shifts: np.ndarray, base: float = 10000.0,
                   pairing: str = "interleaved") -> tuple[np.ndarray, np.ndarray]:
    """For each shift s: RoPE(q, m+s)·RoPE(k, n+s) (both moved: constant, it depends on n − m only) and
    RoPE(q, m)·RoPE(k, n+s) (only the key moved: the offset changes, and so does the score)."""
    shifts = np.asarray(shifts)
    rotated_q, rotated_k = rotate(q, m + shifts, base, pairing), rotate(k, n + shifts, base, pairing)
    both = np.einsum("sd,sd->s", rotated_q, rotated_k)
    key_only = rotated_k @ rotate(q, m, base, pairing)
    return both, key_only


def similarity(table: np.ndarray) -> np.ndarray:
    """Cosine similarity of every pair of rows (position × position)."""
    table = np.asarray(table, dtype=np.float64)
    unit = table / np.maximum(np.linalg.norm(table, axis=-1, keepdims=True), 1e-12)
    return unit @ unit.T


def rope_pairing(config: Mapping[str, Any]) -> tuple[str, str]:
    """("interleaved" | "rotate_half" | "none" | "unknown", one sentence saying so) for a TinyGPT or HF config."""
    model_type = str(config.get("model_type") or config.get("family") or "")
    if config.get("kind", "tinygpt") == "tinygpt" and "d_model" in config and "n_layer" in config:  # TinyGPT
        if config.get("pos") != "rope":
            return "none", f"This TinyGPT has {config.get('pos')} positions, not RoPE."
        where = "its decoupled RoPE part (d_h^R dimensions)" if config.get("attention") == "mla" else "each head"
        return "interleaved", (f"TinyGPT rotates neighbouring pairs (2i, 2i+1) of {where}, as RoFormer does; "
                               "Hugging Face's Llama pairs i with i + d/2 (rotate_half).")
    if model_type in ROTATE_HALF_TYPES:
        return "rotate_half", (f"{model_type} (Hugging Face) pairs dimension i with i + d/2 (rotate_half): the "
                               "interleaved rotation of a permuted head.")
    if model_type in INTERLEAVED_TYPES:
        return "interleaved", f"{model_type} rotates neighbouring pairs (2i, 2i+1), as RoFormer does."
    if model_type in ABSOLUTE_TYPES:
        return "none", f"{model_type} adds learned absolute position embeddings; it has no RoPE."
    return "unknown", f"lmscope does not know which RoPE pairing {model_type or 'this model'} uses."


def learned_positions(model: torch.nn.Module) -> np.ndarray | None:
    """The learned position table (n_ctx, d) of TinyGPT, GPT-2 (wpe) or BERT-style models, else None."""
    model = getattr(model, "hf", model)  # a Hugging Face model inside lmscope's wrapper (backend/models/hf.py)
    for path in ("pos_embed", "transformer.wpe", "wpe", "embeddings.position_embeddings",
                 "bert.embeddings.position_embeddings"):
        try:
            module = model.get_submodule(path)
        except AttributeError:
            continue
        weight = getattr(module, "weight", None)
        if isinstance(weight, torch.Tensor) and weight.dim() == 2:
            return weight.detach().to("cpu", torch.float64).numpy()
    return None


# --- the view's data, computed in the worker ------------------------------------------------------------------
@dataclass(frozen=True)
class HeadRope:
    """RoPE's relative-position property shown on one real head: its pre-rotation q (at m) and k (at n)."""

    layer: int
    head: int
    m: int
    n: int
    rope_dim: int  # the rotated width: d_head, or MLA's d_h^R (the last dims of q and k)
    shifts: np.ndarray = field(repr=False)
    both: np.ndarray = field(repr=False)  # scores with both positions shifted: constant
    key_only: np.ndarray = field(repr=False)  # scores with only the key shifted
    max_deviation: float = 0.0  # max |both − both[0]|: rounding only
    uses_rope: bool = True  # False: the model has other positions; its q/k are rotated to show what RoPE would do


@dataclass(frozen=True)
class PositionsComputed:
    d_model: int
    sinusoidal: np.ndarray = field(repr=False)  # (pos, d)
    offsets: np.ndarray = field(repr=False)
    offset_dots: np.ndarray = field(repr=False)  # PE(0)·PE(k)
    rope_angles: np.ndarray = field(repr=False)  # (pos, pair), radians
    pairing: str
    pairing_text: str
    head: HeadRope | None
    learned_similarity: np.ndarray | None = field(repr=False)  # (pos, pos) cosine, or None
    learned_label: str = ""
    head_note: str = ""  # why there is no head demonstration, when there is none


def head_rope(trace: Trace, layer: int, head: int, m: int, n: int, n_shifts: int = 64) -> HeadRope:
    """The relative-position demonstration on the captured pre-rotation q of token m and k of token n."""
    config = trace.model_config
    q_all, k_all = trace[f"blocks.{layer}.attn.hook_q"], trace[f"blocks.{layer}.attn.hook_k"]
    T, n_head = q_all.shape[1], q_all.shape[2]
    if not (0 <= head < n_head and 0 <= m < T and 0 <= n < T):
        raise BadInputError(f"Head {head} or positions {m}, {n} are outside this capture ({n_head} heads, {T} tokens).")
    kv = head // (n_head // k_all.shape[2])
    mla = config.get("attention") == "mla"
    rope_dim = int(config.get("rope_head_dim", 0)) if mla else q_all.shape[-1]
    if rope_dim <= 0:
        raise BadInputError("This MLA model has no decoupled RoPE part to rotate.")
    q = q_all[0, m, head, -rope_dim:].astype(np.float64)
    k = k_all[0, n, kv, -rope_dim:].astype(np.float64)
    base = float(config.get("rope_base") or 10000.0)
    pairing = rope_pairing(config)[0]  # the model's own (a Llama's q/k are laid out for rotate_half)
    shifts = np.arange(n_shifts)
    both, key_only = shifted_scores(q, k, m, n, shifts, base, pairing if pairing == "rotate_half" else "interleaved")
    return HeadRope(layer, head, m, n, rope_dim, shifts, both, key_only, float(np.max(np.abs(both - both[0]))),
                    config.get("pos") == "rope")


def positions_job(trace: Trace | None, model: torch.nn.Module | None, layer: int, head: int, m: int, n: int,
                  n_pos: int = 128) -> Iterator[object]:
    """Everything the Positions view draws, as one event (a GPT-2-sized wpe similarity is ~10 ms of matmul)."""
    config = trace.model_config if trace is not None else {}
    d = int(config.get("d_model") or config.get("hidden_size") or config.get("n_embd") or 128)
    yield JobProgress(0.2, "Positional encodings…")
    table = sinusoidal_table(n_pos, d)
    offsets, dots = sinusoid_dot_by_offset(table)
    heads = int(config.get("n_head") or config.get("num_attention_heads") or 1)
    d_head = int(config.get("d_head") or d // heads)
    rope_dim = int(config.get("rope_head_dim") or 0) if config.get("attention") == "mla" else d_head
    # A model without RoPE (GPT-2: rope_base 0 or absent) is shown the textbook base, never base 0 (θ = 0^−x = ∞).
    base = float(config.get("rope_base") or 0) or 10000.0
    angles = rope_angle_table(n_pos, max(2, rope_dim), base if math.isfinite(base) and base > 1 else 10000.0)
    pairing, pairing_text = rope_pairing(config) if config else ("unknown", "No model is loaded.")
    head_data, note = None, "Capture a prompt to see RoPE on a real head's q and k."
    if trace is not None and f"blocks.{layer}.attn.hook_q" in trace and f"blocks.{layer}.attn.hook_k" in trace:
        try:
            head_data = head_rope(trace, layer, head, m, n)
        except BadInputError as exc:  # e.g. an MLA model without a RoPE part: the rest of the view still stands
            note = str(exc)
    learned = learned_positions(model) if model is not None else None
    yield PositionsComputed(d, table, offsets, dots, angles, pairing, pairing_text, head_data,
                            similarity(learned) if learned is not None else None,
                            f"learned position embeddings ({learned.shape[0]} × {learned.shape[1]})"
                            if learned is not None else "this model has no learned position embeddings", note)
