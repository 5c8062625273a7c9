"""Human -> robot size calibration and IK targets: per-chain scale factors from rest bone lengths, axis conversion.

The SMPL frame is x left, y up, z forward; the robot frame is x forward, y left, z up:
(x, y, z)_robot = (z, x, y)_SMPL. This module is the only place where that conversion happens.
"""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass

import numpy as np

from generator.motion.kinematics import estimate_offsets, global_rotations
from generator.motion.skeleton import JOINT_INDEX, REST_POSE, rest_pose_from_offsets
from retarget import robot

# SMPL -> robot axes: v_robot = SMPL_TO_ROBOT @ v_smpl; a rotation R_smpl maps to SMPL_TO_ROBOT R SMPL_TO_ROBOT^T.
SMPL_TO_ROBOT = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])

# The robot points matched to SMPL joints (GMR-style correspondence; toes are sites added in retarget.ik).
TOE_SITES = ("left_toe", "right_toe")
POSITION_MAP: dict[str, str] = {
    "pelvis": "pelvis",
    "left_hip": "left_hip_roll_link", "right_hip": "right_hip_roll_link",
    "left_knee": "left_knee_link", "right_knee": "right_knee_link",
    "left_ankle": "left_ankle_roll_link", "right_ankle": "right_ankle_roll_link",
    "left_foot": "left_toe", "right_foot": "right_toe",
    "left_shoulder": "left_shoulder_roll_link", "right_shoulder": "right_shoulder_roll_link",
    "left_elbow": "left_elbow_link", "right_elbow": "right_elbow_link",
    "left_wrist": "left_wrist_yaw_link", "right_wrist": "right_wrist_yaw_link",
}  # fmt: skip


def smpl_to_robot_points(p: np.ndarray) -> np.ndarray:
    """(..., 3) SMPL-frame points -> robot frame."""
    return np.asarray(p) @ SMPL_TO_ROBOT.T


def smpl_to_robot_rotations(r: np.ndarray) -> np.ndarray:
    """(..., 3, 3) SMPL-frame rotations -> robot frame."""
    return SMPL_TO_ROBOT @ np.asarray(r) @ SMPL_TO_ROBOT.T


@functools.lru_cache(maxsize=1)
def robot_rest_points() -> dict[str, np.ndarray]:
    """Robot-frame positions of the matched robot points in the zero pose, standing with soles at z = 0."""
    q = np.zeros(robot.NQ)
    q[3] = 1.0
    pos, _ = robot.forward_kinematics(q)
    pts = {name: pos[robot.BODY_INDEX[name]] for name in robot.BODY_NAMES}
    for side, toe in zip(robot.FOOT_BODIES, TOE_SITES):
        pts[toe] = pts[side] + robot.TOE_OFFSET  # zero pose: ankle_roll frames are aligned with the world
    lift = robot.SOLE_HEIGHT - pts["left_ankle_roll_link"][2]
    return {k: v + np.array([0.0, 0.0, lift]) for k, v in pts.items()}


@dataclass(frozen=True)
class Calibration:
    """Per-chain scale factors mapping one source skeleton onto the G1 (robot length / human length)."""

    legs: float  # hip -> knee -> ankle (also the pelvis translation: strides scale with the legs)
    arms: float  # shoulder -> elbow -> wrist
    torso: float  # mid-hip -> mid-shoulder
    shoulder_width: float  # left shoulder <-> right shoulder
    pelvis_height: float  # the source's pelvis height above its floor (lowest joint) in the rest pose (m)
    foot_pitch: float  # elevation (rad) of the source's ankle -> toe direction in the rest pose
    ankle_height: float  # the source's ankle height above its floor in the rest pose (m)

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def _chain(p: dict[str, np.ndarray], names: list[str]) -> float:
    return float(sum(np.linalg.norm(p[b] - p[a]) for a, b in zip(names[:-1], names[1:])))


def calibrate(rest_pose: np.ndarray = REST_POSE) -> Calibration:
    """Scale factors from a rest pose (22, 3) in the SMPL frame (default: the neutral SMPL skeleton); both sides
    averaged so the result is left/right symmetric."""
    rest = np.asarray(rest_pose, dtype=np.float64)
    if rest.shape != (22, 3) or not np.isfinite(rest).all():
        raise ValueError(f"rest pose has shape {rest.shape} or non-finite values, expected finite (22, 3)")
    h = {n: smpl_to_robot_points(rest[i]) for n, i in JOINT_INDEX.items()}
    r = robot_rest_points()

    def ratio(robot_len: float, human_len: float) -> float:
        if human_len < 1e-4:
            raise ValueError("rest pose has a zero-length limb")
        return robot_len / human_len

    def both(rn: list[str], hn: list[str]) -> float:
        rl = _chain(r, [f"left_{n}" if not n.startswith("left_") else n for n in rn])
        rr = _chain(r, [n.replace("left_", "right_") if n.startswith("left_") else f"right_{n}" for n in rn])
        hl = _chain(h, [f"left_{n}" for n in hn])
        hr = _chain(h, [f"right_{n}" for n in hn])
        return ratio(rl + rr, hl + hr)

    mid = lambda p, a: 0.5 * (p[f"left_{a}"] + p[f"right_{a}"])  # noqa: E731
    legs = both(["hip_roll_link", "knee_link", "ankle_roll_link"], ["hip", "knee", "ankle"])
    arms = both(["shoulder_roll_link", "elbow_link", "wrist_yaw_link"], ["shoulder", "elbow", "wrist"])
    torso = ratio(
        np.linalg.norm(mid(r, "shoulder_roll_link") - mid(r, "hip_roll_link")),
        np.linalg.norm(mid(h, "shoulder") - mid(h, "hip")),
    )
    sh_w = ratio(np.linalg.norm(r["left_shoulder_roll_link"] - r["right_shoulder_roll_link"]),
                 np.linalg.norm(h["left_shoulder"] - h["right_shoulder"]))  # fmt: skip
    pelvis_height = float(rest[JOINT_INDEX["pelvis"], 1] - rest[:, 1].min())
    toe = 0.5 * (h["left_foot"] - h["left_ankle"] + h["right_foot"] - h["right_ankle"])
    foot_pitch = np.arctan2(toe[2], np.linalg.norm(toe[:2]))
    ankle_height = 0.5 * (rest[JOINT_INDEX["left_ankle"], 1] + rest[JOINT_INDEX["right_ankle"], 1]) - rest[:, 1].min()
    return Calibration(*(float(v) for v in (legs, arms, torso, sh_w, pelvis_height, foot_pitch, ankle_height)))


def estimate_rest_pose(joints: np.ndarray, rotations: np.ndarray) -> np.ndarray:
    """The source skeleton's rest pose (22, 3) estimated from a clip (its bone offsets averaged over frames)."""
    return rest_pose_from_offsets(estimate_offsets(joints, rotations))


@dataclass
class Targets:
    """Robot-frame IK targets per frame: positions of the matched points and orientations of key bodies."""

    positions: dict[str, np.ndarray]  # robot point name -> (T, 3)
    orientations: dict[str, np.ndarray]  # robot body name -> (T, 3, 3)
    human_joints: np.ndarray  # (T, 22, 3) human joints in the robot frame, unscaled
    scaled_joints: np.ndarray  # (T, 22, 3) the scaled human joints matched against the robot (mapped ones)

    @property
    def num_frames(self) -> int:
        return int(self.human_joints.shape[0])


def _yaw_pitch_frame(forward: np.ndarray, rest_pitch: float) -> np.ndarray:
    """Rotation (T, 3, 3) with no roll: yaw of `forward` (robot frame), pitch relative to its rest elevation."""
    yaw = np.arctan2(forward[:, 1], forward[:, 0])
    horiz = np.linalg.norm(forward[:, :2], axis=-1)
    pitch = -(np.arctan2(forward[:, 2], horiz) - rest_pitch)
    cy, sy, cp, sp = np.cos(yaw), np.sin(yaw), np.cos(pitch), np.sin(pitch)
    rz = np.zeros((len(yaw), 3, 3))
    rz[:, 0, 0], rz[:, 0, 1], rz[:, 1, 0], rz[:, 1, 1], rz[:, 2, 2] = cy, -sy, sy, cy, 1.0
    ry = np.zeros((len(yaw), 3, 3))
    ry[:, 0, 0], ry[:, 0, 2], ry[:, 2, 0], ry[:, 2, 2], ry[:, 1, 1] = cp, sp, -sp, cp, 1.0
    return rz @ ry


def _separate_feet(out: np.ndarray, pelvis_rot: np.ndarray, min_gap: float) -> None:
    """Push the ankle targets apart sideways (pelvis heading frame) where they come closer than `min_gap`."""
    i = JOINT_INDEX
    left = pelvis_rot[:, :, 1].copy()  # the pelvis' left axis, made horizontal
    left[:, 2] = 0.0
    left /= np.maximum(np.linalg.norm(left, axis=-1, keepdims=True), 1e-9)
    gap = np.einsum("ti,ti->t", out[:, i["left_ankle"]] - out[:, i["right_ankle"]], left)
    push = 0.5 * np.maximum(min_gap - gap, 0.0)[:, None] * left
    out[:, i["left_ankle"]] += push
    out[:, i["right_ankle"]] -= push


def build_targets(joints: np.ndarray, rotations: np.ndarray, calib: Calibration, min_gap: float = 0.18) -> Targets:
    """Scaled robot-frame targets from human joints (T, 22, 3) and local rotations (T, 22, 3, 3) (SMPL frame, y up).

    Every limb is rebuilt from its anchor with its chain's factor (hips from the robot's own pelvis geometry, so the
    legs reach the ground as the robot's do); feet get yaw/pitch-only orientations from the ankle -> toe direction
    and stay at least `min_gap` apart sideways (the G1's shins collide where a human's ankles can still pass).
    """
    j = smpl_to_robot_points(np.asarray(joints, dtype=np.float64))
    g = smpl_to_robot_rotations(global_rotations(np.asarray(rotations, dtype=np.float64)))
    i = JOINT_INDEX
    r = robot_rest_points()
    out = np.zeros_like(j)
    # The pelvis moves by the leg factor; its height is offset so the rest pose stands like the robot's rest pose.
    root = j[:, i["pelvis"]] * calib.legs
    root[:, 2] = (j[:, i["pelvis"], 2] - calib.pelvis_height) * calib.legs + r["pelvis"][2]
    out[:, i["pelvis"]] = root
    sh_mid = 0.5 * (j[:, i["left_shoulder"]] + j[:, i["right_shoulder"]])
    hip_mid = 0.5 * (j[:, i["left_hip"]] + j[:, i["right_hip"]])
    pelvis_rot = g[:, i["pelvis"]]
    for s in ("left", "right"):
        # hips: the robot's own pelvis -> hip offset, turned with the human pelvis
        out[:, i[f"{s}_hip"]] = root + pelvis_rot @ (r[f"{s}_hip_roll_link"] - r["pelvis"])
        for a, b in (("hip", "knee"), ("knee", "ankle")):
            out[:, i[f"{s}_{b}"]] = out[:, i[f"{s}_{a}"]] + calib.legs * (j[:, i[f"{s}_{b}"]] - j[:, i[f"{s}_{a}"]])
    hip_mid_t = 0.5 * (out[:, i["left_hip"]] + out[:, i["right_hip"]])
    sh_mid_t = hip_mid_t + calib.torso * (sh_mid - hip_mid)
    for s in ("left", "right"):
        out[:, i[f"{s}_shoulder"]] = sh_mid_t + calib.shoulder_width * (j[:, i[f"{s}_shoulder"]] - sh_mid)
        for a, b in (("shoulder", "elbow"), ("elbow", "wrist")):
            out[:, i[f"{s}_{b}"]] = out[:, i[f"{s}_{a}"]] + calib.arms * (j[:, i[f"{s}_{b}"]] - j[:, i[f"{s}_{a}"]])
    orientations = {"pelvis": g[:, i["pelvis"]], "torso_link": g[:, i["spine3"]]}
    _separate_feet(out, pelvis_rot, min_gap)
    for s, body in zip(("left", "right"), robot.FOOT_BODIES):
        # feet: yaw and pitch of the human ankle -> toe direction, no roll; the toe point follows the robot foot
        foot = _yaw_pitch_frame(j[:, i[f"{s}_foot"]] - j[:, i[f"{s}_ankle"]], calib.foot_pitch)
        orientations[body] = foot
        out[:, i[f"{s}_foot"]] = out[:, i[f"{s}_ankle"]] + foot @ robot.TOE_OFFSET
    positions = {body: out[:, i[joint]] for joint, body in POSITION_MAP.items()}
    return Targets(positions=positions, orientations=orientations, human_joints=j, scaled_joints=out)
