"""The captions-style reading of user prompts (generator.sampling.prompt)."""

import pytest

from generator.sampling.prompt import canonical_prompt


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("walk then wave", "a person walks, then waves."),
        ("Walk forward and then wave with the left hand!", "a person walks forward and then waves with the left hand."),
        ("kick then punch then bow", "a person kicks, then punches, then bows."),
        ("first jump twice, then squat", "first a person jumps twice, then squats."),
        ("jog and wave", "a person jogs and waves."),
        ("wave left and right", "a person waves left and right."),  # 'right' after 'and' is not a verb
        ("walks then waves", "a person walks, then waves."),  # already third person: only the subject is added
        ("dance", "a person dances."),
    ],
)
def test_imperatives_become_captions(typed: str, read: str) -> None:
    assert canonical_prompt(typed) == read


@pytest.mark.parametrize(
    "caption", ["a person walks forward, then waves.", "the man jumps twice and then squats.", "someone bows."]
)
def test_captions_are_left_alone(caption: str) -> None:
    assert canonical_prompt(caption) == caption


def test_subject_prompts_only_get_punctuation() -> None:
    assert canonical_prompt("A woman walks then waves") == "a woman walks, then waves."
    assert canonical_prompt("") == ""
