"""Train the causal motion autoencoder (AE / VAE / SAE) on a HumanML3D-272 directory.

    python -m generator.train_ae --data DIR --preset tiny --out DIR [--steps N] [--kind sae] [--resume] [--seed 0]

Random `window`-frame crops of normalised features; AdamW with linear warm-up then cosine decay; TensorBoard logs in
OUT/tb; an fp16 checkpoint (config.json + model.safetensors) and a resumable train_state.pt in OUT.
Data: generator.data.dataset (length-bucketed batches of random crops); a resumed run starts a new epoch.
"""

from __future__ import annotations

import argparse
import copy
import itertools
import math
import random
import sys
from pathlib import Path

import numpy as np
import torch

from generator.autoencoder import MotionAutoencoder, ae_loss
from generator.checkpoint import load_train_state, save_checkpoint, save_train_state
from generator.config import AEConfig, from_dict, get_preset, to_dict
from generator.data.dataset import DataConfig, MotionTextDataset, make_loader
from generator.errors import InputError, cli_entry


def make_dataset(data: str | Path, split: str, cfg: AEConfig, seed: int, with_labels: bool) -> MotionTextDataset:
    """Random `window`-frame crops (multiples of the downsampling) of a split, normalised, with frame labels."""
    return MotionTextDataset(
        data, split, max_length=cfg.window, min_length=4 * cfg.down, unit_length=cfg.down, seed=seed,
        with_labels=with_labels,
    )  # fmt: skip


def label_vocabulary(ds: MotionTextDataset) -> list[str]:
    """All distinct non-empty frame labels of the dataset's clips."""
    labels: set[str] = set()
    for cid in sorted({e.clip_id for e in ds.entries}):
        fl = ds.layout.frame_labels(cid)
        if fl is not None:
            labels.update(lab for lab in fl.per_frame if lab)
    return sorted(labels)


def batches(loader, start_epoch: int = 0):
    """Endless (epoch, batch) stream over a DataLoader built by generator.data.dataset.make_loader."""
    for epoch in itertools.count(start_epoch):
        loader.dataset.set_epoch(epoch)
        loader.batch_sampler.set_epoch(epoch)
        for batch in loader:
            yield epoch, batch


def lr_factor(step: int, warmup: int, total: int, cosine: bool = True) -> float:
    """Linear warm-up, then cosine decay to 10 % (or constant when cosine is False)."""
    if step < warmup:
        return (step + 1) / max(1, warmup)
    if not cosine:
        return 1.0
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress))


def loss_summary(history: list[float], steps: int) -> dict:
    """{'first_loss', 'last_loss', 'steps'}: means of the first and last 10% of the logged losses."""
    k = max(1, len(history) // 10)
    return {"first_loss": float(np.mean(history[:k])), "last_loss": float(np.mean(history[-k:])), "steps": steps}


def rng_state(rng: random.Random) -> dict:
    return {"python": rng.getstate(), "torch": torch.get_rng_state(), "numpy": np.random.get_state()}


def set_rng_state(rng: random.Random, state: dict) -> None:
    rng.setstate(state["python"])
    torch.set_rng_state(state["torch"])
    np.random.set_state(state["numpy"])


def add_schedule_args(p: argparse.ArgumentParser) -> None:
    """--preset, --steps, --batch, --lr, --warmup: the recipe overrides both training commands share."""
    p.add_argument("--preset", default="tiny", help="config preset: tiny or paper")
    p.add_argument("--steps", type=int, default=None, help="training steps (None: the preset's)")
    p.add_argument("--batch", type=int, default=None, help="batch size (None: the preset's)")
    p.add_argument("--lr", type=float, default=None, help="peak learning rate (None: the preset's)")
    p.add_argument("--warmup", type=int, default=None, help="warm-up steps (None: the preset's)")


def add_run_args(p: argparse.ArgumentParser) -> None:
    """--resume, --save-every, --device, --threads, --seed, --quiet: how both training commands run."""
    p.add_argument("--resume", action="store_true", help="continue from OUT/train_state.pt")
    p.add_argument("--save-every", type=int, default=1000, help="checkpoint interval (steps)")
    p.add_argument("--device", default="cpu", help="torch device, e.g. cpu or cuda")
    p.add_argument("--threads", type=int, default=None, help="CPU threads for torch (None: torch's choice)")
    p.add_argument("--seed", type=int, default=0, help="random seed")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def apply_overrides(cfg, args, **extra):
    """Set the schedule flags (and `extra` config fields) that were given on cfg; InputError on absurd values."""
    given = {"steps": args.steps, "batch_size": args.batch, "lr": args.lr, "warmup": args.warmup, **extra}
    for name, value in given.items():
        if value is not None:
            setattr(cfg, name, value)
    if cfg.steps < 1 or cfg.batch_size < 1 or not cfg.lr > 0 or cfg.warmup < 0:
        raise InputError("--steps, --batch and --lr must be positive and --warmup non-negative")
    return cfg


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m generator.train_ae", description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )  # fmt: skip
    p.add_argument("--data", required=True, help="HumanML3D-272 directory")
    p.add_argument("--out", required=True, help="output checkpoint directory")
    add_schedule_args(p)
    p.add_argument("--kind", choices=("ae", "vae", "sae"), default=None, help="variant (None: the preset's)")
    p.add_argument("--down", type=int, choices=(2, 4), default=None, help="temporal downsampling")
    p.add_argument("--latent", type=int, default=None, help="latent size d")
    p.add_argument("--text-encoder", default="all-MiniLM-L6-v2", help="frozen text encoder for the SAE labels")
    add_run_args(p)
    return p


def configure(args) -> AEConfig:
    cfg = get_preset(args.preset).ae
    return apply_overrides(cfg, args, kind=args.kind, down=args.down, latent_dim=args.latent).validate()


def train(args, cfg: AEConfig | None = None) -> dict:
    """Run training; returns {'first_loss', 'last_loss', 'steps'} (mean of the first / last 10% of steps)."""
    from torch.utils.tensorboard import SummaryWriter
    from tqdm import tqdm

    out = Path(args.out)
    cfg = configure(args) if cfg is None else cfg.validate()
    rng = random.Random(args.seed)
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed % 2**32)
    ds = make_dataset(args.data, "train", cfg, args.seed, with_labels=cfg.kind == "sae")
    if len(ds) == 0:
        raise InputError(f"{args.data}: no training clip of at least {4 * cfg.down} frames")
    mean, std = ds.mean, ds.std
    loader = make_loader(ds, DataConfig(batch_size=cfg.batch_size, bucket_factor=8), seed=args.seed)
    cache = None
    if cfg.kind == "sae":
        labels = label_vocabulary(ds)
        if labels:
            from generator.text_encoders import DiskTextCache, get_text_encoder

            enc = get_text_encoder(args.text_encoder)
            cache = DiskTextCache(out / f"text_cache_{enc.name.replace('/', '_')}.safetensors", enc, labels,
                                  show_progress=not args.quiet)  # fmt: skip
        else:
            print("note: the data has no frame labels; the SAE trains without its semantic loss", file=sys.stderr)
    model = MotionAutoencoder(cfg, text_dim=cache.dim if cache else None)
    model.mean.copy_(torch.as_tensor(mean))
    model.std.copy_(torch.as_tensor(std))
    device = torch.device(args.device)
    model.to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    start, epoch = 0, 0
    if args.resume:
        state = load_train_state(out)
        if {**to_dict(from_dict(AEConfig, state["config"])), "steps": 0} != {**to_dict(cfg), "steps": 0}:
            raise InputError(f"{out}: the saved run used a different configuration; resume with the same flags")
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        set_rng_state(rng, state["rng"])
        start, epoch = state["step"], state.get("epoch", -1) + 1
    writer = SummaryWriter(str(out / "tb"))
    history: list[float] = []

    def checkpoint(step: int) -> None:
        state = {"config": to_dict(cfg), "model": model.state_dict(), "optimizer": opt.state_dict(), "step": step,
                 "epoch": epoch}  # fmt: skip
        save_train_state(out, {**state, "rng": rng_state(rng)})
        command = "python -m generator.train_ae " + " ".join(sys.argv[1:])
        save_checkpoint(
            out,
            copy.deepcopy(model).cpu(),
            meta={"step": step, "preset": args.preset, "seed": args.seed, "command": command},
        )

    model.train()
    stream = batches(loader, epoch)
    bar = tqdm(range(start, cfg.steps), desc="autoencoder", disable=args.quiet, initial=start, total=cfg.steps)
    for step in bar:
        for group in opt.param_groups:
            group["lr"] = cfg.lr * lr_factor(step, cfg.warmup, cfg.steps)
        epoch, batch = next(stream)
        x, pad_t = batch["motion"], ~batch["mask"]  # (B, T, 272) normalised, (B, T) True = padding
        labels = [row if row is not None else [""] * x.shape[1] for row in batch["frame_labels"]]
        label_emb = label_mask = None
        if cache is not None:
            flat = [lab for row in labels for lab in row]
            uniq = sorted(set(flat) - {""})
            table = cache.pooled(uniq) if uniq else torch.zeros(0, cache.dim)
            index = {lab: i for i, lab in enumerate(uniq)}
            ids = torch.tensor([index.get(lab, -1) for lab in flat]).view(len(labels), -1)  # (B, T)
            label_mask = ids >= 0
            label_emb = torch.cat([table, torch.zeros(1, cache.dim)])[ids]  # -1 -> the zero row
        if label_emb is not None:
            label_emb, label_mask = label_emb.to(device), label_mask.to(device)
        losses = ae_loss(model, x.to(device), pad_t.to(device), label_emb, label_mask)
        opt.zero_grad(set_to_none=True)
        losses["total"].backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
        opt.step()
        history.append(float(losses["total"].detach()))
        for k, v in losses.items():
            writer.add_scalar(f"ae/{k}", float(v.detach()), step)
        bar.set_postfix(loss=f"{history[-1]:.4f}")
        if (step + 1) % args.save_every == 0 and step + 1 < cfg.steps:
            checkpoint(step + 1)
    checkpoint(cfg.steps)
    writer.close()
    result = loss_summary(history, cfg.steps)
    print(f"autoencoder saved to {out} (loss {result['first_loss']:.4f} -> {result['last_loss']:.4f})")
    return result


@cli_entry
def main(argv: list[str] | None = None) -> int:
    train(build_parser().parse_args(argv))
    return 0


if __name__ == "__main__":
    sys.exit(main())
