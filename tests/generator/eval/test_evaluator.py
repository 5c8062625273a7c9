"""The TMR-style evaluator: shapes, padding masks, InfoNCE filtering, save/load, and a short training run."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
import torch

from generator.eval.evaluator import (
    PRESETS,
    HardNegatives,
    TMREvaluator,
    info_nce,
    lengths_to_mask,
    load_evaluator,
    load_motion_texts,
    pad_motions,
    save_evaluator,
)
from generator.eval.evaluator_training import mirrored, train
from generator.motion.errors import InputError
from generator.train_evaluator import main as train_main

TEXT_DIM = 384  # MiniLM


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def eval_data(tmp_path_factory, synthetic_dataset):
    return synthetic_dataset(tmp_path_factory.mktemp("evdata"), {"train": 6, "val": 6, "test": 6}, composite=10)


@pytest.fixture(scope="module")
def tiny():
    torch.manual_seed(0)
    return TMREvaluator(replace(PRESETS["tiny"], text_dim=TEXT_DIM), text_dim=TEXT_DIM).eval()


@pytest.mark.parametrize("patch", [1, 4])  # 4: the shipped CPU evaluator's 4-frame tokens
def test_forward_shapes_and_padding_mask(patch):
    torch.manual_seed(0)
    tiny = TMREvaluator(replace(PRESETS["tiny"], text_dim=TEXT_DIM, patch=patch), text_dim=TEXT_DIM).eval()
    feats = torch.randn(3, 50, 272)
    lengths = torch.tensor([50, 30, 12])
    dist = tiny.motion_distribution(feats, lengths)
    assert dist.shape == (3, 2, 32)
    emb = tiny.embed_motion(feats, lengths)
    assert emb.shape == (3, 32)
    # frames beyond a motion's length do not change its embedding
    garbage = feats.clone()
    garbage[1, 30:] = 1e3
    garbage[2, 12:] = -7.0
    torch.testing.assert_close(tiny.embed_motion(garbage, lengths), emb)
    # the same motion alone (no padding) embeds identically
    torch.testing.assert_close(tiny.embed_motion(feats[2:, :12], lengths[2:]), emb[2:], atol=1e-5, rtol=1e-5)
    assert lengths_to_mask(lengths, 50).sum().item() == 92
    recon = tiny.decode(emb, lengths_to_mask(lengths, 50))
    assert recon.shape == (3, 50, 272) and recon[2, 12:].abs().max() == 0


def test_text_embeddings_and_losses(tiny):
    texts = ["a person walks forward", "a person jumps", "someone waves the right hand"]
    assert tiny.embed_text(texts).shape == (3, 32)
    feats, lengths = pad_motions([np.random.default_rng(i).normal(size=(20 + 5 * i, 272)) for i in range(3)])
    out = tiny.train().losses(feats, lengths, texts)
    tiny.eval()
    assert set(out.losses) == {"recons", "kl", "latent", "contrastive", "total"}
    assert all(torch.isfinite(v) for v in out.losses.values())
    assert out.text_emb.shape == out.motion_emb.shape == (3, 32)


def test_info_nce_masks_near_duplicate_captions():
    emb = torch.eye(4)
    # rows 0 and 1 are near-duplicate captions: the 0<->1 negatives are dropped, so a confusion there costs nothing
    sentence = torch.nn.functional.normalize(torch.tensor([[1.0, 0, 0], [0.95, 0.1, 0], [0, 1.0, 0], [0, 0, 1.0]]))
    swapped = emb[[1, 0, 2, 3]] * 0.3 + emb * 0.7
    unfiltered = info_nce(emb, swapped, None)
    filtered = info_nce(emb, swapped, sentence)
    assert filtered < unfiltered
    perfect = info_nce(emb * 10, emb * 10, sentence)
    assert perfect < 0.01


def test_side_swapped_hard_negatives():
    """A side-swapped twin as close to a motion as its own caption costs that motion ln 2 (of 2 directions x 3 rows);
    one equal word for word to a batch caption is that motion's positive, never its negative."""
    text, motion = torch.eye(3), torch.eye(3)
    base = info_nce(text, motion, None)
    confusing = HardNegatives(text_emb=torch.eye(3)[:1] * 5, equals=torch.zeros(1, 3, dtype=torch.bool))
    assert info_nce(text, motion, None, hard=confusing) == pytest.approx(float(base) + np.log(2) / 6, abs=1e-3)
    far = HardNegatives(text_emb=-torch.eye(3)[:1], equals=torch.zeros(1, 3, dtype=torch.bool))
    assert info_nce(text, motion, None, hard=far) == pytest.approx(float(base), abs=1e-4)
    own = HardNegatives(text_emb=torch.eye(3)[:1] * 5, equals=torch.tensor([[True, False, False]]))
    assert info_nce(text, motion, None, hard=own) == pytest.approx(float(base), abs=1e-4)


def test_side_negative_loss_and_mirrored_items(tiny, eval_data):
    texts = ["someone waves the right hand", "a person jumps", "someone waves the left hand"]
    feats, lengths = pad_motions([np.random.default_rng(i).normal(size=(24, 272)) for i in range(3)])
    model = TMREvaluator(replace(PRESETS["tiny"], text_dim=TEXT_DIM, side_negatives=True), text_dim=TEXT_DIM)
    model.load_state_dict(tiny.state_dict())
    torch.manual_seed(0)
    with_hard = model.train().losses(feats, lengths, texts).losses["contrastive"]
    torch.manual_seed(0)
    without = tiny.train().losses(feats, lengths, texts).losses["contrastive"]
    tiny.eval()
    assert torch.isfinite(with_hard) and with_hard != without
    items = load_motion_texts(eval_data, "train")
    twins = mirrored(items)
    assert [t.name for t in twins] == [f"{it.name}~mirrored" for it in items]
    from generator.data.mirror import mirror_caption
    from generator.motion import repr272

    assert twins[0].captions == tuple(mirror_caption(c) for c in items[0].captions)
    again = repr272.mirror(torch.from_numpy(twins[0].features)).numpy()
    np.testing.assert_allclose(again, items[0].features, atol=1e-5)


def test_save_load_round_trip_and_bad_files(tiny, tmp_path):
    save_evaluator(tiny, tmp_path / "ev", extra={"note": "test"})
    loaded = load_evaluator(tmp_path / "ev")
    feats, lengths = torch.randn(2, 40, 272), torch.tensor([40, 25])
    torch.testing.assert_close(
        loaded.embed_motion(feats, lengths), tiny.embed_motion(feats, lengths), atol=2e-2, rtol=1e-2
    )  # fmt: skip (fp16 weights)
    assert json.loads((tmp_path / "ev" / "evaluator.json").read_text())["note"] == "test"
    with pytest.raises(InputError, match="no such evaluator"):
        load_evaluator(tmp_path / "missing")
    (tmp_path / "ev" / "evaluator.safetensors").write_bytes(b"garbage")
    with pytest.raises(InputError, match="corrupt evaluator weights"):
        load_evaluator(tmp_path / "ev")


def test_short_training_lowers_the_contrastive_loss_and_resumes(eval_data, tmp_path):
    out = tmp_path / "ev"
    torch.manual_seed(0)
    model_before = train(eval_data, out, steps=1, seed=0, preset="tiny", log=False, progress=False)
    result = train(eval_data, out, steps=80, seed=0, preset="tiny", log=False, progress=False)
    assert json.loads((out / "evaluator.json").read_text())["trained_steps"] == 80 and result["step"] == 80
    # resuming from step 1 gives exactly the weights of an uninterrupted run
    fresh = train(eval_data, tmp_path / "fresh", steps=80, seed=0, preset="tiny", log=False, progress=False)
    assert fresh["loss_total"] == result["loss_total"]
    a, b = torch.load(out / "train_state.pt")["model"], torch.load(tmp_path / "fresh" / "train_state.pt")["model"]
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert result["loss_contrastive"] < 0.6 * model_before["loss_contrastive"]
    # trained: text-to-motion retrieval on the held-out split well above chance (1/32)
    assert result["val_top3"] > 0.3
    ev = load_evaluator(out)
    items = load_motion_texts(eval_data, "test")
    assert ev.embed_motions([it.features for it in items[:5]]).shape == (5, 32)


def test_train_cli_resumes_into_its_own_state(eval_data, tmp_path, capsys):
    """The command replaces the train_state.pt it resumed from (a continued state, not a protected input)."""
    argv = ["--data", str(eval_data), "--out", str(tmp_path / "ev"), "--preset", "tiny", "--no-log"]
    assert train_main([*argv, "--steps", "1"]) == 0
    assert train_main([*argv, "--steps", "2"]) == 0, capsys.readouterr().err
    assert json.loads((tmp_path / "ev" / "evaluator.json").read_text())["trained_steps"] == 2


def test_train_cli_bad_input_exits_2(tmp_path, capsys):
    assert train_main(["--data", str(tmp_path / "none"), "--out", str(tmp_path / "o"), "--steps", "2"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:")
    assert train_main(["--data", str(tmp_path), "--out", str(tmp_path / "o"), "--steps", "0"]) == 2
