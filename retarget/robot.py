"""The Unitree G1 (29 DoF) description: mjlab's bundled MJCF, joint/body names, limits, default pose, kinematics."""

from __future__ import annotations

import copy
import functools
import importlib.util
from pathlib import Path

import mujoco
import numpy as np


def _mjlab_root() -> Path:
    # Locate mjlab without importing it (its import pulls in warp and takes seconds).
    spec = importlib.util.find_spec("mjlab")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("mjlab is not installed; it bundles the G1 model this project uses")
    return Path(list(spec.submodule_search_locations)[0])


G1_XML: Path = _mjlab_root() / "asset_zoo" / "robots" / "unitree_g1" / "xmls" / "g1.xml"

JOINT_NAMES: tuple[str, ...] = (
    "left_hip_pitch_joint", "left_hip_roll_joint", "left_hip_yaw_joint", "left_knee_joint",
    "left_ankle_pitch_joint", "left_ankle_roll_joint",
    "right_hip_pitch_joint", "right_hip_roll_joint", "right_hip_yaw_joint", "right_knee_joint",
    "right_ankle_pitch_joint", "right_ankle_roll_joint",
    "waist_yaw_joint", "waist_roll_joint", "waist_pitch_joint",
    "left_shoulder_pitch_joint", "left_shoulder_roll_joint", "left_shoulder_yaw_joint", "left_elbow_joint",
    "left_wrist_roll_joint", "left_wrist_pitch_joint", "left_wrist_yaw_joint",
    "right_shoulder_pitch_joint", "right_shoulder_roll_joint", "right_shoulder_yaw_joint", "right_elbow_joint",
    "right_wrist_roll_joint", "right_wrist_pitch_joint", "right_wrist_yaw_joint",
)  # fmt: skip

# MuJoCo depth-first order without the world body == mjlab Entity.body_names (spec.bodies[1:]) for the G1.
BODY_NAMES: tuple[str, ...] = (
    "pelvis",
    "left_hip_pitch_link", "left_hip_roll_link", "left_hip_yaw_link", "left_knee_link",
    "left_ankle_pitch_link", "left_ankle_roll_link",
    "right_hip_pitch_link", "right_hip_roll_link", "right_hip_yaw_link", "right_knee_link",
    "right_ankle_pitch_link", "right_ankle_roll_link",
    "waist_yaw_link", "waist_roll_link", "torso_link",
    "left_shoulder_pitch_link", "left_shoulder_roll_link", "left_shoulder_yaw_link", "left_elbow_link",
    "left_wrist_roll_link", "left_wrist_pitch_link", "left_wrist_yaw_link",
    "right_shoulder_pitch_link", "right_shoulder_roll_link", "right_shoulder_yaw_link", "right_elbow_link",
    "right_wrist_roll_link", "right_wrist_pitch_link", "right_wrist_yaw_link",
)  # fmt: skip

NUM_JOINTS = len(JOINT_NAMES)  # 29
NUM_BODIES = len(BODY_NAMES)  # 30
NQ = 7 + NUM_JOINTS  # 36: root xyz, root quat wxyz, joints
JOINT_INDEX = {name: i for i, name in enumerate(JOINT_NAMES)}
BODY_INDEX = {name: i for i, name in enumerate(BODY_NAMES)}

# Foot collision capsules (7 per foot) and the sole/toe geometry in the ankle_roll_link frame (from g1.xml).
FOOT_BODIES: tuple[str, str] = ("left_ankle_roll_link", "right_ankle_roll_link")
FOOT_GEOMS: tuple[tuple[str, ...], tuple[str, ...]] = (
    tuple(f"left_foot{i}_collision" for i in range(1, 8)),
    tuple(f"right_foot{i}_collision" for i in range(1, 8)),
)
SOLE_HEIGHT = 0.035  # ankle_roll origin above the sole (capsule axis at z=-0.025, radius 0.01)
TOE_OFFSET = np.array([0.10, 0.0, -0.02])  # the "toe" point matched to SMPL's foot joint, in the ankle_roll frame

# mjlab's G1 default pose (KNEES_BENT_KEYFRAME in mjlab/asset_zoo/robots/unitree_g1/g1_constants.py).
_DEFAULT_ROOT_HEIGHT = 0.76
_DEFAULT_JOINTS = {
    "left_hip_pitch_joint": -0.312, "right_hip_pitch_joint": -0.312,
    "left_knee_joint": 0.669, "right_knee_joint": 0.669,
    "left_ankle_pitch_joint": -0.363, "right_ankle_pitch_joint": -0.363,
    "left_elbow_joint": 0.6, "right_elbow_joint": 0.6,
    "left_shoulder_roll_joint": 0.2, "right_shoulder_roll_joint": -0.2,
    "left_shoulder_pitch_joint": 0.2, "right_shoulder_pitch_joint": 0.2,
}  # fmt: skip


@functools.lru_cache(maxsize=2)
def _compiled(floor: bool) -> mujoco.MjModel:
    spec = mujoco.MjSpec.from_file(str(G1_XML))
    if floor:
        spec.add_texture(
            name="sky", type=mujoco.mjtTexture.mjTEXTURE_SKYBOX, builtin=mujoco.mjtBuiltin.mjBUILTIN_GRADIENT,
            rgb1=[0.75, 0.82, 0.9], rgb2=[0.95, 0.96, 0.98], width=64, height=64,
        )  # fmt: skip
        spec.add_texture(
            name="grid", type=mujoco.mjtTexture.mjTEXTURE_2D, builtin=mujoco.mjtBuiltin.mjBUILTIN_CHECKER,
            rgb1=[0.82, 0.84, 0.86], rgb2=[0.7, 0.72, 0.75], width=256, height=256,
        )  # fmt: skip
        material = spec.add_material(name="grid", texrepeat=[4, 4], texuniform=True)
        material.textures[mujoco.mjtTextureRole.mjTEXROLE_RGB] = "grid"
        spec.worldbody.add_geom(name="floor", type=mujoco.mjtGeom.mjGEOM_PLANE, size=[0, 0, 0.05], material="grid")
        spec.worldbody.add_light(pos=[0, 0, 4.0], dir=[0, 0, -1.0], type=mujoco.mjtLightType.mjLIGHT_DIRECTIONAL)
        spec.visual.headlight.ambient = [0.35, 0.35, 0.35]
        spec.visual.headlight.diffuse = [0.55, 0.55, 0.55]
    spec.visual.global_.offwidth = max(spec.visual.global_.offwidth, 1280)
    spec.visual.global_.offheight = max(spec.visual.global_.offheight, 960)
    model = spec.compile()
    names = tuple(model.joint(i).name for i in range(1, model.njnt))
    bodies = tuple(model.body(i).name for i in range(1, model.nbody))
    if names != JOINT_NAMES or bodies != BODY_NAMES or model.nq != NQ:
        raise RuntimeError(f"{G1_XML} does not match the G1 description this code expects (mjlab version changed?)")
    return model


def load_model(floor: bool = False) -> mujoco.MjModel:
    """A fresh kinematic G1 model (no actuators) from mjlab's MJCF; `floor` adds a ground plane at z = 0 and a light."""
    return copy.deepcopy(_compiled(bool(floor)))


def shared_model(floor: bool = False) -> mujoco.MjModel:
    """The cached G1 model (read-only use: never modify it; `load_model` gives a private copy)."""
    return _compiled(bool(floor))


def joint_limits() -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper position limits (29,) of the hinge joints in radians, MuJoCo joint order."""
    rng = _compiled(False).jnt_range[1:]
    return rng[:, 0].copy(), rng[:, 1].copy()


def default_qpos() -> np.ndarray:
    """mjlab's G1 default pose (knees bent) as qpos (36,): root xyz, root quat wxyz, 29 joints."""
    q = np.zeros(NQ)
    q[2] = _DEFAULT_ROOT_HEIGHT
    q[3] = 1.0
    for name, value in _DEFAULT_JOINTS.items():
        q[7 + JOINT_INDEX[name]] = value
    return q


def forward_kinematics(qpos: np.ndarray, model: mujoco.MjModel | None = None) -> tuple[np.ndarray, np.ndarray]:
    """World body positions (T, 30, 3) and orientations (T, 30, 4, wxyz) of qpos (T, 36) (or (36,)), by MuJoCo."""
    qpos = np.asarray(qpos, dtype=np.float64)
    single = qpos.ndim == 1
    qpos = np.atleast_2d(qpos)
    if qpos.shape[-1] != NQ:
        raise ValueError(f"qpos has shape {qpos.shape}, expected (T, {NQ})")
    model = _compiled(False) if model is None else model
    data = mujoco.MjData(model)
    pos = np.empty((qpos.shape[0], NUM_BODIES, 3))
    quat = np.empty((qpos.shape[0], NUM_BODIES, 4))
    for t, q in enumerate(qpos):
        data.qpos[:] = q
        mujoco.mj_kinematics(model, data)
        pos[t] = data.xpos[1:]
        quat[t] = data.xquat[1:]
    return (pos[0], quat[0]) if single else (pos, quat)


def _mirror_tables() -> tuple[np.ndarray, np.ndarray]:
    perm = np.array([JOINT_INDEX[n.replace("left_", "@").replace("right_", "left_").replace("@", "right_")]
                     for n in JOINT_NAMES])  # fmt: skip
    sign = np.array([-1.0 if ("roll" in n or "yaw" in n) else 1.0 for n in JOINT_NAMES])
    return perm, sign


MIRROR_JOINT_PERM, MIRROR_JOINT_SIGN = _mirror_tables()


def mirror_qpos(qpos: np.ndarray) -> np.ndarray:
    """Left/right mirror image of qpos (..., 36) in the x-z plane: y -> -y, paired joints swapped, roll/yaw negated."""
    q = np.array(qpos, dtype=np.float64)
    out = q.copy()
    out[..., 1] = -q[..., 1]
    out[..., 3:7] = q[..., 3:7] * np.array([1.0, -1.0, 1.0, -1.0])  # wxyz: reflect y -> keep w, y; negate x, z
    out[..., 7:] = q[..., 7:][..., MIRROR_JOINT_PERM] * MIRROR_JOINT_SIGN
    return out


def foot_geom_ids(model: mujoco.MjModel | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Geom ids of the left and right foot collision capsules."""
    model = _compiled(False) if model is None else model
    return tuple(  # type: ignore[return-value]
        np.array([mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_GEOM, n) for n in side]) for side in FOOT_GEOMS
    )


def foot_lowest_points(model: mujoco.MjModel, data: mujoco.MjData) -> np.ndarray:
    """Lowest world z (2,) of the left/right foot collision capsules in the current kinematic state."""
    out = np.empty(2)
    for s, ids in enumerate(foot_geom_ids(model)):
        z = []
        for g in ids:
            half = model.geom_size[g, 1]
            axis = data.geom_xmat[g].reshape(3, 3)[:, 2]
            c = data.geom_xpos[g]
            z.append(c[2] - abs(axis[2]) * half - model.geom_size[g, 0])
        out[s] = min(z)
    return out
