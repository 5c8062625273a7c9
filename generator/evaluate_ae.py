"""Reconstruction quality of a motion autoencoder on a split: MPJPE (mm) and root-trajectory ADE / FDE (mm).

    python -m generator.evaluate_ae --ckpt OUT/ae --data DIR --split test

Each clip (cropped to a multiple of the downsampling) is encoded to its posterior mean and decoded; joints come from
the 272-D position inverse of both, in the clip's canonical frame. MPJPE averages over frames and joints, ADE is the
mean and FDE the last-frame distance of the pelvis trajectory; all are averaged over clips.
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


@torch.no_grad()
def evaluate(ae, clips: list[np.ndarray]) -> dict[str, float]:
    """{'mpjpe_mm', 'ade_mm', 'fde_mm', 'clips'} over un-normalised feature sequences [(T, 272)]."""
    s = ae.down
    mpjpe, ade, fde = [], [], []
    for feats in clips:
        t = len(feats) // s * s
        if t < s or not np.isfinite(feats).all():
            continue
        x = repr272.normalize(torch.from_numpy(feats[:t]), ae.mean, ae.std)[None]
        recon = ae.decode(ae.encode(x))
        j_hat, j = ae.features_to_joints(recon)[0], ae.features_to_joints(x)[0]  # (T, 22, 3)
        err = (j_hat - j).norm(dim=-1)  # (T, 22)
        root = (j_hat[:, 0] - j[:, 0]).norm(dim=-1)  # (T,)
        mpjpe.append(float(err.mean()))
        ade.append(float(root.mean()))
        fde.append(float(root[-1]))
    if not mpjpe:
        return {"mpjpe_mm": float("nan"), "ade_mm": float("nan"), "fde_mm": float("nan"), "clips": 0}
    return {
        "mpjpe_mm": 1000 * float(np.mean(mpjpe)), "ade_mm": 1000 * float(np.mean(ade)),
        "fde_mm": 1000 * float(np.mean(fde)), "clips": len(mpjpe),
    }  # fmt: skip


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
        f"{args.split}: {result['clips']} clips  MPJPE {result['mpjpe_mm']:.2f} mm  "
        f"root ADE {result['ade_mm']:.2f} mm  FDE {result['fde_mm']:.2f} mm"
    )
    if args.json:
        with atomic_path(args.json) as tmp:
            tmp.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
