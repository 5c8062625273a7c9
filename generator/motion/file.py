"""The human motion file (`.npz`): the contract between generator and retarget, with validation.

Keys: text (str), fps (30), features (T, 272, un-normalised), joints (T, 22, 3, m, y-up), rotations
(T, 22, 3, 3, parent-relative), root_translation (T, 3, the pelvis joint), optional frame_labels (T, str).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from generator.motion import repr272
from generator.motion.errors import InputError, check_arrays, read_npz, write_npz
from generator.motion.skeleton import NUM_JOINTS

FPS = 30
REQUIRED_KEYS = ("text", "fps", "features", "joints", "rotations", "root_translation")
MAX_ABS_COORD = 1e4  # metres; anything beyond is not a human motion


@dataclass
class HumanMotion:
    """A human motion on the SMPL-22 skeleton at `fps` frames per second."""

    joints: np.ndarray  # (T, 22, 3)
    rotations: np.ndarray  # (T, 22, 3, 3)
    root_translation: np.ndarray  # (T, 3)
    features: np.ndarray  # (T, 272)
    text: str = ""
    fps: float = FPS
    frame_labels: np.ndarray | None = None  # (T,) str
    extras: dict = field(default_factory=dict)

    @property
    def num_frames(self) -> int:
        return int(self.joints.shape[0])

    @property
    def seconds(self) -> float:
        return self.num_frames / float(self.fps)

    @classmethod
    def from_features(cls, features: np.ndarray, text: str = "", frame_labels=None, fps: float = FPS):
        """Build a motion from 272-D features through both inverses (canonical frame)."""
        features = np.asarray(features, dtype=np.float32)
        rots, trans = repr272.decode_rotations(features)
        return cls(
            joints=repr272.decode_joints(features), rotations=rots, root_translation=trans, features=features,
            text=text, fps=fps, frame_labels=None if frame_labels is None else np.asarray(frame_labels, dtype=str),
        )  # fmt: skip

    @classmethod
    def from_joints_rotations(cls, joints, rotations, text: str = "", frame_labels=None, fps: float = FPS):
        """Build a motion from world joints + local rotations; the stored arrays are canonicalised first."""
        joints, rotations = repr272.canonicalize(np.asarray(joints, np.float64), np.asarray(rotations, np.float64))
        return cls(
            joints=joints.astype(np.float32), rotations=rotations.astype(np.float32),
            root_translation=joints[:, 0].astype(np.float32),
            features=repr272.encode(joints, rotations).astype(np.float32), text=text, fps=fps,
            frame_labels=None if frame_labels is None else np.asarray(frame_labels, dtype=str),
        )  # fmt: skip

    def validate(self) -> HumanMotion:
        """Raise InputError naming the first violated rule of the contract."""
        t = self.joints.shape[0] if getattr(self.joints, "ndim", 0) >= 1 else 0
        expect = {
            "joints": (t, NUM_JOINTS, 3), "rotations": (t, NUM_JOINTS, 3, 3), "root_translation": (t, 3),
            "features": (t, repr272.DIM),
        }  # fmt: skip
        check_arrays(self, expect, f"T={t} frames, {NUM_JOINTS} joints")
        if t < 1:
            raise InputError("motion has 0 frames")
        if np.abs(self.joints).max() > MAX_ABS_COORD:
            raise InputError(f"'joints' has coordinates beyond {MAX_ABS_COORD:g} m")
        if not (np.isfinite(self.fps) and 1 <= self.fps <= 1000):
            raise InputError(f"'fps' is {self.fps}, expected a frame rate in [1, 1000]")
        if self.frame_labels is not None and np.shape(self.frame_labels) != (t,):
            raise InputError(f"'frame_labels' has shape {np.shape(self.frame_labels)}, expected ({t},)")
        return self

    def save(self, path: str | Path) -> Path:
        """Validate and write atomically (temporary file, then rename)."""
        self.validate()
        path = Path(path)
        arrays = {
            "text": np.asarray(self.text), "fps": np.asarray(self.fps, dtype=np.float32),
            "features": self.features.astype(np.float32), "joints": self.joints.astype(np.float32),
            "rotations": self.rotations.astype(np.float32),
            "root_translation": self.root_translation.astype(np.float32),
        }  # fmt: skip
        if self.frame_labels is not None:
            arrays["frame_labels"] = np.asarray(self.frame_labels, dtype=str)
        arrays.update({k: np.asarray(v) for k, v in self.extras.items()})
        return write_npz(path, arrays)


def load_motion(path: str | Path) -> HumanMotion:
    """Load and validate a human motion file; every problem raises InputError with one clear line."""
    path = Path(path)
    arrays = read_npz(path, REQUIRED_KEYS, "human motion")
    known = set(REQUIRED_KEYS) | {"frame_labels"}
    try:
        motion = HumanMotion(
            joints=arrays["joints"], rotations=arrays["rotations"], root_translation=arrays["root_translation"],
            features=arrays["features"], text=str(arrays["text"]), fps=float(arrays["fps"]),
            frame_labels=arrays.get("frame_labels"), extras={k: v for k, v in arrays.items() if k not in known},
        )  # fmt: skip
    except (TypeError, ValueError) as e:
        raise InputError(f"{path}: malformed field ({e})") from None
    try:
        return motion.validate()
    except InputError as e:
        raise InputError(f"{path}: {e}") from None
