"""Short training runs on a tiny forward-kinematics dataset (the losses must fall), resume, evaluation, and the
sampling CLI's outputs and its one-line errors."""

from __future__ import annotations

import math
import shutil
import types
from dataclasses import replace

import numpy as np
import pytest
import torch

from generator.data.writer import write_clip
from generator.model.config import AEConfig, GenConfig, GenModelConfig, GenTrainConfig
from generator.motion import repr272
from generator.motion.errors import InputError
from generator.motion.file import load_motion
from generator.motion.kinematics import forward_kinematics
from generator.motion.rotations import axis_angle_to_matrix

AE_CFG = AEConfig(kind="sae", width=32, latent_dim=8, down=4, window=32, batch_size=8, steps=40, warmup=5, lr=2e-3)
GEN_CFG = GenConfig(
    GenModelConfig(width=32, depth=2, heads=2, adapter_depth=1, flow_depth=2, flow_width=32, max_frames=120),
    GenTrainConfig(batch_size=16, steps=40, warmup=5, lr=2e-3),
)


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _with_steps(steps: int) -> GenConfig:
    return replace(GEN_CFG, training=replace(GEN_CFG.training, steps=steps))


def _clip(kind: str, t: int, rng: np.random.Generator):
    """A walking or waving clip made by forward kinematics, in the procedural library's clip shape."""
    ph = np.linspace(0, 2 * np.pi * t / 30 * rng.uniform(0.8, 1.2), t)
    aa = np.zeros((t, 22, 3))
    root = np.zeros((t, 3))
    root[:, 1] = 0.93
    if kind == "walk":
        aa[:, 1, 0], aa[:, 2, 0] = 0.5 * np.sin(ph), -0.5 * np.sin(ph)
        aa[:, 4, 0], aa[:, 5, 0] = 0.4 * (1 + np.sin(ph + 1)), 0.4 * (1 - np.sin(ph + 1))
        root[:, 2] = np.linspace(0, 1.2 * t / 30, t)
        captions = ["a person walks forward", "someone walks"]
    else:
        aa[:, 17, 2] = 1.2
        aa[:, 19, 1] = 0.8 * np.sin(3 * ph)
        captions = ["a person waves the right hand", "someone waves"]
    aa[:, 0, 1] = rng.uniform(-np.pi, np.pi)
    rots = axis_angle_to_matrix(aa)
    return types.SimpleNamespace(
        joints=forward_kinematics(rots, root), rotations=rots, captions=captions, frame_labels=[kind] * t,
        segments=[(kind, 0, t)], primitives=[kind], fps=30.0,
    )  # fmt: skip


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory):
    """12 clips in the HumanML3D-272 layout (10 train, 2 test), with captions, frame labels and statistics."""
    root = tmp_path_factory.mktemp("tiny272")
    rng = np.random.default_rng(0)
    ids, feats = [], []
    for i in range(12):
        cid = f"{i:06d}"
        write_clip(root, cid, _clip("walk" if i % 2 == 0 else "wave", int(rng.integers(40, 90)), rng))
        ids.append(cid)
        feats.append(np.load(root / "motion_data" / f"{cid}.npy"))
    (root / "split").mkdir()
    (root / "split" / "train.txt").write_text("\n".join(ids[:10]) + "\n")
    (root / "split" / "test.txt").write_text("\n".join(ids[10:]) + "\n")
    mean, std = repr272.compute_stats(feats[:10])
    (root / "mean_std").mkdir()
    np.save(root / "mean_std" / "Mean.npy", mean)
    np.save(root / "mean_std" / "Std.npy", std)
    return root


@pytest.fixture(scope="module")
def trained(tiny_data, tmp_path_factory):
    """A tiny SAE and a tiny generator trained for 40 steps each; returns their directories and loss summaries."""
    from generator import train, train_ae

    out = tmp_path_factory.mktemp("runs")
    ae_args = train_ae.build_parser().parse_args(
        ["--data", str(tiny_data), "--out", str(out / "ae"), "--seed", "0", "--quiet"]
    )
    ae_result = train_ae.train(ae_args, AE_CFG)
    gen_args = train.build_parser().parse_args(
        ["--data", str(tiny_data), "--ae", str(out / "ae"), "--out", str(out / "gen"), "--seed", "0", "--quiet",
         "--save-every", "20"]
    )  # fmt: skip
    gen_result = train.train(gen_args, GEN_CFG)
    return {"ae": out / "ae", "gen": out / "gen", "ae_result": ae_result, "gen_result": gen_result, "args": gen_args}


def test_autoencoder_training_lowers_the_loss_and_resumes(trained, tiny_data, tmp_path):

    from generator import train_ae

    r = trained["ae_result"]
    assert r["last_loss"] < 0.7 * r["first_loss"]
    assert (trained["ae"] / "model.safetensors").exists() and (trained["ae"] / "tb").is_dir()
    shutil.copytree(trained["ae"], tmp_path / "ae")
    args = train_ae.build_parser().parse_args(["--data", str(tiny_data), "--out", str(tmp_path / "ae"), "--resume"])
    args.quiet = True
    assert train_ae.train(args, AEConfig(**{**AE_CFG.__dict__, "steps": 43}))["steps"] == 43
    assert torch.load(tmp_path / "ae" / "train_state.pt", weights_only=False)["step"] == 43
    with pytest.raises(InputError, match="different configuration"):
        train_ae.train(args, AEConfig(**{**AE_CFG.__dict__, "steps": 50, "latent_dim": 4}))


def test_the_training_commands_resume_through_their_command_lines(trained, tiny_data, tmp_path, capsys):
    """A resumed run replaces its own train_state.pt (an input it continues, not one its outputs must spare)."""
    from generator import train, train_ae

    ae = ["--data", str(tiny_data), "--out", str(tmp_path / "ae"), "--batch", "4", "--save-every", "1", "--quiet"]
    assert train_ae.main([*ae, "--steps", "2"]) == 0
    assert train_ae.main([*ae, "--steps", "3", "--resume"]) == 0, capsys.readouterr().err
    assert torch.load(tmp_path / "ae" / "train_state.pt", weights_only=False)["step"] == 3
    gen = ["--data", str(tiny_data), "--ae", str(tmp_path / "ae"), "--out", str(tmp_path / "gen"), "--batch", "4",
           "--save-every", "1", "--quiet"]  # fmt: skip
    assert train.main([*gen, "--steps", "2"]) == 0
    assert train.main([*gen, "--steps", "3", "--resume"]) == 0, capsys.readouterr().err
    assert torch.load(tmp_path / "gen" / "train_state.pt", weights_only=False)["step"] == 3


def test_generator_training_lowers_the_loss_and_resumes(trained):
    from generator import train

    r = trained["gen_result"]
    assert r["last_loss"] < 0.7 * r["first_loss"]
    args = trained["args"]
    args.resume = True
    more = _with_steps(44)
    resumed = train.train(args, more)
    assert resumed["steps"] == 44
    state = torch.load(trained["gen"] / "train_state.pt", weights_only=False)
    assert state["step"] == 44 and set(state) >= {"model", "ema", "optimizer", "rng"}


def test_generator_fine_tunes_with_the_atm_losses(trained, tiny_data, tmp_path):

    from generator import train
    from generator.eval.evaluator import PRESETS, TMREvaluator, save_evaluator

    torch.manual_seed(0)
    save_evaluator(TMREvaluator(replace(PRESETS["tiny"], text_dim=384), text_dim=384), tmp_path / "ev")
    shutil.copytree(trained["gen"], tmp_path / "gen")
    argv = ["--data", str(tiny_data), "--ae", str(trained["ae"]), "--out", str(tmp_path / "gen"), "--quiet",
            "--resume", "--atm", "0.01", "--evaluator", str(tmp_path / "ev")]  # fmt: skip
    steps = torch.load(tmp_path / "gen" / "train_state.pt", weights_only=False)["step"] + 2
    result = train.train(train.build_parser().parse_args(argv), _with_steps(steps))
    assert result["steps"] == steps and np.isfinite(result["last_atm"]) and result["last_atm"] >= 0
    argv[-1] = str(tmp_path / "no_evaluator")
    with pytest.raises(InputError, match="needs a trained evaluator"):
        train.train(train.build_parser().parse_args(argv), _with_steps(steps + 2))


def test_evaluate_ae_prints_mpjpe(trained, tiny_data, capsys):
    from generator.evaluate_ae import main

    assert main(["--ckpt", str(trained["ae"]), "--data", str(tiny_data), "--split", "test"]) == 0
    line = capsys.readouterr().out
    assert "MPJPE" in line and "ADE" in line and "FDE" in line
    assert float(line.split("MPJPE")[1].split("mm")[0]) > 0
    assert "pelvis-aligned" in line and "PA-MPJPE" in line and "global MPJPE" in line


def test_procrustes_alignment_removes_rotation_scale_and_shift():
    from generator.eval.autoencoder import procrustes_align
    from generator.motion.rotations import axis_angle_to_matrix

    target = torch.randn(5, 22, 3, dtype=torch.float64)
    rot = torch.as_tensor(axis_angle_to_matrix(np.random.default_rng(0).normal(size=(5, 3))))
    moved = 1.7 * target @ rot.transpose(1, 2) + torch.tensor([0.3, -1.0, 2.0], dtype=torch.float64)
    torch.testing.assert_close(procrustes_align(moved, target), target)
    noisy = target + 0.01 * torch.randn_like(target)
    assert (procrustes_align(noisy, target) - target).norm(dim=-1).mean() <= (noisy - target).norm(dim=-1).mean()


def test_sample_cli_writes_motion_files(trained, tmp_path, capsys):
    from generator.sample import main

    out = tmp_path / "s"
    argv = ["a person walks forward", "--ckpt", str(trained["gen"]), "--out", str(out), "--seconds", "2",
            "--num", "2", "--steps", "4", "--flow-steps", "4", "--no-video", "--seed", "1"]  # fmt: skip
    assert main(argv) == 0
    files = sorted(out.glob("*.npz"))
    assert len(files) == 2 and len(sorted(out.glob("*.bvh"))) == 2
    motion = load_motion(files[0])
    assert motion.num_frames == 60 and motion.text == "a person walks forward"
    assert str(files[0]) in capsys.readouterr().out
    # same seed, same motion
    assert main(argv[:4] + [str(tmp_path / "t")] + argv[5:]) == 0
    assert np.array_equal(load_motion(tmp_path / "t" / files[0].name).features, motion.features)
    # prefix completion keeps the given frames
    fast = ["--steps", "4", "--flow-steps", "4", "--no-video", "--no-bvh"]
    argv = ["keeps walking", "--ckpt", str(trained["gen"]), "--out", str(tmp_path / "p"), "--prefix", str(files[0])]
    assert main(argv + ["--seconds", "3"] + fast) == 0
    cont = load_motion(next((tmp_path / "p").glob("*.npz")))
    assert cont.num_frames == 88  # 3 s = 90 frames, cut to a multiple of the 4x downsampling
    assert np.abs(cont.joints[:60] - motion.joints[:60]).max() < 0.01


@pytest.mark.parametrize(
    "argv, message",
    [
        (["", "--seconds", "2"], "prompt is empty"),
        (["x" * 10_000], "characters"),
        (["walk", "--seconds", "-1"], "--seconds"),
        (["walk", "--seconds", "nan"], "--seconds"),
        (["walk", "--seconds", "1000"], "at most"),
        (["walk", "--num", "0"], "--num"),
        (["walk", "--prefix", "/nonexistent/x.npz"], "no such file"),
    ],
)
def test_sample_cli_rejects_bad_input_with_one_line(trained, tmp_path, capsys, argv, message):
    from generator.sample import main

    assert main(argv + ["--ckpt", str(trained["gen"]), "--out", str(tmp_path / "o"), "--no-video"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and message in err and "\n" not in err
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").iterdir())


def test_sample_cli_missing_or_corrupt_checkpoint(trained, tmp_path, capsys):

    from generator.sample import main

    assert main(["walk", "--ckpt", str(tmp_path / "none"), "--no-video"]) == 2
    err = capsys.readouterr().err.strip()
    assert "python -m generator.train" in err and "\n" not in err
    broken = tmp_path / "broken"
    shutil.copytree(trained["gen"], broken)
    data = (broken / "model.safetensors").read_bytes()
    (broken / "model.safetensors").write_bytes(data[: len(data) // 2])
    assert main(["walk", "--ckpt", str(broken), "--no-video"]) == 2
    err = capsys.readouterr().err.strip()
    assert "corrupt" in err and "\n" not in err


def test_mirror_augmentation_adds_every_clip_mirrored_with_swapped_sides(trained, tiny_data):
    from generator.model.checkpoint import load_autoencoder
    from generator.training.generator import encode_dataset

    ae = load_autoencoder(trained["ae"])
    plain = encode_dataset(ae, tiny_data, torch.device("cpu"), progress=False)
    both = encode_dataset(ae, tiny_data, torch.device("cpu"), progress=False, mirror=True)
    assert len(both) == 2 * len(plain)
    for (lat, caps, spd), (mlat, mcaps, mspd) in zip(both[0::2], both[1::2]):
        assert lat.shape == mlat.shape and not torch.allclose(lat, mlat)
        assert spd.shape == (len(lat),) and torch.equal(spd, mspd)  # a mirror image moves as fast
        assert [(a, b) for _, a, b in caps] == [(a, b) for _, a, b in mcaps]


def test_mirroring_a_caption_swaps_its_side_words_and_nothing_else():
    from generator.data.mirror import mirror_caption

    assert mirror_caption("A person waves with the left hand, then turns right.") == (
        "A person waves with the right hand, then turns left."
    )
    assert mirror_caption("Left foot kicks; spins clockwise") == "Right foot kicks; spins counterclockwise"
    assert mirror_caption("turns counter-clockwise, leftwards") == "turns clockwise, rightwards"
    assert mirror_caption("a person walks forward slowly, lifts the leftover box") == (
        "a person walks forward slowly, lifts the leftover box"
    )
    assert mirror_caption(mirror_caption("steps to the left twice")) == "steps to the left twice"


def test_generator_fine_tunes_from_a_checkpoint_with_init(trained, tiny_data, tmp_path):
    from generator import train, train_ae
    from generator.model.checkpoint import load_generator

    argv = ["--data", str(tiny_data), "--ae", str(trained["ae"]), "--out", str(tmp_path / "ft"), "--seed", "1",
            "--quiet", "--init", str(trained["gen"]), "--mirror"]  # fmt: skip
    result = train.train(train.build_parser().parse_args(argv), _with_steps(3))
    assert result["steps"] == 3
    assert result["first_loss"] < 0.7 * trained["gen_result"]["first_loss"]  # starts where the checkpoint ended
    start, _, _ = load_generator(trained["gen"])
    tuned, _, _ = load_generator(tmp_path / "ft")
    for name in ("latent_mean", "latent_std"):
        assert torch.equal(getattr(start, name), getattr(tuned, name))
    argv[argv.index("--out") + 1] = str(tmp_path / "wider")
    wider = replace(GEN_CFG, model=replace(GEN_CFG.model, width=48))
    with pytest.raises(InputError, match="different network configuration"):
        train.train(train.build_parser().parse_args(argv), wider)
    other_ae = tmp_path / "ae2"
    ae_args = train_ae.build_parser().parse_args(["--data", str(tiny_data), "--out", str(other_ae), "--seed", "5",
                                                  "--quiet"])  # fmt: skip
    train_ae.train(ae_args, replace(AE_CFG, steps=2))
    argv[argv.index("--ae") + 1] = str(other_ae)
    argv[argv.index("--out") + 1] = str(tmp_path / "other")
    with pytest.raises(InputError, match="other latents"):
        train.train(train.build_parser().parse_args(argv), _with_steps(3))
    argv[argv.index("--init") + 1] = str(tmp_path / "nothing")
    with pytest.raises(InputError, match="nothing"):
        train.train(train.build_parser().parse_args(argv), _with_steps(3))
    assert not (tmp_path / "other").exists() and not (tmp_path / "wider").exists()  # refused before writing anything


def test_a_decoder_only_tune_keeps_the_latents_and_the_generator_on_them(trained, tiny_data, tmp_path):
    from generator import train, train_ae
    from generator.model.autoencoder import latent_state
    from generator.model.checkpoint import load_generator

    argv = ["--data", str(tiny_data), "--init", str(trained["gen"]), "--decoder-only", "--out", str(tmp_path / "dec"),
            "--seed", "0", "--quiet"]  # fmt: skip
    result = train_ae.train(train_ae.build_parser().parse_args(argv), replace(AE_CFG, steps=20))
    assert result["last_loss"] < result["first_loss"]
    start_model, start_ae, start_cfg = load_generator(trained["gen"])
    model, ae, cfg = load_generator(tmp_path / "dec")
    before, after = latent_state(start_ae), latent_state(ae)
    assert before.keys() == after.keys() and all(torch.equal(before[k], after[k]) for k in before)
    assert any(not torch.equal(a, b) for a, b in zip(start_ae.decoder.parameters(), ae.decoder.parameters()))
    theirs = start_model.state_dict()
    assert all(torch.equal(theirs[k], v) for k, v in model.state_dict().items())  # the generator, untouched
    assert cfg["vocabulary"] == start_cfg["vocabulary"] and cfg["command"] == start_cfg["command"]
    assert cfg["decoder_command"].startswith("python -m generator.train_ae")
    ft = ["--data", str(tiny_data), "--ae", str(trained["ae"]), "--init", str(tmp_path / "dec"), "--out",
          str(tmp_path / "ft"), "--seed", "1", "--quiet"]  # fmt: skip
    assert train.train(train.build_parser().parse_args(ft), _with_steps(2))["steps"] == 2  # same latents: accepted
    with pytest.raises(InputError, match="needs --init"):
        bare = ["--data", str(tiny_data), "--decoder-only", "--out", str(tmp_path / "none"), "--quiet"]
        train_ae.train(train_ae.build_parser().parse_args(bare), AE_CFG)
    with pytest.raises(InputError, match="different configuration"):
        train_ae.train(train_ae.build_parser().parse_args(argv), replace(AE_CFG, latent_dim=4))
    assert not (tmp_path / "none").exists()


def test_side_canonical_training_keeps_each_side_named_caption_once_with_right_first(trained, tiny_data, tmp_path):

    from generator.data.mirror import canonical_sides, mirror_caption
    from generator.model.checkpoint import load_autoencoder
    from generator.training.generator import encode_dataset

    data = tmp_path / "data"
    shutil.copytree(tiny_data, data)
    lefts = sorted((data / "texts").glob("*.txt"))[1::4]  # some wave clips now say "left"
    for path in lefts:
        path.write_text(path.read_text().replace("right", "left"))
    ae = load_autoencoder(trained["ae"])
    plain = encode_dataset(ae, data, torch.device("cpu"), progress=False)
    canon = encode_dataset(ae, data, torch.device("cpu"), progress=False, side_canonical=True)

    def spans(items):
        return sorted((t, a, b) for _, caps, _ in items for t, a, b in caps)

    named = [s for s in spans(plain) if mirror_caption(s[0]) != s[0]]
    assert any("left" in t for t, _, _ in named) and any("right" in t for t, _, _ in named)
    canon_named = [s for s in spans(canon) if mirror_caption(s[0]) != s[0]]
    assert sorted((canonical_sides(t)[0], a, b) for t, a, b in named) == canon_named  # each once, right first
    assert all(not canonical_sides(t)[1] for t, _, _ in canon_named)
    others = [s for s in spans(plain) if mirror_caption(s[0]) == s[0]]
    assert sorted(others * 2) == [s for s in spans(canon) if mirror_caption(s[0]) == s[0]]  # and their mirrors
    # a left caption's span sits on the mirrored clip: its latents are the mirror image's encoding, not the clip's
    by_caps = {id(caps): lat for lat, caps, _ in canon}
    left_clip_lat = {round(float(lat.sum()), 4) for lat, caps, _ in plain if any("left" in t for t, _, _ in caps)}
    on_mirror = [by_caps[id(caps)] for _, caps, _ in canon if any("right" in t for t, _, _ in caps)]
    assert left_clip_lat and not any(round(float(lat.sum()), 4) in left_clip_lat for lat in on_mirror)


def test_a_side_canonical_generator_mirrors_left_first_prompts(trained):
    from dataclasses import replace as dc_replace

    from generator.motion import repr272 as r272
    from generator.sampling.sampler import SampleOptions, load_sampler

    sampler, _ = load_sampler(trained["gen"])
    opts = SampleOptions(seed=3, outer_steps=2, flow_steps=2, postprocess=False)
    right = sampler.generate(["a person waves the right hand"], [40], opts)[0]
    left_plain = sampler.generate(["a person waves the left hand"], [40], opts)[0]
    sampler.model.cfg = dc_replace(sampler.model.cfg, model=dc_replace(sampler.model.cfg.model, side_canonical=True))
    left = sampler.generate(["a person waves the left hand"], [40], opts)[0]
    assert np.allclose(left, r272.mirror(right), atol=1e-5)  # the right-hand motion, mirrored
    assert not np.allclose(left_plain, left, atol=1e-3)
    again = sampler.generate(["a person waves the right hand"], [40], opts)[0]
    assert np.array_equal(again, right)  # a right-first prompt is read as it is


def test_attribute_weight_draws_speed_and_count_captions_more_often():
    import random

    from generator.training.generator import names_an_attribute, sample_batch, span_pool

    assert names_an_attribute("a person walks forward slowly") and names_an_attribute("jumps 3 times")
    assert names_an_attribute("squats twice") and not names_an_attribute("waves with the left hand")
    lat, spd = torch.zeros(8, 4), torch.ones(8)
    items = [(lat, [("a person walks forward quickly", 0, 8), ("a person walks", 0, 8)], spd),
             (lat, [("a man bows", 0, 8)], spd)]  # fmt: skip
    pool = span_pool(items, 3.0)
    _, _, texts, _ = sample_batch(items, 4000, 8, 0.0, random.Random(0), pool)
    share = {t: texts.count(t) / len(texts) for t in set(texts)}
    # weights: quickly 3/2, walks 1/2, bows 1 (of 3)
    assert abs(share["a person walks forward quickly"] - 0.5) < 0.03 and abs(share["a man bows"] - 1 / 3) < 0.03
    _, _, plain, _ = sample_batch(items, 4000, 8, 0.0, random.Random(0))
    assert abs(plain.count("a man bows") / 4000 - 0.5) < 0.03  # without a pool: clips, then captions, uniform


def test_a_side_canonical_completion_keeps_the_given_frames_unmirrored(trained, tiny_data):
    from dataclasses import replace as dc_replace

    from generator.sampling.sampler import Completion, SampleOptions, load_sampler

    sampler, _ = load_sampler(trained["gen"])
    sampler.model.cfg = dc_replace(sampler.model.cfg, model=dc_replace(sampler.model.cfg.model, side_canonical=True))
    given = np.load(sorted((tiny_data / "motion_data").glob("*.npy"))[1])[:40].astype(np.float32)
    opts = SampleOptions(seed=3, outer_steps=2, flow_steps=2, postprocess=False)
    out = sampler.generate(["a person waves the left hand"], None, opts, Completion(given, prefix=12))[0]
    assert out.shape == given.shape and np.allclose(out[:12], given[:12], atol=1e-5)


def test_attribute_guidance_changes_only_prompts_with_modifiers_and_is_off_at_zero(trained):
    from dataclasses import replace as dc_replace

    from generator.sampling.sampler import SampleOptions, load_sampler

    sampler, _ = load_sampler(trained["gen"])
    opts = SampleOptions(seed=5, outer_steps=2, flow_steps=3, postprocess=False)
    guided = dc_replace(opts, attribute_scale=3.0)
    prompts = ["a person walks forward quickly", "a person bows"]
    base = sampler.generate(prompts, [40, 40], opts)
    assert all(np.array_equal(a, b) for a, b in zip(base, sampler.generate(prompts, [40, 40], opts)))
    off = sampler.generate(prompts, [40, 40], dc_replace(opts, attribute_scale=0.0))
    assert all(np.array_equal(a, b) for a, b in zip(base, off))
    only_plain = sampler.generate(["a person bows"], [40], guided)[0]
    assert np.array_equal(only_plain, sampler.generate(["a person bows"], [40], opts)[0])  # nothing to strip
    quick = sampler.generate(prompts, [40, 40], guided)
    assert not np.allclose(quick[0], base[0], atol=1e-4)
    # the reference path (separate passes, no cache) computes the same guided motion
    ref = sampler.generate(prompts[:1], [40], guided, reference_mode=True)[0]
    assert np.allclose(ref, sampler.generate(prompts[:1], [40], guided)[0], atol=1e-3)


def _fine_tune_from(trained, data, out, flag: str):
    """(argv, tuned network) of a 4-step fine-tune of the trained generator that switches `flag` on; the new part
    starts at zero, so the first loss is the init's, and the checkpoint records the switch."""
    from generator import train
    from generator.model.checkpoint import load_generator

    argv = ["--data", str(data), "--ae", str(trained["ae"]), "--out", str(out), "--seed", "1", "--quiet",
            "--init", str(trained["gen"]), flag]  # fmt: skip
    result = train.train(train.build_parser().parse_args(argv), _with_steps(4))
    assert result["first_loss"] < 0.7 * trained["gen_result"]["first_loss"]
    tuned, _, config = load_generator(out)
    assert config["gen"]["model"][flag[2:].replace("-", "_")] is True
    return argv, tuned


def test_a_word_tag_fine_tune_starts_as_its_init_and_learns_the_tag_vectors(trained, tiny_data, tmp_path):
    from generator import train
    from generator.model.word_tags import TAGS
    from generator.sampling.sampler import SampleOptions, load_sampler

    argv, tuned = _fine_tune_from(trained, tiny_data, tmp_path / "tags", "--word-tags")
    learned = tuned.word_tag.weight.abs().sum(1)
    assert learned[TAGS.index("right")] > 0 and learned[TAGS.index("forward")] > 0  # words of the tiny captions
    assert learned[TAGS.index("quick")] == 0  # no caption says it: its vector never moved
    sampler, _ = load_sampler(tmp_path / "tags")
    opts = SampleOptions(seed=2, outer_steps=2, flow_steps=2, postprocess=False)
    assert np.isfinite(sampler.generate(["a person waves the right hand"], [40], opts)[0]).all()
    argv[argv.index("--init") + 1], argv[argv.index("--out") + 1] = str(tmp_path / "tags"), str(tmp_path / "untag")
    argv.remove("--word-tags")
    with pytest.raises(InputError, match="--word-tags"):
        train.train(train.build_parser().parse_args(argv), _with_steps(2))


def test_a_speed_condition_fine_tune_starts_as_its_init_and_reads_the_speed_word(trained, tiny_data, tmp_path):
    from generator import train
    from generator.sampling.sampler import SampleOptions, load_sampler

    data = tmp_path / "data"
    shutil.copytree(tiny_data, data)
    for path in (data / "texts").glob("*.txt"):  # the walks (1.2 m/s) now say "quickly"
        path.write_text(path.read_text().replace("a person walks forward", "a person walks forward quickly"))
    argv, tuned = _fine_tune_from(trained, data, tmp_path / "speed", "--speed-condition")
    assert tuned.speed_embed.net[-1].weight.abs().sum() > 0  # it learnt from the walks' speeds
    slow, quick = tuned.speed_targets.tolist()
    assert math.isnan(slow) and abs(quick - 1.2) < 0.1  # no caption says slowly; the quick walks' measured speed
    sampler, _ = load_sampler(tmp_path / "speed")
    speeds = sampler.prompt_speeds(["a person walks forward quickly", "a person walks forward"])
    assert speeds[0] == tuned.speed_targets[1] and torch.isnan(speeds[1])
    opts = SampleOptions(seed=2, outer_steps=2, flow_steps=2, postprocess=False)
    told = sampler.generate(["a person walks forward quickly"], [40], opts)[0]
    assert np.isfinite(told).all()
    sampler.model.speed_embed.net[-1].weight.data.zero_()
    sampler.model.speed_embed.net[-1].bias.data.zero_()
    assert not np.allclose(told, sampler.generate(["a person walks forward quickly"], [40], opts)[0], atol=1e-4)
    plain, _ = load_sampler(trained["gen"])
    assert plain.prompt_speeds(["a person walks forward quickly"]) is None
    argv[argv.index("--init") + 1], argv[argv.index("--out") + 1] = str(tmp_path / "speed"), str(tmp_path / "none")
    argv.remove("--speed-condition")
    with pytest.raises(InputError, match="--speed-condition"):
        train.train(train.build_parser().parse_args(argv), _with_steps(2))


def test_cosine_flag_decays_the_generator_lr_to_a_tenth():
    """--cosine reaches the config (resumes compare it), and the schedule it selects ends at 10 % of the peak."""
    from generator.train import build_parser
    from generator.training.generator import configure
    from generator.training.scaffold import lr_factor

    base = ["--data", "d", "--ae", "a", "--out", "o", "--steps", "100", "--warmup", "10"]
    assert configure(build_parser().parse_args(base)).training.cosine is False
    cfg = configure(build_parser().parse_args([*base, "--cosine"])).training
    assert cfg.cosine is True
    factors = [lr_factor(s, cfg.warmup, cfg.steps, cosine=cfg.cosine) for s in range(cfg.steps)]
    assert factors[5] == pytest.approx(0.6) and max(factors) == pytest.approx(1.0)
    assert all(a >= b for a, b in zip(factors[10:], factors[11:])) and factors[-1] == pytest.approx(0.1, abs=0.01)
