"""The G1 + floor scene in classic MuJoCo, compiled by mjlab from the training env's own config (not a hand-kept copy).

mjlab's `Scene` turns the G1 `EntityCfg` (actuators, collisions, keyframe) and the terrain into an `MjSpec`; we compile
that spec on the CPU and apply the same `MujocoCfg` (timestep, solver) the training `Simulation` applies.
"""

from __future__ import annotations

import copy
import functools
import hashlib
from dataclasses import dataclass
from typing import Any

import mujoco
import numpy as np

from retarget import robot

ENTITY = "robot"  # mjlab prefixes every robot element with "robot/" when it attaches the entity to the scene


class SceneMismatchError(RuntimeError):
    """The replay model differs from the model the policy was trained on (gains, armature, limits, solver...)."""


@functools.lru_cache(maxsize=1)
def training_env_cfg() -> Any:
    """The training env config: the controller's universal G1 tracking env (controller.env_cfg.make_env_cfg) when it
    exists, else mjlab's G1 flat tracking config; both build the robot from mjlab's `get_g1_robot_cfg()` with the
    tracking task's sim settings (dt 0.005, decimation 4, Newton with 10 iterations).

    Domain randomisation is left out: it perturbs gains, masses and friction per env around these nominal values.
    """
    try:
        from controller.config import TaskCfg
        from controller.env_cfg import make_env_cfg
    except ImportError:
        from mjlab.tasks.tracking.config.g1.env_cfgs import unitree_g1_flat_tracking_env_cfg

        return unitree_g1_flat_tracking_env_cfg(play=True)
    from retarget.robot_motion import RobotMotion

    standing = RobotMotion.from_qpos(robot.default_qpos()[None].repeat(2, axis=0))
    return make_env_cfg([standing], TaskCfg(domain_randomization=False), num_envs=1, seed=0)


def compile_env_model(env_cfg: Any) -> mujoco.MjModel:
    """Compile an mjlab env config's scene into a classic MjModel exactly as mjlab's `Simulation` does on the GPU."""
    from mjlab.scene import Scene

    model = Scene(env_cfg.scene, device="cpu").compile()
    env_cfg.sim.mujoco.apply(model)
    return model


@functools.lru_cache(maxsize=1)
def _training_model() -> mujoco.MjModel:
    return compile_env_model(training_env_cfg())


def training_model() -> mujoco.MjModel:
    """A fresh copy of the model compiled from the training env config (cached compile, seconds the first time)."""
    return copy.deepcopy(_training_model())


def _name(model: mujoco.MjModel, obj: mujoco.mjtObj, i: int) -> str:
    return mujoco.mj_id2name(model, obj, i) or f"#{i}"


def _actuator_table(model: mujoco.MjModel) -> dict[str, dict[str, np.ndarray]]:
    """Per-actuator physical parameters keyed by the name of the joint it drives."""
    out = {}
    for a in range(model.nu):
        j = int(model.actuator_trnid[a, 0])
        dof = int(model.jnt_dofadr[j])
        out[_name(model, mujoco.mjtObj.mjOBJ_JOINT, j)] = {
            "kp (gainprm[0])": model.actuator_gainprm[a, :1],
            "bias (biasprm[0:3] = 0, -kp, -kd)": model.actuator_biasprm[a, :3],
            "effort limit (forcerange)": model.actuator_forcerange[a] * model.actuator_forcelimited[a],
            "ctrl range": model.actuator_ctrlrange[a] * model.actuator_ctrllimited[a],
            "gear": model.actuator_gear[a, :1],
            "dyntype/gaintype/biastype": np.array(
                [model.actuator_dyntype[a], model.actuator_gaintype[a], model.actuator_biastype[a]]
            ),
            "armature": model.dof_armature[dof : dof + 1],
            "passive damping": model.dof_damping[dof : dof + 1],
            "frictionloss": model.dof_frictionloss[dof : dof + 1],
            "joint range": model.jnt_range[j],
        }
    return out


def _option_table(model: mujoco.MjModel) -> dict[str, np.ndarray]:
    o = model.opt
    return {
        "timestep": np.array([o.timestep]), "integrator": np.array([o.integrator]), "solver": np.array([o.solver]),
        "iterations": np.array([o.iterations]), "ls_iterations": np.array([o.ls_iterations]),
        "tolerance": np.array([o.tolerance]), "ls_tolerance": np.array([o.ls_tolerance]), "cone": np.array([o.cone]),
        "impratio": np.array([o.impratio]), "gravity": np.array(o.gravity), "jacobian": np.array([o.jacobian]),
        "disableflags": np.array([o.disableflags]), "enableflags": np.array([o.enableflags]),
        "nq/nv/nu": np.array([model.nq, model.nv, model.nu]), "total mass": np.array([model.body_mass.sum()]),
    }  # fmt: skip


def check_matches_training(model: mujoco.MjModel, reference: mujoco.MjModel | None = None) -> None:
    """Raise SceneMismatchError naming the first actuator gain/bias, armature, effort limit, timestep or solver setting
    of `model` that differs from the model compiled from the training env config (or `reference`)."""
    reference = _training_model() if reference is None else reference
    for key, want in _option_table(reference).items():
        got = _option_table(model)[key]
        if got.shape != want.shape or not np.allclose(got, want, rtol=1e-9, atol=1e-12):
            raise SceneMismatchError(f"sim model {key} is {got.tolist()}, training used {want.tolist()}")
    ours, theirs = _actuator_table(model), _actuator_table(reference)
    if set(ours) != set(theirs):
        missing = sorted(set(theirs) - set(ours)) or sorted(set(ours) - set(theirs))
        raise SceneMismatchError(f"sim model actuates different joints than training (first difference: {missing[0]})")
    for joint, params in theirs.items():
        for key, want in params.items():
            got = ours[joint][key]
            if not np.allclose(got, want, rtol=1e-9, atol=1e-12):
                raise SceneMismatchError(f"sim model {joint} {key} is {got.tolist()}, training used {want.tolist()}")


def model_hash(model: mujoco.MjModel) -> str:
    """A short sha256 of the physics that matters for replay: options, actuators, dofs, bodies and geoms."""
    h = hashlib.sha256()
    fields = (
        "actuator_gainprm", "actuator_biasprm", "actuator_forcerange", "actuator_trnid", "dof_armature", "dof_damping",
        "dof_frictionloss", "jnt_range", "body_mass", "body_inertia", "body_pos", "body_quat", "geom_size",
        "geom_friction", "geom_contype", "geom_conaffinity", "geom_condim", "geom_pos", "geom_quat",
    )  # fmt: skip
    for name in fields:
        h.update(np.ascontiguousarray(getattr(model, name)).tobytes())
    for value in _option_table(model).values():
        h.update(np.asarray(value, dtype=np.float64).tobytes())
    return h.hexdigest()[:16]


@dataclass
class G1Scene:
    """The compiled scene plus every index the replay, scores and renderer need, in retarget's joint/body order."""

    model: mujoco.MjModel
    decimation: int
    qpos_adr: np.ndarray  # (36,) model qpos index of robot qpos [root xyz, quat wxyz, 29 joints]
    qvel_adr: np.ndarray  # (35,) model qvel index of robot qvel
    joint_dof: np.ndarray  # (29,) dof index of each joint (retarget order)
    actuator_joint: np.ndarray  # (nu,) retarget joint index driven by each actuator
    joint_actuator: np.ndarray  # (29,) actuator driving each joint
    body_ids: np.ndarray  # (30,) model body id of each retarget body
    foot_geoms: tuple[np.ndarray, np.ndarray]  # left, right foot collision geoms
    floor_geoms: np.ndarray  # terrain geoms
    robot_collision_geoms: np.ndarray  # every robot geom that collides
    kp: np.ndarray  # (29,) joint order
    kd: np.ndarray  # (29,)
    effort_limit: np.ndarray  # (29,) N m
    armature: np.ndarray  # (29,)
    default_joint_pos: np.ndarray  # (29,) the entity's init-state keyframe (mjlab's action offset)
    action_scale: np.ndarray  # (29,) mjlab's action scale (0.25 * effort / kp for the G1)

    @property
    def dt(self) -> float:
        """The policy period: timestep x decimation (0.02 s, 50 Hz)."""
        return float(self.model.opt.timestep) * self.decimation

    @property
    def root_body(self) -> int:
        return int(self.body_ids[0])

    @property
    def mass(self) -> float:
        return float(self.model.body_subtreemass[self.root_body])

    @property
    def weight(self) -> float:
        return self.mass * float(-self.model.opt.gravity[2])

    def set_robot_state(self, data: mujoco.MjData, qpos: np.ndarray, qvel: np.ndarray | None = None) -> None:
        """Write robot qpos (36,) and qvel (35,) (zeros when None) into the scene's data."""
        data.qpos[self.qpos_adr] = qpos
        data.qvel[self.qvel_adr] = 0.0 if qvel is None else qvel

    def robot_qpos(self, data: mujoco.MjData) -> np.ndarray:
        return data.qpos[self.qpos_adr].copy()

    def robot_qvel(self, data: mujoco.MjData) -> np.ndarray:
        return data.qvel[self.qvel_adr].copy()

    def set_joint_targets(self, data: mujoco.MjData, targets: np.ndarray) -> None:
        """PD position targets (29,) in joint order -> the actuators' ctrl (mjlab groups actuators by motor type)."""
        data.ctrl[:] = np.asarray(targets, dtype=np.float64)[self.actuator_joint]

    def action_to_targets(self, action: np.ndarray) -> np.ndarray:
        """mjlab's joint-position action: target = default + scale * action (joint order)."""
        return self.default_joint_pos + self.action_scale * np.asarray(action, dtype=np.float64)

    def targets_to_action(self, targets: np.ndarray) -> np.ndarray:
        """The action that would command `targets` (inverse of action_to_targets)."""
        return (np.asarray(targets, dtype=np.float64) - self.default_joint_pos) / self.action_scale


def _ids(model: mujoco.MjModel, obj: mujoco.mjtObj, names) -> np.ndarray:
    ids = np.array([mujoco.mj_name2id(model, obj, f"{ENTITY}/{n}") for n in names], dtype=np.int64)
    if (ids < 0).any():
        missing = [n for n, i in zip(names, ids) if i < 0]
        raise SceneMismatchError(f"scene model lacks robot element(s) {missing[:3]}")
    return ids


def _action_scale(env_cfg: Any) -> np.ndarray:
    from mjlab.utils.lab_api.string import resolve_matching_names_values

    scale = env_cfg.actions["joint_pos"].scale
    if isinstance(scale, (int, float)):
        return np.full(robot.NUM_JOINTS, float(scale))
    out = np.ones(robot.NUM_JOINTS)
    idx, _, values = resolve_matching_names_values(scale, list(robot.JOINT_NAMES))
    out[idx] = values
    return out


def make_scene(model: mujoco.MjModel, decimation: int, action_scale: np.ndarray) -> G1Scene:
    """Index a compiled scene model (robot elements prefixed `robot/`) for replay in retarget's joint/body order."""
    jnt = _ids(model, mujoco.mjtObj.mjOBJ_JOINT, robot.JOINT_NAMES)
    bodies = _ids(model, mujoco.mjtObj.mjOBJ_BODY, robot.BODY_NAMES)
    root_jnt = int(model.body_jntadr[bodies[0]])
    if model.jnt_type[root_jnt] != mujoco.mjtJoint.mjJNT_FREE:
        raise SceneMismatchError("the robot's root body has no free joint")
    q0, v0 = int(model.jnt_qposadr[root_jnt]), int(model.jnt_dofadr[root_jnt])
    qpos_adr = np.concatenate([np.arange(q0, q0 + 7), model.jnt_qposadr[jnt]])
    qvel_adr = np.concatenate([np.arange(v0, v0 + 6), model.jnt_dofadr[jnt]])
    joint_index = {int(j): i for i, j in enumerate(jnt)}
    actuator_joint = np.array([joint_index[int(model.actuator_trnid[a, 0])] for a in range(model.nu)])
    if sorted(actuator_joint.tolist()) != list(range(robot.NUM_JOINTS)):
        raise SceneMismatchError("the scene's actuators do not drive each of the 29 G1 joints exactly once")
    joint_actuator = np.argsort(actuator_joint)
    feet = tuple(_ids(model, mujoco.mjtObj.mjOBJ_GEOM, side) for side in robot.FOOT_GEOMS)
    robot_bodies = set(bodies.tolist())
    geom_body = model.geom_bodyid
    collides = (model.geom_contype != 0) | (model.geom_conaffinity != 0)
    robot_geoms = np.flatnonzero(collides & np.isin(geom_body, list(robot_bodies)))
    floor = np.flatnonzero(collides & ~np.isin(geom_body, list(robot_bodies)))
    key = model.key_qpos[0] if model.nkey else None
    default = key[model.jnt_qposadr[jnt]].copy() if key is not None else np.zeros(robot.NUM_JOINTS)
    kp = model.actuator_gainprm[joint_actuator, 0].copy()
    return G1Scene(
        model=model, decimation=int(decimation), qpos_adr=qpos_adr, qvel_adr=qvel_adr,
        joint_dof=model.jnt_dofadr[jnt].copy(), actuator_joint=actuator_joint, joint_actuator=joint_actuator,
        body_ids=bodies, foot_geoms=feet, floor_geoms=floor, robot_collision_geoms=robot_geoms, kp=kp,
        kd=-model.actuator_biasprm[joint_actuator, 2].copy(),
        effort_limit=model.actuator_forcerange[joint_actuator, 1].copy(),
        armature=model.dof_armature[model.jnt_dofadr[jnt]].copy(), default_joint_pos=default,
        action_scale=np.asarray(action_scale, dtype=np.float64),
    )  # fmt: skip


def build_scene(check: bool = True) -> G1Scene:
    """The replay scene: G1 + floor compiled from the training env config, checked against training when `check`."""
    env_cfg = training_env_cfg()
    model = training_model()
    # Room for a 1280x720 video; rendering settings do not touch the physics.
    model.vis.global_.offwidth = max(model.vis.global_.offwidth, 1280)
    model.vis.global_.offheight = max(model.vis.global_.offheight, 720)
    if check:
        check_matches_training(model)
    return make_scene(model, env_cfg.decimation, _action_scale(env_cfg))


def check_policy_matches(scene: G1Scene, policy: Any) -> None:
    """Raise SceneMismatchError when a policy's deploy metadata (kp, kd, action scale, default pose, policy period,
    joint order) differs from the replay scene's."""
    pairs = (
        ("joint_names", np.array(robot.JOINT_NAMES), np.array(list(getattr(policy, "joint_names", robot.JOINT_NAMES)))),
        ("kp", scene.kp, getattr(policy, "kp", scene.kp)), ("kd", scene.kd, getattr(policy, "kd", scene.kd)),
        ("action_scale", scene.action_scale, getattr(policy, "action_scale", scene.action_scale)),
        ("default_joint_pos", scene.default_joint_pos, getattr(policy, "default_joint_pos", scene.default_joint_pos)),
        ("policy_dt", np.array([scene.dt]), np.array([getattr(policy, "policy_dt", scene.dt)])),
    )  # fmt: skip
    for name, ours, theirs in pairs:
        theirs = np.asarray(theirs)
        if ours.shape != theirs.shape:
            raise SceneMismatchError(f"policy {name} has shape {theirs.shape}, the replay scene {ours.shape}")
        if ours.dtype.kind in "fc" and not np.allclose(ours, theirs.astype(float), rtol=1e-5, atol=1e-8):
            i = int(np.flatnonzero(~np.isclose(ours, theirs.astype(float), rtol=1e-5, atol=1e-8))[0])
            raise SceneMismatchError(f"policy {name}[{i}] is {theirs[i]}, the replay scene has {ours[i]}")
        if ours.dtype.kind not in "fc" and not (ours == theirs).all():
            raise SceneMismatchError(f"policy {name} differ from the replay scene's")
