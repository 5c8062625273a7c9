"""A library of robot motions on the device: interpolated reference states and PHC-style hard-negative sampling.

All motions are concatenated frame-wise into flat tensors with per-motion offsets. Sampling draws (motion, start
time) over 1-second bins of every motion: a `uniform_ratio` share uniformly (each motion equally likely, then a bin),
the rest in proportion to each bin's failure rate (moving averages of failures per env step spent in the bin), so
hard motions and hard moments are replayed more. A rate, not a failure count: counts grow with how often a bin is
drawn, so sampling by them feeds on itself (on 596 motions it put 92% of the mass on two clips).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from controller.frames import quat_slerp
from generator.motion.errors import InputError
from retarget.robot_motion import RobotMotion, load_robot_motion


@dataclass
class MotionState:
    """Reference state of the selected bodies at given (motion, time) pairs; leading dims are the query's."""

    joint_pos: torch.Tensor  # (..., J)
    joint_vel: torch.Tensor  # (..., J)
    body_pos_w: torch.Tensor  # (..., B, 3)
    body_quat_w: torch.Tensor  # (..., B, 4) wxyz
    body_lin_vel_w: torch.Tensor  # (..., B, 3)
    body_ang_vel_w: torch.Tensor  # (..., B, 3)


def motion_paths(source: str | Path | Sequence[str | Path]) -> list[Path]:
    """Expand a directory (recursively, sorted), a single file, or a list of files into robot motion paths."""
    items = [source] if isinstance(source, (str, Path)) else list(source)
    paths: list[Path] = []
    for item in items:
        p = Path(item)
        if p.is_dir():
            found = sorted(p.rglob("*.npz"))
            if not found:
                raise InputError(f"{p}: directory holds no robot motion .npz files")
            paths.extend(found)
        elif p.exists():
            paths.append(p)
        else:
            raise InputError(f"{p}: no such motion file or directory")
    if not paths:
        raise InputError("no robot motion files given")
    return paths


class MotionLib:
    """Robot motions as device tensors, queried by (motion id, time in seconds) with interpolation."""

    def __init__(
        self,
        motions: Sequence[RobotMotion],
        body_names: Sequence[str],
        names: Sequence[str] | None = None,
        device: str | torch.device = "cpu",
        bin_seconds: float = 1.0,
        uniform_ratio: float = 0.1,
        failure_alpha: float = 0.001,
    ) -> None:
        if len(motions) == 0:
            raise InputError("motion library is empty")
        self.device = torch.device(device)
        self.names = list(names) if names is not None else [f"motion_{i}" for i in range(len(motions))]
        self.body_names = tuple(body_names)
        self.joint_names = tuple(motions[0].joint_names)
        self.uniform_ratio = float(uniform_ratio)
        self.failure_alpha = float(failure_alpha)
        self.bin_seconds = float(bin_seconds)
        fields: dict[str, list[np.ndarray]] = {k: [] for k in MotionState.__dataclass_fields__}
        frames, fps = [], []
        for name, m in zip(self.names, motions, strict=True):
            if tuple(m.joint_names) != self.joint_names:
                raise InputError(f"{name}: joint order differs from the library's first motion")
            missing = [b for b in self.body_names if b not in m.body_names]
            if missing:
                raise InputError(f"{name}: motion lacks tracked bodies {missing[:3]}")
            idx = [list(m.body_names).index(b) for b in self.body_names]
            fields["joint_pos"].append(m.joint_pos)
            fields["joint_vel"].append(m.joint_vel)
            for key in ("body_pos_w", "body_quat_w", "body_lin_vel_w", "body_ang_vel_w"):
                fields[key].append(getattr(m, key)[:, idx])
            frames.append(m.num_frames)
            fps.append(float(m.fps))
        self._data = {
            k: torch.tensor(np.concatenate(v, axis=0), dtype=torch.float32, device=self.device)
            for k, v in fields.items()
        }
        self.num_frames = torch.tensor(frames, dtype=torch.long, device=self.device)
        self.fps = torch.tensor(fps, dtype=torch.float32, device=self.device)
        self.frame_offsets = torch.cumsum(self.num_frames, 0) - self.num_frames
        self.durations = (self.num_frames - 1).float() / self.fps
        # Time bins for hard-negative mining, flattened over motions.
        self.num_bins = torch.clamp(torch.ceil(self.durations / self.bin_seconds).long(), min=1)
        self.bin_offsets = torch.cumsum(self.num_bins, 0) - self.num_bins
        total_bins = int(self.num_bins.sum())
        self.bin_motion = torch.repeat_interleave(torch.arange(len(frames), device=self.device), self.num_bins)
        self.bin_local = torch.arange(total_bins, device=self.device) - self.bin_offsets[self.bin_motion]
        self.bin_failure_ema = torch.zeros(total_bins, device=self.device)
        self.bin_exposure_ema = torch.zeros(total_bins, device=self.device)
        self._bin_failures_now = torch.zeros(total_bins, device=self.device)
        self.episodes = torch.zeros(len(frames), dtype=torch.long, device=self.device)
        self.failures = torch.zeros(len(frames), dtype=torch.long, device=self.device)
        self.completions = torch.zeros(len(frames), dtype=torch.long, device=self.device)

    @classmethod
    def from_files(
        cls, source: str | Path | Sequence[str | Path], body_names: Sequence[str], device: str | torch.device = "cpu",
        **kwargs,
    ) -> MotionLib:  # fmt: skip
        """Load robot motion files (a directory, a file or a list) with validation."""
        paths = motion_paths(source)
        motions = [load_robot_motion(p) for p in paths]
        return cls(motions, body_names, names=[p.stem for p in paths], device=device, **kwargs)

    @property
    def num_motions(self) -> int:
        """Number of motions in the library."""
        return len(self.names)

    def state(self, motion_ids: torch.Tensor, times: torch.Tensor) -> MotionState:
        """Reference state at `times` (s, clamped to each motion) of `motion_ids` (same shape): lerp + slerp."""
        times = torch.clamp(times, min=torch.zeros_like(times), max=self.durations[motion_ids])
        f = times * self.fps[motion_ids]
        i0 = torch.clamp(torch.floor(f).long(), max=self.num_frames[motion_ids] - 1)
        i1 = torch.clamp(i0 + 1, max=self.num_frames[motion_ids] - 1)
        a = (f - i0.float()).clamp(0.0, 1.0)
        g0 = self.frame_offsets[motion_ids] + i0
        g1 = self.frame_offsets[motion_ids] + i1
        d = self._data

        def lerp(key: str, extra_dims: int) -> torch.Tensor:
            w = a.view(a.shape + (1,) * extra_dims)
            return d[key][g0] * (1.0 - w) + d[key][g1] * w

        q0, q1 = d["body_quat_w"][g0], d["body_quat_w"][g1]
        quat = quat_slerp(q0, q1, a.unsqueeze(-1).expand(q0.shape[:-1]))
        return MotionState(
            joint_pos=lerp("joint_pos", 1),
            joint_vel=lerp("joint_vel", 1),
            body_pos_w=lerp("body_pos_w", 2),
            body_quat_w=quat,
            body_lin_vel_w=lerp("body_lin_vel_w", 2),
            body_ang_vel_w=lerp("body_ang_vel_w", 2),
        )

    def failure_rates(self) -> torch.Tensor:
        """Per-bin failures per env step spent in the bin, shrunk towards the overall rate by a pseudo-exposure of a
        tenth of the mean bin's, so a rarely visited bin neither dominates nor starves (zeros before any exposure)."""
        f, e = self.bin_failure_ema, self.bin_exposure_ema
        k = 0.1 * e.mean()
        if float(k) <= 0.0:
            return torch.zeros_like(f)
        return (f + k * f.sum() / e.sum()) / (e + k)

    def sampling_probabilities(self) -> torch.Tensor:
        """Probability of every (motion, bin): uniform share over motions then bins, the rest by failure rate."""
        uniform = 1.0 / (self.num_motions * self.num_bins[self.bin_motion].float())
        rates = self.failure_rates()
        total = rates.sum()
        if float(total) <= 0.0:
            return uniform
        return self.uniform_ratio * uniform + (1.0 - self.uniform_ratio) * rates / total

    def sample(self, n: int, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Draw n (motion id, start time in s) pairs by hard-negative mining."""
        bins = torch.multinomial(self.sampling_probabilities(), n, replacement=True, generator=generator)
        motion_ids = self.bin_motion[bins]
        u = torch.rand(n, device=self.device, generator=generator)
        times = (self.bin_local[bins].float() + u) * self.bin_seconds
        return motion_ids, torch.minimum(times, self.durations[motion_ids])

    def record_episodes(
        self, motion_ids: torch.Tensor, times: torch.Tensor, failed: torch.Tensor, completed: torch.Tensor
    ) -> None:
        """Count ended episodes: failures by (motion, bin of the failure time), completions by motion."""
        self.episodes.index_add_(0, motion_ids, torch.ones_like(motion_ids))
        self.failures.index_add_(0, motion_ids, failed.long())
        self.completions.index_add_(0, motion_ids, completed.long())
        if bool(failed.any()):
            t = times[failed]
            self._bin_failures_now.index_add_(0, self._bins(motion_ids[failed], t), torch.ones_like(t))

    def _bins(self, motion_ids: torch.Tensor, times: torch.Tensor) -> torch.Tensor:
        local = torch.minimum(torch.clamp((times / self.bin_seconds).long(), min=0), self.num_bins[motion_ids] - 1)
        return self.bin_offsets[motion_ids] + local

    def update(self, motion_ids: torch.Tensor, times: torch.Tensor) -> None:
        """Once per env step, with every env's motion and time: fold this step's failures and exposure (one env
        step in the bin each env is in) into the per-bin moving averages."""
        a = self.failure_alpha
        self.bin_exposure_ema.mul_(1.0 - a).index_add_(0, self._bins(motion_ids, times), torch.full_like(times, a))
        self.bin_failure_ema.mul_(1.0 - a).add_(a * self._bin_failures_now)
        self._bin_failures_now.zero_()

    def sampler_state(self) -> dict:
        """What a resumed run needs to keep its hard negatives: motion names and per-bin moving averages."""
        return {
            "motions": list(self.names),
            "bin_failure_ema": self.bin_failure_ema.cpu(),
            "bin_exposure_ema": self.bin_exposure_ema.cpu(),
        }

    def load_sampler_state(self, state: dict) -> int:
        """Take a saved `sampler_state` for the motions it shares with this library (a resumed run keeps its hard
        negatives when clips are added); returns how many motions were matched: 0 when the saved library has a
        motion this one lacks (its bins cannot be told apart) or the state predates exposure counts (failure
        counts alone give no rate)."""
        names = state.get("motions") or []
        if "bin_exposure_ema" not in state:
            return 0
        index = {name: i for i, name in enumerate(self.names)}
        if not names or any(name not in index for name in names):
            return 0
        ids = torch.tensor([index[name] for name in names], dtype=torch.long, device=self.device)
        counts = self.num_bins[ids]
        if int(counts.sum()) != state["bin_failure_ema"].numel():
            return 0
        targets = torch.cat(
            [torch.arange(int(n), device=self.device) + self.bin_offsets[i] for i, n in zip(ids, counts)]
        )
        self.bin_failure_ema[targets] = state["bin_failure_ema"].to(self.device, torch.float32)
        self.bin_exposure_ema[targets] = state["bin_exposure_ema"].to(self.device, torch.float32)
        return len(names)

    def stats(self) -> list[dict[str, float | int | str]]:
        """Per-motion statistics: episodes, failures, completions, success rate among decided ones, sampling mass."""
        probs = self.sampling_probabilities()
        mass = torch.zeros(self.num_motions, device=self.device).index_add_(0, self.bin_motion, probs).cpu()
        failures, completions = self.failures.cpu().tolist(), self.completions.cpu().tolist()
        episodes, durations = self.episodes.cpu().tolist(), self.durations.cpu().tolist()
        rows = []
        for i, name in enumerate(self.names):
            f, c = failures[i], completions[i]
            rows.append(
                {
                    "motion": name,
                    "duration_s": durations[i],
                    "episodes": episodes[i],
                    "failures": f,
                    "completions": c,
                    "success_rate": c / (c + f) if c + f else float("nan"),
                    "sampling_prob": float(mass[i]),
                }
            )
        return rows
