"""The speed condition: the walking speed of a training span, measured from its root motion, given to the generator.

A caption's speed word is a weak, rare label (22 % of captions name a speed or a count, and the unmarked walks span
0.85-1.35 m/s), and measured on the shipped weights the adverb moved the mean speed by less than the spread of one
prompt's samples. So with `speed_condition` on, MoLingo is also told the span's measured speed (every moving span
teaches it, whatever its caption says), as image models are told an image's size: a learned embedding of the speed is
added to every motion token. At sampling, a prompt's speed word selects the mean measured speed of the training spans
whose caption carries that word (`MoLingo.speed_targets`, set from the data when training); a prompt without one,
the null prompt and the plain prompt of attribute guidance get no speed, which is the network without the condition.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from generator.model.config import FPS
from generator.model.word_tags import TAGS, tag_text

MOVING_MPS = 0.2  # a latent whose root moves faster than this is moving (the attribute judge's threshold)
MIN_MOVING = 0.3  # a span has a speed when at least this share of its latents is moving
SPEED_WORDS = ("slow", "quick")  # the word-tag classes with a speed target, in `speed_targets` order
_FREQUENCIES = 2.0 ** torch.arange(6)  # Fourier features of the speed (m/s): periods 2 pi / 2^k


def latent_speeds(features: np.ndarray, down: int) -> np.ndarray:
    """Mean horizontal root speed (m/s) over each latent's `down` frames: (T, 272) features -> (T // down,)."""
    n = len(features) // down
    step = np.linalg.norm(np.asarray(features[: n * down, 0:2], np.float64), axis=-1) * FPS  # [0:2]: m per frame
    return step.reshape(n, down).mean(1).astype(np.float32)


def span_speed(speeds: torch.Tensor) -> float:
    """The speed of a span from its latents' speeds (L,): the mean over its moving latents, NaN if it barely moves."""
    moving = speeds > MOVING_MPS
    if len(speeds) == 0 or moving.float().mean() < MIN_MOVING:
        return math.nan
    return float(speeds[moving].mean())


def speed_word(text: str) -> str | None:
    """The speed word ("slow" or "quick") when the text's speed words (generator.model.word_tags) name exactly one."""
    named = {TAGS[tag] for _, _, tag in tag_text(text)} & set(SPEED_WORDS)
    return named.pop() if len(named) == 1 else None


class SpeedEmbedding(nn.Module):
    """Speeds (B,) in m/s, NaN where none is given -> (B, W) added to the motion tokens (zero where NaN). The last
    layer starts at zero, so a model fine-tuned with the condition starts as its init."""

    def __init__(self, width: int):
        super().__init__()
        self.register_buffer("frequencies", _FREQUENCIES.clone(), persistent=False)
        self.net = nn.Sequential(nn.Linear(2 * len(_FREQUENCIES), width), nn.GELU(), nn.Linear(width, width))
        nn.init.zeros_(self.net[-1].weight)
        nn.init.zeros_(self.net[-1].bias)

    def forward(self, speed: torch.Tensor) -> torch.Tensor:
        given = ~torch.isnan(speed)
        angle = torch.nan_to_num(speed)[:, None] * self.frequencies  # (B, F)
        emb = self.net(torch.cat([torch.sin(angle), torch.cos(angle)], dim=-1))  # (B, W)
        return emb * given[:, None].to(emb.dtype)
