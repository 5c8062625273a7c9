"""`python -m sim.train_recognizer --out DIR [--per-primitive 24 --mixed 80 --steps 1500 --policy P --seed 0]`: fit
the robot-side action recogniser on retargeted labelled procedural clips and on the tracking policy's closed-loop
rollouts of them, then report its frame accuracy and confusion tables on held-out clips and their rollouts
(controller.motion_set's EVAL_SEED, which training never uses)."""

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
    p.add_argument(
        "--policy",
        type=Path,
        default=None,
        help="tracking policy whose rollouts are also fitted (default: the shipped one)",
    )
    p.add_argument("--no-rollouts", action="store_true", help="fit references only (the recogniser before rollouts)")
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

    from controller.config import DEFAULT_POLICY
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
    policy = None if args.no_rollouts else (args.policy or DEFAULT_POLICY)
    train_refs, train_rollouts = labelled_robot_clips(args.seed, args.per_primitive, args.mixed, policy=policy)
    held_refs, held_rollouts = labelled_robot_clips(EVAL_SEED, args.eval_per_primitive, args.eval_mixed, policy=policy)
    train = train_refs + train_rollouts
    cfg = replace(CLASSIFIER_PRESETS["default"], input_dim=FEATURE_DIM, hidden=96, crop_frames=200)
    labels = sorted({lab for c in train for lab in c.frame_labels} - {"", "transition"})
    flat = np.concatenate([c.features for c in train]).astype(np.float64)
    mean, std = flat.mean(0).astype(np.float32), np.maximum(flat.std(0), 1e-6).astype(np.float32)
    rng = np.random.default_rng(args.seed)
    model, loss = fit_classifier([c.features for c in train], [c.frame_labels for c in train], labels, cfg, mean,
                                 std, args.steps, rng)  # fmt: skip
    command = "python -m sim.train_recognizer " + " ".join(sys.argv[1:] if argv is None else argv)
    figures = {"loss": round(loss, 4)}
    report = []
    for kind, clips in (("references", held_refs), ("rollouts", held_rollouts)):
        if not clips:
            continue
        names, counts = confusion(model, clips)
        accuracy = round(float(np.trace(counts) / max(counts.sum(), 1)), 4)
        figures[f"held_out_{kind}_frame_accuracy"] = accuracy
        report.append(f"## held-out {kind}: frame accuracy {accuracy:.4f} ({len(clips)} clips, seed {EVAL_SEED})\n\n"
                      f"{confusion_markdown(names, counts)}\n")  # fmt: skip
    extra = {"command": command, **figures, "policy": None if policy is None else str(policy),
             "train_clips": len(train_refs), "train_rollouts": len(train_rollouts),
             "held_out_clips": len(held_refs), "held_out_rollouts": len(held_rollouts)}  # fmt: skip
    save_classifier(model, args.out, extra=extra)
    with atomic_path(Path(args.out) / "held_out.md") as tmp:
        tmp.write_text("\n".join(report))
    print(json.dumps(extra))
    print("\n".join(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
