"""The sampler's command-line flags, defined once for every command that samples or stores sampler defaults
(`generator.sample`, `generator.evaluate`, `generator.sampling_defaults`): --cfg, --attribute-guidance, --steps,
--flow-steps, --refresh. Each defaults to None, meaning the checkpoint's stored value."""

from __future__ import annotations

import argparse
import math

from generator.motion.errors import InputError
from generator.sampling.modifiers import check_attribute_guidance

FLAGS = {  # flag attribute -> SampleOptions field
    "cfg": "cfg_scale",
    "attribute_guidance": "attribute_scale",
    "steps": "outer_steps",
    "flow_steps": "flow_steps",
    "refresh": "refresh",
}


def add_sampling_args(p: argparse.ArgumentParser, unset: str = "None: the checkpoint's") -> None:
    """Add the five sampler flags to `p`; `unset` says in each help text what leaving a flag out means."""
    p.add_argument("--cfg", type=float, default=None, help=f"classifier-free guidance scale ({unset})")
    p.add_argument(
        "--attribute-guidance", type=float, default=None,
        help=f"push away from the prompt without its side/direction/count/speed words, 0: off ({unset})",
    )  # fmt: skip
    p.add_argument("--steps", type=int, default=None, help=f"autoregressive steps K ({unset})")
    p.add_argument("--flow-steps", type=int, default=None, help=f"rectified-flow steps per token ({unset})")
    p.add_argument("--refresh", type=float, default=None, help=f"noise-refresh fraction gamma in [0, 1) ({unset})")


def sampling_overrides(args: argparse.Namespace) -> dict:
    """{SampleOptions field: value} for the sampler flags given on the command line; InputError for one out of
    range."""
    cfg, refresh = args.cfg, args.refresh
    if cfg is not None and not (math.isfinite(cfg) and 0 <= cfg <= 50):
        raise InputError(f"--cfg must be in [0, 50], got {cfg}")
    check_attribute_guidance(args.attribute_guidance)
    for flag, value in (("--steps", args.steps), ("--flow-steps", args.flow_steps)):
        if value is not None and not 1 <= value <= 1000:
            raise InputError(f"{flag} must be between 1 and 1000, got {value}")
    if refresh is not None and not (math.isfinite(refresh) and 0 <= refresh < 1):
        raise InputError(f"--refresh must be in [0, 1), got {refresh}")
    return {field: getattr(args, flag) for flag, field in FLAGS.items() if getattr(args, flag) is not None}
