"""A synthetic demonstration motion (walk, turn, wave) built from joint angles, for tests and examples."""

from __future__ import annotations

import numpy as np

from generator.motion.file import FPS, HumanMotion
from generator.motion.kinematics import forward_kinematics
from generator.motion.rotations import axis_angle_to_matrix
from generator.motion.skeleton import JOINT_INDEX, NUM_JOINTS, floor_offset


def _rot(axis: str, angle: np.ndarray) -> np.ndarray:
    """(T,) angles about a named axis -> (T, 3) rotation vectors."""
    aa = np.zeros(np.shape(angle) + (3,))
    aa[..., "xyz".index(axis)] = angle
    return aa


def demo_motion(seconds: float = 6.0, fps: float = FPS, seed: int = 0) -> HumanMotion:
    """A hand-made motion by FK of the rest skeleton: a person raises the right hand, then steps in place and waves.

    The seed varies the step and wave rates, the amplitudes and a slow turn, so different seeds give different clips.
    """
    rng = np.random.default_rng(seed)
    n = max(2, int(round(seconds * fps)))
    t = np.arange(n) / fps
    step_hz, wave_hz = rng.uniform(0.8, 1.1), rng.uniform(1.3, 1.8)
    lift, wave_amp = np.deg2rad(rng.uniform(35, 50)), np.deg2rad(rng.uniform(20, 30))
    turn = np.deg2rad(rng.uniform(-40, 40))
    raise_s = 1.0
    ramp = np.clip(t / raise_s, 0.0, 1.0)
    ramp = ramp * ramp * (3 - 2 * ramp)  # smoothstep
    stepping = np.clip((t - raise_s) / 0.5, 0.0, 1.0)

    aa = np.zeros((n, NUM_JOINTS, 3))
    phase = 2 * np.pi * step_hz * np.maximum(t - raise_s, 0.0)
    left_up, right_up = np.maximum(np.sin(phase), 0) * stepping, np.maximum(-np.sin(phase), 0) * stepping
    for side, up in (("left", left_up), ("right", right_up)):
        aa[:, JOINT_INDEX[f"{side}_hip"]] = _rot("x", -lift * up)  # thigh swings forward
        aa[:, JOINT_INDEX[f"{side}_knee"]] = _rot("x", 2 * lift * up)  # shank folds back
        aa[:, JOINT_INDEX[f"{side}_ankle"]] = _rot("x", -0.5 * lift * up)
    aa[:, JOINT_INDEX["left_shoulder"]] = _rot("z", np.full(n, -np.deg2rad(70)))  # left arm hangs down
    aa[:, JOINT_INDEX["right_shoulder"]] = _rot("z", np.deg2rad(70) - np.deg2rad(100) * ramp)
    wave = wave_amp * np.sin(2 * np.pi * wave_hz * np.maximum(t - raise_s, 0.0)) * stepping
    aa[:, JOINT_INDEX["right_elbow"]] = _rot("z", -np.deg2rad(60) * ramp + wave)  # forearm up, swinging
    sway = np.deg2rad(4) * (left_up - right_up)
    aa[:, JOINT_INDEX["spine1"]] = _rot("z", sway)
    yaw = turn * np.clip((t - raise_s) / max(seconds - raise_s, 1e-6), 0.0, 1.0)
    aa[:, 0] = _rot("y", yaw)

    rotations = axis_angle_to_matrix(aa)
    root = np.zeros((n, 3))
    root[:, 1] = floor_offset() - 0.01 * (left_up + right_up)  # a small dip on each step
    root[:, 0] = -0.03 * (left_up - right_up)  # weight shifts over the stance foot
    joints = forward_kinematics(rotations, root)
    labels = np.where(t < raise_s, "raise the right hand", "step in place and wave")
    return HumanMotion.from_joints_rotations(
        joints, rotations, text="a person raises the right hand, then steps in place while waving",
        frame_labels=labels, fps=fps,
    )  # fmt: skip
