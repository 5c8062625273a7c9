"""The evaluation protocol end to end on a tiny captioned set: the evaluate CLI, the action classifier's order-correct
rate and the completion metrics, with the real test motions standing in for a generator."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from generator.action_classifier import main as classifier_main
from generator.eval.action_classifier import (
    in_order,
    load_classifier,
    order_correct_rate,
    order_prompts_from_data,
    parse_actions,
    primary_label,
    segment_order,
    train_classifier,
)
from generator.eval.completion import TASKS, displacement_errors, evaluate_completion
from generator.eval.evaluator import PRESETS, TMREvaluator, load_evaluator, load_motion_texts, save_evaluator
from generator.eval.evaluator_training import train
from generator.eval.protocol import evaluate_t2m, motion_plausibility
from generator.evaluate import main as evaluate_main
from generator.motion import repr272
from generator.motion.errors import InputError

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def data(tmp_path_factory, synthetic_dataset):
    return synthetic_dataset(tmp_path_factory.mktemp("evdata"), {"train": 6, "val": 2, "test": 6}, composite=8)


@pytest.fixture(scope="module")
def evaluator_dir(data, tmp_path_factory):
    out = tmp_path_factory.mktemp("ev")
    train(data, out, steps=60, seed=0, preset="tiny", log=False, progress=False)
    return out


@pytest.fixture(scope="module")
def classifier_dir(data, tmp_path_factory):
    out = tmp_path_factory.mktemp("clf")
    result = train_classifier(data, out, steps=120, seed=0, preset="tiny", progress=False)
    assert result["val_frame_accuracy"] > 0.9
    return out


@pytest.fixture(scope="module")
def generator_dir(tmp_path_factory):
    """A tiny untrained MoLingo checkpoint: exercises the wiring to the sampler, not generation quality."""
    from generator.model.autoencoder import MotionAutoencoder
    from generator.model.checkpoint import save_checkpoint
    from generator.model.config import AEConfig, GenConfig, GenModelConfig, SamplingConfig
    from generator.model.transformer import MoLingo

    torch.manual_seed(0)
    ae = MotionAutoencoder(AEConfig(kind="vae", width=32, latent_dim=8, down=4))
    gen_cfg = GenConfig(
        GenModelConfig(width=32, depth=1, heads=2, adapter_depth=1, flow_depth=1, flow_width=32),
        sampling=SamplingConfig(outer_steps=2, flow_steps=2),
    )
    return save_checkpoint(tmp_path_factory.mktemp("gen"), ae, MoLingo(gen_cfg, 8, 4, 384))


def _retrieval_generator(items):
    """A 'generator' that returns a real test motion with the requested caption (random among them)."""
    by_caption = {}
    for it in items:
        for c in it.captions:
            by_caption.setdefault(c, []).append(it.features)

    def generate(texts, lengths, seed):
        rng = np.random.default_rng(seed)
        return [by_caption[t][int(rng.integers(len(by_caption[t])))] for t in texts]

    return generate


def test_protocol_with_real_motions_as_the_generated_set(data, evaluator_dir):
    ev = load_evaluator(evaluator_dir)
    items = load_motion_texts(data, "test")
    assert all(60 <= it.num_frames < 300 for it in items)
    real = evaluate_t2m(ev, items, None, reps=3, progress=False)
    assert real["FID"].mean < 1e-6
    assert real["R-Precision top-3"].mean > 3 / 32 and "MultiModality" not in real
    gen = evaluate_t2m(ev, items, _retrieval_generator(items), reps=3, mm_texts=10, mm_generations=4, progress=False)
    assert gen["FID"].mean < 0.5 and gen["MultiModality"].mean > 0

    def noisy(texts, lengths, seed):
        rng = np.random.default_rng(seed)
        return [m + rng.normal(scale=0.5, size=m.shape).astype(np.float32) for m in _retrieval_generator(items)(
            texts, lengths, seed)]  # fmt: skip

    worse = evaluate_t2m(ev, items, noisy, reps=3, mm_texts=0, progress=False)
    assert worse["FID"].mean > gen["FID"].mean + 0.5
    with pytest.raises(InputError, match="NaN"):
        evaluate_t2m(ev, items, lambda t, n, s: [np.full((n[0], 272), np.nan, np.float32)] * len(t), reps=1,
                     progress=False)  # fmt: skip


def test_evaluate_cli_writes_a_markdown_table(data, evaluator_dir, tmp_path, capsys):
    out = tmp_path / "results.md"
    rc = evaluate_main(["--evaluator", str(evaluator_dir), "--data", str(data), "--reps", "2", "--out", str(out)])
    assert rc == 0
    text = out.read_text()
    assert "| Real motions |" in text and "R-Precision top-1" in text and "FID" in text
    assert "wall time" in capsys.readouterr().out


def test_evaluate_cli_with_a_generator_checkpoint(data, evaluator_dir, classifier_dir, generator_dir, tmp_path):
    out = tmp_path / "results.md"
    args = ["--ckpt", str(generator_dir), "--evaluator", str(evaluator_dir), "--data", str(data), "--reps", "1",
            "--mm-texts", "3", "--mm-generations", "2", "--completion", "--order-classifier", str(classifier_dir),
            "--no-real", "--plausibility", "--out", str(out), "--seed", "3"]  # fmt: skip
    assert evaluate_main(args) == 0
    text = out.read_text()
    for row in (f"| {generator_dir.name} |", "| Generated |", "| Completion: prediction |", "ADE", "MultiModality",
                "Foot skating ratio", "Jerk (m/s^3)"):  # fmt: skip
        assert row in text
    assert "| Real motions | 1.000" in text  # the classifier's ceiling on the real held-out clips
    assert evaluate_main(args) == 0 and out.read_text() == text  # deterministic for a fixed seed


@pytest.mark.parametrize(
    "args, message",
    [
        (["--evaluator", "{tmp}/none", "--data", "{data}"], "no such evaluator"),
        (["--evaluator", "{ev}", "--data", "{tmp}/none"], "no such dataset"),
        (["--evaluator", "{ev}", "--data", "{data}", "--reps", "0"], "--reps"),
        (["--evaluator", "{ev}", "--data", "{data}", "--split", "nosplit"], "no 'nosplit' split"),
        (["--evaluator", "{ev}", "--data", "{data}", "--ckpt", "{tmp}/nockpt"], "checkpoint"),
        (["--evaluator", "{bad}", "--data", "{data}"], "corrupt evaluator"),
    ],
)
def test_evaluate_cli_bad_input_exits_2_with_one_line(args, message, data, evaluator_dir, tmp_path, capsys):
    bad = tmp_path / "bad"
    bad.mkdir()
    save_evaluator(TMREvaluator(replace(PRESETS["tiny"], text_dim=384), text_dim=384), bad)
    (bad / "evaluator.json").write_text("{not json")
    fill = {"tmp": tmp_path, "data": data, "ev": evaluator_dir, "bad": bad}
    assert evaluate_main([a.format(**fill) for a in args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:") and message in err[0]


def test_plausibility_of_a_motion_set(tmp_path, capsys, synthetic_motion):
    rng = np.random.default_rng(0)
    good = synthetic_motion(["squat"], 60, rng)
    good.save(tmp_path / "set" / "a.npz")
    figures = motion_plausibility(good.features)
    assert figures["Penetration (m)"] < 1e-6 and figures["Foot skating ratio"] == 0.0 and figures["Jerk (m/s^3)"] > 0
    sunk = good.features.copy()
    sunk[:, 8:74].reshape(-1, 22, 3)[:, :, 1] -= 0.1  # every joint 10 cm lower: feet 10 cm into the floor
    assert motion_plausibility(sunk)["Penetration (m)"] == pytest.approx(0.1, abs=1e-4)
    assert evaluate_main(["--motions", str(tmp_path / "set"), "--out", str(tmp_path / "p.md")]) == 0
    assert "| set (1) |" in (tmp_path / "p.md").read_text()
    assert evaluate_main(["--motions", str(tmp_path / "missing.npz")]) == 2
    assert evaluate_main(["--reps", "3"]) == 2
    assert capsys.readouterr().err.count("error:") == 2


def test_order_helpers():
    assert segment_order(["walk"] * 20 + ["wave"] * 3 + ["walk"] * 5 + ["", ""] + ["jump"] * 12, 10) == ["walk", "jump"]
    assert in_order(["walk", "turn", "wave"], ["walk", "wave"]) and not in_order(["wave", "walk"], ["walk", "wave"])
    labels = ["walk", "wave", "jump", "turn"]
    assert parse_actions("a person walks forward then waves", labels) == ["walk", "wave"]
    assert parse_actions("jump, and then turn around, after that walk", labels) == ["jump", "turn", "walk"]
    with pytest.raises(InputError, match="names no action"):
        parse_actions("walk then dance", labels)
    procedural = ["walk", "walk backward", "arm circles", "transition"]  # the procedural library's label style
    assert parse_actions("walks backward and then does arm circles", procedural) == ["walk backward", "arm circles"]
    assert primary_label("march+arm circles") == "march" and primary_label("walk, wave") == "walk"
    assert segment_order(["walk"] * 12 + ["transition"] * 12 + ["jump"] * 12, 10) == ["walk", "jump"]


def test_action_classifier_order_correct_rate(data, classifier_dir, tmp_path):
    clf = load_classifier(classifier_dir)
    prompts = order_prompts_from_data(clf, data, "test")
    assert len(prompts) >= 4 and all(len(p.actions) == 2 for p in prompts)
    items = {it.captions[0]: it.features for it in load_motion_texts(data, "test", min_frames=1, max_frames=None)}
    real = [items[p.text] for p in prompts]
    rate, _ = order_correct_rate(clf, prompts, real)
    assert rate >= 0.75
    # the same actions in the wrong order (halves swapped) are not order-correct
    swapped = [np.concatenate([m[len(m) // 2 :], m[: len(m) // 2]]) for m in real]
    assert order_correct_rate(clf, prompts, swapped)[0] <= 0.25
    assert classifier_main(["predict", "--ckpt", str(tmp_path / "none"), "--motion", "x.npz"]) == 2


def test_completion_metrics_oracle_and_frozen_completers(data, evaluator_dir):
    ev = load_evaluator(evaluator_dir)
    items = [it for it in load_motion_texts(data, "test") if "walk" in it.captions[0]]

    def oracle(texts, features, prefixes, suffixes, seed):
        return [f.copy() for f in features]

    def frozen(texts, features, prefixes, suffixes, seed):
        outs = []
        for f, prefix in zip(features, prefixes):
            out = f.copy()
            out[prefix:] = f[prefix - 1]
            out[prefix:, 0:2] = 0.0  # standing still after the known frames
            out[prefix:, 74:140] = 0.0
            outs.append(out)
        return outs

    rows = evaluate_completion(ev, items, oracle, reps=2, progress=False)
    assert set(rows) == {"Completion: prediction", "Completion: inbetweening"}
    exact = rows["Completion: prediction"]
    assert exact["ADE"].mean == 0.0 and exact["FDE"].mean == 0.0 and exact["FID"].mean < 1e-6
    stuck = evaluate_completion(ev, items, frozen, reps=1, tasks=("prediction",), progress=False)
    assert stuck["Completion: prediction"]["FDE"].mean > stuck["Completion: prediction"]["ADE"].mean > 0.3
    assert TASKS["inbetweening"].known_frames(100) == (20, 20)


def test_displacement_errors_of_a_shifted_root_path():
    f = np.zeros((30, 272), np.float32)
    f[:, 2:8] = (1, 0, 0, 0, 1, 0)
    g = f.copy()
    g[10:, 0] = 0.1  # 0.1 m per frame sideways from frame 10 on
    ade, fde = displacement_errors(g, f, 10, 30)
    assert fde == pytest.approx(2.0, abs=1e-5) and ade == pytest.approx(np.mean(np.arange(1, 21) * 0.1), abs=1e-5)
    assert np.allclose(repr272.decode_joints(f.astype(np.float64))[:, 0, [0, 2]], 0)


def test_side_swap_precision_counts_side_captions_and_scores_real_and_generated(data, evaluator_dir):
    from generator.eval.attributes import side_swap_accuracy
    from generator.eval.evaluator import load_evaluator, load_motion_texts

    evaluator = load_evaluator(evaluator_dir)
    items = load_motion_texts(data, "test", 1, 10_000)
    real_only = side_swap_accuracy(evaluator, items)
    n_side = sum(1 for it in items for c in it.captions if "right" in c)
    assert real_only["pairs"] == n_side > 0 and 0.0 <= real_only["real"] <= 1.0 and "generated" not in real_only

    from generator.data.mirror import mirror_caption

    real = [it.features for it in items for c in it.captions if mirror_caption(c) != c]

    def mirrored_generate(texts, lengths, seed):  # a "generator" that returns the real motion of each caption
        assert len(texts) == len(real)
        return real

    both = side_swap_accuracy(evaluator, items, mirrored_generate)
    assert both["generated"] == pytest.approx(both["real"])
