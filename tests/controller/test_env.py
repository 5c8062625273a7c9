"""The universal tracking env on the CPU (2 envs, built once): layout, stepping, resets, reward at rest,
terminations, and the deployed (classic MuJoCo) observation equal to the training observation."""

from __future__ import annotations

import mujoco
import numpy as np
import pytest
import torch

from controller import tracking_obs
from controller.builtin_motions import idle, wave
from controller.config import TRACKED_BODIES, TaskCfg
from controller.deploy import DeployedPolicy
from retarget import robot

NUM_ENVS = 2
TASK = TaskCfg(domain_randomization=False, observation_noise=False, reference_init_noise=False, sampling="start")


@pytest.fixture(scope="module")
def env():
    from mjlab.envs import ManagerBasedRlEnv

    from controller.env_cfg import make_env_cfg

    cfg = make_env_cfg(
        [("idle", idle(1.5)), ("wave", wave(2.0)), ("short", idle(0.4))], TASK, num_envs=NUM_ENVS, seed=0
    )
    e = ManagerBasedRlEnv(cfg, device="cpu")
    yield e
    e.close()


def _reset_to(env, motion: int) -> dict:
    cmd = env.command_manager.get_term("motion")
    cmd.forced_motion_ids = torch.full((NUM_ENVS,), motion, dtype=torch.long)
    obs, _ = env.reset()
    return obs


def test_layout_and_finite(env) -> None:
    obs = _reset_to(env, 0)
    sizes = tracking_obs.term_sizes(29, len(TRACKED_BODIES), len(TASK.future_steps))
    terms = tracking_obs.actor_terms(TASK.actor_odometry)
    assert TASK.actor_odometry and terms[-2:] == tracking_obs.ODOMETRY_TERMS
    assert env.observation_manager.active_terms["actor"] == list(terms)
    dims = env.observation_manager.group_obs_term_dim["actor"]
    assert [d[0] for d in dims] == [sizes[n] for n in terms]
    assert obs["actor"].shape == (NUM_ENVS, sum(sizes[n] for n in terms))
    assert obs["critic"].shape[1] > obs["actor"].shape[1]
    for _ in range(3):
        obs, rew, term, trunc, _ = env.step(torch.zeros(NUM_ENVS, 29))
        assert all(torch.isfinite(v).all() for v in obs.values()) and torch.isfinite(rew).all()


def test_idle_standing_gets_near_max_reward(env) -> None:
    """Reference-state init on the idle motion with zero actions: every tracking term near its maximum at first.

    The G1's PD gains (10 Hz natural frequency) do not hold the knees-bent default pose against gravity by
    themselves: unactuated, the robot sags and topples forward after about a second, so the check covers the first
    0.2 s, and the fall itself must end the episode through the training terminations.
    """
    _reset_to(env, 0)
    rm = env.reward_manager
    tracking = [n for n in rm.active_terms if n.startswith("motion_")]
    max_reward = sum(rm.get_term_cfg(n).weight for n in tracking) * env.step_dt
    for _ in range(10):
        _, rew, term, trunc, _ = env.step(torch.zeros(NUM_ENVS, 29))
        assert not term.any()
        for i, name in enumerate(rm.active_terms):
            value = rm._step_reward[:, i] / rm.get_term_cfg(name).weight  # the unweighted term
            if name in tracking:
                assert (value > 0.9).all(), (name, value)
            else:
                assert (value.abs() < 1e-6).all(), (name, value)
        assert (rew > 0.9 * max_reward).all()
    fell = torch.zeros(NUM_ENVS, dtype=torch.bool)
    for _ in range(65):
        _, _, term, _, _ = env.step(torch.zeros(NUM_ENVS, 29))
        fell |= term
    assert fell.all()


def test_termination_on_displacement_and_auto_reset(env) -> None:
    _reset_to(env, 1)
    for _ in range(3):
        env.step(torch.zeros(NUM_ENVS, 29))
    robot_entity = env.scene["robot"]
    state = torch.cat([robot_entity.data.root_link_pose_w, robot_entity.data.root_link_vel_w], dim=-1).clone()
    state[0, 2] += 0.6  # teleport env 0 upwards
    robot_entity.write_root_state_to_sim(state[:1], env_ids=torch.tensor([0]))
    before = env.episode_length_buf.clone()
    _, _, term, trunc, _ = env.step(torch.zeros(NUM_ENVS, 29))
    assert bool(term[0]) and not bool(term[1])
    assert env.episode_length_buf[0] == 0 and env.episode_length_buf[1] == before[1] + 1  # auto-reset of env 0 only
    cmd = env.command_manager.get_term("motion")
    assert abs(float(cmd.motion_times[0]) - env.step_dt) < 1e-6  # restarted at frame 0, pointing one step ahead
    assert int(cmd.library.failures.sum()) >= 1


def test_termination_on_world_drift(env) -> None:
    """A robot shifted 0.6 m sideways has drifted from the reference's world position: the drift termination fires
    for it and not for the untouched env (the body-deviation term, computed against anchor-aligned poses from
    before the shift, may fire too in this one step)."""
    _reset_to(env, 0)
    env.step(torch.zeros(NUM_ENVS, 29))
    robot_entity = env.scene["robot"]
    state = torch.cat([robot_entity.data.root_link_pose_w, robot_entity.data.root_link_vel_w], dim=-1).clone()
    state[0, 1] += 0.6
    robot_entity.write_root_state_to_sim(state[:1], env_ids=torch.tensor([0]))
    _, _, term, _, _ = env.step(torch.zeros(NUM_ENVS, 29))
    assert bool(term[0]) and not bool(term[1])
    drift = env.termination_manager.get_term("world_drift")
    assert bool(drift[0]) and not bool(drift[1])


def test_motion_end_is_a_time_out(env) -> None:
    _reset_to(env, 2)  # 0.4 s: the 20th step reaches the last frame, then the episode times out
    outs = []
    for _ in range(22):
        _, _, term, trunc, _ = env.step(torch.zeros(NUM_ENVS, 29))
        outs.append(bool(trunc[0]))
        assert not term.any()
    assert outs.index(True) == 19
    assert int(env.command_manager.get_term("motion").library.completions[2]) >= NUM_ENVS


def test_deploy_observation_matches_env(env) -> None:
    _reset_to(env, 1)
    g = torch.Generator().manual_seed(0)
    for _ in range(5):
        obs, *_ = env.step(0.3 * torch.randn(NUM_ENVS, 29, generator=g))
    cmd = env.command_manager.get_term("motion")
    policy = DeployedPolicy(
        {
            "joint_names": list(robot.JOINT_NAMES),
            "default_joint_pos": env.scene["robot"].data.default_joint_pos[0].tolist(),
            "action_scale": [1.0] * 29,
            "kp": [0.0] * 29,
            "kd": [0.0] * 29,
            "policy_dt": env.step_dt,
            "tracked_bodies": list(TRACKED_BODIES),
            "anchor_body": "torso_link",
            "future_steps": list(TASK.future_steps),
            "observation_dim": obs["actor"].shape[1],
            "observation_terms": tracking_obs.layout(
                29, len(TRACKED_BODIES), len(TASK.future_steps), tracking_obs.actor_terms(True)
            ),
        },  # fmt: skip
        actor=None,
    )
    policy.reset(wave(2.0))
    policy.last_action = env.action_manager.action[0].numpy().copy()
    model = robot.load_model(floor=True)
    data = mujoco.MjData(model)
    data.qpos[:] = env.sim.data.qpos[0].cpu().numpy()
    data.qvel[:] = env.sim.data.qvel[0].cpu().numpy()
    data.qpos[:3] -= env.scene.env_origins[0].cpu().numpy()  # the deployed world is the reference's
    step = int(round(float(cmd.motion_times[0]) / env.step_dt)) - 1
    assert step == 5
    ours = policy.observation(model, data, step)
    np.testing.assert_allclose(ours, obs["actor"][0].numpy(), atol=1e-4)


def test_robot_reads_and_reset_metrics_match_mjlab(env) -> None:
    """The command's direct reads of the tracked bodies equal mjlab's (gather-all-bodies) properties, and the
    episode metrics computed at reset equal mjlab's formulas on the same state."""
    from mjlab.tasks.tracking.mdp import MotionCommand
    from mjlab.utils.lab_api.math import quat_error_magnitude

    _reset_to(env, 1)
    for _ in range(5):
        env.step(0.3 * torch.ones(NUM_ENVS, 29))
    cmd = env.command_manager.get_term("motion")
    for name in (
        "robot_body_pos_w", "robot_body_quat_w", "robot_body_lin_vel_w", "robot_body_ang_vel_w",
        "robot_anchor_pos_w", "robot_anchor_quat_w", "robot_anchor_lin_vel_w", "robot_anchor_ang_vel_w",
    ):  # fmt: skip
        ours, theirs = getattr(cmd, name), getattr(MotionCommand, name).fget(cmd)
        assert ours.shape == theirs.shape and torch.allclose(ours, theirs, atol=1e-6), name
    ids = torch.tensor([1])
    cmd._tracking_errors(ids)
    robot_anchor = MotionCommand.robot_anchor_pos_w.fget(cmd)
    expected = {
        "error_anchor_pos": torch.norm(cmd.anchor_pos_w - robot_anchor, dim=-1),
        "error_anchor_rot": quat_error_magnitude(cmd.anchor_quat_w, MotionCommand.robot_anchor_quat_w.fget(cmd)),
        "error_body_rot": quat_error_magnitude(
            cmd.body_quat_relative_w, MotionCommand.robot_body_quat_w.fget(cmd)
        ).mean(-1),
        "error_joint_vel": torch.norm(cmd.joint_vel - cmd.robot.data.joint_vel, dim=-1),
    }
    for name, value in expected.items():
        assert float(value[1]) > 0 and abs(float(cmd.metrics[name][1]) - float(value[1])) < 1e-5, name
