"""The attribute metric reads sides, turns, directions, counts and speeds from the joints of procedural clips."""

from __future__ import annotations

import numpy as np
import pytest

from generator.eval.attributes import ATTRIBUTE_PROMPTS, AttributePrompt, judge, real_joints
from generator.motion.repr272 import mirror_motion


def _mirrored(joints: np.ndarray) -> np.ndarray:
    return mirror_motion(joints, np.tile(np.eye(3), joints.shape[:2] + (1, 1)))[0]


@pytest.mark.parametrize("prompt", ATTRIBUTE_PROMPTS, ids=lambda p: p.text)
def test_real_motions_have_their_attribute(prompt):
    value, ok = judge(prompt, real_joints(prompt))
    assert ok, (prompt.text, value)


def test_a_mirrored_wave_is_the_other_side():
    left = next(p for p in ATTRIBUTE_PROMPTS if p.text == "a person waves with the left hand")
    assert judge(left, real_joints(left)) == ("left", True)
    assert judge(left, _mirrored(real_joints(left))) == ("right", False)


def test_a_reversed_turn_is_the_other_direction():
    left = next(p for p in ATTRIBUTE_PROMPTS if p.text == "a person turns to the left")
    joints = real_joints(left)
    assert judge(left, joints)[0] == "left"
    assert judge(left, joints[::-1].copy())[0] == "right"
    assert judge(left, _mirrored(joints))[0] == "right"


def test_a_single_wave_is_not_twice():
    twice = next(p for p in ATTRIBUTE_PROMPTS if p.text == "a person waves twice with the right hand")
    once = AttributePrompt(twice.text, "count", "2", "wave", {"side": 1, "high": True, "waves": 1})
    assert judge(twice, real_joints(twice)) == ("2", True)
    assert judge(twice, real_joints(once)) == ("1", False)
    for waves in (2, 4):  # a wave is one wave however many swings it has, at either height, as the data say
        for high in (True, False):
            many_swings = AttributePrompt(twice.text, "count", "2", "wave", {"side": 1, "high": high, "waves": waves})
            assert judge(twice, real_joints(many_swings))[0] == "1"
    thrice = AttributePrompt(twice.text, "count", "3", "wave", {"side": 1, "high": False, "waves": 2}, repeat=3)
    assert judge(thrice, real_joints(thrice)) == ("3", True)


def test_slow_and_quick_walks_are_told_apart():
    slow = next(p for p in ATTRIBUTE_PROMPTS if p.expected == "slow")
    quick = next(p for p in ATTRIBUTE_PROMPTS if p.expected == "quick")
    assert judge(slow, real_joints(quick)) == ("quick", False)
    assert judge(quick, real_joints(slow)) == ("slow", False)


def test_the_validation_prompts_are_other_wordings_and_their_real_motions_pass():
    from generator.eval.attributes import VALIDATION_PROMPTS

    assert not {p.text for p in VALIDATION_PROMPTS} & {p.text for p in ATTRIBUTE_PROMPTS}
    assert {p.attribute for p in VALIDATION_PROMPTS} == {p.attribute for p in ATTRIBUTE_PROMPTS}
    for prompt in VALIDATION_PROMPTS:
        assert judge(prompt, real_joints(prompt))[1], prompt.text


def test_a_wave_counts_the_same_with_either_hand():
    twice = next(p for p in ATTRIBUTE_PROMPTS if p.text == "a person waves twice with the right hand")
    mirrored = _mirrored(real_joints(twice))
    assert judge(twice, mirrored)[0] == "2"
