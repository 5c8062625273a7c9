"""ATM losses: zero when generated equals real, positive otherwise, and their gradients reach the generator."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch

from generator.eval.evaluator import PRESETS, TMREvaluator
from generator.training.atm import ATMConfig, ATMLoss, atm_inter_loss, atm_intra_loss, split_clips

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def evaluator():
    torch.manual_seed(0)
    return TMREvaluator(replace(PRESETS["tiny"], text_dim=384), text_dim=384).eval()


def test_inter_loss_zero_for_real_and_positive_for_collapsed_generations():
    torch.manual_seed(1)
    real, text = torch.randn(6, 8), torch.randn(6, 8)
    sim = torch.eye(6)
    assert atm_inter_loss(real.clone(), real, text, sim).item() == 0.0
    # generated motions collapsed onto the text-farthest real motion: distinct texts, overly similar motions
    collapsed = real[(text - real).norm(dim=-1).argmax()].expand(6, -1) + 0.01 * torch.randn(6, 8)
    assert atm_inter_loss(collapsed, real, text, sim).item() > 0.0
    # every pair has near-identical captions: no admissible negative, no loss
    assert atm_inter_loss(collapsed, real, text, torch.ones(6, 6)).item() == 0.0


def test_intra_loss_zero_for_real_and_positive_when_clips_swap():
    torch.manual_seed(2)
    real_clips = torch.randn(4, 3, 8)
    valid = torch.ones(4, 3, dtype=torch.bool)
    seq = torch.randn(4, 8)
    assert atm_intra_loss(real_clips.clone(), real_clips, valid, seq, seq).item() == 0.0
    gen_clips = real_clips.flip(0)  # every clip replaced by another sequence's clip
    far = -seq  # cosine -1 < 0.8: all sequences active
    assert atm_intra_loss(gen_clips, real_clips, valid, far, seq).item() > 0.0
    # whole sequences already aligned (cosine 1 >= 0.8): intra-motion alignment stays off
    assert atm_intra_loss(gen_clips, real_clips, valid, seq, seq).item() == 0.0


def test_split_clips_marks_clips_inside_each_motion():
    clips, valid = split_clips(torch.randn(2, 130, 5), torch.tensor([130, 70]), 60)
    assert clips.shape == (2, 2, 60, 5)
    assert valid.tolist() == [[True, True], [True, False]]


def test_atm_loss_through_the_evaluator_reaches_the_generator(evaluator):
    torch.manual_seed(3)
    b, t = 4, 130
    real = torch.randn(b, t, 272)
    lengths = torch.tensor([130, 125, 121, 130])
    texts = ["a person walks forward", "a person jumps up", "someone waves the right hand", "a person squats down"]
    atm = ATMLoss(evaluator, ATMConfig())
    same = atm(real.clone(), real, lengths, texts)
    assert same["inter"].item() == 0.0 and same["intra"].item() == 0.0

    generator = torch.nn.Linear(272, 272)  # a tiny "generator" upstream of the loss
    noise = torch.randn(b, t, 272)
    gen = generator(noise)
    losses = atm(gen, real, lengths, texts)
    assert losses["total"].item() > 0.0
    losses["total"].backward()
    assert generator.weight.grad is not None and generator.weight.grad.abs().sum() > 0
    assert all(p.grad is None for p in evaluator.parameters())  # the evaluator stays frozen


def test_molingo_atm_loss_reaches_the_transformer_and_flow_head(evaluator):
    from generator.model.autoencoder import MotionAutoencoder
    from generator.model.config import AEConfig, GenConfig, GenModelConfig
    from generator.model.text_encoders import get_text_encoder
    from generator.model.transformer import MoLingo
    from generator.training.atm import molingo_atm_loss, molingo_atm_step

    torch.manual_seed(4)
    ae = MotionAutoencoder(AEConfig(kind="vae", width=32, latent_dim=8, down=4)).requires_grad_(False)
    net = GenModelConfig(width=32, depth=1, heads=2, adapter_depth=1, flow_depth=1, flow_width=32)
    model = MoLingo(GenConfig(net), 8, 4, 384)
    with torch.no_grad():  # the flow head is adaLN-zero initialised: it passes no gradient upstream until trained
        for p in model.flow.parameters():
            p.add_(0.05 * torch.randn_like(p))
    texts = ["a person walks forward", "", "someone waves the right hand", "a person squats down"]
    tokens, text_pad = get_text_encoder("minilm").encode(texts)
    x1 = torch.randn(4, 34, 8)
    pad = torch.arange(34)[None] >= torch.tensor([34, 34, 31, 30])[:, None]
    masked = (torch.rand(4, 34) < 0.5) & ~pad
    z = model(x1, masked, pad, model.encode_text(tokens, text_pad), text_pad)
    losses = molingo_atm_loss(ATMLoss(evaluator), model, ae, x1, pad, z, masked, texts)
    assert losses["inter"].item() > 0 and losses["total"].item() > 0
    losses["total"].backward()
    for part in (model.flow, model.blocks, model.adapter):
        assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in part.parameters())
    assert all(p.grad is None for p in ae.parameters()) and all(p.grad is None for p in evaluator.parameters())
    model.zero_grad()
    step = molingo_atm_step(ATMLoss(evaluator), model, ae, x1, pad, tokens, text_pad, texts)
    step["total"].backward()
    assert step["total"].item() > 0 and any(p.grad is not None and p.grad.abs().sum() > 0 for p in model.parameters())
