"""Synthetic human walking clips by forward kinematics of the rest skeleton, with truly planted stance feet.

The retarget tests read it through the `walk` fixture. The stance leg
stays straight and the pelvis advances exactly as fast as the stance foot swings back relative to the hip, so
the stance foot stays still in the world, which makes foot sliding measurable against a known ground truth.
"""

from __future__ import annotations

import numpy as np
import pytest

from generator.motion.file import FPS, HumanMotion
from generator.motion.kinematics import forward_kinematics
from generator.motion.rotations import axis_angle_to_matrix
from generator.motion.skeleton import JOINT_INDEX, NUM_JOINTS, REST_POSE, chain_length, floor_offset


def walking_motion(
    seconds: float = 2.0, fps: float = FPS, seed: int = 0, turn: float = 0.0, arm_swing: float = 0.4
) -> HumanMotion:
    """A walk on the neutral SMPL skeleton (y up, facing +z); `turn` is the total heading change in radians."""
    rng = np.random.default_rng(seed)
    n = max(2, int(round(seconds * fps)))
    t = np.arange(n) / fps
    hz = rng.uniform(0.8, 1.1)  # strides per second
    amp = np.deg2rad(rng.uniform(14, 22))  # hip swing amplitude
    theta = amp * np.sin(2 * np.pi * hz * t)  # left hip flexion (thigh forward); right is -theta
    dtheta = np.gradient(theta, 1.0 / fps)
    i = JOINT_INDEX
    leg = chain_length([i["left_hip"], i["left_knee"], i["left_ankle"]], REST_POSE)
    aa = np.zeros((n, NUM_JOINTS, 3))
    for side, sign in (("left", 1.0), ("right", -1.0)):
        th, dth = sign * theta, sign * dtheta
        swing = dth > 0  # thigh moving forward: swing phase, the knee folds to clear the ground
        bend = np.where(swing, np.sin(np.pi * np.clip((th + amp) / (2 * amp), 0, 1)), 0.0) * np.deg2rad(35)
        aa[:, i[f"{side}_hip"], 0] = -th - 0.5 * bend
        aa[:, i[f"{side}_knee"], 0] = bend
        aa[:, i[f"{side}_ankle"], 0] = th  # keeps the stance foot flat (the hip angle undone)
        aa[:, i[f"{side}_shoulder"], 0] = th * arm_swing
    aa[:, i["left_shoulder"], 2] = -np.deg2rad(75)  # arms down
    aa[:, i["right_shoulder"], 2] = np.deg2rad(75)
    heading = turn * t / max(t[-1], 1e-9)
    aa[:, 0, 1] = heading
    rotations = axis_angle_to_matrix(aa)
    # the stance leg (moving backwards) is straight: pelvis speed = its foot's backward speed under the hip
    stance_th = np.where(dtheta < 0, theta, -theta)
    speed = np.abs(leg * np.cos(stance_th) * dtheta)
    step = np.concatenate([[0.0], 0.5 * (speed[1:] + speed[:-1]) / fps])  # trapezoid rule
    mid_heading = np.concatenate([[heading[0]], 0.5 * (heading[1:] + heading[:-1])])
    root = np.zeros((n, 3))
    root[:, 0] = np.cumsum(step * np.sin(mid_heading))
    root[:, 2] = np.cumsum(step * np.cos(mid_heading))
    root[:, 1] = floor_offset() - leg * (1 - np.cos(stance_th))
    joints = forward_kinematics(rotations, root)
    return HumanMotion.from_joints_rotations(joints, rotations, text="a person walks forward", fps=fps)


@pytest.fixture(scope="session")
def walk():
    """walking_motion: a synthetic walk with truly planted stance feet."""
    return walking_motion
