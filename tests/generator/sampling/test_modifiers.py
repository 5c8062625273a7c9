"""The prompt without its modifier words (the negative of attribute guidance)."""

import pytest

from generator.motion.errors import InputError
from generator.sampling.modifiers import check_attribute_guidance, has_modifiers, strip_modifiers


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ("a person waves twice with the right hand.", "a person waves."),
        ("someone punches forward with the left fist", "someone punches"),
        ("a person turns to the left, then walks forward quickly.", "a person turns, then walks."),
        ("a person steps sideways to their right", "a person steps"),
        ("a man walks backwards at a slow pace", "a man walks"),
        ("a person squats 3 times", "a person squats"),
        ("a person spins clockwise", "a person spins"),
        ("someone turns left by ninety degrees", "someone turns by ninety degrees"),
    ],
)
def test_modifier_phrases_are_removed_and_the_action_kept(text, plain):
    assert strip_modifiers(text) == plain
    assert has_modifiers(text)


@pytest.mark.parametrize("text", ["a person walks, then waves.", "walk then wave", "a person bows", "Righteous jump"])
def test_a_prompt_without_modifiers_is_unchanged(text):
    assert strip_modifiers(text) == text and not has_modifiers(text)


@pytest.mark.parametrize("bad", [-0.5, float("nan"), float("inf"), 21.0])
def test_an_absurd_attribute_guidance_scale_is_refused(bad):
    with pytest.raises(InputError, match="--attribute-guidance"):
        check_attribute_guidance(bad)
    check_attribute_guidance(None)
    check_attribute_guidance(2.0)
