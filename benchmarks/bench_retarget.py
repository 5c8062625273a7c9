"""Retarget speed and quality: ours against a GMR-style configuration, on the same procedural clips, same run.

    python benchmarks/bench_retarget.py [--clips 500] [--seed 0] [--max-seconds 10] [--csv OUT.csv]

GMR-style = the same targets and mink two-stage tasks/weights, GMR's schedule (up to 10 iterations per stage
while the error drops by > 1e-3), per frame, no post-processing (only resampled to 50 fps to be scored alike).
Speed is source frames per second of the whole retarget (IK + post-processing for ours), metrics excluded.
Prints both sets of quality metrics side by side and the ratios ours / GMR-style.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
from tqdm import tqdm  # noqa: E402

from generator.motion.file import HumanMotion
from retarget import metrics as metrics_mod  # noqa: E402
from retarget import pipeline  # noqa: E402
from retarget.metrics import METRIC_NAMES, aggregate  # noqa: E402


def _clips(n: int, seed: int, max_seconds: float) -> list[HumanMotion]:
    from generator.procedural import generate_clip

    out = []
    for i in range(n):
        c = generate_clip(seed + i, max_seconds=max_seconds)
        out.append(HumanMotion.from_joints_rotations(c.joints, c.rotations, text=c.captions[0], fps=c.fps))
    return out


def _timed_retarget(motion: HumanMotion, cfg: pipeline.RetargetConfig) -> tuple[float, metrics_mod.ClipMetrics]:
    # time the retarget without its metrics pass: run the metric function separately, subtract it
    start = time.perf_counter()
    result = pipeline.retarget_motion(motion, cfg)
    total = time.perf_counter() - start
    start = time.perf_counter()
    metrics_mod.clip_metrics(result.motion.qpos, result.motion.foot_contacts)
    return total - (time.perf_counter() - start), result.metrics


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--clips", type=int, default=500, help="number of procedural clips (default 500)")
    p.add_argument("--seed", type=int, default=0, help="first procedural seed (default 0)")
    p.add_argument("--max-seconds", type=float, default=10.0, help="longest clip (default 10)")
    p.add_argument("--csv", type=Path, default=None, help="per-clip metrics of both configurations")
    args = p.parse_args(argv)
    if args.clips < 1:
        p.error("--clips must be >= 1")
    clips = _clips(args.clips, args.seed, args.max_seconds)
    frames = sum(c.num_frames for c in clips)
    pipeline.retarget_motion(clips[0], pipeline.OURS)  # warm caches (models, imports) outside the timing
    names = ("gmr", "ours")
    seconds = dict.fromkeys(names, 0.0)
    per_clip: dict[str, list] = {n: [] for n in names}
    failures = dict.fromkeys(names, 0)
    rows = []
    # interleaved per clip, so both configurations see the same machine load
    for i, clip in enumerate(tqdm(clips, desc="retarget (gmr-style + ours)", unit="clip")):
        for name in names:
            try:
                dt, m = _timed_retarget(clip, pipeline.PRESETS[name])
            except Exception as e:  # noqa: BLE001 - count and report, never drop silently
                failures[name] += 1
                print(f"{name}: clip {args.seed + i} failed: {type(e).__name__}: {e}", file=sys.stderr)
                continue
            seconds[name] += dt
            per_clip[name].append(m)
            rows.append({"config": name, "seed": args.seed + i, **m.as_dict()})
    results = {
        n: {"fps": frames / max(seconds[n], 1e-9), "agg": aggregate(per_clip[n]), "failures": failures[n]}
        for n in names
    }

    print(f"\n{len(clips)} clips, {frames} source frames (30 fps)")
    print(f"{'metric':<22}{'gmr-style':>14}{'ours':>14}")
    print(f"{'frames/s (source)':<22}{results['gmr']['fps']:>14.1f}{results['ours']['fps']:>14.1f}")
    for key in METRIC_NAMES:
        g, o = results["gmr"]["agg"].get(key, np.nan), results["ours"]["agg"].get(key, np.nan)
        print(f"{key:<22}{g:>14.3f}{o:>14.3f}")
    print(f"{'failures':<22}{results['gmr']['failures']:>14d}{results['ours']['failures']:>14d}")
    print(f"speed ratio ours / gmr-style: {results['ours']['fps'] / results['gmr']['fps']:.2f}x")
    if args.csv:
        with open(args.csv, "w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
