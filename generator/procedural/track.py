"""The intermediate motion description: per-frame targets (root, feet, hands) and local spine/head rotations.

Primitives write Tracks; composition moves, concatenates and layers them; `pose.solve` turns one into joint
rotations and positions by IK. Every primitive starts and ends in the neutral stance (NEUTRAL_*), which makes
concatenation continuous by construction.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from generator.motion.skeleton import REST_POSE
from generator.procedural.ik import normalize, rot_y

FPS = 30
STAND_HEIGHT = 0.912  # pelvis height of the relaxed stance (rest legs are straight at 0.92)
SIDE_SIGN = np.array([1.0, -1.0])  # index 0 = left (+x), 1 = right (-x)
# Toe (joints 10/11) positions relative to the pelvis on the floor in the neutral stance (x, 0, z).
NEUTRAL_TOE = np.array([[REST_POSE[10, 0], 0.0, REST_POSE[10, 2]], [REST_POSE[11, 0], 0.0, REST_POSE[11, 2]]])
# Wrist targets relative to each shoulder joint, in the chest (spine3) frame, and the elbow pole directions.
NEUTRAL_HAND = np.array([[0.07, -0.485, 0.05], [-0.07, -0.485, 0.05]])
NEUTRAL_POLE = normalize(np.array([[0.35, -0.1, -1.0], [-0.35, -0.1, -1.0]]))


@dataclass
class Track:
    """A motion in targets: arrays over T frames at 30 fps (world = the track's own frame, y-up, floor y=0)."""

    root: np.ndarray  # (T, 3) pelvis x, height offset from STAND_HEIGHT, z
    yaw: np.ndarray  # (T,) heading (positive turns left)
    tilt: np.ndarray  # (T, 3) pelvis rotation vector applied after the heading
    spine: np.ndarray  # (T, 3, 3) rotation vectors of spine1, spine2, spine3
    head: np.ndarray  # (T, 2, 3) rotation vectors of neck, head
    collar: np.ndarray  # (T, 2, 3) rotation vectors of the left/right collar
    hand: np.ndarray  # (T, 2, 3) wrist target relative to the shoulder, chest frame
    pole: np.ndarray  # (T, 2, 3) elbow pole direction, chest frame
    wrist: np.ndarray  # (T, 2, 3) wrist rotation vectors
    toe: np.ndarray  # (T, 2, 3) toe joint targets in the world (y = height)
    foot_yaw: np.ndarray  # (T, 2) foot heading
    foot_pitch: np.ndarray  # (T, 2) heel lift about the foot's lateral axis (positive: heel up, toe pivot)
    contact: np.ndarray  # (T, 2) bool, foot planted
    flight: np.ndarray  # (T,) bool, ballistic phase (no support)
    labels: np.ndarray  # (T,) action label per frame

    @property
    def n(self) -> int:
        return int(self.root.shape[0])

    def copy(self) -> Track:
        return Track(**{f.name: getattr(self, f.name).copy() for f in fields(self)})

    def slice(self, start: int, stop: int) -> Track:
        return Track(**{f.name: getattr(self, f.name)[start:stop].copy() for f in fields(self)})

    def end_pose(self) -> tuple[np.ndarray, float]:
        """(x, z) position and heading of the last frame: where the next primitive starts."""
        return self.root[-1, [0, 2]].copy(), float(self.yaw[-1])

    def moved(self, xz: np.ndarray, yaw: float) -> Track:
        """This track rotated by `yaw` about the origin, then translated by (x, z)."""
        out = self.copy()
        r = rot_y(np.asarray(yaw))
        for name in ("root", "toe"):
            arr = getattr(out, name)
            rotated = arr @ r.T
            rotated[..., 0] += xz[0]
            rotated[..., 2] += xz[1]
            rotated[..., 1] = arr[..., 1]
            setattr(out, name, rotated)
        out.yaw = out.yaw + yaw
        out.foot_yaw = out.foot_yaw + yaw
        return out


def stand(n: int, label: str = "stand") -> Track:
    """n frames of the neutral stance at the origin facing +z."""
    z3 = np.zeros((n, 3))
    return Track(
        root=z3.copy(), yaw=np.zeros(n), tilt=z3.copy(), spine=np.zeros((n, 3, 3)), head=np.zeros((n, 2, 3)),
        collar=np.zeros((n, 2, 3)), hand=np.repeat(NEUTRAL_HAND[None], n, 0),
        pole=np.repeat(NEUTRAL_POLE[None], n, 0), wrist=np.zeros((n, 2, 3)),
        toe=np.repeat(NEUTRAL_TOE[None], n, 0), foot_yaw=np.zeros((n, 2)), foot_pitch=np.zeros((n, 2)),
        contact=np.ones((n, 2), bool), flight=np.zeros(n, bool), labels=np.full(n, label, dtype=object),
    )  # fmt: skip


def concat(tracks: list[Track]) -> Track:
    """Play tracks one after another: each starts where (and facing where) the previous one ended.

    The first frame of each following track repeats the previous last frame (both are the neutral stance at the
    same place), so it is dropped.
    """
    out = [tracks[0]]
    for tr in tracks[1:]:
        xz, yaw = out[-1].end_pose()
        out.append(tr.moved(xz, yaw).slice(1, tr.n))
    return Track(**{f.name: np.concatenate([getattr(t, f.name) for t in out]) for f in fields(Track)})


def min_jerk(u: np.ndarray) -> np.ndarray:
    """Minimum-jerk ease 0 -> 1 on u in [0, 1] (zero velocity and acceleration at both ends)."""
    u = np.clip(u, 0.0, 1.0)
    return u * u * u * (10.0 - 15.0 * u + 6.0 * u * u)


def envelope(n: int, ramp_in: int, ramp_out: int) -> np.ndarray:
    """(n,) weight rising 0 -> 1 over ramp_in frames, holding, and falling back to 0 over the last ramp_out."""
    i = np.arange(n, dtype=np.float64)
    up = min_jerk(i / max(ramp_in, 1))
    down = min_jerk((n - 1 - i) / max(ramp_out, 1))
    return np.minimum(up, down)


def frames(seconds: float) -> int:
    return max(1, int(round(seconds * FPS)))


def keyframes(times: list[float], values: np.ndarray, n: int) -> np.ndarray:
    """Min-jerk interpolation between values (K, ...) held at frame times (K,), sampled at frames 0..n-1."""
    values = np.asarray(values, dtype=np.float64)
    t = np.arange(n, dtype=np.float64)
    times = np.asarray(times, dtype=np.float64)
    idx = np.clip(np.searchsorted(times, t, side="right") - 1, 0, len(times) - 2)
    span = np.maximum(times[idx + 1] - times[idx], 1e-9)
    w = min_jerk((t - times[idx]) / span)
    w = w.reshape((n,) + (1,) * (values.ndim - 1))
    return values[idx] * (1.0 - w) + values[idx + 1] * w


def arc_blend(a: np.ndarray, b: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Blend vectors a -> b (..., 3) with weights w (...) along an arc: slerp the direction, lerp the length."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)[..., None]
    la = np.linalg.norm(a, axis=-1, keepdims=True)
    lb = np.linalg.norm(b, axis=-1, keepdims=True)
    ua, ub = a / la, b / lb
    cos = np.clip((ua * ub).sum(-1, keepdims=True), -1.0, 1.0)
    ang = np.arccos(cos)
    sin = np.sin(ang)
    small = sin < 1e-6
    safe = np.where(small, 1.0, sin)
    ca = np.where(small, 1.0 - w, np.sin((1.0 - w) * ang) / safe)
    cb = np.where(small, w, np.sin(w * ang) / safe)
    direction = normalize(ca * ua + cb * ub)
    return direction * (la * (1.0 - w) + lb * w)
