"""Typed configuration of the MoLingo generator (autoencoder + masked autoregressive flow), with named presets.

`tiny` is the shipped CPU default (samples a 6 s motion in about a second); `paper` has the paper's sizes
(Table 9 autoencoder width 1024, transformer 1024 x 16 layers x 16 heads, flow MLP 8 x 1280, latent 16, 4x).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
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
class GenModelConfig:
    """The network: text adapter, masked autoregressive transformer, rectified-flow head (what the weights fix)."""

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
    # trained on canonical sides (generator.data.mirror.canonical_sides): the sampler mirrors a prompt whose first
    # side word is left / counterclockwise, and mirrors the motion back
    side_canonical: bool = False
    # a learned vector per word-tag class (side, direction, speed, count) added to the tagged text tokens
    # (generator.model.word_tags)
    word_tags: bool = False
    # the measured walking speed of the span added to every motion token; a prompt's speed word selects the data's
    # mean speed for that word (generator.model.speed)
    speed_condition: bool = False


@dataclass(frozen=True)
class GenTrainConfig:
    """The generator's training recipe."""

    flow_batch_mul: int = 4  # each token repeated with this many different t per step
    cfg_drop: float = 0.1  # fraction of prompts replaced by the null prompt
    lr: float = 8e-4
    weight_decay: float = 0.02
    betas: tuple[float, float] = (0.9, 0.95)
    grad_clip: float = 3.0
    ema: float = 0.9999
    warmup: int = 1000
    cosine: bool = False  # after warm-up: constant lr, or cosine decay to 10 % over the run (fine-tunes)
    batch_size: int = 64
    steps: int = 50000
    length_loss_weight: float = 0.1
    speed_drop: float = 0.5  # with the speed condition: share of moving spans trained without their speed


@dataclass(frozen=True)
class SamplingConfig:
    """The sampler's defaults stored with a checkpoint (`generator.sample` flags override them)."""

    outer_steps: int = 16
    flow_steps: int = 32
    cfg_scale: float = 4.0
    attribute_scale: float = 0.0  # attribute guidance (generator.sampling.modifiers); 0 = off
    noise_refresh: float = 0.3


@dataclass(frozen=True)
class GenConfig:
    """The generator: its network, how it is trained and how it samples by default."""

    model: GenModelConfig = field(default_factory=GenModelConfig)
    training: GenTrainConfig = field(default_factory=GenTrainConfig)
    sampling: SamplingConfig = field(default_factory=SamplingConfig)

    def validate(self) -> GenConfig:
        if self.model.width % self.model.heads:
            raise InputError(f"width {self.model.width} is not divisible by heads {self.model.heads}")
        if not 0 <= self.training.cfg_drop < 1:
            raise InputError(f"cfg_drop must be in [0, 1), got {self.training.cfg_drop}")
        return self

    @classmethod
    def from_dict(cls, data: Mapping) -> GenConfig:
        """From `to_dict`'s nested form, or from the flat form checkpoints were written in before the split (each
        key then goes to the part that declares it); an unknown key is an error naming it."""
        parts = {"model": GenModelConfig, "training": GenTrainConfig, "sampling": SamplingConfig}
        if not isinstance(data, Mapping):
            raise InputError(f"GenConfig: expected a mapping of settings, got {type(data).__name__}")
        if not set(data) <= set(parts):
            owner = {f.name: part for part, c in parts.items() for f in dataclasses.fields(c)}
            nested: dict[str, dict] = {part: {} for part in parts}
            for key, value in data.items():
                nested[owner.get(key, "model")][key] = value  # an unknown key fails in the model part
            data = nested
        return cls(**{part: config_from_dict(c, data.get(part, {})) for part, c in parts.items()}).validate()


@dataclass(frozen=True)
class Preset:
    name: str
    ae: AEConfig = field(default_factory=AEConfig)
    gen: GenConfig = field(default_factory=GenConfig)


def _tiny() -> Preset:
    gen = GenConfig(GenModelConfig(width=256, depth=4, heads=4))
    return Preset("tiny", AEConfig(width=256, latent_dim=16, down=4), gen)


def _paper() -> Preset:
    return Preset(
        "paper",
        AEConfig(width=1024, latent_dim=16, down=4, lr=5e-5, batch_size=256, steps=200000, window=64),
        GenConfig(
            GenModelConfig(width=1024, depth=16, heads=16, flow_depth=8, flow_width=1280, max_text_tokens=128),
            GenTrainConfig(batch_size=256, steps=300000, warmup=10000),
            SamplingConfig(cfg_scale=7.0),
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
    if cls is GenConfig:
        return GenConfig.from_dict(data)
    return config_from_dict(cls, data).validate()
