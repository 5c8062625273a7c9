"""The replay scene: the training actuators, the training-match check, and vectorised contact forces."""

from __future__ import annotations

import copy

import mujoco
import numpy as np
import pytest
from mjlab.asset_zoo.robots.unitree_g1 import g1_constants as g1

from retarget import robot
from retarget.robot_motion import RobotMotion
from sim.rollout import contact_forces_world, foot_forces, foot_forces_naive, init_state
from sim.scene import SceneMismatchError, build_scene, check_matches_training, training_model


@pytest.fixture(scope="module")
def scene():
    return build_scene()


def test_actuators_equal_training_constants(scene):
    knee, ankle, wrist = (robot.JOINT_INDEX[n] for n in ("left_knee_joint", "left_ankle_pitch_joint",
                                                          "right_wrist_yaw_joint"))  # fmt: skip
    assert scene.kp[knee] == pytest.approx(g1.STIFFNESS_7520_22)
    assert scene.kd[knee] == pytest.approx(g1.DAMPING_7520_22)
    assert scene.armature[knee] == pytest.approx(g1.ARMATURE_7520_22)
    assert scene.effort_limit[knee] == 139.0
    assert scene.kp[ankle] == pytest.approx(2 * g1.STIFFNESS_5020)
    assert scene.effort_limit[ankle] == 50.0 and scene.effort_limit[wrist] == 5.0
    np.testing.assert_allclose(scene.action_scale, 0.25 * scene.effort_limit / scene.kp, rtol=1e-9)
    assert scene.model.opt.timestep == 0.005 and scene.decimation == 4 and scene.dt == pytest.approx(0.02)
    assert scene.model.opt.iterations == 10 and scene.model.opt.ls_iterations == 20
    assert scene.mass == pytest.approx(33.34, abs=0.05)
    np.testing.assert_allclose(scene.default_joint_pos, robot.default_qpos()[7:])
    check_matches_training(scene.model)  # the classic model equals a fresh compile of the training env config


@pytest.mark.parametrize(
    "mutate, needle",
    [
        (lambda m: m.actuator_gainprm.__setitem__((3, 0), m.actuator_gainprm[3, 0] * 1.1), "kp"),
        (lambda m: m.dof_armature.__setitem__(20, 0.5), "armature"),
        (lambda m: setattr(m.opt, "timestep", 0.002), "timestep"),
        (lambda m: m.actuator_forcerange.__setitem__(0, [-30.0, 30.0]), "effort limit"),
    ],
)
def test_mismatch_is_named(mutate, needle):
    model = training_model()
    mutate(model)
    with pytest.raises(SceneMismatchError, match=needle):
        check_matches_training(model)


def test_contact_forces_match_mj_contact_force(scene):
    data = mujoco.MjData(scene.model)
    init_state(scene, data, RobotMotion.from_qpos(robot.default_qpos()[None].repeat(2, 0)))
    for _ in range(30):
        mujoco.mj_step(scene.model, data)
    assert data.ncon >= 8
    buf, expect = np.zeros(6), []
    for i in range(data.ncon):
        mujoco.mj_contactForce(scene.model, data, i, buf)
        expect.append(data.contact[i].frame.reshape(3, 3).T @ buf[:3])
    np.testing.assert_allclose(contact_forces_world(scene.model, data), np.array(expect), atol=1e-9)
    np.testing.assert_allclose(foot_forces(scene, data), foot_forces_naive(scene, data), atol=1e-9)
    # Elliptic cones store the contact-frame force directly: the vectorised path handles them too.
    elliptic = copy.deepcopy(scene.model)
    elliptic.opt.cone = mujoco.mjtCone.mjCONE_ELLIPTIC
    mujoco.mj_forward(elliptic, data)
    for i in range(data.ncon):
        mujoco.mj_contactForce(elliptic, data, i, buf)
        np.testing.assert_allclose(contact_forces_world(elliptic, data)[i],
                                   data.contact[i].frame.reshape(3, 3).T @ buf[:3], atol=1e-9)  # fmt: skip
