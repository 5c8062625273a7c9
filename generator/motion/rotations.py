"""Batched rotation conversions for numpy arrays and torch tensors (any leading shape).

Conventions: quaternions are wxyz (MuJoCo's order; xyzw only at the edges of scipy and roma, converted here),
matrices act on column vectors, and the 6-D form is the first two ROWS of the matrix, row-major (MotionStreamer).
numpy goes through scipy.spatial.transform and torch through roma; only the 6-D form and the yaw helpers, which
neither library has in this convention, are written here.
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np
import roma
import torch
from scipy.spatial.transform import Rotation

Array = TypeVar("Array", np.ndarray, torch.Tensor)


def _is_torch(x) -> bool:
    return isinstance(x, torch.Tensor)


def _scipy(x: np.ndarray, tail: int, make, out):
    """Apply a scipy Rotation conversion to an array with trailing shape of `tail` dims, keeping the batch shape."""
    x = np.asarray(x, dtype=np.float64)
    batch = x.shape[: x.ndim - tail]
    flat = x.reshape((-1,) + x.shape[x.ndim - tail :])
    if flat.shape[0] == 0:
        res = out(Rotation.identity(1))[:0]
    else:
        res = out(make(flat))
    return res.reshape(batch + res.shape[1:])


def wxyz_to_xyzw(q: Array) -> Array:
    return q[..., [1, 2, 3, 0]]


def xyzw_to_wxyz(q: Array) -> Array:
    return q[..., [3, 0, 1, 2]]


def axis_angle_to_matrix(aa: Array) -> Array:
    """(..., 3) rotation vectors -> (..., 3, 3) matrices."""
    if _is_torch(aa):
        return roma.rotvec_to_rotmat(aa)
    return _scipy(aa, 1, Rotation.from_rotvec, Rotation.as_matrix)


def matrix_to_axis_angle(m: Array) -> Array:
    """(..., 3, 3) -> (..., 3) rotation vectors with angle in [0, pi]."""
    if _is_torch(m):
        return roma.rotmat_to_rotvec(m)
    return _scipy(m, 2, Rotation.from_matrix, Rotation.as_rotvec)


def quat_to_matrix(q: Array) -> Array:
    """(..., 4) wxyz quaternions (normalised here) -> (..., 3, 3)."""
    if _is_torch(q):
        return roma.unitquat_to_rotmat(wxyz_to_xyzw(q / q.norm(dim=-1, keepdim=True)))
    return _scipy(wxyz_to_xyzw(np.asarray(q)), 1, Rotation.from_quat, Rotation.as_matrix)


def matrix_to_quat(m: Array) -> Array:
    """(..., 3, 3) -> (..., 4) wxyz quaternions with w >= 0."""
    if _is_torch(m):
        q = xyzw_to_wxyz(roma.rotmat_to_unitquat(m))
        return torch.where(q[..., :1] < 0, -q, q)
    q = xyzw_to_wxyz(_scipy(m, 2, Rotation.from_matrix, Rotation.as_quat))
    return np.where(q[..., :1] < 0, -q, q)


def axis_angle_to_quat(aa: Array) -> Array:
    """(..., 3) -> (..., 4) wxyz."""
    if _is_torch(aa):
        return xyzw_to_wxyz(roma.rotvec_to_unitquat(aa))
    return xyzw_to_wxyz(_scipy(aa, 1, Rotation.from_rotvec, Rotation.as_quat))


def quat_to_axis_angle(q: Array) -> Array:
    """(..., 4) wxyz -> (..., 3)."""
    if _is_torch(q):
        return roma.unitquat_to_rotvec(wxyz_to_xyzw(q / q.norm(dim=-1, keepdim=True)))
    return _scipy(wxyz_to_xyzw(np.asarray(q)), 1, Rotation.from_quat, Rotation.as_rotvec)


def quat_multiply(a: Array, b: Array) -> Array:
    """Hamilton product of wxyz quaternions, broadcast over leading dims."""
    if _is_torch(a):
        return xyzw_to_wxyz(roma.quat_product(wxyz_to_xyzw(a), wxyz_to_xyzw(b)))
    return matrix_to_quat(quat_to_matrix(a) @ quat_to_matrix(b))


def matrix_to_6d(m: Array) -> Array:
    """(..., 3, 3) -> (..., 6): the first two rows, row-major."""
    return m[..., :2, :].reshape(m.shape[:-2] + (6,))


def sixd_to_matrix(d6: Array) -> Array:
    """(..., 6) -> (..., 3, 3) by Gram-Schmidt on the two rows; the third row is their cross product."""
    a1, a2 = d6[..., :3], d6[..., 3:6]
    if _is_torch(d6):
        b1 = torch.nn.functional.normalize(a1, dim=-1)
        b2 = torch.nn.functional.normalize(a2 - (b1 * a2).sum(-1, keepdim=True) * b1, dim=-1)
        return torch.stack([b1, b2, torch.linalg.cross(b1, b2, dim=-1)], dim=-2)
    b1 = a1 / np.linalg.norm(a1, axis=-1, keepdims=True)
    b2 = a2 - (b1 * a2).sum(-1, keepdims=True) * b1
    b2 = b2 / np.linalg.norm(b2, axis=-1, keepdims=True)
    return np.stack([b1, b2, np.cross(b1, b2)], axis=-2)


def yaw_matrix(angle: Array) -> Array:
    """R_y(a) = [[c,0,s],[0,1,0],[-s,0,c]] for (...) angles -> (..., 3, 3) (rotation about the y-up axis)."""
    if _is_torch(angle):
        c, s = torch.cos(angle), torch.sin(angle)
        z, o = torch.zeros_like(angle), torch.ones_like(angle)
        rows = [torch.stack(r, -1) for r in ((c, z, s), (z, o, z), (-s, z, c))]
        return torch.stack(rows, -2)
    angle = np.asarray(angle, dtype=np.float64)
    c, s = np.cos(angle), np.sin(angle)
    z, o = np.zeros_like(angle), np.ones_like(angle)
    return np.stack([np.stack(r, -1) for r in ((c, z, s), (z, o, z), (-s, z, c))], -2)


def heading_angle(root_rot: Array) -> Array:
    """g = -atan2(R[0,2], R[2,2]): the yaw that turns the root's local +Z axis to face world +Z (y-up)."""
    if _is_torch(root_rot):
        return -torch.atan2(root_rot[..., 0, 2], root_rot[..., 2, 2])
    return -np.arctan2(root_rot[..., 0, 2], root_rot[..., 2, 2])


def random_rotation_matrices(n: int, rng: np.random.Generator) -> np.ndarray:
    """n uniformly random rotation matrices (scipy's Haar sampling), for tests and data augmentation."""
    return Rotation.random(n, random_state=rng).as_matrix()
