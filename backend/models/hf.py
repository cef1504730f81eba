"""Hugging Face models from a local folder: loaded offline, described in our terms, captured under our hook names.

``load_hf(folder)`` checks the folder (``hf_config``), validates the config's sizes, builds the model on the meta
device to compare its parameter count with the weights (a hostile config cannot make us allocate more than the
files hold), then loads it with ``local_files_only``, ``trust_remote_code=False`` and safetensors (``.bin`` only
through ``weights_only=True``), in eager attention so that patterns exist. :class:`HFModel` wraps the result as a
``torch.nn.Module`` with TinyGPT's calling convention — ``model(tokens, allowed=None, rec=None)`` → logits — and a
``cfg`` that is a :class:`~lmscope.backend.models.description.ModelDescription`, so ``capture()`` runs it as is.
"""
from __future__ import annotations

import os

# The offline switches, before transformers or huggingface_hub read them: a model folder never reaches the network.
for _switch in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE", "HF_HUB_DISABLE_TELEMETRY"):
    os.environ[_switch] = "1"

import pickle  # noqa: E402
import tempfile  # noqa: E402
from contextlib import nullcontext  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import torch  # noqa: E402
import transformers  # noqa: E402
from torch import nn  # noqa: E402
from transformers import AutoConfig, AutoModel, AutoModelForCausalLM, AutoModelForMaskedLM  # noqa: E402

from lmscope.backend.errors import BadInputError, ModelLoadError  # noqa: E402
from lmscope.backend.models.description import ModelDescription  # noqa: E402
from lmscope.backend.models.hf_adapter import ATTN_IMPLEMENTATION, HookAdapter, attention_mask_4d  # noqa: E402
from lmscope.backend.models.hf_config import CONFIG, FolderCheck, check_folder  # noqa: E402
from lmscope.backend.models.hf_layout import LAYOUTS  # noqa: E402
from lmscope.backend.models.hf_tokenizer import HFTokenizer  # noqa: E402
from lmscope.backend.models.recorder import Recorder  # noqa: E402

transformers.utils.logging.disable_progress_bar()

# Upper bounds far above any released model (Llama-3-405B: d=16,384, 126 layers, 128 heads, vocab 128,256);
# a config past them is damaged or hostile, and is refused before anything is built.
LIMITS: dict[str, int] = {
    "vocab_size": 4_000_000, "hidden_size": 65_536, "num_hidden_layers": 1_024, "num_attention_heads": 1_024,
    "num_key_value_heads": 1_024, "intermediate_size": 1_048_576, "max_position_embeddings": 16_777_216,
    "head_dim": 4_096, "num_local_experts": 4_096, "num_experts": 4_096, "num_experts_per_tok": 4_096,
    "moe_intermediate_size": 1_048_576, "shared_expert_intermediate_size": 1_048_576, "type_vocab_size": 1_024,
}
DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}


class HFModel(nn.Module):
    """A loaded Hugging Face model with TinyGPT's calling convention and a :class:`ModelDescription` as ``cfg``."""

    def __init__(self, hf_model: nn.Module, description: ModelDescription, input_device: torch.device,
                 offload: tempfile.TemporaryDirectory | None = None) -> None:
        super().__init__()
        self.hf = hf_model
        self.cfg = description
        self._input_device = input_device
        self._offload = offload  # kept alive as long as the model: disk-offloaded weights live there
        dispatched = getattr(hf_model, "hf_device_map", None) is not None
        self.adapter = HookAdapter(hf_model, LAYOUTS[description.family], description.d_head,
                                   rope=description.pos == "rope", to_cpu=dispatched)
        self.eval()  # a new Module is in training mode; capture() restores whatever mode it found

    @property
    def device(self) -> torch.device:
        """Where token ids go in (the embedding's device; with a device map, accelerate moves the rest)."""
        return self._input_device

    @property
    def dtype(self) -> torch.dtype:
        return DTYPES[self.cfg.dtype]

    def n_params(self) -> int:
        return self.cfg.n_params

    def forward(self, tokens: torch.Tensor, allowed: torch.Tensor | None = None, rec: Recorder | None = None,
                padding_mask: torch.Tensor | None = None) -> torch.Tensor:
        """Logits (batch, pos, vocab) for token ids (batch, pos); an encoder without its LM head gives its last
        hidden state instead. ``allowed`` (bool, broadcastable to (batch, head, query, key), True = may attend)
        replaces the model's own mask; ``padding_mask`` (batch, pos), 1 for real tokens, is the usual HF mask."""
        if tokens.dim() != 2:
            raise BadInputError(f"Token ids must be a (batch, position) array, not shape {tuple(tokens.shape)}.")
        batch, pos = tokens.shape
        if self.cfg.pos == "learned" and pos > self.cfg.n_ctx:
            raise BadInputError(f"The prompt has {pos} tokens; this model's learned positions stop at "
                                f"{self.cfg.n_ctx}. Shorten it.")
        kwargs: dict[str, Any] = {}
        if allowed is not None:
            kwargs["attention_mask"] = attention_mask_4d(allowed.to(self.device), batch, pos, self.dtype)
        elif padding_mask is not None:
            kwargs["attention_mask"] = torch.as_tensor(padding_mask, device=self.device).long()
        if self.cfg.causal:
            kwargs["use_cache"] = False
        capturing = self.adapter.capturing(rec, batch, pos) if rec is not None else nullcontext()
        with capturing:
            out = self.hf(input_ids=tokens.to(self.device), **kwargs)
        return out.logits if self.cfg.has_logits else out.last_hidden_state


def load_hf(folder: str | Path, device: torch.device | str = "cpu", *, dtype: str = "auto",
            device_map: str | dict | None = None, max_memory: dict | None = None,
            offload_dir: str | Path | None = None) -> tuple[HFModel, HFTokenizer]:
    """Load a Hugging Face model folder offline; every failure is a ModelLoadError with one sentence.

    ``dtype``: auto (float32 on the CPU; on CUDA the checkpoint's half dtype, bfloat16 for a float32 one), or
    float32 / bfloat16 / float16. ``device_map`` (e.g. "auto") dispatches layers over GPUs, CPU and disk through
    accelerate; ``max_memory`` caps each device (``{"cpu": "200MB"}`` forces the rest onto disk in
    ``offload_dir``, a temporary folder by default).
    """
    check = check_folder(folder)
    config = _read_config(check)
    auto_class, has_logits = _model_class(config, check.family)
    n_params = _check_against_weights(check, config, auto_class)
    device = torch.device(device)
    torch_dtype = _pick_dtype(dtype, check.checkpoint_dtype, device, device_map)
    offload = None
    options: dict[str, Any] = {}
    if device_map is not None:
        if offload_dir is None:
            offload = tempfile.TemporaryDirectory(prefix="lmscope-offload-")
            offload_dir = offload.name
        options.update(device_map=device_map, max_memory=max_memory, offload_folder=str(offload_dir))
    try:
        model, info = auto_class.from_pretrained(
            str(check.folder), config=config, local_files_only=True, trust_remote_code=False, dtype=torch_dtype,
            attn_implementation=ATTN_IMPLEMENTATION, use_safetensors=check.weights_kind == "safetensors",
            weights_only=True, output_loading_info=True, **options)
    except ModelLoadError:
        raise
    except pickle.UnpicklingError as exc:
        raise ModelLoadError(f"{check.weights[0].path.name} holds Python objects besides tensors, and lmscope reads "
                             ".bin weights only with weights_only=True; convert the folder to safetensors.") from exc
    except Exception as exc:  # noqa: BLE001  loaders raise anything from OSError to RuntimeError
        raise ModelLoadError(f"{check.folder.name} could not be loaded ({type(exc).__name__}: "
                             f"{_first_line(exc)}).") from exc
    problems = [(k, v) for k, v in info.items() if k in ("missing_keys", "mismatched_keys", "error_msgs") and v]
    if problems:
        what, keys = problems[0]
        shown = ", ".join(str(k) for k in list(keys)[:3])
        raise ModelLoadError(f"The weights in {check.folder.name} do not fit its {CONFIG} "
                             f"({what.replace('_', ' ')}: {shown}).")
    model.eval()
    if device_map is None:
        model.to(device)
        input_device = device
    else:
        input_device = _input_device(model)
    tokenizer = HFTokenizer.from_folder(check.folder, n_vocab=int(config.vocab_size), files=check.tokenizer_files)
    description = describe_hf(check, config, model, has_logits, n_params, str(torch_dtype).removeprefix("torch."))
    return HFModel(model, description, input_device, offload), tokenizer


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else "no message"


def _read_config(check: FolderCheck) -> Any:
    try:
        config = AutoConfig.from_pretrained(str(check.folder), local_files_only=True, trust_remote_code=False)
    except Exception as exc:  # noqa: BLE001
        raise ModelLoadError(f"{check.folder.name}/{CONFIG} is not a usable {check.model_type} config "
                             f"({type(exc).__name__}: {_first_line(exc)}).") from exc
    validate_sizes(config)
    return config


def validate_sizes(config: Any) -> None:
    """Every size a whole number within LIMITS, heads dividing the width, KV heads dividing heads."""
    for name, limit in LIMITS.items():
        value = getattr(config, name, None)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= limit:
            shown = getattr(config, "attribute_map", {}).get(name, name)  # GPT-2 writes n_embd for hidden_size
            raise ModelLoadError(f"{CONFIG}: {shown} is {value!r}; it must be a whole number from 1 to {limit:,}.")
    heads = config.num_attention_heads
    kv = getattr(config, "num_key_value_heads", None) or heads
    if getattr(config, "head_dim", None) is None and config.hidden_size % heads:
        raise ModelLoadError(f"{CONFIG}: {heads} attention heads do not divide hidden_size {config.hidden_size}.")
    if heads % kv:
        raise ModelLoadError(f"{CONFIG}: {kv} key/value heads do not divide {heads} attention heads.")
    experts = getattr(config, "num_local_experts", None) or getattr(config, "num_experts", None)
    top_k = getattr(config, "num_experts_per_tok", None)
    if experts and top_k and top_k > experts:
        raise ModelLoadError(f"{CONFIG}: top-k ({top_k}) is larger than the number of experts ({experts}).")


def _model_class(config: Any, family: str) -> tuple[Any, bool]:
    """Which Auto class to build, and whether it ends in logits: the language-model head when the folder has one."""
    arch = (getattr(config, "architectures", None) or [""])[0]
    if family == "bert":
        if arch.endswith(("ForMaskedLM", "ForPreTraining")):
            return AutoModelForMaskedLM, True
        return AutoModel, False  # BertModel, sentence encoders: no head in the weights
    if arch.endswith("Model") and not getattr(config, "tie_word_embeddings", False):
        return AutoModel, False  # a bare decoder whose untied head is not in the folder
    return AutoModelForCausalLM, True


def _check_against_weights(check: FolderCheck, config: Any, auto_class: Any) -> int:
    """Build on the meta device (no memory) and compare the parameter count with what the weight files hold."""
    try:
        with torch.device("meta"):
            meta = auto_class.from_config(config, attn_implementation=ATTN_IMPLEMENTATION)
    except Exception as exc:  # noqa: BLE001
        raise ModelLoadError(f"{check.folder.name}/{CONFIG} does not describe a buildable model "
                             f"({type(exc).__name__}: {_first_line(exc)}).") from exc
    n_params = sum(p.numel() for p in meta.parameters())
    in_files = sum(w.numel for w in check.weights)
    if check.weights_kind == "safetensors" and n_params > in_files * 1.01 + 4096:
        raise ModelLoadError(f"{CONFIG} describes a model of {n_params:,} parameters but the weights hold "
                             f"{in_files:,}; they do not belong together.")
    expected = {name: tuple(t.shape) for name, t in meta.state_dict().items()}
    prefix = meta.base_model_prefix + "."
    for weights in check.weights:
        for name, shape in weights.shapes.items():
            # Checkpoints name tensors with or without the base model's prefix (GPT-2's "transformer.");
            # names transformers converts on loading (Mixtral's per-expert w1/w2/w3) are left to the loader.
            known = next((n for n in (name, prefix + name, name.removeprefix(prefix)) if n in expected), None)
            if known is not None and expected[known] != shape:
                raise ModelLoadError(f"The weights in {check.folder.name} do not fit its {CONFIG}: {name} is "
                                     f"{list(shape)}, the config needs {list(expected[known])}.")
    return n_params


def _pick_dtype(dtype: str, checkpoint: str, device: torch.device, device_map: Any) -> torch.dtype:
    if dtype != "auto":
        if dtype not in DTYPES:
            raise BadInputError(f"dtype must be auto, {', '.join(DTYPES)}; not {dtype!r}.")
        return DTYPES[dtype]
    on_gpu = device.type == "cuda" or (device_map is not None and torch.cuda.is_available())
    if not on_gpu:
        return torch.float32  # half precision on a CPU is slow and rounds our numbers
    if checkpoint in ("bfloat16", "float16"):
        return DTYPES[checkpoint]
    return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16


def _input_device(model: nn.Module) -> torch.device:
    """The execution device of the embedding under a device map (disk and CPU offload compute on the CPU)."""
    where = getattr(model, "hf_device_map", None)
    embed = model.get_input_embeddings()
    if not where:  # everything fitted on one device: transformers placed the model there and kept no map
        return embed.weight.device
    names = {id(m): n for n, m in model.named_modules()}
    name = names.get(id(embed), "")
    best = max((k for k in where if k == "" or name == k or name.startswith(k + ".")), key=len, default="")
    place = where.get(best, "cpu")
    if isinstance(place, int):
        return torch.device("cuda", place)
    return torch.device("cpu") if place in ("cpu", "disk") else torch.device(place)


def describe_hf(check: FolderCheck, config: Any, model: nn.Module, has_logits: bool, n_params: int,
                dtype: str) -> ModelDescription:
    family = check.family
    heads = int(config.num_attention_heads)
    d_model = int(config.hidden_size)
    d_head = int(getattr(config, "head_dim", None) or d_model // heads)
    adapter = HookAdapter(model, LAYOUTS[family], d_head, rope=False)
    moe_layers = tuple(layer for layer in range(len(adapter.blocks)) if adapter.is_moe(layer))
    n_experts = int(getattr(config, "num_local_experts", None) or getattr(config, "num_experts", None) or 0)
    shared = int(getattr(config, "shared_expert_intermediate_size", 0) or 0) > 0 and family == "qwen2_moe"
    act = str(getattr(config, "hidden_act", None) or getattr(config, "activation_function", "gelu"))
    gated = family in ("llama", "qwen2", "mixtral", "qwen2_moe")
    if gated:
        act = "swiglu" if act in ("silu", "swish") else f"{act}-glu"
    d_mlp = getattr(config, "moe_intermediate_size", None) if family == "qwen2_moe" else None
    d_mlp = d_mlp or getattr(config, "intermediate_size", None) or getattr(config, "n_inner", None) or 4 * d_model
    rope = getattr(config, "rope_parameters", None) or {}
    decoder = family != "bert" or bool(getattr(config, "is_decoder", False))
    return ModelDescription(
        kind="hf", architecture=type(model).__name__, family=family, vocab_size=int(config.vocab_size),
        n_ctx=int(getattr(config, "max_position_embeddings", 0) or 0), d_model=d_model,
        n_layer=int(config.num_hidden_layers), n_head=heads,
        n_kv_head=int(getattr(config, "num_key_value_heads", None) or heads), d_head=d_head, d_mlp=int(d_mlp),
        causal=decoder, norm="layernorm" if family in ("gpt2", "bert") else "rmsnorm",
        norm_placement="post" if family == "bert" else "pre",
        norm_eps=float(getattr(config, "layer_norm_epsilon", None) or getattr(config, "layer_norm_eps", None)
                       or getattr(config, "rms_norm_eps", None) or 1e-5),
        pos="learned" if family in ("gpt2", "bert") else "rope",
        rope_base=float(rope.get("rope_theta", 0.0) if isinstance(rope, dict) else 0.0), act=act,
        ffn="moe" if moe_layers else "dense", n_experts=n_experts if moe_layers else 0,
        top_k=int(getattr(config, "num_experts_per_tok", 0) or 0) if moe_layers else 0, n_shared=int(shared),
        moe_layers=moe_layers, tie_embeddings=bool(getattr(config, "tie_word_embeddings", False)),
        has_logits=has_logits, dtype=dtype, n_params=n_params,
        source={"folder": str(check.folder), "name": check.folder.name, "model_type": check.model_type,
                "architectures": list(getattr(config, "architectures", None) or []),
                "tokenizer_files": list(check.tokenizer_files),
                "weights": [w.path.name for w in check.weights], "weights_bytes": check.weights_bytes,
                "checkpoint_dtype": check.checkpoint_dtype, "hf_config": check.raw_config,
                "device_map": {k: str(v) for k, v in (getattr(model, "hf_device_map", None) or {}).items()}},
    )
