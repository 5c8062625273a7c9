"""Batched rotation helpers and the analytic two-bone IK (hip-knee-ankle, shoulder-elbow-wrist) in numpy."""

from __future__ import annotations

import numpy as np


def rot_x(a: np.ndarray) -> np.ndarray:
    """(...) angles -> (..., 3, 3) rotations about +x (x left in the SMPL frame)."""
    a = np.asarray(a, dtype=np.float64)
    c, s = np.cos(a), np.sin(a)
    z, o = np.zeros_like(a), np.ones_like(a)
    return np.stack([np.stack(r, -1) for r in ((o, z, z), (z, c, -s), (z, s, c))], -2)


def rot_y(a: np.ndarray) -> np.ndarray:
    """(...) angles -> (..., 3, 3) rotations about the y-up axis (positive turns the body to its left)."""
    a = np.asarray(a, dtype=np.float64)
    c, s = np.cos(a), np.sin(a)
    z, o = np.zeros_like(a), np.ones_like(a)
    return np.stack([np.stack(r, -1) for r in ((c, z, s), (z, o, z), (-s, z, c))], -2)


def rot_z(a: np.ndarray) -> np.ndarray:
    """(...) angles -> (..., 3, 3) rotations about +z (forward)."""
    a = np.asarray(a, dtype=np.float64)
    c, s = np.cos(a), np.sin(a)
    z, o = np.zeros_like(a), np.ones_like(a)
    return np.stack([np.stack(r, -1) for r in ((c, -s, z), (s, c, z), (z, z, o))], -2)


def aa_to_matrix(aa: np.ndarray) -> np.ndarray:
    """(..., 3) rotation vectors -> (..., 3, 3) by Rodrigues' formula (vectorised, exact at zero)."""
    aa = np.asarray(aa, dtype=np.float64)
    theta = np.linalg.norm(aa, axis=-1, keepdims=True)
    safe = np.where(theta < 1e-12, 1.0, theta)
    k = aa / safe
    kx, ky, kz = k[..., 0], k[..., 1], k[..., 2]
    zero = np.zeros_like(kx)
    kmat = np.stack([np.stack(r, -1) for r in ((zero, -kz, ky), (kz, zero, -kx), (-ky, kx, zero))], -2)
    s = np.sin(theta)[..., None]
    c = np.cos(theta)[..., None]
    eye = np.broadcast_to(np.eye(3), kmat.shape)
    return eye + s * kmat + (1.0 - c) * (kmat @ kmat)


def normalize(v: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    """Unit vectors along the last axis."""
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), eps)


def bone_frame(bone: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Orthonormal frame (..., 3, 3) with columns [bone, ref orthogonalised to bone, bone x ref]."""
    b = normalize(bone)
    f = normalize(ref - (ref * b).sum(-1, keepdims=True) * b)
    return np.stack([b, f, np.cross(b, f)], axis=-1)


def two_bone_ik(
    base: np.ndarray,
    target: np.ndarray,
    pole: np.ndarray,
    off1: np.ndarray,
    off2: np.ndarray,
    rest_ref: np.ndarray,
    max_reach: float = 0.9995,
    fallback: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Global rotations (..., 3, 3) of the upper and lower bone that put the chain end at `target`.

    The middle joint (knee, elbow) bends towards `pole`; `off1`, `off2` are the rest bones (parent frame = world
    at rest) and `rest_ref` the rest direction the middle joint bends towards, so the middle joint's relative
    rotation is a pure hinge. Returns (G1, G2, reached end position); unreachable targets are approached along the
    base-target line.
    """
    l1, l2 = float(np.linalg.norm(off1)), float(np.linalg.norm(off2))
    delta = target - base
    dist = np.linalg.norm(delta, axis=-1, keepdims=True)
    u = delta / np.maximum(dist, 1e-9)
    d = np.clip(dist, abs(l1 - l2) + 1e-4, (l1 + l2) * max_reach)
    cos_a = np.clip((l1 * l1 + d * d - l2 * l2) / (2.0 * l1 * d), -1.0, 1.0)
    sin_a = np.sqrt(1.0 - cos_a * cos_a)
    p = pole - (pole * u).sum(-1, keepdims=True) * u
    if fallback is not None:  # a pole (nearly) along the limb gives no bend plane: lean on the fallback smoothly
        q = fallback - (fallback * u).sum(-1, keepdims=True) * u
        p = p + np.clip(0.5 - np.linalg.norm(p, axis=-1, keepdims=True), 0.0, 0.5) * normalize(q)
    p = normalize(p)
    pole = p
    mid = base + l1 * (cos_a * u + sin_a * p)
    end = base + d * u
    f1_rest = bone_frame(off1, rest_ref)
    f2_rest = bone_frame(off2, rest_ref)
    g1 = bone_frame(mid - base, pole) @ f1_rest.T
    g2 = bone_frame(end - mid, pole) @ f2_rest.T
    return g1, g2, end
