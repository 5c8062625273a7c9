"""Command line: retarget human motion files (SMPL-22, 30 fps) to Unitree G1 robot motion files (50 fps).

python -m retarget IN.npz -o OUT.npz [--preview OUT.mp4] [--gmr-pickle OUT.pkl] [--csv OUT.csv] [--seed S]
python -m retarget batch IN_DIR -o OUT_DIR [--workers N] [--seed S]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

import numpy as np

from generator.motion.errors import CliParser, InputError, cli_entry, seed_arg


def _single_parser() -> argparse.ArgumentParser:
    p = CliParser(
        prog="python -m retarget",
        description="Retarget a human motion file (SMPL-22) to a G1 robot motion file (mjlab tracking format). "
        "Use `python -m retarget batch --help` for directories.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("input", type=Path, help="human motion .npz (generator's format)")
    p.add_argument("-o", "--output", type=Path, required=True, help="robot motion .npz to write")
    p.add_argument("--preview", type=Path, default=None, help="also render an .mp4: the G1 beside the human")
    p.add_argument("--preview-stride", type=int, default=2, help="render every N-th robot frame")
    p.add_argument("--gmr-pickle", type=Path, default=None, help="also export GMR's pickle layout (quat xyzw)")
    p.add_argument("--csv", type=Path, default=None, help="also export BeyondMimic/mjlab CSV (xyz, quat xyzw, 29 q)")
    p.add_argument("--preset", choices=("ours", "gmr"), default="ours", help="retarget configuration")
    p.add_argument("--calibrate", choices=("clip", "smpl"), default="clip",
                   help="scale factors from the clip's own skeleton or the neutral SMPL one")  # fmt: skip
    p.add_argument("--seed", type=seed_arg, default=0, help="random seed (the pipeline itself is deterministic)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def _batch_parser() -> argparse.ArgumentParser:
    p = CliParser(
        prog="python -m retarget batch",
        description="Retarget every *.npz under a directory; writes the robot files and OUT_DIR/metrics.csv.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("input", type=Path, help="directory of human motion .npz files (searched recursively)")
    p.add_argument("-o", "--output", type=Path, required=True, help="output directory")
    p.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1), help="worker processes")
    p.add_argument("--preset", choices=("ours", "gmr"), default="ours", help="retarget configuration")
    p.add_argument("--seed", type=seed_arg, default=0, help="random seed (the pipeline itself is deterministic)")
    return p


def _seed(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)


def _print_metrics(prefix: str, values: dict) -> None:
    parts = [f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}" for k, v in values.items()]
    print(f"{prefix}: " + " ".join(parts))


def _run_single(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from tqdm import tqdm

    from generator.motion.file import load_motion
    from retarget import export
    from retarget.pipeline import PRESETS, retarget_motion
    from retarget.scaling import smpl_to_robot_points

    for out, suffix in ((args.output, ".npz"), (args.preview, ".mp4"), (args.gmr_pickle, ".pkl"), (args.csv, ".csv")):
        if out is not None and out.suffix.lower() != suffix:
            raise InputError(f"{out}: expected a {suffix} file name")
    if args.preview_stride < 1:
        raise InputError(f"--preview-stride must be >= 1, got {args.preview_stride}")
    human = load_motion(args.input)
    cfg = replace(PRESETS[args.preset], calibrate_from=args.calibrate)
    start = time.perf_counter()
    with tqdm(total=human.num_frames, desc="IK", unit="frame", disable=args.quiet) as bar:
        result = retarget_motion(human, cfg, progress=bar)
    seconds = time.perf_counter() - start
    result.motion.save(args.output)
    print(f"wrote {args.output}: {result.motion.num_frames} frames at {result.motion.fps:g} fps "
          f"({human.num_frames / seconds:.0f} source frames/s)")  # fmt: skip
    _print_metrics("metrics", result.metrics.as_dict())
    _print_metrics("calibration", result.calibration.as_dict())
    for flag in result.flags:
        print(f"warning: {flag}", file=sys.stderr)
    if args.gmr_pickle:
        print(f"wrote {export.save_gmr_pickle(result.motion, args.gmr_pickle)}")
    if args.csv:
        print(f"wrote {export.save_csv(result.motion, args.csv)}")
    if args.preview:
        from retarget.preview import render_preview

        render_preview(result.motion, smpl_to_robot_points(human.joints), args.preview, human.fps, args.preview_stride)
        print(f"wrote {args.preview}")
    return 0


def _run_batch(args: argparse.Namespace) -> int:
    from retarget.batch import run_batch

    if args.workers < 1:
        raise InputError(f"--workers must be >= 1, got {args.workers}")
    report = run_batch(args.input, args.output, workers=args.workers, preset=args.preset)
    ok = len(report.rows) - len(report.failures)
    flagged = sum(r["status"] == "flagged" for r in report.rows)
    print(f"retargeted {ok}/{len(report.rows)} clips ({flagged} flagged) -> {args.output}; "
          f"per-clip metrics in {args.output / 'metrics.csv'}")  # fmt: skip
    if report.summary:
        _print_metrics("aggregate", report.summary)
    for name, error in report.failures:
        print(f"failed: {name}: {error}", file=sys.stderr)
    return 1 if report.failures else 0


@cli_entry
def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "batch":
        args = _batch_parser().parse_args(argv[1:])
        _seed(args.seed)
        return _run_batch(args)
    args = _single_parser().parse_args(argv)
    _seed(args.seed)
    return _run_single(args)


if __name__ == "__main__":
    sys.exit(main())
