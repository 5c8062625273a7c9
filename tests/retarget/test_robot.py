"""The shared G1 description and the robot motion file (the API the controller and sim code against)."""

from __future__ import annotations

import mujoco
import numpy as np
import pytest

from generator.motion.errors import InputError
from retarget import robot
from retarget.robot_motion import RobotMotion, load_robot_motion


def test_names_match_the_mjcf_and_mjlab_entity_order():
    model = robot.load_model()
    assert model.nq == 36 and model.nu == 0
    assert tuple(model.joint(i).name for i in range(1, model.njnt)) == robot.JOINT_NAMES
    assert tuple(model.body(i).name for i in range(1, model.nbody)) == robot.BODY_NAMES
    # mjlab's Entity.body_names is spec.bodies[1:]; its tracking MotionLoader indexes the file with that order.
    spec = mujoco.MjSpec.from_file(str(robot.G1_XML))
    assert tuple(b.name for b in spec.bodies[1:]) == robot.BODY_NAMES
    # depth-first: every body's parent comes before it and subtrees are contiguous
    for i in range(1, model.nbody):
        assert model.body_parentid[i] < i
    floor = robot.load_model(floor=True)
    assert floor.ngeom == model.ngeom + 1


def test_limits_default_pose_and_kinematics():
    lo, hi = robot.joint_limits()
    assert lo.shape == hi.shape == (29,) and np.all(lo < hi)
    q = robot.default_qpos()
    assert q.shape == (36,) and np.all(q[7:] >= lo) and np.all(q[7:] <= hi)
    pos, quat = robot.forward_kinematics(np.stack([q, q]))
    assert pos.shape == (2, 30, 3) and quat.shape == (2, 30, 4)
    np.testing.assert_allclose(pos[0, 0], q[:3])
    np.testing.assert_allclose(np.linalg.norm(quat, axis=-1), 1.0, atol=1e-9)
    # standing in the default pose: soles near the ground, head high
    model = robot.load_model()
    data = mujoco.MjData(model)
    data.qpos[:] = q
    mujoco.mj_kinematics(model, data)
    assert np.all(np.abs(robot.foot_lowest_points(model, data)) < 0.01)
    assert pos[0, robot.BODY_INDEX["left_shoulder_roll_link"], 2] > 1.0


def test_robot_motion_roundtrip_and_velocities(tmp_path):
    t = np.arange(20) / 50.0
    q = np.tile(robot.default_qpos(), (20, 1))
    q[:, 0] = 0.5 * t  # walk forward at 0.5 m/s
    yaw = 1.0 * t  # turn at 1 rad/s
    q[:, 3], q[:, 6] = np.cos(yaw / 2), np.sin(yaw / 2)
    q[:, 7 + robot.JOINT_INDEX["left_knee_joint"]] += 0.3 * t
    m = RobotMotion.from_qpos(q, fps=50.0, source_text="walk")
    np.testing.assert_allclose(m.qpos, q, atol=1e-6)
    np.testing.assert_allclose(m.body_lin_vel_w[:, 0], np.tile([0.5, 0, 0], (20, 1)), atol=1e-4)
    np.testing.assert_allclose(m.body_ang_vel_w[:, 0], np.tile([0, 0, 1.0], (20, 1)), atol=1e-4)
    np.testing.assert_allclose(m.joint_vel[:, robot.JOINT_INDEX["left_knee_joint"]], 0.3, atol=1e-4)
    path = m.save(tmp_path / "m.npz")
    with np.load(path) as data:
        for key in ("fps", "joint_pos", "joint_vel", "body_pos_w", "body_quat_w", "body_lin_vel_w", "body_ang_vel_w"):
            assert key in data.files
        assert data["body_pos_w"].shape == (20, 30, 3)
    back = load_robot_motion(path)
    assert back.source_text == "walk" and back.num_frames == 20 and back.foot_contacts.shape == (20, 2)
    np.testing.assert_allclose(back.qpos, q, atol=1e-5)


def test_bad_robot_motion_files(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        load_robot_motion(tmp_path / "missing.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(InputError, match="not a readable"):
        load_robot_motion(tmp_path / "junk.npz")
    m = RobotMotion.from_qpos(np.tile(robot.default_qpos(), (3, 1)))
    m.joint_pos = m.joint_pos.copy()
    m.joint_pos[1, 4] = np.nan
    with pytest.raises(InputError, match="NaN"):
        m.save(tmp_path / "nan.npz")
    assert not (tmp_path / "nan.npz").exists()
    m = RobotMotion.from_qpos(np.tile(robot.default_qpos(), (3, 1)))
    m.joint_names = ("foo_joint",) + robot.JOINT_NAMES[1:]
    with pytest.raises(InputError, match="unknown robot joint"):
        m.validate()
    with pytest.raises(InputError):
        RobotMotion.from_qpos(np.zeros((0, 36)))
