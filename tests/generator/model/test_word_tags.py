"""Word tags: which words name a side, direction, speed or count, and their alignment with the encoder's tokens."""

from __future__ import annotations

import pytest
import torch

from generator.model.word_tags import TAGS, pad_tags, tag_text


def _tagged(text: str) -> list[tuple[str, str]]:
    return [(text[a:b], TAGS[t]) for a, b, t in tag_text(text)]


def test_modifier_words_get_their_class_and_other_words_none():
    assert _tagged("A person walks forward quickly, then waves twice with the Left hand.") == [
        ("forward", "forward"), ("quickly", "quick"), ("twice", "twice"), ("Left", "left"),
    ]  # fmt: skip
    assert _tagged("someone jumps three times, squats 4 times and turns counter-clockwise") == [
        ("three times", "three times"), ("4 times", "four or more times"), ("counter-clockwise", "counterclockwise"),
    ]  # fmt: skip
    assert _tagged("a man walks backwards slowly to the right side") == [
        ("backwards", "backward"), ("slowly", "slow"), ("right", "right"),
    ]  # fmt: skip
    assert _tagged("he claps a few times at breakfast, several times") == []  # vague counts; 'fast' only as a word
    assert _tagged("someone walks rapidly") == [("rapidly", "quick")]  # a synonym the captions never use


def test_tags_align_with_the_encoder_tokens():
    from generator.model.text_encoders import get_text_encoder

    enc = get_text_encoder("all-MiniLM-L6-v2")
    texts = ["a person walks forward quickly, then waves twice with the left hand.", "", "someone turns right"]
    tags, embs = enc.word_tags(texts), enc.encode_list(texts)
    assert [len(t) for t in tags] == [len(e) for e in embs]
    ids = enc._tokenizer(texts[0])["input_ids"]
    words = dict(zip(enc._tokenizer.convert_ids_to_tokens(ids), tags[0].tolist()))
    assert TAGS[words["quickly"]] == "quick" and TAGS[words["left"]] == "left" and words["[CLS]"] == 0
    assert words["person"] == 0 and words["waves"] == 0
    assert pad_tags(tags, 20).shape == (3, 20) and pad_tags(tags, 20)[1].sum() == 0


def test_a_tag_reading_model_starts_as_the_model_without_tags_and_needs_them():
    from dataclasses import replace

    from generator.model.config import GenConfig, GenModelConfig
    from generator.model.transformer import MoLingo

    cfg = GenConfig(GenModelConfig(width=32, depth=1, heads=2, adapter_depth=1, flow_depth=1, flow_width=32))
    plain = MoLingo(cfg, 8, 4, 24).eval()
    tagged = MoLingo(replace(cfg, model=replace(cfg.model, word_tags=True)), 8, 4, 24).eval()
    missing, unexpected = tagged.load_state_dict(plain.state_dict(), strict=False)
    assert missing == ["word_tag.weight"] and not unexpected
    tokens, pad = torch.randn(2, 5, 24), torch.zeros(2, 5, dtype=torch.bool)
    tags = torch.tensor([[0, 2, 0, 9, 0], [0, 0, 0, 0, 0]])
    assert torch.equal(tagged.encode_text(tokens, pad, tags), plain.encode_text(tokens, pad))
    with torch.no_grad():
        tagged.word_tag.weight[9] = torch.randn(32)  # not a constant: the layer norms would remove it
    moved = tagged.encode_text(tokens, pad, tags)
    assert not torch.allclose(moved[0], plain.encode_text(tokens, pad)[0])
    assert torch.allclose(moved[1], plain.encode_text(tokens, pad)[1])  # no tagged word: unchanged
    with pytest.raises(ValueError, match="word tags"):
        tagged.encode_text(tokens, pad)
