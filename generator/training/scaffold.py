"""What the two training loops (autoencoder, generator) share: the data stream, the learning-rate schedule, the
loss summary and the RNG state stored in resumable checkpoints."""

from __future__ import annotations

import itertools
import math
import random

import numpy as np
import torch


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


def optimizer_step(opt: torch.optim.Optimizer, model: torch.nn.Module, loss: torch.Tensor, grad_clip: float) -> None:
    """One update: zero the gradients, backpropagate, clip their norm, step."""
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
    opt.step()


def log_step(writer, prefix: str, losses: dict, step: int, save_every: int, total: int, checkpoint) -> None:
    """TensorBoard scalars of a step's losses, and a checkpoint every `save_every` steps (the final one is the
    caller's, after the loop)."""
    for k, v in losses.items():
        writer.add_scalar(f"{prefix}/{k}", float(v.detach()), step)
    if (step + 1) % save_every == 0 and step + 1 < total:
        checkpoint(step + 1)
