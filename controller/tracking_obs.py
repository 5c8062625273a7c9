"""The actor observation as pure tensor functions, used by the mjlab env terms and by the deployed policy alike.

The proprioceptive terms need only the reference, joint encoders, the IMU (angular velocity, gravity direction,
orientation for the reference-vs-robot rotation) and the last action; robot body positions enter only relative to
the robot's own anchor (forward kinematics). Without more, a walking policy cannot see that it lags the reference's
world position, and drifts (measured at iteration 1,400: all six evaluation walks beyond PHC's 0.5 m). The two
odometry terms close that loop, as BeyondMimic's default policy does: the reference anchor's position in the robot
anchor frame and the pelvis linear velocity, which on hardware come from a state estimator
(`TaskCfg.actor_odometry`).
"""

from __future__ import annotations

import torch

from controller.frames import quat_apply_inverse, quat_conj, quat_mul, quat_to_tan_norm, yaw_quat

# Actor observation terms in order; sizes for J joints, B tracked bodies, F reference frames.
ACTOR_TERMS: tuple[str, ...] = (
    "ref_joint_pos", "ref_joint_vel", "ref_anchor_ori", "ref_body_pos", "body_pos_diff",
    "projected_gravity", "base_ang_vel", "joint_pos", "joint_vel", "actions",
)  # fmt: skip
ODOMETRY_TERMS: tuple[str, ...] = ("ref_anchor_pos", "base_lin_vel")


def actor_terms(odometry: bool) -> tuple[str, ...]:
    """The actor's terms in order: the proprioceptive ones, then the odometry ones if observed."""
    return ACTOR_TERMS + ODOMETRY_TERMS if odometry else ACTOR_TERMS


def term_sizes(num_joints: int, num_bodies: int, num_frames: int) -> dict[str, int]:
    """Size of every actor term."""
    return {
        "ref_joint_pos": num_frames * num_joints,
        "ref_joint_vel": num_frames * num_joints,
        "ref_anchor_ori": num_frames * 6,
        "ref_body_pos": num_frames * num_bodies * 3,
        "body_pos_diff": num_bodies * 3,
        "projected_gravity": 3,
        "base_ang_vel": 3,
        "joint_pos": num_joints,
        "joint_vel": num_joints,
        "actions": num_joints,
        "ref_anchor_pos": 3,
        "base_lin_vel": 3,
    }


def layout(num_joints: int, num_bodies: int, num_frames: int, terms: tuple[str, ...] = ACTOR_TERMS) -> list[dict]:
    """Actor observation layout: name, start, stop of every term in `terms`."""
    sizes = term_sizes(num_joints, num_bodies, num_frames)
    out, start = [], 0
    for name in terms:
        size = sizes[name]
        out.append({"name": name, "start": start, "stop": start + size})
        start += size
    return out


def ref_joint_pos(future_joint_pos: torch.Tensor, default_joint_pos: torch.Tensor) -> torch.Tensor:
    """Reference joint positions minus the default pose at every frame, (N, F*J)."""
    return (future_joint_pos - default_joint_pos[:, None]).flatten(1)


def ref_joint_vel(future_joint_vel: torch.Tensor) -> torch.Tensor:
    """Reference joint velocities at every frame, (N, F*J)."""
    return future_joint_vel.flatten(1)


def ref_anchor_ori(future_body_quat: torch.Tensor, anchor: int, robot_anchor_quat: torch.Tensor) -> torch.Tensor:
    """Reference anchor orientation at every frame in the robot anchor frame, as 2 matrix columns, (N, F*6)."""
    rel = quat_mul(quat_conj(robot_anchor_quat)[:, None], future_body_quat[:, :, anchor])
    return quat_to_tan_norm(rel).flatten(1)


def _ref_local(future_body_pos: torch.Tensor, future_body_quat: torch.Tensor, anchor: int) -> torch.Tensor:
    """Reference bodies at every frame relative to the current reference anchor, in its heading frame (N,F,B,3)."""
    origin = future_body_pos[:, :1, anchor : anchor + 1]
    heading = yaw_quat(future_body_quat[:, 0, anchor])[:, None, None]
    return quat_apply_inverse(heading, future_body_pos - origin)


def ref_body_pos(future_body_pos: torch.Tensor, future_body_quat: torch.Tensor, anchor: int) -> torch.Tensor:
    """Reference body positions (all frames) relative to the current reference anchor, heading frame, (N, F*B*3)."""
    return _ref_local(future_body_pos, future_body_quat, anchor).flatten(1)


def robot_local(robot_body_pos: torch.Tensor, robot_anchor_pos: torch.Tensor, robot_anchor_quat: torch.Tensor):
    """Robot bodies relative to the robot anchor in the robot's heading frame (N, B, 3)."""
    heading = yaw_quat(robot_anchor_quat)[:, None]
    return quat_apply_inverse(heading, robot_body_pos - robot_anchor_pos[:, None])


def body_pos_diff(
    future_body_pos: torch.Tensor,
    future_body_quat: torch.Tensor,
    anchor: int,
    robot_body_pos: torch.Tensor,
    robot_anchor_pos: torch.Tensor,
    robot_anchor_quat: torch.Tensor,
) -> torch.Tensor:
    """Current reference minus robot body positions, each relative to its anchor in its heading frame, (N, B*3)."""
    ref = _ref_local(future_body_pos[:, :1], future_body_quat[:, :1], anchor)[:, 0]
    return (ref - robot_local(robot_body_pos, robot_anchor_pos, robot_anchor_quat)).flatten(1)


def projected_gravity(root_quat: torch.Tensor) -> torch.Tensor:
    """Gravity direction (0, 0, -1) in the pelvis (IMU) frame, (N, 3)."""
    g = torch.tensor([0.0, 0.0, -1.0], dtype=root_quat.dtype, device=root_quat.device).expand(root_quat.shape[0], 3)
    return quat_apply_inverse(root_quat, g)


def ref_anchor_pos(ref_anchor_pos: torch.Tensor, robot_anchor_pos: torch.Tensor, robot_anchor_quat: torch.Tensor):
    """Odometry: the current reference anchor position in the robot anchor frame (world-position error), (N, 3)."""
    return quat_apply_inverse(robot_anchor_quat, ref_anchor_pos - robot_anchor_pos)


def base_lin_vel(root_quat: torch.Tensor, root_lin_vel_w: torch.Tensor) -> torch.Tensor:
    """Odometry: the pelvis linear velocity in the pelvis frame, (N, 3)."""
    return quat_apply_inverse(root_quat, root_lin_vel_w)
