"""Analytic two-bone leg IK on 272-D motion: move a toe to a target and keep positions and rotations consistent.

For each frame the foot (ankle + toe) is translated rigidly by the requested toe displacement; the knee is
placed where thigh and shin keep their lengths, in the plane of hip, new ankle and the original knee (so the knee
bends the way it did). The hip and knee rotations turn by the minimal rotations that carry the old bones onto the
new ones, and the ankle's world orientation is kept, so the foot does not tilt. Position channels [8:74] and their
frame differences [74:140] of knee, ankle and toe, and the 6-D rotations [140:272] of hip, knee and ankle are
rewritten; nothing else changes. Everything is in the heading frame in which the 272-D features store the pose.
Hand-written: mink and friends solve IK for robots given as MJCF, not for this representation.
"""

from __future__ import annotations

import numpy as np

from generator.motion.kinematics import global_rotations
from generator.motion.rotations import sixd_to_matrix
from generator.motion.skeleton import NUM_JOINTS, PARENTS

LEGS = ((1, 4, 7, 10), (2, 5, 8, 11))  # (hip, knee, ankle, toe) of the left and right leg (SMPL-22)
REACH = 0.999  # the ankle stays within this fraction of thigh + shin, so the knee never locks straight


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-9)


def rotation_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(..., 3, 3) minimal rotations taking the directions of (..., 3) vectors a onto those of b (Rodrigues)."""
    a, b = _unit(a), _unit(b)
    axis = np.cross(a, b)
    s = np.linalg.norm(axis, axis=-1)[..., None, None]  # sin of the angle
    c = (a * b).sum(-1)[..., None, None]
    k = _unit(axis)
    kx = np.zeros(a.shape[:-1] + (3, 3))
    kx[..., 0, 1], kx[..., 0, 2], kx[..., 1, 2] = -k[..., 2], k[..., 1], -k[..., 0]
    kx = kx - np.swapaxes(kx, -1, -2)
    return np.eye(3) + s * kx + (1 - c) * (kx @ kx)


def move_toe(features: np.ndarray, leg: int, delta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Features (T, 272) with leg 0 (left) or 1 (right)'s toe moved by delta (T, 3) in the heading frame.

    Returns the new features (float64) and the displacement the toe actually got (T, 3): less than asked where the
    ankle would leave the leg's reach.
    """
    f = np.asarray(features, np.float64).copy()
    hip, knee, ankle, toe = LEGS[leg]
    pos = f[:, 8:74].reshape(-1, NUM_JOINTS, 3).copy()
    local = sixd_to_matrix(f[:, 140:272].reshape(-1, NUM_JOINTS, 6))  # (T, 22, 3, 3)
    glob = global_rotations(local).swapaxes(0, 1)  # (22, T, 3, 3): glob[j] is joint j's world rotation
    h, k, a = pos[:, hip], pos[:, knee], pos[:, ankle]
    l1 = np.linalg.norm(k - h, axis=-1)
    l2 = np.linalg.norm(a - k, axis=-1)
    d = a + delta - h  # hip -> requested ankle
    dist = np.linalg.norm(d, axis=-1)
    longest = np.maximum(REACH * (l1 + l2), np.linalg.norm(a - h, axis=-1))  # never shorter than the leg already is
    dist_ok = np.clip(dist, np.abs(l1 - l2) + 1e-4, longest)
    u = _unit(d)
    a_new = h + u * dist_ok[:, None]
    moved = a_new - a
    pole = (k - h) - ((k - h) * u).sum(-1, keepdims=True) * u  # the old knee's offset from the new hip-ankle line
    n = _unit(pole)
    cos_hip = np.clip((l1**2 + dist_ok**2 - l2**2) / (2 * l1 * dist_ok), -1.0, 1.0)
    k_new = h + l1[:, None] * (u * cos_hip[:, None] + n * np.sqrt(1 - cos_hip**2)[:, None])

    q_hip = rotation_between(k - h, k_new - h)  # (T, 3, 3)
    q_knee = rotation_between(np.einsum("tij,tj->ti", q_hip, a - k), a_new - k_new) @ q_hip
    g_hip, g_knee = q_hip @ glob[hip], q_knee @ glob[knee]
    new_local = {
        hip: np.swapaxes(glob[PARENTS[hip]], -1, -2) @ g_hip,
        knee: np.swapaxes(g_hip, -1, -2) @ g_knee,
        ankle: np.swapaxes(g_knee, -1, -2) @ glob[ankle],  # the foot keeps its world orientation
    }
    for j, m in new_local.items():  # L' = L @ (L^T L'): the change acts on the stored (not quite orthonormal) rows
        change = np.swapaxes(local[:, j], -1, -2) @ m
        rows = f[:, 140 + 6 * j : 146 + 6 * j].reshape(-1, 2, 3)
        f[:, 140 + 6 * j : 146 + 6 * j] = (rows @ change).reshape(-1, 6)
    for j, new in ((knee, k_new), (ankle, a_new), (toe, pos[:, toe] + moved)):
        change = new - pos[:, j]
        f[:, 8 + 3 * j : 11 + 3 * j] = new
        f[1:, 74 + 3 * j : 77 + 3 * j] += np.diff(change, axis=0)
    return f, moved
