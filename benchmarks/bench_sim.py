"""Real-time factor of replay + scoring in classic MuJoCo on the CPU (one env), vectorised contact handling against
the naive way (a Python loop over data.contact calling mj_contactForce at every physics step, and a per-contact
loop in the scoring's collision pass), measured on the same rollout in the same run.

    python benchmarks/bench_sim.py [--seconds 10] [--mode pd|policy] [--policy P] [--repeats 3]
"""

from __future__ import annotations

import argparse
import time
from unittest import mock

import mujoco
import numpy as np

import sim.rollout as rollout_mod
import sim.scores as scores_mod
from retarget import robot
from retarget.robot_motion import RobotMotion
from sim.rollout import RolloutConfig, foot_forces_naive, run_rollout
from sim.scene import build_scene
from sim.scores import FrameGeometry, ScoreConfig, score_rollout


def naive_frame_geometry(scene, qpos, config: ScoreConfig) -> FrameGeometry:
    """The scoring's collision pass with a Python loop over each frame's contacts."""
    data = mujoco.MjData(scene.model)
    feet = set(scene.foot_geoms[0].tolist()) | set(scene.foot_geoms[1].tolist())
    floor, robot_geoms = set(scene.floor_geoms.tolist()), set(scene.robot_collision_geoms.tolist())
    t_len = len(qpos)
    points, pen, touch = [], np.zeros(t_len), np.full(t_len, -1)
    com, tilt = np.zeros((t_len, 3)), np.zeros(t_len)
    for t in range(t_len):
        com[t], tilt[t] = scores_mod.pose_frame(scene, data, qpos[t])
        pts = []
        for i in range(data.ncon):
            c = data.contact[i]
            g1, g2 = int(c.geom1), int(c.geom2)
            if g1 not in floor and g2 not in floor:
                continue
            other = g2 if g1 in floor else g1
            if other in feet:
                pts.append(c.pos[:2].copy())
                pen[t] = max(pen[t], -c.dist)
            elif other in robot_geoms and c.dist < config.ground_touch_depth_m and touch[t] < 0:
                touch[t] = other
        points.append(np.array(pts).reshape(-1, 2))
    return FrameGeometry(points, pen, touch, com, tilt)


def run_once(scene, reference, config, policy, naive: bool):
    """Replay + score; returns (replay seconds, scoring seconds, rollout, scores)."""
    patches = []
    if naive:
        patches = [
            mock.patch.object(rollout_mod, "foot_forces", lambda s, d, table=None: foot_forces_naive(s, d)),
            mock.patch.object(scores_mod, "frame_geometry", naive_frame_geometry),
        ]
    for p in patches:
        p.start()
    try:
        t0 = time.perf_counter()
        rollout = run_rollout(scene, reference, config, policy=policy)
        t1 = time.perf_counter()
        scores = score_rollout(scene, rollout, feasibility=False)
        t2 = time.perf_counter()
    finally:
        for p in patches:
            p.stop()
    return t1 - t0, t2 - t1, rollout, scores


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=10.0, help="length of the standing reference")
    ap.add_argument("--mode", choices=("pd", "policy"), default="pd")
    ap.add_argument("--policy", default=None, help="policy file for --mode policy")
    ap.add_argument("--repeats", type=int, default=3, help="best of N for each variant")
    args = ap.parse_args()

    scene = build_scene()
    frames = int(round(args.seconds / scene.dt))
    reference = RobotMotion.from_qpos(np.tile(robot.default_qpos(), (frames, 1)))
    policy = None
    if args.mode == "policy":
        from controller.deploy import DeployedPolicy

        policy = DeployedPolicy.load(args.policy)
    config = RolloutConfig(mode=args.mode, progress=False)
    run_once(scene, RobotMotion.from_qpos(reference.qpos[:20]), config, policy, naive=False)  # warm-up

    best = {}
    for naive in (False, True):
        runs = [run_once(scene, reference, config, policy, naive) for _ in range(args.repeats)]
        replay_s = min(r[0] for r in runs)
        score_s = min(r[1] for r in runs)
        best[naive] = (replay_s, score_s, runs[0][2], runs[0][3])
    fast, slow = best[False], best[True]
    np.testing.assert_allclose(fast[2].foot_forces, slow[2].foot_forces, atol=1e-8)
    assert fast[3]["foot_contact"] == slow[3]["foot_contact"] and fast[3]["balance"] == slow[3]["balance"]
    sim_s = frames * scene.dt
    print(f"{args.mode} replay of {sim_s:.1f} s ({frames} policy steps, {frames * scene.decimation} physics steps)")
    for name, (rep, sco, _, _) in (("vectorised", fast), ("naive loops", slow)):
        print(f"  {name:12s} replay {rep:6.3f} s  scoring {sco:6.3f} s  -> real-time factor {sim_s / (rep + sco):6.1f}x"
              f" (replay alone {sim_s / rep:6.1f}x)")  # fmt: skip
    print(f"speed-up vectorised vs naive (replay + scoring): {(slow[0] + slow[1]) / (fast[0] + fast[1]):.2f}x")
    print(f"speed-up of the replay alone: {slow[0] / fast[0]:.2f}x; of the scoring alone: {slow[1] / fast[1]:.2f}x")


if __name__ == "__main__":
    main()
