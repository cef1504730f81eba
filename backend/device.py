"""Which torch device to run on: CUDA, then Apple's MPS, then the CPU, unless the user says otherwise."""
from __future__ import annotations

import os

import torch

from lmscope.backend.errors import BadInputError


def pick_device(preference: str | None = None) -> torch.device:
    if preference in (None, "", "auto"):
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        device = torch.device(preference)
    except (RuntimeError, TypeError) as exc:
        raise BadInputError(f"{preference!r} is not a device name; use auto, cpu, cuda, cuda:N or mps.") from exc
    if device.type == "cuda" and not torch.cuda.is_available():
        raise BadInputError("CUDA was asked for, but this torch build or machine has no CUDA device.")
    if device.type == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
        raise BadInputError(f"There is no CUDA device {device.index} (found {torch.cuda.device_count()}).")
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise BadInputError("MPS was asked for, but it is not available on this machine.")
    return device


def describe_device(device: torch.device) -> str:
    """What the status bar shows: the GPU's name, or the CPU with its thread count."""
    if device.type == "cuda":
        return f"CUDA · {torch.cuda.get_device_name(device)}"
    if device.type == "mps":
        return "Apple MPS"
    return f"CPU · {torch.get_num_threads()} of {os.cpu_count()} threads"
