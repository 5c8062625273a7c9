"""Reconstruction quality of a motion autoencoder on a split: MPJPE, PA-MPJPE, global MPJPE, root ADE / FDE (mm).

    python -m generator.evaluate_ae --ckpt OUT/ae --data DIR --split test

Each clip (cropped to a multiple of the downsampling) is encoded to its posterior mean and decoded; joints come from
the 272-D position inverse of both, in the clip's canonical frame. MPJPE averages over frames and joints after
subtracting each frame's pelvis (the released MotionStreamer / MoLingo evaluation code's convention, behind the
paper's 23 mm); PA-MPJPE also removes each frame's best rotation and scale (Procrustes, VerMo's tokenizer metric);
global MPJPE keeps the root, so drift of the integrated root trajectory counts. ADE is the mean and FDE the
last-frame distance of the pelvis trajectory; all are averaged over clips.
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np
import torch

from generator import repr272
from generator.checkpoint import load_autoencoder
from generator.errors import InputError, cli_entry


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


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m generator.evaluate_ae", description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )  # fmt: skip
    p.add_argument("--ckpt", required=True, help="autoencoder (or generator) checkpoint directory")
    p.add_argument("--data", required=True, help="HumanML3D-272 directory")
    p.add_argument("--split", default="test", help="split to evaluate")
    p.add_argument("--json", default=None, help="also write the numbers to this JSON file")
    p.add_argument("--seed", type=int, default=0, help="random seed (the evaluation itself is deterministic)")
    return p


@cli_entry
def main(argv: list[str] | None = None) -> int:
    from generator.data.layout import HumanML3D272
    from generator.errors import atomic_path

    args = build_parser().parse_args(argv)
    torch.manual_seed(args.seed)
    ae = load_autoencoder(args.ckpt)
    layout = HumanML3D272(args.data)
    result = evaluate(ae, [layout.motion(cid) for cid in layout.ids(args.split)])
    if not result["clips"]:
        raise InputError(f"{args.data}: no usable clip in the '{args.split}' split")
    print(
        f"{args.split}: {result['clips']} clips  MPJPE {result['mpjpe_mm']:.2f} mm (pelvis-aligned)  "
        f"PA-MPJPE {result['pa_mpjpe_mm']:.2f} mm  global MPJPE {result['global_mpjpe_mm']:.2f} mm  "
        f"root ADE {result['ade_mm']:.2f} mm  FDE {result['fde_mm']:.2f} mm"
    )
    if args.json:
        with atomic_path(args.json) as tmp:
            tmp.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
