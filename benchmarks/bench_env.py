"""Throughput of the universal G1 tracking env on the CPU backend (classic MuJoCo on CPU threads).

For every env count, in the same run:
- (a) bare physics: the same scene's per-env MjData stepped the same way (the backend's thread pool, `decimation`
  mj_steps per env step), no managers, no copies: the ceiling of the backend;
- the full env step on the classic backend (actions, physics, terminations, rewards, command with future
  reference frames, observations, auto-resets);
- (b) the same full env on mjlab's MuJoCo Warp, CPU device, at `--warp-envs` envs (Warp-CPU throughput stops
  growing long before 64 envs, and 1024 envs of it would take many minutes per figure).
- what the `mj_step1` / `mj_step2` split saves: the same env stepped in interleaved blocks with `forward()` as
  `mj_step1` and as a whole `mj_forward` (`ClassicSimulation.split_step`), the median ratio of three pairs (the
  trajectories are identical, so only the time differs; interleaving cancels this machine's drifting speed).
- managers only: the same env stepped with the physics skipped (mjlab's managers and the data copies alone), and
  the ceiling it sets: full / bare if the physics inside the env ran at its bare speed, 1 / (1 + bare / managers).
Ratios printed: full / bare (target >= 0.7), full / Warp-CPU (target >= 50), bare / Warp-CPU (the bound on the
latter: no env on this physics steps faster than the physics alone), split / unsplit, and the physics
share: the fraction of the full step's wall time spent in the physics thread pool; the rest (mjlab's managers, the
data copies, the Python around them) runs on one thread, and full / bare can reach 0.7 only when that share does.

CPU: `python benchmarks/bench_env.py` (64, 256, 1024 envs). GPU: `python benchmarks/bench_env.py --device cuda:0
--envs 512,1024,2048,4096,8192` measures the Warp backend only.
"""

from __future__ import annotations

import argparse
import sys
import time

import torch


def _env(num_envs: int, device: str, backend: str, seed: int):
    from controller.backend import make_env
    from controller.builtin_motions import builtin_motions
    from controller.config import TaskCfg
    from controller.env_cfg import make_env_cfg

    cfg = make_env_cfg(list(builtin_motions().items()), TaskCfg(), num_envs=num_envs, seed=seed)
    return make_env(cfg, device, backend)


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def full_env(num_envs: int, steps: int, device: str, backend: str, seed: int) -> tuple[float, object, float]:
    """Full env-steps per second (small random actions), the env (closed by the caller) and, on the classic
    backend, the share of the step's time spent in the physics thread pool (NaN on Warp)."""
    env = _env(num_envs, device, backend, seed)
    env.reset()
    g = torch.Generator(device=device).manual_seed(seed)
    actions = 0.1 * torch.randn(num_envs, env.action_manager.total_action_dim, device=device, generator=g)
    for _ in range(3):  # warm-up: kernel loading, CUDA graph capture
        env.step(actions)
    _sync(device)
    physics = [0.0]
    if backend == "classic":
        parallel = env.sim._parallel

        def timed(fn) -> None:
            t = time.perf_counter()
            parallel(fn)
            physics[0] += time.perf_counter() - t

        env.sim._parallel = timed
    t0 = time.perf_counter()
    for _ in range(steps):
        env.step(actions)
    _sync(device)
    seconds = time.perf_counter() - t0
    if backend == "classic":
        del env.sim._parallel
    return steps * num_envs / seconds, env, physics[0] / seconds if backend == "classic" else float("nan")


def bare_physics(env, steps: int) -> float:
    """Env-steps per second of the classic backend's physics alone, on the env's own models and thread pool."""
    from controller.classic_sim import _step_chunk

    sim = env.sim
    t0 = time.perf_counter()
    for _ in range(steps * env.cfg.decimation):
        sim._parallel(_step_chunk)
    return steps * sim.num_envs / (time.perf_counter() - t0)


def managers_only(env, steps: int) -> float:
    """Env-steps per second of the full env step with the physics skipped (the MjDatas frozen, the copies out of
    them still made): the time mjlab's managers and the backend's data copies take on their own."""
    sim = env.sim
    actions = torch.zeros(env.num_envs, env.action_manager.total_action_dim)
    sim._parallel = lambda fn: sim._physics_ran()
    try:
        t0 = time.perf_counter()
        for _ in range(steps):
            env.step(actions)
        return steps * env.num_envs / (time.perf_counter() - t0)
    finally:
        del sim._parallel


def split_gain(env, steps: int, pairs: int = 3) -> float:
    """Median over `pairs` of (time with forward() as mj_forward) / (time with it as mj_step1), same env."""
    actions = 0.1 * torch.randn(env.num_envs, env.action_manager.total_action_dim)
    ratios, default = [], env.sim.split_step
    for _ in range(pairs):
        seconds = {}
        for split in (True, False):
            env.sim.split_step = split
            t0 = time.perf_counter()
            for _ in range(steps):
                env.step(actions)
            seconds[split] = time.perf_counter() - t0
        ratios.append(seconds[False] / seconds[True])
    env.sim.split_step = default
    return sorted(ratios)[len(ratios) // 2]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--envs", default=None, help="comma-separated env counts (default: 64,256,1024 on CPU)")
    ap.add_argument("--steps", type=int, default=30, help="env steps per figure (default 30)")
    ap.add_argument("--warp-envs", type=int, default=16, help="envs of the Warp-CPU baseline (default 16)")
    ap.add_argument("--warp-steps", type=int, default=5, help="env steps of the Warp-CPU baseline (default 5)")
    ap.add_argument("--device", default="cpu", help="torch/warp device")
    ap.add_argument("--seed", type=int, default=0, help="random seed")
    args = ap.parse_args(argv)
    cuda = args.device.startswith("cuda")
    if cuda and not torch.cuda.is_available():
        print("error: --device cuda requested but no CUDA GPU is available", file=sys.stderr)
        return 2
    counts = [int(x) for x in (args.envs or ("512,1024,2048,4096,8192" if cuda else "64,256,1024")).split(",")]
    if cuda:
        print(f"{'envs':>6} {'warp env-steps/s':>17}")
        for n in counts:
            full, env, _ = full_env(n, args.steps, args.device, "warp", args.seed)
            env.close()
            print(f"{n:>6} {full:>17.1f}", flush=True)
        return 0
    warp, env, _ = full_env(args.warp_envs, args.warp_steps, "cpu", "warp", args.seed)
    env.close()
    print(f"baseline (b): mjlab on MuJoCo Warp, CPU, {args.warp_envs} envs: {warp:.1f} env-steps/s", flush=True)
    head = f"{'envs':>6} {'bare physics (a)':>17} {'classic full env':>17} {'full/bare':>10} {'full/warp-cpu':>14}"
    head += f" {'bare/warp-cpu':>14} {'split/unsplit':>14} {'physics share':>14} {'managers only':>14} {'ceiling':>8}"
    print(head)
    for n in counts:
        full, env, share = full_env(n, args.steps, "cpu", "classic", args.seed)
        bare = bare_physics(env, args.steps)
        gain = split_gain(env, max(1, args.steps // 3))
        managers = managers_only(env, args.steps)
        env.sim.close()
        env.close()
        ceiling = 1 / (1 + bare / managers)  # full/bare if the physics ran at its bare speed beside the managers
        row = f"{n:>6} {bare:>17.1f} {full:>17.1f} {full / bare:>10.2f} {full / warp:>14.1f}"
        print(f"{row} {bare / warp:>14.1f} {gain:>14.2f} {share:>14.2f} {managers:>14.1f} {ceiling:>8.2f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
