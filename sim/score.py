"""`python -m sim.score ROLLOUT.npz [-o scores.json]`: foot-contact, balance, tracking, effort and smoothness scores of
a rollout, plus the feasibility of its reference (mj_inverse residual), as JSON with the settings used."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from generator.motion.errors import CliParser, InputError, atomic_path, cli_entry, seed_arg
from sim.rollout import load_rollout
from sim.scene import build_scene
from sim.scores import ScoreConfig, score_rollout


def build_parser() -> argparse.ArgumentParser:
    p = CliParser(
        prog="python -m sim.score", description=__doc__, formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    p.add_argument("rollout", help="rollout .npz written by sim.replay")
    p.add_argument("-o", "--out", default=None, help="scores .json (default: print to stdout)")
    p.add_argument("--preset", default="default", help="score thresholds: default or strict")
    p.add_argument("--no-feasibility", action="store_true", help="skip the reference's mj_inverse feasibility")
    p.add_argument("--prompt", default=None, help="the text the motion should perform (default: the reference's text)")
    p.add_argument("--recognizer", default=None, help="action recogniser dir (default: the shipped one)")
    p.add_argument("--no-semantics", action="store_true", help="physical scores only")
    p.add_argument("--seed", type=seed_arg, default=0, help="seed (scores are deterministic; recorded for symmetry)")
    return p


@cli_entry
def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    config = ScoreConfig.preset(args.preset)
    rollout = load_rollout(args.rollout)
    if args.out is not None and Path(args.out).suffix != ".json":
        raise InputError(f"{args.out}: scores are written as .json")
    scores = score_rollout(build_scene(check=False), rollout, config, feasibility=not args.no_feasibility)
    if not args.no_semantics:
        from sim.recognizer import DEFAULT_RECOGNIZER, load_recognizer
        from sim.semantics import add_semantics

        add_semantics(scores, rollout, args.prompt, load_recognizer(args.recognizer or DEFAULT_RECOGNIZER))
    text = json.dumps(scores, indent=2)
    if args.out is None:
        print(text)
    else:
        with atomic_path(args.out, suffix=".json") as tmp:
            tmp.write_text(text)
        s = scores["summary"]
        print(f"wrote {args.out}: fell={s['fell']} success={s['success']} g_mpjpe={s['g_mpjpe_mm']} mm")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
