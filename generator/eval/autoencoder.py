"""Reconstruction quality of a trained autoencoder (MPJPE, Procrustes-aligned MPJPE)."""

from __future__ import annotations

import numpy as np
import torch

from generator.motion import repr272


def procrustes_align(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """pred (T, J, 3) moved onto target (T, J, 3) per frame by the best similarity transform (Umeyama)."""
    mu_p, mu_t = pred.mean(1, keepdim=True), target.mean(1, keepdim=True)
    p, t = pred - mu_p, target - mu_t
    u, sig, vh = torch.linalg.svd(p.transpose(1, 2) @ t)  # (T, 3, 3): p^T t = U S V^T
    d = torch.sign(torch.linalg.det(u @ vh))  # (T,) no reflections
    fix = torch.ones_like(sig)
    fix[:, -1] = d
    rot = u @ torch.diag_embed(fix) @ vh  # maps centred p onto centred t: p @ rot
    scale = (sig * fix).sum(-1) / p.pow(2).sum((1, 2)).clamp(min=1e-12)  # (T,)
    return scale[:, None, None] * p @ rot + mu_t


@torch.no_grad()
def evaluate(ae, clips: list[np.ndarray]) -> dict[str, float]:
    """{'mpjpe_mm', 'pa_mpjpe_mm', 'global_mpjpe_mm', 'ade_mm', 'fde_mm', 'clips'} over features [(T, 272)]."""
    s = ae.down
    mpjpe, pa, glob, ade, fde = [], [], [], [], []
    for feats in clips:
        t = len(feats) // s * s
        if t < s or not np.isfinite(feats).all():
            continue
        x = repr272.normalize(torch.from_numpy(feats[:t]), ae.mean, ae.std)[None]
        recon = ae.decode(ae.encode(x))
        j_hat, j = ae.features_to_joints(recon)[0], ae.features_to_joints(x)[0]  # (T, 22, 3)
        err = (j_hat - j).norm(dim=-1)  # (T, 22)
        root = (j_hat[:, 0] - j[:, 0]).norm(dim=-1)  # (T,)
        glob.append(float(err.mean()))
        mpjpe.append(float(((j_hat - j_hat[:, :1]) - (j - j[:, :1])).norm(dim=-1).mean()))
        pa.append(float((procrustes_align(j_hat.double(), j.double()) - j).norm(dim=-1).mean()))
        ade.append(float(root.mean()))
        fde.append(float(root[-1]))
    keys = ("mpjpe_mm", "pa_mpjpe_mm", "global_mpjpe_mm", "ade_mm", "fde_mm")
    if not mpjpe:
        return {**dict.fromkeys(keys, float("nan")), "clips": 0}
    values = [1000 * float(np.mean(v)) for v in (mpjpe, pa, glob, ade, fde)]
    return {**dict(zip(keys, values)), "clips": len(mpjpe)}
