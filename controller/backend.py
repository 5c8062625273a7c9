"""Which physics runs the tracking env: MuJoCo Warp through mjlab (`warp`, the GPU path) or classic MuJoCo on CPU
threads (`classic`, `controller.classic_sim`). The task config is the same; only mjlab's `Simulation` is swapped."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

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
        return ManagerBasedRlEnv(cfg, device="cpu")
