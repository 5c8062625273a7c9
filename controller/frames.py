"""Quaternion (wxyz) and frame helpers in torch, shared by the training env and the deployed policy.

One implementation for both sides keeps the actor observation bit-identical between mjlab and classic MuJoCo.
"""

from __future__ import annotations

import torch


def quat_conj(q: torch.Tensor) -> torch.Tensor:
    """Conjugate (= inverse for unit quaternions) of wxyz quaternions."""
    return torch.cat([q[..., :1], -q[..., 1:]], dim=-1)


def quat_mul(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Hamilton product a * b of wxyz quaternions (broadcasting)."""
    aw, ax, ay, az = a.unbind(-1)
    bw, bx, by, bz = b.unbind(-1)
    return torch.stack(
        [
            aw * bw - ax * bx - ay * by - az * bz,
            aw * bx + ax * bw + ay * bz - az * by,
            aw * by - ax * bz + ay * bw + az * bx,
            aw * bz + ax * by - ay * bx + az * bw,
        ],
        dim=-1,
    )


def quat_apply(q: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Rotate vectors v (..., 3) by wxyz quaternions q (..., 4)."""
    w, xyz = q[..., :1], q[..., 1:]
    t = 2.0 * torch.cross(xyz.expand_as(v), v, dim=-1)
    return v + w * t + torch.cross(xyz.expand_as(v), t, dim=-1)


def quat_apply_inverse(q: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Rotate vectors v by the inverse of q: expresses world vectors in the frame q."""
    return quat_apply(quat_conj(q), v)


def yaw_quat(q: torch.Tensor) -> torch.Tensor:
    """The heading (rotation about world z) part of wxyz quaternions."""
    w, x, y, z = q.unbind(-1)
    yaw = torch.atan2(2.0 * (w * z + x * y), 1.0 - 2.0 * (y * y + z * z))
    zero = torch.zeros_like(yaw)
    return torch.stack([torch.cos(yaw / 2), zero, zero, torch.sin(yaw / 2)], dim=-1)


def quat_to_tan_norm(q: torch.Tensor) -> torch.Tensor:
    """First two columns of the rotation matrix of q, flattened row-major (..., 6): a continuous rotation code."""
    x_axis = quat_apply(q, torch.tensor([1.0, 0.0, 0.0], dtype=q.dtype, device=q.device).expand(q.shape[:-1] + (3,)))
    y_axis = quat_apply(q, torch.tensor([0.0, 1.0, 0.0], dtype=q.dtype, device=q.device).expand(q.shape[:-1] + (3,)))
    return torch.stack([x_axis, y_axis], dim=-1).flatten(-2)


def quat_slerp(q0: torch.Tensor, q1: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Spherical interpolation between wxyz quaternions; t (...,) in [0, 1]; takes the short arc."""
    dot = (q0 * q1).sum(-1, keepdim=True)
    q1 = torch.where(dot < 0, -q1, q1)
    dot = dot.abs().clamp(max=1.0)
    t = t.unsqueeze(-1)
    theta = torch.acos(dot)
    sin_theta = torch.sin(theta)
    small = sin_theta < 1e-6
    safe = torch.where(small, torch.ones_like(sin_theta), sin_theta)
    w0 = torch.where(small, 1.0 - t, torch.sin((1.0 - t) * theta) / safe)
    w1 = torch.where(small, t, torch.sin(t * theta) / safe)
    out = w0 * q0 + w1 * q1
    return out / out.norm(dim=-1, keepdim=True)
