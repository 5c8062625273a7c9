"""Train the MoLingo generator (text adapter + masked transformer + flow head + length head) on autoencoder latents.

    python -m generator.train --data DIR --ae AE_CKPT --preset tiny --out DIR [--steps N] [--resume] [--seed 0]
                              [--atm 0.01 --evaluator DIR] [--mirror] [--side-canonical] [--attribute-weight W]
                              [--init GEN_CKPT] [--cosine]

The autoencoder is frozen; every training clip is encoded once (posterior mean) and its latents standardised per
dimension. Captions are encoded once by the frozen text encoder into a disk cache (OUT/text_cache_*.safetensors).
AdamW (0.9, 0.95), linear warm-up then constant lr (with --cosine: a cosine decay to 10 %), grad clip, EMA of the
weights (the EMA weights are what the checkpoint ships). Resumable: OUT/train_state.pt holds weights, EMA, optimiser,
step and RNG states. With --init, the weights (and the latent standardisation) start from a shipped generator
checkpoint of the same configuration.
With --atm W, ATM's inter- and intra-motion alignment losses (generator.training.atm, through a frozen evaluator on the
decoded one-step clean estimate) are added with weight W (the paper: 0.01).
"""

from __future__ import annotations

import argparse
import sys

from generator.motion.errors import CliParser, cli_entry
from generator.training.arguments import add_run_args, add_schedule_args
from generator.training.generator import train


def build_parser() -> argparse.ArgumentParser:
    p = CliParser(
        prog="python -m generator.train", description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )  # fmt: skip
    p.add_argument("--data", required=True, help="HumanML3D-272 directory")
    p.add_argument("--ae", required=True, help="trained autoencoder checkpoint directory (generator.train_ae)")
    p.add_argument("--out", required=True, help="output checkpoint directory")
    add_schedule_args(p)
    p.add_argument("--text-encoder", default=None, help="frozen text encoder (None: the preset's, MiniLM)")
    p.add_argument(
        "--mirror",
        action="store_true",
        help="also train on every clip mirrored, its captions' left/right words swapped (HumanML3D)",
    )
    p.add_argument(
        "--side-canonical",
        action="store_true",
        help="--mirror, with every caption that names a side kept once, mirrored so its first side word is right / "
        "clockwise; the checkpoint says so and the sampler mirrors left-first prompts (generator.data.mirror)",
    )
    p.add_argument(
        "--word-tags",
        action="store_true",
        help="the network adds a learned vector per modifier-word class (side, direction, speed, count) to those "
        "text tokens (generator.model.word_tags); with --init, the new vectors start at zero",
    )
    p.add_argument(
        "--speed-condition",
        action="store_true",
        help="the network is also told each span's measured walking speed, and a prompt's speed word the data's mean "
        "speed for it (generator.model.speed); with --init, the condition starts at zero",
    )
    p.add_argument(
        "--attribute-weight",
        type=float,
        default=1.0,
        help="draw captions that name a speed or a count this many times as often (1: uniform)",
    )
    p.add_argument(
        "--cosine",
        action="store_true",
        help="after the warm-up, decay the learning rate by a cosine to 10%% of its peak (default: constant)",
    )
    p.add_argument(
        "--init",
        default=None,
        help="start from this generator checkpoint's weights (same config; fresh optimiser, step 0): fine-tuning",
    )
    p.add_argument("--atm", type=float, default=0.0, help="weight of the ATM alignment losses (0: off; paper: 0.01)")
    p.add_argument("--evaluator", default=None, help="frozen text-motion evaluator for --atm (None: the shipped one)")
    add_run_args(p)
    return p


@cli_entry
def main(argv: list[str] | None = None) -> int:
    train(build_parser().parse_args(argv))
    return 0


if __name__ == "__main__":
    sys.exit(main())
