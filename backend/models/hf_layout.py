"""Where each TransformerLens-style hook sits in a Hugging Face model: one table of module paths per family.

The adapter (``hf_adapter.py``) is the same for every architecture; only these paths differ. Paths are relative
to the base model (``model.base_model``: GPT-2's ``transformer``, Llama's ``model``, BERT's ``bert``) and, inside a
block, relative to the block. A part that a block lacks (a dense layer of a Qwen2-MoE model has no router) is
skipped, so one layout serves dense and MoE layers alike.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BlockParts:
    ln1: str  # the norm before attention (pre-norm); after attention + residual (post-norm, BERT)
    ln2: str  # the norm before the MLP (pre-norm); after the MLP + residual (post-norm)
    attn: str  # the module handed to the attention function (it owns q/k/v)
    o: str  # attention's output projection W_O: its input is z, its output is hook_attn_out
    q: str = ""  # separate q/k/v projections (their outputs, before RoPE) …
    k: str = ""
    v: str = ""
    qkv: str = ""  # … or one fused projection (GPT-2's c_attn), split in three
    mlp_in: str = ""  # W_in (or SwiGLU's gate projection): its output is hook_pre
    mlp_up: str = ""  # SwiGLU's up projection: hook_pre_linear
    mlp_out: str = ""  # W_out: its input is hook_post, its output hook_mlp_out
    moe: str = ""  # the whole mixture-of-experts block: its output is hook_mlp_out
    router: str = ""  # returns (router logits, top-k weights, top-k indices), flattened over tokens
    shared_gate: str = ""  # Qwen2-MoE's sigmoid gate on its shared expert


@dataclass(frozen=True)
class Layout:
    layers: str
    embed: str
    block: BlockParts
    pos_embed: str = ""
    token_type_embed: str = ""
    final_norm: str = ""
    post_norm: bool = False


_DECODER_BLOCK = BlockParts(
    ln1="input_layernorm", ln2="post_attention_layernorm", attn="self_attn", o="self_attn.o_proj",
    q="self_attn.q_proj", k="self_attn.k_proj", v="self_attn.v_proj",
    mlp_in="mlp.gate_proj", mlp_up="mlp.up_proj", mlp_out="mlp.down_proj",
    moe="mlp", router="mlp.gate", shared_gate="mlp.shared_expert_gate",
)
_DECODER = Layout(layers="layers", embed="embed_tokens", final_norm="norm", block=_DECODER_BLOCK)

LAYOUTS: dict[str, Layout] = {
    "gpt2": Layout(
        layers="h", embed="wte", pos_embed="wpe", final_norm="ln_f",
        block=BlockParts(ln1="ln_1", ln2="ln_2", attn="attn", o="attn.c_proj", qkv="attn.c_attn",
                         mlp_in="mlp.c_fc", mlp_out="mlp.c_proj"),
    ),
    "llama": _DECODER,
    "qwen2": _DECODER,
    "mixtral": _DECODER,
    "qwen2_moe": _DECODER,
    "bert": Layout(
        layers="encoder.layer", embed="embeddings.word_embeddings", pos_embed="embeddings.position_embeddings",
        token_type_embed="embeddings.token_type_embeddings", post_norm=True,
        block=BlockParts(ln1="attention.output.LayerNorm", ln2="output.LayerNorm", attn="attention.self",
                         o="attention.output.dense", q="attention.self.query", k="attention.self.key",
                         v="attention.self.value", mlp_in="intermediate.dense", mlp_out="output.dense"),
    ),
}
