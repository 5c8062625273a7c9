"""`python -m controller.motion_set --out DIR --per-primitive N [--locomotion L] [--mixed M] --seed S`: write one of
the tracker's motion sets (retargeted procedural clips, in-place and locomotion groups; see controller.motion_groups).

    python -m controller.motion_set --out data/robot_motions --per-primitive 16 --locomotion 64 --mixed 60 --seed 0
    [--generated 120]  (also motions of the shipped generator, the kind the demo tracks)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from controller.motion_groups import EVAL_SEED, MAX_SPEED, build_motion_set
from generator.motion.errors import CliParser, InputError, cli_entry, seed_arg


@cli_entry
def main(argv: list[str] | None = None) -> int:
    ap = CliParser(
        prog="python -m controller.motion_set", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    ap.add_argument("--out", type=Path, required=True, help="output directory")
    ap.add_argument("--per-primitive", type=int, default=8, help="clips per primitive (default 8)")
    ap.add_argument(
        "--locomotion", type=int, default=None, help="clips per locomotion primitive (default: --per-primitive)"
    )
    ap.add_argument("--seed", type=seed_arg, default=0, help=f"set seed (the evaluation set uses {EVAL_SEED})")
    ap.add_argument("--mixed", type=int, default=0, help="also this many compositions (training sets)")
    ap.add_argument(
        "--generated", type=int, default=0, help="also this many motions of the shipped generator (training sets)"
    )
    ap.add_argument("--generator", type=Path, default=None, help="generator checkpoint for --generated")
    ap.add_argument("--max-speed", type=float, default=MAX_SPEED, help="cap on walking speeds, m/s (default 1)")
    args = ap.parse_args(argv)
    if not 1 <= args.per_primitive <= 1000:
        raise InputError(f"--per-primitive {args.per_primitive} is out of range [1, 1000]")
    if args.locomotion is not None and not 1 <= args.locomotion <= 1000:
        raise InputError(f"--locomotion {args.locomotion} is out of range [1, 1000]")
    if not 0 <= args.seed < 2**32:
        raise InputError(f"--seed {args.seed} is out of range [0, 2**32)")
    if not 0 <= args.mixed <= 10_000:
        raise InputError(f"--mixed {args.mixed} is out of range [0, 10000]")
    if not 0 <= args.generated <= 10_000:
        raise InputError(f"--generated {args.generated} is out of range [0, 10000]")
    if args.generated and args.generator is not None and not (args.generator / "config.json").exists():
        raise InputError(f"--generator {args.generator}: no generator checkpoint there (config.json missing)")
    if not 0.1 <= args.max_speed <= 3.0:
        raise InputError(f"--max-speed {args.max_speed} is out of range [0.1, 3]")
    paths = build_motion_set(
        args.out, args.seed, args.per_primitive, args.max_speed, args.mixed, args.locomotion, args.generated,
        args.generator,
    )  # fmt: skip
    print(f"{len(paths)} robot motions in {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
