"""The AMASS -> 272-D converter on a small synthetic SMPL model whose rest joints are the neutral SMPL rest pose."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from generator.data.__main__ import main
from generator.data.amass import ZUP_TO_YUP, BodyModel, convert_sequence, load_amass
from generator.motion import repr272
from generator.motion.kinematics import forward_kinematics
from generator.motion.rotations import axis_angle_to_matrix
from generator.motion.skeleton import REST_POSE, bone_offsets

SMPL_PARENTS = [-1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16, 17, 18, 19, 20, 21]
PELVIS = np.array([0.001, -0.22, 0.028])  # where SMPL's template puts the pelvis


def write_synthetic_smpl(path, rng, num_betas=10):
    """An SMPL-layout pickle with 24 joints: two vertices straddle each joint, J_regressor averages them."""
    joints = np.zeros((24, 3))
    joints[:22] = REST_POSE + PELVIS
    joints[22] = joints[20] + [0.08, -0.01, 0.0]  # hands beyond the wrists
    joints[23] = joints[21] + [-0.08, -0.01, 0.0]
    d = rng.normal(scale=0.02, size=(24, 3))
    extra = rng.normal(scale=0.3, size=(152, 3))
    v_template = np.concatenate([joints + d, joints - d, extra])
    nv = len(v_template)
    j_reg = np.zeros((24, nv))
    j_reg[np.arange(24), np.arange(24)] = 0.5
    j_reg[np.arange(24), 24 + np.arange(24)] = 0.5
    weights = rng.uniform(size=(nv, 24)) ** 4
    weights /= weights.sum(1, keepdims=True)
    model = {
        "v_template": v_template, "J_regressor": j_reg, "weights": weights,
        "shapedirs": rng.normal(scale=0.01, size=(nv, 3, num_betas)),
        "posedirs": rng.normal(scale=0.001, size=(nv, 3, 207)),
        "kintree_table": np.array([[4294967295] + SMPL_PARENTS[1:], list(range(24))], dtype=np.int64),
        "f": rng.integers(0, nv, size=(100, 3)).astype(np.uint32),
    }  # fmt: skip
    with open(path, "wb") as f:
        pickle.dump(model, f)
    return model


def write_amass(path, rng, frames=24, fps=60.0, pose_dims=156):
    poses = rng.normal(scale=0.3, size=(frames, pose_dims))
    poses[:, :3] = np.array([np.pi / 2, 0.0, 0.0]) + 0.05 * rng.normal(size=(frames, 3))  # AMASS: upright in Z-up
    trans = np.cumsum(rng.normal(scale=0.01, size=(frames, 3)), axis=0) + [0.3, -0.2, 0.9]
    betas = rng.normal(size=16)
    np.savez(path, poses=poses, trans=trans, betas=betas, mocap_framerate=np.float64(fps), gender=np.asarray("neutral"))
    return poses, trans, betas


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    rng = np.random.default_rng(0)
    root = tmp_path_factory.mktemp("amass")
    model = write_synthetic_smpl(root / "SMPL_NEUTRAL.pkl", rng)
    poses, trans, betas = write_amass(root / "seq_poses.npz", rng)
    return root, model, poses, trans, betas


def expected_motion(model, poses, trans, betas):
    """Independent path: take every 2nd frame (60 -> 30 fps), rotate to Y-up, FK on the model's shaped skeleton."""
    rest = model["J_regressor"] @ (model["v_template"] + model["shapedirs"] @ betas[:10])
    rots = axis_angle_to_matrix(poses[::2, :66].reshape(-1, 22, 3))
    rots[:, 0] = ZUP_TO_YUP @ rots[:, 0]
    transl = trans[::2] @ ZUP_TO_YUP.T
    joints = forward_kinematics(rots, transl + rest[0], offsets=bone_offsets(rest[:22]))
    return joints, rots


def test_converter_matches_fk_and_the_272_forward_path(files):
    root, model, poses, trans, betas = files
    seq = load_amass(root / "seq_poses.npz")
    body = BodyModel(root / "SMPL_NEUTRAL.pkl")
    np.testing.assert_allclose(body.rest_joints() - body.rest_joints()[0], REST_POSE, atol=1e-6)
    motion = convert_sequence(seq, body)
    joints, rots = expected_motion(model, poses, trans, betas)
    assert motion.num_frames == 12 and motion.fps == 30
    cj, cr = repr272.canonicalize(joints, rots)
    np.testing.assert_allclose(motion.joints, cj, atol=1e-5)
    np.testing.assert_allclose(motion.rotations, cr, atol=1e-5)
    np.testing.assert_allclose(motion.features, repr272.encode(cj, cr), atol=1e-5)
    # Facing +Z at frame 0, standing on the floor.
    assert abs(motion.joints[:, :, 1].min()) < 1e-6
    np.testing.assert_allclose(motion.joints[0, 0, [0, 2]], 0.0, atol=1e-6)


def test_mirrored_copy_is_the_mirror_of_the_original(files):
    root, *_ = files
    seq = load_amass(root / "seq_poses.npz")
    body = BodyModel(root)  # a folder with SMPL_NEUTRAL.pkl
    plain, mirrored = convert_sequence(seq, body), convert_sequence(seq, body, mirror=True)
    # The synthetic skeleton is not exactly symmetric, so compare the mirrored features' rotations (bone-free).
    np.testing.assert_allclose(repr272.mirror(plain.features)[:, 140:], mirrored.features[:, 140:], atol=1e-5)
    np.testing.assert_allclose(repr272.mirror(plain.features)[:, :8], mirrored.features[:, :8], atol=1e-5)


def test_non_integer_resampling_keeps_the_duration(files, tmp_path):
    root, *_ = files
    write_amass(tmp_path / "odd.npz", np.random.default_rng(1), frames=25, fps=50.0, pose_dims=72)
    motion = convert_sequence(load_amass(tmp_path / "odd.npz"), BodyModel(root / "SMPL_NEUTRAL.pkl"))
    assert motion.num_frames == 15  # 24 / 50 s = 0.48 s -> frames at 0 .. 14 / 30 s
    assert np.isfinite(motion.features).all()


def test_cli_converts_a_folder_and_rejects_bad_input(files, tmp_path, capsys):
    root, *_ = files
    out = tmp_path / "out"
    assert main(["amass", str(root / "seq_poses.npz"), "--smpl-model", str(root), "--out", str(out), "--mirror"]) == 0
    names = sorted(p.name for p in (out / "motion_data").iterdir())
    assert names == ["M_seq_poses.npy", "seq_poses.npy"]
    assert np.load(out / "motion_data" / "seq_poses.npy").shape == (12, 272)
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    assert main(["amass", str(tmp_path / "bad.npz"), "--smpl-model", str(root), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:")
    assert main(["amass", str(root / "seq_poses.npz"), "--smpl-model", str(tmp_path / "nope"), "--out", str(out)]) == 2
