"""The universal motion command: every env tracks its own motion from a library, sampled by hard-negative mining.

It subclasses mjlab's single-motion `MotionCommand`, so mjlab's tracking rewards, terminations, observation terms
and debug visualisation work unchanged; what differs is where the reference comes from (a `MotionLib` queried by
per-env motion id and time, with future frames) and how episodes start (library sampling, failure statistics).

Timing: after a reset to the reference at time t0 the command already points at t0 + dt, i.e. the reference shown
to the policy is the state the robot should reach after this step; rewards compare against it after the step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
from mjlab.entity.data import compute_velocity_from_cvel
from mjlab.managers import CommandTerm
from mjlab.tasks.tracking.mdp import MotionCommand, MotionCommandCfg
from mjlab.utils.lab_api.math import quat_error_magnitude, quat_from_euler_xyz, quat_mul, sample_uniform

from controller.motion_lib import MotionLib, MotionState, motion_paths
from retarget.robot_motion import RobotMotion, load_robot_motion

if TYPE_CHECKING:
    from mjlab.envs import ManagerBasedRlEnv


class UniversalMotionCommand(MotionCommand):
    """Per-env (motion id, time) over a MotionLib; exposes current and future reference frames."""

    cfg: UniversalMotionCommandCfg

    def __init__(self, cfg: UniversalMotionCommandCfg, env: ManagerBasedRlEnv):
        CommandTerm.__init__(self, cfg, env)
        self.robot = env.scene[cfg.entity_name]
        self.robot_anchor_body_index = self.robot.body_names.index(cfg.anchor_body_name)
        self.motion_anchor_body_index = cfg.body_names.index(cfg.anchor_body_name)
        self.body_indexes = torch.tensor(
            self.robot.find_bodies(cfg.body_names, preserve_order=True)[0], dtype=torch.long, device=self.device
        )
        ids = self.robot.indexing.body_ids.to(self.device, torch.long)  # the robot's bodies in the sim's arrays
        self._sim_body_ids = ids[self.body_indexes]
        self._sim_anchor_id = ids[self.robot_anchor_body_index : self.robot_anchor_body_index + 1]
        self._sim_root_id = ids.new_tensor([self.robot.indexing.root_body_id])
        motions, names = cfg.load_motions()
        if tuple(motions[0].joint_names) != tuple(self.robot.joint_names):
            raise ValueError("motion joint order differs from the robot's joint order")
        self.library = MotionLib(
            motions, cfg.body_names, names=names, device=self.device, bin_seconds=cfg.bin_seconds,
            uniform_ratio=cfg.uniform_ratio, failure_alpha=cfg.failure_alpha,
        )  # fmt: skip
        n = self.num_envs
        self.motion_ids = torch.zeros(n, dtype=torch.long, device=self.device)
        self.motion_times = torch.zeros(n, device=self.device)
        self.forced_motion_ids: torch.Tensor | None = None  # evaluation: env i always plays this motion from 0
        self.future_offsets = torch.tensor(cfg.future_steps, dtype=torch.float32, device=self.device) * env.step_dt
        self.time_steps = torch.zeros(n, dtype=torch.long, device=self.device)  # frame index, for mjlab's viewer
        self.future = self._query(torch.arange(n, device=self.device))
        nb = len(cfg.body_names)
        self.body_pos_relative_w = torch.zeros(n, nb, 3, device=self.device)
        self.body_quat_relative_w = torch.zeros(n, nb, 4, device=self.device)
        self.body_quat_relative_w[..., 0] = 1.0
        for key in (
            "error_anchor_pos", "error_anchor_rot", "error_anchor_lin_vel", "error_anchor_ang_vel", "error_body_pos",
            "error_body_rot", "error_joint_pos", "error_joint_vel", "sampling_entropy", "sampling_top1_prob",
        ):  # fmt: skip
            self.metrics[key] = torch.zeros(n, device=self.device)
        self._ghost_model = None
        self._ghost_color = np.array(cfg.viz.ghost_color, dtype=np.float32)
        self._pending_forward = False

    # Reference access: `future` holds (N, F, ...) tensors; frame 0 is the current target.

    def _query(self, env_ids: torch.Tensor) -> MotionState:
        ids = self.motion_ids[env_ids, None].expand(-1, len(self.cfg.future_steps))
        times = self.motion_times[env_ids, None] + self.future_offsets
        return self.library.state(ids, times)

    def _refresh(self) -> None:
        self.future = self._query(torch.arange(self.num_envs, device=self.device))
        self.time_steps = torch.round(self.motion_times * self.library.fps[self.motion_ids]).long()

    @property
    def motion_durations(self) -> torch.Tensor:
        """Duration (s) of each env's motion."""
        return self.library.durations[self.motion_ids]

    @property
    def joint_pos(self) -> torch.Tensor:
        return self.future.joint_pos[:, 0]

    @property
    def joint_vel(self) -> torch.Tensor:
        return self.future.joint_vel[:, 0]

    @property
    def body_pos_w(self) -> torch.Tensor:
        return self.future.body_pos_w[:, 0] + self._env.scene.env_origins[:, None, :]

    @property
    def body_quat_w(self) -> torch.Tensor:
        return self.future.body_quat_w[:, 0]

    @property
    def body_lin_vel_w(self) -> torch.Tensor:
        return self.future.body_lin_vel_w[:, 0]

    @property
    def body_ang_vel_w(self) -> torch.Tensor:
        return self.future.body_ang_vel_w[:, 0]

    @property
    def anchor_pos_w(self) -> torch.Tensor:
        return self.body_pos_w[:, self.motion_anchor_body_index]

    @property
    def anchor_quat_w(self) -> torch.Tensor:
        return self.body_quat_w[:, self.motion_anchor_body_index]

    @property
    def anchor_lin_vel_w(self) -> torch.Tensor:
        return self.body_lin_vel_w[:, self.motion_anchor_body_index]

    @property
    def anchor_ang_vel_w(self) -> torch.Tensor:
        return self.body_ang_vel_w[:, self.motion_anchor_body_index]

    # The robot's side, read from the sim's rows of the tracked bodies only. mjlab's properties give the same
    # values but gather (and, for poses and velocities, concatenate) all of the robot's bodies to slice one or a
    # few; the terms read them about 40 times an env step, a fifth of the CPU backend's time outside physics.

    def _rows(self, field: str, bodies: torch.Tensor, env_ids: torch.Tensor | None = None) -> torch.Tensor:
        value = getattr(self.robot.data.data, field)
        value = value if env_ids is None else value[env_ids]
        return value.index_select(1, bodies)

    def _lin_vel(self, bodies: torch.Tensor, env_ids: torch.Tensor | None = None) -> torch.Tensor:
        subtree_com = self._rows("subtree_com", self._sim_root_id, env_ids)
        return compute_velocity_from_cvel(
            self._rows("xpos", bodies, env_ids), subtree_com, self._rows("cvel", bodies, env_ids)
        )[..., :3]

    @property
    def robot_body_pos_w(self) -> torch.Tensor:
        return self._rows("xpos", self._sim_body_ids)

    @property
    def robot_body_quat_w(self) -> torch.Tensor:
        return self._rows("xquat", self._sim_body_ids)

    @property
    def robot_body_lin_vel_w(self) -> torch.Tensor:
        return self._lin_vel(self._sim_body_ids)

    @property
    def robot_body_ang_vel_w(self) -> torch.Tensor:
        return self._rows("cvel", self._sim_body_ids)[..., :3]

    @property
    def robot_anchor_pos_w(self) -> torch.Tensor:
        return self._rows("xpos", self._sim_anchor_id)[:, 0]

    @property
    def robot_anchor_quat_w(self) -> torch.Tensor:
        return self._rows("xquat", self._sim_anchor_id)[:, 0]

    @property
    def robot_anchor_lin_vel_w(self) -> torch.Tensor:
        return self._lin_vel(self._sim_anchor_id)[:, 0]

    @property
    def robot_anchor_ang_vel_w(self) -> torch.Tensor:
        return self._rows("cvel", self._sim_anchor_id)[:, 0, :3]

    # Episode metrics: mjlab's CommandTerm logs them only for the envs that reset, so they are computed there, for
    # those envs, from the state the terminations just judged (mjlab computes them for every env every step and
    # logs the previous step's).

    def _update_metrics(self) -> None:
        """Nothing per step; see `reset`."""

    def _tracking_errors(self, env_ids: torch.Tensor) -> None:
        """The reference side through its (cheap, all-env) properties, the robot side for `env_ids` only."""
        m, a, b = self.metrics, self._sim_anchor_id, self._sim_body_ids
        anchor_pos, anchor_quat = self._rows("xpos", a, env_ids)[:, 0], self._rows("xquat", a, env_ids)[:, 0]
        anchor_ang_vel = self._rows("cvel", a, env_ids)[:, 0, :3]
        m["error_anchor_pos"][env_ids] = torch.norm(self.anchor_pos_w[env_ids] - anchor_pos, dim=-1)
        m["error_anchor_rot"][env_ids] = quat_error_magnitude(self.anchor_quat_w[env_ids], anchor_quat)
        m["error_anchor_lin_vel"][env_ids] = torch.norm(
            self.anchor_lin_vel_w[env_ids] - self._lin_vel(a, env_ids)[:, 0], dim=-1
        )
        m["error_anchor_ang_vel"][env_ids] = torch.norm(self.anchor_ang_vel_w[env_ids] - anchor_ang_vel, dim=-1)
        body_pos, body_quat = self._rows("xpos", b, env_ids), self._rows("xquat", b, env_ids)
        m["error_body_pos"][env_ids] = torch.norm(self.body_pos_relative_w[env_ids] - body_pos, dim=-1).mean(-1)
        m["error_body_rot"][env_ids] = quat_error_magnitude(self.body_quat_relative_w[env_ids], body_quat).mean(-1)
        robot = self.robot.data
        m["error_joint_pos"][env_ids] = torch.norm(self.joint_pos[env_ids] - robot.joint_pos[env_ids], dim=-1)
        m["error_joint_vel"][env_ids] = torch.norm(self.joint_vel[env_ids] - robot.joint_vel[env_ids], dim=-1)

    def reset(self, env_ids: torch.Tensor | slice | None) -> dict[str, float]:
        if isinstance(env_ids, torch.Tensor) and len(env_ids):
            self._tracking_errors(env_ids)
        return super().reset(env_ids)

    # Sampling and episode bookkeeping.

    def _record_ended(self, env_ids: torch.Tensor) -> None:
        tm = self._env.termination_manager
        if self._env.common_step_counter == 0 or not hasattr(tm, "terminated"):
            return
        failed = tm.terminated[env_ids]
        completed = ~failed & tm.time_outs[env_ids]
        # The failure happened at the previous target time.
        t = self.motion_times[env_ids] - self._env.step_dt
        self.library.record_episodes(self.motion_ids[env_ids], t, failed, completed)

    def _resample_command(self, env_ids: torch.Tensor) -> None:
        self._record_ended(env_ids)
        n = len(env_ids)
        if self.forced_motion_ids is not None:
            self.motion_ids[env_ids] = self.forced_motion_ids[env_ids]
            self.motion_times[env_ids] = 0.0
        elif self.cfg.sampling_mode == "start":
            self.motion_ids[env_ids] = torch.randint(0, self.library.num_motions, (n,), device=self.device)
            self.motion_times[env_ids] = 0.0
        elif self.cfg.sampling_mode == "uniform":
            self.motion_ids[env_ids] = torch.randint(0, self.library.num_motions, (n,), device=self.device)
            self.motion_times[env_ids] = torch.rand(n, device=self.device) * self.motion_durations[env_ids]
        else:
            self.motion_ids[env_ids], self.motion_times[env_ids] = self.library.sample(n)
        probs = self.library.sampling_probabilities()
        self.metrics["sampling_entropy"][:] = -(probs * (probs + 1e-12).log()).sum() / max(np.log(len(probs)), 1e-9)
        self.metrics["sampling_top1_prob"][:] = probs.max()

        start = self.library.state(self.motion_ids[env_ids], self.motion_times[env_ids])
        root_pos = start.body_pos_w[:, 0] + self._env.scene.env_origins[env_ids]
        root_ori = start.body_quat_w[:, 0]
        root_lin_vel = start.body_lin_vel_w[:, 0].clone()
        root_ang_vel = start.body_ang_vel_w[:, 0].clone()
        joint_pos = start.joint_pos.clone()
        keys = ["x", "y", "z", "roll", "pitch", "yaw"]
        pose = torch.tensor([self.cfg.pose_range.get(k, (0.0, 0.0)) for k in keys], device=self.device)
        r = sample_uniform(pose[:, 0], pose[:, 1], (n, 6), device=self.device)
        root_pos = root_pos + r[:, :3]
        root_ori = quat_mul(quat_from_euler_xyz(r[:, 3], r[:, 4], r[:, 5]), root_ori)
        vel = torch.tensor([self.cfg.velocity_range.get(k, (0.0, 0.0)) for k in keys], device=self.device)
        r = sample_uniform(vel[:, 0], vel[:, 1], (n, 6), device=self.device)
        root_lin_vel += r[:, :3]
        root_ang_vel += r[:, 3:]
        lo, hi = self.cfg.joint_position_range
        if hi > lo:
            joint_pos += sample_uniform(lo, hi, joint_pos.shape, device=self.device)
        self._write_reference_state_to_sim(
            env_ids, root_pos, root_ori, root_lin_vel, root_ang_vel, joint_pos, start.joint_vel
        )

    def _update_command(self, env_ids: torch.Tensor | None = None) -> None:
        if env_ids is None:
            self.motion_times += self._env.step_dt
            self.library.update(self.motion_ids, self.motion_times)
        else:
            self.motion_times[env_ids] += self._env.step_dt
        self._refresh()
        self.update_relative_body_poses()

    def reset_to_time(self, env_ids: torch.Tensor, motion_ids: torch.Tensor, time: float = 0.0) -> None:
        """Put envs exactly on the reference (no perturbation) of given motions at `time` (s)."""
        self.motion_ids[env_ids] = motion_ids
        self.motion_times[env_ids] = time
        s = self.library.state(motion_ids, self.motion_times[env_ids])
        root_pos = s.body_pos_w[:, 0] + self._env.scene.env_origins[env_ids]
        self._write_reference_state_to_sim(
            env_ids, root_pos, s.body_quat_w[:, 0], s.body_lin_vel_w[:, 0], s.body_ang_vel_w[:, 0],
            s.joint_pos, s.joint_vel,
        )  # fmt: skip

    def reset_to_frame(self, env_ids: torch.Tensor, frame: int) -> None:
        """mjlab viewer hook: jump to a frame of each env's current motion."""
        t = float(frame) / float(self.library.fps[self.motion_ids[env_ids][0]])
        self.reset_to_time(env_ids, self.motion_ids[env_ids], t)

    def create_gui(self, *args, **kwargs) -> None:
        """The single-motion scrubber of mjlab does not apply to a library; no GUI controls."""


@dataclass(kw_only=True)
class UniversalMotionCommandCfg(MotionCommandCfg):
    """Config of the universal command: motion source (files/directories or in-memory motions), future frames."""

    motion_file: str = ""
    motions: Sequence[str | Path | RobotMotion | tuple[str, RobotMotion]] = field(default_factory=tuple)
    future_steps: tuple[int, ...] = (0, 1, 5, 10)
    bin_seconds: float = 1.0
    uniform_ratio: float = 0.1
    failure_alpha: float = 0.001

    def load_motions(self) -> tuple[list[RobotMotion], list[str]]:
        """Resolve `motions` into RobotMotion objects and names."""
        motions: list[RobotMotion] = []
        names: list[str] = []
        for i, item in enumerate(self.motions):
            if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], RobotMotion):
                names.append(str(item[0]))
                motions.append(item[1].validate())
            elif isinstance(item, RobotMotion):
                names.append(f"motion_{i}")
                motions.append(item.validate())
            else:
                for p in motion_paths(item):
                    motions.append(load_robot_motion(p))
                    names.append(p.stem)
        if not motions:
            raise ValueError("UniversalMotionCommandCfg.motions is empty")
        return motions, names

    def build(self, env: ManagerBasedRlEnv) -> UniversalMotionCommand:
        return UniversalMotionCommand(self, env)
