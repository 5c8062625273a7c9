"""The procedural motion library: contract, plausibility of every primitive, composition, labels, determinism."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from generator.motion.kinematics import forward_kinematics
from generator.motion.plausibility import (
    boundary_discontinuity,
    floating_ratio,
    foot_skating_ratio,
    joint_limit_violations,
    max_joint_acceleration,
    penetration,
    plausibility_report,
)
from generator.motion.skeleton import REST_POSE
from generator.procedural import PRIMITIVES, Clip, generate_clip, generate_primitive_clip
from generator.procedural import primitives as P
from generator.procedural.captions import gerund, third_person
from generator.procedural.compose import _layer
from generator.procedural.pose import solve

MAX_ACCELERATION = 160.0  # m/s^2; landing impacts of the jumps are the largest

warnings.filterwarnings("ignore", message="Gimbal lock")


def _check_clip_contract(clip: Clip) -> None:
    t = clip.joints.shape[0]
    assert clip.joints.shape == (t, 22, 3) and clip.joints.dtype == np.float32
    assert clip.rotations.shape == (t, 22, 3, 3) and clip.rotations.dtype == np.float32
    assert clip.root_translation.shape == (t, 3)
    np.testing.assert_allclose(clip.root_translation, clip.joints[:, 0], atol=1e-6)
    assert len(clip.frame_labels) == t and clip.flight.shape == (t,) and clip.flight.dtype == bool
    assert clip.fps == 30
    assert len(clip.captions) == 3 and len(set(clip.captions)) == 3
    assert all(c and c[0].islower() and c.endswith(".") for c in clip.captions)
    # segments tile the clip exactly and agree with the per-frame labels
    assert clip.segments[0][1] == 0 and clip.segments[-1][2] == t
    for (_, _, end), (_, start, _) in zip(clip.segments[:-1], clip.segments[1:]):
        assert end == start
    for label, a, b in clip.segments:
        assert set(clip.frame_labels[a:b]) == {label}
    # joints are the FK of the rotations on the rest skeleton
    fk = forward_kinematics(clip.rotations.astype(np.float64), clip.root_translation.astype(np.float64))
    np.testing.assert_allclose(fk, clip.joints, atol=2e-4)


@pytest.mark.parametrize("name", sorted(PRIMITIVES))
def test_every_primitive_is_plausible(name):
    clip = generate_primitive_clip(name, seed=1)
    _check_clip_contract(clip)
    rep = plausibility_report(clip)
    assert rep["foot_skating_ratio"] < 0.03, rep
    assert rep["penetration_m"] < 0.01, rep
    assert rep["floating_ratio"] < 0.01, rep
    assert rep["joint_limit_violation_ratio"] == 0.0, rep
    assert rep["max_joint_acceleration"] < MAX_ACCELERATION, rep
    # starts and ends standing in the neutral stance: feet flat on the floor
    for frame in (0, -1):
        feet = clip.joints[frame, [10, 11], 1]
        np.testing.assert_allclose(feet, 0.0, atol=1e-4)
    assert clip.primitives == [name] and set(clip.frame_labels) != {"transition"}


def test_catalogue_size_and_specs():
    assert len(PRIMITIVES) >= 25
    kinds = {spec.kind for spec in PRIMITIVES.values()}
    assert kinds == {"locomotion", "body", "arms"}


def test_planted_feet_do_not_move_and_reach_their_targets():
    track = P.walk(speed=1.3, duration=4.0)
    rot, joints, _ = solve(track)
    np.testing.assert_allclose(joints[:, [10, 11]], track.toe, atol=1e-6)
    for s in (0, 1):
        planted = track.contact[1:, s] & track.contact[:-1, s]
        step = np.linalg.norm(np.diff(joints[:, 10 + s], axis=0), axis=-1)
        assert step[planted].max() < 1e-6  # stance toes stay exactly in place
    assert track.contact.all(axis=1).any() and (~track.contact).any()


def test_walk_moves_forward_and_turn_turns():
    walk = generate_primitive_clip("walk", seed=0, speed=1.2, duration=4.0, turn=0.0)
    dz = walk.joints[-1, 0, 2] - walk.joints[0, 0, 2]
    assert dz > 2.0 and abs(walk.joints[-1, 0, 0]) < 0.2
    back = generate_primitive_clip("walk_backward", seed=0)
    assert back.joints[-1, 0, 2] < back.joints[0, 0, 2] - 0.5
    left = generate_primitive_clip("turn", seed=0, angle=np.pi / 2)
    fwd = left.rotations[-1, 0] @ np.array([0.0, 0.0, 1.0])
    np.testing.assert_allclose(fwd, [1.0, 0.0, 0.0], atol=1e-6)  # facing +x = turned to its left
    side = generate_primitive_clip("walk_sideways", seed=0, side=1)
    assert side.joints[-1, 0, 0] < side.joints[0, 0, 0] - 0.5  # to its right = -x


def test_gestures_look_right():
    wave = generate_primitive_clip("wave", seed=0, side=0, high=True, waves=3)
    wrist_above = wave.joints[:, 20, 1] - wave.joints[:, 16, 1]
    assert wrist_above.max() > 0.2  # the left hand waves above the shoulder
    assert np.ptp(wave.joints[:, 20, 0]) > 0.15  # side to side
    assert np.abs(wave.joints[:, 21] - wave.joints[0, 21]).max() < 0.02  # right arm stays down
    assert "left" in " ".join(wave.captions)
    clap = generate_primitive_clip("clap", seed=0, claps=4)
    gap = np.linalg.norm(clap.joints[:, 20] - clap.joints[:, 21], axis=-1)
    assert gap.min() < 0.12 and gap[len(gap) // 2 - 10 : len(gap) // 2 + 10].max() > 0.25
    squat = generate_primitive_clip("squat", seed=0, reps=1, depth=0.35)
    low = squat.joints[:, 0, 1].argmin()
    assert squat.joints[0, 0, 1] - squat.joints[low, 0, 1] > 0.3
    for knee, hip, ankle in ((4, 1, 7), (5, 2, 8)):  # knees bend forward, over the toes
        assert squat.joints[low, knee, 2] > 0.5 * (squat.joints[low, hip, 2] + squat.joints[low, ankle, 2]) + 0.1


def test_jump_has_a_ballistic_flight_phase():
    clip = generate_primitive_clip("jump", seed=0, height=0.15, reps=2)
    fl = clip.flight
    assert fl.sum() >= 10
    runs = np.flatnonzero(np.diff(fl.astype(int)) == 1)
    assert len(runs) == 2  # jumped twice
    assert clip.joints[fl][:, :, 1].min(axis=1).min() > 0.0  # off the floor in flight
    apex = clip.joints[fl, 0, 1].max() - clip.joints[0, 0, 1]
    assert 0.1 < apex < 0.3
    assert floating_ratio(clip.joints, clip.flight) == 0.0 and floating_ratio(clip.joints) > 0.05


def test_layering_walk_while_waving():
    base, arms = P.walk(speed=1.0, duration=5.0), P.wave(side=1, high=True, waves=3)
    mixed = _layer(base, arms, (1,), "wave")
    np.testing.assert_array_equal(mixed.toe, base.toe)  # legs from the walk
    np.testing.assert_array_equal(mixed.hand[:, 0], base.hand[:, 0])  # the other arm keeps swinging
    _, joints, _ = solve(mixed)
    assert (joints[:, 21, 1] - joints[:, 17, 1]).max() > 0.2  # right hand up above the shoulder while walking
    assert "walk+wave" in set(mixed.labels)
    assert boundary_discontinuity(joints) < 0.1


def test_generate_clip_contract_labels_and_durations():
    for seed in range(12):
        clip = generate_clip(seed, min_seconds=2.0, max_seconds=10.0)
        _check_clip_contract(clip)
        assert 2.0 * 30 <= clip.joints.shape[0] <= 10.0 * 30
        assert 1 <= len(clip.primitives) <= 8
        assert set(clip.frame_labels) - {"transition"}
        for b in clip.boundaries:
            assert clip.frame_labels[b] == "transition"
    short = generate_clip(3, min_seconds=2.0, max_seconds=3.0)
    assert 60 <= short.joints.shape[0] <= 90


def test_determinism_identical_bytes():
    a, b, c = generate_clip(123), generate_clip(123), generate_clip(124)
    assert a.joints.tobytes() == b.joints.tobytes() and a.rotations.tobytes() == b.rotations.tobytes()
    assert a.captions == b.captions and a.frame_labels == b.frame_labels
    assert a.joints.tobytes() != c.joints.tobytes() or a.captions != c.captions


def test_quality_over_many_clips():
    reps, frames = [], []
    for seed in range(1000, 1040):
        clip = generate_clip(seed)
        reps.append(plausibility_report(clip))
        frames.append(clip.joints.shape[0])
    f = np.asarray(frames, dtype=np.float64)
    skating = np.array([r["foot_skating_ratio"] for r in reps])
    assert (skating * (f - 1)).sum() / (f - 1).sum() < 0.02
    assert max(r["penetration_m"] for r in reps) < 0.01
    assert (np.array([r["floating_ratio"] for r in reps]) * f).sum() / f.sum() < 0.01
    assert max(r["joint_limit_violation_ratio"] for r in reps) == 0.0
    assert max(r["boundary_jump_m"] for r in reps) < 0.02  # composition boundaries are continuous
    assert max(r["max_joint_acceleration"] for r in reps) < MAX_ACCELERATION


def test_captions_grammar_and_mentions():
    assert third_person("walk forward") == "walks forward"
    assert third_person("punch forward") == "punches forward" and third_person("do a squat") == "does a squat"
    assert gerund("wave the hand") == "waving the hand" and gerund("jog") == "jogging" and gerund("clap") == "clapping"
    kick = generate_primitive_clip("kick", seed=0, side=1)
    assert sum("right" in c for c in kick.captions) >= 1


def test_plausibility_metrics_detect_problems():
    t = 30
    still = np.repeat(REST_POSE[None] + np.array([0.0, 0.92, 0.0]), t, 0)
    assert foot_skating_ratio(still) == 0.0 and penetration(still) < 1e-9 and floating_ratio(still) == 0.0
    sliding = still.copy()
    sliding[:, :, 2] += np.arange(t)[:, None] * (1.0 / 30)  # whole body slides at 1 m/s with feet on the floor
    assert foot_skating_ratio(sliding) > 0.9
    sunk = still - np.array([0.0, 0.03, 0.0])
    assert abs(penetration(sunk) - 0.03) < 1e-6
    assert floating_ratio(still + np.array([0.0, 0.2, 0.0])) == 1.0
    assert floating_ratio(still + np.array([0.0, 0.2, 0.0]), flight=np.ones(t, bool)) == 0.0
    popped = still.copy()
    popped[15:] += np.array([0.05, 0.0, 0.0])
    assert abs(boundary_discontinuity(popped, boundaries=[15]) - 0.05) < 1e-6
    assert boundary_discontinuity(popped) > 0.04 and boundary_discontinuity(sliding) < 1e-9
    assert max_joint_acceleration(still) == 0.0
    rot = np.repeat(np.eye(3)[None, None], 2, 0).repeat(22, 1)
    assert joint_limit_violations(rot).max() == 0.0
    bad = rot.copy()
    a = np.radians(-40.0)  # knee hyperextended by 40 degrees
    bad[1, 4] = [[1, 0, 0], [0, np.cos(a), -np.sin(a)], [0, np.sin(a), np.cos(a)]]
    viol = joint_limit_violations(bad)
    assert viol[0].max() == 0.0 and abs(viol[1, 4] - 35.0) < 1e-6
