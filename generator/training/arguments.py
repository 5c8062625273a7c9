"""Command-line arguments shared by the training commands, and applying them to a config."""

from __future__ import annotations

import argparse
import dataclasses

from generator.motion.errors import InputError, seed_arg


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
    p.add_argument("--seed", type=seed_arg, default=0, help="random seed")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def apply_overrides(cfg, args, **extra):
    """Set the schedule flags (and `extra` config fields) that were given on cfg; InputError on absurd values."""
    given = {"steps": args.steps, "batch_size": args.batch, "lr": args.lr, "warmup": args.warmup, **extra}
    cfg = dataclasses.replace(cfg, **{name: value for name, value in given.items() if value is not None})
    if cfg.steps < 1 or cfg.batch_size < 1 or not cfg.lr > 0 or cfg.warmup < 0:
        raise InputError("--steps, --batch and --lr must be positive and --warmup non-negative")
    return cfg
