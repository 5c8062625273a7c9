"""End to end on the CPU: two PPO iterations write a checkpoint that evaluate, export and deploy accept; the ONNX
actor gives the torch actor's actions; command-line errors are one line with exit status 2."""

from __future__ import annotations

import json

import mujoco
import numpy as np
import pytest
import torch

from controller.builtin_motions import idle, wave
from retarget import robot

MOTIONS = [("short", idle(0.4)), ("wave", wave(0.8))]


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    from controller.train import train

    out = tmp_path_factory.mktemp("run")
    return train(MOTIONS, "cpu", num_envs=2, iterations=2, out=out, seed=0, dr=True)


def test_checkpoint(checkpoint) -> None:
    from controller.policy_io import load_checkpoint

    assert checkpoint.name == "model_1.pt" and checkpoint.stat().st_size < 20e6
    assert not list(checkpoint.parent.glob("*.tmp*"))  # atomic writes leave no temporaries
    assert list(checkpoint.parent.glob("events.out.tfevents.*"))
    meta = load_checkpoint(checkpoint)["infos"]["controller"]
    assert meta["joint_names"] == list(robot.JOINT_NAMES) and meta["control_hz"] == pytest.approx(50.0)
    assert meta["observation_terms"][-1]["stop"] == meta["observation_dim"]
    assert len(meta["kp"]) == 29 and all(k > 0 for k in meta["kp"]) and len(meta["action_scale"]) == 29
    assert {r["motion"] for r in meta["motion_stats"]} == {"short", "wave"}


def test_evaluate(checkpoint) -> None:
    from controller.evaluate import evaluate, summary

    rows = evaluate(checkpoint, MOTIONS, num_envs=2, seed=0, progress=False)
    assert [r["motion"] for r in rows] == ["short", "wave"]
    assert [r["frames"] for r in rows] == [21, 41]
    for r in rows:
        assert np.isfinite(
            [r["g_mpjpe_mm"], r["mpjpe_mm"], r["vel_err_mm_per_frame"], r["acc_err_mm_per_frame2"]]
        ).all()
        assert r["success_phc"] == (r["max_mean_body_err_m"] <= 0.5)
    s = summary(rows)
    assert 0.0 <= s["success_phc"] <= 1.0 and s["frames"] == 62


def test_export_and_deploy(checkpoint, tmp_path) -> None:
    from controller.deploy import DeployedPolicy
    from controller.export import export

    onnx_path, json_path, diff = export(checkpoint, tmp_path / "export")
    assert diff < 1e-4
    meta = json.loads(json_path.read_text())
    assert meta["future_steps"] == [0, 1, 5, 10] and meta["policy_dt"] == pytest.approx(0.02)
    from_onnx, from_ckpt = DeployedPolicy.load(tmp_path / "export"), DeployedPolicy.load(checkpoint)
    model = robot.load_model(floor=True)
    data = mujoco.MjData(model)
    ref = wave(0.8)
    data.qpos[:] = ref.qpos[3]
    data.qvel[6:] = ref.joint_vel[3]
    for p in (from_onnx, from_ckpt):
        p.reset(ref)
    a_onnx, a_torch = from_onnx.act(model, data, 2), from_ckpt.act(model, data, 2)
    assert a_onnx.shape == (29,) and np.abs(a_onnx - a_torch).max() < 1e-4
    targets = from_ckpt.joint_targets(a_torch)
    # residual actions: around the reference joint positions of the targeted frame, (2 + 1) * 20 ms = frame 3
    assert meta["action_offset"] == "reference"
    np.testing.assert_allclose(targets, ref.joint_pos[3] + from_ckpt.action_scale * a_torch, atol=1e-5)
    # the next observation carries the action just taken
    obs = from_ckpt.observation(model, data, 3)
    last = next(t for t in meta["observation_terms"] if t["name"] == "actions")
    np.testing.assert_allclose(obs[last["start"] : last["stop"]], a_torch, atol=1e-6)
    assert torch.isfinite(torch.from_numpy(obs)).all()


@pytest.mark.parametrize(
    "module,args",
    [
        ("controller.evaluate", ["--policy", "missing.pt"]),
        ("controller.export", ["--policy", "{bad}", "-o", "{tmp}/x"]),
        ("controller.train", ["--motions", "{tmp}/nothing_here"]),
        ("controller.train", ["--num-envs", "0"]),
        ("controller.train", ["--odometry-noise", "0.1"]),
        ("controller.train", ["--odometry-noise", "nan,0.2"]),
        ("controller.evaluate", ["--odometry-noise", "0.1,-1"]),
    ],
)
def test_cli_errors(module, args, tmp_path, capsys) -> None:
    import importlib

    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"garbage")
    argv = [a.format(bad=bad, tmp=tmp_path) for a in args]
    assert importlib.import_module(module).main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ")


def test_legacy_task_config_has_no_odometry() -> None:
    from controller.config import TaskCfg

    legacy = {k: v for k, v in TaskCfg().to_dict().items() if k not in ("actor_odometry", "world_drift_m")}
    cfg = TaskCfg.from_dict(legacy)
    assert cfg.actor_odometry is False and cfg.world_drift_m == 0.0
    assert TaskCfg.from_dict(TaskCfg().to_dict()) == TaskCfg()
    before_noise = {k: v for k, v in TaskCfg().to_dict().items() if k != "odometry_noise"}
    assert TaskCfg.from_dict(before_noise).odometry_noise == (0.25, 0.5)  # BeyondMimic's, as such runs trained
    assert TaskCfg().odometry_noise == (0.05, 0.2)


def test_widening_the_observation_keeps_the_policy(tmp_path) -> None:
    """A policy trained without odometry, resumed with it: the widened actor acts exactly as before whatever the
    new inputs hold, the optimiser moments of the new inputs start at zero, and training continues from it."""
    from controller import tracking_obs
    from controller.config import TaskCfg
    from controller.policy_io import build_actor, load_checkpoint, widen_observation
    from controller.train import train
    from generator.motion.errors import InputError

    plain = TaskCfg(actor_odometry=False, world_drift_m=0.0)
    first = train(MOTIONS, "cpu", num_envs=2, iterations=1, out=tmp_path / "a", seed=0, task=plain)
    ckpt = load_checkpoint(first)
    meta = ckpt["infos"]["controller"]
    layout = tracking_obs.layout(29, len(meta["tracked_bodies"]), 4, tracking_obs.actor_terms(True))
    wide = widen_observation(ckpt, layout)
    d = int(meta["observation_dim"])
    assert wide["infos"]["controller"]["observation_dim"] == d + 6
    x = torch.randn(7, d)
    old, new = build_actor(ckpt), build_actor(wide)
    with torch.no_grad():
        # equal up to float32 summation order (BLAS may block a wider matmul differently)
        assert torch.allclose(old(x), new(torch.cat([x, 10.0 * torch.randn(7, 6)], dim=1)), rtol=1e-5, atol=1e-5)
    moments = [s for s in wide["optimizer_state_dict"]["state"].values() if s["exp_avg"].shape == (512, d + 6)]
    assert len(moments) == 1 and not moments[0]["exp_avg"][:, d:].any()
    with pytest.raises(InputError):
        widen_observation(wide, meta["observation_terms"])  # terms are only ever added
    resumed = train(MOTIONS, "cpu", num_envs=2, iterations=1, out=tmp_path / "b", resume=first, odometry=True)
    task = load_checkpoint(resumed)["infos"]["controller"]["task"]
    assert task["actor_odometry"] is True and task["world_drift_m"] == 0.5
    assert load_checkpoint(resumed)["infos"]["controller"]["observation_dim"] == d + 6
    # resumed again with other odometry noise; a progress row past the checkpoint (a run stopped after its last
    # save) is dropped, since those iterations are redone
    csv = tmp_path / "b" / "progress.csv"
    csv.write_text(csv.read_text() + "5,60,1.0,1.0,0.0,1.0,0.0,1\n")
    again = train(
        MOTIONS, "cpu", num_envs=2, iterations=2, out=tmp_path / "b", resume=resumed, odometry_noise=(0.1, 0.3)
    )
    assert TaskCfg.from_dict(load_checkpoint(again)["infos"]["controller"]["task"]).odometry_noise == (0.1, 0.3)
    assert [int(r.split(",")[0]) for r in csv.read_text().splitlines()[1:]] == [1, 2, 3]
