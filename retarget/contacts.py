"""Human foot contacts (toe/ankle height and speed) and stance-foot locking of the robot's IK targets."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial.transform import Rotation, Slerp

from generator.motion.segments import true_runs
from generator.motion.skeleton import ANKLE_JOINTS, FOOT_JOINTS
from retarget import robot
from retarget.scaling import TOE_SITES, Targets


@dataclass(frozen=True)
class ContactConfig:
    """Thresholds of the human contact detector (heights above the floor at z = 0, robot frame, unscaled)."""

    toe_height: float = 0.04  # m: the toe (SMPL foot joint) is this close to the floor
    ankle_margin: float = 0.03  # m: or the ankle (heel) is within this of its standing height
    speed: float = 0.35  # m/s: and that point moves slower than this
    min_run: int = 3  # frames: shorter contact runs are dropped
    max_gap: int = 2  # frames: shorter gaps between contacts are filled
    blend: int = 4  # frames over which a locked foot target blends back to the free target


def _clean(mask: np.ndarray, min_run: int, max_gap: int) -> np.ndarray:
    mask = mask.copy()
    for s, e in true_runs(~mask):
        if 0 < s and e < len(mask) and e - s <= max_gap:
            mask[s:e] = True
    for s, e in true_runs(mask):
        if e - s < min(min_run, len(mask)):  # a clip shorter than min_run keeps a run that fills it
            mask[s:e] = False
    return mask


def detect_contacts(
    joints_robot: np.ndarray, fps: float, ankle_height: float = 0.052, cfg: ContactConfig = ContactConfig()
) -> np.ndarray:
    """Per-frame foot contacts (T, 2) [left, right] of human joints (T, 22, 3) in the robot frame (z up, floor 0).

    `ankle_height` is the source skeleton's standing ankle height above its floor (Calibration.ankle_height).
    """
    j = np.asarray(joints_robot, dtype=np.float64)
    out = np.zeros((j.shape[0], 2), dtype=bool)
    for side, (toe, ankle) in enumerate(zip(FOOT_JOINTS, ANKLE_JOINTS)):
        on = np.zeros(j.shape[0], dtype=bool)
        for idx, height in ((toe, cfg.toe_height), (ankle, ankle_height + cfg.ankle_margin)):
            p = j[:, idx]
            v = np.linalg.norm(np.gradient(p, axis=0), axis=-1) * fps if len(p) > 1 else np.zeros(len(p))
            on |= (p[:, 2] < height) & (v < cfg.speed)
        out[:, side] = _clean(on, cfg.min_run, cfg.max_gap)
    return out


def _smoothstep(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3 - 2 * x)


def lock_feet(targets: Targets, contacts: np.ndarray, cfg: ContactConfig = ContactConfig()) -> Targets:
    """Hold each robot foot target still (flat, on the ground) through every human contact run.

    During a run the ankle target takes the run's median xy, the sole height above the ground and a flat
    orientation with the run's mean heading; around the run the target blends back to the free one over
    `cfg.blend` frames, so the foot lifts off and lands smoothly instead of popping.
    """
    t = targets.num_frames
    pos = {k: v.copy() for k, v in targets.positions.items()}
    ori = {k: v.copy() for k, v in targets.orientations.items()}
    for side, (body, toe) in enumerate(zip(robot.FOOT_BODIES, TOE_SITES)):
        free_p, free_r = targets.positions[body], targets.orientations[body]
        weight = np.zeros(t)
        locked_p = free_p.copy()
        locked_r = free_r.copy()
        for s, e in true_runs(contacts[:, side]):
            fwd = free_r[s:e, :2, 0]
            yaw = np.arctan2(fwd[:, 1].mean(), fwd[:, 0].mean())
            rot = Rotation.from_euler("z", yaw).as_matrix()
            p = np.array([*np.median(free_p[s:e, :2], axis=0), robot.SOLE_HEIGHT])
            lo, hi = max(0, s - cfg.blend), min(t, e + cfg.blend)
            locked_p[lo:hi] = p
            locked_r[lo:hi] = rot
            w = np.ones(hi - lo)
            ramp_in = np.arange(lo, s)
            w[: len(ramp_in)] = _smoothstep((ramp_in - (s - cfg.blend - 1)) / (cfg.blend + 1))
            ramp_out = np.arange(e, hi)
            w[len(w) - len(ramp_out) :] = _smoothstep(((e + cfg.blend) - ramp_out) / (cfg.blend + 1))
            weight[lo:hi] = np.maximum(weight[lo:hi], w)
        pos[body] = (1 - weight[:, None]) * free_p + weight[:, None] * locked_p
        for f in np.flatnonzero((weight > 0) & (weight < 1)):
            key = Rotation.from_matrix(np.stack([free_r[f], locked_r[f]]))
            ori[body][f] = Slerp([0.0, 1.0], key)(weight[f]).as_matrix()
        ori[body][weight >= 1] = locked_r[weight >= 1]
        pos[toe] = pos[body] + ori[body] @ robot.TOE_OFFSET
    return Targets(
        positions=pos, orientations=ori, human_joints=targets.human_joints, scaled_joints=targets.scaled_joints
    )
