"""The MoLingo generator network: text adapter, masked transformer decoder over motion latents, flow head, length head.

Text tokens (frozen encoder, C channels) -> Linear(C -> W) [+ word-tag embedding, (B, Lt) ids -> (B, Lt, W)]
-> text adapter (pre-norm encoder layers + LayerNorm) = w.
Motion latents (d channels; masked ones replaced by a learned mask latent) -> Linear(d -> W) + sinusoidal positions
[+ speed embedding, (B,) m/s -> (B, 1, W), generator.model.speed] -> decoder blocks [self-attention over motion
tokens (bidirectional, key padding mask), cross-attention to all text tokens (text padding mask), MLP] -> LayerNorm
-> conditions z (B, L, W) -> rectified-flow head per token.
Shapes: B batch, L motion latents, Lt text tokens, C text channels, W width, d latent size. Padding masks are True
where a position is padding.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from generator.model.config import GenConfig
from generator.model.flow_head import FlowHead
from generator.model.speed import SPEED_WORDS, SpeedEmbedding
from generator.model.word_tags import TAGS


def sinusoidal_positions(n: int, dim: int) -> torch.Tensor:
    """Fixed (n, dim) sine/cosine position table (Vaswani et al.)."""
    pos = torch.arange(n, dtype=torch.float32)[:, None]
    div = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32) * (-math.log(10000.0) / dim))
    table = torch.zeros(n, dim)
    table[:, 0::2] = torch.sin(pos * div)
    table[:, 1::2] = torch.cos(pos * div)
    return table


class Attention(nn.Module):
    """Multi-head attention of queries (B, Lq, W) over keys/values (B, Lk, W) with a key padding mask (B, Lk)."""

    def __init__(self, width: int, heads: int, dropout: float):
        super().__init__()
        self.heads = heads
        self.q = nn.Linear(width, width)
        self.kv = nn.Linear(width, 2 * width)
        self.proj = nn.Linear(width, width)
        self.dropout = dropout

    def forward(self, x: torch.Tensor, ctx: torch.Tensor, ctx_pad: torch.Tensor) -> torch.Tensor:
        b, lq, w = x.shape
        h = self.heads
        q = self.q(x).view(b, lq, h, w // h).transpose(1, 2)  # (B, h, Lq, W/h)
        k, v = self.kv(ctx).view(b, ctx.shape[1], 2, h, w // h).permute(2, 0, 3, 1, 4)  # each (B, h, Lk, W/h)
        allowed = (~ctx_pad)[:, None, None, :]  # (B, 1, 1, Lk), True = attend
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed, dropout_p=self.dropout if self.training else 0)
        return self.proj(y.transpose(1, 2).reshape(b, lq, w))


def mlp(width: int, ratio: float, dropout: float) -> nn.Sequential:
    hidden = int(width * ratio)
    return nn.Sequential(nn.Linear(width, hidden), nn.GELU(), nn.Linear(hidden, width), nn.Dropout(dropout))


class EncoderBlock(nn.Module):
    """Pre-norm transformer encoder layer (text adapter): x + SA(LN(x)); x + MLP(LN(x))."""

    def __init__(self, width: int, heads: int, ratio: float, dropout: float):
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(width), nn.LayerNorm(width)
        self.attn = Attention(width, heads, dropout)
        self.mlp = mlp(width, ratio, dropout)

    def forward(self, x: torch.Tensor, pad: torch.Tensor) -> torch.Tensor:
        h = self.norm1(x)
        x = x + self.attn(h, h, pad)
        return x + self.mlp(self.norm2(x))


class DecoderBlock(nn.Module):
    """Pre-norm decoder layer: self-attention over motion, cross-attention to text, MLP."""

    def __init__(self, width: int, heads: int, ratio: float, dropout: float):
        super().__init__()
        self.norm1, self.norm2, self.norm3 = nn.LayerNorm(width), nn.LayerNorm(width), nn.LayerNorm(width)
        self.self_attn = Attention(width, heads, dropout)
        self.cross_attn = Attention(width, heads, dropout)
        self.mlp = mlp(width, ratio, dropout)

    def forward(self, x: torch.Tensor, pad: torch.Tensor, text: torch.Tensor, text_pad: torch.Tensor) -> torch.Tensor:
        h = self.norm1(x)
        x = x + self.self_attn(h, h, pad)  # (B, L, W)
        x = x + self.cross_attn(self.norm2(x), text, text_pad)  # queries: motion, keys/values: text
        return x + self.mlp(self.norm3(x))


class MoLingo(nn.Module):
    """Masked autoregressive rectified flow over autoencoder latents, conditioned on frozen text token embeddings."""

    def __init__(self, cfg: GenConfig, latent_dim: int, down: int, text_dim: int):
        super().__init__()
        self.cfg = cfg.validate()
        m = cfg.model
        w = m.width
        self.latent_dim, self.down = latent_dim, down
        self.max_latents = m.max_frames // down
        # text adapter
        self.text_in = nn.Linear(text_dim, w)
        if m.word_tags:  # zero at first: a model fine-tuned with tags starts as the model without them
            self.word_tag = nn.Embedding(len(TAGS), w)
            nn.init.zeros_(self.word_tag.weight)
        self.adapter = nn.ModuleList([EncoderBlock(w, m.heads, m.mlp_ratio, m.dropout) for _ in range(m.adapter_depth)])
        self.adapter_norm = nn.LayerNorm(w)
        # motion backbone
        self.mask_latent = nn.Parameter(torch.zeros(latent_dim))
        nn.init.normal_(self.mask_latent, std=0.02)
        self.latent_in = nn.Linear(latent_dim, w)
        self.register_buffer("positions", sinusoidal_positions(self.max_latents, w), persistent=False)
        if m.speed_condition:  # the measured walking speed; targets per speed word, set from the training data
            self.speed_embed = SpeedEmbedding(w)
            self.register_buffer("speed_targets", torch.full((len(SPEED_WORDS),), float("nan")))
        self.blocks = nn.ModuleList([DecoderBlock(w, m.heads, m.mlp_ratio, m.dropout) for _ in range(m.depth)])
        self.norm = nn.LayerNorm(w)
        self.flow = FlowHead(latent_dim, w, m.flow_width, m.flow_depth)
        # length head: pooled text -> distribution over the number of latents (1 .. max_latents)
        self.length_head = nn.Sequential(nn.Linear(w, w), nn.GELU(), nn.Linear(w, self.max_latents))
        # per-dimension statistics of the autoencoder's latents (the flow runs on standardised latents)
        self.register_buffer("latent_mean", torch.zeros(latent_dim))
        self.register_buffer("latent_std", torch.ones(latent_dim))

    def encode_text(self, tokens: torch.Tensor, pad: torch.Tensor, tags: torch.Tensor | None = None) -> torch.Tensor:
        """Frozen-encoder tokens (B, Lt, C) + padding mask (B, Lt) [+ word-tag ids (B, Lt), needed when the model
        reads them] -> adapted text w (B, Lt, W)."""
        x = self.text_in(tokens)
        if self.cfg.model.word_tags:
            if tags is None:
                raise ValueError("this generator reads word tags; pass them (TextEncoder.word_tags)")
            x = x + self.word_tag(tags)
        for block in self.adapter:
            x = block(x, pad)
        return self.adapter_norm(x)

    def length_logits(self, w: torch.Tensor, text_pad: torch.Tensor) -> torch.Tensor:
        """Logits (B, max_latents) over the motion length in latents (class k = k + 1 latents)."""
        keep = (~text_pad).float().unsqueeze(-1)  # (B, Lt, 1)
        pooled = (w * keep).sum(1) / keep.sum(1).clamp(min=1.0)  # (B, W)
        return self.length_head(pooled)

    def forward(
        self, latents: torch.Tensor, masked: torch.Tensor, pad: torch.Tensor, w: torch.Tensor, text_pad: torch.Tensor,
        speed: torch.Tensor | None = None,
    ) -> torch.Tensor:  # fmt: skip
        """Conditions z (B, L, W) for standardised latents (B, L, d) with `masked` (B, L) positions hidden [and the
        speed (B,) in m/s, NaN where none is given, for a model with the speed condition]."""
        b, n, _ = latents.shape
        if n > self.max_latents:
            raise ValueError(f"{n} latents exceed the model's maximum of {self.max_latents}")
        x = torch.where(masked[..., None], self.mask_latent.to(latents.dtype), latents)  # (B, L, d)
        x = self.latent_in(x) + self.positions[:n]  # (B, L, W)
        if speed is not None and self.cfg.model.speed_condition:
            x = x + self.speed_embed(speed.to(x.dtype))[:, None]
        for block in self.blocks:
            x = block(x, pad, w, text_pad)
        return self.norm(x)

    def standardize(self, z: torch.Tensor) -> torch.Tensor:
        return (z - self.latent_mean) / self.latent_std

    def unstandardize(self, z: torch.Tensor) -> torch.Tensor:
        return z * self.latent_std + self.latent_mean

    def loss(
        self, x1: torch.Tensor, pad: torch.Tensor, text_tokens: torch.Tensor, text_pad: torch.Tensor,
        text_tags: torch.Tensor | None = None, speed: torch.Tensor | None = None,
    ) -> dict[str, torch.Tensor]:  # fmt: skip
        """Masked rectified-flow loss for standardised latents x1 (B, L, d) + the length head's cross-entropy.

        Per sample: tau ~ U(0, 1), mask round(cos(pi tau / 2) * n) >= 1 random valid positions; the flow MSE is
        taken on masked tokens only, each repeated `flow_batch_mul` times with different t.
        """
        b, n, _ = x1.shape
        n_valid = (~pad).sum(1)  # (B,)
        tau = torch.rand(b, device=x1.device)
        n_mask = torch.round(torch.cos(math.pi * tau / 2) * n_valid).clamp(min=1).long()  # (B,)
        scores = torch.rand(b, n, device=x1.device).masked_fill(pad, float("inf"))  # padding sorts last, never masked
        rank = scores.argsort(1).argsort(1)  # (B, L) random order of the valid positions
        masked = rank < n_mask[:, None]  # (B, L)
        w = self.encode_text(text_tokens, text_pad, text_tags)
        z = self(x1, masked, pad, w, text_pad, speed)  # (B, L, W)
        flow = self.flow.loss(z[masked], x1[masked], self.cfg.training.flow_batch_mul)
        length = F.cross_entropy(self.length_logits(w, text_pad), (n_valid - 1).clamp(0, self.max_latents - 1))
        return {"flow": flow, "length": length, "total": flow + self.cfg.training.length_loss_weight * length}
