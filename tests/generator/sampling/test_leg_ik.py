"""Two-bone leg IK on 272-D motion (sampling.leg_ik): exact when asked for nothing, consistent when it moves a toe."""

from __future__ import annotations

import numpy as np

from generator.motion import repr272
from generator.motion.kinematics import estimate_offsets, forward_kinematics
from generator.procedural.compose import generate_primitive_clip
from generator.sampling.leg_ik import LEGS, REACH, move_toe, rotation_between


def _walk() -> np.ndarray:
    clip = generate_primitive_clip("walk", seed=2)
    return repr272.encode(clip.joints, clip.rotations)


def test_rotation_between_takes_a_onto_b():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(50, 3)), rng.normal(size=(50, 3))
    r = rotation_between(a, b)
    np.testing.assert_allclose(r @ np.swapaxes(r, -1, -2), np.broadcast_to(np.eye(3), r.shape), atol=1e-12)
    np.testing.assert_allclose(np.linalg.det(r), 1.0, atol=1e-12)
    mapped = np.einsum("nij,nj->ni", r, a / np.linalg.norm(a, axis=-1, keepdims=True))
    np.testing.assert_allclose(mapped, b / np.linalg.norm(b, axis=-1, keepdims=True), atol=1e-12)


def test_zero_displacement_changes_nothing():
    f = _walk()
    for leg in (0, 1):
        out, moved = move_toe(f, leg, np.zeros((len(f), 3)))
        np.testing.assert_allclose(out, f, atol=1e-9)
        np.testing.assert_allclose(moved, 0.0, atol=1e-12)


def test_moved_toe_keeps_bones_and_agrees_with_the_rotations():
    f = _walk()
    delta = np.zeros((len(f), 3))
    delta[:, 1] = 0.04 * np.sin(np.linspace(0, np.pi, len(f)))  # lift and pull back the left toe
    delta[:, 2] = -0.03
    out, moved = move_toe(f, 0, delta)
    np.testing.assert_allclose(moved, delta, atol=1e-12)
    before, after = repr272.decode_joints(f), repr272.decode_joints(out)
    hip, knee, ankle, toe = LEGS[0]
    assert np.abs(after[:, toe] - before[:, toe]).max() > 0.03
    untouched = [j for j in range(22) if j not in (knee, ankle, toe)]
    np.testing.assert_allclose(after[:, untouched], before[:, untouched], atol=1e-9)
    for a, b in ((hip, knee), (knee, ankle), (ankle, toe)):
        np.testing.assert_allclose(np.linalg.norm(after[:, a] - after[:, b], axis=-1),
                                   np.linalg.norm(before[:, a] - before[:, b], axis=-1), atol=1e-6)  # fmt: skip
    offsets = estimate_offsets(before, repr272.decode_rotations(f)[0])
    fk = forward_kinematics(repr272.decode_rotations(out)[0], after[:, 0], offsets)
    np.testing.assert_allclose(fk, after, atol=1e-6)  # the rewritten rotations put the joints where the positions say
    np.testing.assert_allclose(out[1:, 74:140], np.diff(out[:, 8:74], axis=0), atol=1e-6)  # velocities follow


def test_out_of_reach_target_is_clamped_not_broken():
    f = _walk()
    delta = np.zeros((len(f), 3))
    delta[:, 1] = -2.0  # two metres below the floor: no leg reaches that
    out, moved = move_toe(f, 1, delta)
    assert np.isfinite(out).all()
    assert (np.abs(moved[:, 1]) < 2.0).all()
    j = repr272.decode_joints(out)
    hip, knee, ankle, _ = LEGS[1]
    leg = np.linalg.norm(j[:, knee] - j[:, hip], axis=-1) + np.linalg.norm(j[:, ankle] - j[:, knee], axis=-1)
    assert (np.linalg.norm(j[:, ankle] - j[:, hip], axis=-1) <= REACH * leg + 1e-9).all()
