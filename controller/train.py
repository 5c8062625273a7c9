"""Train the universal G1 tracking policy with rsl-rl PPO on the mjlab tracking task.

The physics backend follows the device: classic MuJoCo on CPU threads for `cpu` (`controller.classic_sim`), MuJoCo
Warp for `cuda` (`--backend` overrides). `--preset cpu` is the CPU run (512 envs), `--preset smoke` a two-minute
check, `--preset gpu` the 2048-env GPU run. Checkpoints (rsl-rl format + deployment metadata) are written
atomically to --out, TensorBoard logs and a `progress.csv` (env steps, wall time, episode length, success) beside.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import random
import re
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from controller.backend import BACKENDS
from controller.config import DEFAULT_MOTION_DIR, TaskCfg, odometry_noise_arg, preset
from generator.motion.errors import CliParser, InputError, atomic_path, cli_entry, seed_arg


def resolve_motions(source: str | Path | None) -> tuple[list, str]:
    """The motions to train on and a description: --motions, else the retargeted library, else the built-in set."""
    from controller.motion_lib import motion_paths

    if source is not None:
        paths = motion_paths(source)
        return [str(p) for p in paths], f"{len(paths)} motion file(s) from {source}"
    if DEFAULT_MOTION_DIR.is_dir() and any(DEFAULT_MOTION_DIR.rglob("*.npz")):
        paths = motion_paths(DEFAULT_MOTION_DIR)
        return [str(p) for p in paths], f"retargeted library {DEFAULT_MOTION_DIR} ({len(paths)} motions)"
    from controller.builtin_motions import builtin_motions

    motions = list(builtin_motions().items())
    return motions, f"built-in motion set ({', '.join(n for n, _ in motions)}); no {DEFAULT_MOTION_DIR} found"


def seed_everything(seed: int) -> None:
    """Seed python, numpy and torch (CPU runs are then deterministic)."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


PROGRESS_FIELDS = ("iteration", "env_steps", "wall_s", "cpu_s", "reward", "episode_length", "success", "episodes")


def attach_progress(runner, iterations: int, out: Path, steps_per_iteration: int) -> tqdm:
    """Replace rsl-rl's multi-line console log with a tqdm bar and append one `progress.csv` row per iteration:
    env steps, wall and CPU seconds, mean reward and episode length, and the share of episodes that ended at the
    motion's end rather than by a termination (TensorBoard logging is unchanged)."""
    bar = tqdm(total=iterations, desc="PPO", unit="it", dynamic_ncols=True)
    original = runner.logger.log
    library = runner.env.unwrapped.command_manager.get_term("motion").library
    csv = out / "progress.csv"
    resumed = csv.exists()
    first_iteration = runner.current_learning_iteration
    prev = {"done": float(library.completions.sum()), "fail": float(library.failures.sum())}
    base = {"steps": 0, "wall": 0.0, "cpu": 0.0}
    if resumed:  # rows past the checkpoint belong to iterations about to be redone: dropped
        header, *rows = csv.read_text().strip().splitlines()
        rows = [r for r in rows if int(r.split(",")[0]) < first_iteration]
        with atomic_path(csv) as tmp:
            Path(tmp).write_text("\n".join([header, *rows]) + "\n")
        if rows:
            last = rows[-1].split(",")
            base = {"steps": int(last[1]), "wall": float(last[2]), "cpu": float(last[3])}
    else:
        csv.write_text(",".join(PROGRESS_FIELDS) + "\n")
    t0, c0 = time.time(), time.process_time()

    def log(*args, **kwargs):
        with contextlib.redirect_stdout(io.StringIO()):
            original(*args, **kwargs)
        lg = runner.logger
        done, fail = float(library.completions.sum()), float(library.failures.sum())
        episodes = done + fail - prev["done"] - prev["fail"]
        success = (done - prev["done"]) / episodes if episodes else float("nan")
        prev.update(done=done, fail=fail)
        reward = float(np.mean(lg.rewbuffer)) if len(lg.rewbuffer) else float("nan")
        length = float(np.mean(lg.lenbuffer)) if len(lg.lenbuffer) else float("nan")
        it = runner.current_learning_iteration
        row = (
            it, base["steps"] + (it - first_iteration + 1) * steps_per_iteration, base["wall"] + time.time() - t0,
            base["cpu"] + time.process_time() - c0, reward, length, success, int(episodes),
        )  # fmt: skip
        with csv.open("a") as f:
            f.write(",".join(f"{v:.4f}" if isinstance(v, float) else str(v) for v in row) + "\n")
        bar.set_postfix(reward=f"{reward:.3f}", ep_len=f"{length:.1f}", success=f"{success:.2f}")
        bar.update(1)

    runner.logger.log = log
    return bar


def latest_checkpoint(run: Path) -> Path:
    """The checkpoint itself, or the highest-iteration model_*.pt in a run directory."""
    if run.is_file():
        return run
    ckpts = sorted(run.glob("model_*.pt"), key=lambda p: int(re.findall(r"\d+", p.stem)[-1]))
    if not ckpts:
        raise InputError(f"{run}: no model_*.pt checkpoint to resume from")
    return ckpts[-1]


def train(
    motions, preset_name: str = "cpu", num_envs: int | None = None, iterations: int | None = None,
    out: Path = Path("runs/g1_tracking"), seed: int = 0, resume: Path | None = None, dr: bool = True,
    device: str | None = None, task: TaskCfg | None = None, backend: str | None = None, odometry: bool | None = None,
    odometry_noise: tuple[float, float] | None = None,
) -> Path:  # fmt: skip
    """Train and return the path of the final checkpoint. `odometry` None keeps the preset's (or, on resume, the
    checkpoint's) actor observation; switching it on when resuming a policy without it widens the policy's input
    (`policy_io.widen_observation`), so training continues from the same behaviour. `odometry_noise` replaces the
    task's (or the checkpoint's) noise on the odometry terms."""
    from mjlab.rl import RslRlVecEnvWrapper

    from controller.backend import make_env
    from controller.env_cfg import make_env_cfg
    from controller.policy_io import deploy_metadata, load_checkpoint, widen_observation
    from controller.runner import TrackingRunner, runner_cfg

    p = preset(preset_name)
    task = replace(task or p.task, domain_randomization=dr)
    resume_path, resume_ckpt = None, None
    if resume is not None:
        resume_path = latest_checkpoint(Path(resume))
        resume_ckpt = load_checkpoint(resume_path)
        task = TaskCfg.from_dict(resume_ckpt["infos"]["controller"]["task"])
    widen = resume_ckpt is not None and odometry is not None and odometry != task.actor_odometry
    if widen and not odometry:
        raise InputError("--odometry off cannot resume a policy that observes odometry (terms are only added)")
    if widen:  # the drift termination is only fair to a policy that can see drift
        task = replace(task, actor_odometry=True, world_drift_m=p.task.world_drift_m)
    elif odometry is not None:
        task = replace(task, actor_odometry=odometry)
    if odometry_noise is not None:
        task = replace(task, odometry_noise=tuple(odometry_noise))
    device = device or p.device
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise InputError(
            f"preset {preset_name!r} needs CUDA (device {device}) but no GPU is available; use --preset cpu"
        )
    n = num_envs or p.num_envs
    iters = iterations if iterations is not None else p.iterations
    seed_everything(seed)
    env_cfg = make_env_cfg(motions, task, num_envs=n, seed=seed)
    env = RslRlVecEnvWrapper(make_env(env_cfg, device, backend))
    cfg = runner_cfg(p.ppo, iters, p.save_interval, seed)
    metadata = deploy_metadata(env.unwrapped, task, asdict(p.ppo))
    out.mkdir(parents=True, exist_ok=True)
    runner = TrackingRunner(env, cfg, str(out), device, metadata)
    if resume_ckpt is not None:
        if widen:
            resume_ckpt = widen_observation(resume_ckpt, metadata["observation_terms"])
            resume_path = out / f"widened_{resume_path.name}"
            runner.save_checkpoint(resume_ckpt, resume_path)
        runner.load(str(resume_path))
        runner.current_learning_iteration += 1  # continue after the loaded iteration, never overwrite it
        sampler = resume_ckpt["infos"].get("sampler") or {}
        lib = env.unwrapped.command_manager.get_term("motion").library
        if sampler.get("motions"):  # keep the hard-negative statistics of the motions still trained on
            kept = lib.load_sampler_state(sampler)
            print(f"hard-negative statistics kept for {kept} of {lib.num_motions} motions")
    bar = attach_progress(runner, iters, out, p.ppo.num_steps_per_env * n)
    t0 = time.time()
    runner.learn(num_learning_iterations=iters, init_at_random_ep_len=False)
    bar.close()
    final = latest_checkpoint(out)
    steps = iters * p.ppo.num_steps_per_env * n
    print(f"trained {iters} iterations ({steps} env steps) in {time.time() - t0:.0f} s -> {final}")
    stats = env.unwrapped.command_manager.get_term("motion").library.stats()
    print(f"{'motion':<24} {'episodes':>8} {'failures':>8} {'completed':>9} {'sampling':>8}")
    for r in stats[:50]:
        print(
            f"{r['motion']:<24} {r['episodes']:>8} {r['failures']:>8} {r['completions']:>9} {r['sampling_prob']:>8.3f}"
        )
    env.close()
    return final


@cli_entry
def main(argv: list[str] | None = None) -> int:
    ap = CliParser(
        prog="python -m controller.train", description=__doc__, formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    ap.add_argument("--motions", type=Path, default=None, help=f"robot motion dir/file (default: {DEFAULT_MOTION_DIR} "
                    "if present, else the built-in set)")  # fmt: skip
    ap.add_argument(
        "--preset",
        default="cpu",
        help="cpu: 512 envs, classic MuJoCo; smoke: 8 envs, 10 iterations; gpu: 2048 envs, Warp",
    )
    ap.add_argument("--num-envs", type=int, default=None, help="override the preset's number of envs")
    ap.add_argument("--iterations", type=int, default=None, help="override the preset's PPO iterations")
    ap.add_argument("--resume", type=Path, default=None, help="run directory or checkpoint to continue from")
    ap.add_argument("--seed", type=seed_arg, default=0, help="random seed (CPU runs are deterministic)")
    ap.add_argument("--dr", choices=["on", "off"], default="on", help="domain randomisation")
    ap.add_argument("--device", default=None, help="torch/warp device (default: the preset's)")
    ap.add_argument(
        "--backend",
        choices=list(BACKENDS),
        default=None,
        help="physics: classic (MuJoCo, CPU threads) or warp (default: classic on cpu, warp on cuda)",
    )
    ap.add_argument(
        "--odometry",
        choices=["on", "off"],
        default=None,
        help="the actor observes the reference anchor position in its own frame and the pelvis velocity (state "
        "estimate); default: on for a new run, the checkpoint's on --resume (on over off widens the policy and turns "
        "on the preset's world-drift termination)",
    )
    ap.add_argument(
        "--odometry-noise",
        default=None,
        metavar="POS,VEL",
        help="uniform noise half-widths on the odometry terms, m and m/s (default: the preset's 0.05,0.2, or the "
        "checkpoint's on --resume)",
    )
    ap.add_argument("--out", type=Path, default=Path("runs/g1_tracking"), help="run directory")
    args = ap.parse_args(argv)
    if args.num_envs is not None and not 1 <= args.num_envs <= 65536:
        raise InputError(f"--num-envs {args.num_envs} is out of range [1, 65536]")
    if args.iterations is not None and not 1 <= args.iterations <= 10_000_000:
        raise InputError(f"--iterations {args.iterations} is out of range")
    if not 0 <= args.seed < 2**32:
        raise InputError(f"--seed {args.seed} is out of range [0, 2**32)")
    if args.out.exists() and not args.out.is_dir():
        raise InputError(f"{args.out}: exists and is not a run directory")
    if args.resume is None and args.out.is_dir() and any(args.out.glob("model_*.pt")):
        raise InputError(f"{args.out}: already holds a run's checkpoints; pass --resume {args.out} or another --out")
    noise = None if args.odometry_noise is None else odometry_noise_arg(args.odometry_noise)
    preset(args.preset)  # an unknown name: the one-line error every room gives
    motions, description = resolve_motions(args.motions)
    print(f"motions: {description}", file=sys.stderr)
    train(
        motions, args.preset, args.num_envs, args.iterations, args.out, args.seed, args.resume, args.dr == "on",
        args.device, backend=args.backend, odometry=None if args.odometry is None else args.odometry == "on",
        odometry_noise=noise,
    )  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
