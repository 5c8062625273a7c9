"""Rotation conversions checked against each other: numpy (scipy) vs torch (roma), round trips, products."""

from __future__ import annotations

import numpy as np
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.motion import rotations as R

TOL = 1e-9  # float64 throughout
PROPERTY = settings(max_examples=25, deadline=None, derandomize=True)
seeds = st.integers(0, 2**31 - 1)


def _mats(seed: int, n: int = 64) -> np.ndarray:
    return R.random_rotation_matrices(n, np.random.default_rng(seed))


def _same_quat(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distance between quaternions up to sign (q and -q are the same rotation)."""
    return np.minimum(np.abs(a - b).max(-1), np.abs(a + b).max(-1))


@PROPERTY
@given(seeds)
def test_numpy_and_torch_conversions_agree(seed):
    m = _mats(seed)
    mt = torch.as_tensor(m)
    aa, q = R.matrix_to_axis_angle(m), R.matrix_to_quat(m)
    np.testing.assert_allclose(R.matrix_to_axis_angle(mt).numpy(), aa, atol=1e-7)
    np.testing.assert_allclose(R.matrix_to_quat(mt).numpy(), q, atol=TOL)
    np.testing.assert_allclose(R.axis_angle_to_matrix(torch.as_tensor(aa)).numpy(), m, atol=TOL)
    np.testing.assert_allclose(R.quat_to_matrix(torch.as_tensor(q)).numpy(), m, atol=TOL)
    assert _same_quat(R.axis_angle_to_quat(torch.as_tensor(aa)).numpy(), q).max() < TOL
    np.testing.assert_allclose(R.quat_to_axis_angle(torch.as_tensor(q)).numpy(), aa, atol=1e-7)
    np.testing.assert_allclose(R.sixd_to_matrix(R.matrix_to_6d(mt)).numpy(), m, atol=TOL)
    angles = np.random.default_rng(seed).uniform(-np.pi, np.pi, 16)
    np.testing.assert_allclose(R.yaw_matrix(torch.as_tensor(angles)).numpy(), R.yaw_matrix(angles), atol=TOL)
    np.testing.assert_allclose(R.heading_angle(mt).numpy(), R.heading_angle(m), atol=TOL)


@PROPERTY
@given(seeds)
def test_round_trips_through_every_form(seed):
    m = _mats(seed).reshape(4, 16, 3, 3)  # leading batch shape is kept
    aa = R.matrix_to_axis_angle(m)
    assert aa.shape == (4, 16, 3) and np.linalg.norm(aa, axis=-1).max() <= np.pi + 1e-12
    q = R.axis_angle_to_quat(aa)
    assert q.shape == (4, 16, 4)
    np.testing.assert_allclose(np.linalg.norm(q, axis=-1), 1.0, atol=TOL)
    np.testing.assert_allclose(R.quat_to_matrix(q), m, atol=TOL)
    np.testing.assert_allclose(R.axis_angle_to_matrix(R.quat_to_axis_angle(q)), m, atol=TOL)
    np.testing.assert_allclose(R.sixd_to_matrix(R.matrix_to_6d(m)), m, atol=TOL)
    assert _same_quat(R.matrix_to_quat(R.sixd_to_matrix(R.matrix_to_6d(m))), q).max() < TOL
    assert (R.matrix_to_quat(m)[..., 0] >= 0).all()


@PROPERTY
@given(seeds)
def test_quaternion_product_is_matrix_product(seed):
    a, b = _mats(seed, 32), _mats(seed + 1, 32)
    qa, qb = R.matrix_to_quat(a), R.matrix_to_quat(b)
    np.testing.assert_allclose(R.quat_to_matrix(R.quat_multiply(qa, qb)), a @ b, atol=TOL)
    qt = R.quat_multiply(torch.as_tensor(qa), torch.as_tensor(qb)).numpy()
    np.testing.assert_allclose(R.quat_to_matrix(qt), a @ b, atol=TOL)
    # Hamilton convention, wxyz: i * j = k
    i, j = np.array([0.0, 1, 0, 0]), np.array([0.0, 0, 1, 0])
    np.testing.assert_allclose(R.quat_multiply(torch.as_tensor(i), torch.as_tensor(j)).numpy(), [0, 0, 0, 1])


@PROPERTY
@given(seeds)
def test_sixd_projects_noisy_input_to_a_rotation(seed):
    rng = np.random.default_rng(seed)
    d6 = R.matrix_to_6d(_mats(seed)) + rng.normal(scale=0.05, size=(64, 6))
    m = R.sixd_to_matrix(d6)
    np.testing.assert_allclose(m @ np.swapaxes(m, -1, -2), np.broadcast_to(np.eye(3), m.shape), atol=TOL)
    np.testing.assert_allclose(np.linalg.det(m), 1.0, atol=TOL)
    np.testing.assert_allclose(R.sixd_to_matrix(torch.as_tensor(d6)).numpy(), m, atol=TOL)


def test_yaw_and_heading_conventions():
    a = np.linspace(-3.0, 3.0, 13)
    ry = R.yaw_matrix(a)
    # R_y(a) is a rotation about +y by a: +z turns towards +x for small positive a
    np.testing.assert_allclose(ry @ np.array([0.0, 0, 1]), np.stack([np.sin(a), 0 * a, np.cos(a)], -1), atol=TOL)
    np.testing.assert_allclose(R.axis_angle_to_matrix(np.stack([0 * a, a, 0 * a], -1)), ry, atol=TOL)
    # the heading of a yawed body is minus its yaw, so R_y(heading) @ root faces +Z
    np.testing.assert_allclose(R.heading_angle(ry), -a, atol=TOL)
    tilt = R.axis_angle_to_matrix(np.array([0.2, 0.0, -0.1]))
    faced = R.yaw_matrix(R.heading_angle(ry @ tilt))[:, None] @ (ry @ tilt)[:, None]
    fwd = faced[:, 0] @ np.array([0.0, 0, 1])
    np.testing.assert_allclose(fwd[:, 0], 0.0, atol=TOL)
    assert (fwd[:, 2] > 0).all()


def test_empty_and_identity_inputs():
    assert R.axis_angle_to_matrix(np.zeros((0, 3))).shape == (0, 3, 3)
    np.testing.assert_allclose(R.axis_angle_to_matrix(np.zeros(3)), np.eye(3))
    np.testing.assert_allclose(R.matrix_to_quat(np.eye(3)), [1.0, 0, 0, 0])
    np.testing.assert_allclose(R.wxyz_to_xyzw(np.array([1.0, 2, 3, 4])), [2.0, 3, 4, 1])
    np.testing.assert_allclose(R.xyzw_to_wxyz(R.wxyz_to_xyzw(np.array([1.0, 2, 3, 4]))), [1.0, 2, 3, 4])
