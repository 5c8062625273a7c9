"""The tracker's motion sets: retargeted procedural clips, in two groups, built reproducibly from a seed.

- in-place: idle, wave, raise arms, clap, punch, point, reach up, bow, squat, crouch;
- locomotion: walk, walk backward, side step, turn (walking speeds at most `max_speed`, 1 m/s by default).

Training and evaluation sets differ only in the seed (evaluation uses `EVAL_SEED`, which training never uses), so
evaluation clips are unseen variations (sides, speeds, depths, durations) of the trained actions.

    python -m controller.motion_set --out data/robot_motions --per-primitive 8 --seed 0
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from tqdm import tqdm

from generator.motion.errors import CliParser, InputError, cli_entry, seed_arg

IN_PLACE = ("idle", "wave", "raise_arms", "clap", "punch", "point", "reach_up", "bow", "squat", "crouch")
LOCOMOTION = ("walk", "walk_backward", "side_step", "turn")
GROUPS = {"in_place": IN_PLACE, "locomotion": LOCOMOTION}
EVAL_SEED = 1_000_003  # the evaluation set's seed; training commands never use it
MAX_SPEED = 1.0


def clip_seed(seed: int, primitive: str, k: int) -> int:
    """The procedural seed of clip k of a primitive in the set with `seed` (stable across runs and machines)."""
    return (seed * 1_000_003 + sum(map(ord, primitive)) * 101 + k) % 2**32


def _composition(seed: int, max_speed: float):
    """The first procedural composition from `seed` on whose primitives all lie in the two groups and whose walks
    stay under `max_speed` (sequences such as "walk then wave" and layers such as "walk while waving")."""
    from generator.procedural import generate_clip

    allowed = set(IN_PLACE) | set(LOCOMOTION)
    for attempt in range(10_000):
        clip = generate_clip((seed + attempt * 7919) % 2**32, min_seconds=3.0, max_seconds=8.0)
        speeds = [float(p.get("speed", 0.0)) for p in clip.params]
        if len(clip.primitives) > 1 and set(clip.primitives) <= allowed and max(speeds) <= max_speed:
            return clip
    raise RuntimeError("no composition of the allowed primitives found")


def build_motion_set(
    out: str | Path, seed: int, per_primitive: int, max_speed: float = MAX_SPEED, mixed: int = 0
) -> list[Path]:
    """Write `out/<group>/<primitive>_<k>.npz` robot motions, plus `mixed` compositions in `out/mixed/`; returns
    the paths (existing files are kept)."""
    from generator.data.gallery import clip_to_motion
    from generator.procedural import PRIMITIVES, generate_primitive_clip
    from retarget.pipeline import retarget_motion

    out = Path(out)
    jobs = [(g, name, k) for g, names in GROUPS.items() for name in names for k in range(per_primitive)]
    jobs += [("mixed", "mixed", k) for k in range(mixed)]
    paths = []
    for group, name, k in tqdm(jobs, desc="motions", unit="clip"):
        path = out / group / f"{name}_{k}.npz"
        paths.append(path)
        if path.exists():
            continue
        s = clip_seed(seed, name, k)
        if group == "mixed":
            clip = _composition(s, max_speed)
        else:
            params = PRIMITIVES[name].sample(np.random.default_rng(s), 3.0)
            if "speed" in params:
                params["speed"] = min(float(params["speed"]), max_speed)
            clip = generate_primitive_clip(name, seed=s, **params)
        motion = retarget_motion(clip_to_motion(clip)).motion
        path.parent.mkdir(parents=True, exist_ok=True)
        motion.save(path)
    return paths


@cli_entry
def main(argv: list[str] | None = None) -> int:
    ap = CliParser(
        prog="python -m controller.motion_set", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    ap.add_argument("--out", type=Path, required=True, help="output directory")
    ap.add_argument("--per-primitive", type=int, default=8, help="clips per primitive (default 8)")
    ap.add_argument("--seed", type=seed_arg, default=0, help=f"set seed (the evaluation set uses {EVAL_SEED})")
    ap.add_argument("--mixed", type=int, default=0, help="also this many compositions (training sets)")
    ap.add_argument("--max-speed", type=float, default=MAX_SPEED, help="cap on walking speeds, m/s (default 1)")
    args = ap.parse_args(argv)
    if not 1 <= args.per_primitive <= 1000:
        raise InputError(f"--per-primitive {args.per_primitive} is out of range [1, 1000]")
    if not 0 <= args.seed < 2**32:
        raise InputError(f"--seed {args.seed} is out of range [0, 2**32)")
    if not 0 <= args.mixed <= 10_000:
        raise InputError(f"--mixed {args.mixed} is out of range [0, 10000]")
    if not 0.1 <= args.max_speed <= 3.0:
        raise InputError(f"--max-speed {args.max_speed} is out of range [0.1, 3]")
    paths = build_motion_set(args.out, args.seed, args.per_primitive, args.max_speed, args.mixed)
    print(f"{len(paths)} robot motions in {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
