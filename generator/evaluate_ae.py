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

import torch

from generator.eval.autoencoder import evaluate
from generator.model.checkpoint import load_autoencoder
from generator.motion.errors import CliParser, InputError, cli_entry, seed_arg


def build_parser() -> argparse.ArgumentParser:
    p = CliParser(
        prog="python -m generator.evaluate_ae", description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )  # fmt: skip
    p.add_argument("--ckpt", required=True, help="autoencoder (or generator) checkpoint directory")
    p.add_argument("--data", required=True, help="HumanML3D-272 directory")
    p.add_argument("--split", default="test", help="split to evaluate")
    p.add_argument("--json", default=None, help="also write the numbers to this JSON file")
    p.add_argument("--seed", type=seed_arg, default=0, help="random seed (the evaluation itself is deterministic)")
    return p


@cli_entry
def main(argv: list[str] | None = None) -> int:
    from generator.data.layout import HumanML3D272
    from generator.motion.errors import atomic_path

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
