"""The retargeting pipeline: human motion (SMPL-22, 30 fps, y up) -> G1 robot motion (29 DoF, 50 fps, z up).

Order: calibrate scale factors on the source skeleton -> robot-frame targets -> human foot contacts -> stance-foot
locking of the targets -> per-frame IK at the SOURCE rate -> smoothing -> joint clamping -> resampling to 50 fps
(slerp root, linear joints: AFTER the IK, which keeps the IK at 30 solves per second of motion) -> per-frame
ground alignment -> metrics.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from generator.motion.errors import InputError
from generator.motion.file import HumanMotion
from generator.motion.skeleton import REST_POSE
from retarget import contacts as contacts_mod
from retarget import ik, postprocess
from retarget.metrics import ClipMetrics, clip_metrics
from retarget.robot_motion import FPS, RobotMotion
from retarget.scaling import Calibration, build_targets, calibrate, estimate_rest_pose

MAX_JOINT_ERROR_MM = 150.0  # a clip whose matched joints miss by more than this on average is flagged

FRAME_LABELS = "frame_labels"  # robot-motion extra: (T,) str action label per frame, when the human had them


@dataclass(frozen=True)
class RetargetConfig:
    """Everything that shapes a retarget; presets in PRESETS."""

    ik: ik.IKConfig = ik.OURS
    contacts: contacts_mod.ContactConfig = contacts_mod.ContactConfig()
    calibrate_from: str = "clip"  # "clip": the source skeleton estimated from the clip; "smpl": neutral SMPL
    lock_feet: bool = True
    smooth_sigma: float = 0.8  # frames at the source rate (0 = off)
    clamp_margin: float = 0.01  # rad kept from every joint limit in the output
    ground: bool = True
    fps: float = FPS


OURS = RetargetConfig()
# GMR-style baseline: the same targets, GMR's two-stage IK schedule and weights, no post-processing at all
# (resampled to 50 fps only so that both are measured at the same rate).
GMR_STYLE = RetargetConfig(ik=ik.GMR, lock_feet=False, smooth_sigma=0.0, clamp_margin=-1.0, ground=False)
PRESETS: dict[str, RetargetConfig] = {"ours": OURS, "gmr": GMR_STYLE}


@dataclass
class RetargetResult:
    """A retargeted clip with its quality metrics and what was flagged about it."""

    motion: RobotMotion
    metrics: ClipMetrics
    calibration: Calibration
    flags: list[str] = field(default_factory=list)
    ik_iterations: int = 0


def check_human(motion: HumanMotion) -> None:
    """Raise InputError for a human motion the retargeter cannot use (beyond the file contract's checks)."""
    motion.validate()
    j = motion.joints
    span = np.linalg.norm(j - j[:, :1], axis=-1).max()
    if span > 3.0:
        raise InputError(f"joints lie up to {span:.1f} m from the pelvis: not a human skeleton in metres")
    if span < 0.2:
        raise InputError("all joints collapse onto the pelvis: not a human skeleton")


def retarget_motion(
    motion: HumanMotion, cfg: RetargetConfig = OURS, progress=None, rest_pose: np.ndarray | None = None
) -> RetargetResult:
    """Retarget one human motion to the G1; bad input raises InputError, doubtful results come back flagged.

    `rest_pose` (22, 3, SMPL frame) is a user skeleton to calibrate on; by default `cfg.calibrate_from` decides.
    `progress` is an optional tqdm-like bar updated once per IK frame.
    """
    check_human(motion)
    src_fps = float(motion.fps)
    joints = np.asarray(motion.joints, dtype=np.float64)
    rotations = np.asarray(motion.rotations, dtype=np.float64)
    if rest_pose is not None:
        rest = np.asarray(rest_pose, dtype=np.float64)
    elif cfg.calibrate_from == "clip":
        rest = estimate_rest_pose(joints, rotations)
    else:
        rest = REST_POSE
    try:
        calib = calibrate(rest)
    except ValueError as e:
        raise InputError(f"cannot calibrate the source skeleton: {e}") from None
    factors = {k: v for k, v in calib.as_dict().items() if k in ("legs", "arms", "torso", "shoulder_width")}
    flags = []
    if not all(0.3 < v < 3.0 for v in factors.values()):
        flags.append(f"unusual skeleton: scale factors {factors}")
    targets = build_targets(joints, rotations, calib)
    human_contacts = contacts_mod.detect_contacts(targets.human_joints, src_fps, calib.ankle_height, cfg.contacts)
    if not human_contacts.any():
        flags.append("airborne: no foot contact in any frame (ground alignment uses the lowest foot point)")
    solve_targets = contacts_mod.lock_feet(targets, human_contacts, cfg.contacts) if cfg.lock_feet else targets

    qpos, stats = ik.solve_clip(solve_targets, cfg.ik, src_fps, progress=progress)
    qpos = postprocess.smooth(qpos, cfg.smooth_sigma)
    if cfg.clamp_margin >= 0:
        qpos = postprocess.clamp_joints(qpos, cfg.clamp_margin)
    qpos = postprocess.resample(qpos, src_fps, cfg.fps)
    out_contacts = postprocess.resample_labels(human_contacts, src_fps, cfg.fps)
    if cfg.ground:
        qpos, _ = postprocess.ground(qpos, out_contacts)  # moves the root only: joints stay clamped

    scaled = {k: postprocess.resample_points(v, src_fps, cfg.fps) for k, v in targets.positions.items()}
    metrics = clip_metrics(qpos, out_contacts, scaled)
    if metrics.joint_error_mm > MAX_JOINT_ERROR_MM:
        flags.append(f"poor fit: mean matched-joint error {metrics.joint_error_mm:.0f} mm")
    robot_motion = RobotMotion.from_qpos(qpos, fps=cfg.fps, source_text=motion.text, foot_contacts=out_contacts)
    if flags:
        robot_motion.extras["retarget_flags"] = np.asarray(flags, dtype=str)
    if motion.frame_labels is not None:  # the human's per-frame action labels, at the robot's rate
        labels = postprocess.resample_labels(np.asarray(motion.frame_labels, dtype=str), src_fps, cfg.fps)
        robot_motion.extras[FRAME_LABELS] = labels[: robot_motion.num_frames]
    return RetargetResult(robot_motion, metrics, calib, flags, stats["iterations"])
