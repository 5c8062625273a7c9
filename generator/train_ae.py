"""Train the causal motion autoencoder (AE / VAE / SAE) on a HumanML3D-272 directory.

    python -m generator.train_ae --data DIR --preset tiny --out DIR [--steps N] [--kind sae] [--resume] [--seed 0]
    python -m generator.train_ae --data DIR --init CKPT --decoder-only --out DIR [--steps N --lr LR]

Random `window`-frame crops of normalised features; AdamW with linear warm-up then cosine decay; TensorBoard logs in
OUT/tb; an fp16 checkpoint (config.json + model.safetensors) and a resumable train_state.pt in OUT.
Data: generator.data.dataset (length-bucketed batches of random crops); a resumed run starts a new epoch.
--decoder-only tunes only the decoder of CKPT (an autoencoder or a generator checkpoint) on the posterior means, the
latents the generator is trained on and produces, so the latent space and any generator on it stay valid; from a
generator checkpoint OUT is that generator with the tuned decoder.
"""

from __future__ import annotations

import argparse
import sys

from generator.motion.errors import CliParser, cli_entry
from generator.training.arguments import add_run_args, add_schedule_args
from generator.training.autoencoder import train


def build_parser() -> argparse.ArgumentParser:
    p = CliParser(
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
    p.add_argument("--init", default=None, help="checkpoint to start from (with --decoder-only)")
    p.add_argument(
        "--decoder-only", action="store_true",
        help="tune only the decoder of --init, on posterior means (the latents, and a generator on them, stay valid)",
    )  # fmt: skip
    add_run_args(p)
    return p


@cli_entry
def main(argv: list[str] | None = None) -> int:
    train(build_parser().parse_args(argv))
    return 0


if __name__ == "__main__":
    sys.exit(main())
