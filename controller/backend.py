"""Which physics runs the tracking env: MuJoCo Warp through mjlab (`warp`, the GPU path) or classic MuJoCo on CPU
threads (`classic`, `controller.classic_sim`). The task config is the same; only mjlab's `Simulation` is swapped."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator

import torch

BACKENDS = ("classic", "warp")


def default_backend(device: str) -> str:
    """`classic` on the CPU (50-100x faster there than Warp's CPU path), `warp` on CUDA."""
    return "warp" if str(device).startswith("cuda") else "classic"


@contextlib.contextmanager
def _simulation_class(cls) -> Iterator[None]:
    """mjlab's env builds its `Simulation` by module-level name; point that name at `cls` while it does."""
    import mjlab.envs.manager_based_rl_env as env_module

    original = env_module.Simulation
    env_module.Simulation = cls
    try:
        yield
    finally:
        env_module.Simulation = original


@contextlib.contextmanager
def single_threaded_torch() -> Iterator[None]:
    """Torch ops on one intra-op thread inside the block, the previous count restored after it.

    On the classic backend the physics thread pool takes every core; torch's OpenMP workers, which spin for a
    while after each parallel op, would take one back from it. Measured with `benchmarks/bench_env.py` on the
    2-core CPU: 1.29x more env-steps/s at 256 envs (1.01-1.06x at 64 and 1024); the PPO update outside the env
    step keeps both threads.
    """
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(n)


@functools.cache
def _classic_env_class() -> type:
    """mjlab's env whose `step` and `reset` run the managers' torch ops on one thread (see above)."""
    from mjlab.envs import ManagerBasedRlEnv

    class ClassicRlEnv(ManagerBasedRlEnv):
        def step(self, action: torch.Tensor):
            with single_threaded_torch():
                return super().step(action)

        def reset(self, *args, **kwargs):
            with single_threaded_torch():
                return super().reset(*args, **kwargs)

    return ClassicRlEnv


def make_env(cfg, device: str = "cpu", backend: str | None = None):
    """An mjlab `ManagerBasedRlEnv` for `cfg` on the chosen physics backend."""
    from mjlab.envs import ManagerBasedRlEnv

    backend = backend or default_backend(device)
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose from {BACKENDS}")
    if backend == "warp":
        return ManagerBasedRlEnv(cfg, device=device)
    from controller.classic_sim import ClassicSimulation

    with _simulation_class(ClassicSimulation):
        return _classic_env_class()(cfg, device="cpu")
