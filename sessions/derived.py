"""Residual points a session need not store: each is an exact sum of tensors it does store.

A transformer block adds to its residual stream: ``resid_mid = resid_pre + attn_out`` and ``resid_post = resid_mid +
mlp_out``, and the next block starts from that: ``resid_pre[l+1] = resid_post[l]``. A capture records all of them
(TransformerLens' names), so storing each costs the same bytes twice over: 144 MiB of a 2,048-token GPT-2-small
session. The writer stores such a tensor as a *recipe* instead — the names it is the sum of, added left to right in
float32, exactly as the model added them — but only after checking, on the very arrays it would have written, that
the sum equals the tensor bit for bit (:func:`find_recipes`). A model that adds differently (parallel attention and
MLP, a MoE's extra terms, a hook that is not the residual) simply fails the check and its tensors are stored as
they are. Reading a derived tensor sums its sources: the same float32 additions, so the same bits.

A recipe from a file is hostile input like the rest: :func:`check_recipes` allows only a few sources, each of them a
stored tensor (never another recipe: no chains, no cycles), and the reader checks shapes and dtypes before adding.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from lmscope.sessions.errors import SessionFormatError

MAX_SOURCES = 3  # resid_post of the last block = resid_pre + attn_out + mlp_out


def candidates(names: list[str]) -> dict[str, list[str]]:
    """Possible recipes from the hook names alone, before any check: resid_mid from the block's input and attention,
    resid_post as the next block's input (the last block's from all three terms)."""
    present = set(names)
    layers = sorted({int(n.split(".")[1]) for n in names if n.startswith("blocks.") and n.split(".")[1].isdecimal()})
    out: dict[str, list[str]] = {}
    for layer in layers:
        p = f"blocks.{layer}."
        pre, attn, mlp = p + "hook_resid_pre", p + "hook_attn_out", p + "hook_mlp_out"
        nxt = f"blocks.{layer + 1}.hook_resid_pre"
        if p + "hook_resid_mid" in present:
            out[p + "hook_resid_mid"] = [pre, attn]
        if p + "hook_resid_post" in present:
            out[p + "hook_resid_post"] = [nxt] if nxt in present else [pre, attn, mlp]
    return {name: sources for name, sources in out.items() if all(s in present for s in sources)}


def find_recipes(tensors: Mapping[str, Any], names: list[str], aliases_only: bool = False) -> dict[str, list[str]]:
    """The recipes among ``names`` that hold exactly for these arrays (as they would be stored); only the candidates'
    arrays are read. ``aliases_only``: keep only one-source recipes (a float16 session: sums of rounded values are not
    the rounded sum)."""
    recipes: dict[str, list[str]] = {}
    for name, sources in candidates(names).items():
        if aliases_only and len(sources) > 1:
            continue
        target = np.asarray(tensors[name])
        if target.dtype.kind != "f" or target.size == 0:
            continue
        parts = [np.asarray(tensors[s]) for s in sources]
        if any(p.shape != target.shape or p.dtype != target.dtype for p in parts):
            continue
        if np.array_equal(add(parts), target):
            recipes[name] = sources
    return recipes


def add(parts: list[np.ndarray]) -> np.ndarray:
    """Left to right, in the parts' own dtype: the model's own additions."""
    total = np.array(parts[0], copy=True)
    for part in parts[1:]:
        np.add(total, part, out=total)
    return total


def check_recipes(value: Any, names: list[str], stored: set[str], where: str) -> dict[str, list[str]]:
    """A file's recipes: every derived tensor listed among the trace's names and not stored, every source stored."""
    if not isinstance(value, dict):
        raise SessionFormatError(f"{where} has malformed derived tensors.")
    listed = set(names)
    recipes: dict[str, list[str]] = {}
    for name, sources in value.items():
        if (not isinstance(sources, list) or not 1 <= len(sources) <= MAX_SOURCES
                or not all(isinstance(s, str) for s in sources)):
            raise SessionFormatError(f"{where} has a malformed recipe for a derived tensor.")
        if name not in listed or name in stored:
            raise SessionFormatError(f"{where} derives {str(name)[:80]}, which it does not list or also stores.")
        if not all(s in stored for s in sources):
            raise SessionFormatError(f"{where} derives {str(name)[:80]} from a tensor it does not store.")
        recipes[name] = list(sources)
    return recipes
