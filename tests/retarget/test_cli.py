"""The retarget command line, batch mode, exporters and preview: outputs, metrics CSV and one-line errors."""

from __future__ import annotations

import csv
import pickle

import numpy as np
import pytest

from generator.motion.file import HumanMotion
from retarget import export, robot
from retarget.__main__ import main
from retarget.robot_motion import RobotMotion, load_robot_motion


@pytest.fixture(scope="module")
def walk_file(tmp_path_factory, walk):
    path = tmp_path_factory.mktemp("human") / "walk.npz"
    walk(0.8, seed=3).save(path)
    return path


def _raw_save(path, **arrays):
    base = {"text": np.asarray("x"), "fps": np.asarray(30.0)}
    base.update(arrays)
    np.savez(path, **base)


def test_single_file_with_exports(walk_file, tmp_path, capsys):
    out = tmp_path / "robot.npz"
    rc = main([str(walk_file), "-o", str(out), "--csv", str(tmp_path / "r.csv"),
               "--gmr-pickle", str(tmp_path / "r.pkl"), "--quiet"])  # fmt: skip
    assert rc == 0
    text = capsys.readouterr().out
    assert "foot_sliding_pct=" in text and "limit_violations=0" in text
    motion = load_robot_motion(out)
    assert motion.fps == 50 and motion.num_frames == 39  # 24 frames at 30 fps span 23/30 s -> 39 at 50 fps
    with open(tmp_path / "r.pkl", "rb") as f:
        gmr = pickle.load(f)
    assert gmr["root_rot"].shape == (39, 4) and gmr["dof_pos"].shape == (39, 29) and gmr["fps"] == 50
    np.testing.assert_allclose(gmr["root_rot"][:, 3], motion.body_quat_w[:, 0, 0], atol=1e-6)  # xyzw: w last
    rows = np.loadtxt(tmp_path / "r.csv", delimiter=",")
    assert rows.shape == (39, 36)
    back = export.load_csv(tmp_path / "r.csv", fps=50)
    np.testing.assert_allclose(back.qpos, motion.qpos, atol=1e-4)
    again = export.load_gmr_pickle(tmp_path / "r.pkl")
    np.testing.assert_allclose(again.qpos, motion.qpos, atol=1e-5)


@pytest.mark.parametrize(
    "arrays, message",
    [
        ({"joints": np.zeros((5, 21, 3)), "rotations": np.zeros((5, 22, 3, 3)), "root_translation": np.zeros((5, 3)),
          "features": np.zeros((5, 272))}, "shape"),
        ({"joints": np.full((5, 22, 3), np.nan), "rotations": np.zeros((5, 22, 3, 3)),
          "root_translation": np.zeros((5, 3)), "features": np.zeros((5, 272))}, "NaN"),
        ({"joints": np.zeros((0, 22, 3)), "rotations": np.zeros((0, 22, 3, 3)), "root_translation": np.zeros((0, 3)),
          "features": np.zeros((0, 272))}, "0 frames"),
        ({"joints": np.zeros((5, 22, 3)), "rotations": np.tile(np.eye(3), (5, 22, 1, 1)),
          "root_translation": np.zeros((5, 3)), "features": np.zeros((5, 272))}, "collapse"),
    ],
)  # fmt: skip
def test_bad_input_exits_2_with_one_line(tmp_path, capsys, arrays, message):
    src = tmp_path / "bad.npz"
    _raw_save(src, **arrays)
    out = tmp_path / "out.npz"
    assert main([str(src), "-o", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:") and message in err[0]
    assert not out.exists()


def test_missing_file_and_wrong_suffix(tmp_path, walk_file, capsys):
    assert main([str(tmp_path / "nope.npz"), "-o", str(tmp_path / "o.npz")]) == 2
    assert main([str(walk_file), "-o", str(tmp_path / "o.txt")]) == 2
    assert main(["batch", str(tmp_path / "empty"), "-o", str(tmp_path / "x")]) == 2
    assert capsys.readouterr().err.count("error:") == 3


def test_airborne_clip_is_flagged(tmp_path, capsys, walk):
    human = walk(0.5, seed=2)
    human.joints = human.joints + np.array([0.0, 1.0, 0.0], dtype=np.float32)
    human.root_translation = human.joints[:, 0]
    src = tmp_path / "air.npz"
    HumanMotion.save(human, src)
    assert main([str(src), "-o", str(tmp_path / "air_robot.npz"), "--quiet"]) == 0
    assert "warning: airborne" in capsys.readouterr().err
    assert "retarget_flags" in np.load(tmp_path / "air_robot.npz").files


def test_batch_reports_failures_and_writes_metrics(tmp_path, capsys, walk):
    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    walk(0.6, seed=0).save(src / "a.npz")
    walk(0.6, seed=1).save(src / "sub" / "b.npz")
    (src / "broken.npz").write_bytes(b"garbage")
    out = tmp_path / "out"
    rc = main(["batch", str(src), "-o", str(out), "--workers", "1"])
    assert rc == 1  # a failure happened and is reported
    captured = capsys.readouterr()
    assert "retargeted 2/3 clips" in captured.out and "aggregate:" in captured.out
    assert "failed: broken.npz" in captured.err
    rows = list(csv.DictReader(open(out / "metrics.csv")))
    assert [r["clip"] for r in rows] == ["a.npz", "broken.npz", "sub/b.npz"]
    assert [r["status"] for r in rows] == ["ok", "failed", "ok"]
    assert (out / "sub" / "b.npz").exists() and not (out / "broken.npz").exists()
    assert float(rows[0]["foot_sliding_pct"]) < 2.0


def test_preview_renders_robot_beside_human(tmp_path):
    from retarget.preview import PreviewUnavailable, render_preview

    q = np.tile(robot.default_qpos(), (6, 1))
    motion = RobotMotion.from_qpos(q, source_text="stand")
    human = np.zeros((4, 22, 3))
    human[:, :, 2] = np.linspace(0.0, 1.6, 22)
    try:
        path = render_preview(motion, human, tmp_path / "p.mp4", stride=3, size=(128, 96))
    except PreviewUnavailable as e:  # no EGL/OSMesa on this machine: genuinely absent resource
        pytest.skip(str(e))
    import imageio.v2 as imageio

    frames = [f for f in imageio.get_reader(path)]  # list() would ask for a length, which is unknown
    assert len(frames) == 2 and frames[0].shape == (96, 256, 3)
    assert frames[0][:, :128].std() > 5  # the robot half is not blank
