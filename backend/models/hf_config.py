"""Checks on a Hugging Face model folder before anything is built from it: plain files and JSON, no transformers.

A folder must hold ``config.json`` (a supported ``model_type``, no ``auto_map``: lmscope never runs code shipped in
a model folder), weights (``*.safetensors``, or ``*.bin`` read only through ``torch.load(weights_only=True)``) and
``tokenizer.json``. Safetensors headers are read and checked against the files' sizes, so a truncated download is
named here rather than failing deep inside a loader. Every problem is one :class:`ModelLoadError` sentence.
"""
from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lmscope.backend.errors import ModelLoadError

CONFIG, TOKENIZER, TOKENIZER_CONFIG = "config.json", "tokenizer.json", "tokenizer_config.json"
SAFE_INDEX, BIN_INDEX = "model.safetensors.index.json", "pytorch_model.bin.index.json"

# model_type -> (family, what people call it). The adapter (hf_layout.py) has one layout per family.
SUPPORTED: dict[str, tuple[str, str]] = {
    "gpt2": ("gpt2", "GPT-2"),
    "llama": ("llama", "Llama"),
    "qwen2": ("qwen2", "Qwen2"),
    "bert": ("bert", "BERT"),
    "mixtral": ("mixtral", "Mixtral"),
    "qwen2_moe": ("qwen2_moe", "Qwen2-MoE"),
}
SUPPORTED_TEXT = ", ".join(f"{name} ({model_type})" for model_type, (_, name) in SUPPORTED.items())

# A config.json of a real model is a few kB (Qwen2's is 1.3 kB); anything this large is not one.
MAX_CONFIG_BYTES = 1 << 20
# Safetensors headers of real checkpoints are well under 1 MB (Mixtral 8x7B: ~70 kB per shard).
MAX_HEADER_BYTES = 100 << 20
DTYPE_NAMES = {"F64": "float64", "F32": "float32", "F16": "float16", "BF16": "bfloat16", "I64": "int64",
               "I32": "int32", "I16": "int16", "I8": "int8", "U8": "uint8", "BOOL": "bool"}


@dataclass(frozen=True)
class WeightFile:
    path: Path
    kind: str  # "safetensors" or "bin"
    numel: int  # elements of all tensors in it (0 for .bin, whose header is a pickle we do not read here)
    dtype_numel: dict[str, int]  # dtype name -> elements, for the checkpoint's dtype
    shapes: dict[str, tuple[int, ...]]  # tensor name -> shape


@dataclass(frozen=True)
class FolderCheck:
    folder: Path
    raw_config: dict[str, Any]
    model_type: str
    family: str
    weights: tuple[WeightFile, ...]
    tokenizer_files: tuple[str, ...]

    @property
    def weights_kind(self) -> str:
        return self.weights[0].kind

    @property
    def weights_bytes(self) -> int:
        return sum(w.path.stat().st_size for w in self.weights)

    @property
    def checkpoint_dtype(self) -> str:
        """The floating dtype holding most of the weights (float32 when unknown, e.g. for .bin files)."""
        counts: dict[str, int] = {}
        for w in self.weights:
            for dtype, n in w.dtype_numel.items():
                if dtype in ("float32", "float16", "bfloat16", "float64"):
                    counts[dtype] = counts.get(dtype, 0) + n
        return max(counts, key=counts.__getitem__) if counts else "float32"


def read_json(path: Path, what: str, limit: int = MAX_CONFIG_BYTES) -> Any:
    size = path.stat().st_size
    if size > limit:
        raise ModelLoadError(f"{path.name} is {size:,} bytes, far larger than any {what}; it is not one.")
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ModelLoadError(f"{path.name} is not valid JSON ({exc.msg} at line {exc.lineno}).") from exc


def check_folder(folder: str | Path) -> FolderCheck:
    """Everything that can be checked without building a model; raises ModelLoadError with one sentence."""
    folder = Path(folder).expanduser()
    if not folder.exists():
        raise ModelLoadError(f"{folder} does not exist.")
    if not folder.is_dir():
        raise ModelLoadError(f"{folder} is a file, not a model folder; choose the folder that holds {CONFIG}.")
    if not (folder / CONFIG).is_file():
        raise ModelLoadError(f"{folder} has no {CONFIG}; a Hugging Face model folder holds {CONFIG}, "
                             f"the weights (*.safetensors) and {TOKENIZER}.")
    raw = read_json(folder / CONFIG, "model config")
    if not isinstance(raw, dict):
        raise ModelLoadError(f"{CONFIG} must hold a JSON object, not {type(raw).__name__}.")
    refuse_remote_code(folder, raw)
    model_type = raw.get("model_type")
    if not isinstance(model_type, str) or not model_type:
        raise ModelLoadError(f"{CONFIG} names no model_type, so the architecture is unknown; supported: "
                             f"{SUPPORTED_TEXT}.")
    if model_type not in SUPPORTED:
        arch = raw.get("architectures")
        shown = arch[0] if isinstance(arch, list) and arch and isinstance(arch[0], str) else model_type
        raise ModelLoadError(f"architecture {shown} ({model_type}) is not supported yet; supported: "
                             f"{SUPPORTED_TEXT}.")
    arch = raw.get("architectures")
    if arch is not None and not (isinstance(arch, list) and all(isinstance(a, str) for a in arch)):
        raise ModelLoadError(f"{CONFIG}: architectures must be a list of class names.")
    weights = find_weights(folder)
    if not (folder / TOKENIZER).is_file():
        raise ModelLoadError(f"{folder} has no {TOKENIZER}; lmscope reads the model's own tokenizer from it "
                             "(save the tokenizer with a fast tokenizer's save_pretrained).")
    tokenizer_files = tuple(sorted(p.name for p in folder.iterdir()
                                   if p.name in (TOKENIZER, TOKENIZER_CONFIG, "special_tokens_map.json",
                                                 "vocab.txt", "vocab.json", "merges.txt")))
    return FolderCheck(folder=folder.resolve(), raw_config=raw, model_type=model_type,
                       family=SUPPORTED[model_type][0], weights=weights, tokenizer_files=tokenizer_files)


def refuse_remote_code(folder: Path, raw: dict[str, Any]) -> None:
    """A folder whose config or tokenizer config points at its own Python code is refused, never run."""
    if "auto_map" in raw:
        raise ModelLoadError(f"{folder.name} needs its own Python code (auto_map in {CONFIG}), and lmscope never "
                             "runs code from a model folder.")
    tok_config = folder / TOKENIZER_CONFIG
    if tok_config.is_file():
        data = read_json(tok_config, "tokenizer config", limit=16 * MAX_CONFIG_BYTES)
        if isinstance(data, dict) and "auto_map" in data:
            raise ModelLoadError(f"{folder.name}'s tokenizer needs its own Python code (auto_map in "
                                 f"{TOKENIZER_CONFIG}), and lmscope never runs code from a model folder.")


def find_weights(folder: Path) -> tuple[WeightFile, ...]:
    """The weight files, safetensors first; a sharded index must list files that exist."""
    for index_name, kind in ((SAFE_INDEX, "safetensors"), (BIN_INDEX, "bin")):
        index = folder / index_name
        if index.is_file():
            data = read_json(index, "weights index", limit=64 * MAX_CONFIG_BYTES)
            weight_map = data.get("weight_map") if isinstance(data, dict) else None
            if not isinstance(weight_map, dict) or not weight_map:
                raise ModelLoadError(f"{index_name} has no weight_map.")
            shards = sorted({str(v) for v in weight_map.values()})
            for shard in shards:
                if "/" in shard or "\\" in shard or not (folder / shard).is_file():
                    raise ModelLoadError(f"{index_name} lists {shard}, which is not in {folder.name}.")
            return tuple(read_weight_file(folder / s, kind) for s in shards)
    safes = sorted(folder.glob("*.safetensors"))
    if safes:
        if len(safes) > 1 and (folder / "model.safetensors").is_file():
            safes = [folder / "model.safetensors"]
        return tuple(read_weight_file(p, "safetensors") for p in safes)
    bins = sorted(folder.glob("pytorch_model*.bin"))
    if bins:
        return tuple(read_weight_file(p, "bin") for p in bins)
    raise ModelLoadError(f"{folder} has no weights (model.safetensors, or pytorch_model.bin).")


def read_weight_file(path: Path, kind: str) -> WeightFile:
    if kind == "bin":
        return WeightFile(path=path, kind=kind, numel=0, dtype_numel={}, shapes={})
    header = safetensors_header(path)
    numel, by_dtype, shapes = 0, {}, {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        n = 1
        for dim in entry["shape"]:
            n *= int(dim)
        numel += n
        dtype = DTYPE_NAMES.get(entry["dtype"], entry["dtype"].lower())
        by_dtype[dtype] = by_dtype.get(dtype, 0) + n
        shapes[name] = tuple(int(d) for d in entry["shape"])
    return WeightFile(path=path, kind=kind, numel=numel, dtype_numel=by_dtype, shapes=shapes)


def safetensors_header(path: Path) -> dict[str, Any]:
    """The header of a safetensors file, checked against the file's size (a truncated file is named as such)."""
    size = path.stat().st_size
    damaged = f"{path.name} is damaged or not a safetensors file"
    with path.open("rb") as handle:
        prefix = handle.read(8)
        if len(prefix) < 8:
            raise ModelLoadError(f"{damaged} (it is only {size} bytes).")
        (length,) = struct.unpack("<Q", prefix)
        if length > MAX_HEADER_BYTES or 8 + length > size:
            raise ModelLoadError(f"{path.name} is truncated or not a safetensors file (its header claims "
                                 f"{length:,} bytes; the file has {size:,}).")
        raw = handle.read(length)
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelLoadError(f"{damaged} (its header is not JSON).") from exc
    if not isinstance(header, dict):
        raise ModelLoadError(f"{damaged} (its header is not a JSON object).")
    end = 0
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        try:
            begin, stop = (int(x) for x in entry["data_offsets"])
            shape = [int(d) for d in entry["shape"]]
            str(entry["dtype"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelLoadError(f"{damaged} (tensor {name} has a malformed entry).") from exc
        if begin < 0 or stop < begin or any(d < 0 for d in shape):
            raise ModelLoadError(f"{damaged} (tensor {name} has impossible offsets or shape).")
        end = max(end, stop)
    if 8 + length + end > size:
        raise ModelLoadError(f"{path.name} is truncated: its tensors need {8 + length + end:,} bytes but the file "
                             f"has {size:,} (an interrupted download or copy?).")
    return header
