"""Stick-figure videos: mp4 and gif read back with the expected frame counts and sizes; failures leave no file."""

from __future__ import annotations

import imageio.v2 as imageio
import numpy as np
import pytest

from generator.motion import render
from generator.motion.demo import demo_motion
from generator.motion.errors import InputError
from generator.motion.file import HumanMotion
from generator.motion.kinematics import forward_kinematics

SECONDS = 1.0  # 30 frames


@pytest.fixture(scope="module")
def motion():
    return demo_motion(seconds=SECONDS, seed=0)


def _count_frames(path) -> int:
    with imageio.get_reader(path) as reader:
        return reader.count_frames()


def test_mp4_has_one_frame_per_motion_frame(tmp_path, motion):
    path = render.render_motion(motion, tmp_path / "m.mp4", size=(320, 240))
    assert _count_frames(path) == motion.num_frames
    with imageio.get_reader(path) as reader:
        assert reader.get_meta_data()["fps"] == pytest.approx(30.0)
        first, last = reader.get_data(0), reader.get_data(motion.num_frames - 1)
    assert first.shape == (240, 320, 3)
    assert np.abs(first.astype(int) - last.astype(int)).mean() > 0.1  # the figure moves
    assert first.min() < 100 and np.median(first) > 200  # dark strokes on a light background


def test_stride_keeps_duration(tmp_path, motion):
    path = render.render_motion(motion, tmp_path / "s.mp4", stride=3, size=(320, 240))
    assert _count_frames(path) == 10
    with imageio.get_reader(path) as reader:
        assert reader.get_meta_data()["fps"] == pytest.approx(10.0)


def test_gif(tmp_path, motion):
    path = render.render_motion(motion, tmp_path / "m.gif", stride=2, size=(200, 160))
    frames = imageio.mimread(path)
    assert len(frames) == 15
    assert frames[0].shape[:2] == (160, 200)


def test_side_by_side_panels(tmp_path, motion):
    other = demo_motion(seconds=0.5, seed=4)  # shorter: holds its last frame
    path = render.render_motions([motion, other], tmp_path / "two.mp4", size=(240, 200), titles=["a", "b"])
    with imageio.get_reader(path) as reader:
        assert reader.count_frames() == motion.num_frames
        assert reader.get_data(0).shape == (200, 480, 3)


def test_bad_arguments(tmp_path, motion):
    with pytest.raises(InputError, match="unsupported video type"):
        render.render_motion(motion, tmp_path / "m.avi")
    with pytest.raises(InputError, match="stride"):
        render.render_motion(motion, tmp_path / "m.mp4", stride=0)
    with pytest.raises(InputError, match="too small"):
        render.render_motion(motion, tmp_path / "m.mp4", size=(10, 10))
    assert list(tmp_path.iterdir()) == []


def test_failure_while_rendering_leaves_no_file(tmp_path, motion, monkeypatch):
    calls = {"n": 0}
    original = render._Panel.update

    def failing(self, frame):
        calls["n"] += 1
        if calls["n"] > 5:
            raise RuntimeError("simulated crash mid-video")
        original(self, frame)

    monkeypatch.setattr(render._Panel, "update", failing)
    for name in ("m.mp4", "m.gif"):
        calls["n"] = 0
        with pytest.raises(RuntimeError, match="simulated"):
            render.render_motion(motion, tmp_path / name)
    assert list(tmp_path.iterdir()) == []  # neither the video nor a temporary file remains


def test_camera_follows_a_travelling_body(tmp_path, motion):
    """A clip that covers much more floor than the body gets a following camera: the body stays near the centre."""
    trans = motion.root_translation.astype(np.float64)
    trans[:, 2] += np.arange(motion.num_frames) * 8.0 / 30  # 8 m in one second
    fast = HumanMotion.from_joints_rotations(forward_kinematics(motion.rotations, trans), motion.rotations)
    path = render.render_motion(fast, tmp_path / "fast.mp4", size=(320, 240))
    with imageio.get_reader(path) as reader:
        frames = [reader.get_data(i) for i in (0, motion.num_frames - 1)]
    for frame in frames:  # the red and blue limbs are drawn within the middle half of the picture
        colored = np.argwhere(np.abs(frame[..., 0].astype(int) - frame[..., 2]) > 80)
        assert len(colored) > 50
        assert 110 < colored[:, 1].mean() < 210  # 160 is the centre; a fixed camera gives 75 and 257
    fig_free = render.render_motions([fast], tmp_path / "wide.mp4", size=(320, 240), follow=False)
    assert _count_frames(fig_free) == motion.num_frames
