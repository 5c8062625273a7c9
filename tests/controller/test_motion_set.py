"""The tracker's motion sets and learning curves: groups, seeds that keep evaluation clips unseen, speed caps, the
progress plot, and their commands' bad-input lines."""

from __future__ import annotations

import numpy as np
import pytest

from controller import learning_curve
from controller import motion_groups as motion_set
from retarget.robot_motion import load_robot_motion


def test_eval_seed_gives_other_clips_than_training() -> None:
    train = {motion_set.clip_seed(0, n, k) for g in motion_set.GROUPS.values() for n in g for k in range(50)}
    test = {motion_set.clip_seed(motion_set.EVAL_SEED, n, k) for g in motion_set.GROUPS.values() for n in g
            for k in range(50)}  # fmt: skip
    assert not train & test


def test_build_groups_and_speed_cap(tmp_path) -> None:
    paths = motion_set.build_motion_set(tmp_path, seed=5, per_primitive=1, max_speed=0.8)
    assert {p.parent.name for p in paths} == {"in_place", "locomotion"}
    assert len(paths) == len(motion_set.IN_PLACE) + len(motion_set.LOCOMOTION)
    walk = load_robot_motion(tmp_path / "locomotion" / "walk_0.npz")
    root = walk.body_pos_w[:, 0, :2]
    speed = np.linalg.norm(root[-1] - root[0]) / (len(root) / walk.fps)
    assert speed <= 0.8 + 0.05
    again = motion_set.build_motion_set(tmp_path, seed=5, per_primitive=1)  # existing files are kept
    assert again == paths
    more = motion_set.build_motion_set(tmp_path, seed=5, per_primitive=1, max_speed=0.8, locomotion=2)
    assert more[: len(motion_set.IN_PLACE)] == paths[: len(motion_set.IN_PLACE)]  # clip k is the same clip
    assert sorted(p.name for p in more if p.parent.name == "locomotion") == sorted(
        f"{n}_{k}.npz" for n in motion_set.LOCOMOTION for k in range(2)
    )
    assert load_robot_motion(tmp_path / "locomotion" / "walk_0.npz").joint_pos.tolist() == walk.joint_pos.tolist()


def test_learning_curve_plot(tmp_path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    rows = [",".join(learning_curve_fields())]
    for i in range(30):
        rows.append(f"{i},{(i + 1) * 6144},{i * 5.0},{i * 9.0},{0.1 * i},{20 + i},{min(1.0, 0.03 * i)},{200}")
    (run / "progress.csv").write_text("\n".join(rows) + "\n")
    out = learning_curve.plot({"run": learning_curve.read_progress(run)}, tmp_path / "curve.png")
    assert out.stat().st_size > 10_000
    marked = learning_curve.main([str(run), "--out", str(tmp_path / "m.png"), "--mark", "12:odometry on"])
    assert marked == 0 and (tmp_path / "m.png").stat().st_size > 10_000


def learning_curve_fields() -> tuple[str, ...]:
    from controller.train import PROGRESS_FIELDS

    return PROGRESS_FIELDS


@pytest.mark.parametrize(
    "argv",
    [
        ["controller.motion_set", "--out", "{tmp}/m", "--per-primitive", "0"],
        ["controller.motion_set", "--out", "{tmp}/m", "--seed", "-1"],
        ["controller.motion_set", "--out", "{tmp}/m", "--locomotion", "0"],
        ["controller.learning_curve", "{tmp}/nothing", "--out", "{tmp}/c.png"],
        ["controller.learning_curve", "{run}", "--out", "{tmp}/c.png", "--mark", "twelve"],
        ["controller.learning_curve", "{run}", "--out", "{tmp}/c.png", "--mark", "999:past the end"],
    ],
)
def test_bad_input_is_one_line_exit_2(argv, tmp_path, capsys) -> None:
    import importlib

    module = importlib.import_module(argv[0])
    run = tmp_path / "run"
    run.mkdir()
    (run / "progress.csv").write_text(",".join(learning_curve_fields()) + "\n0,6144,1.0,1.0,0.1,20,0.5,10\n")
    args = [a.replace("{tmp}", str(tmp_path)).replace("{run}", str(run)) for a in argv[1:]]
    assert module.main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:")
    assert not (tmp_path / "c.png").exists() and not (tmp_path / "m").exists()


def test_train_refuses_an_existing_run_without_resume(tmp_path, capsys) -> None:
    from controller import train

    run = tmp_path / "run"
    run.mkdir()
    (run / "model_3.pt").write_bytes(b"not yours to overwrite")
    assert train.main(["--out", str(run), "--preset", "smoke"]) == 2
    assert "--resume" in capsys.readouterr().err
    assert (run / "model_3.pt").read_bytes() == b"not yours to overwrite"


def test_evaluate_refuses_to_write_onto_the_policy(tmp_path, capsys) -> None:
    from controller import evaluate

    policy = tmp_path / "policy.pt"
    policy.write_bytes(b"weights")
    assert evaluate.main(["--policy", str(policy), "--out", str(policy)]) == 2
    assert policy.read_bytes() == b"weights" and "policy" in capsys.readouterr().err


def test_generated_group_holds_the_shipped_generators_motions_retargeted(tmp_path) -> None:
    from generator.model.checkpoint import DEFAULT_DIR

    if not (DEFAULT_DIR / "config.json").exists():
        pytest.fail("the shipped generator checkpoint is missing")
    text, frames = motion_set.generated_prompt(0, seed=5)
    assert text and frames >= 40
    paths = motion_set.build_generated(tmp_path / "generated", seed=5, count=1)
    assert [p.name for p in paths] == ["gen_0.npz"]
    robot = load_robot_motion(paths[0])
    assert np.isfinite(robot.joint_pos).all() and abs(len(robot.joint_pos) / robot.fps - frames / 30) < 0.2
    stamp = paths[0].stat().st_mtime_ns
    assert motion_set.build_generated(tmp_path / "generated", seed=5, count=1) == paths  # kept, not regenerated
    assert paths[0].stat().st_mtime_ns == stamp
