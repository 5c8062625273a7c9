"""Training the contrastive text-motion evaluator (TMR-style) on captioned clips."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from generator.eval import metrics
from generator.eval.evaluator import (
    PRESETS,
    MotionTexts,
    TMREvaluator,
    dataset_stats,
    load_motion_texts,
    pad_motions,
    resolve_text_encoder,
    save_evaluator,
)
from generator.model.text_encoders import get_text_encoder
from generator.model.weights import load_torch_state
from generator.motion.configs import choose_preset
from generator.motion.errors import InputError, atomic_path

STATE_FILE = "train_state.pt"


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation settings; `ms272` follows TMR / MotionStreamer, `tiny` is a CPU smoke run."""

    batch_size: int = 32
    lr: float = 1e-4
    weight_decay: float = 0.0
    grad_clip: float = 1.0
    min_frames: int = 20
    max_frames: int = 300
    save_every: int = 1000


TRAIN_PRESETS: dict[str, TrainConfig] = {
    "ms272": TrainConfig(),
    "cpu": TrainConfig(lr=2e-4, save_every=250),
    "tiny": TrainConfig(batch_size=8, lr=3e-4, min_frames=10, max_frames=120, save_every=50),
}


class CaptionSampler:
    """Draws training batches: random items, one random caption each, random crops of at most max_frames."""

    def __init__(self, items: list[MotionTexts], mean: np.ndarray, std: np.ndarray, cfg: TrainConfig):
        self.items, self.cfg = items, cfg
        self.mean, self.std = mean.astype(np.float32), std.astype(np.float32)

    def batch(self, rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor, list[str]]:
        idx = rng.choice(len(self.items), size=min(self.cfg.batch_size, len(self.items)), replace=False)
        motions, texts = [], []
        for i in idx:
            item = self.items[i]
            t = item.num_frames
            length = min(t, self.cfg.max_frames)
            start = int(rng.integers(0, t - length + 1))
            motions.append((item.features[start : start + length] - self.mean) / self.std)
            texts.append(item.captions[int(rng.integers(len(item.captions)))])
        feats, lengths = pad_motions(motions)
        return feats, lengths, texts


def retrieval_check(model: TMREvaluator, items: list[MotionTexts], seed: int = 0) -> dict[str, float]:
    """R-Precision top-1/3 (batches of 32) and MM-Dist of the first caption of each item: a training sanity figure."""
    if len(items) < 32:
        return {}
    model.eval()
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(items))
    texts = [items[i].captions[0] for i in order]
    m = model.embed_motions([items[i].features for i in order])
    t = model.embed_texts(texts)
    rp = metrics.r_precision(t, m)
    return {"top1": float(rp[0]), "top3": float(rp[2]), "mm_dist": metrics.mm_dist(t, m)}


def mirrored(items: list[MotionTexts]) -> list[MotionTexts]:
    """Every item mirrored left/right (repr272.mirror) with its captions' side words swapped (HumanML3D)."""
    from generator.data.mirror import mirror_caption
    from generator.motion import repr272

    return [
        MotionTexts(f"{it.name}~mirrored", repr272.mirror(torch.from_numpy(it.features)).numpy(),
                    tuple(mirror_caption(c) for c in it.captions))
        for it in items
    ]  # fmt: skip


def _rng_state(rng: np.random.Generator) -> dict:
    return {"numpy": rng.bit_generator.state, "torch": torch.get_rng_state()}


def train(
    data: Path, out: Path, steps: int, seed: int = 0, preset: str = "ms272", train_preset: str | None = None,
    text_encoder: str | None = None, split: str = "train", log: bool = True, progress: bool = True,
    mirror: bool = False, side_negatives: bool = False,
) -> dict[str, float]:  # fmt: skip
    """Train (or resume) an evaluator for `steps` total steps; returns the last losses and the retrieval check.
    `mirror` adds every clip mirrored with side-swapped captions; `side_negatives` makes each caption's side-swapped
    twin a hard negative of the contrastive loss (so retrieval must tell left from right)."""
    cfg = choose_preset(PRESETS, preset, "evaluator")
    if text_encoder:
        cfg = replace(cfg, text_encoder=text_encoder)
    cfg = replace(cfg, side_negatives=side_negatives or cfg.side_negatives)
    tcfg = choose_preset(
        TRAIN_PRESETS, train_preset or (preset if preset in TRAIN_PRESETS else "ms272"), "evaluator training"
    )
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    items = load_motion_texts(data, split, min_frames=tcfg.min_frames, max_frames=tcfg.max_frames, crop_long=True)
    mean, std = dataset_stats(data, items)
    if mirror:
        items = items + mirrored(items)
    encoder = get_text_encoder(resolve_text_encoder(cfg.text_encoder), cfg.max_text_tokens)
    model = TMREvaluator(replace(cfg, text_dim=encoder.dim), text_dim=encoder.dim, mean=mean, std=std)
    opt = torch.optim.AdamW(model.parameters(), lr=tcfg.lr, weight_decay=tcfg.weight_decay)
    step = 0
    state_path = out / STATE_FILE
    if state_path.exists():
        state = load_torch_state(state_path, "evaluator training state", continued=True)
        try:
            model.load_state_dict(state["model"])
            opt.load_state_dict(state["optimizer"])
        except Exception as e:  # any unreadable / mismatched state is a user-facing problem, not a traceback
            raise InputError(f"{state_path}: cannot resume ({type(e).__name__}: {str(e).splitlines()[0]})") from None
        step = int(state["step"])
        rng.bit_generator.state = state["rng"]["numpy"]
        torch.set_rng_state(state["rng"]["torch"])
    sampler = CaptionSampler(items, mean, std, tcfg)
    writer = None
    if log:
        from torch.utils.tensorboard import SummaryWriter

        writer = SummaryWriter(str(out / "tb"))

    def checkpoint() -> None:
        with atomic_path(state_path) as tmp:
            torch.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "step": step,
                        "rng": _rng_state(rng), "train_config": asdict(tcfg)}, tmp)  # fmt: skip
        save_evaluator(model, out, extra={"trained_steps": step, "data": str(data), "seed": seed, "mirror": mirror,
                                          "train_config": asdict(tcfg)})  # fmt: skip

    last: dict[str, float] = {}
    bar = tqdm(total=steps, initial=min(step, steps), desc="evaluator", disable=not progress)
    while step < steps:
        model.train()
        feats, lengths, texts = sampler.batch(rng)
        losses = model.losses(feats, lengths, texts).losses
        opt.zero_grad(set_to_none=True)
        losses["total"].backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), tcfg.grad_clip)
        opt.step()
        step += 1
        last = {k: float(v.detach()) for k, v in losses.items()}
        if writer is not None:
            for k, v in last.items():
                writer.add_scalar(f"loss/{k}", v, step)
        bar.update(1)
        bar.set_postfix(total=f"{last['total']:.3f}", nce=f"{last['contrastive']:.3f}")
        if step % tcfg.save_every == 0:
            checkpoint()
    bar.close()
    checkpoint()
    check = {}
    if split != "val":
        try:
            check = retrieval_check(model, load_motion_texts(data, "val"), seed)
        except InputError:
            check = {}
    if writer is not None:
        for k, v in check.items():
            writer.add_scalar(f"val/{k}", v, step)
        writer.close()
    return {"step": step, **{f"loss_{k}": v for k, v in last.items()}, **{f"val_{k}": v for k, v in check.items()}}
