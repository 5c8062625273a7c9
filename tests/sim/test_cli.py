"""The sim commands end to end on a tiny motion, and bad input: exit status 2 with one line on stderr."""

from __future__ import annotations

import json

import numpy as np
import pytest

from retarget import robot
from retarget.robot_motion import RobotMotion
from sim import demo, replay, score, view


@pytest.fixture(scope="module")
def motion_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("sim") / "stand.npz"
    RobotMotion.from_qpos(np.tile(robot.default_qpos(), (20, 1)), source_text="stand").save(path)
    return path


def _one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err and "Traceback" not in err
    return err


def test_replay_then_score(motion_file, tmp_path, capsys):
    out = tmp_path / "r.npz"
    assert replay.main([str(motion_file), "--pd", "-o", str(out), "--seed", "3"]) == 0
    assert out.exists() and out.with_suffix(".json").exists()
    assert json.loads(out.with_suffix(".json").read_text())["settings"]["seed"] == 3
    assert score.main([str(out), "-o", str(tmp_path / "s.json")]) == 0
    scores = json.loads((tmp_path / "s.json").read_text())
    assert {"foot_contact", "balance", "tracking", "effort", "smoothness", "reference_feasibility"} <= set(scores)
    assert scores["settings"]["rollout"]["decimation"] == 4 and not scores["summary"]["fell"]
    # open-loop replay of the recorded actions from the rollout file
    assert replay.main([str(motion_file), "--actions", str(out), "-o", str(tmp_path / "a.npz")]) == 0


def _corrupt(tmp_path):
    p = tmp_path / "bad.npz"
    p.write_bytes(b"not a zip")
    return p


def _nan_motion(tmp_path):
    m = RobotMotion.from_qpos(np.tile(robot.default_qpos(), (5, 1)))
    m.joint_pos[2, 3] = np.nan
    p = tmp_path / "nan.npz"
    np.savez(p, **{k: getattr(m, k) for k in ("joint_pos", "joint_vel", "body_pos_w", "body_quat_w",
                                             "body_lin_vel_w", "body_ang_vel_w")}, fps=np.asarray(50.0))  # fmt: skip
    return p


@pytest.mark.parametrize(
    "cli, args",
    [
        (replay, lambda t, m: [str(t / "missing.npz"), "--pd", "-o", str(t / "o.npz")]),
        (replay, lambda t, m: [str(_corrupt(t)), "--pd", "-o", str(t / "o.npz")]),
        (replay, lambda t, m: [str(_nan_motion(t)), "--pd", "-o", str(t / "o.npz")]),
        (replay, lambda t, m: [str(m), "--pd", "-o", str(t / "o.txt")]),
        (replay, lambda t, m: [str(m), "--pd", "--balance-gain", "nan", "-o", str(t / "o.npz")]),
        (replay, lambda t, m: [str(m), "--actions", str(m), "-o", str(t / "o.npz")]),
        (replay, lambda t, m: [str(m), "--policy", str(t / "none.onnx"), "-o", str(t / "o.npz")]),
        (score, lambda t, m: [str(m)]),  # a robot motion is not a rollout
        (score, lambda t, m: [str(_corrupt(t))]),
        (view, lambda t, m: [str(m), "-o", str(t / "v.mp4")]),
        (view, lambda t, m: [str(m), "--width", "5000", "-o", str(t / "v.mp4")]),
        (demo, lambda t, m: ["   ", "--out", str(t / "d")]),
        (demo, lambda t, m: ["walk", "--num", "0", "--out", str(t / "d")]),
        (demo, lambda t, m: ["sing an opera aria", "--source", "procedural", "--out", str(t / "d"), "--no-video"]),
    ],
)
def test_bad_input_exit_2_one_line(cli, args, motion_file, tmp_path, capsys):
    assert cli.main(args(tmp_path, motion_file)) == 2
    _one_line_error(capsys)
    assert not (tmp_path / "o.npz").exists()


def test_replay_eval_runs_the_deployed_policy_per_group(tmp_path) -> None:
    """The sim-to-sim check replays an exported (ONNX) policy closed loop and scores each motion."""
    from controller.builtin_motions import wave
    from controller.config import DEFAULT_POLICY
    from sim.replay_eval import replay_eval

    path = wave(1.0).save(tmp_path / "wave_0.npz")
    (row,) = replay_eval(DEFAULT_POLICY, [path])
    assert row["group"] == "in_place" and row["frames"] == 51
    assert isinstance(row["success"], bool) and row["g_mpjpe_mm"] >= 0.0
