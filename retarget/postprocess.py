"""Post-processing of a solved G1 clip: joint-limit clamping, temporal smoothing, resampling, ground alignment."""

from __future__ import annotations

import mujoco
import numpy as np
from scipy.ndimage import gaussian_filter1d
from scipy.spatial.transform import Rotation, Slerp

from retarget import robot


def _xyzw(q: np.ndarray) -> np.ndarray:
    return q[..., [1, 2, 3, 0]]


def _wxyz(q: np.ndarray) -> np.ndarray:
    return q[..., [3, 0, 1, 2]]


def continuous_quats(q: np.ndarray) -> np.ndarray:
    """Flip quaternion signs (T, 4) so consecutive ones lie in the same hemisphere."""
    q = np.array(q, dtype=np.float64)
    for t in range(1, len(q)):
        if np.dot(q[t], q[t - 1]) < 0:
            q[t] = -q[t]
    return q


def clamp_joints(qpos: np.ndarray, margin: float = 0.01) -> np.ndarray:
    """Clip the 29 joints of qpos (T, 36) into their limits shrunk by `margin` radians."""
    lo, hi = robot.joint_limits()
    out = np.array(qpos, dtype=np.float64)
    out[:, 7:] = np.clip(out[:, 7:], lo + margin, hi - margin)
    return out


def smooth(qpos: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian temporal smoothing (sigma in frames) of root position, root orientation and joints.

    A Gaussian average is a convex combination, so joints inside their limits stay inside, and a foot held still
    by the IK stays still (the average of equal poses is that pose).
    """
    if sigma <= 0 or len(qpos) < 3:
        return np.array(qpos, dtype=np.float64)
    out = np.array(qpos, dtype=np.float64)
    out[:, :3] = gaussian_filter1d(out[:, :3], sigma, axis=0, mode="nearest")
    out[:, 7:] = gaussian_filter1d(out[:, 7:], sigma, axis=0, mode="nearest")
    quat = gaussian_filter1d(continuous_quats(out[:, 3:7]), sigma, axis=0, mode="nearest")
    out[:, 3:7] = quat / np.linalg.norm(quat, axis=-1, keepdims=True)
    return out


def resample_times(num_frames: int, src_fps: float, dst_fps: float) -> np.ndarray:
    """Source-frame positions (fractional indices) of the output frames spanning the same duration."""
    duration = (num_frames - 1) / src_fps
    n = int(np.floor(duration * dst_fps + 1e-9)) + 1
    return np.arange(n) * (src_fps / dst_fps)


def resample(qpos: np.ndarray, src_fps: float, dst_fps: float) -> np.ndarray:
    """Resample qpos (T, 36) in time: root position and joints linearly, root orientation by slerp."""
    qpos = np.asarray(qpos, dtype=np.float64)
    if len(qpos) == 1 or src_fps == dst_fps:
        return qpos.copy()
    x = resample_times(len(qpos), src_fps, dst_fps)
    src = np.arange(len(qpos))
    out = np.empty((len(x), qpos.shape[1]))
    for k in list(range(3)) + list(range(7, qpos.shape[1])):
        out[:, k] = np.interp(x, src, qpos[:, k])
    rots = Rotation.from_quat(_xyzw(continuous_quats(qpos[:, 3:7])))
    out[:, 3:7] = _wxyz(Slerp(src, rots)(np.clip(x, 0, len(qpos) - 1)).as_quat())
    return out


def resample_labels(labels: np.ndarray, src_fps: float, dst_fps: float) -> np.ndarray:
    """Nearest-frame resampling of per-frame labels (T, ...) to the output rate."""
    x = resample_times(len(labels), src_fps, dst_fps)
    return np.asarray(labels)[np.clip(np.rint(x).astype(int), 0, len(labels) - 1)]


def resample_points(points: np.ndarray, src_fps: float, dst_fps: float) -> np.ndarray:
    """Linear resampling of per-frame points (T, ..., 3)."""
    points = np.asarray(points, dtype=np.float64)
    x = resample_times(len(points), src_fps, dst_fps)
    i0 = np.clip(np.floor(x).astype(int), 0, len(points) - 1)
    i1 = np.clip(i0 + 1, 0, len(points) - 1)
    w = (x - i0).reshape((-1,) + (1,) * (points.ndim - 1))
    return (1 - w) * points[i0] + w * points[i1]


def lowest_foot_points(qpos: np.ndarray, model: mujoco.MjModel | None = None) -> np.ndarray:
    """Lowest world z (T, 2) of each foot's collision capsules for qpos (T, 36)."""
    model = robot.shared_model() if model is None else model
    data = mujoco.MjData(model)
    out = np.empty((len(qpos), 2))
    for t, q in enumerate(qpos):
        data.qpos[:] = q
        mujoco.mj_kinematics(model, data)
        out[t] = robot.foot_lowest_points(model, data)
    return out


def ground(qpos: np.ndarray, contacts: np.ndarray, model: mujoco.MjModel | None = None) -> tuple[np.ndarray, bool]:
    """Shift the root height per frame so the lowest foot point touches z = 0 in every frame with a human contact.

    Frames without any contact (flight) take an offset interpolated between the neighbouring contact frames,
    raised where needed so no foot goes below the ground. Returns (qpos, airborne) where `airborne` flags a clip
    with no contact frame at all (then the clip's lowest foot point is put on the ground).
    """
    out = np.array(qpos, dtype=np.float64)
    lowest = lowest_foot_points(out, model).min(axis=1)
    anchor = np.asarray(contacts).any(axis=1)
    airborne = not anchor.any()
    if airborne:
        offset = np.full(len(out), -lowest.min())
    else:
        idx = np.flatnonzero(anchor)
        offset = np.interp(np.arange(len(out)), idx, -lowest[idx])
        offset = np.maximum(offset, -lowest)
    out[:, 2] += offset
    return out, airborne
