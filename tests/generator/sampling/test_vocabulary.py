"""Honesty about unknown words: the prompt's words unseen in training are named; --strict makes that exit 2."""

from __future__ import annotations

import pytest

from generator.motion.errors import InputError
from generator.sampling.vocabulary import (
    caption_vocabulary,
    check_prompt_words,
    procedural_vocabulary,
    unknown_words,
)


def test_known_prompts_pass_and_unknown_words_are_named():
    vocab = procedural_vocabulary()
    for prompt in ("walk then wave", "a person waves with the right hand", "turn left twice slowly", "jumps"):
        assert unknown_words(prompt, vocab) == [], prompt
    assert unknown_words("a person does a cartwheel", vocab) == ["cartwheel"]
    assert unknown_words("juggling juggling balls", vocab) == ["juggling", "balls"]


def test_a_stored_vocabulary_wins_over_the_templates():
    config = {"vocabulary": caption_vocabulary(["a person walks forward."])}
    assert check_prompt_words("walk forward", config) is None
    assert "'wave'" in check_prompt_words("walk then wave", config)
    with pytest.raises(InputError, match="--strict"):
        check_prompt_words("walk then wave", config, strict=True)


def test_sample_strict_exits_2_with_one_line_and_writes_nothing(tmp_path, capsys):
    from generator.sample import main

    assert main(["a person does a cartwheel", "--strict", "--out", str(tmp_path / "s")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:") and "cartwheel" in err[0]
    assert not (tmp_path / "s").exists()


def test_sample_warns_on_one_line_and_still_samples(tmp_path, capsys):
    from generator.sample import main

    args = ["a person does a cartwheel", "--seconds", "2", "--steps", "2", "--no-video", "--no-bvh"]
    assert main([*args, "--out", str(tmp_path / "s")]) == 0
    warnings = [line for line in capsys.readouterr().err.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and "cartwheel" in warnings[0]
    assert list((tmp_path / "s").glob("*.npz"))


def test_a_side_canonical_model_knows_the_mirror_image_of_its_words():
    vocab = caption_vocabulary(["a person spins clockwise, then turns right."])
    plain = {"vocabulary": vocab}
    canonical = {"vocabulary": vocab, "gen": {"model": {"side_canonical": True}}}
    prompt = "a person spins counterclockwise, then turns left"
    assert "counterclockwise" in check_prompt_words(prompt, plain) and "'left'" in check_prompt_words(prompt, plain)
    assert check_prompt_words(prompt, canonical) is None


def test_a_base_form_matches_the_captions_inflected_words():
    vocab = caption_vocabulary(["a person waves, then squats twice.", "someone is bending down"])
    assert unknown_words("wave then squat", vocab) == [] and unknown_words("waving", vocab) == []
    assert unknown_words("bend down", vocab) == [] and unknown_words("waved", vocab) == []
    assert unknown_words("cartwheel", vocab) == ["cartwheel"]
