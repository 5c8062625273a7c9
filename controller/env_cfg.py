"""The universal G1 tracking task as one mjlab manager-based env config.

Starts from mjlab's G1 flat tracking config (robot entity with actuators, self-collision sensor, action scale,
BeyondMimic rewards and terminations) and replaces what differs: the library motion command with future frames,
the deployable actor / privileged critic observations, PHC's body-deviation, world-drift and motion-end
terminations, and a switchable domain randomisation set.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from pathlib import Path

from mjlab.envs import ManagerBasedRlEnvCfg
from mjlab.envs import mdp as envs_mdp
from mjlab.envs.mdp import dr
from mjlab.managers.event_manager import EventTermCfg
from mjlab.managers.observation_manager import ObservationGroupCfg, ObservationTermCfg
from mjlab.managers.scene_entity_config import SceneEntityCfg
from mjlab.managers.termination_manager import TerminationTermCfg
from mjlab.tasks.tracking import mdp as tracking_mdp
from mjlab.tasks.tracking.config.g1.env_cfgs import unitree_g1_flat_tracking_env_cfg
from mjlab.tasks.tracking.mdp import MotionCommandCfg
from mjlab.utils.noise import UniformNoiseCfg as Unoise

from controller import mdp
from controller.config import ANCHOR_BODY, END_EFFECTORS, TRACKED_BODIES, TaskCfg
from controller.mdp.actions import ResidualJointPositionActionCfg
from retarget.robot_motion import RobotMotion

CMD = "motion"


def _actor_terms(
    noise: bool, odometry: bool, odometry_noise: tuple[float, float] = (0.0, 0.0)
) -> dict[str, ObservationTermCfg]:
    """The deployable actor observation, in `controller.tracking_obs.actor_terms(odometry)` order."""
    p = {"command_name": CMD}

    def n(lo: float) -> Unoise | None:
        return Unoise(n_min=-lo, n_max=lo) if noise else None

    terms = {
        "ref_joint_pos": ObservationTermCfg(func=mdp.ref_joint_pos, params=p),
        "ref_joint_vel": ObservationTermCfg(func=mdp.ref_joint_vel, params=p),
        "ref_anchor_ori": ObservationTermCfg(func=mdp.ref_anchor_ori, params=p, noise=n(0.05)),
        "ref_body_pos": ObservationTermCfg(func=mdp.ref_body_pos, params=p),
        "body_pos_diff": ObservationTermCfg(func=mdp.body_pos_diff, params=p, noise=n(0.02)),
        "projected_gravity": ObservationTermCfg(func=envs_mdp.projected_gravity, noise=n(0.05)),
        "base_ang_vel": ObservationTermCfg(func=envs_mdp.base_ang_vel, noise=n(0.2)),
        "joint_pos": ObservationTermCfg(func=envs_mdp.joint_pos_rel, params={"biased": True}, noise=n(0.01)),
        "joint_vel": ObservationTermCfg(func=envs_mdp.joint_vel_rel, noise=n(0.5)),
        "actions": ObservationTermCfg(func=envs_mdp.last_action),
    }
    if odometry:  # a state estimate, with TaskCfg.odometry_noise
        pos_noise, vel_noise = odometry_noise
        terms["ref_anchor_pos"] = ObservationTermCfg(func=mdp.ref_anchor_pos, params=p, noise=n(pos_noise))
        terms["base_lin_vel"] = ObservationTermCfg(func=envs_mdp.base_lin_vel, noise=n(vel_noise))
    return terms


def _critic_terms() -> dict[str, ObservationTermCfg]:
    """The privileged critic: the proprioceptive actor terms without noise plus world-frame errors and the robot's
    body poses (which hold the odometry terms' information)."""
    p = {"command_name": CMD}
    terms = _actor_terms(noise=False, odometry=False)
    terms["joint_pos"] = ObservationTermCfg(func=envs_mdp.joint_pos_rel)
    terms.update(
        {
            "anchor_pos_b": ObservationTermCfg(func=tracking_mdp.motion_anchor_pos_b, params=p),
            "base_lin_vel": ObservationTermCfg(func=envs_mdp.base_lin_vel),
            "body_pos_b": ObservationTermCfg(func=tracking_mdp.robot_body_pos_b, params=p),
            "body_ori_b": ObservationTermCfg(func=tracking_mdp.robot_body_ori_b, params=p),
            "body_pos_error": ObservationTermCfg(func=mdp.body_pos_error_w, params=p),
            "body_lin_vel_error": ObservationTermCfg(func=mdp.body_lin_vel_error, params=p),
            "body_ang_vel_error": ObservationTermCfg(func=mdp.body_ang_vel_error, params=p),
        }
    )
    return terms


def make_env_cfg(
    motions: Sequence[str | Path | RobotMotion | tuple[str, RobotMotion]],
    task: TaskCfg | None = None,
    num_envs: int = 8,
    seed: int | None = 0,
) -> ManagerBasedRlEnvCfg:
    """The env config for `num_envs` envs tracking any motion of the library `motions`."""
    task = task or TaskCfg()
    cfg = unitree_g1_flat_tracking_env_cfg()
    cfg.scene.num_envs = num_envs
    cfg.seed = seed
    cfg.episode_length_s = task.episode_length_s

    base = cfg.commands[CMD]
    assert isinstance(base, MotionCommandCfg)
    cfg.commands[CMD] = mdp.UniversalMotionCommandCfg(
        entity_name="robot",
        resampling_time_range=(1.0e9, 1.0e9),
        debug_vis=False,
        motions=tuple(motions),
        anchor_body_name=ANCHOR_BODY,
        body_names=TRACKED_BODIES,
        pose_range=dict(base.pose_range) if task.reference_init_noise else {},
        velocity_range=dict(base.velocity_range) if task.reference_init_noise else {},
        joint_position_range=base.joint_position_range if task.reference_init_noise else (0.0, 0.0),
        sampling_mode=task.sampling if task.sampling in ("uniform", "start") else "adaptive",
        future_steps=task.future_steps,
        bin_seconds=task.bin_seconds,
        uniform_ratio=task.uniform_ratio,
        failure_alpha=task.failure_alpha,
    )

    if task.action_offset == "reference":
        base_action = cfg.actions["joint_pos"]
        fields = {f.name: getattr(base_action, f.name) for f in dataclasses.fields(base_action) if f.init}
        cfg.actions["joint_pos"] = ResidualJointPositionActionCfg(**{**fields, "use_default_offset": False})
    elif task.action_offset != "default":
        raise ValueError(f"unknown action_offset {task.action_offset!r}; choose 'reference' or 'default'")

    cfg.observations = {
        "actor": ObservationGroupCfg(
            terms=_actor_terms(task.observation_noise, task.actor_odometry, task.odometry_noise),
            concatenate_terms=True,
            enable_corruption=task.observation_noise,
        ),
        "critic": ObservationGroupCfg(terms=_critic_terms(), concatenate_terms=True, enable_corruption=False),
    }

    # Rewards: mjlab's BeyondMimic set (anchor/body pos, ori, lin/ang vel exp kernels, action rate, joint limits,
    # self-collision) is kept as it is; it reads the command through the MotionCommand interface.

    t = cfg.terminations
    t["anchor_pos"].params["threshold"] = task.anchor_height_m
    t["anchor_ori"].params["threshold"] = task.anchor_gravity_z
    t["ee_body_pos"].params["threshold"] = task.end_effector_height_m
    t["ee_body_pos"].params["body_names"] = END_EFFECTORS
    t["body_deviation"] = TerminationTermCfg(
        func=tracking_mdp.bad_motion_body_pos, params={"command_name": CMD, "threshold": task.body_deviation_m}
    )
    if task.world_drift_m > 0:
        t["world_drift"] = TerminationTermCfg(
            func=mdp.world_drift, params={"command_name": CMD, "threshold": task.world_drift_m}
        )
    t["motion_end"] = TerminationTermCfg(func=mdp.motion_end, params={"command_name": CMD}, time_out=True)

    if task.domain_randomization:
        robot_cfg = cfg.scene.entities["robot"]
        robot_cfg.articulation = dataclasses.replace(
            robot_cfg.articulation,
            actuators=tuple(
                dataclasses.replace(a, delay_min_lag=0, delay_max_lag=task.action_delay_steps)
                for a in robot_cfg.articulation.actuators
            ),
        )
        cfg.events["body_mass"] = EventTermCfg(
            mode="startup",
            func=dr.pseudo_inertia,
            params={"alpha_range": (0.5 * math.log(0.9), 0.5 * math.log(1.1)), "asset_cfg": SceneEntityCfg("robot")},
        )
        cfg.events["pd_gains"] = EventTermCfg(
            mode="startup",
            func=dr.pd_gains,
            params={"kp_range": (0.9, 1.1), "kd_range": (0.9, 1.1), "asset_cfg": SceneEntityCfg("robot")},
        )
    else:
        for name in ("push_robot", "base_com", "encoder_bias", "foot_friction"):
            cfg.events.pop(name, None)
    return cfg


def evaluation_cfg(
    motions: Sequence[str | Path | RobotMotion | tuple[str, RobotMotion]],
    task: TaskCfg,
    num_envs: int,
    seed: int,
    dr: bool = False,
    pushes: bool = False,
) -> tuple[ManagerBasedRlEnvCfg, dict[str, TerminationTermCfg]]:
    """Evaluation: every motion from frame 0 without perturbation, observation noise on, randomisation and pushes
    off unless asked (robustness); episodes end only at the motion end; the training terminations are returned
    for the evaluator to check."""
    eval_task = dataclasses.replace(
        task, domain_randomization=dr, observation_noise=True, reference_init_noise=False, sampling="start"
    )
    cfg = make_env_cfg(motions, eval_task, num_envs=num_envs, seed=seed)
    if dr and not pushes:
        cfg.events.pop("push_robot", None)
    elif pushes and not dr:
        full = make_env_cfg(motions, dataclasses.replace(eval_task, domain_randomization=True), num_envs, seed)
        cfg.events["push_robot"] = full.events["push_robot"]
    cfg.episode_length_s = 1.0e6
    training_terms = {k: v for k, v in cfg.terminations.items() if k not in ("time_out", "motion_end")}
    cfg.terminations = {"motion_end": cfg.terminations["motion_end"]}
    return cfg, training_terms
