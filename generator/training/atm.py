"""ATM (seed 003): inter- and intra-motion adaptive alignment losses from a frozen text-motion evaluator.

Both are triplet losses whose margin is read off the real motions, so they vanish when the generated motions equal
the real ones. The selection of hard examples (argmin / argmax of distance ratios) is not differentiated; the loss
is differentiable w.r.t. the generated motions' embeddings, hence w.r.t. the generator through the evaluator.
Use: L = L_main + 0.01 * (L_inter + L_intra), on the decoded (un-normalised 272-D) final motion.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from generator.eval.evaluator import TMREvaluator, caption_similarity_embeddings

_EPS = 1e-8


def atm_inter_loss(
    gen_emb: torch.Tensor, real_emb: torch.Tensor, text_emb: torch.Tensor, text_sim: torch.Tensor,
    text_threshold: float = 0.85,
) -> torch.Tensor:  # fmt: skip
    """Inter-motion adaptive alignment (Eq. 2-3), mean over the batch.

    gen_emb (B, D): embeddings of the generated motions (carry the gradient); real_emb (B, D): of the paired real
    motions; text_emb (B, D): of their texts; text_sim (B, B): cosine similarity of the captions (sentence
    embeddings). For each i, j* = argmin_{j != i} D(gen_i, gen_j) / D(real_i, real_j) over pairs whose captions
    have cosine <= text_threshold; loss_i = max(0, D(t_i, gen_i) - D(t_i, gen_j*) + D(t_i, real_j*) - D(t_i, real_i)).
    Rows with no admissible j contribute 0.
    """
    b = gen_emb.shape[0]
    real_emb, text_emb = real_emb.detach(), text_emb.detach()
    with torch.no_grad():
        ratio = torch.cdist(gen_emb, gen_emb) / torch.cdist(real_emb, real_emb).clamp_min(_EPS)
        invalid = (text_sim > text_threshold) | torch.eye(b, dtype=torch.bool, device=gen_emb.device)
        ratio = ratio.masked_fill(invalid, float("inf"))
        j = ratio.argmin(1)
        valid = torch.isfinite(ratio.gather(1, j[:, None]))[:, 0]
    if not bool(valid.any()):
        return gen_emb.sum() * 0.0
    d_pos = (text_emb - gen_emb).norm(dim=-1)
    d_neg = (text_emb - gen_emb[j]).norm(dim=-1)
    margin = (text_emb - real_emb[j]).norm(dim=-1) - (text_emb - real_emb).norm(dim=-1)
    loss = F.relu(d_pos - d_neg + margin)
    return (loss * valid).sum() / b


def atm_intra_loss(
    gen_clip_emb: torch.Tensor, real_clip_emb: torch.Tensor, clip_valid: torch.Tensor, gen_emb: torch.Tensor,
    real_emb: torch.Tensor, seq_threshold: float = 0.8,
) -> torch.Tensor:  # fmt: skip
    """Intra-motion adaptive alignment (Eq. 4-7), mean over the batch.

    gen_clip_emb / real_clip_emb (B, K, D): embeddings of the K successive fixed-length clips of each generated /
    real motion (the generated ones carry the gradient); clip_valid (B, K) bool: clip lies inside the motion;
    gen_emb / real_emb (B, D): whole-sequence embeddings. Only sequences with cos(gen_i, real_i) < seq_threshold are
    corrected: their worst clip c^ (max D to its real clip c), positive / negative proxies among all other valid
    generated clips of the batch by the max / min ratio D(c^, c^_k) / D(c, c_k), and
    loss = max(0, D(c^, c^_pos) - D(c^, c^_neg) + D(c, c_neg) - D(c, c_pos)).
    """
    b, k, d = gen_clip_emb.shape
    gen_flat, real_flat = gen_clip_emb.reshape(b * k, d), real_clip_emb.detach().reshape(b * k, d)
    valid_flat = clip_valid.reshape(b * k)
    with torch.no_grad():
        active = F.cosine_similarity(gen_emb, real_emb.detach(), dim=-1) < seq_threshold
        clip_gap = (gen_clip_emb - real_clip_emb).norm(dim=-1).masked_fill(~clip_valid, float("-inf"))
        worst = clip_gap.argmax(1)  # (B,)
        anchor = torch.arange(b, device=gen_emb.device) * k + worst
        active &= clip_valid.any(1) & (valid_flat.sum() > 2)
    if not bool(active.any()):
        return gen_clip_emb.sum() * 0.0
    anchors = anchor[active]
    g_anchor, r_anchor = gen_flat[anchors], real_flat[anchors]
    with torch.no_grad():
        ratio = torch.cdist(g_anchor, gen_flat) / torch.cdist(r_anchor, real_flat).clamp_min(_EPS)
        pool = valid_flat[None].expand_as(ratio).clone()
        pool[torch.arange(len(anchors)), anchors] = False
        pos = ratio.masked_fill(~pool, float("-inf")).argmax(1)
        neg = ratio.masked_fill(~pool, float("inf")).argmin(1)
    d_pos = (g_anchor - gen_flat[pos]).norm(dim=-1)
    d_neg = (g_anchor - gen_flat[neg]).norm(dim=-1)
    margin = (r_anchor - real_flat[neg]).norm(dim=-1) - (r_anchor - real_flat[pos]).norm(dim=-1)
    return F.relu(d_pos - d_neg + margin).sum() / b


def split_clips(features: torch.Tensor, lengths: torch.Tensor, clip_frames: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, T, C) motions -> (B, K, clip_frames, C) successive clips and (B, K) validity (clip fully inside)."""
    b, t, c = features.shape
    k = max(t // clip_frames, 1)
    if t < clip_frames:
        features = F.pad(features, (0, 0, 0, clip_frames - t))
    clips = features[:, : k * clip_frames].reshape(b, k, clip_frames, c)
    valid = (torch.arange(k, device=lengths.device)[None] + 1) * clip_frames <= lengths[:, None]
    return clips, valid


@dataclass(frozen=True)
class ATMConfig:
    """ATM settings of the paper: caption threshold 0.85, sequence threshold 0.8, 2 s clips at 30 fps."""

    text_threshold: float = 0.85
    seq_threshold: float = 0.8
    clip_frames: int = 60


class ATMLoss(nn.Module):
    """Both ATM losses on un-normalised 272-D motions through a frozen evaluator (its weights get no gradient)."""

    def __init__(self, evaluator: TMREvaluator, cfg: ATMConfig = ATMConfig()):
        super().__init__()
        self.cfg = cfg
        self.evaluator = evaluator.eval()
        for p in self.evaluator.parameters():
            p.requires_grad_(False)

    def forward(
        self, gen_features: torch.Tensor, real_features: torch.Tensor, lengths: torch.Tensor, texts: list[str]
    ) -> dict[str, torch.Tensor]:
        """gen/real (B, T, 272) un-normalised, lengths (B,), captions -> {'inter', 'intra', 'total'}."""
        ev, cfg = self.evaluator, self.cfg
        b = gen_features.shape[0]
        with torch.no_grad():
            text_emb = ev.embed_text(texts)
            sent = caption_similarity_embeddings(ev.text_model, texts).to(text_emb)
            real_emb = ev.embed_motion(real_features, lengths)
        gen_emb = ev.embed_motion(gen_features, lengths)
        inter = atm_inter_loss(gen_emb, real_emb, text_emb, sent @ sent.T, cfg.text_threshold)
        g_clips, valid = split_clips(gen_features, lengths, cfg.clip_frames)
        r_clips, _ = split_clips(real_features, lengths, cfg.clip_frames)
        k = g_clips.shape[1]
        clip_len = torch.full((b * k,), cfg.clip_frames, dtype=torch.long, device=lengths.device)
        g_clip_emb = ev.embed_motion(g_clips.reshape(b * k, cfg.clip_frames, -1), clip_len).reshape(b, k, -1)
        with torch.no_grad():
            r_clip_emb = ev.embed_motion(r_clips.reshape(b * k, cfg.clip_frames, -1), clip_len).reshape(b, k, -1)
        intra = atm_intra_loss(g_clip_emb, r_clip_emb, valid, gen_emb, real_emb, cfg.seq_threshold)
        return {"inter": inter, "intra": intra, "total": inter + intra}


def molingo_atm_loss(
    atm: ATMLoss, model: nn.Module, ae: nn.Module, x1: torch.Tensor, pad: torch.Tensor, z: torch.Tensor,
    masked: torch.Tensor, texts: list[str],
) -> dict[str, torch.Tensor]:  # fmt: skip
    """ATM for a MoLingo training step: the one-step clean estimate of the masked latents, decoded to motion.

    x1 (B, L, d) standardised clean latents, pad (B, L) padding, z (B, L, W) the transformer's conditions, masked
    (B, L) the positions the flow loss trains on, texts the batch captions ("" = the CFG null prompt, left out).
    For masked tokens x1_hat = x_t + (1 - t) v(x_t, t, z) with x_t = t x1 + (1 - t) x0; known tokens stay x1. The
    generated motion is ae.decode(x1_hat) and the real one ae.decode(x1) (so both carry the same decoder bias);
    gradients flow to the transformer and the flow head through the frozen autoencoder and evaluator.
    """
    keep = torch.tensor([bool(t.strip()) for t in texts], device=x1.device)
    if int(keep.sum()) < 2:
        zero = z.sum() * 0.0
        return {"inter": zero, "intra": zero, "total": zero}
    x1m = x1[masked]
    t = torch.rand(x1m.shape[0], device=x1.device)
    xt = t[:, None] * x1m + (1 - t[:, None]) * torch.randn_like(x1m)
    x1_hat = xt + (1 - t[:, None]) * model.flow(xt, t, z[masked])
    latents = x1.masked_scatter(masked[..., None].expand_as(x1), x1_hat)
    lengths = (~pad).sum(1) * ae.down
    gen = ae.decode(model.unstandardize(latents)) * ae.std + ae.mean
    with torch.no_grad():
        real = ae.decode(model.unstandardize(x1)) * ae.std + ae.mean
    names = [t for t, k in zip(texts, keep.tolist()) if k]
    return atm(gen[keep], real[keep], lengths[keep], names)


def molingo_atm_step(
    atm: ATMLoss, model: nn.Module, ae: nn.Module, x1: torch.Tensor, pad: torch.Tensor, text_tokens: torch.Tensor,
    text_pad: torch.Tensor, texts: list[str], text_tags: torch.Tensor | None = None,
) -> dict[str, torch.Tensor]:  # fmt: skip
    """ATM for one MoLingo training batch without touching its flow loss: draws a training mask (cosine schedule,
    >= 1 masked token), runs the transformer once more and calls molingo_atm_loss. Arguments as in MoLingo.loss."""
    b, n, _ = x1.shape
    n_valid = (~pad).sum(1)
    n_mask = torch.round(torch.cos(torch.pi * torch.rand(b, device=x1.device) / 2) * n_valid).clamp(min=1).long()
    rank = torch.rand(b, n, device=x1.device).masked_fill(pad, float("inf")).argsort(1).argsort(1)
    masked = rank < n_mask[:, None]
    z = model(x1, masked, pad, model.encode_text(text_tokens, text_pad, text_tags), text_pad)
    return molingo_atm_loss(atm, model, ae, x1, pad, z, masked, texts)
