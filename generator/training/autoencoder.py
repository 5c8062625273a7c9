"""Training the motion autoencoder (AE / VAE / SAE) on 272-D clips."""

from __future__ import annotations

import copy
import random
import sys
from pathlib import Path

import numpy as np
import torch

from generator.data.dataset import DataConfig, MotionTextDataset, make_loader
from generator.model.autoencoder import MotionAutoencoder, ae_loss
from generator.model.checkpoint import load_train_state, save_checkpoint, save_train_state
from generator.model.config import AEConfig, from_dict, get_preset, to_dict
from generator.motion.errors import InputError
from generator.training.arguments import apply_overrides
from generator.training.scaffold import (
    batches,
    log_step,
    loss_summary,
    lr_factor,
    optimizer_step,
    rng_state,
    set_rng_state,
)


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


def configure(args) -> AEConfig:
    cfg = get_preset(args.preset).ae
    return apply_overrides(cfg, args, kind=args.kind, down=args.down, latent_dim=args.latent).validate()


def decoder_init(path: str | Path, cfg: AEConfig):
    """(autoencoder, generator network or None, config) of the checkpoint a decoder fine-tune starts from; its
    network must be the one `cfg` describes (the recipe may differ)."""
    from generator.model.checkpoint import load_autoencoder, load_generator, read_config

    config = read_config(path)
    model = None
    if config.get("kind") == "generator":
        model, ae, config = load_generator(path)
    else:
        ae = load_autoencoder(path)
    recipe = ("steps", "lr", "warmup", "batch_size")
    if {k: v for k, v in to_dict(ae.cfg).items() if k not in recipe} != {
        k: v for k, v in to_dict(cfg).items() if k not in recipe
    }:
        raise InputError(f"--init {path}: that autoencoder has a different configuration; pass the same --preset")
    return ae, model, config


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
    decoder_only = getattr(args, "decoder_only", False)
    init_ae = init_model = init_config = None
    if decoder_only:
        if not getattr(args, "init", None):
            raise InputError("--decoder-only needs --init CKPT (the autoencoder or generator whose decoder to tune)")
        init_ae, init_model, init_config = decoder_init(args.init, cfg)
    ds = make_dataset(args.data, "train", cfg, args.seed, with_labels=cfg.kind == "sae" and not decoder_only)
    if len(ds) == 0:
        raise InputError(f"{args.data}: no training clip of at least {4 * cfg.down} frames")
    mean, std = ds.mean, ds.std
    loader = make_loader(ds, DataConfig(batch_size=cfg.batch_size, bucket_factor=8), seed=args.seed)
    cache = None
    if cfg.kind == "sae" and not decoder_only:
        labels = label_vocabulary(ds)
        if labels:
            from generator.model.text_encoders import DiskTextCache, get_text_encoder

            enc = get_text_encoder(args.text_encoder)
            cache = DiskTextCache(out / f"text_cache_{enc.name.replace('/', '_')}.safetensors", enc, labels,
                                  show_progress=not args.quiet)  # fmt: skip
        else:
            print("note: the data has no frame labels; the SAE trains without its semantic loss", file=sys.stderr)
    if decoder_only:  # the latent space stays as it is, so a generator trained on it stays valid
        model = init_ae
        model.requires_grad_(False)
        model.decoder.requires_grad_(True)
    else:
        model = MotionAutoencoder(cfg, text_dim=cache.dim if cache else None)
        model.mean.copy_(torch.as_tensor(mean))
        model.std.copy_(torch.as_tensor(std))
    device = torch.device(args.device)
    model.to(device)
    trained = model.decoder.parameters() if decoder_only else model.parameters()
    opt = torch.optim.AdamW(trained, lr=cfg.lr, weight_decay=cfg.weight_decay)
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
        meta = {"step": step, "preset": args.preset, "seed": args.seed, "command": command}
        if init_model is not None:  # a generator's decoder tuned: the checkpoint stays that generator
            keep = {k: v for k, v in init_config.items() if k not in ("ae", "gen", "kind", "format", "version")}
            meta = {**keep, "decoder_command": command}
        save_checkpoint(out, copy.deepcopy(model).cpu(), init_model, meta=meta)

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
        losses = ae_loss(model, x.to(device), pad_t.to(device), label_emb, label_mask, sample=not decoder_only)
        optimizer_step(opt, model, losses["total"], cfg.grad_clip)
        history.append(float(losses["total"].detach()))
        bar.set_postfix(loss=f"{history[-1]:.4f}")
        log_step(writer, "ae", losses, step, args.save_every, cfg.steps, checkpoint)
    checkpoint(cfg.steps)
    writer.close()
    result = loss_summary(history, cfg.steps)
    print(f"autoencoder saved to {out} (loss {result['first_loss']:.4f} -> {result['last_loss']:.4f})")
    return result
