"""Video, plots and the demo report: files written, and the HTML shows the video in headless Chromium."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import imageio.v2 as imageio
import numpy as np
import pytest

from generator.motion.file import HumanMotion
from generator.procedural import generate_primitive_clip
from sim.demo import run_demo

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    clip = generate_primitive_clip("idle", seed=0, duration=1.0)
    human = HumanMotion.from_joints_rotations(clip.joints, clip.rotations, text="stand still")
    out = tmp_path_factory.mktemp("demo")
    result = run_demo(human, out, seed=0, source="test clip", video_stride=10)
    return out, result


def test_demo_folder(demo_dir):
    out, result = demo_dir
    for name in ("human_motion.npz", "robot_motion.npz", "rollout.npz", "rollout.json", "scores.json", "human.mp4",
                 "robot.mp4", "feet.png", "balance.png", "tracking.png", "index.html"):  # fmt: skip
        assert (out / name).stat().st_size > 0, name
    frames = imageio.mimread(out / "robot.mp4", memtest=False)
    assert len(frames) >= 3 and frames[0].shape == (480, 640, 3)
    assert np.std(frames[0]) > 5  # a rendered scene, not a blank frame
    html = (out / "index.html").read_text()
    assert '<video src="robot.mp4"' in html and "feet.png" in html and "g_mpjpe_mm" in html
    assert "reference-PD baseline" in html or "policy" in html
    assert result.scores["settings"]["demo"]["source"] == "test clip"


@pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium not installed")
def test_report_opens_in_headless_chromium(demo_dir):
    out, _ = demo_dir
    dom = subprocess.run(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", (out / "index.html").as_uri()],
        capture_output=True, text=True, timeout=120,
    ).stdout  # fmt: skip
    assert "<video" in dom and "robot.mp4" in dom
    assert shutil.which(str(CHROMIUM))
