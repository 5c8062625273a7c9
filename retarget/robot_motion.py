"""The robot motion file (`.npz`): mjlab's tracking motion format for the G1, plus our extras, with validation.

Keys (mjlab): fps, joint_pos, joint_vel (T, 29), body_pos_w, body_quat_w (wxyz), body_lin_vel_w, body_ang_vel_w
(T, 30, .), bodies in MuJoCo depth-first order. Extras: joint_names, body_names, source_text, foot_contacts (T, 2).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.spatial.transform import Rotation

from generator.motion.errors import InputError, check_arrays, read_npz, write_npz
from retarget import robot

FPS = 50.0
MJLAB_KEYS = ("fps", "joint_pos", "joint_vel", "body_pos_w", "body_quat_w", "body_lin_vel_w", "body_ang_vel_w")
MAX_ABS_COORD = 1e4


def _wxyz_to_xyzw(q: np.ndarray) -> np.ndarray:
    return np.concatenate([q[..., 1:], q[..., :1]], axis=-1)


def angular_velocity(quat_wxyz: np.ndarray, dt: float) -> np.ndarray:
    """World-frame angular velocity (T, ..., 3) of orientations (T, ..., 4 wxyz) by central quaternion differences."""
    q = np.asarray(quat_wxyz, dtype=np.float64)
    t = q.shape[0]
    if t < 2:
        return np.zeros(q.shape[:-1] + (3,))
    r = Rotation.from_quat(_wxyz_to_xyzw(q).reshape(-1, 4)).as_matrix().reshape(q.shape[:-1] + (3, 3))
    nxt = np.concatenate([r[1:], r[-1:]], axis=0)
    prv = np.concatenate([r[:1], r[:-1]], axis=0)
    span = np.full(t, 2.0 * dt)
    span[0] = span[-1] = dt
    rel = nxt @ np.swapaxes(prv, -1, -2)  # world-frame rotation from prev to next
    rotvec = Rotation.from_matrix(rel.reshape(-1, 3, 3)).as_rotvec().reshape(q.shape[:-1] + (3,))
    return rotvec / span.reshape((t,) + (1,) * (rotvec.ndim - 1))


def continuous_quaternions(quat_wxyz: np.ndarray) -> np.ndarray:
    """Flip signs of quaternions (T, ..., 4) so each stays in the hemisphere of its predecessor (w >= 0 at t = 0)."""
    q = np.array(quat_wxyz, dtype=np.float64)
    q[0] *= np.where(q[0, ..., :1] < 0, -1.0, 1.0)
    if len(q) > 1:
        flips = np.sum(q[1:] * q[:-1], axis=-1) < 0  # sign change relative to the unflipped predecessor
        sign = np.cumprod(np.where(flips, -1.0, 1.0), axis=0)
        q[1:] *= sign[..., None]
    return q


def kinematic_foot_contacts(body_pos_w: np.ndarray, fps: float, height: float = 0.06, speed: float = 0.3) -> np.ndarray:
    """Foot contact labels (T, 2) from the ankle_roll bodies: sole near the ground and slow in xy."""
    feet = body_pos_w[:, [robot.BODY_INDEX[b] for b in robot.FOOT_BODIES]]
    sole = feet[..., 2] - robot.SOLE_HEIGHT
    vel = np.gradient(feet[..., :2], axis=0) * fps if len(feet) > 1 else np.zeros_like(feet[..., :2])
    return (sole < height) & (np.linalg.norm(vel, axis=-1) < speed)


@dataclass
class RobotMotion:
    """A G1 motion at `fps` in mjlab's tracking format (world frame, z up, quaternions wxyz)."""

    fps: float
    joint_pos: np.ndarray  # (T, 29)
    joint_vel: np.ndarray  # (T, 29)
    body_pos_w: np.ndarray  # (T, B, 3)
    body_quat_w: np.ndarray  # (T, B, 4) wxyz
    body_lin_vel_w: np.ndarray  # (T, B, 3)
    body_ang_vel_w: np.ndarray  # (T, B, 3)
    joint_names: tuple[str, ...] = robot.JOINT_NAMES
    body_names: tuple[str, ...] = robot.BODY_NAMES
    source_text: str = ""
    foot_contacts: np.ndarray | None = None  # (T, 2) bool [left, right]
    extras: dict = field(default_factory=dict)

    @property
    def num_frames(self) -> int:
        return int(self.joint_pos.shape[0])

    @property
    def qpos(self) -> np.ndarray:
        """MuJoCo qpos (T, 36): root (pelvis) position, root quaternion wxyz, 29 joint positions."""
        return np.concatenate([self.body_pos_w[:, 0], self.body_quat_w[:, 0], self.joint_pos], axis=-1)

    @classmethod
    def from_qpos(
        cls, qpos: np.ndarray, fps: float = FPS, source_text: str = "", foot_contacts: np.ndarray | None = None
    ) -> RobotMotion:
        """Bodies by MuJoCo kinematics, velocities by finite differences (angular from quaternions), world frame."""
        qpos = np.asarray(qpos, dtype=np.float64)
        if qpos.ndim != 2 or qpos.shape[1] != robot.NQ or qpos.shape[0] < 1:
            raise InputError(f"qpos has shape {qpos.shape}, expected (T>=1, {robot.NQ})")
        if not np.isfinite(qpos).all():
            raise InputError("qpos contains NaN or infinite values")
        qpos = qpos.copy()
        qpos[:, 3:7] /= np.linalg.norm(qpos[:, 3:7], axis=-1, keepdims=True)
        pos, quat = robot.forward_kinematics(qpos)
        quat = continuous_quaternions(quat)
        dt = 1.0 / fps
        grad = (lambda x: np.gradient(x, dt, axis=0)) if len(qpos) > 1 else np.zeros_like
        contacts = kinematic_foot_contacts(pos, fps) if foot_contacts is None else np.asarray(foot_contacts, bool)
        return cls(
            fps=float(fps), joint_pos=qpos[:, 7:].astype(np.float32), joint_vel=grad(qpos[:, 7:]).astype(np.float32),
            body_pos_w=pos.astype(np.float32), body_quat_w=quat.astype(np.float32),
            body_lin_vel_w=grad(pos).astype(np.float32), body_ang_vel_w=angular_velocity(quat, dt).astype(np.float32),
            source_text=source_text, foot_contacts=contacts,
        )  # fmt: skip

    def validate(self) -> RobotMotion:
        """Raise InputError naming the first violated rule of the format."""
        jp = self.joint_pos
        t = jp.shape[0] if isinstance(jp, np.ndarray) and jp.ndim >= 1 else 0
        nb = len(self.body_names)
        expect = {
            "joint_pos": (t, robot.NUM_JOINTS), "joint_vel": (t, robot.NUM_JOINTS),
            "body_pos_w": (t, nb, 3), "body_quat_w": (t, nb, 4), "body_lin_vel_w": (t, nb, 3),
            "body_ang_vel_w": (t, nb, 3),
        }  # fmt: skip
        check_arrays(self, expect, f"T={t}, {nb} bodies")
        if t < 1:
            raise InputError("robot motion has 0 frames")
        if tuple(self.joint_names) != robot.JOINT_NAMES:
            unknown = [n for n in self.joint_names if n not in robot.JOINT_INDEX]
            what = f"unknown robot joint(s) {unknown[:3]}" if unknown else "joints not in MuJoCo order"
            raise InputError(f"'joint_names': {what}; expected the 29 G1 joints {robot.JOINT_NAMES[:2]}...")
        if tuple(self.body_names) != robot.BODY_NAMES:
            raise InputError(f"'body_names' do not match the G1's {robot.NUM_BODIES} bodies in depth-first order")
        if np.abs(self.body_pos_w).max() > MAX_ABS_COORD:
            raise InputError(f"'body_pos_w' has coordinates beyond {MAX_ABS_COORD:g} m")
        norms = np.linalg.norm(self.body_quat_w, axis=-1)
        if np.abs(norms - 1.0).max() > 1e-3:
            raise InputError("'body_quat_w' holds non-unit quaternions (expected wxyz unit quaternions)")
        if not (np.isfinite(self.fps) and 1 <= self.fps <= 1000):
            raise InputError(f"'fps' is {self.fps}, expected a frame rate in [1, 1000]")
        if self.foot_contacts is not None and np.shape(self.foot_contacts) != (t, 2):
            raise InputError(f"'foot_contacts' has shape {np.shape(self.foot_contacts)}, expected ({t}, 2)")
        return self

    def save(self, path: str | Path) -> Path:
        """Validate and write atomically; keys are mjlab's tracking format plus our extras."""
        self.validate()
        path = Path(path)
        contacts = self.foot_contacts
        if contacts is None:
            contacts = kinematic_foot_contacts(self.body_pos_w, self.fps)
        arrays = {
            "fps": np.asarray(self.fps, dtype=np.float32),
            "joint_pos": self.joint_pos.astype(np.float32), "joint_vel": self.joint_vel.astype(np.float32),
            "body_pos_w": self.body_pos_w.astype(np.float32), "body_quat_w": self.body_quat_w.astype(np.float32),
            "body_lin_vel_w": self.body_lin_vel_w.astype(np.float32),
            "body_ang_vel_w": self.body_ang_vel_w.astype(np.float32),
            "joint_names": np.asarray(self.joint_names, dtype=str),
            "body_names": np.asarray(self.body_names, dtype=str),
            "source_text": np.asarray(self.source_text, dtype=str), "foot_contacts": np.asarray(contacts, dtype=bool),
        }  # fmt: skip
        arrays.update({k: np.asarray(v) for k, v in self.extras.items()})
        return write_npz(path, arrays, compressed=False)


def load_robot_motion(path: str | Path) -> RobotMotion:
    """Load and validate a robot motion file (ours or mjlab's); every problem raises InputError with one clear line."""
    path = Path(path)
    arrays = read_npz(path, MJLAB_KEYS, "robot motion")
    known = set(MJLAB_KEYS) | {"joint_names", "body_names", "source_text", "foot_contacts"}
    try:
        fps = np.asarray(arrays["fps"]).reshape(-1)
        if fps.size != 1:
            raise InputError(f"{path}: 'fps' must be a single number, got shape {np.shape(arrays['fps'])}")
        motion = RobotMotion(
            fps=float(fps[0]), joint_pos=arrays["joint_pos"], joint_vel=arrays["joint_vel"],
            body_pos_w=arrays["body_pos_w"], body_quat_w=arrays["body_quat_w"],
            body_lin_vel_w=arrays["body_lin_vel_w"], body_ang_vel_w=arrays["body_ang_vel_w"],
            joint_names=tuple(str(n) for n in arrays.get("joint_names", robot.JOINT_NAMES)),
            body_names=tuple(str(n) for n in arrays.get("body_names", robot.BODY_NAMES)),
            source_text=str(arrays.get("source_text", "")),
            foot_contacts=None if "foot_contacts" not in arrays else np.asarray(arrays["foot_contacts"]).astype(bool),
            extras={k: v for k, v in arrays.items() if k not in known},
        )  # fmt: skip
    except InputError:
        raise
    except (TypeError, ValueError) as e:
        raise InputError(f"{path}: malformed field ({e})") from None
    try:
        return motion.validate()
    except InputError as e:
        raise InputError(f"{path}: {e}") from None
