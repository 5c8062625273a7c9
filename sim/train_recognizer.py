"""`python -m sim.train_recognizer --out DIR [--per-primitive 24 --mixed 80 --steps 1500 --seed 0]`: fit the
robot-side action recogniser on retargeted labelled procedural clips, then report its frame accuracy and confusion
table on held-out clips (controller.motion_set's EVAL_SEED, which training never uses)."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

from generator.motion.errors import CliParser, InputError, atomic_path, cli_entry, seed_arg


def build_parser() -> CliParser:
    p = CliParser(prog="python -m sim.train_recognizer", description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, required=True, help="output directory (action_classifier.json + weights)")
    p.add_argument("--per-primitive", type=int, default=24, help="training clips per primitive")
    p.add_argument("--mixed", type=int, default=80, help="training compositions (walk then wave, ...)")
    p.add_argument("--eval-per-primitive", type=int, default=3, help="held-out clips per primitive")
    p.add_argument("--eval-mixed", type=int, default=20, help="held-out compositions")
    p.add_argument("--steps", type=int, default=1500, help="optimiser steps")
    p.add_argument("--seed", type=seed_arg, default=0, help="random seed (CPU training is deterministic)")
    return p


def confusion_markdown(labels: list[str], counts: np.ndarray) -> str:
    """Rows: true label; columns: predicted; each row in % of its frames."""
    head = "| true \\ predicted | " + " | ".join(labels) + " | frames |"
    rows = [head, "|" + "---|" * (len(labels) + 2)]
    for i, lab in enumerate(labels):
        n = counts[i].sum()
        cells = [f"{100 * c / n:.0f}" if n else "-" for c in counts[i]]
        rows.append(f"| {lab} | " + " | ".join(cells) + f" | {n} |")
    return "\n".join(rows)


@cli_entry
def main(argv: list[str] | None = None) -> int:
    import torch

    from controller.motion_groups import EVAL_SEED
    from generator.eval.action_classifier import CLASSIFIER_PRESETS, fit_classifier, save_classifier
    from sim.recognizer import FEATURE_DIM, confusion, labelled_robot_clips

    args = build_parser().parse_args(argv)
    for name in ("per_primitive", "mixed", "eval_per_primitive", "eval_mixed", "steps"):
        if not 0 <= getattr(args, name) <= 100_000:
            raise InputError(f"--{name.replace('_', '-')} must be in [0, 100000], got {getattr(args, name)}")
    if args.per_primitive < 1 or args.steps < 1:
        raise InputError("--per-primitive and --steps must be at least 1")
    if args.seed == EVAL_SEED:
        raise InputError(f"--seed {EVAL_SEED} is the held-out evaluation seed; choose another")
    torch.manual_seed(args.seed)
    train = labelled_robot_clips(args.seed, args.per_primitive, args.mixed)
    held_out = labelled_robot_clips(EVAL_SEED, args.eval_per_primitive, args.eval_mixed)
    cfg = replace(CLASSIFIER_PRESETS["default"], input_dim=FEATURE_DIM, hidden=96, crop_frames=200)
    labels = sorted({lab for c in train for lab in c.frame_labels} - {"", "transition"})
    flat = np.concatenate([c.features for c in train]).astype(np.float64)
    mean, std = flat.mean(0).astype(np.float32), np.maximum(flat.std(0), 1e-6).astype(np.float32)
    rng = np.random.default_rng(args.seed)
    model, loss = fit_classifier([c.features for c in train], [c.frame_labels for c in train], labels, cfg, mean,
                                 std, args.steps, rng)  # fmt: skip
    names, counts = confusion(model, held_out)
    accuracy = float(np.trace(counts) / max(counts.sum(), 1))
    command = "python -m sim.train_recognizer " + " ".join(sys.argv[1:] if argv is None else argv)
    save_classifier(model, args.out, extra={"command": command, "held_out_frame_accuracy": round(accuracy, 4),
                                            "train_clips": len(train), "held_out_clips": len(held_out)})  # fmt: skip
    table = confusion_markdown(names, counts)
    with atomic_path(Path(args.out) / "held_out.md") as tmp:
        tmp.write_text(f"held-out frame accuracy {accuracy:.4f} ({len(held_out)} clips, seed {EVAL_SEED})\n\n{table}\n")
    print(json.dumps({"loss": round(loss, 4), "held_out_frame_accuracy": round(accuracy, 4)}))
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
