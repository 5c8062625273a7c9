"""Train the TMR-style evaluator on a HumanML3D-272 directory (the procedural library or the real dataset).

    python -m generator.train_evaluator --data DIR --out DIR --steps N --seed 0

Resumable: `train_state.pt` in --out holds weights, optimiser, step and RNG states; every --save-every steps (and at
the end) it and the shipped files (`evaluator.safetensors` fp16 + `evaluator.json`) are rewritten atomically.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from generator import metrics
from generator.errors import InputError, atomic_path, cli_entry
from generator.evaluator import (
    PRESETS,
    MotionTexts,
    TMREvaluator,
    dataset_stats,
    load_motion_texts,
    pad_motions,
    resolve_text_encoder,
    save_evaluator,
)  # fmt: skip
from generator.text_encoders import get_text_encoder

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


def _rng_state(rng: np.random.Generator) -> dict:
    return {"numpy": rng.bit_generator.state, "torch": torch.get_rng_state()}


def train(
    data: Path, out: Path, steps: int, seed: int = 0, preset: str = "ms272", train_preset: str | None = None,
    text_encoder: str | None = None, split: str = "train", log: bool = True, progress: bool = True,
) -> dict[str, float]:  # fmt: skip
    """Train (or resume) an evaluator for `steps` total steps; returns the last losses and the retrieval check."""
    cfg = PRESETS[preset]
    if text_encoder:
        cfg = replace(cfg, text_encoder=text_encoder)
    tcfg = TRAIN_PRESETS[train_preset or (preset if preset in TRAIN_PRESETS else "ms272")]
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    items = load_motion_texts(data, split, min_frames=tcfg.min_frames, max_frames=tcfg.max_frames, crop_long=True)
    mean, std = dataset_stats(data, items)
    encoder = get_text_encoder(resolve_text_encoder(cfg.text_encoder), cfg.max_text_tokens)
    model = TMREvaluator(replace(cfg, text_dim=encoder.dim), text_dim=encoder.dim, mean=mean, std=std)
    opt = torch.optim.AdamW(model.parameters(), lr=tcfg.lr, weight_decay=tcfg.weight_decay)
    step = 0
    state_path = out / STATE_FILE
    if state_path.exists():
        try:
            state = torch.load(state_path, map_location="cpu", weights_only=False)
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
        save_evaluator(model, out, extra={"trained_steps": step, "data": str(data), "seed": seed,
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


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m generator.train_evaluator", description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )  # fmt: skip
    p.add_argument("--data", type=Path, required=True, help="HumanML3D-272 layout directory")
    p.add_argument("--out", type=Path, required=True, help="output directory (resumed when it has train_state.pt)")
    p.add_argument("--steps", type=int, default=20000, help="total optimisation steps")
    p.add_argument("--seed", type=int, default=0, help="random seed (CPU runs are deterministic)")
    p.add_argument("--preset", choices=sorted(PRESETS), default="ms272", help="model size")
    p.add_argument("--train-preset", choices=sorted(TRAIN_PRESETS), default=None, help="default: same as --preset")
    p.add_argument(
        "--text-encoder",
        default=None,
        help="default: the preset's (all-MiniLM-L6-v2); distilbert, t5-large (local weights) or a model directory",
    )
    p.add_argument("--split", default="train", help="split to train on")
    p.add_argument("--no-log", action="store_true", help="no TensorBoard log")
    return p


@cli_entry
def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.steps < 1 or args.steps > 10_000_000:
        raise InputError(f"--steps {args.steps}: expected 1..10000000")
    t0 = time.perf_counter()
    result = train(args.data, args.out, args.steps, args.seed, args.preset, args.train_preset, args.text_encoder,
                   args.split, log=not args.no_log)  # fmt: skip
    print(json.dumps(result, indent=2))
    print(f"wall time {time.perf_counter() - t0:.1f} s; evaluator in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
