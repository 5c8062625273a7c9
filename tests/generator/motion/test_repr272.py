"""The 272-D representation: exact round trips, FK consistency, mirroring and stats, on many FK-made motions."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.motion import repr272
from generator.motion.file import HumanMotion
from generator.motion.kinematics import forward_kinematics
from generator.motion.rotations import axis_angle_to_matrix, random_rotation_matrices, yaw_matrix
from generator.motion.skeleton import MIRROR_PERM, NUM_JOINTS, bone_offsets, floor_offset

MM = 1e-3  # metres
ROT_TOL = 1e-5  # max abs difference of rotation matrix entries
PROPERTY = settings(max_examples=20, deadline=None, derandomize=True)


def fk_clip(
    seed: int, frames: int, turn_rate: float = 1.0, speed: float = 1.0, haar: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """A motion by FK on the rest skeleton: smooth random joint rotations (or Haar-random ones if `haar`) and a
    smooth root path that turns at about `turn_rate` rad/s while moving at about `speed` m/s."""
    rng = np.random.default_rng(seed)
    t = np.arange(frames)[:, None, None] / 30.0
    base, amp = rng.normal(scale=0.3, size=(2, 1, NUM_JOINTS, 3))
    freq, phase = rng.uniform(0.2, 2.0, size=(1, NUM_JOINTS, 3)), rng.uniform(0, 2 * np.pi, size=(1, NUM_JOINTS, 3))
    rots = axis_angle_to_matrix(base + amp * np.sin(2 * np.pi * freq * t + phase))
    if haar:
        rots[:, 1:] = random_rotation_matrices(frames * (NUM_JOINTS - 1), rng).reshape(frames, NUM_JOINTS - 1, 3, 3)
    ts = t[:, 0, 0]
    yaw = rng.uniform(-np.pi, np.pi) + turn_rate * ts + 0.3 * np.sin(2 * np.pi * rng.uniform(0.1, 0.5) * ts)
    rots[:, 0] = yaw_matrix(yaw) @ axis_angle_to_matrix(rng.normal(scale=0.1, size=3))  # mostly upright pelvis
    v = speed * (1 + 0.3 * np.sin(2 * np.pi * 0.4 * ts))[:, None] * np.stack([np.sin(yaw), np.cos(yaw)], -1)
    root = np.zeros((frames, 3))
    root[:, [0, 2]] = rng.uniform(-5, 5, size=2) + np.cumsum(v, 0) / 30.0
    root[:, 1] = floor_offset() + 0.05 * np.sin(2 * np.pi * 1.5 * ts)
    return forward_kinematics(rots, root), rots


clips = st.builds(
    fk_clip,
    seed=st.integers(0, 2**31 - 1),
    frames=st.integers(1, 80),
    turn_rate=st.floats(-3.0, 3.0),
    speed=st.floats(0.0, 3.0),
    haar=st.booleans(),
)


@PROPERTY
@given(clips)
def test_joints_and_rotations_round_trip(clip):
    joints, rots = repr272.canonicalize(*clip)
    feats = repr272.encode(joints, rots)
    assert feats.shape == (len(joints), repr272.DIM)
    assert np.abs(repr272.decode_joints(feats) - joints).max() < MM
    dec_rots, trans = repr272.decode_rotations(feats)
    assert np.abs(dec_rots - rots).max() < ROT_TOL
    assert np.abs(trans - joints[:, 0]).max() < MM


@PROPERTY
@given(clips)
def test_fk_of_decoded_rotations_equals_decoded_positions(clip):
    feats = repr272.encode(*repr272.canonicalize(*clip))
    rots, trans = repr272.decode_rotations(feats)
    assert np.abs(forward_kinematics(rots, trans) - repr272.decode_joints(feats)).max() < MM


@PROPERTY
@given(clips)
def test_mirror_is_an_involution_and_commutes_with_encode(clip):
    joints, rots = repr272.canonicalize(*clip)
    feats = repr272.encode(joints, rots)
    np.testing.assert_allclose(repr272.mirror(repr272.mirror(feats)), feats, atol=1e-6)
    mj, mr = repr272.mirror_motion(joints, rots)
    np.testing.assert_allclose(repr272.encode(mj, mr), repr272.mirror(feats), atol=1e-6)
    # the mirrored motion is still a rigid FK motion: its decoded rotations reproduce its decoded joints
    mirrored = repr272.mirror(feats)
    m_rots, m_trans = repr272.decode_rotations(mirrored)
    m_offsets = (bone_offsets() * np.array([-1.0, 1.0, 1.0]))[MIRROR_PERM]
    fk = forward_kinematics(m_rots, m_trans, m_offsets)
    assert np.abs(fk - repr272.decode_joints(mirrored)).max() < MM


@settings(max_examples=8, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**31 - 1), turn_rate=st.floats(0.5, 3.0), speed=st.floats(0.5, 2.5))
def test_root_trajectory_integrates_back_over_300_frames(seed, turn_rate, speed):
    """Velocities and heading changes (float32, as stored in files) integrate to the root path, drift < 1 mm."""
    joints, rots = repr272.canonicalize(*fk_clip(seed, 300, turn_rate=turn_rate, speed=speed))
    feats = repr272.encode(joints, rots).astype(np.float32)
    total_turn = np.abs(np.diff(np.unwrap(np.arctan2(rots[:, 0, 0, 2], rots[:, 0, 2, 2])))).sum()
    assert total_turn > 0.5 * turn_rate * 10 - 1.0  # the clip really turns (10 s at turn_rate rad/s, less sway)
    root = repr272.decode_joints(feats)[:, 0]
    drift = np.linalg.norm(root[:, [0, 2]] - joints[:, 0, [0, 2]], axis=-1)
    assert drift.max() < MM, f"root drift {drift.max() * 1e3:.3f} mm over 300 frames"
    _, trans = repr272.decode_rotations(feats)
    assert np.abs(trans - joints[:, 0]).max() < MM


def test_human_motion_from_features_matches_its_source():
    joints, rots = fk_clip(7, 120, turn_rate=1.5)
    motion = HumanMotion.from_joints_rotations(joints, rots, text="turning walk")
    again = HumanMotion.from_features(motion.features, text=motion.text)
    assert np.abs(again.joints - motion.joints).max() < MM
    assert np.abs(again.rotations - motion.rotations).max() < ROT_TOL
    assert np.abs(again.root_translation - motion.root_translation).max() < MM


def test_canonical_frame_faces_forward_on_the_floor():
    joints, rots = repr272.canonicalize(*fk_clip(3, 40))
    assert abs(joints[..., 1].min()) < 1e-9  # lowest joint of the clip on the floor
    np.testing.assert_allclose(joints[0, 0, [0, 2]], 0.0, atol=1e-9)
    fwd = rots[0, 0] @ np.array([0.0, 0.0, 1.0])
    assert abs(fwd[0]) < 1e-9 and fwd[2] > 0  # frame 0's pelvis faces +Z


def test_numpy_and_torch_entry_points_agree():
    joints, rots = repr272.canonicalize(*fk_clip(11, 30))
    f_np = repr272.encode(joints, rots)
    f_t = repr272.encode(torch.as_tensor(joints), torch.as_tensor(rots))
    np.testing.assert_allclose(f_t.numpy(), f_np, atol=1e-12)
    # batched (B, T, ...) input equals per-clip calls
    batch = repr272.decode_joints(np.stack([f_np, repr272.mirror(f_np)]))
    np.testing.assert_allclose(batch[0], repr272.decode_joints(f_np), atol=1e-12)
    np.testing.assert_allclose(batch[1], repr272.decode_joints(repr272.mirror(f_np)), atol=1e-12)


def test_compute_stats_groupwise_std():
    feats = [repr272.encode(*repr272.canonicalize(*fk_clip(s, 50 + 10 * s))) for s in range(4)]
    mean, std = repr272.compute_stats(feats)
    flat = np.concatenate(feats).astype(np.float64)
    np.testing.assert_allclose(mean, flat.mean(0), atol=1e-5)
    raw = flat.std(0)
    for name, sl in repr272.GROUPS.items():
        assert np.ptp(std[sl]) == 0.0, f"std not constant inside group {name}"
        np.testing.assert_allclose(std[sl][0], max(raw[sl].mean(), 1e-8), rtol=1e-5, err_msg=name)
    mean2, std2 = repr272.compute_stats(flat)
    np.testing.assert_array_equal(mean, mean2)
    np.testing.assert_array_equal(std, std2)
    normed = repr272.normalize(flat, mean, std)
    np.testing.assert_allclose(repr272.denormalize(normed, mean, std), flat, atol=1e-5)


def test_shape_errors_are_named():
    with pytest.raises(ValueError, match="features must have shape"):
        repr272.decode_joints(np.zeros((10, 271)))
    with pytest.raises(ValueError, match="rotations must have shape"):
        repr272.encode(np.zeros((10, 22, 3)), np.zeros((10, 21, 3, 3)))
