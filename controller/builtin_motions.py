"""A small built-in G1 motion set from known joint trajectories, so training runs on a machine without data.

Motions start and stay near mjlab's default pose (knees bent): standing idle, waving one arm, raising both arms and a
shallow squat (root height follows the legs so the feet stay on the ground).
"""

from __future__ import annotations

import numpy as np

from retarget import robot
from retarget.robot_motion import RobotMotion

FPS = 50.0


def _smooth(t: np.ndarray, period: float) -> np.ndarray:
    """0 -> 1 -> 0 raised-cosine cycles of the given period."""
    return 0.5 - 0.5 * np.cos(2.0 * np.pi * t / period)


def _feet_on_ground(qpos: np.ndarray) -> np.ndarray:
    """Shift root heights so the lower ankle stays at its height in the default pose."""
    ankles = [robot.BODY_INDEX[b] for b in robot.FOOT_BODIES]
    ref = robot.forward_kinematics(robot.default_qpos())[0][ankles, 2].min()
    pos, _ = robot.forward_kinematics(qpos)
    qpos = qpos.copy()
    qpos[:, 2] += ref - pos[:, ankles, 2].min(axis=1)
    return qpos


def idle(seconds: float = 3.0) -> RobotMotion:
    """Standing still at the default pose."""
    q = np.repeat(robot.default_qpos()[None], int(seconds * FPS) + 1, axis=0)
    return RobotMotion.from_qpos(q, fps=FPS, source_text="stand still")


def wave(seconds: float = 4.0, side: str = "right") -> RobotMotion:
    """Raise one arm sideways and wave the forearm slowly, then lower it."""
    t = np.arange(int(seconds * FPS) + 1) / FPS
    q = np.repeat(robot.default_qpos()[None], len(t), axis=0)
    sign = 1.0 if side == "left" else -1.0
    lift = _smooth(t, seconds)
    j = robot.JOINT_INDEX
    q[:, 7 + j[f"{side}_shoulder_roll_joint"]] += sign * 1.0 * lift
    q[:, 7 + j[f"{side}_shoulder_pitch_joint"]] += -0.6 * lift
    q[:, 7 + j[f"{side}_elbow_joint"]] += lift * 0.4 * np.sin(2.0 * np.pi * t / 1.0)
    return RobotMotion.from_qpos(q, fps=FPS, source_text=f"wave the {side} hand")


def raise_arms(seconds: float = 4.0) -> RobotMotion:
    """Raise both arms forward to shoulder height and lower them."""
    t = np.arange(int(seconds * FPS) + 1) / FPS
    q = np.repeat(robot.default_qpos()[None], len(t), axis=0)
    lift = _smooth(t, seconds)
    j = robot.JOINT_INDEX
    for side in ("left", "right"):
        q[:, 7 + j[f"{side}_shoulder_pitch_joint"]] += -1.4 * lift
        q[:, 7 + j[f"{side}_elbow_joint"]] += -0.5 * lift
    return RobotMotion.from_qpos(q, fps=FPS, source_text="raise both arms")


def squat(seconds: float = 4.0, depth: float = 0.35) -> RobotMotion:
    """A shallow squat: hips, knees and ankles bend together, the root follows."""
    t = np.arange(int(seconds * FPS) + 1) / FPS
    q = np.repeat(robot.default_qpos()[None], len(t), axis=0)
    s = depth * _smooth(t, seconds)
    j = robot.JOINT_INDEX
    for side in ("left", "right"):
        q[:, 7 + j[f"{side}_hip_pitch_joint"]] -= s
        q[:, 7 + j[f"{side}_knee_joint"]] += 2.0 * s
        q[:, 7 + j[f"{side}_ankle_pitch_joint"]] -= s
    return RobotMotion.from_qpos(_feet_on_ground(q), fps=FPS, source_text="squat down and stand up")


def builtin_motions() -> dict[str, RobotMotion]:
    """The built-in set, by name."""
    return {
        "idle": idle(),
        "wave_right": wave(side="right"),
        "wave_left": wave(side="left"),
        "raise_arms": raise_arms(),
        "squat": squat(),
    }
