"""What the lens, attribution and patching need from a model, and TinyGPT's answer.

:class:`LensModel` is the whole contract, in TransformerLens hook names: run a forward pass with activations
replaced at hook points (``blocks.{l}.hook_resid_pre``, ``blocks.{l}.hook_attn_out``, ``blocks.{l}.hook_mlp_out``,
``blocks.{l}.attn.hook_z``) and capture others; apply the final norm to a residual, its scale recomputed or frozen;
the unembedding; each head's slice of W_O; and an ablation context. A Hugging Face adapter implements the abstract
methods with forward hooks on its own modules; everything else (components, the lens, attribution, patching) is
written once against this class.
"""
from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import torch
from torch import nn

from lmscope.backend.attention.generate import AblationSpec, ablated, head_ablations, mlp_ablations
from lmscope.backend.errors import BadInputError
from lmscope.backend.models.layers import LayerKV, LayerNorm
from lmscope.backend.models.moe import MoE
from lmscope.backend.models.recorder import Recorder
from lmscope.backend.models.tinygpt import TinyGPT

Edit = Callable[[torch.Tensor], torch.Tensor]  # the activation at a hook point -> what the pass continues with
EDIT_POINTS = ("hook_resid_pre", "hook_attn_out", "hook_mlp_out", "attn.hook_z")
_HOOK = re.compile(r"blocks\.(\d+)\.(hook_resid_pre|hook_attn_out|hook_mlp_out|attn\.hook_z)")
# |Σ components − final residual| / |final residual| above this means the stream is not a sum of its writes
# (post-norm blocks); float32 sums of a few dozen parts stay below 1e-5 on the demo and on GPT-2 shapes.
ADDITIVE_TOLERANCE = 1e-3


def additive_tolerance(dtype: torch.dtype, n_layer: int) -> float:
    """The largest relative |Σ components − final residual| of a pre-norm model run in ``dtype``: every one of its
    2·L residual additions rounds to the dtype (bfloat16 models differ by ~0.4 %, float16 by ~0.05 %, measured on
    tiny GPT-2, Llama, Mixtral and Qwen2-MoE); a post-norm stream misses by tens of percent."""
    eps = torch.finfo(dtype).eps if dtype.is_floating_point else 0.0
    return max(ADDITIVE_TOLERANCE, 2 * eps * (2 * n_layer) ** 0.5)


class Tokenizer(Protocol):
    def encode(self, text: str) -> list[int]: ...

    def token_strings(self, ids: Sequence[int]) -> list[str]: ...

    @property
    def vocab_size(self) -> int: ...


def hook_layer(name: str) -> tuple[int, str]:
    """``blocks.3.hook_attn_out`` -> (3, "hook_attn_out"); a name that is not an edit point is a programming error."""
    match = _HOOK.fullmatch(name)
    if match is None:
        raise ValueError(f"{name!r} is not a hook point the lens can edit ({', '.join(EDIT_POINTS)})")
    return int(match.group(1)), match.group(2)


@dataclass(frozen=True)
class Component:
    """One direct write into the residual stream: embeddings, a head, an attention bias, an MLP or an expert."""

    kind: str  # "embed" | "pos_embed" | "head" | "attn_bias" | "mlp" | "expert" | "shared_expert"
    layer: int = -1  # −1 for the embeddings
    index: int = -1  # the head or expert, −1 otherwise

    @property
    def label(self) -> str:
        if self.kind in ("embed", "pos_embed"):
            return {"embed": "token embedding", "pos_embed": "position embedding"}[self.kind]
        name = {"head": f"H{self.index}", "attn_bias": "attn bias", "mlp": "MLP", "expert": f"expert {self.index}",
                "shared_expert": f"shared expert {self.index}"}[self.kind]
        return f"L{self.layer} {name}"


class LensModel(ABC):
    """A model seen by the lens. Token tensors are (batch, pos) on :attr:`device`; outputs stay on it."""

    tokenizer: Tokenizer
    n_layer: int
    n_head: int
    d_model: int
    # False when one row of a batch changes another's output (an MoE whose experts have a capacity): the patcher
    # then runs one patch per forward pass.
    batch_independent: bool = True
    max_positions: int | None = None  # the longest prompt the model reads (learned positions), None for any

    @property
    @abstractmethod
    def device(self) -> torch.device: ...

    @torch.no_grad()
    def run(self, tokens: torch.Tensor, edits: Mapping[str, Edit] | None = None,
            capture: Sequence[str] = (), position: int | None = None) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Logits (batch, pos, vocab) — or (batch, vocab) at ``position`` only — and the ``capture``d activations,
        with each hook point in ``edits`` replaced by its function's output."""
        rec = Recorder(list(capture)) if capture else None
        position = None if position is None else position % tokens.shape[1]
        with self._editing(edits, position):
            logits = self._forward(tokens, rec)
        return (logits[:, 0] if position is not None else logits), (rec.tensors if rec is not None else {})

    @abstractmethod
    def _forward(self, tokens: torch.Tensor, rec: Recorder | None) -> torch.Tensor:
        """The model's own forward pass to its logits, recording into ``rec``."""

    @contextmanager
    def _editing(self, edits: Mapping[str, Edit] | None, position: int | None) -> Iterator[None]:
        """Hooks for ``edits`` (hook name → function of the activation) and, with ``position``, a pre-hook that
        passes only that position to :meth:`_position_module`; all removed on exit."""
        handles = []
        try:
            for name, fn in (edits or {}).items():
                layer, point = hook_layer(name)
                if not 0 <= layer < self.n_layer:
                    raise ValueError(f"{name}: this model has {self.n_layer} layers")
                handles.append(self._edit_hook(layer, point, fn))
            if position is not None:
                handles.append(self._position_module().register_forward_pre_hook(
                    lambda _m, args: (args[0][:, position:position + 1], *args[1:])))
            yield
        finally:
            for handle in handles:
                handle.remove()

    @abstractmethod
    def _edit_hook(self, layer: int, point: str, fn: Edit) -> Any:  # noqa: ANN401 - a RemovableHandle
        """A hook on ``layer``'s ``point`` (hook_resid_pre, hook_attn_out, hook_mlp_out, attn.hook_z) applying fn."""

    @abstractmethod
    def _position_module(self) -> nn.Module:
        """The module whose input is cut to the measured position (the final norm, or the unembedding)."""

    @abstractmethod
    def final_norm(self, resid: torch.Tensor, scale: torch.Tensor | None = None) -> torch.Tensor:
        """The final norm applied to ``resid`` (…, d_model) with its own scale, or with ``scale`` (…, 1) frozen;
        the identity for a model without one."""

    @abstractmethod
    def final_norm_scale(self, resid: torch.Tensor) -> torch.Tensor | None:
        """The scale σ (…, 1) the final norm divides ``resid`` by, or None without a final norm."""

    @property
    @abstractmethod
    def unembed_weight(self) -> torch.Tensor:
        """W_U as (d_model, vocab)."""

    @property
    def unembed_bias(self) -> torch.Tensor | None:
        return None

    @abstractmethod
    def head_out_weight(self, layer: int) -> torch.Tensor:
        """Each head's slice of W_O as (head, d_head, d_model): head h writes z_h @ W[h] into the stream."""

    def attn_out_bias(self, layer: int) -> torch.Tensor | None:
        return None

    @abstractmethod
    def ablated(self, spec: AblationSpec, tokens: torch.Tensor,
                reference: Sequence[torch.Tensor] | None = None) -> AbstractContextManager[Any]:
        """A context in which ``run`` has ``spec``'s heads and MLPs ablated (mean over ``reference`` if given)."""

    # --- written once for every model ------------------------------------------------------------------------
    def residual_names(self) -> tuple[str, ...]:
        """Every residual point: the stream entering each block, then the last block's output."""
        return (*(f"blocks.{layer}.hook_resid_pre" for layer in range(self.n_layer)),
                f"blocks.{self.n_layer - 1}.hook_resid_post")

    supports_prefix: bool = False  # run_from accepts start > 0

    def run_from(self, layer: int, resid: torch.Tensor, tokens: torch.Tensor,
                 edits: Mapping[str, Edit] | None = None, position: int | None = None, start: int = 0,
                 prefix: Mapping[str, torch.Tensor] | None = None) -> torch.Tensor:
        """Logits of a pass whose stream entering block ``layer`` is ``resid`` (batch, pos − start, d_model) at
        positions start…, earlier positions being those of the run ``prefix`` was captured from (the hooks of
        :meth:`prefix_names`). Edits see positions start… only. A model that can start at a block (and a position)
        skips the work before it; this default replaces the residual in a full pass, so it takes ``start == 0``."""
        if start:
            raise ValueError("this model cannot start a pass after the first position (supports_prefix is False)")
        edits = dict(edits or {})
        name = f"blocks.{layer}.hook_resid_pre"
        inner = edits.get(name)
        edits[name] = (lambda _x: inner(resid)) if inner is not None else (lambda _x: resid)
        return self.run(tokens, edits, position=position)[0]

    def prefix_names(self) -> list[str]:
        """Hook names whose capture lets :meth:`run_from` start at a later position (e.g. each layer's K and V)."""
        return []

    def encode(self, text: str) -> list[int]:
        return list(self.tokenizer.encode(text))

    def encode_token(self, text: str) -> list[int]:
        """A target or distractor as typed: a tokenizer that adds special tokens to prompts adds none here."""
        return self.encode(text)

    def token_strings(self, ids: Sequence[int]) -> list[str]:
        return list(self.tokenizer.token_strings([int(i) for i in ids]))

    def tokens(self, ids: Sequence[int] | torch.Tensor) -> torch.Tensor:
        """Token ids as a (1, pos) batch on the model's device."""
        t = torch.as_tensor(ids, dtype=torch.long, device=self.device)
        return t[None] if t.dim() == 1 else t

    def component_outputs(self, tokens: torch.Tensor) -> tuple[list[Component], torch.Tensor, torch.Tensor]:
        """Every direct write into the residual stream of the first sequence, stacked (component, pos, d_model),
        and the final residual they sum to. Refused for a stream that is not their sum (post-norm blocks)."""
        L = self.n_layer
        names = ["hook_embed", "hook_pos_embed", f"blocks.{L - 1}.hook_resid_post"]
        for layer in range(L):
            names += [f"blocks.{layer}.attn.hook_z", f"blocks.{layer}.hook_mlp_out"]
        names += self.ffn_capture_names()
        _, cap = self.run(tokens[:1], capture=names)
        parts: list[Component] = []
        outputs: list[torch.Tensor] = []
        for kind, name in (("embed", "hook_embed"), ("pos_embed", "hook_pos_embed")):
            if name in cap:
                parts.append(Component(kind))
                outputs.append(cap[name][0])
        for layer in range(L):
            z = cap[f"blocks.{layer}.attn.hook_z"][0]  # (pos, head, d_head)
            heads = torch.einsum("phd,hdm->hpm", z, self.head_out_weight(layer).to(z.dtype))
            parts += [Component("head", layer, h) for h in range(heads.shape[0])]
            outputs += list(heads)
            bias = self.attn_out_bias(layer)
            if bias is not None:
                parts.append(Component("attn_bias", layer))
                outputs.append(bias.to(z.dtype).expand(z.shape[0], -1))
            for part, out in self.ffn_components(layer, cap):
                parts.append(part)
                outputs.append(out)
        stacked = torch.stack(outputs)
        final = cap[f"blocks.{L - 1}.hook_resid_post"][0]
        error = float((stacked.double().sum(0) - final.double()).norm() / final.double().norm().clamp_min(1e-12))
        if error > additive_tolerance(final.dtype, L):
            raise BadInputError("This model's residual stream is not the sum of its heads' and MLPs' outputs "
                                f"(they differ by {error:.0%}: its blocks normalise the stream after each sublayer), "
                                "so direct logit attribution does not apply; use patching instead.")
        return parts, stacked, final

    def ffn_capture_names(self) -> list[str]:
        """Extra hook names :meth:`ffn_components` reads (none for a dense MLP)."""
        return []

    def ffn_components(self, layer: int, cap: Mapping[str, torch.Tensor]) -> list[tuple[Component, torch.Tensor]]:
        """The feed-forward layer's writes: the whole MLP by default; a mixture of experts splits it by expert."""
        return [(Component("mlp", layer), cap[f"blocks.{layer}.hook_mlp_out"][0])]


class TinyGPTLens(LensModel):
    """TinyGPT through torch forward hooks on its blocks, attention, W_O and feed-forward modules.

    An edit of ``attn.hook_z`` is applied on the way into W_O, after the model records ``hook_z``: a capture of
    ``hook_z`` in an edited pass shows the unedited z.
    """

    def __init__(self, model: TinyGPT, tokenizer: Tokenizer) -> None:
        cfg = model.cfg
        self.model, self.tokenizer = model.eval(), tokenizer
        self.n_layer, self.n_head, self.d_model = cfg.n_layer, cfg.n_head, cfg.d_model
        self.d_head = cfg.d_head
        # Capacity is counted over every token of the batch, so a patched row could push another's token out.
        self.batch_independent = not (cfg.ffn == "moe" and cfg.capacity_factor > 0)
        self.max_positions = cfg.n_ctx if cfg.pos == "learned" else None
        # Latent attention caches c_KV, not per-head keys and values, and expert capacity counts the tokens of the
        # pass: both need every position in the pass.
        self.supports_prefix = cfg.attention != "mla" and self.batch_independent

    @property
    def device(self) -> torch.device:
        return self.model.device

    # --- forward passes with edits ---------------------------------------------------------------------------
    def _position_module(self) -> nn.Module:
        # Only the measured position is normed and unembedded (the unembedding is ~30 % of a GPT-2 small forward
        # pass at 20 tokens).
        return self.model.ln_final if self.model.ln_final is not None else self.model.unembed

    def _edit_hook(self, layer: int, point: str, fn: Edit) -> Any:  # noqa: ANN401 - a RemovableHandle
        block = self.model.blocks[layer]
        if point == "hook_resid_pre":
            return block.register_forward_pre_hook(lambda _m, args: (fn(args[0]), *args[1:]))
        if point == "hook_attn_out":
            return block.attn.register_forward_hook(lambda _m, _args, out: fn(out))
        if point == "hook_mlp_out":
            return block.ffn.register_forward_hook(lambda _m, _args, out: fn(out))
        n_head, d_head = self.n_head, self.d_head

        def edit_z(_m: nn.Module, args: tuple) -> tuple:
            flat = args[0]
            z = fn(flat.reshape(*flat.shape[:-1], n_head, d_head))
            return (z.reshape(flat.shape), *args[1:])

        return block.attn.W_O.register_forward_pre_hook(edit_z)

    def _forward(self, tokens: torch.Tensor, rec: Recorder | None) -> torch.Tensor:
        return self.model(tokens, rec=rec)

    def prefix_names(self) -> list[str]:
        k = "hook_rot_k" if self.model.cfg.pos == "rope" else "hook_k"  # the cache holds keys after RoPE
        return [f"blocks.{layer}.attn.{name}" for layer in range(self.n_layer) for name in (k, "hook_v")]

    @torch.no_grad()
    def run_from(self, layer: int, resid: torch.Tensor, tokens: torch.Tensor,
                 edits: Mapping[str, Edit] | None = None, position: int | None = None, start: int = 0,
                 prefix: Mapping[str, torch.Tensor] | None = None) -> torch.Tensor:
        """Blocks ``layer``… on positions ``start``… only, reading earlier positions' keys and values from
        ``prefix`` as decoding reads its KV cache: the work before would recompute exactly those."""
        T, B = tokens.shape[1], resid.shape[0]
        # RoPE angles of positions start… (and the n_ctx check); the embedding lookup itself is discarded.
        _, rope = self.model.embed_input(tokens[:1, start:], start=start)
        local = None if position is None else position % T - start
        if local is not None and local < 0:
            raise ValueError(f"position {position} is before the pass's first position {start}")
        k_name = "hook_rot_k" if self.model.cfg.pos == "rope" else "hook_k"
        x = resid
        with self._editing(edits, local):
            for i in range(layer, self.n_layer):
                kv = None
                if start:
                    assert prefix is not None
                    k, v = prefix[f"blocks.{i}.attn.{k_name}"], prefix[f"blocks.{i}.attn.hook_v"]
                    kv = LayerKV()
                    kv.k, kv.v = k[:, :start].expand(B, -1, -1, -1), v[:, :start].expand(B, -1, -1, -1)
                x = self.model.blocks[i](x, None, rope, None, f"blocks.{i}.", kv=kv)
            logits = self.model.unembed_output(x)
        return logits[:, 0] if position is not None else logits

    # --- the final norm and the unembedding ------------------------------------------------------------------
    def final_norm(self, resid: torch.Tensor, scale: torch.Tensor | None = None) -> torch.Tensor:
        ln = self.model.ln_final
        if ln is None:
            return resid
        if scale is None:
            return ln(resid)
        centred = resid - resid.mean(-1, keepdim=True) if isinstance(ln, LayerNorm) else resid
        out = centred / scale * ln.weight
        return out + ln.bias if isinstance(ln, LayerNorm) else out

    def final_norm_scale(self, resid: torch.Tensor) -> torch.Tensor | None:
        ln = self.model.ln_final
        if ln is None:
            return None
        rec = Recorder(["hook_scale"])
        ln(resid, rec, "")
        return rec.tensors["hook_scale"]

    @property
    def unembed_weight(self) -> torch.Tensor:
        return self.model.unembed.weight.T

    def head_out_weight(self, layer: int) -> torch.Tensor:
        w = self.model.blocks[layer].attn.W_O.weight  # (d_model, head·d_head)
        return w.T.reshape(self.n_head, self.d_head, self.d_model)

    def attn_out_bias(self, layer: int) -> torch.Tensor | None:
        return self.model.blocks[layer].attn.W_O.bias

    # --- mixture of experts: one component per expert ----------------------------------------------------------
    def ffn_capture_names(self) -> list[str]:
        names = []
        for layer, block in enumerate(self.model.blocks):
            if isinstance(block.ffn, MoE):
                p = f"blocks.{layer}."
                names += [p + "hook_resid_mid", p + "moe.hook_topk_indices", p + "moe.hook_topk_weights",
                          p + "moe.hook_dropped"]
        return names

    @torch.no_grad()
    def ffn_components(self, layer: int, cap: Mapping[str, torch.Tensor]) -> list[tuple[Component, torch.Tensor]]:
        block = self.model.blocks[layer]
        if not isinstance(block.ffn, MoE) or not block.pre_norm:
            return super().ffn_components(layer, cap)
        p = f"blocks.{layer}."
        x = block.ln2(cap[p + "hook_resid_mid"][0])  # what the router and the experts read, (pos, d_model)
        idx, weights = cap[p + "moe.hook_topk_indices"][0], cap[p + "moe.hook_topk_weights"][0]
        kept = ~cap[p + "moe.hook_dropped"][0]
        parts = []
        for e, expert in enumerate(block.ffn.experts):
            gate = (weights * ((idx == e) & kept)).sum(-1, keepdim=True)  # the token's weight on expert e, or 0
            parts.append((Component("expert", layer, e), expert(x) * gate))
        parts += [(Component("shared_expert", layer, s), expert(x)) for s, expert in enumerate(block.ffn.shared)]
        return parts

    # --- ablation: the attention tools' own (backend/attention/generate.py) ---------------------------------------
    @contextmanager
    def ablated(self, spec: AblationSpec, tokens: torch.Tensor,
                reference: Sequence[torch.Tensor] | None = None) -> Iterator[None]:
        heads = head_ablations(self.model, spec, tokens, reference)
        mlps = mlp_ablations(self.model, spec, tokens, reference)
        with ablated(self.model, heads, mlps):
            yield


def lens_model(loaded: Any) -> LensModel:  # noqa: ANN401 - a LoadedModel (TinyGPT or Hugging Face)
    """The lens's view of a loaded model: TinyGPT, or a Hugging Face decoder (backend/lens/hf.py)."""
    if isinstance(loaded.model, TinyGPT):
        return TinyGPTLens(loaded.model, loaded.tokenizer)
    if getattr(getattr(loaded.model, "cfg", None), "kind", None) == "hf":
        from lmscope.backend.lens.hf import HFLens  # transformers is the optional `hf` extra

        return HFLens(loaded.model, loaded.tokenizer)
    raise BadInputError(f"The lens does not know how to run a {type(loaded.model).__name__}; open a TinyGPT "
                        "model (such as the demo) or a Hugging Face decoder.")


def check_prompt(lm: LensModel, ids: Sequence[int], what: str = "prompt") -> None:
    if len(ids) == 0:
        raise BadInputError(f"The {what} is empty; type some text to run through the model.")
    if lm.max_positions is not None and len(ids) > lm.max_positions:
        raise BadInputError(f"The {what} has {len(ids)} tokens; this model reads at most {lm.max_positions}.")


def parse_token(lm: LensModel, text: str, what: str = "token") -> int:
    """A token given as text that the tokenizer encodes to exactly one token, or as ``#ID``."""
    vocab = lm.tokenizer.vocab_size
    if text.startswith("#") and len(text) > 1:
        digits = text[1:]
        if not digits.isdigit():
            raise BadInputError(f"The {what} {text!r} is neither one token nor #ID with a whole number.")
        token = int(digits)
        if token >= vocab:
            raise BadInputError(f"The {what} {text} is not a token id of this model (its vocabulary has {vocab:,}).")
        return token
    ids = lm.encode_token(text)
    if len(ids) != 1:
        raise BadInputError(f"The {what} {text!r} is {len(ids)} tokens for this model's tokenizer; give exactly "
                            "one token, or #ID.")
    unk = getattr(lm.tokenizer, "unk_id", None)
    unk_text = getattr(lm.tokenizer, "unk", None) or getattr(lm.tokenizer, "special_tokens", {}).get("unk_token")
    if unk is not None and ids[0] == unk and text != unk_text:
        raise BadInputError(f"The {what} {text!r} is not in this model's vocabulary (it becomes the unknown token).")
    return int(ids[0])
