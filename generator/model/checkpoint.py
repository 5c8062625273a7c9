"""Checkpoints: a directory with `config.json` + `model.safetensors` (fp16 weights), plus `train_state.pt` to resume.

Generator checkpoints are self-contained: they hold the autoencoder ("ae." tensors), the MoLingo network ("model."
tensors), the data statistics and the name of the text encoder. Every file is written atomically (temp + rename);
config.json is written last, so a directory with a config is complete.
"""

from __future__ import annotations

from pathlib import Path

import torch

from generator.model.autoencoder import MotionAutoencoder
from generator.model.config import AEConfig, GenConfig, from_dict, to_dict
from generator.model.transformer import MoLingo
from generator.model.weights import fp16_state, load_json, load_torch_state, load_weights, save_weights
from generator.motion.errors import InputError, atomic_path

FORMAT = "molingo-272"
VERSION = 1
DEFAULT_DIR = Path(__file__).resolve().parents[1] / "checkpoints"


def save_checkpoint(
    path: str | Path,
    ae: MotionAutoencoder,
    model: MoLingo | None = None,
    meta: dict | None = None,
) -> Path:
    """Write an autoencoder (model=None) or generator checkpoint directory with fp16 weights."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    tensors = fp16_state(ae.state_dict(), "ae.")
    config = {"format": FORMAT, "version": VERSION, "kind": "autoencoder", "ae": to_dict(ae.cfg)}
    config["text_dim"] = ae.semantic_proj.in_features if ae.semantic_proj is not None else None
    if model is not None:
        tensors.update(fp16_state(model.state_dict(), "model."))
        config.update(kind="generator", gen=to_dict(model.cfg), text_dim=model.text_in.in_features)
    config.update(meta or {})
    save_weights(path / "model.safetensors", tensors, path / "config.json", config, sort_keys=True,
                 metadata={"format": FORMAT})  # fmt: skip
    return path


def read_config(path: str | Path) -> dict:
    """The checkpoint's config.json, validated; InputError with one clear line otherwise."""
    path = Path(path)
    if not path.is_dir():
        raise InputError(f"{path}: no checkpoint directory there")
    cfg_file = path / "config.json"
    if not cfg_file.exists():
        raise InputError(f"{path}: not a checkpoint (config.json is missing)")
    config = load_json(cfg_file, "checkpoint config")
    if config.get("format") != FORMAT:
        raise InputError(f"{cfg_file}: not a {FORMAT} checkpoint config")
    return config


def _load_tensors(path: Path) -> dict[str, torch.Tensor]:
    return load_weights(path / "model.safetensors", "checkpoint weights")


def _load_state(module: torch.nn.Module, tensors: dict[str, torch.Tensor], prefix: str, where: Path) -> None:
    state = {k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix)}
    try:
        module.load_state_dict(state, strict=True)
    except RuntimeError as e:
        first = str(e).strip().splitlines()[0]
        raise InputError(f"{where}: checkpoint weights do not match its config ({first})") from None


def load_autoencoder(path: str | Path) -> MotionAutoencoder:
    """The autoencoder of an autoencoder or generator checkpoint, in eval mode (fp32)."""
    path = Path(path)
    config = read_config(path)
    try:
        ae = MotionAutoencoder(from_dict(AEConfig, config["ae"]), text_dim=config.get("text_dim"))
    except (KeyError, TypeError) as e:
        raise InputError(f"{path}: malformed checkpoint config ({e})") from None
    _load_state(ae, _load_tensors(path), "ae.", path)
    return ae.eval()


def load_generator(path: str | Path) -> tuple[MoLingo, MotionAutoencoder, dict]:
    """(MoLingo network, autoencoder, config dict) of a generator checkpoint, in eval mode (fp32)."""
    path = Path(path)
    config = read_config(path)
    if config.get("kind") != "generator":
        raise InputError(f"{path}: is an {config.get('kind')} checkpoint, expected a generator checkpoint")
    try:
        ae_cfg, gen_cfg = from_dict(AEConfig, config["ae"]), from_dict(GenConfig, config["gen"])
        ae = MotionAutoencoder(ae_cfg, text_dim=config["text_dim"] if ae_cfg.kind == "sae" else None)
        model = MoLingo(gen_cfg, ae_cfg.latent_dim, ae_cfg.down, int(config["text_dim"]))
    except (KeyError, TypeError, ValueError) as e:
        raise InputError(f"{path}: malformed checkpoint config ({e})") from None
    tensors = _load_tensors(path)
    _load_state(ae, tensors, "ae.", path)
    _load_state(model, tensors, "model.", path)
    return model.eval(), ae.eval(), config


def save_train_state(path: str | Path, state: dict) -> None:
    """Full-precision training state (weights, EMA, optimiser, step, RNG) for --resume, written atomically."""
    with atomic_path(Path(path) / "train_state.pt") as tmp:
        torch.save(state, tmp)


def load_train_state(path: str | Path) -> dict:
    file = Path(path) / "train_state.pt"
    if not file.exists():
        raise InputError(f"{path}: nothing to resume (train_state.pt is missing)")
    return load_torch_state(file, "training state", continued=True)
