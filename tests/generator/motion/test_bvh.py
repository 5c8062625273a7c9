"""BVH export: the file's own forward kinematics gives the motion's joints back; header and units as documented."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.motion import bvh
from generator.motion.demo import demo_motion
from generator.motion.errors import InputError
from generator.motion.file import HumanMotion
from generator.motion.kinematics import forward_kinematics
from generator.motion.rotations import random_rotation_matrices
from generator.motion.skeleton import JOINT_NAMES, NUM_JOINTS, PARENTS, bone_offsets, floor_offset

MM = 1e-3


def _fk_of_file(path, scale: float = 1.0) -> np.ndarray:
    """Joint positions (F, 22, 3) in metres from a parsed BVH, in our joint order."""
    parsed = bvh.read_bvh(path)
    order = [parsed.names.index(name) for name in JOINT_NAMES]
    return parsed.joint_positions()[:, order] / scale


def test_demo_motion_round_trips_through_bvh(tmp_path):
    motion = demo_motion(seconds=2.0, seed=1)
    path = bvh.write_bvh(motion, tmp_path / "demo.bvh")
    assert np.abs(_fk_of_file(path) - motion.joints).max() < MM


@settings(max_examples=10, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**31 - 1), frames=st.integers(1, 40), bone_scale=st.floats(0.6, 1.4))
def test_random_rotations_round_trip_through_bvh(tmp_path_factory, seed, frames, bone_scale):
    """Haar-random joint rotations (gimbal lock included) on a scaled body: BVH FK equals the joints within 1 mm."""
    rng = np.random.default_rng(seed)
    rots = random_rotation_matrices(frames * NUM_JOINTS, rng).reshape(frames, NUM_JOINTS, 3, 3)
    root = rng.uniform(-3, 3, size=(frames, 3))
    root[:, 1] = floor_offset()
    motion = HumanMotion.from_joints_rotations(forward_kinematics(rots, root, bone_offsets() * bone_scale), rots)
    path = bvh.write_bvh(motion, tmp_path_factory.mktemp("bvh") / "random.bvh")
    assert np.abs(_fk_of_file(path) - motion.joints).max() < MM


def test_header_declares_hierarchy_channels_and_timing(tmp_path):
    motion = demo_motion(seconds=1.0)
    path = bvh.write_bvh(motion, tmp_path / "m.bvh")
    text = path.read_text()
    parsed = bvh.read_bvh(path)
    assert sorted(parsed.names) == sorted(JOINT_NAMES)
    for name, parent in zip(parsed.names, parsed.parents):
        j = JOINT_NAMES.index(name)
        assert parent == (-1 if PARENTS[j] < 0 else parsed.names.index(JOINT_NAMES[PARENTS[j]]))
    assert parsed.channels[0] == ["Xposition", "Yposition", "Zposition", "Zrotation", "Xrotation", "Yrotation"]
    assert all(c == ["Zrotation", "Xrotation", "Yrotation"] for c in parsed.channels[1:])
    assert parsed.num_frames == motion.num_frames
    assert parsed.frame_time == pytest.approx(1 / 30, abs=1e-7)
    assert text.count("End Site") == 5  # head, both feet, both wrists
    np.testing.assert_allclose(parsed.offsets[0], 0.0)  # the root's position comes from its channels
    np.testing.assert_allclose(parsed.motion[:, :3], motion.root_translation, atol=1e-6)


def test_centimetres_and_rest_skeleton(tmp_path):
    rng = np.random.default_rng(0)
    rots = random_rotation_matrices(10 * NUM_JOINTS, rng).reshape(10, NUM_JOINTS, 3, 3)
    root = np.tile([0.0, floor_offset(), 0.0], (10, 1))
    tall = HumanMotion.from_joints_rotations(forward_kinematics(rots, root, bone_offsets() * 1.2), rots)
    cm = bvh.write_bvh(tall, tmp_path / "cm.bvh", scale=100.0)
    assert np.abs(_fk_of_file(cm, scale=100.0) - tall.joints).max() < MM
    # the neutral skeleton does not fit a body 20 % taller: its joints are off by centimetres
    rest = bvh.write_bvh(tall, tmp_path / "rest.bvh", rest_skeleton=True)
    assert np.abs(_fk_of_file(rest) - tall.joints).max() > 0.05
    np.testing.assert_allclose(bvh.read_bvh(rest).offsets[1:], bone_offsets()[[*bvh._joint_order()][1:]], atol=1e-6)


def test_other_euler_orders_round_trip(tmp_path):
    motion = demo_motion(seconds=1.0, seed=2)
    for order in ("XYZ", "YXZ"):
        path = bvh.write_bvh(motion, tmp_path / f"{order}.bvh", order=order)
        assert bvh.read_bvh(path).channels[1] == [f"{a}rotation" for a in order]
        assert np.abs(_fk_of_file(path) - motion.joints).max() < MM


def test_bad_arguments_and_malformed_files(tmp_path):
    motion = demo_motion(seconds=1.0)
    with pytest.raises(InputError, match="scale"):
        bvh.write_bvh(motion, tmp_path / "x.bvh", scale=0.0)
    with pytest.raises(InputError, match="Euler order"):
        bvh.write_bvh(motion, tmp_path / "x.bvh", order="XXZ")
    assert not (tmp_path / "x.bvh").exists()
    good = bvh.write_bvh(motion, tmp_path / "good.bvh").read_text()
    (tmp_path / "short.bvh").write_text(good[: len(good) // 2])
    with pytest.raises(InputError, match="motion values|ends early|malformed"):
        bvh.read_bvh(tmp_path / "short.bvh")
    (tmp_path / "junk.bvh").write_text("hello world")
    with pytest.raises(InputError, match="not a BVH"):
        bvh.read_bvh(tmp_path / "junk.bvh")
    with pytest.raises(InputError, match="no such file"):
        bvh.read_bvh(tmp_path / "absent.bvh")


def test_load_bvh_motion_gives_the_motion_back(tmp_path):
    motion = demo_motion(seconds=1.0, seed=3)
    again = bvh.load_bvh_motion(bvh.write_bvh(motion, tmp_path / "m.bvh", scale=100.0), scale=100.0)
    assert again.fps == pytest.approx(30.0, rel=1e-6)
    assert np.abs(again.joints - motion.joints).max() < MM
    assert np.abs(again.rotations - motion.rotations).max() < 1e-5
    np.testing.assert_allclose(again.features, motion.features, atol=1e-4)
    (tmp_path / "other.bvh").write_text(
        "HIERARCHY\nROOT hips\n{\nOFFSET 0 0 0\nCHANNELS 3 Xposition Yposition Zposition\n"
        "End Site\n{\nOFFSET 0 1 0\n}\n}\nMOTION\nFrames: 1\nFrame Time: 0.033333\n0 0 0\n"
    )
    assert bvh.read_bvh(tmp_path / "other.bvh").joint_positions().shape == (1, 1, 3)
    with pytest.raises(InputError, match="not an SMPL-22 BVH"):
        bvh.load_bvh_motion(tmp_path / "other.bvh")
