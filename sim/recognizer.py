"""The robot-side action recogniser: which action the G1 performs in each frame, read from its bodies and joints.

It reads a rollout exactly as it reads a reference (robot motion): joint positions and velocities, root height,
heading-frame root velocity and yaw rate, the body's tilt, and the wrists, ankles and torso relative to the pelvis in
the heading frame. The network is the generator's frame classifier (a dilated temporal conv net), fitted here on
retargeted, labelled procedural clips (the labels carried through `retarget`).

    python -m sim.train_recognizer --out sim/checkpoints/action_recognizer --per-primitive 24 --mixed 80 --seed 0
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from generator.eval.action_classifier import ActionClassifier, load_classifier
from retarget import robot

DEFAULT_RECOGNIZER = Path(__file__).resolve().parent / "checkpoints" / "action_recognizer"
KEY_BODIES = ("left_wrist_yaw_link", "right_wrist_yaw_link", "left_ankle_roll_link", "right_ankle_roll_link",
              "torso_link")  # fmt: skip
FEATURE_DIM = 1 + 2 + 1 + 3 + 29 + 29 + 3 * len(KEY_BODIES)


def yaw_of(quat_wxyz: np.ndarray) -> np.ndarray:
    """Heading angle (rad, about z) of wxyz quaternions (..., 4)."""
    w, x, y, z = np.moveaxis(np.asarray(quat_wxyz, np.float64), -1, 0)
    return np.arctan2(2 * (w * z + x * y), 1 - 2 * (y * y + z * z))


def _rotate_z(vec: np.ndarray, angle: np.ndarray) -> np.ndarray:
    """Rotate (T, ..., 2+) vectors' xy by -angle (T,): world -> heading frame."""
    c, s = np.cos(angle), np.sin(angle)
    shape = (-1,) + (1,) * (vec.ndim - 2)
    c, s = c.reshape(shape), s.reshape(shape)
    out = vec.copy()
    out[..., 0] = c * vec[..., 0] + s * vec[..., 1]
    out[..., 1] = -s * vec[..., 0] + c * vec[..., 1]
    return out


def _gravity_in_root(quat_wxyz: np.ndarray) -> np.ndarray:
    """World down (0, 0, -1) in the root frame, (T, 3): the body's tilt."""
    w, x, y, z = np.moveaxis(np.asarray(quat_wxyz, np.float64), -1, 0)
    # third row of R^T for R = rotation(q): R^T @ (0, 0, -1) = -(R[2, :])
    return -np.stack([2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)], axis=-1)


def robot_features(
    joint_pos: np.ndarray, joint_vel: np.ndarray, body_pos_w: np.ndarray, body_quat_w: np.ndarray, fps: float
) -> np.ndarray:
    """(T, FEATURE_DIM) float32 per-frame features of a G1 motion (reference or rollout alike)."""
    pelvis = body_pos_w[:, 0]
    yaw = yaw_of(body_quat_w[:, 0])
    vel = np.gradient(pelvis, 1.0 / fps, axis=0) if len(pelvis) > 1 else np.zeros_like(pelvis)
    yaw_rate = np.gradient(np.unwrap(yaw), 1.0 / fps) if len(yaw) > 1 else np.zeros_like(yaw)
    idx = [robot.BODY_INDEX[b] for b in KEY_BODIES]
    local = _rotate_z(body_pos_w[:, idx] - pelvis[:, None], yaw)
    parts = [
        pelvis[:, 2:3], _rotate_z(vel, yaw)[:, :2], yaw_rate[:, None], _gravity_in_root(body_quat_w[:, 0]),
        joint_pos, 0.1 * joint_vel, local.reshape(len(pelvis), -1),
    ]  # fmt: skip
    return np.concatenate(parts, axis=1).astype(np.float32)


def motion_features(motion) -> np.ndarray:
    """Features of a RobotMotion (a reference)."""
    return robot_features(motion.joint_pos, motion.joint_vel, motion.body_pos_w, motion.body_quat_w, motion.fps)


def rollout_features(rollout) -> np.ndarray:
    """Features of a Rollout (what the robot did), read the same way as a reference."""
    return robot_features(rollout.qpos[:, 7:], rollout.qvel[:, 6:], rollout.body_pos_w, rollout.body_quat_w,
                          rollout.fps)  # fmt: skip


def load_recognizer(path: str | Path = DEFAULT_RECOGNIZER) -> ActionClassifier:
    """The shipped (or a given) recogniser; InputError with one line when missing or unreadable."""
    return load_classifier(Path(path))


@dataclass
class LabelledRobotClip:
    name: str
    features: np.ndarray  # (T, FEATURE_DIM)
    frame_labels: list[str]


def labelled_robot_clips(
    seed: int, per_primitive: int, mixed: int, progress: bool = True, policy: str | Path | None = None
) -> tuple[list[LabelledRobotClip], list[LabelledRobotClip]]:
    """Retargeted procedural clips of the tracker's two groups (and compositions of them) with their frame labels;
    the same seeds as `controller.motion_set`, so EVAL_SEED gives clips no training seed ever produced.

    With a tracking `policy`, also what the G1 does when it tracks each clip closed loop in classic MuJoCo (the
    demo's path), labelled with the reference's frame labels: a rollout sways, shuffles its feet and lags where its
    reference does not, and a recogniser fitted on references alone misreads it. Only rollouts that track (PHC
    success, no fall) are kept, so every label is what the robot did. Returns (references, rollouts)."""
    from tqdm import tqdm

    from controller.motion_groups import procedural_clip, set_jobs
    from generator.data.gallery import clip_to_motion
    from generator.eval.action_classifier import primary_label
    from retarget.pipeline import FRAME_LABELS, retarget_motion

    track = _tracker(policy, seed) if policy is not None else None
    references, rollouts = [], []
    for _, name, k in tqdm(set_jobs(per_primitive, mixed), desc="labelled robot clips", unit="clip",
                           disable=not progress):  # fmt: skip
        motion = retarget_motion(clip_to_motion(procedural_clip(name, k, seed))).motion
        labels = [primary_label(str(x)) for x in motion.extras[FRAME_LABELS]]
        references.append(LabelledRobotClip(f"{name}_{k}", motion_features(motion), labels))
        rollout = track(motion) if track is not None else None
        if rollout is not None:
            n = rollout.num_frames
            rollouts.append(LabelledRobotClip(f"{name}_{k}_rollout", rollout_features(rollout), labels[:n]))
    return references, rollouts


def _tracker(policy_path: str | Path, seed: int):
    """motion -> the policy's closed-loop Rollout of it, or None where the policy falls or loses the motion."""
    from sim.rollout import RolloutConfig, load_checked_policy, run_rollout
    from sim.scene import build_scene
    from sim.scores import score_rollout

    scene = build_scene(check=True)
    policy = load_checked_policy(scene, policy_path)
    config = RolloutConfig(mode="policy", seed=seed, progress=False)

    def track(motion):
        rollout = run_rollout(scene, motion, config, policy=policy)
        scores = score_rollout(scene, rollout, feasibility=False)
        return rollout if scores["tracking"]["success"] and not scores["balance"]["fell"] else None

    return track


def confusion(model: ActionClassifier, clips: list[LabelledRobotClip]) -> tuple[list[str], np.ndarray]:
    """(labels, counts[true, predicted]) over the frames whose true label the model knows."""
    labels = list(model.labels)
    index = {lab: i for i, lab in enumerate(labels)}
    counts = np.zeros((len(labels), len(labels)), dtype=np.int64)
    for c in clips:
        for p, t in zip(model.predict_frames(c.features), c.frame_labels):
            if t in index:
                counts[index[t], index[p]] += 1
    return labels, counts
