"""Policy files: the deployment metadata stored in every checkpoint, loading checkpoints, and the inference actor.

A checkpoint is rsl-rl's dict (actor/critic/optimizer state, iter) whose `infos["controller"]` holds everything
needed to run the policy without the training env: joint order, default pose, kp/kd, action scale, rates, the
observation layout and the task config. Importing this module does not import mjlab.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import TYPE_CHECKING

import torch
from tensordict import TensorDict

from controller import tracking_obs
from controller.config import POLICY_DT, TaskCfg
from generator.motion.errors import InputError

if TYPE_CHECKING:
    from mjlab.envs import ManagerBasedRlEnv

METADATA_VERSION = 1


def deploy_metadata(env: ManagerBasedRlEnv, task: TaskCfg, ppo: dict) -> dict:
    """Everything a deployment needs, read from the live env (so it cannot drift from training)."""
    from mjlab.envs.mdp.actions import JointPositionAction

    robot = env.scene["robot"]
    cmd = env.command_manager.get_term("motion")
    action = env.action_manager.get_term("joint_pos")
    assert isinstance(action, JointPositionAction)
    ctrl_of = {a.target.split("/")[-1]: a.id for a in robot.spec.actuators}
    ctrl = [ctrl_of[j] for j in robot.joint_names]
    mj = env.sim.mj_model
    scale = action.scale
    scale = scale[0].cpu().tolist() if isinstance(scale, torch.Tensor) else [float(scale)] * len(robot.joint_names)
    nj, nb, nf = len(robot.joint_names), len(cmd.cfg.body_names), len(task.future_steps)
    return {
        "version": METADATA_VERSION,
        "joint_names": list(robot.joint_names),
        "default_joint_pos": robot.data.default_joint_pos[0].cpu().tolist(),
        "kp": mj.actuator_gainprm[ctrl, 0].tolist(),
        "kd": (-mj.actuator_biasprm[ctrl, 2]).tolist(),
        "armature": mj.dof_armature[[robot.indexing.joint_v_adr[i].item() for i in range(nj)]].tolist(),
        "effort_limit": mj.actuator_forcerange[ctrl, 1].tolist(),
        "action_scale": scale,
        "action_offset": task.action_offset,  # PD target = (reference joint pos | default pose) + scale * action
        "control_hz": 1.0 / env.step_dt,
        "policy_dt": env.step_dt,
        "physics_dt": env.physics_dt,
        "decimation": env.cfg.decimation,
        "anchor_body": cmd.cfg.anchor_body_name,
        "tracked_bodies": list(cmd.cfg.body_names),
        "future_steps": list(task.future_steps),
        "observation_terms": tracking_obs.layout(nj, nb, nf, tracking_obs.actor_terms(task.actor_odometry)),
        "observation_dim": int(env.observation_manager.group_obs_dim["actor"][0]),
        "action_dim": nj,
        "quaternion_order": "wxyz",
        "reference_time": "observation at policy step k uses the reference at time (k + 1) * policy_dt",
        "task": task.to_dict(),
        "ppo": ppo,
    }


def load_checkpoint(path: str | Path) -> dict:
    """Load an rsl-rl checkpoint written by controller.train; InputError with one line on any problem."""
    from generator.model.weights import load_torch_state

    ckpt = load_torch_state(Path(path), "policy checkpoint")
    meta = (ckpt.get("infos") or {}).get("controller") if isinstance(ckpt, dict) else None
    if not isinstance(meta, dict) or "actor_state_dict" not in ckpt:
        raise InputError(f"{path}: not a controller policy checkpoint (no actor weights or deploy metadata)")
    return ckpt


class InferenceActor(torch.nn.Module):
    """The deterministic actor with its observation normaliser folded in: obs (N, D) -> action (N, 29)."""

    def __init__(self, normalizer: torch.nn.Module, mlp: torch.nn.Module, output: torch.nn.Module, obs_dim: int):
        super().__init__()
        self.obs_normalizer = normalizer
        self.mlp = mlp
        self.deterministic_output = output
        self.input_size = obs_dim

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        return self.deterministic_output(self.mlp(self.obs_normalizer(obs)))


def build_actor(ckpt: dict) -> InferenceActor:
    """Rebuild the actor of a checkpoint as an eval-mode CPU module (rsl-rl's MLPModel, exported form)."""
    from rsl_rl.models.mlp_model import MLPModel

    meta = ckpt["infos"]["controller"]
    ppo = meta["ppo"]
    obs_dim, act_dim = int(meta["observation_dim"]), int(meta["action_dim"])
    model = MLPModel(
        TensorDict({"actor": torch.zeros(1, obs_dim)}, batch_size=[1]),
        {"actor": ["actor"]},
        "actor",
        act_dim,
        hidden_dims=tuple(ppo["hidden_dims"]),
        activation=ppo["activation"],
        obs_normalization=True,
        distribution_cfg={"class_name": "GaussianDistribution", "init_std": ppo["init_std"], "std_type": "scalar"},
    )
    try:
        model.load_state_dict(ckpt["actor_state_dict"], strict=True)
    except RuntimeError as e:
        raise InputError(f"checkpoint actor weights do not match its metadata ({str(e).splitlines()[0]})") from None
    exported = model.as_onnx(verbose=False)
    actor = InferenceActor(
        copy.deepcopy(exported.obs_normalizer), copy.deepcopy(exported.mlp), exported.deterministic_output, obs_dim
    )
    return actor.eval()


def policy_dt(meta: dict) -> float:
    """Control period of a policy's metadata (s)."""
    return float(meta.get("policy_dt", POLICY_DT))


def widen_observation(ckpt: dict, layout: list[dict], normalizer_count: int = 100_000) -> dict:
    """A copy of a checkpoint whose actor reads the larger observation `layout` (a superset of its own terms) and
    acts exactly as before: the first layer's weights for the new inputs are zero, as are their optimiser moments;
    the new inputs' normaliser starts at mean 0, variance 1, and its sample count is capped at `normalizer_count`
    so that their statistics adapt within a few iterations (a warm start, as net2net widens a layer)."""
    meta = ckpt["infos"]["controller"]
    old = {t["name"]: (t["start"], t["stop"]) for t in meta["observation_terms"]}
    new = {t["name"]: (t["start"], t["stop"]) for t in layout}
    for name, (a, b) in old.items():
        if name not in new or new[name][1] - new[name][0] != b - a:
            raise InputError(f"cannot widen the policy's observation: term {name!r} is missing or resized")
    new_dim = max(stop for _, stop in new.values())
    if new_dim == int(meta["observation_dim"]):
        raise InputError("the policy already reads that observation; nothing to widen")
    src = torch.cat([torch.arange(*old[n]) for n in old])
    dst = torch.cat([torch.arange(*new[n]) for n in old])

    def widen(t: torch.Tensor, fill: float) -> torch.Tensor:
        out = torch.full((*t.shape[:-1], new_dim), fill, dtype=t.dtype)
        out[..., dst] = t[..., src]
        return out

    out = copy.deepcopy(ckpt)
    actor = out["actor_state_dict"]
    first = actor["mlp.0.weight"]
    for key, fill in (("obs_normalizer._mean", 0.0), ("obs_normalizer._var", 1.0), ("obs_normalizer._std", 1.0)):
        actor[key] = widen(actor[key], fill)
    actor["obs_normalizer.count"] = torch.clamp(actor["obs_normalizer.count"], max=normalizer_count)
    actor["mlp.0.weight"] = widen(first, 0.0)
    moments = [s for s in out["optimizer_state_dict"]["state"].values() if s["exp_avg"].shape == first.shape]
    if len(moments) != 1:
        raise InputError("cannot widen the policy's observation: the optimiser state is not rsl-rl's")
    for key in ("exp_avg", "exp_avg_sq"):
        moments[0][key] = widen(moments[0][key], 0.0)
    out["infos"]["controller"] = {**meta, "observation_terms": layout, "observation_dim": new_dim}
    return out
