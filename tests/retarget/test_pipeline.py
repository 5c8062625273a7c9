"""Retargeting SMPL-22 -> G1: recovery of a known robot motion, limits, mirror symmetry, contacts, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from generator.motion.file import HumanMotion
from generator.motion.repr272 import mirror_motion
from generator.motion.segments import true_runs
from generator.motion.skeleton import JOINT_INDEX, NUM_JOINTS
from retarget import contacts, robot, scaling
from retarget.metrics import clip_metrics, matched_points
from retarget.pipeline import GMR_STYLE, OURS, retarget_motion

MAPPED_BODIES = (
    "pelvis", "left_hip_roll_link", "right_hip_roll_link", "left_knee_link", "right_knee_link",
    "left_ankle_roll_link", "right_ankle_roll_link", "left_shoulder_roll_link", "right_shoulder_roll_link",
    "left_elbow_link", "right_elbow_link", "left_wrist_yaw_link", "right_wrist_yaw_link",
)  # fmt: skip


def _known_robot_motion(n: int = 30) -> np.ndarray:
    """qpos (n, 36) at 30 fps from known joint angles: arms and waist move, the left leg lifts, the right foot stays."""
    t = np.linspace(0, 1, n)
    q = np.tile(robot.default_qpos(), (n, 1))
    j = lambda name: 7 + robot.JOINT_INDEX[name]  # noqa: E731
    q[:, j("left_hip_pitch_joint")] = -0.312 - 0.5 * np.sin(np.pi * t)
    q[:, j("left_knee_joint")] = 0.669 + 0.6 * np.sin(np.pi * t)
    q[:, j("left_shoulder_pitch_joint")] = 0.2 - 1.0 * t
    q[:, j("right_shoulder_roll_joint")] = -0.2 - 0.6 * t
    q[:, j("right_elbow_joint")] = 0.6 + 0.5 * t
    q[:, j("waist_yaw_joint")] = 0.3 * np.sin(2 * np.pi * t)
    return q


def _robot_as_human(qpos: np.ndarray, fps: float = 30.0) -> tuple[HumanMotion, np.ndarray]:
    """Map robot body points back onto an SMPL-like skeleton (same sizes as the robot) and its rest pose."""
    pos, quat = robot.forward_kinematics(qpos)
    pts = matched_points(pos, quat)
    inv = scaling.SMPL_TO_ROBOT.T  # robot -> SMPL axes
    joints = np.zeros((len(qpos), NUM_JOINTS, 3))
    for joint, body in scaling.POSITION_MAP.items():
        joints[:, JOINT_INDEX[joint]] = pts[body] @ inv.T
    # joints without a robot counterpart: along the spine above the pelvis, collars beside the neck
    torso = pos[:, robot.BODY_INDEX["torso_link"]] @ inv.T
    sh_mid = 0.5 * (joints[:, JOINT_INDEX["left_shoulder"]] + joints[:, JOINT_INDEX["right_shoulder"]])
    for name, w in (("spine1", 0.3), ("spine2", 0.6), ("spine3", 0.85), ("neck", 1.0)):
        joints[:, JOINT_INDEX[name]] = torso + w * (sh_mid - torso)
    joints[:, JOINT_INDEX["head"]] = joints[:, JOINT_INDEX["neck"]] + np.array([0, 0.15, 0])
    for s in ("left", "right"):
        joints[:, JOINT_INDEX[f"{s}_collar"]] = 0.5 * (
            joints[:, JOINT_INDEX["neck"]] + joints[:, JOINT_INDEX[f"{s}_shoulder"]]
        )
    from scipy.spatial.transform import Rotation

    rot = np.tile(np.eye(3), (len(qpos), NUM_JOINTS, 1, 1))
    pelvis = Rotation.from_quat(quat[:, 0][:, [1, 2, 3, 0]]).as_matrix()
    torso_r = Rotation.from_quat(quat[:, robot.BODY_INDEX["torso_link"]][:, [1, 2, 3, 0]]).as_matrix()
    rot[:, 0] = inv @ pelvis @ inv.T
    rot[:, JOINT_INDEX["spine1"]] = inv @ (np.swapaxes(pelvis, -1, -2) @ torso_r) @ inv.T
    human = HumanMotion.from_joints_rotations(joints, rot, text="robot as human", fps=fps)
    rest_q = np.zeros(robot.NQ)
    rest_q[3] = 1.0
    rest_q[2] = pos[0, 0, 2]
    rest_human, _ = _robot_as_human_points(rest_q, inv)
    return human, rest_human


def _robot_as_human_points(q: np.ndarray, inv: np.ndarray) -> tuple[np.ndarray, None]:
    pos, quat = robot.forward_kinematics(q[None])
    pts = matched_points(pos, quat)
    rest = np.zeros((NUM_JOINTS, 3))
    for joint, body in scaling.POSITION_MAP.items():
        rest[JOINT_INDEX[joint]] = pts[body][0] @ inv.T
    sh_mid = 0.5 * (rest[JOINT_INDEX["left_shoulder"]] + rest[JOINT_INDEX["right_shoulder"]])
    torso = pos[0, robot.BODY_INDEX["torso_link"]] @ inv.T
    for name, w in (("spine1", 0.3), ("spine2", 0.6), ("spine3", 0.85), ("neck", 1.0)):
        rest[JOINT_INDEX[name]] = torso + w * (sh_mid - torso)
    rest[JOINT_INDEX["head"]] = rest[JOINT_INDEX["neck"]] + np.array([0, 0.15, 0])
    for s in ("left", "right"):
        rest[JOINT_INDEX[f"{s}_collar"]] = 0.5 * (rest[JOINT_INDEX["neck"]] + rest[JOINT_INDEX[f"{s}_shoulder"]])
    return rest - rest[0], None


def test_known_robot_motion_is_recovered():
    q = _known_robot_motion()
    human, rest = _robot_as_human(q)
    calib = scaling.calibrate(rest)
    assert calib.legs == pytest.approx(1.0, abs=1e-6) and calib.arms == pytest.approx(1.0, abs=1e-6)
    result = retarget_motion(human, OURS, rest_pose=rest)
    out = result.motion
    # compare at matching times: output 50 fps, source 30 fps
    src_t = np.arange(len(q)) / 30.0
    out_idx = np.clip(np.rint(src_t * 50).astype(int), 0, out.num_frames - 1)
    want, _ = robot.forward_kinematics(q)
    got = out.body_pos_w[out_idx]
    idx = [robot.BODY_INDEX[b] for b in MAPPED_BODIES]
    # the source starts at the origin (canonicalised), the robot motion too: compare relative to the pelvis start
    want_rel = want[:, idx] - want[:1, :1]
    got_rel = got[:, idx] - got[:1, :1]
    err = np.linalg.norm(want_rel - got_rel, axis=-1)
    assert err.mean() < 0.025, err.mean(axis=0)
    assert result.metrics.limit_violations == 0
    knee = robot.JOINT_INDEX["left_knee_joint"]
    assert np.abs(out.joint_pos[out_idx, knee] - q[:, 7 + knee]).mean() < 0.12


def test_limits_hold_on_wild_motion():
    rng = np.random.default_rng(3)
    n = 20
    aa = rng.normal(scale=1.2, size=(n, NUM_JOINTS, 3))  # wild joint rotations, far outside the G1's ranges
    aa[:, 0] = 0.0
    from generator.motion.kinematics import forward_kinematics
    from generator.motion.rotations import axis_angle_to_matrix

    rot = axis_angle_to_matrix(aa)
    joints = forward_kinematics(rot, np.tile([0.0, 0.9, 0.0], (n, 1)))
    human = HumanMotion.from_joints_rotations(joints, rot, text="wild", fps=30)
    result = retarget_motion(human, OURS)
    lo, hi = robot.joint_limits()
    assert np.all(result.motion.joint_pos >= lo - 1e-6) and np.all(result.motion.joint_pos <= hi + 1e-6)
    assert result.metrics.limit_violations == 0
    assert np.isfinite(result.motion.body_pos_w).all()


def test_mirrored_input_gives_mirrored_output(walk):
    human = walk(1.0, seed=4, turn=0.5)
    mj, mr = mirror_motion(human.joints, human.rotations)
    mirrored = HumanMotion.from_joints_rotations(mj, mr, text="mirrored", fps=human.fps)
    a = retarget_motion(human, OURS).motion.qpos
    b = retarget_motion(mirrored, OURS).motion.qpos
    expect = robot.mirror_qpos(a)
    assert np.abs(b[:, 7:] - expect[:, 7:]).max() < 0.08
    assert np.abs(b[:, 7:] - expect[:, 7:]).mean() < 0.01
    assert np.abs(b[:, :3] - expect[:, :3]).max() < 0.02
    # a real difference: the clip turns, so the unmirrored output is not already symmetric
    assert np.abs(a[:, 7:] - expect[:, 7:]).max() > 0.05


def test_walking_keeps_feet_planted_and_beats_gmr_style(walk):
    human = walk(2.0, seed=2)
    ours = retarget_motion(human, OURS).metrics
    gmr = retarget_motion(human, GMR_STYLE).metrics
    assert ours.foot_sliding_pct < 2.0
    assert ours.max_penetration_mm < 5.0 and ours.floating_frames == 0
    assert ours.limit_violations == 0 and ours.self_collision_pct < 1.0
    assert ours.max_slide_mm <= gmr.max_slide_mm + 1.0


def test_contact_detection_and_locking(walk):
    human = walk(2.0, seed=0)
    tg = scaling.build_targets(human.joints, human.rotations, scaling.calibrate())
    c = contacts.detect_contacts(tg.human_joints, human.fps, scaling.calibrate().ankle_height)
    assert 0.3 < c.mean() < 0.95  # both stance and swing phases exist
    assert c.any(axis=1).mean() > 0.9  # walking: almost always one foot down
    locked = contacts.lock_feet(tg, c)
    for side, body in enumerate(robot.FOOT_BODIES):
        p = locked.positions[body]
        for s, e in true_runs(c[:, side]):
            assert np.ptp(p[s:e], axis=0).max() < 1e-9  # held still through the run
            assert np.allclose(p[s:e, 2], robot.SOLE_HEIGHT)


def test_airborne_motion_is_flagged_not_crashed(walk):
    human = walk(0.5, seed=1)
    joints = human.joints.copy()
    joints[..., 1] += 1.0  # the whole clip one metre up: no foot ever touches the floor
    floating = HumanMotion(
        joints=joints, rotations=human.rotations, root_translation=joints[:, 0], features=human.features, fps=30
    )
    result = retarget_motion(floating, OURS)
    assert any("airborne" in f for f in result.flags)
    assert result.motion.num_frames > 0 and np.isfinite(result.motion.qpos).all()


def test_metrics_detect_penetration_and_limits():
    q = np.tile(robot.default_qpos(), (5, 1))
    q[:, 2] -= 0.03  # 3 cm into the floor
    q[2, 7 + robot.JOINT_INDEX["left_knee_joint"]] = 3.5  # beyond the knee limit
    m = clip_metrics(q, np.ones((5, 2), bool))
    assert m.max_penetration_mm > 20 and m.limit_violations == 1
