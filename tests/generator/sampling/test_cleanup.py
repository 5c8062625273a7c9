"""Post-processing of generated motion (sampling.cleanup): smoothing, grounding, stance feet pinned, swing lifted."""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation

from generator.motion import repr272
from generator.motion.kinematics import forward_kinematics
from generator.motion.plausibility import CONTACT_HEIGHT, floating_ratio, foot_skating_ratio, mean_jerk
from generator.procedural.compose import generate_primitive_clip
from generator.sampling.cleanup import LIFT_HEIGHT, cleanup_feet, foot_targets, plant_feet, postprocess, smooth


def _sliding_stand(frames: int = 60, speed: float = 0.8) -> np.ndarray:
    """Features of a person standing still in the rest pose while the root glides forward: both feet skate."""
    rots = np.tile(np.eye(3), (frames, 22, 1, 1))
    root = np.zeros((frames, 3))
    root[:, 1] = 1.0
    root[:, 2] = np.arange(frames) * speed / 30
    joints, rots = repr272.canonicalize(forward_kinematics(rots, root), rots)
    return repr272.encode(joints, rots).astype(np.float32)


def test_cleanup_pins_sliding_feet_and_keeps_the_pose():
    f = _sliding_stand()
    before = repr272.decode_joints(f.astype(np.float64))
    assert foot_skating_ratio(before) > 0.9
    after = repr272.decode_joints(cleanup_feet(f).astype(np.float64))
    assert foot_skating_ratio(after) == 0.0
    toe_path = np.linalg.norm(after[-1, [10, 11]][:, [0, 2]] - after[0, [10, 11]][:, [0, 2]], axis=-1)
    assert toe_path.max() < 1e-4  # the feet no longer move; the root stopped with them
    rel = lambda j: j - j[:, :1]  # noqa: E731
    np.testing.assert_allclose(rel(after), rel(before), atol=1e-5)  # the pose relative to the root is unchanged


def _spin_in_place(frames: int = 60, degrees_per_s: float = 300.0) -> np.ndarray:
    """Features of a rest pose turning on the spot with both feet on the floor: the feet slide in opposite directions,
    which no root correction can undo."""
    rots = np.tile(np.eye(3), (frames, 22, 1, 1))
    rots[:, 0] = Rotation.from_euler("y", np.deg2rad(degrees_per_s) * np.arange(frames)[:, None] / 30).as_matrix()
    root = np.zeros((frames, 3))
    root[:, 1] = 1.0
    joints = forward_kinematics(rots, root)
    joints, rots = repr272.canonicalize(joints, rots)
    return repr272.encode(joints, rots).astype(np.float32)


def test_planting_stops_feet_that_slide_apart():
    f = _spin_in_place()
    assert foot_skating_ratio(repr272.decode_joints(cleanup_feet(f).astype(np.float64))) == 1.0  # root pin: no help
    out = plant_feet(cleanup_feet(f))
    after = repr272.decode_joints(out.astype(np.float64))
    assert foot_skating_ratio(after) == 0.0
    assert floating_ratio(after) == 0.0  # one foot stays down while the other steps
    pose, pose_before = out[:, 8:74].reshape(-1, 22, 3), f[:, 8:74].reshape(-1, 22, 3)  # root-relative, heading frame
    upper = [j for j in range(22) if j not in (4, 5, 7, 8, 10, 11)]  # knees, ankles and toes may move
    np.testing.assert_allclose(pose[:, upper], pose_before[:, upper], atol=1e-6)


def test_foot_targets_hold_stance_and_lift_a_dragged_swing():
    t = 40
    toes = np.zeros((t, 2, 3))
    toes[:, 1, 0] = 0.2  # the right toe stands still
    toes[:, :, 1] = 0.02
    creep = np.arange(15) * 0.3 / 30  # 0.3 m/s creep while planted (below the skating speed, still held)
    toes[:15, 0, 2] = creep
    drag = creep[-1] + np.arange(1, 11) * 1.5 / 30  # then dragged 1.5 m/s along the floor for 10 frames
    toes[15:25, 0, 2] = drag
    toes[25:, 0, 2] = drag[-1]
    tgt = foot_targets(toes)
    np.testing.assert_allclose(tgt[:14, 0, [0, 2]], np.broadcast_to(tgt[0, 0, [0, 2]], (14, 2)))  # held still
    np.testing.assert_allclose(tgt[:, 1], toes[:, 1])  # the planted right toe is untouched
    assert (tgt[15:25, 0, 1] >= LIFT_HEIGHT).all()  # the drag became a step clear of the floor
    np.testing.assert_allclose(tgt[25:, 0, [0, 2]], np.broadcast_to(toes[-1, 0, [0, 2]], (15, 2)))  # lands there
    joints = np.zeros((t, 22, 3))
    joints[:, 1:, 1] = 0.5
    joints[:, [10, 11]] = tgt
    assert foot_skating_ratio(joints) == 0.0


def test_foot_targets_never_lift_both_feet_off_the_floor():
    t = 30
    toes = np.zeros((t, 2, 3))
    toes[:, :, 1] = 0.02
    toes[:, 0, 2] = np.arange(t) * 1.2 / 30  # both toes dragged forward, the left a little lower
    toes[:, 1, 2] = np.arange(t) * 1.0 / 30
    toes[:, 1, 1] = 0.03
    tgt = foot_targets(toes)
    assert (tgt[:, :, 1].min(axis=1) < CONTACT_HEIGHT).all()


def test_cleanup_leaves_a_clean_walk_alone():
    clip = generate_primitive_clip("walk", seed=3)
    f = repr272.encode(clip.joints, clip.rotations).astype(np.float32)
    before = repr272.decode_joints(f.astype(np.float64))
    for fix in (cleanup_feet, plant_feet):
        after = repr272.decode_joints(fix(f).astype(np.float64))
        assert foot_skating_ratio(before) == 0.0 and foot_skating_ratio(after) == 0.0
        assert np.abs(after - before).max() < 0.01  # planted feet already stand still: (almost) nothing to correct


def test_smoothing_removes_jitter_and_keeps_slow_signals():
    rng = np.random.default_rng(0)
    clip = generate_primitive_clip("walk", seed=1)
    f = repr272.encode(clip.joints, clip.rotations).astype(np.float32)
    noisy = f + rng.normal(0, 0.01, f.shape).astype(np.float32)
    j_noisy = repr272.decode_joints(noisy.astype(np.float64))
    j_smooth = repr272.decode_joints(smooth(noisy).astype(np.float64))
    assert mean_jerk(j_smooth) < 0.2 * mean_jerk(j_noisy)
    const = np.tile(f[:1], (40, 1))
    np.testing.assert_allclose(smooth(const), const, atol=1e-6)
    assert postprocess(noisy).shape == f.shape and postprocess(noisy).dtype == np.float32


def test_a_shuffling_side_step_keeps_its_length():
    """A side step whose swing toe stays low and slow counts as two contacts; the root follows the slower (standing)
    toe, not the mean of both, which took 29% of this step's 0.6 m away."""
    clip = generate_primitive_clip("side_step", seed=0, side=0, steps=2)
    joints = clip.joints.copy()
    joints[:, [10, 11], 1] = np.minimum(joints[:, [10, 11], 1], 0.03)  # the toes never leave the floor
    f = repr272.encode(joints, clip.rotations).astype(np.float32)
    before = repr272.decode_joints(f.astype(np.float64))
    for fix in (cleanup_feet, postprocess):
        after = repr272.decode_joints(fix(f).astype(np.float64))
        np.testing.assert_allclose(after[-1, 0] - after[0, 0], before[-1, 0] - before[0, 0], atol=0.02)
    assert foot_skating_ratio(after) < 0.05 < foot_skating_ratio(before)  # planting lifts the shuffling toe
