"""Post-processing of generated 272-D motion: temporal smoothing, grounding, stance feet pinned, swing feet lifted.

The decoder's output carries frame-to-frame noise (its joints' jerk is several times the data's); a Gaussian filter
of sigma = 2 frames (67 ms) over every feature channel removes it (6-D rotations are re-orthonormalised by the
decoders). Then the feet: a generator's root velocity and leg motion come from different feature channels, so a
little disagreement between them shows as feet sliding on the floor. In the 272-D representation the joints are
stored relative to the root, and the root path only as its velocity ([0:2]), so moving the root moves every joint
rigidly: for each pair of frames in which a toe is on the floor in both, the root step is corrected by minus that
toe's floor-plane step (the mean of both toes in double support), which makes a single stance toe stand still while
the pose stays as generated. Heights are shifted once per clip so that the toes' typical floor height is 0.
What the root cannot fix is the feet moving relative to each other: a toe that creeps while planted, or a swing toe
dragged along the floor. `plant_feet` gives each toe a target (a stance toe holds its place, a swing toe that would
skim the floor is raised clear of it) and moves the leg there with analytic two-bone IK (generator.sampling.leg_ik).
Hand-written: no library edits this representation. Contacts: toe below `height` (m) and slower than `speed` (m/s)
after grounding.
"""

from __future__ import annotations

import numpy as np

from generator.motion import repr272
from generator.motion.plausibility import CONTACT_HEIGHT, SKATE_SPEED, floor_speed
from generator.motion.segments import true_runs
from generator.sampling.leg_ik import move_toe

TOES = (10, 11)  # SMPL-22 left / right foot (toe) joints
CONTACT_SPEED = 1.0  # m/s: a toe faster than this is swinging, even near the floor
LIFT_HEIGHT = 0.055  # m: a swing toe that must move while near the floor is raised to this height
MIN_STANCE = 3  # frames (0.1 s): a shorter pause of a toe between two swings is not a stance
SMOOTH_SIGMA = 2.0  # frames


def smooth(features: np.ndarray, sigma: float = SMOOTH_SIGMA) -> np.ndarray:
    """Gaussian low-pass of every channel of a (T, 272) motion along time (edges held), float32 out."""
    from scipy.ndimage import gaussian_filter1d

    if sigma <= 0:
        return np.asarray(features, np.float32)
    return gaussian_filter1d(np.asarray(features, np.float64), sigma, axis=0, mode="nearest").astype(np.float32)


def postprocess(features: np.ndarray, fps: float = 30.0) -> np.ndarray:
    """What the sampler applies to every generated motion: smooth, cleanup_feet, then plant_feet."""
    return plant_feet(cleanup_feet(smooth(features), fps), fps)


def floor_offset(joints: np.ndarray, height: float = CONTACT_HEIGHT) -> float:
    """The toes' typical floor height (m): the median of the lower toe's height over frames where it is low."""
    lowest = joints[:, list(TOES), 1].min(axis=1)  # (T,)
    low = lowest[lowest < np.quantile(lowest, 0.25) + height]
    return float(np.median(low))


def toe_contacts(joints: np.ndarray, fps: float, height: float, speed: float) -> np.ndarray:
    """(T - 1, 2) bool: toe on the floor in frames t and t + 1 and slower than `speed` between them."""
    toes = joints[:, list(TOES)]  # (T, 2, 3)
    low = (toes[:-1, :, 1] < height) & (toes[1:, :, 1] < height)
    return low & (floor_speed(toes, fps) < speed)


def cleanup_feet(
    features: np.ndarray, fps: float = 30.0, height: float = CONTACT_HEIGHT, speed: float = CONTACT_SPEED
) -> np.ndarray:
    """Grounded, stance-pinned copy of a (T, 272) motion (float32); rotations and root-relative poses unchanged."""
    f = np.asarray(features, np.float64).copy()
    if f.ndim != 2 or f.shape[1] != repr272.DIM or len(f) < 3:
        return np.asarray(features, np.float32)
    joints = repr272.decode_joints(f)
    offset = floor_offset(joints, height)
    f[:, 9:74:3] -= offset  # every joint's height (y of [8:74]); velocities are unchanged
    joints[..., 1] -= offset  # decoded heights are those channels as they are
    contact = toe_contacts(joints, fps, height, speed)  # (T - 1, 2)
    toes = joints[:, list(TOES)][:, :, [0, 2]]  # (T, 2, 2) floor-plane toe positions
    step = np.diff(toes, axis=0)  # (T - 1, 2, 2) world toe steps
    moved = np.where(contact, np.linalg.norm(step, axis=-1), np.inf)  # (T - 1, 2)
    stance = moved.argmin(axis=1)  # in double contact the slower toe is the one standing
    world = -step[np.arange(len(step)), stance] * contact.any(axis=1)[:, None]  # (T - 1, 2) root correction
    # the root step of frame t is stored in frame t - 1's heading: rotate the world correction into it (as encode)
    angle = repr272.heading_angles(f)[:-1]
    wx, _, wz = repr272.yaw_rotate(world[:, 0], None, world[:, 1], np.cos(angle), np.sin(angle))
    f[1:, 0] += wx
    f[1:, 1] += wz
    return f.astype(np.float32)


def foot_targets(toes: np.ndarray, fps: float = 30.0) -> np.ndarray:
    """(T, 2, 3) world toe targets for (T, 2, 3) toe positions: stance toes stand still, swing toes clear the floor.

    A toe is in stance in frames where it is below CONTACT_HEIGHT and moves slower than SKATE_SPEED into and out of
    the frame, for at least MIN_STANCE frames; while the body is on the floor at most one foot swings (where both
    would, the lower one is held).
    Each stance run is held at its mean floor position; in between, the offset from the original path blends
    linearly from the previous run's to the next one's. A swing frame in which the toe would still move along the
    floor faster than SKATE_SPEED is raised to LIFT_HEIGHT.
    """
    n = len(toes)
    height = toes[:, :, 1]  # (T, 2)
    speed = floor_speed(toes, fps)  # (T - 1, 2)
    slow = np.concatenate([speed[:1], speed]) < SKATE_SPEED
    slow &= np.concatenate([speed, speed[-1:]]) < SKATE_SPEED
    stance = (height < CONTACT_HEIGHT) & slow
    for k in range(2):  # a stance shorter than MIN_STANCE frames between two swings is part of one swing
        for s, e in true_runs(stance[:, k]):
            if e - s < MIN_STANCE and s > 0 and e < n:
                stance[s:e, k] = False
    both_swing = np.flatnonzero(~stance.any(axis=1) & (height.min(axis=1) < CONTACT_HEIGHT))
    stance[both_swing, height[both_swing].argmin(axis=1)] = True
    targets = toes.copy()
    for k in range(2):
        path = toes[:, k, [0, 2]]  # (T, 2) floor-plane path
        offset = np.full((n, 2), np.nan)
        for s, e in true_runs(stance[:, k]):
            offset[s:e] = path[s:e].mean(axis=0) - path[s:e]
        for s, e in true_runs(~stance[:, k]):
            before = offset[s - 1] if s > 0 else np.zeros(2)
            after = offset[e] if e < n else np.zeros(2)
            w = (np.arange(s, e) - s + 1)[:, None] / (e - s + 1)
            offset[s:e] = before + (after - before) * w
        low = (height[:-1, k] < CONTACT_HEIGHT) & (height[1:, k] < CONTACT_HEIGHT)
        skims = low & (floor_speed(path + offset, fps) > SKATE_SPEED)  # (T - 1,) pairs that would still skate
        lift = np.zeros(n, bool)
        lift[:-1] |= skims & ~stance[:-1, k]
        lift[1:] |= skims & ~stance[1:, k]
        targets[:, k, 0] += offset[:, 0]
        targets[:, k, 2] += offset[:, 1]
        for s, e in true_runs(~stance[:, k]):  # one lift per swing, from its first to its last skimming frame
            hit = np.flatnonzero(lift[s:e])
            if len(hit):
                first, last = s + hit[0], s + hit[-1] + 1
                targets[first:last, k, 1] = np.maximum(height[first:last, k], LIFT_HEIGHT)
                for t in (first - 1, last):  # half-way frames on either side soften the lift
                    if 0 <= t < n:
                        targets[t, k, 1] = max(height[t, k], 0.5 * (height[t, k] + LIFT_HEIGHT))
    return targets


def plant_feet(features: np.ndarray, fps: float = 30.0) -> np.ndarray:
    """Copy of a grounded (T, 272) motion whose toes follow foot_targets, through leg IK (float32)."""
    f = np.asarray(features, np.float64)
    if f.ndim != 2 or f.shape[1] != repr272.DIM or len(f) < 3:
        return np.asarray(features, np.float32)
    toes = repr272.decode_joints(f)[:, list(TOES)]
    change = foot_targets(toes, fps) - toes  # (T, 2, 3) in the world
    angle = repr272.heading_angles(f)  # the heading in which frame t stores its pose
    c, s = np.cos(angle), np.sin(angle)
    for leg in range(2):
        dx, dy, dz = repr272.yaw_rotate(change[:, leg, 0], change[:, leg, 1], change[:, leg, 2], c, s)
        f, _ = move_toe(f, leg, np.stack([dx, dy, dz], axis=-1))
    return f.astype(np.float32)
