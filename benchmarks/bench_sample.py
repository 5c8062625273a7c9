"""Sampling speed of MoLingo: our sampler against the released code's way of sampling, in the same run.

Baseline ("reference mode"): the text is re-encoded (frozen encoder + adapter) at every autoregressive step and the
conditional and unconditional CFG passes run separately, for the transformer and for every flow step.
Ours: the text is encoded once per call, both CFG halves go through the network in one batch, and the flow head's
condition is computed once per autoregressive step. Both produce the same motions (checked here).

    python benchmarks/bench_sample.py [--ckpt generator/checkpoints] [--seconds 6] [--batch 32] [--repeats 3]

Without a checkpoint a randomly initialised model of the chosen preset is timed (timing does not depend on weights).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from generator.model.autoencoder import MotionAutoencoder
from generator.model.checkpoint import DEFAULT_DIR
from generator.model.config import FPS, get_preset
from generator.model.text_encoders import get_text_encoder
from generator.model.transformer import MoLingo
from generator.sampling.sampler import SampleOptions, Sampler

PROMPTS = [
    "a person walks forward", "someone waves with the right hand", "a man jumps in place", "a person turns left",
    "walks in a circle", "a person runs forward then stops", "someone crouches down", "kicks with the left leg",
    "a person sits down", "someone claps the hands", "walks backwards slowly", "a person dances",
]  # fmt: skip


def load_or_init(ckpt: Path, preset: str) -> tuple[Sampler, str]:
    if (ckpt / "config.json").exists():
        from generator.sampling.sampler import load_sampler

        return load_sampler(ckpt)[0], f"checkpoint {ckpt}"
    cfg = get_preset(preset)
    torch.manual_seed(0)
    encoder = get_text_encoder(cfg.gen.text_encoder, cfg.gen.max_text_tokens)
    ae = MotionAutoencoder(cfg.ae).eval()
    model = MoLingo(cfg.gen, cfg.ae.latent_dim, cfg.ae.down, encoder.dim).eval()
    with torch.no_grad():  # give the zero-initialised flow output layers weights so that samples are non-trivial
        for p in model.flow.parameters():
            p.normal_(0, 0.02)
    note = f"randomly initialised '{preset}' model (no checkpoint at {ckpt}; timing does not depend on the weights)"
    return Sampler(model, ae, encoder), note


def timed(sampler: Sampler, prompts: list[str], frames: int, opts: SampleOptions, reference: bool, repeats: int):
    """Median seconds of `repeats` calls (text caches cleared before each), and the last output."""
    times, out = [], None
    for _ in range(repeats):
        sampler.text_encoder._cache.clear()
        t0 = time.perf_counter()
        out = sampler.generate(prompts, [frames] * len(prompts), opts, reference_mode=reference)
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def main() -> int:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    p.add_argument("--ckpt", default=str(DEFAULT_DIR), help="generator checkpoint (random tiny model if absent)")
    p.add_argument("--preset", default="tiny", help="preset of the random model when there is no checkpoint")
    p.add_argument("--seconds", type=float, default=6.0, help="motion length")
    p.add_argument("--batch", type=int, default=32, help="prompts per call for the throughput test")
    p.add_argument("--repeats", type=int, default=3, help="timed calls per measurement (median)")
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    p.add_argument("--steps", type=int, default=16, help="autoregressive steps")
    p.add_argument("--flow-steps", type=int, default=32, help="flow steps")
    p.add_argument("--cfg", type=float, default=4.0, help="guidance scale")
    p.add_argument("--seed", type=int, default=0, help="random seed")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    sampler, note = load_or_init(Path(args.ckpt), args.preset)
    frames = int(round(args.seconds * FPS))
    opts = SampleOptions(outer_steps=args.steps, flow_steps=args.flow_steps, cfg_scale=args.cfg, seed=args.seed)
    print(f"model: {note}")
    print(f"settings: {args.seconds:g} s ({frames} frames), K={args.steps}, N={args.flow_steps}, cfg={args.cfg}, "
          f"threads={args.threads}, device=cpu")  # fmt: skip
    sampler.generate(PROMPTS[:1], [frames], opts)  # warm-up

    lat_ours, a = timed(sampler, PROMPTS[:1], frames, opts, False, args.repeats)
    lat_ref, b = timed(sampler, PROMPTS[:1], frames, opts, True, args.repeats)
    same = np.allclose(a[0], b[0], atol=1e-3)
    print(f"latency, 1 motion:   reference {lat_ref * 1000:8.1f} ms   ours {lat_ours * 1000:8.1f} ms   "
          f"speed-up x{lat_ref / lat_ours:.2f}   (same motion: {same})")  # fmt: skip

    prompts = [PROMPTS[i % len(PROMPTS)] for i in range(args.batch)]
    thr_ours, a = timed(sampler, prompts, frames, opts, False, args.repeats)
    thr_ref, b = timed(sampler, prompts, frames, opts, True, args.repeats)
    same = all(np.allclose(x, y, atol=1e-3) for x, y in zip(a, b))
    print(
        f"throughput, batch {args.batch}: reference {args.batch / thr_ref:8.2f} motions/s   ours "
        f"{args.batch / thr_ours:8.2f} motions/s   speed-up x{thr_ref / thr_ours:.2f}   (same motions: {same})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
