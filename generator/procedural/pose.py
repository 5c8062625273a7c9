"""Track -> SMPL-22 local rotations and joint positions: pelvis height from leg reach, leg and arm IK, then FK."""

from __future__ import annotations

import numpy as np
from scipy.ndimage import maximum_filter1d, uniform_filter1d

from generator.motion.kinematics import forward_kinematics
from generator.motion.skeleton import bone_offsets
from generator.procedural.ik import aa_to_matrix, normalize, rot_x, rot_y, two_bone_ik
from generator.procedural.track import STAND_HEIGHT, Track

OFFSETS = bone_offsets()
LEG = ((1, 4, 7, 10), (2, 5, 8, 11))  # hip, knee, ankle, toe
ARM = ((13, 16, 18, 20), (14, 17, 19, 21))  # collar, shoulder, elbow, wrist
LEG_REACH = 0.993  # fraction of the straight leg length the hip-ankle distance may use
KNEE_OUT = 0.12  # knees point slightly outwards over the toes


def _leg_length(side: int) -> float:
    hip, knee, ankle, _ = LEG[side]
    return float(np.linalg.norm(OFFSETS[knee]) + np.linalg.norm(OFFSETS[ankle]))


def foot_rotation(foot_yaw: np.ndarray, foot_pitch: np.ndarray) -> np.ndarray:
    """Global ankle rotation: heading, then heel lift about the foot's lateral axis."""
    return rot_y(foot_yaw) @ rot_x(foot_pitch)


MAX_DORSIFLEXION = np.radians(25.0)  # beyond this the heel is lifted (toe pivot) or the swing foot tipped


def solve(track: Track) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rotations (T,22,3,3), joints (T,22,3), pelvis position (T,3)) realising the track's targets.

    A second pass lifts the heel (about the planted toe) wherever the first pass bent an ankle further up than
    MAX_DORSIFLEXION, the way a foot follows the shin in deep knee bends and in the running swing.
    """
    rot, joints, root = _solve(track)
    excess = np.zeros((track.n, 2))
    for s in (0, 1):
        r = rot[:, LEG[s][2]]
        flex = np.arctan2(r[:, 2, 1], r[:, 1, 1])  # rotation about x: negative = toes towards the shin
        excess[:, s] = np.maximum(-MAX_DORSIFLEXION - flex, 0.0)
    if excess.max() > 1e-4:
        excess = uniform_filter1d(maximum_filter1d(excess, 5, axis=0, mode="nearest"), 5, axis=0, mode="nearest")
        lifted = track.copy()
        lifted.foot_pitch = track.foot_pitch + 1.1 * excess
        rot, joints, root = _solve(lifted)
    return rot, joints, root


def _solve(track: Track) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = track.n
    g_pelvis = rot_y(track.yaw) @ aa_to_matrix(track.tilt)
    g_foot = foot_rotation(track.foot_yaw, track.foot_pitch)  # (T, 2, 3, 3)
    ankle_target = np.stack(
        [track.toe[:, s] - g_foot[:, s] @ OFFSETS[LEG[s][3]] for s in (0, 1)], axis=1
    )  # the toe offset lives in the ankle's frame

    # Pelvis height: the requested one, lowered (smoothly) wherever a leg could not reach its ankle target.
    root = np.empty((n, 3))
    root[:, 0], root[:, 2] = track.root[:, 0], track.root[:, 2]
    height = STAND_HEIGHT + track.root[:, 1]
    deficit = np.zeros(n)
    for s in (0, 1):
        hip_off = g_pelvis @ OFFSETS[LEG[s][0]]
        reach = _leg_length(s) * LEG_REACH
        horiz = np.hypot(track.root[:, 0] + hip_off[:, 0] - ankle_target[:, s, 0],
                         track.root[:, 2] + hip_off[:, 2] - ankle_target[:, s, 2])  # fmt: skip
        vertical = np.sqrt(np.maximum(reach * reach - horiz * horiz, 0.0))
        max_height = ankle_target[:, s, 1] - hip_off[:, 1] + vertical
        deficit = np.maximum(deficit, height - max_height)
    deficit = np.maximum(deficit, 0.0)
    if deficit.any():
        width = 9
        deficit = uniform_filter1d(maximum_filter1d(deficit, width, mode="nearest"), width, mode="nearest")
    root[:, 1] = height - deficit

    rot = np.zeros((n, 22, 3, 3))
    rot[:] = np.eye(3)
    rot[:, 0] = g_pelvis
    rot[:, [3, 6, 9]] = aa_to_matrix(track.spine)
    rot[:, [12, 15]] = aa_to_matrix(track.head)

    for s in (0, 1):
        hip, knee, ankle, _ = LEG[s]
        hip_pos = root + g_pelvis @ OFFSETS[hip]
        fwd = rot_y(track.foot_yaw[:, s]) @ np.array([KNEE_OUT * (1.0 if s == 0 else -1.0), 0.0, 1.0])
        g1, g2, _ = two_bone_ik(hip_pos, ankle_target[:, s], normalize(fwd), OFFSETS[knee], OFFSETS[ankle],
                                np.array([0.0, 0.0, 1.0]))  # fmt: skip
        rot[:, hip] = np.swapaxes(g_pelvis, -1, -2) @ g1
        rot[:, knee] = np.swapaxes(g1, -1, -2) @ g2
        rot[:, ankle] = np.swapaxes(g2, -1, -2) @ g_foot[:, s]

    collar_rot = aa_to_matrix(track.collar)  # (T, 2, 3, 3)
    for s in (0, 1):
        collar, shoulder, elbow, wrist = ARM[s]
        rot[:, collar] = collar_rot[:, s]
        shoulder_pos = OFFSETS[collar] + collar_rot[:, s] @ OFFSETS[shoulder]  # chest frame
        g1, g2, _ = two_bone_ik(shoulder_pos, shoulder_pos + track.hand[:, s], track.pole[:, s], OFFSETS[elbow],
                                OFFSETS[wrist], np.array([0.0, 0.0, -1.0]), max_reach=0.995,
                                fallback=np.array([0.0, -1.0, 0.0]))  # fmt: skip
        rot[:, shoulder] = np.swapaxes(collar_rot[:, s], -1, -2) @ g1
        rot[:, elbow] = np.swapaxes(g1, -1, -2) @ g2
    rot[:, [20, 21]] = aa_to_matrix(track.wrist)

    joints = forward_kinematics(rot, root)
    return rot, joints, root
