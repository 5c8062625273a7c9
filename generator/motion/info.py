"""What a motion file holds, in a few numbers: frames, fps, text, label segments, height, distance."""

from __future__ import annotations

import numpy as np

from generator.motion.file import HumanMotion


def label_segments(labels: np.ndarray | None, fps: float) -> list[tuple[float, float, str]]:
    """Run-length segments (start s, end s, label) of per-frame labels."""
    if labels is None or len(labels) == 0:
        return []
    labels = np.asarray(labels)
    cuts = np.flatnonzero(labels[1:] != labels[:-1]) + 1
    starts, ends = np.r_[0, cuts], np.r_[cuts, len(labels)]
    return [(s / fps, e / fps, str(labels[s])) for s, e in zip(starts, ends)]


def motion_summary(motion: HumanMotion) -> dict:
    """Frames, duration, text, label segments, height ranges, ground distance and mean speed of a motion."""
    root = np.asarray(motion.joints[:, 0], dtype=np.float64)
    dist = float(np.linalg.norm(np.diff(root[:, [0, 2]], axis=0), axis=-1).sum())
    return {
        "frames": motion.num_frames, "fps": float(motion.fps), "seconds": motion.seconds, "text": motion.text,
        "segments": label_segments(motion.frame_labels, motion.fps),
        "body_height_range": (float(motion.joints[..., 1].min()), float(motion.joints[..., 1].max())),
        "pelvis_height_range": (float(root[:, 1].min()), float(root[:, 1].max())),
        "distance": dist, "mean_speed": dist / motion.seconds,
    }  # fmt: skip
