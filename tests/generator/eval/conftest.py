"""A tiny captioned motion set in the HumanML3D-272 layout for the evaluation tests: six kinematic action classes
(forward kinematics of the SMPL-22 rest skeleton, encoded to 272-D), each with its own captions and frame labels."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from generator.motion.file import HumanMotion
from generator.motion.kinematics import forward_kinematics
from generator.motion.skeleton import REST_POSE

CLASSES = {
    "walk": ("a person walks forward", "someone walks straight ahead"),
    "wave": ("a person waves the right hand", "someone waves with the right arm"),
    "raise": ("a person raises both arms", "someone lifts both arms up"),
    "squat": ("a person squats down", "someone crouches down and stands up"),
    "turn": ("a person turns around in place", "someone spins around"),
    "jump": ("a person jumps up and down", "someone hops in place"),
}
LABELS = tuple(CLASSES)
PELVIS_HEIGHT = float(-REST_POSE[:, 1].min())


def _rot(axis: str, angle: np.ndarray) -> np.ndarray:
    return Rotation.from_euler(axis, np.asarray(angle, np.float64)[:, None]).as_matrix()


def action_pose(label: str, t: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Local rotations (T, 22, 3, 3) and pelvis trajectory (T, 3) of one action over time stamps t (seconds)."""
    n = len(t)
    rots = np.tile(np.eye(3), (n, 22, 1, 1))
    root = np.zeros((n, 3))
    root[:, 1] = PELVIS_HEIGHT
    f = rng.uniform(0.8, 1.4)
    a = rng.uniform(0.7, 1.0)
    s = np.sin(2 * np.pi * f * t)
    if label == "walk":
        root[:, 2] = rng.uniform(1.0, 1.5) * t
        rots[:, 1], rots[:, 2] = _rot("x", 0.5 * a * s), _rot("x", -0.5 * a * s)
        rots[:, 4], rots[:, 5] = _rot("x", 0.4 * a * np.maximum(s, 0)), _rot("x", 0.4 * a * np.maximum(-s, 0))
    elif label == "wave":
        rots[:, 17] = _rot("z", np.full(n, -1.2 * a))
        rots[:, 19] = _rot("y", 0.6 * a * s)
    elif label == "raise":
        lift = 1.3 * a * (1 - np.cos(np.pi * f * t)) / 2
        rots[:, 16], rots[:, 17] = _rot("z", lift), _rot("z", -lift)
    elif label == "squat":
        bend = 0.9 * a * (1 - np.cos(2 * np.pi * f * t)) / 2
        rots[:, 1], rots[:, 2] = _rot("x", -bend), _rot("x", -bend)
        rots[:, 4], rots[:, 5] = _rot("x", 2 * bend), _rot("x", 2 * bend)
        root[:, 1] -= 0.35 * bend
    elif label == "turn":
        rots[:, 0] = _rot("y", rng.choice([-1, 1]) * 2.5 * a * t)
    elif label == "jump":
        root[:, 1] += 0.25 * a * np.abs(s)
    return rots, root


def make_motion(labels: list[str], frames_each: int, rng: np.random.Generator) -> HumanMotion:
    """A clip performing `labels` one after another (frames_each frames each), with per-frame labels."""
    rots, roots, frame_labels = [], [], []
    offset = np.zeros(3)
    for lab in labels:
        r, p = action_pose(lab, np.arange(frames_each) / 30.0, rng)
        p[:, [0, 2]] += offset[[0, 2]]
        offset = p[-1].copy()
        rots.append(r)
        roots.append(p)
        frame_labels += [lab] * frames_each
    rots_all, root_all = np.concatenate(rots), np.concatenate(roots)
    joints = forward_kinematics(rots_all, root_all)
    text = " then ".join(CLASSES[lab][0].removeprefix("a person ") for lab in labels)
    return HumanMotion.from_joints_rotations(joints, rots_all, text=f"a person {text}", frame_labels=frame_labels)


def write_dataset(root: Path, per_class: dict[str, int], seed: int = 0, composite: int = 0) -> Path:
    """Write a HumanML3D-272 directory: per split the number of clips of each class (plus composite clips)."""
    rng = np.random.default_rng(seed)
    for sub in ("motion_data", "texts", "split", "frame_labels"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    for split, count in per_class.items():
        ids = []
        for k in range(count):
            for lab in LABELS:
                cid = f"{split}_{lab}_{k:03d}"
                m = make_motion([lab], int(rng.integers(60, 150)), rng)
                _write_clip(root, cid, m, list(CLASSES[lab]))
                ids.append(cid)
        for k in range(composite):
            a, b = rng.choice(len(LABELS), 2, replace=False)
            m = make_motion([LABELS[a], LABELS[b]], 60, rng)
            cid = f"{split}_comp_{k:03d}"
            _write_clip(root, cid, m, [m.text])
            ids.append(cid)
        (root / "split" / f"{split}.txt").write_text("\n".join(ids) + "\n")
    return root


def _write_clip(root: Path, cid: str, motion: HumanMotion, captions: list[str]) -> None:
    np.save(root / "motion_data" / f"{cid}.npy", motion.features.astype(np.float32))
    (root / "texts" / f"{cid}.txt").write_text("".join(f"{c}#{c}#0.0#0.0\n" for c in captions))
    labels = [str(x) for x in motion.frame_labels]
    (root / "frame_labels" / f"{cid}.json").write_text(json.dumps({"fps": 30, "num_frames": len(labels),
                                                                     "frame_labels": labels}))  # fmt: skip


@pytest.fixture(scope="session")
def synthetic_motion():
    """make_motion: a labelled synthetic motion, one action after another."""
    return make_motion


@pytest.fixture(scope="session")
def synthetic_dataset():
    """write_dataset: a small captioned dataset of synthetic actions in the generator.data layout."""
    return write_dataset
