"""Per-frame differential IK with mink (two stages as in GMR: root and feet, then the limbs), warm-started.

Limits (joint position with a margin, joint velocity) are passed to `mink.solve_ik` BY KEYWORD; GMR passes its
velocity limits positionally into the `safety_break` slot, so they are never applied there.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import mink
import mujoco
import numpy as np

from retarget import robot
from retarget.scaling import TOE_SITES, Targets

POSITION_BODIES = (
    "left_hip_roll_link", "right_hip_roll_link", "left_knee_link", "right_knee_link",
    "left_shoulder_roll_link", "right_shoulder_roll_link", "left_elbow_link", "right_elbow_link",
    "left_wrist_yaw_link", "right_wrist_yaw_link",
)  # fmt: skip


@dataclass(frozen=True)
class IKConfig:
    """Weights, iteration budget and limits of the per-frame IK."""

    root_pos: float = 100.0  # stage 1: pelvis and feet
    root_ori: float = 10.0
    feet_pos: float = 100.0
    feet_ori_stage1: float = 10.0
    limb_pos: float = 10.0  # stage 2: hips, knees, shoulders, elbows, wrists
    feet_ori: float = 50.0
    toe_pos: float = 0.0  # stage 2: toe points (0 = off)
    torso_ori: float = 0.0  # stage 2: torso orientation (0 = off)
    posture: float = 0.0  # regulariser towards the default pose (0 = off); see `posture_weights`
    posture_weights: dict[str, float] = field(default_factory=dict)  # joint-name substring -> multiplier
    iters_stage1: int = 10
    iters_stage2: int = 10
    first_frame_iters: int = 10  # per stage, for the cold start at frame 0
    tol: float | None = 1e-3  # stop a stage when its error drops by less than this (None: fixed iteration count)
    damping: float = 0.5
    solver: str = "daqp"
    use_limits: bool = True  # ConfigurationLimit + VelocityLimit, by keyword
    limit_margin: float = 0.02  # rad kept from every joint limit inside the IK
    max_joint_velocity: float = 20.0  # rad/s per joint (VelocityLimit)
    joint_bounds: dict[str, tuple[float, float]] = field(default_factory=dict)  # tighter ranges for sane poses
    collision_pairs: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = ()  # mink CollisionAvoidanceLimit
    collision_margin: float = 0.03  # m kept between the geoms of collision_pairs
    collision_detect: float = 0.08  # m at which a pair starts to constrain the step


def _arm(side: str) -> tuple[str, ...]:
    return tuple(f"{side}_{g}_collision" for g in ("hand", "wrist", "elbow_yaw"))


def _trunk(side: str) -> tuple[str, ...]:
    return ("pelvis_collision", "torso_collision", f"{side}_hip_collision", f"{side}_thigh_collision")


# Where retargeted human poses collide on the G1: hands into the (wide) hips and thighs, hands into each other
# (claps), legs and the inner edges of the feet into each other.
SELF_COLLISION_PAIRS = (
    (_arm("left"), _trunk("left")), (_arm("right"), _trunk("right")), (_arm("left"), _arm("right")),
    (("left_thigh_collision", "left_shin_collision", "left_linkage_brace_collision", "left_foot2_collision"),
     ("right_thigh_collision", "right_shin_collision", "right_linkage_brace_collision", "right_foot6_collision")),
)  # fmt: skip


# GMR's configuration as documented: two stages, weights 100/10 then 10/50, up to 10 iterations per stage while
# the error drops by more than 1e-3; mink's default ConfigurationLimit only (its velocity limits never apply).
GMR = IKConfig(use_limits=False)

# Ours: the same tasks plus toes, torso orientation and a posture regulariser; narrowed waist/wrist ranges;
# joint limits with a margin, velocity limits and self-collision avoidance, all by keyword; warm-started from the
# previous frame, so a fixed 1 + 2 iterations suffice (no error evaluations between them).
OURS = IKConfig(
    toe_pos=50.0, torso_ori=2.0, posture=0.02,
    posture_weights={"waist": 25.0, "wrist": 10.0, "hip_yaw": 2.0, "shoulder_yaw": 2.0, "ankle_roll": 5.0},
    iters_stage1=1, iters_stage2=2, first_frame_iters=15, tol=None, collision_pairs=SELF_COLLISION_PAIRS,
    joint_bounds={
        "waist_yaw_joint": (-1.0, 1.0), "waist_roll_joint": (-0.3, 0.3), "waist_pitch_joint": (-0.35, 0.5),
        "left_wrist_roll_joint": (-0.8, 0.8), "right_wrist_roll_joint": (-0.8, 0.8),
        "left_wrist_pitch_joint": (-0.7, 0.7), "right_wrist_pitch_joint": (-0.7, 0.7),
        "left_wrist_yaw_joint": (-0.7, 0.7), "right_wrist_yaw_joint": (-0.7, 0.7),
    },
)  # fmt: skip
PRESETS: dict[str, IKConfig] = {"ours": OURS, "gmr": GMR}


def ik_model(cfg: IKConfig = OURS) -> mujoco.MjModel:
    """The G1 model the IK works on (shared, read-only): toe sites added, ranges narrowed by `cfg.joint_bounds`."""
    return _ik_model(tuple(sorted(cfg.joint_bounds.items())))


@functools.lru_cache(maxsize=8)
def _ik_model(bounds: tuple[tuple[str, tuple[float, float]], ...]) -> mujoco.MjModel:
    spec = mujoco.MjSpec.from_file(str(robot.G1_XML))
    for body, site in zip(robot.FOOT_BODIES, TOE_SITES):
        spec.body(body).add_site(name=site, pos=robot.TOE_OFFSET.tolist())
    for name, (lo, hi) in bounds:
        j = spec.joint(name)
        j.range = [max(j.range[0], lo), min(j.range[1], hi)]
    return spec.compile()


class FrameIK:
    """A mink IK problem over the G1 that solves one frame of targets at a time, warm-started from the last."""

    def __init__(self, cfg: IKConfig = OURS, fps: float = 30.0):
        self.cfg = cfg
        self.dt = 1.0 / fps
        self.model = ik_model(cfg)
        self.configuration = mink.Configuration(self.model)

        def frame(name: str, ftype: str, pos: float, ori: float) -> mink.FrameTask:
            return mink.FrameTask(name, ftype, position_cost=pos, orientation_cost=ori, lm_damping=1.0)

        c = cfg
        self.stage1 = {
            "pelvis": frame("pelvis", "body", c.root_pos, c.root_ori),
            **{b: frame(b, "body", c.feet_pos, c.feet_ori_stage1) for b in robot.FOOT_BODIES},
        }
        self.stage2 = {
            "pelvis": frame("pelvis", "body", c.root_pos, c.root_ori),
            **{b: frame(b, "body", c.feet_pos, c.feet_ori) for b in robot.FOOT_BODIES},
            **{b: frame(b, "body", c.limb_pos, 0.0) for b in POSITION_BODIES},
        }
        if c.toe_pos > 0:
            self.stage2.update({s: frame(s, "site", c.toe_pos, 0.0) for s in TOE_SITES})
        if c.torso_ori > 0:
            self.stage2["torso_link"] = frame("torso_link", "body", 0.0, c.torso_ori)
        self.regularisers: list[mink.Task] = []
        if c.posture > 0:
            cost = np.zeros(self.model.nv)
            for k, name in enumerate(robot.JOINT_NAMES):
                mult = [w for key, w in c.posture_weights.items() if key in name]
                cost[6 + k] = c.posture * (mult[0] if mult else 1.0)
            posture = mink.PostureTask(self.model, cost=cost)
            posture.set_target(robot.default_qpos())
            self.regularisers.append(posture)
        self.limits: list[mink.Limit] = []
        if c.use_limits:
            self.limits = [
                mink.ConfigurationLimit(self.model, min_distance_from_limits=c.limit_margin),
                mink.VelocityLimit(self.model, {n: c.max_joint_velocity for n in robot.JOINT_NAMES}),
            ]
            if c.collision_pairs:
                self.limits.append(
                    mink.CollisionAvoidanceLimit(
                        self.model,
                        [(list(a), list(b)) for a, b in c.collision_pairs],
                        minimum_distance_from_collisions=c.collision_margin,
                        collision_detection_distance=c.collision_detect,
                    )  # fmt: skip
                )
        self._fallback_limits = [mink.ConfigurationLimit(self.model, min_distance_from_limits=c.limit_margin)]
        self.started = False

    def _set_targets(self, targets: Targets, t: int) -> None:
        for tasks in (self.stage1, self.stage2):
            for name, task in tasks.items():
                p = targets.positions.get(name)
                r = targets.orientations.get(name)
                if p is None:  # orientation-only task: any position (its cost is zero)
                    p = np.zeros(3)
                else:
                    p = p[t]
                rot = mink.SO3.from_matrix(r[t]) if r is not None else mink.SO3.identity()
                task.set_target(mink.SE3.from_rotation_and_translation(rot, p))

    def _error(self, tasks: list[mink.Task]) -> float:
        return float(sum(np.linalg.norm(task.compute_error(self.configuration)) for task in tasks))

    def _run_stage(self, tasks: list[mink.Task], iters: int, limits: list[mink.Limit] | None) -> int:
        # `limits` is always given by keyword; [] disables them, None means mink's default ConfigurationLimit.
        check = self.cfg.tol is not None or not self.started
        tol = self.cfg.tol if self.cfg.tol is not None else 1e-4
        err = self._error(tasks) if check else 0.0
        done = 0
        for _ in range(iters):
            try:
                vel = mink.solve_ik(
                    self.configuration, tasks + self.regularisers, self.dt, self.cfg.solver,
                    damping=self.cfg.damping, safety_break=False, limits=limits,
                )  # fmt: skip
            except mink.NoSolutionFound:
                # infeasible limits (e.g. a pose already in collision): keep only the joint-range limit this step
                vel = mink.solve_ik(
                    self.configuration, tasks + self.regularisers, self.dt, self.cfg.solver,
                    damping=self.cfg.damping, safety_break=False, limits=self._fallback_limits,
                )  # fmt: skip
            self.configuration.integrate_inplace(vel, self.dt)
            done += 1
            if check:
                new = self._error(tasks)
                if err - new < tol:
                    break
                err = new
        return done

    def solve(self, targets: Targets, t: int) -> np.ndarray:
        """Solve frame t of the targets from the previous solution (or a standing start); returns qpos (36,)."""
        if not self.started:
            q = robot.default_qpos()
            q[:3] = targets.positions["pelvis"][t]
            q[3:7] = mink.SO3.from_matrix(targets.orientations["pelvis"][t]).wxyz
            self.configuration.update(q)
        self._set_targets(targets, t)
        limits = self.limits if self.cfg.use_limits else None
        if not self.started:
            # cold start from the default pose: iterate until the error stops dropping
            n1 = n2 = self.cfg.first_frame_iters
        else:
            n1, n2 = self.cfg.iters_stage1, self.cfg.iters_stage2
        self.iterations = self._run_stage(list(self.stage1.values()), n1, limits)
        self.iterations += self._run_stage(list(self.stage2.values()), n2, limits)
        self.started = True
        return self.configuration.q.copy()


def solve_clip(targets: Targets, cfg: IKConfig = OURS, fps: float = 30.0, progress=None) -> tuple[np.ndarray, dict]:
    """IK over every frame of a clip in order (each warm-started from the previous); returns qpos (T, 36), stats."""
    ik = FrameIK(cfg, fps)
    out = np.empty((targets.num_frames, robot.NQ))
    iters = 0
    for t in range(targets.num_frames):
        out[t] = ik.solve(targets, t)
        iters += ik.iterations
        if progress is not None:
            progress.update(1)
    return out, {"iterations": iters}
