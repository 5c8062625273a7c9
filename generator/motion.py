"""Command line for human motion files: render a video, print a summary, export BVH, or make a demo motion.

python -m generator.motion render FILE [-o OUT.mp4|OUT.gif] [--stride N] [--size W H] [--camera auto|fixed|follow]
python -m generator.motion info FILE
python -m generator.motion to-bvh FILE [-o OUT.bvh] [--scale 100] [--rest-skeleton]
python -m generator.motion demo --out DIR [--seed S] [--seconds 6]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from generator.errors import InputError, cli_entry
from generator.kinematics import forward_kinematics
from generator.motion_file import FPS, HumanMotion, load_motion
from generator.rotations import axis_angle_to_matrix
from generator.skeleton import JOINT_INDEX, NUM_JOINTS, floor_offset


def _rot(axis: str, angle: np.ndarray) -> np.ndarray:
    """(T,) angles about a named axis -> (T, 3) rotation vectors."""
    aa = np.zeros(np.shape(angle) + (3,))
    aa[..., "xyz".index(axis)] = angle
    return aa


def demo_motion(seconds: float = 6.0, fps: float = FPS, seed: int = 0) -> HumanMotion:
    """A hand-made motion by FK of the rest skeleton: a person raises the right hand, then steps in place and waves.

    The seed varies the step and wave rates, the amplitudes and a slow turn, so different seeds give different clips.
    """
    rng = np.random.default_rng(seed)
    n = max(2, int(round(seconds * fps)))
    t = np.arange(n) / fps
    step_hz, wave_hz = rng.uniform(0.8, 1.1), rng.uniform(1.3, 1.8)
    lift, wave_amp = np.deg2rad(rng.uniform(35, 50)), np.deg2rad(rng.uniform(20, 30))
    turn = np.deg2rad(rng.uniform(-40, 40))
    raise_s = 1.0
    ramp = np.clip(t / raise_s, 0.0, 1.0)
    ramp = ramp * ramp * (3 - 2 * ramp)  # smoothstep
    stepping = np.clip((t - raise_s) / 0.5, 0.0, 1.0)

    aa = np.zeros((n, NUM_JOINTS, 3))
    phase = 2 * np.pi * step_hz * np.maximum(t - raise_s, 0.0)
    left_up, right_up = np.maximum(np.sin(phase), 0) * stepping, np.maximum(-np.sin(phase), 0) * stepping
    for side, up in (("left", left_up), ("right", right_up)):
        aa[:, JOINT_INDEX[f"{side}_hip"]] = _rot("x", -lift * up)  # thigh swings forward
        aa[:, JOINT_INDEX[f"{side}_knee"]] = _rot("x", 2 * lift * up)  # shank folds back
        aa[:, JOINT_INDEX[f"{side}_ankle"]] = _rot("x", -0.5 * lift * up)
    aa[:, JOINT_INDEX["left_shoulder"]] = _rot("z", np.full(n, -np.deg2rad(70)))  # left arm hangs down
    aa[:, JOINT_INDEX["right_shoulder"]] = _rot("z", np.deg2rad(70) - np.deg2rad(100) * ramp)
    wave = wave_amp * np.sin(2 * np.pi * wave_hz * np.maximum(t - raise_s, 0.0)) * stepping
    aa[:, JOINT_INDEX["right_elbow"]] = _rot("z", -np.deg2rad(60) * ramp + wave)  # forearm up, swinging
    sway = np.deg2rad(4) * (left_up - right_up)
    aa[:, JOINT_INDEX["spine1"]] = _rot("z", sway)
    yaw = turn * np.clip((t - raise_s) / max(seconds - raise_s, 1e-6), 0.0, 1.0)
    aa[:, 0] = _rot("y", yaw)

    rotations = axis_angle_to_matrix(aa)
    root = np.zeros((n, 3))
    root[:, 1] = floor_offset() - 0.01 * (left_up + right_up)  # a small dip on each step
    root[:, 0] = -0.03 * (left_up - right_up)  # weight shifts over the stance foot
    joints = forward_kinematics(rotations, root)
    labels = np.where(t < raise_s, "raise the right hand", "step in place and wave")
    return HumanMotion.from_joints_rotations(
        joints, rotations, text="a person raises the right hand, then steps in place while waving",
        frame_labels=labels, fps=fps,
    )  # fmt: skip


def label_segments(labels: np.ndarray | None, fps: float) -> list[tuple[float, float, str]]:
    """Run-length segments (start s, end s, label) of per-frame labels."""
    if labels is None or len(labels) == 0:
        return []
    labels = np.asarray(labels)
    cuts = np.flatnonzero(labels[1:] != labels[:-1]) + 1
    starts, ends = np.r_[0, cuts], np.r_[cuts, len(labels)]
    return [(s / fps, e / fps, str(labels[s])) for s, e in zip(starts, ends)]


def motion_summary(motion: HumanMotion) -> dict:
    """Frames, duration, text, label segments, height ranges, ground distance and mean speed of a motion."""
    root = np.asarray(motion.joints[:, 0], dtype=np.float64)
    dist = float(np.linalg.norm(np.diff(root[:, [0, 2]], axis=0), axis=-1).sum())
    return {
        "frames": motion.num_frames, "fps": float(motion.fps), "seconds": motion.seconds, "text": motion.text,
        "segments": label_segments(motion.frame_labels, motion.fps),
        "body_height_range": (float(motion.joints[..., 1].min()), float(motion.joints[..., 1].max())),
        "pelvis_height_range": (float(root[:, 1].min()), float(root[:, 1].max())),
        "distance": dist, "mean_speed": dist / motion.seconds,
    }  # fmt: skip


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
    p = argparse.ArgumentParser(
        prog="python -m generator.motion", description=__doc__.split("\n")[0], formatter_class=fmt
    )
    p.add_argument(
        "--seed", type=int, default=0, help="random seed (the demo's motion; other commands are deterministic)"
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
        sp.add_argument("--seed", type=int, default=argparse.SUPPRESS, help="random seed (default: 0)")
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
        from generator import render
    if args.command in ("to-bvh", "demo"):
        from generator import bvh
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
