"""Command line for the motion datasets.

python -m generator.data build --out DIR --num 20000 --seed 0 [--workers N] [--human]
python -m generator.data stats DIR [--num 1000] [--json OUT]
python -m generator.data gallery --out DIR [--seed S]
python -m generator.data amass IN.npz|DIR --smpl-model PATH --out DIR [--mirror] [--human]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np
from tqdm import tqdm

from generator.motion.errors import CliParser, InputError, cli_entry, seed_arg

_FMT = argparse.ArgumentDefaultsHelpFormatter


def _positive(name: str):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be an integer, got '{text}'") from None
        if value < 1:
            raise argparse.ArgumentTypeError(f"{name} must be at least 1, got {value}")
        return value

    return parse


def build_parser() -> argparse.ArgumentParser:
    p = CliParser(prog="python -m generator.data", description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True, parser_class=CliParser)

    b = sub.add_parser("build", help="build a procedural dataset in the HumanML3D-272 layout", formatter_class=_FMT)
    b.add_argument("--out", type=Path, required=True, help="output directory (built as OUT.partial, then renamed)")
    b.add_argument("--num", type=_positive("--num"), default=20000, help="number of clips")
    b.add_argument("--seed", type=seed_arg, default=0, help="dataset seed (clip i uses a seed derived from (seed, i))")
    b.add_argument("--workers", type=_positive("--workers"), default=os.cpu_count() or 1, help="worker processes")
    b.add_argument("--human", action="store_true", help="also write human motion files to OUT/human/<id>.npz")
    b.add_argument("--min-seconds", type=float, default=2.0, help="shortest clip")
    b.add_argument("--max-seconds", type=float, default=10.0, help="longest clip")
    b.add_argument("--overwrite", action="store_true", help="replace OUT if it exists")

    s = sub.add_parser("stats", help="plausibility figures and label coverage of a dataset", formatter_class=_FMT)
    s.add_argument("dir", type=Path, help="dataset directory in the HumanML3D-272 layout")
    s.add_argument("--num", type=_positive("--num"), default=1000, help="at most this many clips (evenly spread)")
    s.add_argument("--split", default="all", help="split to measure (train, val, test or all)")
    s.add_argument("--seed", type=seed_arg, default=0, help="seed of the clip subset when --num is below the total")
    s.add_argument("--json", type=Path, default=None, help="also write the figures as JSON here")

    g = sub.add_parser("gallery", help="render one mp4 per motion primitive", formatter_class=_FMT)
    g.add_argument("--out", type=Path, required=True, help="output directory for the videos")
    g.add_argument("--seed", type=seed_arg, default=0, help="seed of the clips")
    g.add_argument("--stride", type=_positive("--stride"), default=1, help="render every n-th frame")

    a = sub.add_parser("amass", help="convert AMASS .npz sequences to 272-D features", formatter_class=_FMT)
    a.add_argument("input", type=Path, help="an AMASS .npz file or a folder searched recursively")
    a.add_argument("--smpl-model", type=Path, required=True, help="SMPL/SMPL+H model file (.pkl/.npz) or folder")
    a.add_argument("--out", type=Path, required=True, help="output directory (OUT/motion_data/<name>.npy)")
    a.add_argument("--gender", default="neutral", help="body model gender; 'auto' = the sequence's own")
    a.add_argument("--mirror", action="store_true", help="also write the mirrored copy M_<name>.npy")
    a.add_argument("--human", action="store_true", help="also write human motion files OUT/human/<name>.npz")
    a.add_argument(
        "--seed", type=seed_arg, default=0, help="unused by the (deterministic) conversion; kept for uniformity"
    )
    return p


def _cmd_build(args) -> int:
    from generator.data.writer import BuildConfig, build_dataset

    cfg = BuildConfig(
        num=args.num, seed=args.seed, workers=args.workers, human=args.human, min_seconds=args.min_seconds,
        max_seconds=args.max_seconds,
    )  # fmt: skip
    meta = build_dataset(args.out, cfg, overwrite=args.overwrite)
    rate = meta["count"] / max(meta["build_seconds"], 1e-9)
    print(
        f"wrote {meta['count']} clips ({meta['frames'] / 30 / 3600:.2f} h of motion) to {args.out} in "
        f"{meta['build_seconds']:.1f} s ({rate:.1f} clips/s, {args.workers} workers); splits {meta['splits']}"
    )
    return 0


def _cmd_stats(args) -> int:
    from generator.data.stats import dataset_stats, format_report

    report = dataset_stats(args.dir, num=args.num, split=args.split, seed=args.seed)
    print(format_report(report))
    if args.json is not None:
        from generator.data.writer import save_text

        save_text(args.json, json.dumps(report, indent=2) + "\n")
    return 0


def _cmd_gallery(args) -> int:
    from generator.data.gallery import render_gallery

    paths = render_gallery(args.out, seed=args.seed, stride=args.stride)
    print(f"rendered {len(paths)} videos to {args.out}")
    return 0


def _cmd_amass(args) -> int:
    from generator.data import layout
    from generator.data.amass import BodyModel, convert_sequence, find_sequences, load_amass
    from generator.data.writer import save_npy

    files = find_sequences(args.input)
    if not files:
        raise InputError(f"{args.input}: no AMASS .npz files found")
    models: dict[str, BodyModel] = {}
    base = args.input if args.input.is_dir() else args.input.parent
    failed: list[str] = []
    written = 0
    for path in tqdm(files, desc="sequences", unit="seq", disable=len(files) == 1):
        try:
            seq = load_amass(path)
            gender = seq.gender if args.gender == "auto" else args.gender
            if gender not in models:
                models[gender] = BodyModel(args.smpl_model, gender=gender)
            name = "_".join(path.relative_to(base).with_suffix("").parts)
            for prefix, mirror in (("", False), ("M_", True)) if args.mirror else (("", False),):
                motion = convert_sequence(seq, models[gender], mirror=mirror)
                save_npy(args.out / layout.MOTION_DIR / f"{prefix}{name}.npy", motion.features.astype(np.float32))
                if args.human:
                    motion.save(args.out / layout.HUMAN_DIR / f"{prefix}{name}.npz")
                written += 1
        except InputError as e:
            if len(files) == 1:
                raise
            failed.append(f"{path}: {e}")
    if failed:
        print(f"skipped {len(failed)} of {len(files)} files; first: {failed[0]}", file=sys.stderr)
        if written == 0:
            raise InputError(f"no sequence converted ({len(failed)} failed; first: {failed[0]})")
    print(f"wrote {written} motion files to {args.out / layout.MOTION_DIR}")
    return 0


@cli_entry
def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return {"build": _cmd_build, "stats": _cmd_stats, "gallery": _cmd_gallery, "amass": _cmd_amass}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
