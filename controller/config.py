"""Typed configuration of the tracking task and of PPO training, with the named presets `cpu` and `gpu`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from generator.motion.configs import choose_preset, config_from_dict

# mjlab's 14 tracked bodies (BeyondMimic) and the anchor body.
TRACKED_BODIES: tuple[str, ...] = (
    "pelvis",
    "left_hip_roll_link", "left_knee_link", "left_ankle_roll_link",
    "right_hip_roll_link", "right_knee_link", "right_ankle_roll_link",
    "torso_link",
    "left_shoulder_roll_link", "left_elbow_link", "left_wrist_yaw_link",
    "right_shoulder_roll_link", "right_elbow_link", "right_wrist_yaw_link",
)  # fmt: skip
ANCHOR_BODY = "torso_link"
END_EFFECTORS: tuple[str, ...] = (
    "left_ankle_roll_link", "right_ankle_roll_link", "left_wrist_yaw_link", "right_wrist_yaw_link",
)  # fmt: skip
POLICY_DT = 0.02  # 50 Hz policy (physics 200 Hz, decimation 4)
PHYSICS_DT = 0.005
DECIMATION = 4

# The shipped default policy (the CPU run, resumable from checkpoints/g1_tracking_cpu/resume) and its ONNX export.
DEFAULT_POLICY = Path(__file__).resolve().parent / "checkpoints" / "g1_tracking_cpu"  # ONNX + JSON
DEFAULT_POLICY_EXPORT = DEFAULT_POLICY
# The shipped policy is a trained one (in-place 30 of 30, locomotion 11 of 12 of the evaluation clips), so the demo
# drives the robot with it; `sim.demo --pd` shows the reference-PD baseline instead.
DEFAULT_POLICY_TRACKS = True

# Where the retargeted procedural library is expected (written by `python -m retarget ...`, see README).
DEFAULT_MOTION_DIR = Path("data/robot_motions")


@dataclass(frozen=True)
class TaskCfg:
    """The universal tracking task: what is observed, how motions are sampled, terminations, randomisation."""

    future_steps: tuple[int, ...] = (0, 1, 5, 10)  # reference frames in the observation, in policy steps ahead
    domain_randomization: bool = True  # friction, mass, CoM, kp/kd, pushes, action delay, encoder bias
    observation_noise: bool = True
    reference_init_noise: bool = True  # perturb the reference-state init (pose, velocity, joints)
    sampling: str = "adaptive"  # adaptive (hard-negative mining) | uniform | start (frame 0 of a random motion)
    uniform_ratio: float = 0.1
    failure_alpha: float = 0.001
    bin_seconds: float = 1.0
    episode_length_s: float = 20.0
    body_deviation_m: float = 0.5  # any tracked body this far from its (anchor-aligned) reference ends the episode
    anchor_height_m: float = 0.25
    anchor_gravity_z: float = 0.8
    end_effector_height_m: float = 0.25
    action_delay_steps: int = 4  # max actuator command delay in physics steps (4 = one policy step)
    # PD target = offset + scale * action, the offset being the reference joint positions of the step's target
    # frame ("reference": residual actions, zero action replays the reference) or the default pose ("default").
    action_offset: str = "reference"
    # The actor also observes the reference anchor's position in its own anchor frame and the pelvis linear velocity
    # (a state estimator on hardware, as BeyondMimic's default); without them walks drift from the reference.
    actor_odometry: bool = True
    # End the episode when the torso lags or leads the reference by this much horizontally (PHC's 0.5 m failure
    # distance); 0 turns it off. Only a policy that observes odometry can correct such drift.
    world_drift_m: float = 0.5
    # Uniform noise half-widths on the two odometry terms: anchor position (m), pelvis velocity (m/s). BeyondMimic's
    # (0.25, 0.5) hides a lag the size of PHC's 0.5 m failure distance in white noise; PHC observes these exactly.
    odometry_noise: tuple[float, float] = (0.05, 0.2)

    def to_dict(self) -> dict:
        """Plain-data form stored in checkpoints."""
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> TaskCfg:
        """Inverse of to_dict (tuples restored; an unknown key is an error naming it). Configs written before
        `actor_odometry` existed had neither odometry terms nor the drift termination, and those before
        `odometry_noise` had BeyondMimic's (0.25, 0.5)."""
        cfg = config_from_dict(cls, {"actor_odometry": False, "world_drift_m": 0.0, "odometry_noise": (0.25, 0.5), **d})
        return replace(
            cfg,
            future_steps=tuple(int(s) for s in cfg.future_steps),
            odometry_noise=tuple(float(x) for x in cfg.odometry_noise),
        )


@dataclass(frozen=True)
class PpoCfg:
    """The policy network and rollout length, plus settings that differ from mjlab's `RslRlPpoAlgorithmCfg`, whose
    defaults are BeyondMimic's PPO (lr 1e-3 adaptive, KL 0.01, clip 0.2, entropy 0.005, 5 epochs x 4 mini-batches,
    gamma 0.99, lambda 0.95); the algorithm's settings are not declared a second time here."""

    hidden_dims: tuple[int, ...] = (512, 256, 128)
    activation: str = "elu"
    init_std: float = 1.0
    num_steps_per_env: int = 24
    algorithm: Mapping[str, Any] = field(default_factory=dict)  # RslRlPpoAlgorithmCfg field -> value


@dataclass(frozen=True)
class TrainPreset:
    """A named training size: envs, iterations, device, checkpoint interval."""

    name: str
    num_envs: int
    iterations: int
    device: str
    save_interval: int
    ppo: PpoCfg = field(default_factory=PpoCfg)
    task: TaskCfg = field(default_factory=TaskCfg)


PRESETS: dict[str, TrainPreset] = {
    # A check of the whole path that finishes on a 2-core CPU in a few minutes.
    "smoke": TrainPreset(name="smoke", num_envs=8, iterations=10, device="cpu", save_interval=5),
    # The CPU run: classic MuJoCo on CPU threads, 512 envs x 24 steps = 12,288 env steps per iteration.
    # Residual actions start at the reference, so exploration starts smaller than BeyondMimic's std 1.0; with a
    # small std the KL-adaptive rate collapsed to its 1e-5 floor from the first iteration (measured), hence a
    # fixed rate.
    "cpu": TrainPreset(
        name="cpu",
        num_envs=512,
        iterations=4000,
        device="cpu",
        save_interval=25,
        ppo=PpoCfg(init_std=0.5, algorithm={"learning_rate": 3e-4, "schedule": "fixed"}),
    ),
    # The real run: 2048+ envs on one CUDA GPU (BeyondMimic trains 4096 envs for ~30k iterations).
    "gpu": TrainPreset(name="gpu", num_envs=2048, iterations=20000, device="cuda:0", save_interval=500),
}


def preset(name: str, **overrides) -> TrainPreset:
    """A named preset with fields replaced (presets are frozen: the table itself never changes)."""
    return replace(choose_preset(PRESETS, name, "training"), **overrides)


def odometry_noise_arg(text: str) -> tuple[float, float]:
    """`POS,VEL` from a command line: the two odometry noise half-widths (m, m/s), each in [0, 5]."""
    from generator.motion.errors import InputError

    try:
        pair = tuple(float(x) for x in text.split(","))
    except ValueError:
        pair = ()
    if len(pair) != 2 or not all(0.0 <= x <= 5.0 for x in pair):
        raise InputError(f"--odometry-noise {text!r}: expected POS,VEL, two numbers in [0, 5]")
    return pair
