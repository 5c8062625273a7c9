"""Replay on the training robot at 50 Hz (policy closed loop, recorded actions open loop, or the reference-PD baseline),
recording the rollout contract: qpos, qvel, actions, PD targets, torques, per-foot contact forces and the reference.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

import mujoco
import numpy as np
from tqdm import tqdm

from generator.motion.configs import choose_preset
from generator.motion.errors import InputError, atomic_path, read_npz, write_npz
from retarget import robot
from retarget.robot_motion import RobotMotion
from sim.scene import G1Scene, SceneMismatchError, check_policy_matches, model_hash

MAX_ROLLOUT_FRAMES = 60_000  # 20 min at 50 Hz: scoring is linear, about 0.6 ms a frame on this CPU
REF_PREFIX = "ref_"
REF_KEYS = ("joint_pos", "joint_vel", "body_pos_w", "body_quat_w", "body_lin_vel_w", "body_ang_vel_w")
ROLLOUT_KEYS = ("qpos", "qvel", "actions", "ctrl", "torque", "torque_peak", "power", "foot_forces", "body_pos_w")


class Policy(Protocol):
    """What the replay needs from controller.deploy.DeployedPolicy."""

    def reset(self, reference: RobotMotion) -> None: ...
    def act(self, model: mujoco.MjModel, data: mujoco.MjData, step: int) -> np.ndarray: ...
    def joint_targets(self, action: np.ndarray) -> np.ndarray: ...


@dataclass(frozen=True)
class Push:
    """An external force (N, world frame) on one robot body during [start_s, start_s + duration_s)."""

    force: tuple[float, float, float] = (0.0, 0.0, 0.0)
    start_s: float = 0.0
    duration_s: float = 0.0
    body: str = "torso_link"


@dataclass(frozen=True)
class RolloutConfig:
    """How to drive the robot. mode: 'policy' (closed loop), 'actions' (open loop) or 'pd' (reference-PD baseline)."""

    mode: str = "pd"
    seed: int = 0
    push: Push | None = None
    progress: bool = True
    # The PD baseline's ankle strategy (rad of ankle pitch/roll per m and per m/s of CoM error, heading frame):
    # at the training gains (ankle kp 57 N m/rad for both feet) a pure joint PD cannot hold the m*g*h ~ 210 N m/rad
    # gravity toppling stiffness, so even standing falls within 2 s. 0 gives the pure reference PD.
    balance_gain: float = 10.0
    balance_damping: float = 2.0
    # The PD baseline's feed-forward: gravity/Coriolis torque (qfrc_bias) of the waist and arm joints, which carry no
    # contacts, sent through the position actuators as target += tau / kp (else the waist (kp 28.5 N m/rad) lets
    # the torso sag ~40 degrees). The legs get none: their load depends on the contacts, which the ankle strategy
    # handles; feeding back the measured contact forces instead made the stance jitter.
    gravity_compensation: bool = True

    @classmethod
    def preset(cls, name: str) -> RolloutConfig:
        """Named presets: 'pd' (baseline with ankle strategy), 'pure-pd', 'policy', 'actions', 'push' (PD with a 400 N
        shove at 1 s for 0.2 s)."""
        presets = {
            "pd": cls(mode="pd"), "policy": cls(mode="policy"), "actions": cls(mode="actions"),
            "pure-pd": cls(mode="pd", balance_gain=0.0, balance_damping=0.0, gravity_compensation=False),
            "push": cls(mode="pd", push=Push(force=(400.0, 0.0, 0.0), start_s=1.0, duration_s=0.2)),
        }  # fmt: skip
        return choose_preset(presets, name, "rollout")


# --- contact forces -------------------------------------------------------------------------------------------------


def contact_forces_world(model: mujoco.MjModel, data: mujoco.MjData, idx: np.ndarray | None = None) -> np.ndarray:
    """World-frame force (k, 3) that geom2 receives from geom1 at contacts `idx` (default: all), vectorised over
    data.contact.

    Equals `frame.T @ mj_contactForce(...)[:3]` per contact: elliptic cones store the contact-frame force directly
    in efc_force; pyramidal cones are decoded (normal = sum of the 2(dim-1) facet forces,
    tangent i = mu_i (f_2i - f_2i+1)).
    """
    idx = np.arange(data.ncon) if idx is None else np.asarray(idx)
    k = idx.size
    if k == 0:
        return np.zeros((0, 3))
    con = data.contact
    adr, dim = con.efc_address[idx], con.dim[idx]
    efc = data.efc_force
    local = np.zeros((k, 3))
    elliptic = model.opt.cone == mujoco.mjtCone.mjCONE_ELLIPTIC
    if not elliptic and (dim == 3).all() and (adr >= 0).all():  # the usual case: all feet, condim 3, pyramidal
        facets = efc[adr[:, None] + _FACETS3]
        local[:, 0] = facets.sum(axis=1)
        local[:, 1:] = (facets[:, 0::2] - facets[:, 1::2]) * con.friction[idx, :2]
    else:
        for d in np.unique(dim[adr >= 0]):
            sel = np.flatnonzero((adr >= 0) & (dim == d))
            a = adr[sel]
            if d == 1:
                local[sel, 0] = efc[a]
            elif elliptic:
                local[sel] = efc[a[:, None] + np.arange(3)]
            else:
                facets = efc[a[:, None] + np.arange(2 * (d - 1))]
                local[sel, 0] = facets.sum(axis=1)
                local[sel, 1:] = (facets[:, 0:4:2] - facets[:, 1:4:2]) * con.friction[idx[sel], :2]
    return np.einsum("ci,cij->cj", local, con.frame[idx].reshape(k, 3, 3))


_FACETS3 = np.arange(4)


def foot_pair_table(scene: G1Scene) -> np.ndarray:
    """(ngeom, ngeom) code of a contact's geom pair: +1/+2 left/right foot as geom2 on the floor, -1/-2 the same with
    the foot as geom1, 0 anything else."""
    ng = scene.model.ngeom
    table = np.zeros((ng, ng), dtype=np.int64)
    for side, geoms in enumerate(scene.foot_geoms):
        for floor in scene.floor_geoms:
            table[floor, geoms] = side + 1
            table[geoms, floor] = -(side + 1)
    return table


def foot_forces(scene: G1Scene, data: mujoco.MjData, table: np.ndarray | None = None) -> np.ndarray:
    """Contact force (2, 3) on the left/right foot from the floor, world frame, summed over each foot's capsules.

    `table` is foot_pair_table(scene), built here when None (pass it in loops).
    """
    out = np.zeros((2, 3))
    n = data.ncon
    if n == 0:
        return out
    table = foot_pair_table(scene) if table is None else table
    g = data.contact.geom[:n]
    code = table[g[:, 0], g[:, 1]]
    idx = np.flatnonzero(code)
    if idx.size == 0:
        return out
    code = code[idx]
    f = contact_forces_world(scene.model, data, idx) * np.sign(code)[:, None]  # force on geom1 = -force on geom2
    left = np.abs(code) == 1
    out[0] = f[left].sum(axis=0)
    out[1] = f[~left].sum(axis=0)
    return out


def geom_lookup(scene: G1Scene) -> np.ndarray:
    """geom id -> 0 left foot, 1 right foot, 2 floor, -1 anything else."""
    lookup = np.full(scene.model.ngeom, -1, dtype=np.int64)
    lookup[scene.foot_geoms[0]] = 0
    lookup[scene.foot_geoms[1]] = 1
    lookup[scene.floor_geoms] = 2
    return lookup


def foot_forces_naive(scene: G1Scene, data: mujoco.MjData) -> np.ndarray:
    """The same per-foot forces by a Python loop over contacts with mj_contactForce (the benchmark's baseline)."""
    left, right = set(scene.foot_geoms[0].tolist()), set(scene.foot_geoms[1].tolist())
    floor = set(scene.floor_geoms.tolist())
    out = np.zeros((2, 3))
    buf = np.zeros(6)
    for i in range(data.ncon):
        c = data.contact[i]
        g1, g2 = int(c.geom1), int(c.geom2)
        if g1 in floor and (g2 in left or g2 in right):
            side, sign = (0 if g2 in left else 1), 1.0
        elif g2 in floor and (g1 in left or g1 in right):
            side, sign = (0 if g1 in left else 1), -1.0
        else:
            continue
        mujoco.mj_contactForce(scene.model, data, i, buf)
        out[side] += sign * (c.frame.reshape(3, 3).T @ buf[:3])
    return out


# --- the rollout ----------------------------------------------------------------------------------------------------


@dataclass
class Rollout:
    """A replay on the G1 at the policy rate: frame t is the state before step t; step t holds action t for
    `decimation` physics steps; torques, power and foot forces are means over those physics steps."""

    fps: float
    qpos: np.ndarray  # (T, 36) root xyz, quat wxyz, 29 joints
    qvel: np.ndarray  # (T, 35) root lin vel (world), ang vel (local), 29 joints
    actions: np.ndarray  # (T, 29) policy actions (for 'pd': the action that commands the reference)
    ctrl: np.ndarray  # (T, 29) PD targets, joint order
    torque: np.ndarray  # (T, 29) mean actuator torque over the step
    torque_peak: np.ndarray  # (T, 29) max |torque| over the step
    power: np.ndarray  # (T,) mean sum_j |tau_j qdot_j| over the step, W
    foot_forces: np.ndarray  # (T, 2, 3) mean contact force from the floor on each foot, world frame, N
    body_pos_w: np.ndarray  # (T, 30, 3)
    body_quat_w: np.ndarray  # (T, 30, 4) wxyz
    com: np.ndarray  # (T, 3) whole-body centre of mass
    reference: RobotMotion
    settings: dict = field(default_factory=dict)

    @property
    def num_frames(self) -> int:
        return int(self.qpos.shape[0])

    def arrays(self) -> dict[str, np.ndarray]:
        out = {
            "fps": np.asarray(self.fps), "qpos": self.qpos, "qvel": self.qvel, "actions": self.actions,
            "ctrl": self.ctrl, "torque": self.torque, "torque_peak": self.torque_peak, "power": self.power,
            "foot_forces": self.foot_forces, "body_pos_w": self.body_pos_w, "body_quat_w": self.body_quat_w,
            "com": self.com, "joint_names": np.asarray(robot.JOINT_NAMES), "body_names": np.asarray(robot.BODY_NAMES),
            "settings_json": np.asarray(json.dumps(self.settings, sort_keys=True)),
            f"{REF_PREFIX}fps": np.asarray(self.reference.fps),
            f"{REF_PREFIX}source_text": np.asarray(self.reference.source_text),
        }  # fmt: skip
        for k in REF_KEYS:
            out[REF_PREFIX + k] = getattr(self.reference, k)
        if self.reference.foot_contacts is not None:
            out[f"{REF_PREFIX}foot_contacts"] = np.asarray(self.reference.foot_contacts, dtype=bool)
        return out

    def save(self, path: str | Path) -> Path:
        """Write ROLLOUT.npz and the sibling ROLLOUT.json (settings), each atomically."""
        path = Path(path)
        write_npz(path, self.arrays())
        with atomic_path(path.with_suffix(".json")) as tmp:
            tmp.write_text(json.dumps({"settings": self.settings}, indent=2, sort_keys=True))
        return path


def load_rollout(path: str | Path) -> Rollout:
    """Read a rollout .npz; every problem (missing file or key, bad shapes, NaN) -> InputError with one line."""
    path = Path(path)
    arrays = read_npz(path, (), "rollout")
    need = list(ROLLOUT_KEYS) + [REF_PREFIX + k for k in REF_KEYS] + ["fps"]
    missing = [k for k in need if k not in arrays]
    if missing:
        raise InputError(f"{path}: missing key(s) {', '.join(missing[:4])}: not a rollout written by sim.replay")
    t = arrays["qpos"].shape[0] if arrays["qpos"].ndim == 2 else -1
    if t > MAX_ROLLOUT_FRAMES:
        raise InputError(f"{path}: {t} frames, above the {MAX_ROLLOUT_FRAMES} (20 min at 50 Hz) a rollout may have")
    shapes = {
        "qpos": (t, robot.NQ), "qvel": (t, robot.NQ - 1), "actions": (t, 29), "ctrl": (t, 29), "torque": (t, 29),
        "torque_peak": (t, 29), "power": (t,), "foot_forces": (t, 2, 3), "body_pos_w": (t, 30, 3),
    }  # fmt: skip
    shapes.update({k: s for k, s in {"body_quat_w": (t, 30, 4), "com": (t, 3)}.items() if k in arrays})
    for k, shape in shapes.items():
        if not np.issubdtype(arrays[k].dtype, np.floating):
            raise InputError(f"{path}: '{k}' has dtype {arrays[k].dtype}, expected floating point")
        if arrays[k].shape != shape or t < 1:
            raise InputError(f"{path}: '{k}' has shape {arrays[k].shape}, expected {shape}")
        if not np.isfinite(arrays[k]).all():
            raise InputError(f"{path}: '{k}' contains NaN or infinite values")
    fps = arrays["fps"]
    if fps.shape != () or not np.issubdtype(fps.dtype, np.number) or not np.isfinite(fps) or not fps > 0:
        raise InputError(f"{path}: 'fps' must be one positive finite number, got {fps!r}")
    fc = arrays.get(f"{REF_PREFIX}foot_contacts")
    try:
        ref = RobotMotion(
            fps=float(arrays[f"{REF_PREFIX}fps"]) if f"{REF_PREFIX}fps" in arrays else float(arrays["fps"]),
            **{k: arrays[REF_PREFIX + k] for k in REF_KEYS},
            source_text=str(arrays.get(f"{REF_PREFIX}source_text", "")),
            foot_contacts=None if fc is None else fc.astype(bool),
        ).validate()
    except InputError as e:
        raise InputError(f"{path}: reference: {e}") from None
    if ref.num_frames != t:
        raise InputError(f"{path}: reference has {ref.num_frames} frames, rollout has {t}")
    settings = json.loads(str(arrays["settings_json"])) if "settings_json" in arrays else {}
    quat = arrays.get("body_quat_w")
    com = arrays.get("com")
    return Rollout(
        fps=float(arrays["fps"]), qpos=arrays["qpos"], qvel=arrays["qvel"], actions=arrays["actions"],
        ctrl=arrays["ctrl"], torque=arrays["torque"], torque_peak=arrays["torque_peak"], power=arrays["power"],
        foot_forces=arrays["foot_forces"], body_pos_w=arrays["body_pos_w"],
        body_quat_w=quat if quat is not None else np.tile([1.0, 0, 0, 0], (t, 30, 1)),
        com=com if com is not None else arrays["body_pos_w"][:, 0], reference=ref, settings=settings,
    )  # fmt: skip


def file_hash(path: str | Path) -> str:
    """sha256 of a file (the policy checkpoint or actions file a rollout used); of a directory (an exported
    policy), the hash of its files' contents in name order."""
    h = hashlib.sha256()
    path = Path(path)
    for p in sorted(path.iterdir()) if path.is_dir() else [path]:
        if p.is_file():
            with open(p, "rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    h.update(chunk)
    return h.hexdigest()


def load_policy(path: str | Path):
    """controller.deploy.DeployedPolicy.load(path); an unreadable or missing policy is an InputError."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such policy file")
    try:
        from controller.deploy import DeployedPolicy
    except ImportError as e:
        raise InputError(f"cannot run a policy: controller.deploy is unavailable ({e})") from None
    try:
        return DeployedPolicy.load(path)
    except InputError:
        raise
    except (OSError, ValueError, KeyError, RuntimeError) as e:
        raise InputError(f"{path}: cannot load policy ({type(e).__name__}: {e})") from None


def load_checked_policy(scene: G1Scene, path: str | Path):
    """load_policy(path), checked against `scene` (the actuators and timing it was trained with); InputError else."""
    policy = load_policy(path)
    try:
        check_policy_matches(scene, policy)
    except SceneMismatchError as e:
        raise InputError(f"{path}: {e}") from None
    return policy


def reference_qvel(reference: RobotMotion, t: int) -> np.ndarray:
    """MuJoCo free-joint qvel (35,) of reference frame t: world linear, body-local angular, joint velocities."""
    quat = np.asarray(reference.body_quat_w[t, 0], dtype=np.float64)
    rot = np.zeros(9)
    mujoco.mju_quat2Mat(rot, quat / np.linalg.norm(quat))
    ang_local = rot.reshape(3, 3).T @ reference.body_ang_vel_w[t, 0]
    return np.concatenate([reference.body_lin_vel_w[t, 0], ang_local, reference.joint_vel[t]]).astype(np.float64)


def reference_com(scene: G1Scene, reference: RobotMotion) -> np.ndarray:
    """Whole-body centre of mass (T, 3) of the reference poses, by MuJoCo kinematics on the scene model."""
    data = mujoco.MjData(scene.model)
    out = np.zeros((reference.num_frames, 3))
    for t, q in enumerate(reference.qpos):
        data.qpos[scene.qpos_adr] = q
        mujoco.mj_kinematics(scene.model, data)
        mujoco.mj_comPos(scene.model, data)
        out[t] = data.subtree_com[scene.root_body]
    return out


def heading_frame_xy(quat_wxyz: np.ndarray, vec: np.ndarray) -> np.ndarray:
    """x (forward) and y (left) components of a world vector in the heading (yaw-only) frame of a root quaternion."""
    w, x, y, z = quat_wxyz
    yaw = np.arctan2(2.0 * (w * z + x * y), 1.0 - 2.0 * (y * y + z * z))
    c, s = np.cos(yaw), np.sin(yaw)
    return np.array([c * vec[0] + s * vec[1], -s * vec[0] + c * vec[1]])


_ANKLE_PITCH = [robot.JOINT_INDEX[f"{s}_ankle_pitch_joint"] for s in ("left", "right")]
_UPPER = np.arange(robot.JOINT_INDEX["waist_yaw_joint"], robot.NUM_JOINTS)  # waist and arms
_ANKLE_ROLL = [robot.JOINT_INDEX[f"{s}_ankle_roll_joint"] for s in ("left", "right")]


def init_state(scene: G1Scene, data: mujoco.MjData, reference: RobotMotion) -> None:
    """Put the robot at the reference's first frame (pose and velocities) and settle derived quantities."""
    mujoco.mj_resetData(scene.model, data)
    scene.set_robot_state(data, reference.qpos[0], reference_qvel(reference, 0))
    scene.set_joint_targets(data, reference.joint_pos[0])
    mujoco.mj_forward(scene.model, data)


class ReferencePD:
    """The reference-PD baseline as a Policy: each step commands the reference's next frame, plus (optionally) an
    ankle strategy on the CoM error and gravity compensation of the waist and arms (see RolloutConfig)."""

    def __init__(self, scene: G1Scene, config: RolloutConfig):
        self.scene, self.config = scene, config
        self.balance = config.balance_gain != 0.0 or config.balance_damping != 0.0

    def reset(self, reference: RobotMotion) -> None:
        self.reference = reference
        self.ref_targets = reference.joint_pos.astype(np.float64)
        if self.balance:
            self.ref_com = reference_com(self.scene, reference)
            t_len = reference.num_frames
            self.ref_com_vel = (
                np.gradient(self.ref_com, self.scene.dt, axis=0) if t_len > 1 else np.zeros_like(self.ref_com)
            )
            self.prev_com = None
        self._action, self._targets = None, None

    def act(self, model: mujoco.MjModel, data: mujoco.MjData, step: int) -> np.ndarray:
        scene, config, reference = self.scene, self.config, self.reference
        targets = self.ref_targets[min(step + 1, reference.num_frames - 1)].copy()
        if self.balance:
            com = data.subtree_com[scene.root_body]
            com_vel = (com - self.prev_com) / scene.dt if step > 0 else self.ref_com_vel[0]
            self.prev_com = com.copy()
            heading = reference.body_quat_w[step, 0]
            err = heading_frame_xy(heading, com - self.ref_com[step])
            err_vel = heading_frame_xy(heading, com_vel - self.ref_com_vel[step])
            fix = config.balance_gain * err + config.balance_damping * err_vel
            targets[_ANKLE_PITCH] += fix[0]
            targets[_ANKLE_ROLL] -= fix[1]
        if config.gravity_compensation:
            tau = data.qfrc_bias[scene.joint_dof[_UPPER]]
            targets[_UPPER] += np.clip(tau, -scene.effort_limit[_UPPER], scene.effort_limit[_UPPER]) / scene.kp[_UPPER]
        self._action, self._targets = scene.targets_to_action(targets), targets
        return self._action

    def joint_targets(self, action: np.ndarray) -> np.ndarray:
        # The targets this policy just computed, exactly (not round-tripped through the action scale).
        if self._action is not None and np.array_equal(action, self._action):
            return self._targets
        return self.scene.action_to_targets(action)


class ActionReplay:
    """Open-loop replay of recorded actions as a Policy, mapped to targets like the policy that made them."""

    def __init__(self, scene: G1Scene, actions: np.ndarray, policy: Policy | None = None):
        if actions is None or actions.ndim != 2 or actions.shape[1] != robot.NUM_JOINTS:
            raise InputError(f"actions must have shape (T, {robot.NUM_JOINTS}), got {np.shape(actions)}")
        if not np.isfinite(actions).all():
            raise InputError("actions contain NaN or infinite values")
        self.scene, self.actions, self.policy = scene, actions, policy
        self.max_steps = len(actions)

    def reset(self, reference: RobotMotion) -> None:
        """Nothing to reset: the actions are fixed."""

    def act(self, model: mujoco.MjModel, data: mujoco.MjData, step: int) -> np.ndarray:
        return self.actions[step].astype(np.float64)

    def joint_targets(self, action: np.ndarray) -> np.ndarray:
        return self.policy.joint_targets(action) if self.policy is not None else self.scene.action_to_targets(action)


def controller_for(
    scene: G1Scene, config: RolloutConfig, policy: Policy | None = None, actions: np.ndarray | None = None
) -> Policy:
    """The Policy that drives a rollout of `config.mode`: the given policy, an action replay or the PD baseline."""
    if config.mode == "policy":
        if policy is None:
            raise InputError("mode 'policy' needs a policy")
        return policy
    if config.mode == "actions":
        return ActionReplay(scene, actions, policy)
    if config.mode == "pd":
        return ReferencePD(scene, config)
    raise InputError(f"unknown rollout mode {config.mode!r}")


def run_rollout(
    scene: G1Scene,
    reference: RobotMotion,
    config: RolloutConfig = RolloutConfig(),
    policy: Policy | None = None,
    actions: np.ndarray | None = None,
    extra_settings: dict[str, Any] | None = None,
) -> Rollout:
    """Drive the G1 along `reference` for its length at 50 Hz with the Policy of `config.mode` and record the
    rollout (see Rollout)."""
    model = scene.model
    if abs(reference.fps * scene.dt - 1.0) > 1e-6:
        raise InputError(f"reference is at {reference.fps:g} fps; the policy runs at {1 / scene.dt:g} Hz")
    driver = controller_for(scene, config, policy, actions)
    t_len = min(reference.num_frames, getattr(driver, "max_steps", reference.num_frames))
    data = mujoco.MjData(model)
    init_state(scene, data, reference)
    driver.reset(reference)
    table = foot_pair_table(scene)
    push_body = int(scene.body_ids[robot.BODY_INDEX[config.push.body]]) if config.push else -1
    nj, dec = robot.NUM_JOINTS, scene.decimation
    rec = {
        "qpos": np.zeros((t_len, robot.NQ)), "qvel": np.zeros((t_len, robot.NQ - 1)), "actions": np.zeros((t_len, nj)),
        "ctrl": np.zeros((t_len, nj)), "torque": np.zeros((t_len, nj)), "torque_peak": np.zeros((t_len, nj)),
        "power": np.zeros(t_len), "foot_forces": np.zeros((t_len, 2, 3)), "body_pos_w": np.zeros((t_len, 30, 3)),
        "body_quat_w": np.zeros((t_len, 30, 4)), "com": np.zeros((t_len, 3)),
    }  # fmt: skip
    act_of_joint = scene.joint_actuator
    for t in tqdm(range(t_len), desc=f"replay ({config.mode})", unit="step", disable=not config.progress):
        rec["qpos"][t] = data.qpos[scene.qpos_adr]
        rec["qvel"][t] = data.qvel[scene.qvel_adr]
        rec["body_pos_w"][t] = data.xpos[scene.body_ids]
        rec["body_quat_w"][t] = data.xquat[scene.body_ids]
        rec["com"][t] = data.subtree_com[scene.root_body]
        action = np.asarray(driver.act(model, data, t), dtype=np.float64).reshape(nj)
        targets = np.asarray(driver.joint_targets(action), dtype=np.float64).reshape(nj)
        rec["actions"][t], rec["ctrl"][t] = action, targets
        scene.set_joint_targets(data, targets)
        if config.push is not None:
            now = t * scene.dt
            on = config.push.start_s <= now < config.push.start_s + config.push.duration_s
            data.xfrc_applied[push_body, :3] = config.push.force if on else 0.0
        for _ in range(dec):
            mujoco.mj_step(model, data)
            # After mj_step, actuator_force, efc_force and contacts belong to the state the step started from.
            tau = data.actuator_force[act_of_joint]
            rec["torque"][t] += tau
            np.maximum(rec["torque_peak"][t], np.abs(tau), out=rec["torque_peak"][t])
            rec["power"][t] += np.abs(tau * data.qvel[scene.joint_dof]).sum()
            rec["foot_forces"][t] += foot_forces(scene, data, table)
        if not np.isfinite(data.qpos).all():
            raise InputError(f"simulation diverged at step {t} (non-finite state); check the reference and actions")
    for k in ("torque", "power", "foot_forces"):
        rec[k] /= dec
    balance = isinstance(driver, ReferencePD) and driver.balance
    settings = {
        "mode": config.mode, "seed": config.seed, "model_hash": model_hash(model),
        "timestep": float(model.opt.timestep), "decimation": dec, "policy_hz": 1.0 / scene.dt,
        "solver": int(model.opt.solver), "iterations": int(model.opt.iterations),
        "ls_iterations": int(model.opt.ls_iterations), "integrator": int(model.opt.integrator),
        "kp": scene.kp.round(6).tolist(), "kd": scene.kd.round(6).tolist(),
        "armature": scene.armature.round(8).tolist(),
        "effort_limit": scene.effort_limit.tolist(), "action_scale": scene.action_scale.round(6).tolist(),
        "default_joint_pos": scene.default_joint_pos.tolist(), "joint_names": list(robot.JOINT_NAMES),
        "push": {**asdict(config.push), "force": list(config.push.force)} if config.push else None,
        "balance_gain": config.balance_gain if balance else 0.0,
        "balance_damping": config.balance_damping if balance else 0.0,
        "gravity_compensation": bool(config.gravity_compensation and config.mode == "pd"),
        "frames": t_len, "mujoco": mujoco.__version__,
    }  # fmt: skip
    settings.update(extra_settings or {})
    ref = reference if t_len == reference.num_frames else _slice_motion(reference, t_len)
    return Rollout(fps=1.0 / scene.dt, reference=ref, settings=settings, **rec)


def _slice_motion(motion: RobotMotion, t: int) -> RobotMotion:
    fc = None if motion.foot_contacts is None else motion.foot_contacts[:t]
    return RobotMotion(
        fps=motion.fps, **{k: getattr(motion, k)[:t] for k in REF_KEYS}, source_text=motion.source_text,
        foot_contacts=fc,
    )  # fmt: skip
