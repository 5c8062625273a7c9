"""`python -m sim.replay_eval [--policy P] [--motions DIR]`: the sim-to-sim check of a tracking policy.

Every motion is replayed closed loop through `sim.replay`'s path (classic MuJoCo, the deployed policy reading
MuJoCo state, no observation noise) and scored by `sim.score`; success (PHC: no frame with a mean body error over
0.5 m) and falls are reported per group, to be set beside `controller.evaluate` on the same motions.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tqdm import tqdm

from generator.motion.errors import CliParser, InputError, cli_entry, seed_arg


def replay_eval(policy_path: Path, motion_paths: list[Path], seed: int = 0) -> list[dict]:
    """One row per motion: group, frames, success, fell, fall time, G-MPJPE (mm)."""
    from controller.evaluate import group_of
    from retarget.robot_motion import load_robot_motion
    from sim.replay import replay
    from sim.rollout import RolloutConfig
    from sim.scene import build_scene
    from sim.scores import score_rollout

    scene = build_scene(check=True)
    rows = []
    for path in tqdm(motion_paths, desc="replay", unit="motion"):
        motion = load_robot_motion(path)
        rollout = replay(motion, policy_path, config=RolloutConfig(mode="policy", seed=seed, progress=False))
        s = score_rollout(scene, rollout, feasibility=False)
        rows.append(
            {
                "motion": path.stem, "group": group_of(path.stem), "frames": rollout.num_frames,
                "success": s["tracking"]["success"], "fell": s["balance"]["fell"],
                "fall_time_s": s["balance"]["fall_time_s"], "g_mpjpe_mm": s["tracking"]["g_mpjpe_mm"],
            }
        )  # fmt: skip
    return rows


@cli_entry
def main(argv: list[str] | None = None) -> int:
    from controller.config import DEFAULT_POLICY
    from controller.evaluate import EVAL_MOTION_DIR, EVAL_PER_PRIMITIVE
    from controller.motion_groups import EVAL_SEED, build_motion_set
    from controller.motion_lib import motion_paths

    ap = CliParser(prog="python -m sim.replay_eval", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    ap.add_argument("--policy", type=Path, default=DEFAULT_POLICY, help="policy (default: the shipped one)")
    ap.add_argument("--motions", type=Path, default=None, help=f"robot motions (default: {EVAL_MOTION_DIR})")
    ap.add_argument("--seed", type=seed_arg, default=0, help="random seed")
    args = ap.parse_args(argv)
    if not args.policy.exists():
        raise InputError(f"{args.policy}: no such policy")
    if args.motions is None:
        paths = build_motion_set(EVAL_MOTION_DIR, EVAL_SEED, EVAL_PER_PRIMITIVE)
    else:
        paths = motion_paths(args.motions)
    rows = replay_eval(args.policy, paths, args.seed)
    print(f"{'group':<12} {'motions':>7} {'success':>8} {'fell':>6} {'g_mpjpe_mm':>10}")
    for group in sorted({r["group"] for r in rows}) + ["ALL"]:
        sel = [r for r in rows if group in ("ALL", r["group"])]
        n = len(sel)
        success = sum(r["success"] for r in sel) / n
        fell = sum(r["fell"] for r in sel) / n
        err = sum(r["g_mpjpe_mm"] * r["frames"] for r in sel) / sum(r["frames"] for r in sel)
        print(f"{group:<12} {n:>7} {success:>8.3f} {fell:>6.3f} {err:>10.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
