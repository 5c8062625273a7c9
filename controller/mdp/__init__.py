"""MDP terms of the universal tracker: the library command, observations and terminations (rewards are mjlab's)."""

from controller.mdp.commands import UniversalMotionCommand, UniversalMotionCommandCfg
from controller.mdp.observations import (
    body_ang_vel_error,
    body_lin_vel_error,
    body_pos_diff,
    body_pos_error_w,
    ref_anchor_ori,
    ref_anchor_pos,
    ref_body_pos,
    ref_joint_pos,
    ref_joint_vel,
)
from controller.mdp.terminations import motion_end, world_drift

__all__ = [
    "UniversalMotionCommand",
    "UniversalMotionCommandCfg",
    "body_ang_vel_error",
    "body_lin_vel_error",
    "body_pos_diff",
    "body_pos_error_w",
    "motion_end",
    "ref_anchor_ori",
    "ref_anchor_pos",
    "ref_body_pos",
    "ref_joint_pos",
    "ref_joint_vel",
    "world_drift",
]
