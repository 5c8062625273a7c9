"""The motion library: interpolation, hard-negative sampling, statistics, loading errors (no simulator needed)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from controller.builtin_motions import idle, wave
from controller.config import TRACKED_BODIES
from controller.frames import quat_apply, quat_apply_inverse, quat_mul, quat_slerp, yaw_quat
from controller.motion_lib import MotionLib
from generator.motion.errors import InputError
from retarget import robot


def test_frames_and_interpolation() -> None:
    lib = MotionLib([idle(1.0), wave(2.0)], TRACKED_BODIES, names=["idle", "wave"], uniform_ratio=0.1)
    w = wave(2.0)
    idx = [robot.BODY_INDEX[b] for b in TRACKED_BODIES]
    ids = torch.ones(3, dtype=torch.long)
    s = lib.state(ids, torch.tensor([0.0, 0.5, 0.51]))
    np.testing.assert_allclose(s.joint_pos[0].numpy(), w.joint_pos[0], atol=1e-6)
    np.testing.assert_allclose(s.body_pos_w[1].numpy(), w.body_pos_w[25][idx], atol=1e-6)
    mid = lib.state(ids[:1], torch.tensor([0.25]))  # halfway between frames 12 and 13 (0.24 s, 0.26 s)
    np.testing.assert_allclose(mid.joint_pos[0].numpy(), 0.5 * (w.joint_pos[12] + w.joint_pos[13]), atol=1e-5)
    assert torch.allclose(mid.body_quat_w.norm(dim=-1), torch.ones(1, len(TRACKED_BODIES)), atol=1e-5)
    late = lib.state(ids[:1], torch.tensor([99.0]))  # clamped to the last frame
    np.testing.assert_allclose(late.joint_pos[0].numpy(), w.joint_pos[-1], atol=1e-6)
    assert lib.durations.tolist() == pytest.approx([1.0, 2.0])


def _visit(lib: MotionLib, envs_per_bin: int, steps: int, fail_bin: tuple[int, float] | None = None) -> None:
    """`steps` env steps with `envs_per_bin` envs in every bin of `lib`, one of them failing in `fail_bin` each step."""
    ids = lib.bin_motion.repeat(envs_per_bin)
    times = (lib.bin_local.repeat(envs_per_bin).float() + 0.5) * lib.bin_seconds
    for _ in range(steps):
        if fail_bin is not None:
            m, t = torch.tensor([fail_bin[0]]), torch.tensor([fail_bin[1]])
            lib.record_episodes(m, t, torch.tensor([True]), torch.tensor([False]))
        lib.update(ids, times)


def test_hard_negative_sampling() -> None:
    lib = MotionLib([idle(1.0), wave(2.0)], TRACKED_BODIES, names=["idle", "wave"], uniform_ratio=0.1)
    g = torch.Generator().manual_seed(0)
    ids, times = lib.sample(4000, generator=g)
    assert abs((ids == 0).float().mean().item() - 0.5) < 0.05  # uniform over motions before any failure
    assert bool((times <= lib.durations[ids]).all()) and bool((times >= 0).all())
    # Failures in the second second of the wave motion make that bin dominate.
    _visit(lib, envs_per_bin=4, steps=50, fail_bin=(1, 1.5))
    ids, times = lib.sample(4000, generator=g)
    hard = ((ids == 1) & (times >= 1.0)).float().mean().item()
    assert hard > 0.85
    assert (ids == 0).any()  # the uniform share keeps every motion alive
    stats = {r["motion"]: r for r in lib.stats()}
    assert stats["wave"]["failures"] == 50 and stats["wave"]["success_rate"] == 0.0
    assert stats["wave"]["sampling_prob"] > 0.9


def test_sampling_follows_failure_rate_not_count() -> None:
    """A bin visited 10x as often, with the same failures per env step spent in it, gets no more weight: sampling by
    failure counts would give it 10x and feed on itself."""
    lib = MotionLib([idle(1.0), idle(1.0)], TRACKED_BODIES, names=["a", "b"], uniform_ratio=0.0)
    ids, times = torch.tensor([0] * 10 + [1]), torch.full((11,), 0.5)
    no, yes = torch.tensor([False]), torch.tensor([True])
    for step in range(400):
        lib.record_episodes(torch.tensor([0]), torch.tensor([0.5]), yes, no)  # a: 1 failure per 10 env steps
        if step % 10 == 9:
            lib.record_episodes(torch.tensor([1]), torch.tensor([0.5]), yes, no)  # b: 1 per 10 env steps as well
        lib.update(ids, times)
    p = lib.sampling_probabilities()
    assert 0.8 < float(p[0] / p[1]) < 1.25
    assert float(lib.bin_failure_ema[0] / lib.bin_failure_ema[1]) > 8.0  # what count-based sampling would follow


def test_failure_statistics_survive_added_motions() -> None:
    """A resumed run on a grown library keeps each shared motion's per-bin statistics; new motions start at zero."""
    old = MotionLib([idle(1.0), wave(2.0)], TRACKED_BODIES, names=["idle", "wave"])
    old.bin_failure_ema.copy_(torch.tensor([0.1, 0.2, 0.3]))  # idle: 1 bin, wave: 2 bins
    old.bin_exposure_ema.copy_(torch.tensor([1.0, 2.0, 3.0]))
    grown = MotionLib([wave(2.0), wave(3.0), idle(1.0)], TRACKED_BODIES, names=["wave", "wave_long", "idle"])
    assert grown.load_sampler_state(old.sampler_state()) == 2
    assert grown.bin_failure_ema.tolist() == pytest.approx([0.2, 0.3, 0.0, 0.0, 0.0, 0.1])
    assert grown.bin_exposure_ema.tolist() == pytest.approx([2.0, 3.0, 0.0, 0.0, 0.0, 1.0])
    shrunk = MotionLib([wave(2.0)], TRACKED_BODIES, names=["wave"])  # idle's bins cannot be placed: nothing kept
    assert shrunk.load_sampler_state(old.sampler_state()) == 0
    assert float(shrunk.bin_failure_ema.sum()) == 0.0
    counts_only = {"motions": old.names, "bin_failure_ema": old.bin_failure_ema}  # a state from before rates
    fresh = MotionLib([idle(1.0), wave(2.0)], TRACKED_BODIES, names=["idle", "wave"])
    assert fresh.load_sampler_state(counts_only) == 0


def test_frames_helpers() -> None:
    q = torch.nn.functional.normalize(torch.randn(64, 4, generator=torch.Generator().manual_seed(1)), dim=-1)
    v = torch.randn(64, 3)
    assert torch.allclose(quat_apply_inverse(q, quat_apply(q, v)), v, atol=1e-5)
    yaw = yaw_quat(q)
    assert torch.allclose(yaw[:, 1:3], torch.zeros(64, 2))
    # The remaining rotation after removing the heading keeps the x axis in the vertical plane of x.
    rest = quat_mul(torch.cat([yaw[:, :1], -yaw[:, 1:]], -1), q)
    x = quat_apply(rest, torch.tensor([1.0, 0.0, 0.0]).expand(64, 3))
    assert torch.allclose(x[:, 1], torch.zeros(64), atol=1e-5)
    s = quat_slerp(q[:1], q[1:2], torch.tensor([1.0]))
    assert torch.allclose(s.abs(), q[1:2].abs(), atol=1e-5)


def test_bad_sources(tmp_path) -> None:
    with pytest.raises(InputError):
        MotionLib.from_files(tmp_path, TRACKED_BODIES)  # empty directory
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip")
    with pytest.raises(InputError):
        MotionLib.from_files(bad, TRACKED_BODIES)
    with pytest.raises(InputError):
        MotionLib([idle(0.5)], ("pelvis", "no_such_body"))
