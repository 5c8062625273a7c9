"""Causal 1-D convolutional motion autoencoder (MoLingo Table 9): AE, VAE and the semantically aligned SAE.

Every convolution pads on the left only, pad = (k - 1) * dilation + 1 - stride, so latent i (stride s = 2 or 4) sees
frames <= s*i + s - 1 and decoded frame t sees latents <= t // s: the model is causal at the granularity of one
latent (changing frames >= s*k changes no latent < k and no decoded frame < s*k). The first convolution pads by
replicating frame 0 (the paper's fix against start-of-clip jitter); all the others pad with zeros.
Shapes: B batch, T frames, D = 272 features, W width, L = T / s latents, d latent size.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from generator.model.config import AEConfig
from generator.motion import repr272


class CausalConv1d(nn.Module):
    """Conv1d over (B, C, T) with all padding on the left."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int = 1, dilation: int = 1, replicate: bool = False):
        super().__init__()
        self.pad = (kernel - 1) * dilation + 1 - stride
        self.mode = "replicate" if replicate else "constant"
        self.conv = nn.Conv1d(c_in, c_out, kernel, stride=stride, dilation=dilation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(F.pad(x, (self.pad, 0), mode=self.mode))  # (B, C_in, T) -> (B, C_out, T // stride)


class CausalResBlock(nn.Module):
    """x + conv1(SiLU(conv3_dilated(SiLU(x))))."""

    def __init__(self, width: int, dilation: int):
        super().__init__()
        self.conv1 = CausalConv1d(width, width, 3, dilation=dilation)
        self.conv2 = CausalConv1d(width, width, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv2(F.silu(self.conv1(F.silu(x))))


def causal_resnet(width: int, dilations: tuple[int, ...]) -> nn.Sequential:
    return nn.Sequential(*[CausalResBlock(width, d) for d in dilations])


class Encoder(nn.Module):
    """(B, D, T) -> (B, W, T / s): conv3 (replicate) + SiLU, stages of [conv4 stride 2, ResNet], conv3."""

    def __init__(self, cfg: AEConfig):
        super().__init__()
        w = cfg.width
        layers: list[nn.Module] = [CausalConv1d(cfg.feature_dim, w, 3, replicate=True), nn.SiLU()]
        for _ in range(cfg.num_stages):
            layers += [CausalConv1d(w, w, 4, stride=2), causal_resnet(w, cfg.dilations)]
        layers.append(CausalConv1d(w, w, 3))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class Decoder(nn.Module):
    """(B, d, L) -> (B, D, L * s): conv3 + SiLU, stages of [ResNet, nearest x2, conv3], conv3, SiLU, conv3."""

    def __init__(self, cfg: AEConfig):
        super().__init__()
        w = cfg.width
        layers: list[nn.Module] = [CausalConv1d(cfg.latent_dim, w, 3), nn.SiLU()]
        for _ in range(cfg.num_stages):
            layers += [
                causal_resnet(w, cfg.dilations),
                nn.Upsample(scale_factor=2, mode="nearest"),
                CausalConv1d(w, w, 3),
            ]
        layers += [CausalConv1d(w, w, 3), nn.SiLU(), CausalConv1d(w, cfg.feature_dim, 3)]
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)


class MotionAutoencoder(nn.Module):
    """Normalised 272-D features (B, T, D) <-> latents (B, T / s, d); `kind` picks AE, VAE or SAE."""

    def __init__(self, cfg: AEConfig, text_dim: int | None = None):
        super().__init__()
        self.cfg = cfg.validate()
        self.encoder = Encoder(cfg)
        self.to_latent = nn.Linear(cfg.width, cfg.latent_dim if cfg.kind == "ae" else 2 * cfg.latent_dim)
        self.decoder = Decoder(cfg)
        # SAE: projects the mean frame-label embedding of a latent's window to the latent size ("class token")
        self.semantic_proj = nn.Linear(text_dim, cfg.latent_dim) if cfg.kind == "sae" and text_dim else None
        # de-normalisation stats of the training data (so that joints can be decoded inside the loss)
        self.register_buffer("mean", torch.zeros(cfg.feature_dim))
        self.register_buffer("std", torch.ones(cfg.feature_dim))

    @property
    def down(self) -> int:
        return self.cfg.down

    def encode_dist(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(B, T, D) normalised features -> mean (B, L, d) and log-variance (B, L, d) (None for the plain AE)."""
        h = self.encoder(x.transpose(1, 2)).transpose(1, 2)  # (B, L, W)
        h = self.to_latent(h)
        if self.cfg.kind == "ae":
            return h, None
        mu, logvar = h.chunk(2, dim=-1)
        return mu, logvar.clamp(*self.cfg.logvar_clamp)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Deterministic latents (the posterior mean), (B, T, D) -> (B, L, d)."""
        return self.encode_dist(x)[0]

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """(B, L, d) -> normalised features (B, L * s, D)."""
        return self.decoder(z.transpose(1, 2)).transpose(1, 2)

    def forward(self, x: torch.Tensor, sample: bool = True):
        mu, logvar = self.encode_dist(x)
        z = mu if logvar is None or not sample else mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        return self.decode(z), mu, logvar

    def features_to_joints(self, x_norm: torch.Tensor) -> torch.Tensor:
        """Normalised features (B, T, D) -> joint positions (B, T, 22, 3) via the (differentiable) 272-D inverse."""
        return repr272.decode_joints(repr272.denormalize(x_norm, self.mean, self.std))


LATENT_PARTS = ("encoder.", "to_latent.", "mean", "std")  # what fixes the latent space a generator is trained on


def latent_state(ae: MotionAutoencoder) -> dict[str, torch.Tensor]:
    """The weights and statistics that map motion to latents: equal ones give equal latents (a decoder may differ)."""
    return {k: v for k, v in ae.state_dict().items() if k.startswith(LATENT_PARTS)}


def window_average(label_emb: torch.Tensor, frame_mask: torch.Tensor, stride: int) -> torch.Tensor:
    """Mean frame-label embedding over each latent's causal window [s*i - 4s, s*i + s) -> (B, L, C).

    label_emb (B, T, C) per-frame label embeddings, frame_mask (B, T) True where a frame has a label.
    """
    b, t, c = label_emb.shape
    w = frame_mask.float().unsqueeze(-1)  # (B, T, 1)
    csum = F.pad(torch.cumsum(label_emb * w, dim=1), (0, 0, 1, 0))  # (B, T+1, C), csum[:, k] = sum of frames < k
    ccnt = F.pad(torch.cumsum(w, dim=1), (0, 0, 1, 0))  # (B, T+1, 1)
    idx = torch.arange(t // stride, device=label_emb.device)
    hi = (stride * idx + stride).clamp(max=t)
    lo = (stride * idx - 4 * stride).clamp(min=0)
    total = csum[:, hi] - csum[:, lo]  # (B, L, C)
    count = ccnt[:, hi] - ccnt[:, lo]
    return total / count.clamp(min=1.0)


def ae_loss(
    model: MotionAutoencoder,
    x: torch.Tensor,
    pad: torch.Tensor,
    label_emb: torch.Tensor | None = None,
    label_mask: torch.Tensor | None = None,
    sample: bool = True,
) -> dict[str, torch.Tensor]:
    """The autoencoder objective on normalised features x (B, T, D) with frame padding mask pad (B, T) (True = pad).

    total = MSE(features) + w_j MSE(joints) + w_v MSE(joint velocities) + w_kl KL [+ w_sem (1 - cos) for SAE].
    `sample=False` decodes the posterior mean, the latents the generator is trained on and produces.
    """
    cfg = model.cfg
    recon, mu, logvar = model(x, sample=sample)  # (B, T, D), (B, L, d), (B, L, d)
    valid = (~pad).float()  # (B, T)

    def masked_mse(a: torch.Tensor, b: torch.Tensor, m: torch.Tensor) -> torch.Tensor:
        err = (a - b).pow(2).flatten(2).mean(-1)  # (B, T')
        return (err * m).sum() / m.sum().clamp(min=1.0)

    losses = {"features": masked_mse(recon, x, valid)}
    j_hat, j = model.features_to_joints(recon), model.features_to_joints(x)  # (B, T, 22, 3)
    losses["joints"] = masked_mse(j_hat, j, valid)
    v_valid = valid[:, 1:] * valid[:, :-1]
    losses["velocity"] = masked_mse(j_hat[:, 1:] - j_hat[:, :-1], j[:, 1:] - j[:, :-1], v_valid)
    total = cfg.w_features * losses["features"] + cfg.w_joints * losses["joints"] + cfg.w_velocity * losses["velocity"]
    lat_valid = valid[:, model.down - 1 :: model.down]  # (B, L): a latent is valid if the last frame it sees is
    if logvar is not None:
        kl = 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(-1)  # (B, L)
        losses["kl"] = (kl * lat_valid).sum() / lat_valid.sum().clamp(min=1.0)
        total = total + cfg.w_kl * losses["kl"]
    if model.semantic_proj is not None and label_emb is not None:
        losses["semantic"] = semantic_loss(model, mu, label_emb, label_mask & ~pad, cfg.semantic_tau, lat_valid > 0)
        total = total + cfg.w_semantic * losses["semantic"]
    losses["total"] = total
    return losses


def semantic_loss(
    model: MotionAutoencoder,
    mu: torch.Tensor,
    label_emb: torch.Tensor,
    label_mask: torch.Tensor,
    tau: float,
    latent_valid: torch.Tensor | None = None,
) -> torch.Tensor:
    """1 - cos(latent, class token), averaged over tokens kept by the repetitive-class-token filter.

    A token is dropped when its class token has cosine > tau with the next token's (paper Tab. 6), and when its
    window holds no labelled frame or the latent sees padding (`latent_valid` (B, L) False).
    """
    s = model.down
    avg = window_average(label_emb, label_mask, s)  # (B, L, C)
    has_label = window_average(label_mask.float().unsqueeze(-1), label_mask, s)[..., 0] > 0  # (B, L)
    k = model.semantic_proj(avg)  # (B, L, d) class tokens
    keep = has_label.clone() if latent_valid is None else has_label & latent_valid
    nxt = F.cosine_similarity(k[:, :-1].detach(), k[:, 1:].detach(), dim=-1)  # (B, L-1)
    keep[:, :-1] &= ~((nxt > tau) & has_label[:, 1:])
    cos = F.cosine_similarity(mu, k, dim=-1)  # (B, L)
    kept = keep.float()
    return ((1.0 - cos) * kept).sum() / kept.sum().clamp(min=1.0)
