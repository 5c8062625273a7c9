"""The SMPL-22 body skeleton: joint names, parents, mirror pairs and the neutral rest pose (y-up, metres)."""

from __future__ import annotations

import numpy as np

JOINT_NAMES: tuple[str, ...] = (
    "pelvis", "left_hip", "right_hip", "spine1", "left_knee", "right_knee",
    "spine2", "left_ankle", "right_ankle", "spine3", "left_foot", "right_foot",
    "neck", "left_collar", "right_collar", "head", "left_shoulder", "right_shoulder",
    "left_elbow", "right_elbow", "left_wrist", "right_wrist",
)  # fmt: skip
NUM_JOINTS = 22
PARENTS: tuple[int, ...] = (-1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16, 17, 18, 19)
MIRROR_PAIRS: tuple[tuple[int, int], ...] = (
    (1, 2), (4, 5), (7, 8), (10, 11), (13, 14), (16, 17), (18, 19), (20, 21),
)  # fmt: skip
FOOT_JOINTS = (10, 11)  # left_foot, right_foot (toes)
ANKLE_JOINTS = (7, 8)
JOINT_INDEX = {name: i for i, name in enumerate(JOINT_NAMES)}


def _mirror_permutation() -> np.ndarray:
    perm = np.arange(NUM_JOINTS)
    for a, b in MIRROR_PAIRS:
        perm[a], perm[b] = b, a
    return perm


MIRROR_PERM: np.ndarray = _mirror_permutation()

# Neutral SMPL rest pose (T-pose), pelvis-relative, SMPL frame: x left, y up, z forward.
REST_POSE = np.array(
    [
        [0.000, 0.000, 0.000], [0.070, -0.091, -0.007], [-0.068, -0.090, -0.004],
        [-0.003, 0.109, -0.027], [0.104, -0.467, -0.011], [-0.106, -0.473, -0.013],
        [0.003, 0.244, -0.026], [0.090, -0.865, -0.055], [-0.090, -0.871, -0.055],
        [0.004, 0.297, -0.000], [0.117, -0.920, 0.064], [-0.116, -0.920, 0.068],
        [0.002, 0.511, -0.043], [0.083, 0.419, -0.034], [-0.077, 0.416, -0.039],
        [0.007, 0.576, 0.008], [0.174, 0.449, -0.043], [-0.173, 0.449, -0.048],
        [0.434, 0.436, -0.071], [-0.427, 0.435, -0.069], [0.683, 0.446, -0.072],
        [-0.682, 0.443, -0.075],
    ],
    dtype=np.float64,
)  # fmt: skip


def bone_offsets(rest_pose: np.ndarray = REST_POSE) -> np.ndarray:
    """Offsets (22, 3) of each joint from its parent in the rest pose; the root's offset is zero."""
    rest_pose = np.asarray(rest_pose, dtype=np.float64)
    offsets = np.zeros_like(rest_pose)
    for j, p in enumerate(PARENTS):
        if p >= 0:
            offsets[..., j, :] = rest_pose[..., j, :] - rest_pose[..., p, :]
    return offsets


def rest_pose_from_offsets(offsets: np.ndarray) -> np.ndarray:
    """Inverse of `bone_offsets`: accumulate parent-relative offsets into pelvis-relative positions."""
    offsets = np.asarray(offsets, dtype=np.float64)
    pose = np.zeros_like(offsets)
    for j, p in enumerate(PARENTS):
        if p >= 0:
            pose[..., j, :] = pose[..., p, :] + offsets[..., j, :]
    return pose


def bone_lengths(rest_pose: np.ndarray = REST_POSE) -> np.ndarray:
    """Length (22,) of the bone ending at each joint; the root's is zero."""
    return np.linalg.norm(bone_offsets(rest_pose), axis=-1)


def chain_length(joints: list[int] | tuple[int, ...], rest_pose: np.ndarray = REST_POSE) -> float:
    """Summed bone length along a chain of consecutive joint indices (e.g. hip, knee, ankle)."""
    pts = np.asarray(rest_pose)[list(joints)]
    return float(np.linalg.norm(np.diff(pts, axis=0), axis=-1).sum())


def floor_offset(rest_pose: np.ndarray = REST_POSE) -> float:
    """Height of the pelvis above the floor when the rest skeleton stands on it (lowest joint at y = 0)."""
    return float(-np.asarray(rest_pose)[:, 1].min())
