"""Locomotion with planted feet: a root path, a footstep schedule, swing trajectories and toe-off heel lift.

Each stance foot stays exactly at its footstep (the IK in `pose` reaches it); the swing toe follows a min-jerk
path with a height bump that rises fast so the toe is off the floor before it moves quickly (no foot skating).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import uniform_filter1d

from generator.procedural.ik import rot_x, rot_y
from generator.procedural.track import FPS, NEUTRAL_HAND, NEUTRAL_TOE, Track, envelope, min_jerk, stand


@dataclass(frozen=True)
class Gait:
    """How a person moves their legs: timing, step shape and upper-body style."""

    speed: float  # root speed along the path at cruise (m/s)
    cadence: float  # steps per second
    duty: float  # fraction of a stride a foot is planted (> 0.5 walk, < 0.5 run: flight phases)
    clearance: float  # peak swing toe height (m)
    heel_lift: float  # toe-off heel lift at the end of stance (rad)
    bob: float  # pelvis dip after each landing (m)
    crouch: float  # mean pelvis lowering while moving (m)
    lean: float  # forward pelvis lean while moving (rad)
    arm_swing: float  # arm swing angle (rad) per metre of foot separation
    arm_lift: float  # hands raised and forward (elbows bent) while moving, 0..1
    sway: float  # fraction of the stance foot's lateral offset the pelvis shifts over it


WALK = Gait(speed=1.2, cadence=1.8, duty=0.62, clearance=0.10, heel_lift=0.35, bob=0.02, crouch=0.025, lean=0.04,
            arm_swing=0.55, arm_lift=0.0, sway=0.25)  # fmt: skip
JOG = Gait(speed=2.0, cadence=2.5, duty=0.45, clearance=0.15, heel_lift=0.45, bob=0.03, crouch=0.05, lean=0.12,
           arm_swing=0.6, arm_lift=0.7, sway=0.1)  # fmt: skip
RUN = Gait(speed=2.8, cadence=2.8, duty=0.38, clearance=0.20, heel_lift=0.5, bob=0.03, crouch=0.06, lean=0.18,
           arm_swing=0.6, arm_lift=1.0, sway=0.05)  # fmt: skip
SHUFFLE = Gait(speed=0.0, cadence=1.7, duty=0.65, clearance=0.08, heel_lift=0.15, bob=0.01, crouch=0.02, lean=0.0,
               arm_swing=0.0, arm_lift=0.0, sway=0.25)  # fmt: skip
SWING_DELAY = 0.12  # fraction of the swing at each end where the toe rises/lowers without travelling
RUN_ARMS = np.array([[0.10, -0.30, 0.17], [-0.10, -0.30, 0.17]])


def swing_height(u: np.ndarray) -> np.ndarray:
    """Swing toe height profile on u in [0, 1]: fast lift-off, peak at 40 %, gentle touch-down."""
    u = np.clip(u, 0.0, 1.0)
    return np.sin(np.pi * u**0.85) ** 0.75


def gait_track(
    gait: Gait,
    n_steps: int,
    direction: tuple[float, float] = (0.0, 1.0),
    turn: float = 0.0,
    first_foot: int = 0,
    label: str = "walk",
    pad: float = 0.3,
    side_bias: bool = False,
) -> Track:
    """Walk/run/turn along a path: `n_steps` steps, moving along `direction` (body-frame x, z) while turning by `turn`.

    The path eases in and out; the last two steps bring the feet back to the neutral stance under the final root.
    `side_bias` widens each foot's placement along a sideways path so the feet never cross (step-together).
    """
    n_steps = max(2, int(n_steps))
    step_dt = 1.0 / gait.cadence
    period = 2.0 * step_dt
    t_swing = (1.0 - gait.duty) * period
    lift = pad + step_dt * np.arange(n_steps)
    land = lift + t_swing
    t_end = land[-1]
    n = int(np.ceil((t_end + pad) * FPS)) + 1
    t = np.arange(n) / FPS

    # Root path: speed and turn rate follow the same eased profile over [first lift, last landing].
    i0, i1 = int(round(pad * FPS)), int(round(t_end * FPS))
    w = np.zeros(n)
    ramp = max(2, min(int(0.5 * FPS), (i1 - i0) // 3))
    w[i0 : i1 + 1] = envelope(i1 - i0 + 1, ramp, ramp)
    cw = np.cumsum(w)
    yaw = turn * cw / max(cw[-1], 1e-9)
    d = np.array([direction[0], 0.0, direction[1]], dtype=np.float64)
    d = d / max(np.linalg.norm(d), 1e-9)
    vel = (rot_y(yaw) @ d) * (gait.speed * w / FPS)[:, None]
    path = np.cumsum(vel, axis=0) - vel[0]

    def path_at(tt: float) -> tuple[np.ndarray, float]:
        return np.array([np.interp(tt, t, path[:, 0]), np.interp(tt, t, path[:, 2])]), float(np.interp(tt, t, yaw))

    tr = stand(n, label)
    toe = np.repeat(NEUTRAL_TOE[None], n, 0)
    toe[:] = (rot_y(yaw[0]) @ NEUTRAL_TOE.T).T  # start stance (yaw[0] = 0)
    foot_yaw = np.zeros((n, 2))
    pitch = np.zeros((n, 2))
    contact = np.ones((n, 2), bool)
    lateral_dir = 1.0 if d[0] >= 0 else -1.0
    for foot in (0, 1):
        steps = [k for k in range(n_steps) if (first_foot + k) % 2 == foot]
        prev_xz = NEUTRAL_TOE[foot, [0, 2]].copy()
        prev_yaw = 0.0
        prev_land = 0.0
        for k in steps:
            if k >= n_steps - 2:
                xz, fy = path[-1, [0, 2]], float(yaw[-1])
                bias = 0.0
            else:
                xz, fy = path_at(0.5 * (land[k] + lift[k + 2]))
                bias = 0.5 * gait.speed * step_dt * w[int(round(land[k] * FPS))] if side_bias else 0.0
            off = NEUTRAL_TOE[foot].copy()
            if side_bias:
                off[0] += bias * (1.0 if (foot == 0) == (lateral_dir > 0) else -1.0)
            new = (rot_y(np.asarray(fy)) @ off)[[0, 2]] + xz
            a, b = lift[k], land[k]
            # Stance before this lift: planted at prev, heel rising in the last part (toe pivot).
            stance = (t >= prev_land) & (t < a)
            toe[stance, foot, 0], toe[stance, foot, 2] = prev_xz[0], prev_xz[1]
            toe[stance, foot, 1] = 0.0
            foot_yaw[stance, foot] = prev_yaw
            heel_time = min(0.35 * (a - prev_land), 0.22)
            pitch[stance, foot] = gait.heel_lift * min_jerk((t[stance] - (a - heel_time)) / heel_time)
            sw = (t >= a) & (t < b)
            u = (t[sw] - a) / (b - a)
            s = min_jerk((u - SWING_DELAY) / (1.0 - 2.0 * SWING_DELAY))  # lift first, then travel, then set down
            toe[sw, foot, 0] = prev_xz[0] + (new[0] - prev_xz[0]) * s
            toe[sw, foot, 2] = prev_xz[1] + (new[1] - prev_xz[1]) * s
            toe[sw, foot, 1] = gait.clearance * swing_height(u)
            foot_yaw[sw, foot] = prev_yaw + (fy - prev_yaw) * s
            pitch[sw, foot] = gait.heel_lift * (1.0 - min_jerk(u / 0.7))
            contact[sw, foot] = False
            prev_xz, prev_yaw, prev_land = new, fy, b
        rest = t >= prev_land
        toe[rest, foot, 0], toe[rest, foot, 2], toe[rest, foot, 1] = prev_xz[0], prev_xz[1], 0.0
        foot_yaw[rest, foot] = prev_yaw

    tr.toe, tr.foot_yaw, tr.foot_pitch, tr.contact = toe, foot_yaw, pitch, contact
    tr.flight = ~contact.any(axis=1)
    tr.yaw = yaw

    # Pelvis: over the support, dipping after landings, leaning into the motion.
    heading = rot_y(yaw)
    lat_axis = heading[:, :, 0]  # body left in the world
    fwd_axis = heading[:, :, 2]
    rel = toe - np.concatenate([path[:, None, :1], np.zeros((n, 1, 1)), path[:, None, 2:]], axis=2)
    lat = (rel * lat_axis[:, None]).sum(-1)  # (n, 2) lateral offset of each toe
    planted = contact.astype(np.float64)
    support = (lat * planted).sum(1) / np.maximum(planted.sum(1), 1.0)
    support = uniform_filter1d(support, max(3, int(0.25 * period * FPS)), mode="nearest")
    since_land = np.min(np.where(t[:, None] >= land[None], t[:, None] - land[None], np.inf), axis=1)
    dip = np.where(np.isfinite(since_land), 0.5 + 0.5 * np.cos(np.clip(since_land / step_dt, 0, 1) * 2 * np.pi), 0)
    tr.root = path + lat_axis * (gait.sway * support)[:, None]
    tr.root[:, 1] = -(gait.crouch + gait.bob * dip) * w
    tr.tilt = np.zeros((n, 3))
    tr.tilt[:, 0] = gait.lean * w

    # Arms swing against the legs (left hand forward with the right foot), elbows bend when running.
    fwd = (rel * fwd_axis[:, None]).sum(-1)
    sep = uniform_filter1d(fwd[:, 1] - fwd[:, 0], 5, mode="nearest")
    base = NEUTRAL_HAND + gait.arm_lift * (RUN_ARMS - NEUTRAL_HAND) * w[:, None, None]
    swing = np.clip(gait.arm_swing * sep, -0.6, 0.6)[:, None] * np.array([1.0, -1.0])  # (n, 2) radians
    tr.hand = (rot_x(-swing) @ base[..., None])[..., 0]  # pendulum about the shoulder's lateral axis
    tr.spine[:, 2, 1] = -0.15 * np.clip(sep, -0.8, 0.8) * w  # chest counter-rotates the hips a little
    return tr
