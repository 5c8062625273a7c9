"""generator.sampling_defaults: sampler settings stored in a checkpoint, read back by the sampler; bad input exits 2."""

from __future__ import annotations

import json

import pytest
import torch

from generator.model.autoencoder import MotionAutoencoder
from generator.model.checkpoint import load_generator, save_checkpoint
from generator.model.config import AEConfig, GenConfig, GenModelConfig, SamplingConfig
from generator.model.transformer import MoLingo
from generator.sampling.sampler import sample_options
from generator.sampling_defaults import main


@pytest.fixture()
def ckpt(tmp_path):
    torch.manual_seed(0)
    ae = MotionAutoencoder(AEConfig(kind="vae", width=32, latent_dim=8, down=4))
    cfg = GenConfig(GenModelConfig(width=32, depth=1, heads=2, adapter_depth=1, flow_depth=1, flow_width=32))
    return save_checkpoint(tmp_path / "gen", ae, MoLingo(cfg, 8, 4, 384), meta={"command": "python -m train"})


def test_it_stores_the_defaults_the_sampler_then_uses(ckpt):
    weights = (ckpt / "model.safetensors").read_bytes()
    assert main([str(ckpt), "--attribute-guidance", "2", "--cfg", "5"]) == 0
    config = json.loads((ckpt / "config.json").read_text())
    assert config["sampling_command"] == f"python -m generator.sampling_defaults {ckpt} --attribute-guidance 2 --cfg 5"
    assert config["command"] == "python -m train"  # the rest of the config is kept
    model, _, _ = load_generator(ckpt)
    opts = sample_options(model.cfg, 0)
    assert (opts.attribute_scale, opts.cfg_scale, opts.outer_steps) == (2.0, 5.0, SamplingConfig().outer_steps)
    assert (ckpt / "model.safetensors").read_bytes() == weights


@pytest.mark.parametrize(
    "args, message",
    [
        (["--attribute-guidance", "nan"], "--attribute-guidance must be in"),
        (["--cfg", "-1"], "--cfg must be in"),
        (["--steps", "0"], "--steps must be between"),
        (["--refresh", "1"], "--refresh must be in"),
        ([], "nothing to set"),
    ],
)
def test_bad_values_exit_2_and_leave_the_config_alone(ckpt, capsys, args, message):
    before = (ckpt / "config.json").read_bytes()
    assert main([str(ckpt), *args]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and message in err and "\n" not in err
    assert (ckpt / "config.json").read_bytes() == before
    assert sorted(p.name for p in ckpt.iterdir()) == ["config.json", "model.safetensors"]


def test_missing_and_wrong_checkpoints_exit_2(tmp_path, capsys):
    assert main([str(tmp_path / "none"), "--cfg", "3"]) == 2
    assert "no checkpoint directory" in capsys.readouterr().err
    ae_dir = save_checkpoint(tmp_path / "ae", MotionAutoencoder(AEConfig(kind="vae", width=32, latent_dim=8)))
    assert main([str(ae_dir), "--cfg", "3"]) == 2
    assert "not a generator" in capsys.readouterr().err
    (ae_dir / "config.json").write_text("{not json")
    assert main([str(ae_dir), "--cfg", "3"]) == 2
    assert "corrupt" in capsys.readouterr().err
