"""Termination terms of the universal tracker beyond mjlab's (which are reused as they are)."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import torch

from controller.mdp.commands import UniversalMotionCommand

if TYPE_CHECKING:
    from mjlab.envs import ManagerBasedRlEnv


def motion_end(env: ManagerBasedRlEnv, command_name: str) -> torch.Tensor:
    """True when the next target would lie past the end of the env's motion (a time-out, not a failure)."""
    c = cast(UniversalMotionCommand, env.command_manager.get_term(command_name))
    return c.motion_times + env.step_dt > c.motion_durations + 1e-4


def world_drift(env: ManagerBasedRlEnv, command_name: str, threshold: float) -> torch.Tensor:
    """True when the robot anchor is more than `threshold` (m) from the reference anchor horizontally."""
    c = cast(UniversalMotionCommand, env.command_manager.get_term(command_name))
    return torch.linalg.vector_norm(c.anchor_pos_w[:, :2] - c.robot_anchor_pos_w[:, :2], dim=-1) > threshold
