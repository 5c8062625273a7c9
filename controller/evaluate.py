"""Evaluate a tracking policy on every motion of a set, from frame 0, in the mjlab env (classic MuJoCo on the CPU).

With no arguments: the shipped policy (its ONNX file) on the evaluation motion set (`controller.motion_set`, a seed
training never uses, built into data/eval_motions on first use), reported per group (in-place, locomotion).
No pushes or randomisation, observation noise on (`--dr on` / `--pushes on` measure robustness).
Success by the PHC criterion (the mean tracked-body error exceeds
0.5 m at some frame = fail) and by the training terminations (checked every step, never ending the episode);
G-MPJPE, MPJPE (pelvis-relative), velocity and acceleration errors in mm, mm/frame, mm/frame^2 over the 14 tracked
bodies. Writes a per-motion CSV and prints a table.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import os
import sys
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from controller.backend import BACKENDS
from controller.config import DEFAULT_POLICY, TaskCfg, odometry_noise_arg
from generator.motion.errors import CliParser, InputError, atomic_path, cli_entry, seed_arg

PHC_FAIL_M = 0.5
COLUMNS = (
    "motion", "group", "frames", "success_phc", "success_terminations", "first_termination", "g_mpjpe_mm", "mpjpe_mm",
    "vel_err_mm_per_frame", "acc_err_mm_per_frame2", "max_mean_body_err_m",
)  # fmt: skip


def record_termination(env, inner, name: str, params: dict) -> torch.Tensor:
    """A termination term that only records when the wrapped training term would fire (first frame per env)."""
    flags = inner(env, **params)
    store = env.__dict__.setdefault("_eval_termination_flags", {})
    store[name] = store.get(name, torch.zeros_like(flags)) | flags
    return torch.zeros_like(flags)


def _motion_metrics(ref: np.ndarray, rob: np.ndarray) -> dict[str, float]:
    """Tracking errors of one motion from per-frame tracked-body positions (T, B, 3) of reference and robot."""
    err = np.linalg.norm(ref - rob, axis=-1)  # (T, B)
    rel = np.linalg.norm((ref - ref[:, :1]) - (rob - rob[:, :1]), axis=-1)
    vel = np.linalg.norm(np.diff(ref, axis=0) - np.diff(rob, axis=0), axis=-1) if len(ref) > 1 else np.zeros((1, 1))
    acc = (
        np.linalg.norm(np.diff(ref, 2, axis=0) - np.diff(rob, 2, axis=0), axis=-1) if len(ref) > 2 else np.zeros((1, 1))
    )
    mean_err = err.mean(axis=1)
    return {
        "g_mpjpe_mm": 1000.0 * float(err.mean()),
        "mpjpe_mm": 1000.0 * float(rel.mean()),
        "vel_err_mm_per_frame": 1000.0 * float(vel.mean()),
        "acc_err_mm_per_frame2": 1000.0 * float(acc.mean()),
        "max_mean_body_err_m": float(mean_err.max()),
        "success_phc": bool(mean_err.max() <= PHC_FAIL_M),
    }


EVAL_MOTION_DIR = Path("data/eval_motions")
EVAL_PER_PRIMITIVE = 3


def load_actor(policy: Path):
    """(deploy metadata, batched torch actor) from a checkpoint (.pt), an ONNX file or an exported directory."""
    from controller.deploy import DeployedPolicy

    policy = Path(policy)
    if policy.suffix == ".pt":
        from controller.policy_io import build_actor, load_checkpoint

        ckpt = load_checkpoint(policy)
        return dict(ckpt["infos"]["controller"]), build_actor(ckpt)
    deployed = DeployedPolicy.load(policy)

    def actor(obs: torch.Tensor) -> torch.Tensor:
        return torch.from_numpy(deployed.actions(obs.cpu().numpy()))

    return deployed.meta, actor


def group_of(name: str) -> str:
    """The evaluation group of a motion-set clip name (`wave_2` -> in_place), else `other`."""
    from controller.motion_groups import GROUPS

    base = name.rsplit("_", 1)[0]
    return next((g for g, names in GROUPS.items() if base in names), "other")


def evaluate(
    checkpoint: Path, motions, num_envs: int = 8, seed: int = 0, device: str = "cpu", progress: bool = True,
    backend: str | None = None, dr: bool = False, pushes: bool = False,
    odometry_noise: tuple[float, float] | None = None,
) -> list[dict]:  # fmt: skip
    """Run every motion once from frame 0 with the policy; one result row per motion. `odometry_noise` replaces
    the noise the policy trained with on its odometry terms (to compare policies under the same noise)."""
    from mjlab.managers.termination_manager import TerminationTermCfg

    from controller.backend import make_env
    from controller.env_cfg import evaluation_cfg
    from controller.train import seed_everything

    meta, actor = load_actor(checkpoint)
    task = TaskCfg.from_dict(meta["task"])
    if odometry_noise is not None:
        task = dataclasses.replace(task, odometry_noise=tuple(odometry_noise))
    seed_everything(seed)
    cfg, training_terms = evaluation_cfg(motions, task, num_envs=num_envs, seed=seed, dr=dr, pushes=pushes)
    cfg.terminations = {
        f"record_{k}": TerminationTermCfg(
            func=record_termination, params={"inner": v.func, "name": k, "params": dict(v.params)}
        )
        for k, v in training_terms.items()
    }
    env = make_env(cfg, device, backend)
    if env.observation_manager.group_obs_dim["actor"][0] != meta["observation_dim"]:
        raise InputError("the policy's observation size does not match this task config")
    cmd = env.command_manager.get_term("motion")
    lib = cmd.library
    dt = env.step_dt
    rows: list[dict] = []
    ids = list(range(lib.num_motions))
    bar = tqdm(total=len(ids), desc="evaluate", unit="motion", disable=not progress)
    for start in range(0, len(ids), num_envs):
        batch = ids[start : start + num_envs]
        active = torch.tensor(batch + [batch[-1]] * (num_envs - len(batch)), device=env.device)
        cmd.forced_motion_ids = active
        env.__dict__["_eval_termination_flags"] = {}
        obs, _ = env.reset()
        frames = lib.num_frames[active].cpu().numpy()
        horizon = int(frames[: len(batch)].max())
        origins = env.scene.env_origins[:, None, :]
        ref_seq = [lib.state(active, torch.zeros(num_envs, device=env.device)).body_pos_w + origins]
        rob_seq = [cmd.robot_body_pos_w.clone()]
        first_term: list[str] = [""] * num_envs
        with torch.no_grad():  # not inference_mode: the classic backend tracks tensor versions to push edits
            for k in range(1, horizon):
                obs, *_ = env.step(actor(obs["actor"]))
                t = torch.full((num_envs,), k * dt, device=env.device)
                ref_seq.append(lib.state(active, t).body_pos_w + origins)
                rob_seq.append(cmd.robot_body_pos_w.clone())
                for name, flags in env.__dict__["_eval_termination_flags"].items():
                    for i in torch.nonzero(flags).flatten().tolist():
                        if not first_term[i] and k < frames[i]:
                            first_term[i] = f"{name}@{k}"
        ref = torch.stack(ref_seq, 1).cpu().numpy()
        rob = torch.stack(rob_seq, 1).cpu().numpy()
        for i, m in enumerate(batch):
            n = int(frames[i])
            row = {
                "motion": lib.names[m],
                "group": group_of(lib.names[m]),
                "frames": n,
                **_motion_metrics(ref[i, :n], rob[i, :n]),
            }
            row["success_terminations"] = not first_term[i]
            row["first_termination"] = first_term[i]
            rows.append(row)
        bar.update(len(batch))
    bar.close()
    env.close()
    return rows


def summary(rows: list[dict], name: str = "ALL") -> dict:
    """Success rates and frame-weighted mean errors over all motions."""
    w = np.array([r["frames"] for r in rows], dtype=float)
    out = {"motion": name, "group": name if name != "ALL" else "", "frames": int(w.sum())}
    out["success_phc"] = float(np.mean([r["success_phc"] for r in rows]))
    out["success_terminations"] = float(np.mean([r["success_terminations"] for r in rows]))
    out["first_termination"] = ""
    for k in ("g_mpjpe_mm", "mpjpe_mm", "vel_err_mm_per_frame", "acc_err_mm_per_frame2"):
        out[k] = float(np.average([r[k] for r in rows], weights=w))
    out["max_mean_body_err_m"] = float(max(r["max_mean_body_err_m"] for r in rows))
    return out


def _fmt(v) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:.3f}"
    return str(v)


def print_table(rows: list[dict]) -> None:
    """Print rows (and the summary) as an aligned table."""
    table = [list(COLUMNS)] + [[_fmt(r[c]) for c in COLUMNS] for r in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(COLUMNS))]
    for line in table:
        print("  ".join(s.rjust(w) if j else s.ljust(w) for j, (s, w) in enumerate(zip(line, widths))))


def _policy_files(policy: Path) -> set[Path]:
    """The files a policy argument reads (an exported directory: its ONNX and JSON)."""
    policy = Path(policy)
    files = (
        [policy / "policy.onnx", policy / "policy.json"] if policy.is_dir() else [policy, policy.with_suffix(".json")]
    )
    return {f.resolve() for f in files}


@cli_entry
def main(argv: list[str] | None = None) -> int:
    from controller.train import resolve_motions

    ap = CliParser(
        prog="python -m controller.evaluate",
        description=__doc__,
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    ap.add_argument(
        "--policy",
        type=Path,
        default=DEFAULT_POLICY,
        help="exported policy dir, .onnx or a .pt checkpoint (default: the shipped policy)",
    )
    ap.add_argument(
        "--motions",
        type=Path,
        default=None,
        help=f"robot motion dir/file (default: the evaluation set in {EVAL_MOTION_DIR})",
    )
    ap.add_argument("--backend", choices=list(BACKENDS), default=None, help="physics (default: by device)")
    ap.add_argument("--dr", choices=["on", "off"], default="off", help="domain randomisation (robustness)")
    ap.add_argument("--pushes", choices=["on", "off"], default="off", help="random pushes (robustness)")
    ap.add_argument("--num-envs", type=int, default=8, help="parallel envs (motions evaluated at once)")
    ap.add_argument("--out", type=Path, default=None, help="per-motion CSV")
    ap.add_argument("--seed", type=seed_arg, default=0, help="random seed (observation noise)")
    ap.add_argument("--device", default="cpu", help="torch/warp device")
    ap.add_argument(
        "--odometry-noise", default=None, metavar="POS,VEL",
        help="noise half-widths on the odometry terms, m and m/s (default: those the policy trained with)",
    )  # fmt: skip
    args = ap.parse_args(argv)
    noise = None if args.odometry_noise is None else odometry_noise_arg(args.odometry_noise)
    if not 1 <= args.num_envs <= 65536:
        raise InputError(f"--num-envs {args.num_envs} is out of range [1, 65536]")
    if not 0 <= args.seed < 2**32:
        raise InputError(f"--seed {args.seed} is out of range [0, 2**32)")
    if args.out is not None and args.out.exists() and args.out.resolve() in _policy_files(args.policy):
        raise InputError(f"{args.out}: is the policy being evaluated; choose another --out")
    load_actor(args.policy)  # fail fast on a bad policy file
    if args.motions is None:
        from controller.motion_groups import EVAL_SEED, build_motion_set

        motions = [str(p) for p in build_motion_set(EVAL_MOTION_DIR, EVAL_SEED, EVAL_PER_PRIMITIVE)]
        description = f"evaluation set {EVAL_MOTION_DIR} ({len(motions)} motions, seed {EVAL_SEED})"
    else:
        motions, description = resolve_motions(args.motions)
    print(f"motions: {description}", file=sys.stderr)
    rows = evaluate(
        args.policy, motions, args.num_envs, args.seed, args.device, backend=args.backend, dr=args.dr == "on",
        pushes=args.pushes == "on", odometry_noise=noise,
    )  # fmt: skip
    groups = sorted({r["group"] for r in rows})
    rows += [summary([r for r in rows if r["group"] == g], g) for g in groups if len(groups) > 1]
    rows.append(summary([r for r in rows if r["motion"] not in groups]))
    print_table(rows)
    if args.out is not None:
        with atomic_path(args.out, suffix=".csv") as tmp:
            with open(tmp, "w", newline="") as f:
                w = csv.DictWriter(f, fieldnames=COLUMNS)
                w.writeheader()
                w.writerows(rows)
            os.chmod(tmp, 0o644)
        print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
