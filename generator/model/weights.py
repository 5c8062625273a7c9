"""Weights on disk, one way for every model: fp16 safetensors (statistics kept in fp32) beside a JSON config, each
written atomically; loading maps a missing or corrupt file to one InputError line."""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from generator.motion.errors import InputError, atomic_path

FP32_KEYS = ("mean", "std", "latent_mean", "latent_std")  # statistics keep full precision (tiny stds underflow)


def fp16_state(state: dict[str, torch.Tensor], prefix: str = "") -> dict[str, torch.Tensor]:
    """A state dict with floating weights in fp16 (names ending in FP32_KEYS stay fp32), keys prefixed."""
    out = {}
    for k, v in state.items():
        half = v.is_floating_point() and k.rsplit(".", 1)[-1] not in FP32_KEYS
        out[prefix + k] = (v.detach().cpu().half() if half else v.detach().cpu()).contiguous().clone()
    return out


def save_weights(
    weights: Path, tensors: dict[str, torch.Tensor], config: Path, meta: dict, *, sort_keys: bool = False,
    metadata: dict[str, str] | None = None,
) -> None:  # fmt: skip
    """Write the tensors, then the JSON config (last, so a folder with a config is complete), each atomically."""
    with atomic_path(weights) as tmp:
        save_file(tensors, str(tmp), metadata=metadata)
    save_json(config, meta, sort_keys=sort_keys)


def save_json(path: Path, data: dict, *, sort_keys: bool = False) -> None:
    """Write a checkpoint's JSON config atomically (the form load_json reads)."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(data, indent=2, sort_keys=sort_keys))


def load_weights(path: Path, what: str = "weights") -> dict[str, torch.Tensor]:
    """The tensors of a safetensors file; InputError naming the file when it is missing or corrupt."""
    if not path.is_file():
        raise InputError(f"{path}: {what} missing")
    try:
        return load_file(str(path))
    except (SafetensorError, OSError, ValueError, RuntimeError) as e:
        raise InputError(f"{path}: corrupt {what} ({e})") from None


def load_json(path: Path, what: str = "config") -> dict:
    """A JSON object from a file; InputError naming the file when it is missing, corrupt or not an object."""
    if not path.is_file():
        raise InputError(f"{path}: {what} missing")
    try:
        data = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError, OSError) as e:
        raise InputError(f"{path}: corrupt {what} ({e})") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: corrupt {what} (not a JSON object)")
    return data


def load_torch_state(path: Path, what: str = "training state", continued: bool = False) -> dict:
    """A torch-saved dict (resume state, rsl-rl checkpoint) loaded with `weights_only=True`: tensors, numbers,
    strings, containers and plain numpy arrays (RNG states) only, never arbitrary pickled objects. A `continued`
    state (a run's own resume state) is one the command may replace; other inputs are protected from its outputs."""
    import numpy as np
    from torch.serialization import safe_globals

    from generator.motion.errors import input_file

    path = input_file(path, what, protect=not continued)
    numpy_arrays = [np.core.multiarray._reconstruct, np.ndarray, np.dtype, type(np.dtype("uint32"))]
    try:
        with safe_globals(numpy_arrays):
            state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises many types for a damaged or unsafe pickle/zip
        raise InputError(
            f"{path}: corrupt or unsafe {what} ({type(e).__name__}: {(str(e).splitlines() or [''])[0][:120]})"
        ) from None
    if not isinstance(state, dict):
        raise InputError(f"{path}: not a {what} (expected a dict, got {type(state).__name__})")
    return state
