"""Throughput of the universal G1 tracking env: env-steps/s against the number of parallel envs.

For every env count two figures are measured in the same run: physics only (the decimation loop of MuJoCo Warp
steps with the actuator update, no managers) and the full env step (actions, physics, terminations, rewards,
command update with future reference frames, observations, auto-resets). The printed ratio full / physics is the
share of the step that is physics; the named baseline is the physics-only figure of the same run.

External anchor (not measured here): mjlab's G1 tracking reaches about 125k env-steps/s at 4096 envs on an
RTX 5090 (186k at 2048 envs on an RTX 4090, stepping only).

CPU: `python benchmarks/bench_env.py --envs 1,4,16`; GPU: `python benchmarks/bench_env.py --device cuda:0
--envs 512,1024,2048,4096,8192`.
"""

from __future__ import annotations

import argparse
import sys
import time

import torch

ANCHOR_STEPS_PER_S = 125_000  # mjlab G1 tracking, 4096 envs, RTX 5090


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def measure(num_envs: int, steps: int, device: str, seed: int) -> tuple[float, float]:
    """(physics-only, full env) env-steps per second for `num_envs` envs."""
    from mjlab.envs import ManagerBasedRlEnv

    from controller.builtin_motions import builtin_motions
    from controller.config import TaskCfg
    from controller.env_cfg import make_env_cfg

    cfg = make_env_cfg(list(builtin_motions().items()), TaskCfg(), num_envs=num_envs, seed=seed)
    env = ManagerBasedRlEnv(cfg, device=device)
    env.reset()
    g = torch.Generator(device=device).manual_seed(seed)
    actions = 0.1 * torch.randn(num_envs, env.action_manager.total_action_dim, device=device, generator=g)
    for _ in range(3):  # warm-up: kernel loading, CUDA graph capture
        env.step(actions)
    env.action_manager.process_action(actions)

    _sync(device)
    t0 = time.perf_counter()
    for _ in range(steps):
        for _ in range(env.cfg.decimation):
            env.action_manager.apply_action()
            env.scene.write_data_to_sim()
            env.sim.step()
    _sync(device)
    physics = steps * num_envs / (time.perf_counter() - t0)

    env.reset()
    _sync(device)
    t0 = time.perf_counter()
    for _ in range(steps):
        env.step(actions)
    _sync(device)
    full = steps * num_envs / (time.perf_counter() - t0)
    env.close()
    return physics, full


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--envs", default=None, help="comma-separated env counts (default: 1,4,16 on CPU, "
                    "512,1024,2048,4096,8192 on CUDA)")  # fmt: skip
    ap.add_argument("--steps", type=int, default=None, help="env steps per measurement (default: 20 CPU, 200 CUDA)")
    ap.add_argument("--device", default="cpu", help="torch/warp device")
    ap.add_argument("--seed", type=int, default=0, help="random seed")
    args = ap.parse_args(argv)
    cuda = args.device.startswith("cuda")
    if cuda and not torch.cuda.is_available():
        print("error: --device cuda requested but no CUDA GPU is available", file=sys.stderr)
        return 2
    counts = [int(x) for x in (args.envs or ("512,1024,2048,4096,8192" if cuda else "1,4,16")).split(",")]
    steps = args.steps or (200 if cuda else 20)
    print(f"device {args.device}, {steps} env steps per figure; anchor: mjlab G1 tracking ~{ANCHOR_STEPS_PER_S:,} "
          "env-steps/s at 4096 envs (RTX 5090)")  # fmt: skip
    print(f"{'envs':>6} {'physics steps/s':>16} {'full env steps/s':>17} {'full/physics':>13} {'full/anchor':>12}")
    for n in counts:
        physics, full = measure(n, steps, args.device, args.seed)
        print(f"{n:>6} {physics:>16.1f} {full:>17.1f} {full / physics:>13.2f} {full / ANCHOR_STEPS_PER_S:>12.2e}")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
