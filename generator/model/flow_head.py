"""Rectified-flow MLP head: predicts the velocity of one motion latent given the transformer's condition z.

Convention: x_t = t * x1 + (1 - t) * x0 with x0 ~ N(0, I) noise, x1 the clean latent, t in [0, 1] (t = 1 clean);
the target velocity is x1 - x0. Residual blocks: LayerNorm modulated by AdaLN from (time embedding + Linear(z)),
Linear, SiLU, Linear, gated residual; the modulation and the output layer start at zero (adaLN-zero).
Shapes: N tokens, d latent size, W transformer width, F flow width.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


def timestep_embedding(t: torch.Tensor, dim: int, max_period: float = 10000.0) -> torch.Tensor:
    """Sinusoidal embedding of t in [0, 1] (scaled by 1000, as in DiT), (N,) -> (N, dim)."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float32, device=t.device) / half)
    args = 1000.0 * t.float()[:, None] * freqs[None]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


def modulate(x: torch.Tensor, shift: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    return x * (1 + scale) + shift


class AdaLNResBlock(nn.Module):
    """x + gate * MLP(modulate(LN(x), shift, scale)), with (shift, scale, gate) from the condition c."""

    def __init__(self, width: int):
        super().__init__()
        self.norm = nn.LayerNorm(width, elementwise_affine=False, eps=1e-6)
        self.mlp = nn.Sequential(nn.Linear(width, width), nn.SiLU(), nn.Linear(width, width))
        self.ada = nn.Sequential(nn.SiLU(), nn.Linear(width, 3 * width))
        nn.init.zeros_(self.ada[1].weight)
        nn.init.zeros_(self.ada[1].bias)

    def forward(self, x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        shift, scale, gate = self.ada(c).chunk(3, dim=-1)  # each (N, F)
        return x + gate * self.mlp(modulate(self.norm(x), shift, scale))


class FlowHead(nn.Module):
    """v_theta(x_t (N, d), t (N,), z (N, W)) -> velocity (N, d)."""

    def __init__(self, latent_dim: int, cond_dim: int, width: int, depth: int):
        super().__init__()
        self.width = width
        self.x_in = nn.Linear(latent_dim, width)
        self.t_mlp = nn.Sequential(nn.Linear(width, width), nn.SiLU(), nn.Linear(width, width))
        self.z_in = nn.Linear(cond_dim, width)
        self.blocks = nn.ModuleList([AdaLNResBlock(width) for _ in range(depth)])
        self.out_norm = nn.LayerNorm(width, elementwise_affine=False, eps=1e-6)
        self.out_ada = nn.Sequential(nn.SiLU(), nn.Linear(width, 2 * width))
        self.out = nn.Linear(width, latent_dim)
        for layer in (self.out_ada[1], self.out):
            nn.init.zeros_(layer.weight)
            nn.init.zeros_(layer.bias)

    def time_embed(self, t: torch.Tensor) -> torch.Tensor:
        """(N,) -> (N, F) embedding of the flow time."""
        return self.t_mlp(timestep_embedding(t, self.width))

    def forward_cond(self, x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        """Velocity (N, d) from x_t (N, d) and a ready AdaLN condition c (N, F) = time_embed(t) + z_in(z)."""
        h = self.x_in(x)  # (N, F)
        for block in self.blocks:
            h = block(h, c)
        shift, scale = self.out_ada(c).chunk(2, dim=-1)
        return self.out(modulate(self.out_norm(h), shift, scale))  # (N, d)

    def forward(self, x: torch.Tensor, t: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        return self.forward_cond(x, self.time_embed(t) + self.z_in(z))

    def loss(self, z: torch.Tensor, x1: torch.Tensor, mul: int = 4) -> torch.Tensor:
        """Rectified-flow MSE for clean latents x1 (N, d) under conditions z (N, W), each token drawn `mul` times."""
        z, x1 = z.repeat(mul, 1), x1.repeat(mul, 1)  # (mul * N, .)
        t = torch.rand(x1.shape[0], device=x1.device)
        x0 = torch.randn_like(x1)
        xt = t[:, None] * x1 + (1 - t[:, None]) * x0
        return F.mse_loss(self(xt, t, z), x1 - x0)
