"""MoLingo model code at tiny sizes: autoencoder causality and losses, transformer masks, flow head, sampler
(determinism, CFG, reference mode, completion) and checkpoints."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from generator.model.autoencoder import CausalConv1d, MotionAutoencoder, ae_loss, semantic_loss, window_average
from generator.model.checkpoint import load_autoencoder, load_generator, save_checkpoint
from generator.model.config import AEConfig, GenConfig, GenModelConfig, from_dict, get_preset, to_dict
from generator.model.text_encoders import check_prompt, get_text_encoder
from generator.model.transformer import MoLingo
from generator.motion import repr272
from generator.motion.errors import InputError
from generator.motion.kinematics import forward_kinematics
from generator.motion.rotations import axis_angle_to_matrix
from generator.sampling.sampler import Completion, SampleOptions, Sampler

AE_CFG = AEConfig(kind="sae", width=32, latent_dim=8, down=4, window=32)
GEN_MODEL = GenModelConfig(width=32, depth=2, heads=2, adapter_depth=1, flow_depth=2, flow_width=32, max_frames=120)
GEN_CFG = GenConfig(GEN_MODEL)


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def encoder():
    return get_text_encoder("all-MiniLM-L6-v2", 64)


def walking_features(t: int = 96, seed: int = 0) -> np.ndarray:
    """A forward-kinematics walk (swinging legs, moving and turning root) as 272-D features (T, 272)."""
    rng = np.random.default_rng(seed)
    ph = np.linspace(0, 4 * np.pi, t)
    aa = np.zeros((t, 22, 3))
    aa[:, 1, 0], aa[:, 2, 0] = 0.5 * np.sin(ph), -0.5 * np.sin(ph)
    aa[:, 0, 1] = np.linspace(0, 0.8, t) + rng.uniform(-1, 1)
    root = np.stack([np.linspace(0, 0.5, t), np.full(t, 0.93), np.linspace(0, 1.5, t)], -1)
    rots = axis_angle_to_matrix(aa)
    joints = forward_kinematics(rots, root)
    joints, rots = repr272.canonicalize(joints, rots)
    return repr272.encode(joints, rots).astype(np.float32)


def tiny_models(encoder, seed: int = 0) -> tuple[MoLingo, MotionAutoencoder]:
    torch.manual_seed(seed)
    ae = MotionAutoencoder(AE_CFG, text_dim=encoder.dim).eval()
    feats = walking_features()
    mean, std = repr272.compute_stats([feats, repr272.mirror(feats)])
    ae.mean.copy_(torch.from_numpy(mean))
    ae.std.copy_(torch.from_numpy(std))
    model = MoLingo(GEN_CFG, AE_CFG.latent_dim, AE_CFG.down, encoder.dim).eval()
    # a random (untrained) flow head still has zero output at init; give it weights so sampling is non-trivial
    with torch.no_grad():
        for p in model.flow.parameters():
            p.normal_(0, 0.05)
    return model, ae


# ---- autoencoder -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("down", [2, 4])
def test_autoencoder_shapes_and_latent_causality(down):
    torch.manual_seed(0)
    ae = MotionAutoencoder(AEConfig(kind="vae", width=16, latent_dim=8, down=down)).eval()
    x = torch.randn(2, 48, 272)
    recon, mu, logvar = ae(x, sample=False)
    assert recon.shape == (2, 48, 272) and mu.shape == (2, 48 // down, 8) and logvar.shape == mu.shape
    k = 5  # change every frame from down * k on
    x2 = x.clone()
    x2[:, down * k :] += torch.randn_like(x2[:, down * k :])
    recon2, mu2, _ = ae(x2, sample=False)
    assert torch.equal(mu2[:, :k], mu[:, :k])  # no latent before k sees the changed frames
    assert torch.equal(recon2[:, : down * k], recon[:, : down * k])  # no decoded frame before down * k either
    assert not torch.allclose(recon2[:, down * k :], recon[:, down * k :])


def test_first_conv_replicates_frame_zero():
    ae = MotionAutoencoder(AEConfig(kind="ae", width=16, latent_dim=8))
    first = ae.encoder.net[0]
    assert first.mode == "replicate" and first.pad == 2
    convs = [m for m in ae.modules() if isinstance(m, CausalConv1d)]
    assert len(convs) > 10 and all(m.mode == "constant" for m in convs if m is not first)


def test_ae_loss_ignores_padding_and_has_all_terms():
    torch.manual_seed(0)
    ae = MotionAutoencoder(AEConfig(kind="sae", width=16, latent_dim=8), text_dim=6)
    x = torch.randn(2, 32, 272) * 0.1
    pad = torch.zeros(2, 32, dtype=torch.bool)
    pad[1, 20:] = True
    lab = torch.randn(2, 32, 6)
    lab_mask = torch.ones(2, 32, dtype=torch.bool)
    torch.manual_seed(1)
    a = ae_loss(ae, x, pad, lab, lab_mask)
    x2 = x.clone()
    x2[1, 20:] = 5.0  # garbage in the padded frames
    torch.manual_seed(1)
    b = ae_loss(ae, x2, pad, lab, lab_mask)
    assert set(a) == {"features", "joints", "velocity", "kl", "semantic", "total"}
    for key in ("features", "joints", "velocity", "total"):
        assert torch.allclose(a[key], b[key], atol=1e-6), key


def test_window_average_and_repetitive_token_filter():
    emb = torch.arange(16, dtype=torch.float32).view(1, 16, 1).repeat(1, 1, 2)  # frame t has embedding (t, t)
    mask = torch.ones(1, 16, dtype=torch.bool)
    avg = window_average(emb, mask, stride=2)  # latent i averages frames [2i - 8, 2i + 2)
    assert avg.shape == (1, 8, 2)
    assert avg[0, 0, 0] == pytest.approx(0.5) and avg[0, 7, 0] == pytest.approx(np.mean(range(6, 16)))
    # one label everywhere: all class tokens equal, so every token but the last is filtered out
    ae = MotionAutoencoder(AEConfig(kind="sae", width=16, latent_dim=4, down=2), text_dim=2)
    same = torch.ones(1, 16, 2)
    mu = torch.randn(1, 8, 4)
    loss = semantic_loss(ae, mu, same, mask, tau=0.995)
    k_last = ae.semantic_proj(same[0, 0])
    expected = 1 - torch.nn.functional.cosine_similarity(mu[0, -1], k_last, dim=0)
    assert loss.item() == pytest.approx(expected.item(), abs=1e-5)


# ---- transformer and flow head -----------------------------------------------------------------------------------


def test_transformer_respects_padding_masks(encoder):
    model, _ = tiny_models(encoder)
    tokens, tpad = encoder.encode(["a person walks", "someone waves with both hands high above the head"])
    w = model.encode_text(tokens, tpad)
    assert w.shape == (2, tokens.shape[1], GEN_MODEL.width)
    lat = torch.randn(2, 10, AE_CFG.latent_dim)
    pad = torch.zeros(2, 10, dtype=torch.bool)
    pad[0, 6:] = True
    masked = torch.rand(2, 10) < 0.5
    z = model(lat, masked, pad, w, tpad)
    assert z.shape == (2, 10, GEN_MODEL.width)
    lat2 = lat.clone()
    lat2[0, 6:] = 100.0  # padded motion latents must not matter
    tokens2 = tokens.clone()
    tokens2[0][tpad[0]] = 50.0  # nor padded text tokens
    z2 = model(lat2, masked, pad, model.encode_text(tokens2, tpad), tpad)
    assert torch.allclose(z[0, :6], z2[0, :6], atol=1e-5)
    assert torch.allclose(z[1], z2[1], atol=1e-5)
    assert model.length_logits(w, tpad).shape == (2, GEN_MODEL.max_frames // AE_CFG.down)


def test_flow_head_starts_at_zero_and_loss_is_finite(encoder):
    model = MoLingo(GEN_CFG, AE_CFG.latent_dim, AE_CFG.down, encoder.dim)
    x, t, z = torch.randn(5, 8), torch.rand(5), torch.randn(5, GEN_MODEL.width)
    assert torch.equal(model.flow(x, t, z), torch.zeros(5, 8))  # adaLN-zero
    lat = torch.randn(3, 7, 8)
    pad = torch.zeros(3, 7, dtype=torch.bool)
    tokens, tpad = encoder.encode(["walk", "run", "jump"])
    losses = model.loss(lat, pad, tokens, tpad)
    assert torch.isfinite(losses["total"]) and losses["flow"].item() == pytest.approx(2.0, rel=0.5)


# ---- sampler -----------------------------------------------------------------------------------------------------


def test_sampler_is_deterministic_for_a_seed(encoder):
    model, ae = tiny_models(encoder)
    sampler = Sampler(model, ae, encoder)
    opts = SampleOptions(outer_steps=4, flow_steps=4, cfg_scale=3.0, seed=7)
    a = sampler.generate(["walk forward", "wave"], [40, 24], opts)
    b = sampler.generate(["walk forward", "wave"], [40, 24], opts)
    c = sampler.generate(["walk forward", "wave"], [40, 24], SampleOptions(outer_steps=4, flow_steps=4, seed=8))
    assert [f.shape for f in a] == [(40, 272), (24, 272)]
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not np.allclose(a[0], c[0])


def test_sampler_reads_imperative_prompts_as_captions(encoder):
    model, ae = tiny_models(encoder)
    opts = SampleOptions(outer_steps=3, flow_steps=3, seed=2)
    typed = Sampler(model, ae, encoder).generate(["walk then wave"], [32], opts)[0]
    caption = Sampler(model, ae, encoder).generate(["a person walks, then waves."], [32], opts)[0]
    raw = Sampler(model, ae, encoder, canonical=False).generate(["walk then wave"], [32], opts)[0]
    assert np.array_equal(typed, caption)
    assert not np.allclose(typed, raw)


def test_sampler_postprocesses_unless_asked_for_the_raw_output(encoder):
    from generator.sampling.cleanup import postprocess

    model, ae = tiny_models(encoder)
    sampler = Sampler(model, ae, encoder)
    raw = sampler.generate(["walk"], [40], SampleOptions(outer_steps=3, flow_steps=3, seed=4, postprocess=False))[0]
    done = sampler.generate(["walk"], [40], SampleOptions(outer_steps=3, flow_steps=3, seed=4))[0]
    np.testing.assert_allclose(done, postprocess(raw), atol=1e-5)
    assert not np.allclose(done, raw)


def test_cfg_scale_one_equals_the_conditional_pass(encoder):
    model, ae = tiny_models(encoder)
    sampler = Sampler(model, ae, encoder)
    z_c, z_u = torch.randn(6, GEN_MODEL.width), torch.randn(6, GEN_MODEL.width)
    opts = SampleOptions(flow_steps=8, cfg_scale=1.0, refresh=0.3)
    guided = sampler._flow(z_c, z_u, opts, torch.Generator().manual_seed(3), sep=False)  # both halves, one batch
    conditional = sampler._flow(z_c, None, opts, torch.Generator().manual_seed(3), sep=False)
    assert torch.allclose(guided, conditional, atol=1e-5)
    stronger = sampler._flow(
        z_c, z_u, SampleOptions(flow_steps=8, cfg_scale=4.0), torch.Generator().manual_seed(3), False
    )
    assert not torch.allclose(stronger, conditional, atol=1e-3)


def test_fast_sampler_matches_the_reference_mode(encoder):
    model, ae = tiny_models(encoder)
    sampler = Sampler(model, ae, encoder)
    opts = SampleOptions(outer_steps=5, flow_steps=6, cfg_scale=4.0, seed=1)
    fast = sampler.generate(["a person jumps", "turns left"], [48, 32], opts)
    ref = sampler.generate(["a person jumps", "turns left"], [48, 32], opts, reference_mode=True)
    for f, r in zip(fast, ref):
        np.testing.assert_allclose(f, r, atol=1e-4)


def test_length_head_gives_lengths_in_range(encoder):
    model, ae = tiny_models(encoder)
    frames = Sampler(model, ae, encoder).predict_frames(["walk", "run"], torch.Generator().manual_seed(0))
    assert all(GEN_MODEL.min_frames <= f <= GEN_MODEL.max_frames and f % AE_CFG.down == 0 for f in frames)


def _joints(features: np.ndarray) -> np.ndarray:
    return repr272.decode_joints(features.astype(np.float64))


def test_completion_keeps_the_given_frames(encoder):
    model, ae = tiny_models(encoder)
    sampler = Sampler(model, ae, encoder)
    given = walking_features(96, seed=3)
    opts = SampleOptions(outer_steps=4, flow_steps=4, seed=0)
    # prediction: continue the first 40 frames up to 80
    out = sampler.generate(["keeps walking"], [80], opts, Completion(given[:40], prefix=40))[0]
    assert out.shape == (80, 272)
    assert np.abs(_joints(out)[:40] - _joints(given[:40])).max() < 0.01
    # in-betweening: first and last 24 frames of a 96-frame motion
    out = sampler.generate(["walks"], None, opts, Completion(given, prefix=24, suffix=24))[0]
    assert out.shape == (96, 272)
    err = np.linalg.norm(_joints(out) - _joints(given), axis=-1)  # (T, 22) metres
    assert err[:24].max() < 0.01 and err[-24:].max() < 0.01
    assert err[30:66].max() > 0.01  # the middle is generated, not copied
    # a batch of different motions to complete, one Completion each (lengths differ)
    other = walking_features(64, seed=5)
    comps = [Completion(given, prefix=24, suffix=24), Completion(other, prefix=28)]
    outs = sampler.generate(["walks", "keeps walking"], None, opts, comps)
    assert [o.shape for o in outs] == [(96, 272), (64, 272)]
    np.testing.assert_allclose(_joints(outs[0])[:24], _joints(given)[:24], atol=0.01)
    np.testing.assert_allclose(_joints(outs[1])[:28], _joints(other)[:28], atol=0.01)


# ---- checkpoints, configs, prompts -------------------------------------------------------------------------------


def test_checkpoint_round_trip_fp16(tmp_path, encoder):
    model, ae = tiny_models(encoder)
    model.latent_std.fill_(1e-7)  # statistics keep full precision (fp16 would flush this to zero)
    save_checkpoint(tmp_path / "ck", ae, model, meta={"step": 3})
    from safetensors import safe_open

    with safe_open(str(tmp_path / "ck" / "model.safetensors"), "pt") as f:
        assert f.get_tensor("model.latent_in.weight").dtype == torch.float16
        assert f.get_tensor("model.latent_std").dtype == torch.float32
    config = json.loads((tmp_path / "ck" / "config.json").read_text())
    assert config["kind"] == "generator" and config["step"] == 3
    model2, ae2, _ = load_generator(tmp_path / "ck")
    for (k, v), (_, v2) in zip(model.state_dict().items(), model2.state_dict().items()):
        assert torch.allclose(v.float(), v2, atol=1e-3, rtol=1e-3), k
    assert torch.equal(model2.latent_std, model.latent_std)
    x = torch.randn(1, 16, 272)
    assert torch.allclose(ae.decode(ae.encode(x)), ae2.decode(ae2.encode(x)), atol=2e-2)
    assert load_autoencoder(tmp_path / "ck").cfg == ae.cfg


def test_corrupt_or_missing_checkpoints_raise_input_error(tmp_path, encoder):
    with pytest.raises(InputError, match="no checkpoint"):
        load_generator(tmp_path / "nothing")
    model, ae = tiny_models(encoder)
    save_checkpoint(tmp_path / "ck", ae, model)
    (tmp_path / "ck" / "model.safetensors").write_bytes(b"\x00garbage" * 10)
    with pytest.raises(InputError, match="corrupt checkpoint weights"):
        load_generator(tmp_path / "ck")
    (tmp_path / "ck" / "config.json").write_text("{not json")
    with pytest.raises(InputError, match="corrupt checkpoint config"):
        load_generator(tmp_path / "ck")
    save_checkpoint(tmp_path / "ae_only", ae)
    with pytest.raises(InputError, match="expected a generator checkpoint"):
        load_generator(tmp_path / "ae_only")


def test_presets_round_trip_and_reject_bad_values():
    for name in ("tiny", "paper"):
        preset = get_preset(name)
        assert from_dict(AEConfig, to_dict(preset.ae)) == preset.ae
        assert from_dict(GenConfig, to_dict(preset.gen)) == preset.gen
    paper = get_preset("paper")
    m = paper.gen.model
    assert (m.width, m.depth, m.heads, m.flow_depth, m.flow_width) == (
        1024, 16, 16, 8, 1280,
    )  # fmt: skip
    with pytest.raises(InputError):
        get_preset("huge")
    with pytest.raises(InputError):
        AEConfig(down=3).validate()


def test_generator_config_parts_and_the_flat_form_of_older_checkpoints():
    """GenConfig is three parts (network, training recipe, sampling defaults); a flat dict, as checkpoints were
    written before the split, loads into the same parts; an unknown key names itself."""
    cfg = get_preset("tiny").gen
    flat = {k: v for part in to_dict(cfg).values() for k, v in part.items()}
    assert GenConfig.from_dict(flat) == cfg == from_dict(GenConfig, to_dict(cfg))
    assert set(to_dict(cfg)) == {"model", "training", "sampling"}
    assert cfg.model.width == 256 and cfg.training.steps == 50000 and cfg.sampling.cfg_scale == 4.0
    with pytest.raises(InputError, match="colour"):
        GenConfig.from_dict({**flat, "colour": 1})
    with pytest.raises(InputError, match="colour"):
        GenConfig.from_dict({"model": {"colour": 1}})


def test_unavailable_text_encoders_give_a_clear_error():
    for name in ("t5-large", "no-such-encoder"):
        with pytest.raises(InputError, match="t5-large"):
            get_text_encoder(name)


def test_prompt_checks():
    assert check_prompt("  walk  ") == "walk"
    for bad in ("", "   ", "x" * 10_000):
        with pytest.raises(InputError):
            check_prompt(bad)
