"""Post-processing of generated motion (generator.cleanup): smoothing, grounding, stance feet pinned."""

from __future__ import annotations

import numpy as np

from generator import repr272
from generator.cleanup import cleanup_feet, postprocess, smooth
from generator.evaluate import jerk
from generator.kinematics import forward_kinematics
from generator.plausibility import foot_skating_ratio
from generator.procedural.compose import generate_primitive_clip


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


def test_cleanup_leaves_a_clean_walk_alone():
    clip = generate_primitive_clip("walk", seed=3)
    f = repr272.encode(clip.joints, clip.rotations).astype(np.float32)
    before = repr272.decode_joints(f.astype(np.float64))
    after = repr272.decode_joints(cleanup_feet(f).astype(np.float64))
    assert foot_skating_ratio(before) == 0.0 and foot_skating_ratio(after) == 0.0
    assert np.abs(after - before).max() < 0.01  # planted feet already stand still: (almost) nothing to correct


def test_smoothing_removes_jitter_and_keeps_slow_signals():
    rng = np.random.default_rng(0)
    clip = generate_primitive_clip("walk", seed=1)
    f = repr272.encode(clip.joints, clip.rotations).astype(np.float32)
    noisy = f + rng.normal(0, 0.01, f.shape).astype(np.float32)
    j_noisy = repr272.decode_joints(noisy.astype(np.float64))
    j_smooth = repr272.decode_joints(smooth(noisy).astype(np.float64))
    assert jerk(j_smooth) < 0.2 * jerk(j_noisy)
    const = np.tile(f[:1], (40, 1))
    np.testing.assert_allclose(smooth(const), const, atol=1e-6)
    assert postprocess(noisy).shape == f.shape and postprocess(noisy).dtype == np.float32
