"""Command line for human motion files: render a video, print a summary, export BVH, or make a demo motion.

python -m generator.motion render FILE [-o OUT.mp4|OUT.gif] [--stride N] [--size W H] [--camera auto|fixed|follow]
python -m generator.motion info FILE
python -m generator.motion to-bvh FILE [-o OUT.bvh] [--scale 100] [--rest-skeleton]
python -m generator.motion demo --out DIR [--seed S] [--seconds 6]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from generator.motion.demo import demo_motion
from generator.motion.errors import CliParser, InputError, cli_entry, seed_arg
from generator.motion.file import HumanMotion, load_motion
from generator.motion.info import motion_summary


def _print_info(motion: HumanMotion, path: Path) -> None:
    s = motion_summary(motion)
    print(f"file:     {path}")
    print(f"frames:   {s['frames']}")
    print(f"fps:      {s['fps']:g}")
    print(f"seconds:  {s['seconds']:.2f}")
    print(f"text:     {s['text']!r}")
    lo, hi = s["body_height_range"]
    plo, phi = s["pelvis_height_range"]
    print(f"height:   joints {lo:.3f} .. {hi:.3f} m, pelvis {plo:.3f} .. {phi:.3f} m")
    print(f"distance: {s['distance']:.3f} m (ground path of the pelvis)")
    print(f"speed:    {s['mean_speed']:.3f} m/s (mean)")
    if s["segments"]:
        print("segments:")
        for start, end, label in s["segments"]:
            print(f"  {start:6.2f} - {end:6.2f} s  {label}")


def _parser() -> argparse.ArgumentParser:
    fmt = argparse.ArgumentDefaultsHelpFormatter
    p = CliParser(prog="python -m generator.motion", description=__doc__.split("\n")[0], formatter_class=fmt)
    p.add_argument(
        "--seed", type=seed_arg, default=0, help="random seed (the demo's motion; other commands are deterministic)"
    )
    sub = p.add_subparsers(dest="command", required=True)

    r = sub.add_parser("render", help="stick-figure video of a motion file", formatter_class=fmt)
    r.add_argument("file", type=Path, help="human motion .npz")
    r.add_argument("-o", "--out", type=Path, default=None, help="output .mp4 or .gif (None: FILE with .mp4)")
    r.add_argument("--stride", type=int, default=1, help="render every N-th frame (the video rate drops to match)")
    r.add_argument("--size", type=int, nargs=2, default=(640, 480), metavar=("W", "H"), help="video size in pixels")
    r.add_argument(
        "--camera", choices=("auto", "fixed", "follow"), default="auto",
        help="fixed: frame the whole clip; follow: track the body; auto: follow when the clip travels far",
    )  # fmt: skip

    i = sub.add_parser("info", help="print a summary of a motion file", formatter_class=fmt)
    i.add_argument("file", type=Path, help="human motion .npz")

    b = sub.add_parser("to-bvh", help="export a motion file as BVH (opens in Blender)", formatter_class=fmt)
    b.add_argument("file", type=Path, help="human motion .npz")
    b.add_argument("-o", "--out", type=Path, default=None, help="output .bvh (None: FILE with .bvh)")
    b.add_argument("--scale", type=float, default=1.0, help="length unit scale: 1 = metres, 100 = centimetres")
    b.add_argument(
        "--rest-skeleton", action="store_true", help="use the neutral SMPL bones instead of the motion's own"
    )

    d = sub.add_parser("demo", help="make an example motion and save .npz, .mp4 and .bvh", formatter_class=fmt)
    d.add_argument("--out", type=Path, default=Path("out/demo"), help="output directory")
    d.add_argument("--seconds", type=float, default=6.0, help="length of the demo motion")
    for sp in (r, i, b, d):  # --seed is accepted before or after the command
        sp.add_argument("--seed", type=seed_arg, default=argparse.SUPPRESS, help="random seed (default: 0)")
    return p


@cli_entry
def main(argv: list[str] | None = None) -> int:
    """Entry point of `python -m generator.motion`."""
    args = _parser().parse_args(argv)
    try:
        return _run(args)
    except FileNotFoundError:
        raise
    except OSError as e:  # an output that cannot be written (a file where a folder should be, no permission, ...)
        raise InputError(f"{e.filename or 'output'}: cannot write ({e.strerror or e})") from None


def _run(args: argparse.Namespace) -> int:
    # matplotlib and ffmpeg are imported only by the commands that draw
    if args.command in ("render", "demo"):
        from generator.motion import render
    if args.command in ("to-bvh", "demo"):
        from generator.motion import bvh
    if args.command == "render":
        motion = load_motion(args.file)
        out = args.out or args.file.with_suffix(".mp4")
        follow = {"auto": None, "fixed": False, "follow": True}[args.camera]
        print(render.render_motion(motion, out, stride=args.stride, size=tuple(args.size), follow=follow))
    elif args.command == "info":
        _print_info(load_motion(args.file), args.file)
    elif args.command == "to-bvh":
        motion = load_motion(args.file)
        out = args.out or args.file.with_suffix(".bvh")
        if out.suffix.lower() != ".bvh":
            raise InputError(f"{out}: the output of to-bvh must end in .bvh")
        print(bvh.write_bvh(motion, out, scale=args.scale, rest_skeleton=args.rest_skeleton))
    elif args.command == "demo":
        if not (0.5 <= args.seconds <= 600):
            raise InputError(f"--seconds {args.seconds} is out of range [0.5, 600]")
        motion = demo_motion(seconds=args.seconds, seed=args.seed)
        args.out.mkdir(parents=True, exist_ok=True)
        for path in (
            motion.save(args.out / "motion.npz"),
            render.render_motion(motion, args.out / "motion.mp4"),
            bvh.write_bvh(motion, args.out / "motion.bvh"),
        ):
            print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
