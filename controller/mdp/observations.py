"""mjlab observation terms of the universal tracker: thin adapters from the env to `controller.tracking_obs`."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import torch

from controller import tracking_obs as T
from controller.frames import quat_apply_inverse, yaw_quat
from controller.mdp.commands import UniversalMotionCommand

if TYPE_CHECKING:
    from mjlab.envs import ManagerBasedRlEnv


def _cmd(env: ManagerBasedRlEnv, command_name: str) -> UniversalMotionCommand:
    return cast(UniversalMotionCommand, env.command_manager.get_term(command_name))


def ref_joint_pos(env: ManagerBasedRlEnv, command_name: str) -> torch.Tensor:
    """Reference joint positions (minus default) at the current and future frames."""
    c = _cmd(env, command_name)
    return T.ref_joint_pos(c.future.joint_pos, c.robot.data.default_joint_pos)


def ref_joint_vel(env: ManagerBasedRlEnv, command_name: str) -> torch.Tensor:
    """Reference joint velocities at the current and future frames."""
    return T.ref_joint_vel(_cmd(env, command_name).future.joint_vel)


def ref_anchor_ori(env: ManagerBasedRlEnv, command_name: str) -> torch.Tensor:
    """Reference anchor orientation in the robot anchor frame at the current and future frames."""
    c = _cmd(env, command_name)
    return T.ref_anchor_ori(c.future.body_quat_w, c.motion_anchor_body_index, c.robot_anchor_quat_w)


def ref_body_pos(env: ManagerBasedRlEnv, command_name: str) -> torch.Tensor:
    """Reference tracked-body positions relative to the current reference anchor, heading frame, all frames."""
    c = _cmd(env, command_name)
    return T.ref_body_pos(c.future.body_pos_w, c.future.body_quat_w, c.motion_anchor_body_index)


def body_pos_diff(env: ManagerBasedRlEnv, command_name: str) -> torch.Tensor:
    """Reference minus robot tracked-body positions, each relative to its own anchor in its heading frame."""
    c = _cmd(env, command_name)
    return T.body_pos_diff(
        c.future.body_pos_w, c.future.body_quat_w, c.motion_anchor_body_index,
        c.robot_body_pos_w, c.robot_anchor_pos_w, c.robot_anchor_quat_w,
    )  # fmt: skip


def ref_anchor_pos(env: ManagerBasedRlEnv, command_name: str) -> torch.Tensor:
    """Odometry: the current reference anchor position in the robot anchor frame."""
    c = _cmd(env, command_name)
    return T.ref_anchor_pos(c.anchor_pos_w, c.robot_anchor_pos_w, c.robot_anchor_quat_w)


def body_pos_error_w(env: ManagerBasedRlEnv, command_name: str) -> torch.Tensor:
    """Privileged: anchor-aligned reference minus robot body positions in the robot heading frame (world error)."""
    c = _cmd(env, command_name)
    heading = yaw_quat(c.robot_anchor_quat_w)[:, None]
    return quat_apply_inverse(heading, c.body_pos_relative_w - c.robot_body_pos_w).flatten(1)


def body_lin_vel_error(env: ManagerBasedRlEnv, command_name: str) -> torch.Tensor:
    """Privileged: reference minus robot body linear velocities in the robot heading frame."""
    c = _cmd(env, command_name)
    heading = yaw_quat(c.robot_anchor_quat_w)[:, None]
    return quat_apply_inverse(heading, c.body_lin_vel_w - c.robot_body_lin_vel_w).flatten(1)


def body_ang_vel_error(env: ManagerBasedRlEnv, command_name: str) -> torch.Tensor:
    """Privileged: reference minus robot body angular velocities in the robot heading frame."""
    c = _cmd(env, command_name)
    heading = yaw_quat(c.robot_anchor_quat_w)[:, None]
    return quat_apply_inverse(heading, c.body_ang_vel_w - c.robot_body_ang_vel_w).flatten(1)
