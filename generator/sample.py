"""Generate human motions from text with a trained MoLingo checkpoint; optionally complete a given motion.

    python -m generator.sample "a person walks forward then waves" [--num 2] [--seconds 6] [--seed 0] [--cfg 4]
    python -m generator.sample "keeps walking" --prefix start.npz --seconds 8       (motion prediction)
    python -m generator.sample "jumps" --keyframes clip.npz --known-frames 40        (in-betweening)

Writes per sample: OUT/<name>.npz (human motion file), OUT/<name>.mp4 (stick-figure preview), OUT/<name>.bvh.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import sys
import time
from pathlib import Path

from generator.model.checkpoint import DEFAULT_DIR, read_config
from generator.model.config import FPS
from generator.motion.errors import CliParser, InputError, cli_entry, seed_arg
from generator.sampling.flags import add_sampling_args, sampling_overrides
from generator.sampling.vocabulary import check_prompt_words


def build_parser() -> argparse.ArgumentParser:
    p = CliParser(
        prog="python -m generator.sample", description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )  # fmt: skip
    p.add_argument("prompt", help="what the person does, in English")
    p.add_argument("--num", type=int, default=1, help="number of motions for the prompt")
    p.add_argument("--seconds", type=float, default=None, help="motion length (None: predicted from the text)")
    p.add_argument("--seed", type=seed_arg, default=0, help="random seed (same seed, same motions)")
    add_sampling_args(p)
    p.add_argument("--out", default="out/samples", help="output directory")
    p.add_argument("--name", default=None, help="file name stem (None: from the prompt)")
    p.add_argument("--ckpt", default=str(DEFAULT_DIR), help="generator checkpoint directory")
    p.add_argument("--text-encoder", default=None, help="text encoder (None: the one the checkpoint was trained on)")
    p.add_argument("--prefix", default=None, help="human motion .npz to continue (its frames are kept)")
    p.add_argument("--keyframes", default=None, help="human motion .npz whose first and last frames are kept")
    p.add_argument("--known-frames", type=int, default=None, help="frames kept at each end for --keyframes (20%%)")
    p.add_argument(
        "--raw-motion", action="store_true", help="skip the smoothing and foot cleanup (generator.sampling.cleanup)"
    )
    p.add_argument(
        "--raw-prompt", action="store_true", help="encode the prompt as typed (default: in the captions' style)"
    )
    p.add_argument("--threads", type=int, default=2, help="CPU threads for torch")
    p.add_argument("--no-video", action="store_true", help="skip the mp4 preview")
    p.add_argument("--strict", action="store_true", help="exit 2, not a warning, on words unseen in training")
    p.add_argument("--no-bvh", action="store_true", help="skip the BVH export")
    return p


def _check_args(args) -> None:
    from generator.model.text_encoders import check_prompt

    args.prompt = check_prompt(args.prompt)
    if not 1 <= args.num <= 256:
        raise InputError(f"--num must be between 1 and 256, got {args.num}")
    if args.seconds is not None and not (math.isfinite(args.seconds) and args.seconds > 0):
        raise InputError(f"--seconds must be a positive number, got {args.seconds}")
    sampling_overrides(args)
    if args.prefix and args.keyframes:
        raise InputError("use either --prefix or --keyframes, not both")
    if not 1 <= args.threads <= 256:
        raise InputError(f"--threads must be between 1 and 256, got {args.threads}")
    if args.keyframes and args.seconds is not None:
        raise InputError("--seconds does not apply to --keyframes (the keyframe file sets the length)")
    if args.known_frames is not None and args.known_frames < 1:
        raise InputError(f"--known-frames must be positive, got {args.known_frames}")


def _stem(prompt: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", prompt.lower()).strip("_")[:40] or "motion"


def run(args) -> list[Path]:
    """Sample, write the files, return the .npz paths."""
    import torch

    from generator.motion.file import HumanMotion, load_motion
    from generator.sampling.prompt import canonical_prompt
    from generator.sampling.sampler import Completion, load_sampler, sample_options

    _check_args(args)
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    t0 = time.perf_counter()
    config = read_config(args.ckpt) if Path(args.ckpt, "config.json").is_file() else {}
    if warning := check_prompt_words(args.prompt, config, args.strict):
        print(f"warning: {warning}", file=sys.stderr)
    sampler, _ = load_sampler(args.ckpt, args.text_encoder)
    sampler.canonical = not args.raw_prompt
    if sampler.canonical and canonical_prompt(args.prompt) != args.prompt:
        print(f"prompt read as: {canonical_prompt(args.prompt)!r} (--raw-prompt to encode it as typed)")
    cfg, s = sampler.model.cfg, sampler.down
    max_frames = cfg.model.max_frames
    max_seconds = max_frames / FPS
    if args.seconds is not None and args.seconds > max_seconds:
        raise InputError(f"--seconds must be at most {max_seconds:g} (the model's longest motion), got {args.seconds}")
    frames = None if args.seconds is None else [max(s, round(args.seconds * FPS))] * args.num
    completion = None
    if args.prefix:
        given = load_motion(args.prefix)
        p = given.num_frames // s * s
        if p < s:
            raise InputError(f"{args.prefix}: the prefix needs at least {s} frames")
        if frames is None:
            predicted = sampler.predict_frames([args.prompt], torch.Generator().manual_seed(args.seed))[0]
            frames = [min(max_frames, p + predicted)] * args.num
        if frames[0] <= p:
            raise InputError(f"--seconds must exceed the prefix's {given.seconds:.2f} s")
        completion = Completion(given.features[:p], prefix=p)
    elif args.keyframes:
        given = load_motion(args.keyframes)
        t = min(given.num_frames, max_frames) // s * s
        k = args.known_frames if args.known_frames is not None else round(0.2 * t)
        k = k // s * s
        if k < s or 2 * k >= t:
            raise InputError(f"{args.keyframes}: {t} frames cannot keep {k} known frames at each end")
        completion = Completion(given.features[:t], prefix=k, suffix=k)
        frames = [t] * args.num
    opts = sample_options(cfg, args.seed, **sampling_overrides(args), postprocess=not args.raw_motion)
    features = sampler.generate([args.prompt] * args.num, frames, opts, completion)
    elapsed = time.perf_counter() - t0
    out = Path(args.out)
    stem = args.name or _stem(args.prompt)
    paths = []
    for i, feats in enumerate(features):
        name = f"{stem}_{args.seed}_{i}" if args.num > 1 else f"{stem}_{args.seed}"
        motion = HumanMotion.from_features(feats, text=args.prompt)
        npz = motion.save(out / f"{name}.npz")
        paths.append(npz)
        written = [npz]
        if not args.no_bvh:
            from generator.motion.bvh import write_bvh

            written.append(write_bvh(motion, out / f"{name}.bvh"))
        if not args.no_video:
            from generator.motion.render import render_motion

            written.append(render_motion(motion, out / f"{name}.mp4"))
        print(f"{motion.seconds:.2f} s: " + "  ".join(str(w) for w in written))
    print(f"sampled {len(features)} motion(s) in {elapsed:.2f} s (model load included)")
    return paths


@cli_entry
def main(argv: list[str] | None = None) -> int:
    run(build_parser().parse_args(argv))
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # every file is written and closed; skipping torch's interpreter teardown saves about 1.5 s
