"""The speed condition: a span's measured speed, the prompt's speed word, and a network that starts without it."""

from __future__ import annotations

import math
import random

import numpy as np
import torch

from generator.model.speed import SpeedEmbedding, latent_speeds, span_speed, speed_word


def _walk_features(speed: float, seconds: float = 4.0) -> np.ndarray:
    from generator.motion import repr272
    from generator.procedural import PRIMITIVES
    from generator.procedural.pose import solve

    rot, joints, _ = solve(PRIMITIVES["walk"].build(speed=speed, duration=seconds, turn=0.0))
    return repr272.encode(np.asarray(joints, np.float64), np.asarray(rot, np.float64))


def test_a_walks_measured_speed_is_the_attribute_judges():
    from generator.eval.attributes import walking_speed
    from generator.motion import repr272

    for speed in (0.7, 1.45):
        feats = _walk_features(speed)
        per_latent = latent_speeds(feats, 4)
        assert per_latent.shape == (len(feats) // 4,)
        judged = walking_speed(repr272.decode_joints(feats), 30.0)
        assert abs(span_speed(torch.from_numpy(per_latent)) - judged) < 0.05
    slow, quick = (span_speed(torch.from_numpy(latent_speeds(_walk_features(s), 4))) for s in (0.7, 1.45))
    assert slow < 0.95 < 1.25 < quick


def test_a_span_that_barely_moves_has_no_speed():
    assert math.isnan(span_speed(torch.tensor([0.0, 0.1, 1.0, 0.05, 0.0, 0.0, 0.0, 0.0])))  # 1 of 8 moving
    assert span_speed(torch.tensor([0.0, 1.0, 1.2, 0.0])) == float(torch.tensor([1.0, 1.2]).mean())
    assert math.isnan(span_speed(torch.zeros(0)))


def test_the_speed_word_is_read_from_the_prompt():
    assert speed_word("a person walks forward slowly") == "slow"
    assert speed_word("Someone walks FAST, then waves") == "quick"
    assert speed_word("a man strides rapidly ahead") == "quick"  # a synonym of the word tags
    assert speed_word("walk then wave") is None
    assert speed_word("walks slowly, then runs quickly") is None  # both: no single speed for the motion


def test_the_embedding_starts_at_zero_and_is_zero_where_no_speed_is_given():
    emb = SpeedEmbedding(16)
    assert torch.equal(emb(torch.tensor([0.7, 1.4])), torch.zeros(2, 16))
    torch.nn.init.normal_(emb.net[-1].weight)
    out = emb(torch.tensor([0.7, float("nan"), 1.4]))
    assert torch.equal(out[1], torch.zeros(16)) and not torch.allclose(out[0], out[2])


def test_a_speed_reading_model_starts_as_the_model_without_it():
    from dataclasses import replace

    from generator.model.config import GenConfig, GenModelConfig
    from generator.model.transformer import MoLingo

    cfg = GenConfig(GenModelConfig(width=32, depth=1, heads=2, adapter_depth=1, flow_depth=1, flow_width=32))
    torch.manual_seed(0)
    plain = MoLingo(cfg, 8, 4, 24).eval()
    cond = MoLingo(replace(cfg, model=replace(cfg.model, speed_condition=True)), 8, 4, 24).eval()
    missing, unexpected = cond.load_state_dict(plain.state_dict(), strict=False)
    assert not unexpected and {k for k in missing if not k.startswith("speed_embed.")} == {"speed_targets"}
    x, masked = torch.randn(2, 5, 8), torch.rand(2, 5) < 0.5
    pad, w, tpad = torch.zeros(2, 5, dtype=torch.bool), torch.randn(2, 3, 32), torch.zeros(2, 3, dtype=torch.bool)
    base = plain(x, masked, pad, w, tpad)
    assert torch.allclose(cond(x, masked, pad, w, tpad, torch.tensor([0.7, 1.4])), base, atol=1e-6)
    torch.nn.init.normal_(cond.speed_embed.net[-1].weight)
    moved = cond(x, masked, pad, w, tpad, torch.tensor([0.7, float("nan")]))
    assert not torch.allclose(moved[0], base[0], atol=1e-4) and torch.allclose(moved[1], base[1], atol=1e-6)


def test_batches_carry_the_spans_speed_unless_dropped_or_null():
    from generator.training.generator import sample_batch, speed_targets

    lat = torch.zeros(8, 4)
    walk, stand = torch.full((8,), 1.2), torch.zeros(8)
    items = [(lat, [("a person walks forward quickly", 0, 8)], walk), (lat, [("a man bows", 0, 8)], stand)]
    _, _, texts, speeds = sample_batch(items, 400, 8, 0.2, random.Random(0), speed_drop=0.0)
    walks = np.array([t == "a person walks forward quickly" for t in texts])
    assert np.allclose(speeds.numpy()[walks], 1.2)  # every walk with its caption is told its speed
    assert torch.isnan(speeds[~torch.from_numpy(walks)]).all()  # the bow barely moves; null captions get none
    _, _, _, half = sample_batch(items, 2000, 8, 0.0, random.Random(0), speed_drop=0.5)
    told = (~torch.isnan(half)).float().mean()
    assert 0.2 < told < 0.3  # half the walks (half the clips) keep their speed
    assert torch.isnan(sample_batch(items, 50, 8, 0.0, random.Random(0))[3]).all()  # no condition: no speed
    targets = speed_targets(items + [(lat, [("someone walks slowly", 0, 8)], torch.full((8,), 0.6))])
    assert torch.allclose(targets, torch.tensor([0.6, 1.2]))
    assert torch.isnan(speed_targets(items[1:])).all()  # no caption names a speed
