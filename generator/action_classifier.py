"""Frame-level action classifier over 272-D motion, and the order-correct rate of compositional prompts.

A small non-causal temporal conv net (dilated residual blocks) labels every frame with an action of the training
vocabulary (the frame labels of the procedural library, BABEL-style JSON). A generated motion is "order-correct"
for a prompt such as "walk then wave" when its smoothed frame labels contain the requested actions in that order.

    python -m generator.action_classifier train --data DIR --out DIR --steps N --seed 0
    python -m generator.action_classifier predict --ckpt DIR --motion FILE.npz
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from generator.eval.action_classifier import (
    CLASSIFIER_PRESETS,
    in_order,
    load_classifier,
    parse_actions,
    train_classifier,
)
from generator.motion.errors import CliParser, InputError, cli_entry, seed_arg


def build_parser() -> argparse.ArgumentParser:
    p = CliParser(prog="python -m generator.action_classifier", description=__doc__.splitlines()[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)  # fmt: skip
    sub = p.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="train on a dataset's frame labels",
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter)  # fmt: skip
    t.add_argument("--data", type=Path, required=True, help="HumanML3D-272 directory with frame_labels/")
    t.add_argument("--out", type=Path, required=True, help="output directory")
    t.add_argument("--steps", type=int, default=3000, help="optimisation steps")
    t.add_argument("--seed", type=seed_arg, default=0, help="random seed (CPU runs are deterministic)")
    t.add_argument("--preset", default="default", help=f"network size: {', '.join(sorted(CLASSIFIER_PRESETS))}")
    q = sub.add_parser("predict", help="print the action sequence of a human motion file",
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter)  # fmt: skip
    q.add_argument("--ckpt", type=Path, required=True, help="classifier directory")
    q.add_argument("--motion", type=Path, required=True, help="human motion .npz")
    q.add_argument("--prompt", default=None, help="also check this compositional prompt's order")
    q.add_argument("--seed", type=seed_arg, default=0, help="unused (prediction is deterministic); kept for uniformity")
    return p


@cli_entry
def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "train":
        if not 1 <= args.steps <= 10_000_000:
            raise InputError(f"--steps {args.steps}: expected 1..10000000")
        t0 = time.perf_counter()
        result = train_classifier(args.data, args.out, args.steps, args.seed, args.preset)
        print(json.dumps(result, indent=2))
        print(f"wall time {time.perf_counter() - t0:.1f} s; classifier in {args.out}")
        return 0
    from generator.motion.file import load_motion

    clf = load_classifier(args.ckpt)
    motion = load_motion(args.motion)
    sequence = clf.action_sequence(motion.features)
    print(" -> ".join(sequence) if sequence else "(no action recognised)")
    if args.prompt is not None:
        requested = parse_actions(args.prompt, clf.labels)
        verdict = in_order(sequence, requested)
        print(f"requested: {' -> '.join(requested)}: {'in order' if verdict else 'NOT in order'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
