"""The 272-D motion representation of MotionStreamer / MoLingo (30 fps, y-up, SMPL-22), batched in torch.

Per frame (see docs in the README): [0:2] root x/z velocity in the previous frame's heading, [2:8] heading change
as a 6-D yaw rotation, [8:74] heading-aligned root-relative joint positions (y = height), [74:140] their frame
difference, [140:272] parent-relative 6-D joint rotations with the root's heading removed.
All functions take (..., T, ...) tensors or numpy arrays (numpy in -> numpy out, computed in float64).
"""

from __future__ import annotations

import functools

import numpy as np
import torch

from generator.motion.rotations import heading_angle, matrix_to_6d, sixd_to_matrix, yaw_matrix
from generator.motion.skeleton import MIRROR_PERM, NUM_JOINTS

DIM = 272
GROUPS: dict[str, slice] = {
    "root_velocity": slice(0, 2),
    "heading_change": slice(2, 8),
    "positions": slice(8, 74),
    "velocities": slice(74, 140),
    "rotations": slice(140, 272),
}


def _numpy_front_door(fn):
    """Run a torch function on numpy inputs (as float64) and hand numpy back in the inputs' float dtype."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        arrays = [a for a in args if isinstance(a, np.ndarray)]
        if not arrays:
            return fn(*args, **kwargs)
        out_dtype = np.result_type(*[a.dtype for a in arrays], np.float32)
        targs = [torch.as_tensor(a, dtype=torch.float64) if isinstance(a, np.ndarray) else a for a in args]
        res = fn(*targs, **kwargs)
        if isinstance(res, tuple):
            return tuple(r.numpy().astype(out_dtype) for r in res)
        return res.numpy().astype(out_dtype)

    return wrapper


def _check(name: str, x: torch.Tensor, tail: tuple[int, ...]) -> None:
    if x.shape[x.ndim - len(tail) :] != tail or x.ndim < len(tail) + 1:
        raise ValueError(f"{name} must have shape (..., T, {', '.join(map(str, tail))}), got {tuple(x.shape)}")


@_numpy_front_door
def canonicalize(joints: torch.Tensor, rotations: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Rotate a clip so frame 0 faces +Z, put frame 0's root at x = z = 0 and the lowest joint at y = 0.

    joints (..., T, 22, 3) world positions, rotations (..., T, 22, 3, 3) parent-relative (root = world).
    This is what the 272-D inverse returns, so canonical clips round-trip exactly.
    """
    _check("joints", joints, (NUM_JOINTS, 3))
    _check("rotations", rotations, (NUM_JOINTS, 3, 3))
    ry0 = yaw_matrix(heading_angle(rotations[..., 0, 0, :, :]))  # (..., 3, 3)
    origin = joints[..., 0:1, 0:1, :].clone()
    origin[..., 1] = joints[..., 1].amin(dim=(-1, -2), keepdim=True)[..., 0:1, :]
    j = (joints - origin).unsqueeze(-1).transpose(-1, -2) @ ry0.transpose(-1, -2)[..., None, None, :, :]
    j = j.squeeze(-2)
    rots = rotations.clone()
    rots[..., 0, :, :] = ry0[..., None, :, :] @ rotations[..., 0, :, :]
    return j, rots


def yaw_rotate(x: torch.Tensor, y: torch.Tensor | None, z: torch.Tensor, c: torch.Tensor, s: torch.Tensor):
    """Components of R_y(a) @ (x, y, z) given c = cos a, s = sin a (pass -s for the transpose).

    Written out instead of a (..., 3, 3) matmul: the batched 3x3 products broadcast over joints cost most of the time.
    """
    return c * x + s * z, y, c * z - s * x


@_numpy_front_door
def encode(joints: torch.Tensor, rotations: torch.Tensor) -> torch.Tensor:
    """Joints (..., T, 22, 3) + parent-relative rotations (..., T, 22, 3, 3) -> features (..., T, 272).

    Heights are taken as given (y = 0 is the floor); the decoders return the clip in its canonical frame.
    """
    _check("joints", joints, (NUM_JOINTS, 3))
    _check("rotations", rotations, (NUM_JOINTS, 3, 3))
    root_rot = rotations[..., 0, :, :]  # (..., T, 3, 3)
    g = heading_angle(root_rot)  # (..., T)
    c, s = torch.cos(g), torch.sin(g)
    root = joints[..., 0, :]  # (..., T, 3)
    dtype = torch.promote_types(joints.dtype, rotations.dtype)
    out = torch.zeros(joints.shape[:-2] + (DIM,), dtype=dtype, device=joints.device)

    step = root[..., 1:, :] - root[..., :-1, :]
    vx, _, vz = yaw_rotate(step[..., 0], None, step[..., 2], c[..., :-1], s[..., :-1])
    out[..., 1:, 0], out[..., 1:, 1] = vx, vz

    dg = g[..., 1:] - g[..., :-1]
    out[..., :, 6] = 1.0  # 6-D of R_y: rows [c, 0, s] and [0, 1, 0]; frame 0 is the identity
    out[..., 0, 2] = 1.0
    out[..., 1:, 2], out[..., 1:, 4] = torch.cos(dg), torch.sin(dg)

    cj, sj = c[..., None], s[..., None]
    px, py, pz = yaw_rotate(
        joints[..., 0] - root[..., None, 0], joints[..., 1], joints[..., 2] - root[..., None, 2], cj, sj
    )
    pos = torch.stack([px, py, pz], dim=-1)  # (..., T, 22, 3)
    out[..., 8:74] = pos.flatten(-2)
    out[..., 1:, 74:140] = (pos[..., 1:, :, :] - pos[..., :-1, :, :]).flatten(-2)

    rot6 = rotations[..., :2, :].flatten(-3)  # (..., T, 132): the first two rows of each joint's matrix
    out[..., 146:272] = rot6[..., 6:]
    r0x, r0y, r0z = yaw_rotate(root_rot[..., 0, :], None, root_rot[..., 2, :], cj, sj)  # rows of R_y(g) @ R_root
    out[..., 140:143], out[..., 143:146] = r0x, root_rot[..., 1, :]
    return out


@_numpy_front_door
def heading_angles(features: torch.Tensor) -> torch.Tensor:
    """Accumulated heading (..., T) from [2:8]: the yaw in which frame t stores its pose and frame t + 1's root step.

    Each frame's change is the yaw of the 6-D block's first row [c, ., s] (its projection onto yaw rotations).
    """
    return torch.cumsum(torch.atan2(features[..., 4], features[..., 2]), dim=-1)


def _heading_and_root(features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """cos and sin (..., T) of the accumulated heading and the root x/z trajectory (..., T, 3) (y = 0) from [0:8]."""
    angle = heading_angles(features)
    c, s = torch.cos(angle), torch.sin(angle)
    vx, vz = features[..., 0], features[..., 1]
    wx, _, wz = yaw_rotate(vx[..., 1:], None, vz[..., 1:], c[..., :-1], -s[..., :-1])  # R_tot[t-1]^T @ v[t]
    root = torch.zeros(features.shape[:-1] + (3,), dtype=features.dtype, device=features.device)
    root[..., 0] = torch.cumsum(torch.cat([vx[..., :1], wx], dim=-1), dim=-1)
    root[..., 2] = torch.cumsum(torch.cat([vz[..., :1], wz], dim=-1), dim=-1)
    return c, s, root


@_numpy_front_door
def decode_joints(features: torch.Tensor) -> torch.Tensor:
    """Features (..., T, 272) -> joint positions (..., T, 22, 3) in the canonical world frame."""
    _check("features", features, (DIM,))
    c, s, root = _heading_and_root(features)
    pos = features[..., 8:74].unflatten(-1, (NUM_JOINTS, 3))
    x, y, z = yaw_rotate(pos[..., 0], pos[..., 1], pos[..., 2], c[..., None], -s[..., None])
    return torch.stack([x + root[..., None, 0], y, z + root[..., None, 2]], dim=-1)


@_numpy_front_door
def decode_rotations(features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Features (..., T, 272) -> (parent-relative rotations (..., T, 22, 3, 3), pelvis position (..., T, 3))."""
    _check("features", features, (DIM,))
    c, s, root = _heading_and_root(features)
    rots = sixd_to_matrix(features[..., 140:272].unflatten(-1, (NUM_JOINTS, 6)))
    m = rots[..., 0, :, :].clone()  # a copy, so that writing the root back in place keeps autograd's inputs intact
    x, y, z = yaw_rotate(m[..., 0, :], m[..., 1, :], m[..., 2, :], c[..., None], -s[..., None])  # R_tot^T @ m
    rots[..., 0, 0, :], rots[..., 0, 2, :] = x, z
    trans = root.clone()
    trans[..., 1] = features[..., 8 + 1]
    return rots, trans


_MIRROR_DIAG = (-1.0, 1.0, 1.0)  # reflect SMPL's x (left) axis


@_numpy_front_door
def mirror(features: torch.Tensor) -> torch.Tensor:
    """Left/right mirror of a feature sequence: reflect x, swap the paired joints (M R M for rotations)."""
    _check("features", features, (DIM,))
    m = torch.tensor(_MIRROR_DIAG, dtype=features.dtype, device=features.device)
    perm = torch.as_tensor(MIRROR_PERM)
    lead = features.shape[:-1]
    root_vel = features[..., 0:2] * m[[0, 2]]
    heading = matrix_to_6d(m[:, None] * sixd_to_matrix(features[..., 2:8]) * m)
    pos = (features[..., 8:74].reshape(lead + (NUM_JOINTS, 3)) * m)[..., perm, :]
    vel = (features[..., 74:140].reshape(lead + (NUM_JOINTS, 3)) * m)[..., perm, :]
    rot = sixd_to_matrix(features[..., 140:272].reshape(lead + (NUM_JOINTS, 6)))
    rot = (m[:, None] * rot * m)[..., perm, :, :]
    return torch.cat(
        [
            root_vel,
            heading,
            pos.reshape(lead + (66,)),
            vel.reshape(lead + (66,)),
            matrix_to_6d(rot).reshape(lead + (132,)),
        ],
        dim=-1,
    )


def mirror_motion(joints: np.ndarray, rotations: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mirror a motion in joint space: x -> -x, swap left/right joints, R -> M R M."""
    m = np.array(_MIRROR_DIAG)
    j = (np.asarray(joints) * m)[..., MIRROR_PERM, :]
    r = (m[:, None] * np.asarray(rotations) * m)[..., MIRROR_PERM, :, :]
    return j, r


def compute_stats(features: np.ndarray | list[np.ndarray], eps: float = 1e-8) -> tuple[np.ndarray, np.ndarray]:
    """Mean (272,) and std (272,) with each group's std replaced by the group's mean std (MotionStreamer)."""
    if isinstance(features, list):
        features = np.concatenate([np.asarray(f).reshape(-1, DIM) for f in features], axis=0)
    flat = np.asarray(features, dtype=np.float64).reshape(-1, DIM)
    mean, std = flat.mean(0), flat.std(0)
    for sl in GROUPS.values():
        std[sl] = std[sl].mean()
    return mean.astype(np.float32), np.maximum(std, eps).astype(np.float32)


def normalize(features, mean, std):
    """(x - mean) / std, for numpy or torch (stats broadcast over leading dims)."""
    return (features - mean) / std


def denormalize(features, mean, std):
    return features * std + mean
