"""The two physics backends run the same task: from the same initial state and action sequence, classic MuJoCo
(`controller.classic_sim`) and MuJoCo Warp (on its CPU device) give the same observations, rewards and
terminations within a stated tolerance; the classic model's stripped visual meshes change nothing."""

from __future__ import annotations

import mujoco
import numpy as np
import pytest
import torch

from controller.builtin_motions import idle, wave
from controller.config import TaskCfg

NUM_ENVS = 2
STEPS = 10
TASK = TaskCfg(domain_randomization=False, observation_noise=False, reference_init_noise=False, sampling="start")
# Warp runs in float32 and its solver differs in detail from classic MuJoCo's float64 one: over 10 policy steps
# (40 physics steps) of a standing robot the states agree to a few millimetres / milliradians.
OBS_ATOL = 0.05
REW_ATOL = 0.02


def _run(backend: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from controller.backend import make_env
    from controller.env_cfg import make_env_cfg

    cfg = make_env_cfg([("idle", idle(2.0)), ("wave", wave(2.0))], TASK, num_envs=NUM_ENVS, seed=0)
    env = make_env(cfg, "cpu", backend)
    cmd = env.command_manager.get_term("motion")
    cmd.forced_motion_ids = torch.arange(NUM_ENVS)
    obs, _ = env.reset()
    gen = torch.Generator().manual_seed(0)
    actions = 0.2 * torch.randn(STEPS, NUM_ENVS, 29, generator=gen)
    observations, rewards, terms = [obs["actor"].clone()], [], []
    for a in actions:
        obs, rew, term, _, _ = env.step(a)
        observations.append(obs["actor"].clone())
        rewards.append(rew.clone())
        terms.append(term.clone())
    env.close()
    return torch.stack(observations).numpy(), torch.stack(rewards).numpy(), torch.stack(terms).numpy()


@pytest.fixture(scope="module")
def both():
    return _run("classic"), _run("warp")


def test_backends_agree(both) -> None:
    (obs_c, rew_c, term_c), (obs_w, rew_w, term_w) = both
    assert obs_c.shape == obs_w.shape
    assert np.abs(obs_c[0] - obs_w[0]).max() < 1e-4  # the same reset state
    assert np.abs(obs_c - obs_w).max() < OBS_ATOL
    assert np.abs(rew_c - rew_w).max() < REW_ATOL
    assert (term_c == term_w).all()


def test_stripped_visual_meshes_keep_the_dynamics() -> None:
    from mjlab.scene import Scene

    from controller.classic_sim import strip_visual_geoms
    from sim.scene import training_env_cfg

    cfg = training_env_cfg()
    spec = Scene(cfg.scene, device="cpu").spec
    full, stripped = spec.compile(), strip_visual_geoms(spec).compile()
    assert stripped.ngeom == full.ngeom and stripped.nmesh == 0 and stripped.nbuffer < full.nbuffer / 20
    trajectories = []
    for m in (full, stripped):
        cfg.sim.mujoco.apply(m)
        d = mujoco.MjData(m)
        mujoco.mj_resetDataKeyframe(m, d, 0)
        d.ctrl[:] = 0.1
        for _ in range(200):
            mujoco.mj_step(m, d)
        trajectories.append(d.qpos.copy())
    np.testing.assert_array_equal(trajectories[0], trajectories[1])


def _classic_rollout(split_step: bool) -> tuple[np.ndarray, np.ndarray]:
    from controller.backend import make_env
    from controller.env_cfg import make_env_cfg

    task = TaskCfg(observation_noise=False, sampling="start")  # domain randomisation and pushes on
    cfg = make_env_cfg([("idle", idle(2.0)), ("wave", wave(2.0))], task, num_envs=3, seed=0)
    env = make_env(cfg, "cpu", "classic")
    env.sim.split_step = split_step
    obs, _ = env.reset()
    actions = 0.6 * torch.randn(40, 3, 29, generator=torch.Generator().manual_seed(0))
    observations, dones = [obs["actor"].clone()], []
    for k, a in enumerate(actions):
        if k == 10:
            env.sim.data.qvel[1, 0] += 0.5  # a state written between a forward() and the next step
        obs, _, term, trunc, _ = env.step(a)
        observations.append(obs["actor"].clone())
        dones.append(term | trunc)
    env.close()
    return torch.stack(observations).numpy(), torch.stack(dones).numpy()


def test_forward_as_step1_keeps_the_trajectory() -> None:
    """`forward()` as mj_step1 and the next substep as mj_step2 give the same rollout, bit for bit, as mj_forward
    then mj_step, through resets, randomised models, pushes and a state written after a forward."""
    (obs_split, done_split), (obs_full, done_full) = _classic_rollout(True), _classic_rollout(False)
    assert done_full.any()  # the random actions end some episodes, so resets are covered
    np.testing.assert_array_equal(obs_split, obs_full)
    np.testing.assert_array_equal(done_split, done_full)


def test_classic_env_runs_its_torch_ops_on_one_thread() -> None:
    """The classic env's step runs the managers' torch ops on one thread (the physics pool has the cores) and gives
    the caller's thread count back, also when the step raises."""
    from controller.backend import make_env
    from controller.env_cfg import make_env_cfg

    cfg = make_env_cfg([("idle", idle(2.0))], TASK, num_envs=2, seed=0)
    env = make_env(cfg, "cpu", "classic")
    seen, sim_step = [], env.sim.step
    env.sim.step = lambda: (seen.append(torch.get_num_threads()), sim_step())[1]
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        env.reset()
        env.step(torch.zeros(2, 29))
        assert seen and set(seen) == {1}
        assert torch.get_num_threads() == 2
        with pytest.raises(RuntimeError):
            env.step(torch.zeros(3, 29))  # wrong batch: the action manager's copy fails inside the step
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
        env.close()
