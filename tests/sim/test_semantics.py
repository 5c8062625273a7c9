"""Semantic scores with the shipped robot-side recogniser: order, sides and falls, on retargeted procedural clips."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from sim.recognizer import DEFAULT_RECOGNIZER, load_recognizer, motion_features, rollout_features
from sim.semantics import FALLEN, semantic_scores, timeline


@pytest.fixture(scope="module")
def recognizer():
    return load_recognizer(DEFAULT_RECOGNIZER)


def _robot(clips):
    """Retarget procedural primitives ((name, params) pairs) played one after another."""
    from generator.motion.file import HumanMotion
    from generator.procedural import PRIMITIVES
    from generator.procedural.pose import solve
    from generator.procedural.track import concat
    from retarget.pipeline import retarget_motion

    tracks = [PRIMITIVES[name].build(**params) for name, params in clips]
    track = concat(tracks) if len(tracks) > 1 else tracks[0]
    rotations, joints, _ = solve(track)
    return retarget_motion(HumanMotion.from_joints_rotations(joints, rotations, text="test")).motion


def _perfect_rollout(motion):
    """A rollout that tracked `motion` exactly (what the scores read of a rollout)."""
    qvel = np.concatenate([motion.body_lin_vel_w[:, 0], motion.body_ang_vel_w[:, 0], motion.joint_vel], axis=1)
    return SimpleNamespace(reference=motion, fps=motion.fps, qpos=motion.qpos, qvel=qvel,
                           body_pos_w=motion.body_pos_w, body_quat_w=motion.body_quat_w)  # fmt: skip


WALK = ("walk", {"speed": 0.8, "duration": 3.0, "turn": 0.0})
WAVE_LEFT = ("wave", {"side": 0, "high": True, "waves": 3})
WAVE_RIGHT = ("wave", {"side": 1, "high": True, "waves": 3})


def test_rollout_and_reference_are_read_the_same_way():
    motion = _robot([WAVE_LEFT])
    assert np.allclose(motion_features(motion), rollout_features(_perfect_rollout(motion)), atol=1e-5)


def test_in_order_only_when_the_wave_comes_after_the_walk(recognizer):
    walk_then_wave = semantic_scores(recognizer, "walk then wave", _perfect_rollout(_robot([WALK, WAVE_LEFT])))
    wave_then_walk = semantic_scores(recognizer, "walk then wave", _perfect_rollout(_robot([WAVE_LEFT, WALK])))
    assert walk_then_wave["requested_actions"] == ["walk", "wave"]
    assert walk_then_wave["robot_in_order"] and walk_then_wave["correct"], walk_then_wave["robot_actions"]
    assert not wave_then_walk["robot_in_order"] and not wave_then_walk["correct"], wave_then_walk["robot_actions"]


def test_a_mirrored_wave_scores_the_wrong_side(recognizer):
    prompt = "wave with the left hand"
    left = semantic_scores(recognizer, prompt, _perfect_rollout(_robot([WAVE_LEFT])))
    right = semantic_scores(recognizer, prompt, _perfect_rollout(_robot([WAVE_RIGHT])))
    assert left["sides"][0]["robot"] == "left" and left["sides_correct"] and left["correct"]
    assert right["sides"][0]["robot"] == "right" and right["sides_correct"] is False and not right["correct"]


def test_a_rollout_that_falls_early_misses_the_actions_it_never_performed(recognizer):
    rollout = _perfect_rollout(_robot([WALK, WAVE_LEFT]))
    fell = semantic_scores(recognizer, "walk then wave", rollout, fall_frame=60)  # 1.2 s into the walk
    assert "wave" in fell["missing_actions"] and not fell["correct"]
    assert fell["timeline"]["robot"][-1]["action"] == FALLEN
    assert fell["reference_frames_performed"] < 0.5


def test_checks_measure_the_walk_and_the_raised_hand(recognizer):
    motion = _robot([WALK, WAVE_LEFT])
    done = semantic_scores(recognizer, "walk then wave", _perfect_rollout(motion))["checks"]
    walk, wave = done
    assert walk["action"] == "walk" and walk["robot"] == walk["reference"] > 1.0  # 0.8 m/s for about 3 s
    assert wave["measure"].startswith("left wrist") and wave["raised"] and wave["robot"] == wave["reference"] > 0.0
    frozen = _perfect_rollout(motion)  # bodies held where they start: no walk, hands down
    frozen.body_pos_w = np.repeat(motion.body_pos_w[:1], motion.num_frames, axis=0)
    still = semantic_scores(recognizer, "walk then wave", frozen)
    assert still["checks"][0]["robot"] == 0.0 and not still["checks"][1]["raised"]
    from sim.report import _timelines

    shown = _timelines(still)
    assert "Checks: walk: pelvis displacement (m) robot 0.0" in shown and "(not raised)" in shown
    assert "(under 1 m)" in shown and walk["done"] and wave["done"]
    assert not still["checks"][0]["done"] and not still["checks"][1]["done"]


def test_timeline_merges_blips_into_the_run_before():
    labels = ["stand"] * 10 + ["walk"] * 20 + ["wave"] * 2 + ["walk"] * 5 + ["wave"] * 30
    assert [s["action"] for s in timeline(labels, 10.0, 5)] == ["stand", "walk", "wave"]
    assert [s["action"] for s in timeline(["turn"] * 2 + labels, 10.0, 5)] == ["stand", "walk", "wave"]


def test_best_of_k_ranks_semantics_first_then_checks_then_falls_then_cost():
    from sim.demo import candidate_row, rank_key

    def scores(correct, fell, cost, walked=True):
        summary = {"fell": fell, "success": not fell, "g_mpjpe_mm": 50.0, "physical_cost": cost}
        checks = [{"action": "walk", "done": walked}, {"action": "wave", "done": True}]
        return {"summary": summary, "semantics": {"correct": correct, "robot_in_order": correct, "checks": checks}}

    cands = {
        "wrong but steady": scores(False, False, 0.1), "right, fell": scores(True, True, 10.5),
        "right, steady, costly": scores(True, False, 2.0), "right, steady, cheap": scores(True, False, 1.0),
        "wrong, walked short, cheap": scores(False, False, 0.05, walked=False),
    }  # fmt: skip
    order = sorted(cands, key=lambda k: rank_key(cands[k]))
    assert order == ["right, steady, cheap", "right, steady, costly", "right, fell", "wrong but steady",
                     "wrong, walked short, cheap"]  # fmt: skip
    row = candidate_row(0, 7, cands["right, fell"], kept=False)
    assert row["correct"] is True and row["fell"] is True and row["seed"] == 7


def test_the_recogniser_fits_only_rollouts_that_tracked_their_reference():
    from dataclasses import replace

    from controller.config import DEFAULT_POLICY
    from sim.recognizer import _tracker

    track = _tracker(DEFAULT_POLICY, seed=0)
    motion = _robot([WAVE_RIGHT])
    rollout = track(motion)
    assert rollout is not None and rollout_features(rollout).shape == motion_features(motion).shape
    assert not np.allclose(rollout_features(rollout), motion_features(motion), atol=1e-3)  # what the robot did
    flying = motion.body_pos_w.copy()
    flying[:, :, 2] += np.linspace(0.0, 2.0, motion.num_frames)[:, None]  # a reference rising 2 m: never trackable
    assert track(replace(motion, body_pos_w=flying)) is None
