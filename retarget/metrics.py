"""Retarget quality metrics per clip and in aggregate: joint error, foot sliding, ground penetration, floating,
joint-limit violations and self-collisions (MuJoCo collision detection on the G1 with a floor)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import mujoco
import numpy as np
from scipy.spatial.transform import Rotation

from retarget import robot
from retarget.scaling import POSITION_MAP, TOE_SITES

SLIDE_PER_FRAME = 0.01  # m per output frame (0.5 m/s at 50 fps)
FLOAT_HEIGHT = 0.02  # m: lowest foot point above the ground while the human stands on a foot
SELF_COLLISION_DEPTH = 0.005  # m
METRIC_NAMES = (
    "joint_error_mm", "foot_sliding_pct", "max_slide_mm", "max_penetration_mm", "floating_frames",
    "limit_violations", "self_collision_pct",
)  # fmt: skip


@dataclass
class ClipMetrics:
    """Quality of one retargeted clip (all at the output frame rate)."""

    frames: int
    joint_error_mm: float  # mean distance of the matched robot points to the scaled human joints
    foot_sliding_pct: float  # share of human-contact frames where the robot foot moves > 1 cm/frame in xy
    max_slide_mm: float  # largest such per-frame slide
    max_penetration_mm: float  # deepest robot-ground penetration (any collision geom)
    floating_frames: int  # human-contact frames where the robot's lowest foot point is > 2 cm above ground
    limit_violations: int  # (frame, joint) pairs outside the MJCF joint limits
    self_collision_pct: float  # share of frames with a robot-robot contact deeper than 5 mm

    def as_dict(self) -> dict:
        return asdict(self)


def _foot_points(pos: np.ndarray, quat: np.ndarray) -> np.ndarray:
    """World toe and heel points (T, 2 feet, 2 points, 3) from body poses (T, B, 3) / (T, B, 4 wxyz)."""
    out = np.empty((pos.shape[0], 2, 2, 3))
    heel = np.array([-0.05, 0.0, -robot.SOLE_HEIGHT])
    for s, body in enumerate(robot.FOOT_BODIES):
        b = robot.BODY_INDEX[body]
        rot = Rotation.from_quat(quat[:, b][:, [1, 2, 3, 0]])
        out[:, s, 0] = pos[:, b] + rot.apply(robot.TOE_OFFSET)
        out[:, s, 1] = pos[:, b] + rot.apply(heel)
    return out


def matched_points(pos: np.ndarray, quat: np.ndarray) -> dict[str, np.ndarray]:
    """World positions (T, 3) of the robot points matched to SMPL joints (see scaling.POSITION_MAP)."""
    feet = _foot_points(pos, quat)
    out = {b: pos[:, robot.BODY_INDEX[b]] for b in POSITION_MAP.values() if b in robot.BODY_INDEX}
    for s, toe in enumerate(TOE_SITES):
        out[toe] = feet[:, s, 0]
    return out


def clip_metrics(
    qpos: np.ndarray, human_contacts: np.ndarray, scaled_targets: dict[str, np.ndarray] | None = None
) -> ClipMetrics:
    """Metrics of a robot clip qpos (T, 36) against the human contacts (T, 2) and scaled joint targets (T, 3) each."""
    qpos = np.asarray(qpos, dtype=np.float64)
    pos, quat = robot.forward_kinematics(qpos)
    t = len(qpos)
    err = 0.0
    if scaled_targets:
        pts = matched_points(pos, quat)
        err = float(np.mean([np.linalg.norm(pts[k] - v, axis=-1).mean() for k, v in scaled_targets.items()]) * 1e3)

    feet = _foot_points(pos, quat)
    contacts = np.asarray(human_contacts, dtype=bool)
    slid, n_contact, max_slide = 0, 0, 0.0
    if t > 1:
        disp = np.linalg.norm(np.diff(feet[..., :2], axis=0), axis=-1).min(axis=-1)  # (T-1, 2) pivot-tolerant
        both = contacts[1:] & contacts[:-1]
        n_contact = int(both.sum())
        slid = int((both & (disp > SLIDE_PER_FRAME)).sum())
        max_slide = float(disp[both].max()) if n_contact else 0.0

    model = robot.shared_model(floor=True)
    data = mujoco.MjData(model)
    floor = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_GEOM, "floor")
    deepest, self_frames, floating = 0.0, 0, 0
    lo, hi = robot.joint_limits()
    violations = int(((qpos[:, 7:] < lo - 1e-6) | (qpos[:, 7:] > hi + 1e-6)).sum())
    for f in range(t):
        data.qpos[:] = qpos[f]
        mujoco.mj_kinematics(model, data)
        mujoco.mj_collision(model, data)
        hit = False
        for c in data.contact[: data.ncon]:
            if floor in (c.geom1, c.geom2):
                deepest = max(deepest, -c.dist)
            elif c.dist < -SELF_COLLISION_DEPTH:
                hit = True
        self_frames += hit
        if contacts[f].any() and robot.foot_lowest_points(model, data).min() > FLOAT_HEIGHT:
            floating += 1
    return ClipMetrics(
        frames=t, joint_error_mm=err, foot_sliding_pct=100.0 * slid / max(n_contact, 1), max_slide_mm=max_slide * 1e3,
        max_penetration_mm=deepest * 1e3, floating_frames=floating, limit_violations=violations,
        self_collision_pct=100.0 * self_frames / max(t, 1),
    )  # fmt: skip


def aggregate(rows: list[ClipMetrics]) -> dict[str, float]:
    """Frame-weighted means of the per-clip metrics (max for maxima, sums for counts)."""
    if not rows:
        return {}
    w = np.array([r.frames for r in rows], dtype=np.float64)
    mean = lambda key: float(np.average([getattr(r, key) for r in rows], weights=w))  # noqa: E731
    return {
        "clips": len(rows), "frames": int(w.sum()), "joint_error_mm": mean("joint_error_mm"),
        "foot_sliding_pct": mean("foot_sliding_pct"), "max_slide_mm": max(r.max_slide_mm for r in rows),
        "max_penetration_mm": max(r.max_penetration_mm for r in rows),
        "floating_frames": int(sum(r.floating_frames for r in rows)),
        "limit_violations": int(sum(r.limit_violations for r in rows)),
        "self_collision_pct": mean("self_collision_pct"),
    }  # fmt: skip
