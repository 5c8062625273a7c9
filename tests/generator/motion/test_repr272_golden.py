"""The 272-D conversion against the reference implementation's output on a real motion-capture clip."""

import numpy as np

from generator.motion import kinematics, repr272, rotations


def _canonical(golden):
    rots = rotations.axis_angle_to_matrix(golden["smpl"][:, :66].reshape(-1, 22, 3))
    return repr272.canonicalize(golden["joints"], rots)


def test_encode_matches_reference(golden):
    joints, rots = _canonical(golden)
    # the reference stores float32; 1e-6 is float32 round-off on values of a few metres
    np.testing.assert_allclose(repr272.encode(joints, rots), golden["features"], atol=1e-6)


def test_inverses_match_reference(golden):
    joints, rots = _canonical(golden)
    np.testing.assert_allclose(repr272.decode_joints(golden["features"]), joints, atol=1e-6)
    dec_rots, trans = repr272.decode_rotations(golden["features"])
    np.testing.assert_allclose(dec_rots, rots, atol=1e-6)
    np.testing.assert_allclose(trans, joints[:, 0], atol=1e-6)
    # FK of the decoded rotations on this body's bones gives its joints back
    offsets = kinematics.estimate_offsets(joints, rots)
    np.testing.assert_allclose(kinematics.forward_kinematics(dec_rots, trans, offsets), joints, atol=1e-5)


def test_mirror_matches_reference(golden):
    mirrored = repr272.mirror(golden["features"])
    ref = golden["features_mirror"]
    for name in ("root_velocity", "heading_change", "rotations"):
        sl = repr272.GROUPS[name]
        np.testing.assert_allclose(mirrored[:, sl], ref[:, sl], atol=1e-6, err_msg=name)
    # positions differ by the body model's own left/right asymmetry (SMPL-X betas), a few cm at most
    assert np.abs(mirrored[:, 8:74] - ref[:, 8:74]).max() < 0.05
