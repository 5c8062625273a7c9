"""Export a tracking policy for deployment: ONNX of the actor (observation normaliser folded in) plus a JSON with
the joint order, default pose, kp/kd, action scale, control rate, observation layout and future frame offsets."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np
import torch

from generator.motion.errors import CliParser, InputError, atomic_path, cli_entry, seed_arg

ONNX_NAME = "policy.onnx"
JSON_NAME = "policy.json"


def export(checkpoint: Path, out_dir: Path, seed: int = 0) -> tuple[Path, Path, float]:
    """Write DIR/policy.onnx and DIR/policy.json; return their paths and the max |onnx - torch| on random inputs."""
    import onnxruntime as ort

    from controller.policy_io import build_actor, load_checkpoint

    ckpt = load_checkpoint(checkpoint)
    meta = dict(ckpt["infos"]["controller"])
    actor = build_actor(ckpt)
    dim = int(meta["observation_dim"])
    onnx_path, json_path = out_dir / ONNX_NAME, out_dir / JSON_NAME
    with atomic_path(onnx_path, suffix=".onnx") as tmp:
        torch.onnx.export(
            actor, (torch.zeros(1, dim),), str(tmp), input_names=["obs"], output_names=["actions"], opset_version=18,
            dynamic_axes={"obs": {0: "batch"}, "actions": {0: "batch"}}, dynamo=False,
        )  # fmt: skip
        sess = ort.InferenceSession(str(tmp), providers=["CPUExecutionProvider"])
        x = torch.randn(16, dim, generator=torch.Generator().manual_seed(seed))
        with torch.no_grad():
            ref = actor(x).numpy()
        got = sess.run(["actions"], {"obs": x.numpy()})[0]
        diff = float(np.abs(ref - got).max())
        os.chmod(tmp, 0o644)
    meta["onnx"] = {"file": ONNX_NAME, "input": "obs", "output": "actions", "max_abs_diff_vs_torch": diff}
    meta["source_checkpoint"] = str(checkpoint)
    meta["iteration"] = int(ckpt.get("iter", 0))
    with atomic_path(json_path, suffix=".json") as tmp:
        tmp.write_text(json.dumps(meta, indent=1))
        os.chmod(tmp, 0o644)
    return onnx_path, json_path, diff


@cli_entry
def main(argv: list[str] | None = None) -> int:
    ap = CliParser(
        prog="python -m controller.export", description=__doc__, formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    ap.add_argument("--policy", type=Path, required=True, help="checkpoint (.pt) written by controller.train")
    ap.add_argument("-o", "--out", type=Path, required=True, help="output directory")
    ap.add_argument("--seed", type=seed_arg, default=0, help="seed of the random inputs of the ONNX-vs-torch check")
    args = ap.parse_args(argv)
    if args.out.exists() and not args.out.is_dir():
        raise InputError(f"{args.out}: exists and is not a directory")
    onnx_path, json_path, diff = export(args.policy, args.out, args.seed)
    print(f"wrote {onnx_path} and {json_path} (ONNX vs torch max |diff| {diff:.2e})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
