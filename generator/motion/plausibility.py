"""Physical plausibility of a human motion (numpy, one clip, y-up, floor at y = 0): skating, penetration,
floating, accelerations, joint limits and discontinuities. Used by the procedural library's tests, the dataset
stats CLI and the evaluation suite.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.spatial.transform import Rotation

from generator.motion.skeleton import FOOT_JOINTS, JOINT_NAMES, NUM_JOINTS

CONTACT_HEIGHT = 0.05  # m: a foot below this height is on the floor (GMD)
SKATE_SPEED = 0.5  # m/s: a floor foot moving faster than this skates (GMD)
FLOAT_HEIGHT = 0.05  # m: the lowest joint above this height (outside flight) floats

# Human joint-angle limits in degrees for the parent-relative rotation written as intrinsic Euler angles in the
# SMPL frame (x left, y up, z forward; rest = T-pose), listed as (x, y, z) ranges. The order is X-Y-Z except for
# shoulders and elbows (Y-X-Z: their large flexion about y must not be the +-90 degree middle angle).
# Sign conventions: hip flexion is -x, knee flexion +x,
# left-arm elevation +z (right: -z), left elbow flexion -y (right: +y). Ranges follow clinical active ranges of
# motion (AAOS) widened by 10-15 degrees for the T-pose reference and the Euler coupling of large rotations.
JOINT_LIMITS_DEG: dict[str, tuple[tuple[float, float], tuple[float, float], tuple[float, float]]] = {
    "left_hip": ((-135, 40), (-60, 60), (-35, 60)),
    "right_hip": ((-135, 40), (-60, 60), (-60, 35)),
    "spine1": ((-35, 60), (-40, 40), (-40, 40)),
    "left_knee": ((-5, 155), (-35, 35), (-35, 35)),
    "right_knee": ((-5, 155), (-35, 35), (-35, 35)),
    "spine2": ((-35, 60), (-40, 40), (-40, 40)),
    "left_ankle": ((-40, 65), (-40, 40), (-35, 35)),
    "right_ankle": ((-40, 65), (-40, 40), (-35, 35)),
    "spine3": ((-35, 60), (-40, 40), (-40, 40)),
    "left_foot": ((-45, 45), (-30, 30), (-30, 30)),
    "right_foot": ((-45, 45), (-30, 30), (-30, 30)),
    "neck": ((-50, 60), (-70, 70), (-45, 45)),
    "left_collar": ((-30, 30), (-35, 35), (-30, 35)),
    "right_collar": ((-30, 30), (-35, 35), (-35, 30)),
    "head": ((-50, 60), (-70, 70), (-45, 45)),
    "left_shoulder": ((-120, 120), (-125, 70), (-100, 120)),
    "right_shoulder": ((-120, 120), (-70, 125), (-120, 100)),
    "left_elbow": ((-95, 95), (-155, 10), (-40, 40)),
    "right_elbow": ((-95, 95), (-10, 155), (-40, 40)),
    "left_wrist": ((-85, 85), (-85, 85), (-85, 85)),
    "right_wrist": ((-85, 85), (-85, 85), (-85, 85)),
}
YXZ_JOINTS = tuple(JOINT_NAMES.index(n) for n in ("left_shoulder", "right_shoulder", "left_elbow", "right_elbow"))
_LIMITS = np.full((NUM_JOINTS, 3, 2), [-180.0, 180.0])
for _name, _lim in JOINT_LIMITS_DEG.items():
    _LIMITS[JOINT_NAMES.index(_name)] = np.asarray(_lim, dtype=np.float64)


def _check_joints(joints: np.ndarray) -> np.ndarray:
    joints = np.asarray(joints, dtype=np.float64)
    if joints.ndim != 3 or joints.shape[1:] != (NUM_JOINTS, 3):
        raise ValueError(f"joints must have shape (T, {NUM_JOINTS}, 3), got {joints.shape}")
    return joints


def floor_speed(path: np.ndarray, fps: float) -> np.ndarray:
    """(T - 1, ...) floor-plane speeds (m/s) of a (T, ..., 3) path, or of a (T, ..., 2) floor-plane one."""
    xz = path[..., [0, 2]] if path.shape[-1] == 3 else path
    return np.linalg.norm(np.diff(xz, axis=0), axis=-1) * fps


def foot_skating_ratio(joints: np.ndarray, fps: float = 30) -> float:
    """GMD foot skating: fraction of frame pairs (t, t+1) in which a foot joint (10/11) is below 5 cm in both
    frames and moves horizontally faster than 0.5 m/s."""
    joints = _check_joints(joints)
    if len(joints) < 2:
        return 0.0
    feet = joints[:, list(FOOT_JOINTS)]
    low = (feet[:-1, :, 1] < CONTACT_HEIGHT) & (feet[1:, :, 1] < CONTACT_HEIGHT)
    return float(((floor_speed(feet, fps) > SKATE_SPEED) & low).any(axis=1).mean())


def penetration(joints: np.ndarray) -> float:
    """Maximum depth (m) of the lowest joint below the floor y = 0 (0 when nothing goes below)."""
    joints = _check_joints(joints)
    return float(max(0.0, -joints[..., 1].min()))


def floating_ratio(joints: np.ndarray, flight: np.ndarray | None = None) -> float:
    """Fraction of frames whose lowest joint is above 5 cm although the body is not in a ballistic flight phase."""
    joints = _check_joints(joints)
    floating = joints[..., 1].min(axis=1) > FLOAT_HEIGHT
    if flight is not None:
        floating &= ~np.asarray(flight, dtype=bool)
    return float(floating.mean()) if len(floating) else 0.0


def jerk(x: np.ndarray, dt: float) -> np.ndarray:
    """Third time derivative of a trajectory along axis 0 by finite differences ((T - 3, ...); empty below 4 frames)."""
    return np.diff(x, n=3, axis=0) / dt**3 if len(x) > 3 else np.zeros((0,) + np.shape(x)[1:])


def mean_jerk(joints: np.ndarray, fps: float = 30) -> float:
    """Mean joint jerk (m/s^3): the norm of the third time difference of the joint positions, averaged."""
    if len(joints) < 4:
        return 0.0
    return float(np.linalg.norm(jerk(np.asarray(joints, np.float64), 1.0 / fps), axis=-1).mean())


def max_joint_acceleration(joints: np.ndarray, fps: float = 30) -> float:
    """Largest joint acceleration (m/s^2, central second difference)."""
    joints = _check_joints(joints)
    if len(joints) < 3:
        return 0.0
    acc = (joints[2:] - 2 * joints[1:-1] + joints[:-2]) * fps * fps
    return float(np.linalg.norm(acc, axis=-1).max())


def joint_angles_deg(rotations: np.ndarray) -> np.ndarray:
    """(T, 22, 3, 3) local rotations -> (T, 22, 3) Euler angles (x, y, z) in degrees, in each joint's order."""
    rot = np.asarray(rotations, dtype=np.float64)
    if rot.ndim != 4 or rot.shape[1:] != (NUM_JOINTS, 3, 3):
        raise ValueError(f"rotations must have shape (T, {NUM_JOINTS}, 3, 3), got {rot.shape}")
    flat = rot.reshape(-1, 3, 3)
    if len(flat) == 0:
        return np.zeros((0, NUM_JOINTS, 3))
    with warnings.catch_warnings():  # gimbal lock only makes the split of a +-90 degree middle angle arbitrary
        warnings.simplefilter("ignore", UserWarning)
        out = Rotation.from_matrix(flat).as_euler("XYZ", degrees=True).reshape(rot.shape[0], NUM_JOINTS, 3)
        arms = rot[:, list(YXZ_JOINTS)].reshape(-1, 3, 3)
        yxz = Rotation.from_matrix(arms).as_euler("YXZ", degrees=True).reshape(rot.shape[0], len(YXZ_JOINTS), 3)
    out[:, list(YXZ_JOINTS)] = yxz[..., [1, 0, 2]]
    return out


def joint_limit_violations(rotations: np.ndarray) -> np.ndarray:
    """(T, 22) degrees by which each joint leaves its human range (JOINT_LIMITS_DEG); 0 inside. The root is free."""
    ang = joint_angles_deg(rotations)
    below = np.maximum(_LIMITS[None, :, :, 0] - ang, 0.0)
    above = np.maximum(ang - _LIMITS[None, :, :, 1], 0.0)
    return np.maximum(below, above).max(axis=-1)


def boundary_discontinuity(
    joints: np.ndarray, flight: np.ndarray | None = None, boundaries: list[int] | None = None
) -> float:
    """Largest position jump (m) of any joint between consecutive frames outside flight.

    With `boundaries` (frames where a new segment starts) it is the plain per-frame displacement across those
    boundaries. Without, it is the displacement a joint makes beyond its own velocity, |x[t+1] - 2 x[t] + x[t-1]|
    over frames with no flight, so fast but smooth motion (a running foot) does not count while a pop does.
    """
    joints = _check_joints(joints)
    fl = np.zeros(len(joints), bool) if flight is None else np.asarray(flight, dtype=bool)
    if boundaries is not None:
        b = [int(i) for i in boundaries if 0 < int(i) < len(joints) and not (fl[int(i)] or fl[int(i) - 1])]
        if not b:
            return 0.0
        return float(np.linalg.norm(joints[b] - joints[[i - 1 for i in b]], axis=-1).max())
    if len(joints) < 3:
        return 0.0
    jump = np.linalg.norm(joints[2:] - 2 * joints[1:-1] + joints[:-2], axis=-1).max(axis=1)
    ok = ~(fl[2:] | fl[1:-1] | fl[:-2])
    return float(jump[ok].max()) if ok.any() else 0.0


def plausibility_report(
    joints, rotations: np.ndarray | None = None, flight: np.ndarray | None = None, fps: float = 30,
    boundaries: list[int] | None = None,
) -> dict[str, float]:  # fmt: skip
    """All figures for one clip. `joints` may also be an object with .joints (.rotations, .flight, .fps, ...)."""
    if hasattr(joints, "joints"):
        obj = joints
        joints = obj.joints
        rotations = getattr(obj, "rotations", rotations)
        flight = getattr(obj, "flight", flight)
        fps = getattr(obj, "fps", fps)
        boundaries = getattr(obj, "boundaries", boundaries)
    joints = _check_joints(joints)
    report = {
        "frames": float(len(joints)),
        "foot_skating_ratio": foot_skating_ratio(joints, fps),
        "penetration_m": penetration(joints),
        "floating_ratio": floating_ratio(joints, flight),
        "max_joint_acceleration": max_joint_acceleration(joints, fps),
        "discontinuity_m": boundary_discontinuity(joints, flight),
    }
    if boundaries is not None:
        report["boundary_jump_m"] = boundary_discontinuity(joints, flight, boundaries)
    if rotations is not None:
        viol = joint_limit_violations(rotations)
        report["joint_limit_violation_ratio"] = float((viol > 0).any(axis=1).mean()) if len(viol) else 0.0
        report["joint_limit_max_excess_deg"] = float(viol.max()) if viol.size else 0.0
    return report
