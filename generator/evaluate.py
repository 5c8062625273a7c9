"""Evaluate text-to-motion generation on a HumanML3D-272 test split with the TMR-style evaluator.

    python -m generator.evaluate --ckpt GEN --evaluator EVAL --data DIR --split test --reps 20 --out results.md

Rows: the real test motions (the ceiling) and, with --ckpt, the generator; metrics FID, R-Precision top-1/2/3
(batches of 32), MM-Dist, Diversity (300 pairs), MultiModality (100 texts x 30 generations, 10 pairs), each as the
mean and 95% interval over --reps replications. Optional: plausibility, order-correct rate, completion metrics.
`--motions FILES_OR_DIRS` scores the plausibility of any set of human motion files alone (no evaluator needed).
Everything here takes a `generate(texts, lengths, seed) -> [features (T, 272)]` callable, so any generator plugs in.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from generator.eval import metrics
from generator.eval.evaluator import DEFAULT_EVALUATOR, MotionTexts, TMREvaluator, load_evaluator, load_motion_texts
from generator.eval.metrics import Interval
from generator.eval.protocol import (
    PLAUSIBILITY_METRICS,
    TEST_MAX_FRAMES,
    TEST_MIN_FRAMES,
    GenerateFn,
    checkpoint_generate_fn,
    evaluate_t2m,
    motion_set_rows,
)
from generator.motion.errors import CliParser, InputError, atomic_path, cli_entry, seed_arg
from generator.sampling.flags import add_sampling_args, sampling_overrides


def build_parser() -> argparse.ArgumentParser:
    p = CliParser(
        prog="python -m generator.evaluate", description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )  # fmt: skip
    p.add_argument("--ckpt", type=Path, default=None, help="generator checkpoint dir (omit: real test set only)")
    p.add_argument(
        "--evaluator",
        type=Path,
        default=None,
        help=f"evaluator dir (evaluator.json + .safetensors); default: {DEFAULT_EVALUATOR} when present",
    )
    p.add_argument("--data", type=Path, default=None, help="HumanML3D-272 layout directory")
    p.add_argument(
        "--motions",
        type=Path,
        nargs="+",
        default=None,
        help="only score the plausibility of these human motion .npz files or folders (no evaluator)",
    )
    p.add_argument("--split", default="test", help="split to evaluate")
    p.add_argument("--reps", type=int, default=20, help="replications (95%% interval = 1.96 std / sqrt(reps))")
    p.add_argument("--seed", type=seed_arg, default=0, help="random seed (CPU runs are deterministic)")
    p.add_argument("--out", type=Path, default=None, help="markdown results file")
    p.add_argument("--limit", type=int, default=0, help="use a seeded random subset of N test motions (0 = all)")
    p.add_argument("--mm-texts", type=int, default=100, help="MultiModality: texts")
    p.add_argument("--mm-generations", type=int, default=30, help="MultiModality: generations per text")
    p.add_argument("--batch-size", type=int, default=32, help="generation batch size")
    add_sampling_args(p)
    p.add_argument(
        "--attribute-prompts", choices=("test", "validation"), default="test",
        help="--attributes prompt set: test (reported) or validation (for choosing settings)",
    )  # fmt: skip
    p.add_argument(
        "--raw-motion", action="store_true", help="score the decoder's output without generator.sampling.cleanup"
    )
    p.add_argument("--no-real", action="store_true", help="skip the real-motion (ceiling) row")
    p.add_argument("--plausibility", action="store_true", help="add foot skating / penetration / floating / jerk")
    p.add_argument("--order-classifier", type=Path, default=None, help="action classifier dir: order-correct rate")
    p.add_argument(
        "--order-prompts", type=int, default=64, help="order-correct rate: held-out two-action prompts (0 = all)"
    )
    p.add_argument(
        "--attributes",
        type=int,
        default=0,
        metavar="N",
        help="attribute correctness (side, turn, direction, count, speed) over N replications",
    )
    p.add_argument(
        "--side-swap",
        action="store_true",
        help="R-Precision against the side-swapped caption (needs --evaluator and --data)",
    )
    p.add_argument("--completion", action="store_true", help="add prediction and in-betweening rows (needs --ckpt)")
    return p


def _check_args(args: argparse.Namespace) -> None:
    if args.evaluator is None and (DEFAULT_EVALUATOR / "evaluator.json").exists():
        args.evaluator = DEFAULT_EVALUATOR
    if args.attributes < 0 or args.attributes > 1000:
        raise InputError(f"--attributes {args.attributes}: expected 0..1000")
    if args.motions is None and not args.attributes and (args.evaluator is None or args.data is None):
        raise InputError("--evaluator and --data are required (or --motions FILES to score plausibility only)")
    sampling_overrides(args)
    if not 1 <= args.reps <= 1000:
        raise InputError(f"--reps {args.reps}: expected 1..1000")
    if args.limit < 0 or args.batch_size < 1 or args.mm_texts < 0 or args.mm_generations < 0 or args.order_prompts < 0:
        raise InputError("--limit, --mm-texts, --mm-generations and --order-prompts must be >= 0, --batch-size >= 1")
    if args.no_real and args.ckpt is None:
        raise InputError("--no-real without --ckpt leaves nothing to evaluate")
    if args.completion and args.ckpt is None:
        raise InputError("--completion needs a generator (--ckpt)")


@cli_entry
def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _check_args(args)
    t0 = time.perf_counter()
    if args.motions is not None:
        report = "## Plausibility (mean ± 95% interval over motions)\n\n" + metrics.markdown_table(
            motion_set_rows(args.motions)
        )
        _write_report(report, args.out, t0)
        return 0
    if args.attributes and (args.evaluator is None or args.data is None):  # attributes only
        from generator.eval.attributes import attribute_rows

        generate = None if args.ckpt is None else checkpoint_generate_fn(args.ckpt, args.batch_size, **_overrides(args))
        name = args.ckpt.name if args.ckpt else "generator"
        rows = attribute_rows(generate, args.attributes, args.seed, name, args.attribute_prompts)
        report = "## Attribute correctness (share correct, mean ± 95% interval over replications)\n\n"
        _write_report(report + metrics.markdown_table(rows), args.out, t0)
        return 0
    # every input is loaded and checked before any long work starts
    evaluator = load_evaluator(args.evaluator)
    items = load_motion_texts(args.data, args.split, TEST_MIN_FRAMES, TEST_MAX_FRAMES)
    if args.limit and args.limit < len(items):
        pick = np.random.default_rng(args.seed).choice(len(items), args.limit, replace=False)
        items = [items[i] for i in sorted(pick)]
    generate = None if args.ckpt is None else checkpoint_generate_fn(args.ckpt, args.batch_size, **_overrides(args))
    classifier = order_prompts = None
    if args.order_classifier is not None:
        from generator.eval.action_classifier import held_out_order_prompts, load_classifier

        classifier = load_classifier(args.order_classifier)
        order_prompts = held_out_order_prompts(classifier, args.data, args.split, actions=2, limit=args.order_prompts,
                                               seed=args.seed)  # fmt: skip
    rows: dict[str, dict[str, Interval]] = {}
    if not args.no_real:
        rows["Real motions"] = evaluate_t2m(evaluator, items, None, args.reps, args.seed, name="real",
                                            plausibility=args.plausibility)  # fmt: skip
    if generate is not None:
        rows[args.ckpt.name or str(args.ckpt)] = evaluate_t2m(
            evaluator, items, generate, args.reps, args.seed, args.mm_texts, args.mm_generations, name="generator",
            plausibility=args.plausibility,
        )  # fmt: skip
    t2m = {name: {k: v for k, v in row.items() if k not in PLAUSIBILITY_METRICS} for name, row in rows.items()}
    sections = [f"## Text-to-motion ({args.split}, {len(items)} motions, {args.reps} replications)\n",
                metrics.markdown_table(t2m)]  # fmt: skip
    if args.plausibility:
        physics = {name: {k: row[k] for k in PLAUSIBILITY_METRICS} for name, row in rows.items()}
        sections += ["## Plausibility (the same motions; real: one fixed set, generated: ± over replications)\n",
                     metrics.markdown_table(physics)]  # fmt: skip
    sections += _extra_sections(args, evaluator, items, generate, classifier, order_prompts)
    _write_report("\n".join(sections), args.out, t0)
    return 0


def _write_report(report: str, out: Path | None, t0: float) -> None:
    print(report)
    if out is not None:
        with atomic_path(out) as tmp:
            tmp.write_text(report)
    print(f"wall time {time.perf_counter() - t0:.1f} s")


def _overrides(args: argparse.Namespace) -> dict:
    return {**sampling_overrides(args), "postprocess": False if args.raw_motion else None}


def _extra_sections(
    args: argparse.Namespace, evaluator: TMREvaluator, items: list[MotionTexts], generate: GenerateFn | None,
    classifier=None, order_prompts=None,
) -> list[str]:  # fmt: skip
    """Order-correct rate and completion tables, as asked on the command line."""
    out: list[str] = []
    if classifier is not None:
        from generator.eval.action_classifier import order_correct_rows

        rows = order_correct_rows(classifier, generate, args.data, args.split, args.reps, args.seed, order_prompts)
        out += [f"## Order-correct rate ({len(order_prompts)} held-out two-action prompts)\n",
                metrics.markdown_table(rows)]  # fmt: skip
    if args.side_swap:
        from generator.eval.attributes import side_swap_accuracy

        acc = side_swap_accuracy(evaluator, items, generate, args.seed)
        rows = {"Real motions": {"side-swap R-Precision": Interval(acc.get("real", float("nan")), 0.0, 1)}}
        if "generated" in acc:
            rows[args.ckpt.name or str(args.ckpt)] = {"side-swap R-Precision": Interval(acc["generated"], 0.0, 1)}
        out += [f"## R-Precision against the side-swapped caption ({int(acc.get('pairs', 0))} captions naming a side; "
                "chance 0.5)\n", metrics.markdown_table(rows)]  # fmt: skip
    if args.completion:
        from generator.eval.completion import evaluate_completion, sampler_complete_fn

        complete = sampler_complete_fn(args.ckpt, **_overrides(args))
        rows = evaluate_completion(evaluator, items, complete, args.reps, args.seed)
        out += ["## Completion\n", metrics.markdown_table(rows)]
    return out


if __name__ == "__main__":
    raise SystemExit(main())
