"""`python -m sim.replay ROBOT_MOTION.npz (--policy P | --actions FILE | --pd) -o ROLLOUT.npz`: replay on the G1 in
classic MuJoCo at 50 Hz and write the rollout (.npz) with its settings (.json)."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from generator.motion.errors import CliParser, InputError, cli_entry, read_npy, read_npz, seed_arg
from retarget.robot_motion import RobotMotion, load_robot_motion
from sim.rollout import Push, Rollout, RolloutConfig, file_hash, load_checked_policy, run_rollout
from sim.scene import SceneMismatchError, build_scene


def load_actions(path: str | Path) -> np.ndarray:
    """Recorded actions (T, 29) from a .npy, or the 'actions' array of an .npz (e.g. an earlier rollout)."""
    path = Path(path)
    if path.suffix == ".npz":
        arr = read_npz(path, ("actions",), "actions")["actions"]
    else:
        arr = read_npy(path, "actions")
    if not np.issubdtype(arr.dtype, np.floating) and not np.issubdtype(arr.dtype, np.integer) or arr.dtype == bool:
        raise InputError(f"{path}: actions have dtype {arr.dtype}, expected real numbers")
    if arr.ndim != 2 or arr.shape[1] != 29 or arr.shape[0] < 1:
        raise InputError(f"{path}: actions have shape {arr.shape}, expected (T, 29)")
    if not np.isfinite(arr).all():
        raise InputError(f"{path}: actions contain NaN or infinite values")
    return arr.astype(np.float64)


def replay(
    reference: RobotMotion,
    policy_path: str | Path | None = None,
    actions_path: str | Path | None = None,
    config: RolloutConfig | None = None,
) -> Rollout:
    """Replay `reference` with a policy (closed loop), recorded actions (open loop) or the PD baseline."""
    mode = "policy" if policy_path and not actions_path else "actions" if actions_path else "pd"
    config = config or RolloutConfig(mode=mode)
    if config.mode != mode:
        config = RolloutConfig(**{**config.__dict__, "mode": mode})
    try:
        scene = build_scene(check=True)
    except SceneMismatchError as e:
        raise InputError(f"replay model does not match training: {e}") from None
    policy = load_checked_policy(scene, policy_path) if policy_path else None
    actions = load_actions(actions_path) if actions_path else None
    extra = {
        "policy_file": str(policy_path) if policy_path else None,
        "policy_sha256": file_hash(policy_path) if policy_path else None,
        "actions_file": str(actions_path) if actions_path else None,
        "actions_sha256": file_hash(actions_path) if actions_path else None,
        "reference_text": reference.source_text,
    }  # fmt: skip
    return run_rollout(scene, reference, config, policy=policy, actions=actions, extra_settings=extra)


def build_parser() -> argparse.ArgumentParser:
    p = CliParser(
        prog="python -m sim.replay", description=__doc__, formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    p.add_argument("motion", help="robot motion .npz (mjlab tracking format, 50 fps)")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--policy", help="policy file for controller.deploy.DeployedPolicy (closed loop)")
    src.add_argument("--actions", help="recorded actions (.npy (T,29) or an .npz with 'actions'), open loop")
    src.add_argument("--pd", action="store_true", help="reference-PD baseline (targets = reference joint positions)")
    p.add_argument("-o", "--out", required=True, help="output rollout .npz (a sibling .json holds the settings)")
    p.add_argument("--balance-gain", type=float, default=RolloutConfig.balance_gain,
                   help="PD baseline ankle strategy, rad per m of CoM error (0 = pure reference PD)")  # fmt: skip
    p.add_argument("--balance-damping", type=float, default=RolloutConfig.balance_damping,
                   help="PD baseline ankle strategy, rad per m/s of CoM velocity error")  # fmt: skip
    p.add_argument("--pure-pd", action="store_true",
                   help="PD baseline without the ankle strategy and the waist/arm gravity feed-forward")  # fmt: skip
    p.add_argument("--push", type=float, nargs=3, metavar=("FX", "START_S", "DURATION_S"), default=None,
                   help="shove the torso with FX newtons along world x from START_S for DURATION_S")  # fmt: skip
    p.add_argument("--seed", type=seed_arg, default=0, help="seed (recorded; CPU replay is deterministic)")
    return p


@cli_entry
def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    out = Path(args.out)
    if out.suffix != ".npz":
        raise InputError(f"{out}: the rollout must be written to a .npz file")
    for name in ("balance_gain", "balance_damping"):
        v = getattr(args, name)
        if not np.isfinite(v) or abs(v) > 1e3:
            raise InputError(f"--{name.replace('_', '-')} {v} is not a sensible gain (|gain| <= 1000)")
    push = None
    if args.push is not None:
        fx, start, dur = args.push
        if not all(np.isfinite(args.push)) or abs(fx) > 1e5 or start < 0 or dur < 0:
            raise InputError(f"--push {args.push}: expected |FX| <= 1e5 N and non-negative times")
        push = Push(force=(fx, 0.0, 0.0), start_s=start, duration_s=dur)
    reference = load_robot_motion(args.motion)
    mode = "policy" if args.policy else "actions" if args.actions else "pd"
    gains = (0.0, 0.0) if args.pure_pd else (args.balance_gain, args.balance_damping)
    config = RolloutConfig(
        mode=mode, seed=args.seed, push=push, balance_gain=gains[0], balance_damping=gains[1],
        gravity_compensation=not args.pure_pd,
    )  # fmt: skip
    rollout = replay(reference, args.policy, args.actions, config)
    rollout.save(out)
    print(f"wrote {out} ({rollout.num_frames} frames, {mode}) and {out.with_suffix('.json')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
