"""Store sampler defaults in a generator checkpoint, so that settings chosen on the validation prompts ship with it.

    python -m generator.sampling_defaults CKPT [--cfg S] [--attribute-guidance A] [--steps K] [--flow-steps N]
                                                [--refresh G]

Rewrites CKPT/config.json (atomically) with the given `gen.sampling` values; the weights are untouched.
`generator.sample`, `generator.evaluate` and `sim.demo` then sample with them unless their own flags override.
The command is recorded in the config (`sampling_command`), beside the training commands.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from generator.model.checkpoint import read_config
from generator.model.config import GenConfig, from_dict, to_dict
from generator.model.weights import save_json
from generator.motion.errors import CliParser, InputError, cli_entry
from generator.sampling.flags import add_sampling_args, sampling_overrides

CONFIG_FIELDS = {"refresh": "noise_refresh"}  # SampleOptions field -> SamplingConfig field, where they differ


def build_parser() -> argparse.ArgumentParser:
    p = CliParser(prog="python -m generator.sampling_defaults", description=__doc__.split("\n\n")[0])
    p.add_argument("ckpt", help="generator checkpoint directory (its config.json is rewritten)")
    add_sampling_args(p, unset="left as stored")
    return p


def set_sampling_defaults(ckpt: str | Path, command: str | None = None, **values: float | int) -> dict:
    """Write `values` ({SamplingConfig field: value}) into the checkpoint's `gen.sampling`; the new config."""
    path = Path(ckpt)
    config = read_config(path)
    if config.get("kind") != "generator" or "gen" not in config:
        raise InputError(f"{path}: an autoencoder checkpoint, not a generator (it has no sampler)")
    gen = from_dict(GenConfig, config["gen"])
    gen = from_dict(GenConfig, {**to_dict(gen), "sampling": {**to_dict(gen.sampling), **values}})
    config["gen"] = {**config["gen"], "sampling": to_dict(gen.sampling)}
    if command:
        config["sampling_command"] = command
    save_json(path / "config.json", config, sort_keys=True)
    return config


@cli_entry
def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    values = {CONFIG_FIELDS.get(field, field): value for field, value in sampling_overrides(args).items()}
    if not values:
        raise InputError("nothing to set: give at least one of --cfg, --attribute-guidance, --steps, "
                         "--flow-steps, --refresh")  # fmt: skip
    words = sys.argv[1:] if argv is None else argv
    config = set_sampling_defaults(args.ckpt, "python -m generator.sampling_defaults " + shlex.join(words), **values)
    print(f"{args.ckpt}: sampling defaults {config['gen']['sampling']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
