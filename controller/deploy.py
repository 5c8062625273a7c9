"""Run a trained tracking policy in classic MuJoCo (no mjlab, no warp): the actor observation from MjData, actions,
PD joint targets. Used by `sim` for closed-loop replay.

The observation is computed by the same functions as in training (`controller.tracking_obs`), from the same
quantities: tracked-body poses (after `mj_kinematics`), the free joint's orientation, local angular velocity and
(for odometry terms) world linear velocity, joint positions/velocities and the last action; the terms and their
order are those the policy's metadata lists. At policy step k (k = 0 right after starting on the reference's
first frame) the reference is taken at time (k + 1) * policy_dt, as in training.
"""

from __future__ import annotations

import json
from pathlib import Path

import mujoco
import numpy as np
import torch

from controller import tracking_obs as T
from controller.motion_lib import MotionLib
from generator.motion.errors import InputError
from retarget.robot_motion import RobotMotion


def _find(model: mujoco.MjModel, kind: mujoco.mjtObj, name: str) -> int:
    """Id of a named element, also accepting scene prefixes such as 'robot/NAME'."""
    i = mujoco.mj_name2id(model, kind, name)
    if i >= 0:
        return i
    count = model.njnt if kind == mujoco.mjtObj.mjOBJ_JOINT else model.nbody
    for j in range(count):
        full = mujoco.mj_id2name(model, kind, j) or ""
        if full.endswith("/" + name):
            return j
    raise InputError(f"the MuJoCo model has no {'joint' if kind == mujoco.mjtObj.mjOBJ_JOINT else 'body'} {name!r}")


class DeployedPolicy:
    """A tracking policy (torch checkpoint or ONNX + JSON) driven from classic MuJoCo state."""

    def __init__(self, meta: dict, actor) -> None:
        self.meta = meta
        self._actor = actor  # callable: float32 (1, D) numpy -> (1, 29) numpy
        self.joint_names: list[str] = list(meta["joint_names"])
        self.default_joint_pos = np.asarray(meta["default_joint_pos"], dtype=np.float64)
        self.action_scale = np.asarray(meta["action_scale"], dtype=np.float64)
        self.kp = np.asarray(meta["kp"], dtype=np.float64)
        self.kd = np.asarray(meta["kd"], dtype=np.float64)
        self.policy_dt = float(meta["policy_dt"])
        self.tracked_bodies: list[str] = list(meta["tracked_bodies"])
        self.anchor = self.tracked_bodies.index(meta["anchor_body"])
        self.future_steps = torch.tensor(meta["future_steps"], dtype=torch.float32)
        self.observation_dim = int(meta["observation_dim"])
        self.terms = tuple(t["name"] for t in meta.get("observation_terms", [])) or T.ACTOR_TERMS
        unknown = sorted(set(self.terms) - set(T.ACTOR_TERMS + T.ODOMETRY_TERMS))
        if unknown:
            raise InputError(f"the policy observes terms this version cannot compute: {', '.join(unknown)}")
        self.last_action = np.zeros(len(self.joint_names), dtype=np.float32)
        self.action_offset = str(meta.get("action_offset", "default"))  # files before residual actions: default
        self.offset = self.default_joint_pos.copy()  # the reference joint positions of the current target frame
        self.library: MotionLib | None = None
        self._indices: tuple | None = None
        self._model_key: int | None = None

    @classmethod
    def load(cls, path: str | Path) -> DeployedPolicy:
        """From a checkpoint (.pt), an ONNX file with its JSON beside it, or a directory from controller.export."""
        path = Path(path)
        if path.is_dir():
            path = path / "policy.onnx"
        if not path.exists():
            raise InputError(f"{path}: no such policy file")
        if path.suffix == ".onnx":
            import onnxruntime as ort

            meta_path = path.with_suffix(".json")
            if not meta_path.exists():
                raise InputError(f"{meta_path}: the ONNX policy's JSON metadata is missing")
            try:
                meta = json.loads(meta_path.read_text())
                sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
            except (json.JSONDecodeError, OSError, Exception) as e:  # onnxruntime raises its own types
                raise InputError(f"{path}: cannot load the ONNX policy ({type(e).__name__})") from None
            names = (meta.get("onnx", {}).get("input", "obs"), meta.get("onnx", {}).get("output", "actions"))
            return cls(meta, lambda x: sess.run([names[1]], {names[0]: x})[0])
        from controller.policy_io import build_actor, load_checkpoint

        ckpt = load_checkpoint(path)
        actor = build_actor(ckpt)

        def run(x: np.ndarray) -> np.ndarray:
            with torch.no_grad():
                return actor(torch.from_numpy(x)).numpy()

        return cls(dict(ckpt["infos"]["controller"]), run)

    def reset(self, reference: RobotMotion) -> None:
        """Start tracking `reference` (the robot should start in its first frame); clears the last action."""
        self.library = MotionLib([reference.validate()], self.tracked_bodies, names=["reference"])
        if tuple(reference.joint_names) != tuple(self.joint_names):
            raise InputError("the reference's joint order differs from the policy's")
        self.last_action = np.zeros(len(self.joint_names), dtype=np.float32)

    def _resolve(self, model: mujoco.MjModel) -> tuple:
        if self._indices is None or self._model_key != id(model):
            jnt = [_find(model, mujoco.mjtObj.mjOBJ_JOINT, n) for n in self.joint_names]
            free = [j for j in range(model.njnt) if model.jnt_type[j] == mujoco.mjtJoint.mjJNT_FREE]
            if not free:
                raise InputError("the MuJoCo model has no free joint (floating base)")
            bodies = [_find(model, mujoco.mjtObj.mjOBJ_BODY, n) for n in self.tracked_bodies]
            self._indices = (
                np.array([model.jnt_qposadr[j] for j in jnt]), np.array([model.jnt_dofadr[j] for j in jnt]),
                int(model.jnt_qposadr[free[0]]), int(model.jnt_dofadr[free[0]]), np.array(bodies),
            )  # fmt: skip
            self._model_key = id(model)
        return self._indices

    def reference_time(self, step: int) -> float:
        """Reference time (s) shown to the policy at policy step `step`."""
        return (step + 1) * self.policy_dt

    def observation(self, model: mujoco.MjModel, data: mujoco.MjData, step: int) -> np.ndarray:
        """The actor observation (D,) of training, without noise, from MuJoCo state at policy step `step`."""
        if self.library is None:
            raise RuntimeError("call reset(reference) before observation()")
        qadr, dadr, fq, fd, bodies = self._resolve(model)
        mujoco.mj_kinematics(model, data)
        f32 = lambda a: torch.as_tensor(np.asarray(a, dtype=np.float32))[None]  # noqa: E731
        ids = torch.zeros(1, len(self.future_steps), dtype=torch.long)
        ref = self.library.state(ids, self.reference_time(step) + self.future_steps[None] * self.policy_dt)
        body_pos, body_quat = f32(data.xpos[bodies]), f32(data.xquat[bodies])
        anchor_pos, anchor_quat = body_pos[:, self.anchor], body_quat[:, self.anchor]
        default = f32(self.default_joint_pos)
        if self.action_offset == "reference":
            self.offset = ref.joint_pos[0, 0].numpy().astype(np.float64)
        terms = {
            "ref_joint_pos": T.ref_joint_pos(ref.joint_pos, default),
            "ref_joint_vel": T.ref_joint_vel(ref.joint_vel),
            "ref_anchor_ori": T.ref_anchor_ori(ref.body_quat_w, self.anchor, anchor_quat),
            "ref_body_pos": T.ref_body_pos(ref.body_pos_w, ref.body_quat_w, self.anchor),
            "body_pos_diff": T.body_pos_diff(
                ref.body_pos_w, ref.body_quat_w, self.anchor, body_pos, anchor_pos, anchor_quat
            ),
            "projected_gravity": T.projected_gravity(f32(data.qpos[fq + 3 : fq + 7])),
            "base_ang_vel": f32(data.qvel[fd + 3 : fd + 6]),
            "joint_pos": f32(data.qpos[qadr]) - default,
            "joint_vel": f32(data.qvel[dadr]),
            "actions": f32(self.last_action),
        }
        if "ref_anchor_pos" in self.terms:
            terms["ref_anchor_pos"] = T.ref_anchor_pos(ref.body_pos_w[:, 0, self.anchor], anchor_pos, anchor_quat)
        if "base_lin_vel" in self.terms:
            root_quat = f32(data.qpos[fq + 3 : fq + 7])
            terms["base_lin_vel"] = T.base_lin_vel(root_quat, f32(data.qvel[fd : fd + 3]))
        obs = torch.cat([terms[name] for name in self.terms], dim=-1)[0].numpy()
        if obs.shape[0] != self.observation_dim:
            raise InputError(f"observation has {obs.shape[0]} values, the policy expects {self.observation_dim}")
        return obs

    def actions(self, obs: np.ndarray) -> np.ndarray:
        """The actor on a batch of observations (N, D) -> actions (N, 29), float32."""
        return np.asarray(self._actor(np.asarray(obs, dtype=np.float32)), dtype=np.float32)

    def act(self, model: mujoco.MjModel, data: mujoco.MjData, step: int) -> np.ndarray:
        """The policy's action (29,) at policy step `step`; remembered as the next observation's last action."""
        obs = self.observation(model, data, step)
        action = self.actions(obs[None])[0]
        self.last_action = action
        return action

    def joint_targets(self, action: np.ndarray) -> np.ndarray:
        """PD position targets (29,): offset + action scale * action, the offset being the default pose or, for
        residual policies, the reference joint positions of the frame the last observation targeted."""
        return self.offset + self.action_scale * np.asarray(action, dtype=np.float64)
