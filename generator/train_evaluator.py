"""Train the TMR-style evaluator on a HumanML3D-272 directory (the procedural library or the real dataset).

    python -m generator.train_evaluator --data DIR --out DIR --steps N --seed 0

Resumable: `train_state.pt` in --out holds weights, optimiser, step and RNG states; every --save-every steps (and at
the end) it and the shipped files (`evaluator.safetensors` fp16 + `evaluator.json`) are rewritten atomically.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from generator.eval.evaluator import (
    PRESETS,
)
from generator.eval.evaluator_training import TRAIN_PRESETS, train
from generator.motion.errors import CliParser, InputError, cli_entry, seed_arg


def build_parser() -> argparse.ArgumentParser:
    p = CliParser(
        prog="python -m generator.train_evaluator", description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )  # fmt: skip
    p.add_argument("--data", type=Path, required=True, help="HumanML3D-272 layout directory")
    p.add_argument("--out", type=Path, required=True, help="output directory (resumed when it has train_state.pt)")
    p.add_argument("--steps", type=int, default=20000, help="total optimisation steps")
    p.add_argument("--seed", type=seed_arg, default=0, help="random seed (CPU runs are deterministic)")
    p.add_argument("--preset", default="ms272", help=f"model size: {', '.join(sorted(PRESETS))}")
    p.add_argument("--train-preset", default=None, help=f"{', '.join(sorted(TRAIN_PRESETS))} (default: --preset's)")
    p.add_argument(
        "--text-encoder",
        default=None,
        help="default: the preset's (all-MiniLM-L6-v2); distilbert, t5-large (local weights) or a model directory",
    )
    p.add_argument("--split", default="train", help="split to train on")
    p.add_argument("--mirror", action="store_true", help="also train on every clip mirrored, side words swapped")
    p.add_argument(
        "--side-negatives", action="store_true", help="side-swapped captions as hard negatives of the contrastive loss"
    )
    p.add_argument("--no-log", action="store_true", help="no TensorBoard log")
    return p


@cli_entry
def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.steps < 1 or args.steps > 10_000_000:
        raise InputError(f"--steps {args.steps}: expected 1..10000000")
    t0 = time.perf_counter()
    result = train(args.data, args.out, args.steps, args.seed, args.preset, args.train_preset, args.text_encoder,
                   args.split, log=not args.no_log, mirror=args.mirror,
                   side_negatives=args.side_negatives)  # fmt: skip
    print(json.dumps(result, indent=2))
    print(f"wall time {time.perf_counter() - t0:.1f} s; evaluator in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
