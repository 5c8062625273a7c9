"""Typed configuration of the MoLingo generator (autoencoder + masked autoregressive flow), with named presets.

`tiny` is the shipped CPU default (samples a 6 s motion in about a second); `paper` has the paper's sizes
(Table 9 autoencoder width 1024, transformer 1024 x 16 layers x 16 heads, flow MLP 8 x 1280, latent 16, 4x).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from generator.motion.configs import choose_preset, config_from_dict
from generator.motion.errors import InputError

FPS = 30
DEFAULT_TEXT_ENCODER = "all-MiniLM-L6-v2"


@dataclass(frozen=True)
class AEConfig:
    """Causal 1-D convolutional motion autoencoder (paper Table 9) and its training recipe."""

    kind: str = "sae"  # "ae" (no KL), "vae" (KL), "sae" (VAE + semantic alignment to frame labels)
    feature_dim: int = 272
    width: int = 256
    latent_dim: int = 16
    down: int = 4  # temporal downsampling: 2 or 4 (one or two stride-2 stages)
    dilations: tuple[int, ...] = (9, 3, 1)
    w_features: float = 1.0
    w_joints: float = 1.0
    w_velocity: float = 10.0
    w_kl: float = 1e-5
    w_semantic: float = 1e-3
    semantic_tau: float = 0.995  # drop a token whose class token has cosine > tau with the next one
    logvar_clamp: tuple[float, float] = (-30.0, 20.0)
    # training
    lr: float = 2e-4
    weight_decay: float = 0.0
    batch_size: int = 32
    window: int = 64  # frames per training crop (a multiple of `down`)
    steps: int = 20000
    warmup: int = 500
    grad_clip: float = 1.0

    def validate(self) -> AEConfig:
        if self.kind not in ("ae", "vae", "sae"):
            raise InputError(f"autoencoder kind must be ae, vae or sae, got {self.kind!r}")
        if self.down not in (2, 4):
            raise InputError(f"temporal downsampling must be 2 or 4, got {self.down}")
        if self.window % self.down:
            raise InputError(f"window {self.window} must be a multiple of the downsampling {self.down}")
        return self

    @property
    def num_stages(self) -> int:
        return {2: 1, 4: 2}[self.down]


@dataclass(frozen=True)
class GenConfig:
    """Masked autoregressive transformer + text adapter + rectified-flow head, and its training recipe."""

    text_encoder: str = DEFAULT_TEXT_ENCODER
    max_text_tokens: int = 64  # the paper uses l_text = 128 with T5
    width: int = 256
    depth: int = 4
    heads: int = 4
    adapter_depth: int = 6
    mlp_ratio: float = 4.0
    dropout: float = 0.1
    flow_depth: int = 3
    flow_width: int = 256
    max_frames: int = 300  # 10 s at 30 fps (HumanML3D-272's cap)
    min_frames: int = 40
    # training
    flow_batch_mul: int = 4  # each token repeated with this many different t per step
    cfg_drop: float = 0.1  # fraction of prompts replaced by the null prompt
    lr: float = 8e-4
    weight_decay: float = 0.02
    betas: tuple[float, float] = (0.9, 0.95)
    grad_clip: float = 3.0
    ema: float = 0.9999
    warmup: int = 1000
    batch_size: int = 64
    steps: int = 50000
    length_loss_weight: float = 0.1
    # sampling defaults
    outer_steps: int = 16
    flow_steps: int = 32
    cfg_scale: float = 4.0
    noise_refresh: float = 0.3

    def validate(self) -> GenConfig:
        if self.width % self.heads:
            raise InputError(f"width {self.width} is not divisible by heads {self.heads}")
        if not 0 <= self.cfg_drop < 1:
            raise InputError(f"cfg_drop must be in [0, 1), got {self.cfg_drop}")
        return self


@dataclass(frozen=True)
class Preset:
    name: str
    ae: AEConfig = field(default_factory=AEConfig)
    gen: GenConfig = field(default_factory=GenConfig)


def _tiny() -> Preset:
    return Preset("tiny", AEConfig(width=256, latent_dim=16, down=4), GenConfig(width=256, depth=4, heads=4))


def _paper() -> Preset:
    return Preset(
        "paper",
        AEConfig(width=1024, latent_dim=16, down=4, lr=5e-5, batch_size=256, steps=200000, window=64),
        GenConfig(
            width=1024, depth=16, heads=16, flow_depth=8, flow_width=1280, max_text_tokens=128, batch_size=256,
            steps=300000, warmup=10000, cfg_scale=7.0,
        ),
    )  # fmt: skip


PRESETS = {"tiny": _tiny, "paper": _paper}


def get_preset(name: str) -> Preset:
    """A fresh copy of the named preset (`tiny` or `paper`)."""
    return choose_preset(PRESETS, name, "model")()


def to_dict(cfg) -> dict:
    return dataclasses.asdict(cfg)


def from_dict(cls, data: dict):
    """Rebuild a config dataclass from JSON (lists back to tuples); unknown keys are an error."""
    return config_from_dict(cls, data).validate()
