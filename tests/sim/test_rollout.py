"""Replays on the training robot: standing with the PD baseline, weight on the feet, pushes scored as falls,
open-loop replay of recorded actions, and the rollout file."""

from __future__ import annotations

import json

import numpy as np
import pytest

from retarget import robot
from retarget.robot_motion import RobotMotion
from sim.rollout import Push, RolloutConfig, load_rollout, run_rollout
from sim.scene import build_scene
from sim.scores import score_rollout


@pytest.fixture(scope="module")
def scene():
    return build_scene()


@pytest.fixture(scope="module")
def standing():
    return RobotMotion.from_qpos(np.tile(robot.default_qpos(), (250, 1)), source_text="stand")  # 5 s


@pytest.fixture(scope="module")
def stand_rollout(scene, standing):
    return run_rollout(scene, standing, RolloutConfig(mode="pd", progress=False))


def test_pd_baseline_stands_five_seconds(scene, stand_rollout):
    scores = score_rollout(scene, stand_rollout, feasibility=False)
    assert not scores["balance"]["fell"] and scores["tracking"]["success"]
    assert stand_rollout.qpos[:, 2].min() > 0.7  # pelvis stays at standing height
    assert scores["foot_contact"]["slide_distance_m"] < 0.02
    assert scores["foot_contact"]["slide_speed_mps"]["p95"] < 0.01
    assert scores["balance"]["torso_tilt_deg"]["max"] < 10.0
    assert scores["balance"]["com_margin_m"]["min"] > 0.0  # CoM over the feet throughout
    assert scores["foot_contact"]["agreement_with_reference"] > 0.95


def test_standing_foot_forces_carry_the_weight(scene, stand_rollout):
    total = stand_rollout.foot_forces[-100:, :, 2].sum(axis=1).mean()  # last 2 s, both feet
    assert total == pytest.approx(scene.weight, rel=0.05)
    assert np.abs(stand_rollout.foot_forces[-100:, :, :2]).max() < 0.05 * scene.weight


def test_pure_pd_at_training_gains_cannot_stand(scene, standing):
    config = RolloutConfig(mode="pd", balance_gain=0.0, balance_damping=0.0, gravity_compensation=False, progress=False)
    rollout = run_rollout(scene, standing, config)
    assert score_rollout(scene, rollout, feasibility=False)["balance"]["fell"]


def test_push_is_scored_as_fall(scene, standing):
    push = Push(force=(600.0, 0.0, 0.0), start_s=1.0, duration_s=0.3)
    rollout = run_rollout(scene, standing, RolloutConfig(mode="pd", push=push, progress=False))
    balance = score_rollout(scene, rollout, feasibility=False)["balance"]
    assert balance["fell"] and balance["fall_time_s"] >= 1.0
    assert rollout.settings["push"]["force"] == [600.0, 0.0, 0.0]


def test_recorded_actions_replay_open_loop(scene, standing, stand_rollout):
    short = RobotMotion.from_qpos(standing.qpos[:60])
    again = run_rollout(scene, short, RolloutConfig(mode="actions", progress=False), actions=stand_rollout.actions[:60])
    np.testing.assert_allclose(again.ctrl, stand_rollout.ctrl[:60], atol=1e-12)
    np.testing.assert_allclose(again.qpos, stand_rollout.qpos[:60], atol=1e-9)  # deterministic on the CPU


def test_rollout_file_roundtrip(tmp_path, stand_rollout):
    path = stand_rollout.save(tmp_path / "r.npz")
    settings = json.loads(path.with_suffix(".json").read_text())["settings"]
    assert settings["timestep"] == 0.005 and settings["decimation"] == 4 and len(settings["kp"]) == 29
    assert settings["model_hash"] and settings["mode"] == "pd"
    back = load_rollout(path)
    np.testing.assert_allclose(back.qpos, stand_rollout.qpos)
    np.testing.assert_allclose(back.foot_forces, stand_rollout.foot_forces)
    np.testing.assert_allclose(back.reference.joint_pos, stand_rollout.reference.joint_pos)
    assert back.reference.source_text == "stand" and back.settings["mode"] == "pd"


class _ReferencePolicy:
    """A closed-loop policy stand-in with DeployedPolicy's interface: commands the reference's next frame."""

    def __init__(self, scene):
        self.scene, self.steps, self.reference = scene, [], None
        self.kp, self.kd, self.action_scale = scene.kp, scene.kd, scene.action_scale
        self.default_joint_pos, self.policy_dt, self.joint_names = scene.default_joint_pos, scene.dt, robot.JOINT_NAMES

    def reset(self, reference):
        self.reference = reference

    def act(self, model, data, step):
        assert model is self.scene.model and data.time == pytest.approx(step * self.policy_dt)
        self.steps.append(step)
        nxt = self.reference.joint_pos[min(step + 1, self.reference.num_frames - 1)]
        return self.scene.targets_to_action(nxt)

    def joint_targets(self, action):
        return self.default_joint_pos + self.action_scale * action


def test_policy_mode_drives_closed_loop(scene, standing):
    from sim.scene import SceneMismatchError, check_policy_matches

    policy = _ReferencePolicy(scene)
    check_policy_matches(scene, policy)
    short = RobotMotion.from_qpos(standing.qpos[:40])
    closed = run_rollout(scene, short, RolloutConfig(mode="policy", progress=False), policy=policy)
    pure = RolloutConfig(mode="pd", balance_gain=0.0, balance_damping=0.0, gravity_compensation=False, progress=False)
    baseline = run_rollout(scene, short, pure)
    assert policy.steps == list(range(40))
    np.testing.assert_allclose(closed.qpos, baseline.qpos, atol=1e-9)
    policy.kp = scene.kp * 1.2
    with pytest.raises(SceneMismatchError, match="kp"):
        check_policy_matches(scene, policy)


def _kinematic_rollout(scene, reference: RobotMotion, qpos: np.ndarray):
    """A rollout whose robot is exactly at `qpos` each frame (scoring needs only poses, bodies and forces)."""
    from sim.rollout import Rollout

    t = len(qpos)
    moved = RobotMotion.from_qpos(qpos, fps=reference.fps)
    feet = np.zeros((t, 2, 3))
    feet[..., 2] = scene.weight / 2
    z = np.zeros((t, 29))
    return Rollout(
        fps=reference.fps, qpos=qpos, qvel=np.zeros((t, 35)), actions=z, ctrl=z, torque=z, torque_peak=z,
        power=np.zeros(t), foot_forces=feet, body_pos_w=moved.body_pos_w, body_quat_w=moved.body_quat_w,
        com=np.zeros((t, 3)), reference=reference,
    )  # fmt: skip


def _deepen_bow(qpos: np.ndarray, extra: float) -> np.ndarray:
    from scipy.spatial.transform import Rotation

    q = qpos.copy()
    hip = q[:, 7 + 0] + q[:, 7 + 6]
    u = (hip - hip[0]) / (hip - hip[0])[np.argmax(np.abs(hip - hip[0]))]  # 0 standing -> 1 at the deepest
    pitch = Rotation.from_rotvec(np.outer(np.clip(u, 0, 1) * extra, [0.0, 1.0, 0.0]))
    root = Rotation.from_quat(q[:, 3:7], scalar_first=True) * pitch
    q[:, 3:7] = root.as_quat(scalar_first=True)
    q[:, 7 + 0] -= np.clip(u, 0, 1) * extra
    q[:, 7 + 6] -= np.clip(u, 0, 1) * extra
    return q


@pytest.mark.parametrize("name", ["bow", "squat"])
def test_falls_are_judged_against_the_reference(scene, name):
    """A robot that performs a deep bow or a squat exactly as the reference does has not fallen, although the bow
    tilts the torso past 60 deg; the same robot lying on its back in the middle of the clip has."""
    from generator.data.gallery import clip_to_motion
    from generator.procedural import generate_primitive_clip
    from retarget.pipeline import retarget_motion

    params = {"depth": 0.9, "hold": 1.0} if name == "bow" else {"reps": 1, "depth": 0.4}
    ref = retarget_motion(clip_to_motion(generate_primitive_clip(name, seed=3, **params))).motion
    if name == "bow":  # deepen it: pelvis pitched a further 45 deg forward at the bottom, thighs kept in place
        ref = RobotMotion.from_qpos(_deepen_bow(ref.qpos, np.radians(45.0)), fps=ref.fps)
    tilt = score_rollout(scene, _kinematic_rollout(scene, ref, ref.qpos), feasibility=False)
    assert not tilt["balance"]["fell"], tilt["balance"]
    if name == "bow":
        assert tilt["balance"]["torso_tilt_deg"]["max"] > 60.0  # the old absolute test would have called it a fall
    lying = ref.qpos.copy()
    half = len(lying) // 2
    lying[half:, 2] = 0.12
    lying[half:, 3:7] = [np.cos(np.pi / 4), 0.0, np.sin(np.pi / 4), 0.0]  # pitched 90 deg onto its back
    fallen = score_rollout(scene, _kinematic_rollout(scene, ref, lying), feasibility=False)["balance"]
    assert fallen["fell"] and fallen["fall_frame"] == half
