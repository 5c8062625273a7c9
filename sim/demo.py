"""`python -m sim.demo "walk then wave" --out DIR [--num K] [--seed S]`: text -> human motion -> G1 retarget -> policy
(or the PD baseline when no policy checkpoint exists) in MuJoCo -> scores, with videos, plots and an index.html.

Text -> human motion uses the MoLingo generator (`generator.sample`) when a trained checkpoint exists; otherwise a
clearly labelled stand-in: the procedural motion library composes the primitives named in the text, in order.
With --num K, K candidates are generated and the one with the lowest physical cost is kept.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from generator.motion.errors import CliParser, InputError, atomic_path, cli_entry, seed_arg
from generator.motion.file import HumanMotion
from retarget.robot_motion import RobotMotion
from sim.rollout import Rollout, RolloutConfig
from sim.scene import G1Scene, build_scene
from sim.scores import score_rollout
from sim.semantics import add_semantics, checks_text

MAX_TEXT = 300
MAX_CANDIDATES = 16
STAND_IN = "procedural stand-in (no trained text-to-motion checkpoint): primitives picked from the words of the text"


@dataclass
class DemoResult:
    """Where everything went and what was kept."""

    out_dir: Path
    scores: dict
    files: dict[str, Path] = field(default_factory=dict)
    candidates: list[dict] = field(default_factory=list)


# --- text -> human motion ---------------------------------------------------------------------------------------------


def parse_primitives(text: str) -> list[str]:
    """The procedural primitives named in `text`, in order ("walk then wave" -> ['walk', 'wave']).

    The text is split at 'then', 'and', commas and full stops; in each part the primitive whose name words all occur
    (as word prefixes, so 'waves'/'waving' match 'wave') wins, the most specific (most name words) first.
    """
    from generator.procedural import PRIMITIVES
    from generator.sampling.prompt import prompt_parts

    parts = prompt_parts(text.lower(), clauses=True)
    chosen = []
    for part in parts:
        words = re.findall(r"[a-z]+", part)
        best, best_score = None, 0
        for name in PRIMITIVES:
            tokens = name.split("_")
            stem = lambda tok: tok[: max(3, len(tok) - 1)]  # noqa: E731  ('wave' ~ 'waves', 'waving')
            if all(any(w.startswith(stem(tok)) for w in words) for tok in tokens) and len(tokens) > best_score:
                best, best_score = name, len(tokens)
        if best is not None:
            chosen.append(best)
    if not chosen:
        raise InputError(f"no known motion in {text!r}; the stand-in knows: {', '.join(sorted(PRIMITIVES))}")
    return chosen


def procedural_motion(text: str, seed: int, seconds_per_primitive: float = 3.0) -> HumanMotion:
    """Compose the primitives named in `text` with the procedural library (parameters drawn from `seed`)."""
    from generator.procedural import PRIMITIVES
    from generator.procedural.pose import solve
    from generator.procedural.track import concat

    rng = np.random.default_rng(seed)
    tracks = []
    for name in parse_primitives(text):
        spec = PRIMITIVES[name]
        tracks.append(spec.build(**spec.sample(rng, seconds_per_primitive)))
    track = concat(tracks) if len(tracks) > 1 else tracks[0]
    rotations, joints, _root = solve(track)
    labels = np.asarray([str(x) for x in track.labels])
    return HumanMotion.from_joints_rotations(joints, rotations, text=text, frame_labels=labels)


def generator_checkpoint() -> Path | None:
    """The trained MoLingo checkpoint directory, when one exists."""
    try:
        from generator.model.checkpoint import DEFAULT_DIR
    except ImportError:
        return None
    return DEFAULT_DIR if (DEFAULT_DIR / "config.json").exists() else None


def text_to_motions(text: str, num: int, seed: int, source: str = "auto") -> tuple[list[HumanMotion], str]:
    """`num` human motions for `text` and a label of their source: the MoLingo generator (`auto` when a checkpoint
    is shipped) or the procedural stand-in (`procedural`, or `auto` without a checkpoint)."""
    ckpt = generator_checkpoint()
    if source == "generator" and ckpt is None:
        raise InputError("--source generator: no generator checkpoint in generator/checkpoints (see README)")
    if ckpt is not None and source != "procedural":
        import torch

        from generator.sampling.sampler import load_sampler, sample_options

        torch.manual_seed(seed)
        sampler, _ = load_sampler(ckpt)
        feats = sampler.generate([text] * num, None, sample_options(sampler.model.cfg, seed), None)
        return [HumanMotion.from_features(f, text=text) for f in feats], f"MoLingo generator ({ckpt})"
    return [procedural_motion(text, seed + i) for i in range(num)], STAND_IN


# --- the pipeline after the text --------------------------------------------------------------------------------------


def retarget(human: HumanMotion) -> RobotMotion:
    """Human motion -> G1 robot motion with retarget's default pipeline."""
    from retarget.pipeline import retarget_motion

    return retarget_motion(human).motion


def default_policy() -> Path | None:
    """The shipped tracking policy when it is a trained one; None (PD baseline) while only the CPU smoke run ships."""
    from controller.config import DEFAULT_POLICY, DEFAULT_POLICY_TRACKS

    return DEFAULT_POLICY if DEFAULT_POLICY_TRACKS and DEFAULT_POLICY.exists() else None


def simulate(scene: G1Scene, robot_motion: RobotMotion, policy_path: Path | None, seed: int) -> Rollout:
    """Closed-loop policy replay, or the reference-PD baseline without a policy."""
    from sim.rollout import file_hash, load_checked_policy, run_rollout

    if policy_path is not None:
        policy = load_checked_policy(scene, policy_path)
        extra = {"policy_file": str(policy_path), "policy_sha256": file_hash(policy_path)}
        return run_rollout(scene, robot_motion, RolloutConfig(mode="policy", seed=seed), policy, extra_settings=extra)
    return run_rollout(scene, robot_motion, RolloutConfig(mode="pd", seed=seed), extra_settings={"policy_file": None})


RANKING = (
    "semantically correct first (the prompt's actions recognised in order on the robot, sides right), then the "
    "fewest geometric checks failed (walked at least 1 m, raised the hand), then not fallen, then the lowest "
    "physical cost (10*fell + 2*(not success) + mean body error + slide per second)"
)


def rank_key(scores: dict) -> tuple:
    """Sort key of a candidate's scores (smaller is better), as RANKING states."""
    semantics = scores.get("semantics") or {}
    failed = sum(not c.get("done", True) for c in semantics.get("checks", []))
    return (not semantics.get("correct", False), failed, bool(scores["summary"]["fell"]),
            scores["summary"]["physical_cost"])  # fmt: skip


def candidate_row(index: int, seed: int, scores: dict, kept: bool) -> dict:
    """One row of the best-of-K table: the semantic and physical figures the ranking reads."""
    s, sem = scores["summary"], scores.get("semantics") or {}
    return {
        "index": index, "seed": seed, "correct": sem.get("correct"), "in_order": sem.get("robot_in_order"),
        "sides_correct": sem.get("sides_correct"), "missing": sem.get("missing_actions"),
        "robot_actions": sem.get("robot_actions"), "fell": s["fell"], "success": s["success"],
        "g_mpjpe_mm": s["g_mpjpe_mm"], "physical_cost": s["physical_cost"], "kept": kept,
    }  # fmt: skip


def _recognizer():
    """The shipped robot-side recogniser, or None (semantic scores then left out, said in the report)."""
    from sim.recognizer import DEFAULT_RECOGNIZER, load_recognizer

    return load_recognizer(DEFAULT_RECOGNIZER) if (DEFAULT_RECOGNIZER / "action_classifier.json").is_file() else None


def human_action_labels(human: HumanMotion) -> list[str] | None:
    """The human motion's per-frame actions: its own labels (procedural), else the shipped human-motion classifier's."""
    from generator.eval.action_classifier import primary_label

    if human.frame_labels is not None:
        return [primary_label(str(x)) for x in human.frame_labels]
    path = Path(__file__).resolve().parents[1] / "generator" / "checkpoints" / "action_classifier"
    if not (path / "action_classifier.json").is_file():
        return None
    from generator.eval.action_classifier import load_classifier

    return load_classifier(path).predict_frames(human.features)


def run_demo(
    human_motion: HumanMotion | list[HumanMotion],
    out_dir: str | Path,
    policy_path: str | Path | None = None,
    seed: int = 0,
    source: str = "",
    video_stride: int = 2,
    video: bool = True,
) -> DemoResult:
    """Retarget, simulate and score each candidate human motion, keep the best by physical cost, and write the human
    and robot motions, rollout, scores, videos, plots and index.html into `out_dir`."""
    from sim.plots import plot_all
    from sim.report import write_report
    from sim.view import render_video

    humans = human_motion if isinstance(human_motion, list) else [human_motion]
    if not humans:
        raise InputError("no human motion to run")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    # policy_path: a file, None (the shipped policy when it tracks, else PD) or "" (the PD baseline, asked for)
    policy = None if policy_path == "" else Path(policy_path) if policy_path else default_policy()
    scene = build_scene(check=True)
    recognizer = _recognizer()
    results = []
    for human in humans:
        robot_motion = retarget(human)
        rollout = simulate(scene, robot_motion, policy, seed)
        scores = score_rollout(scene, rollout)
        if recognizer is not None:
            add_semantics(scores, rollout, human.text, recognizer, human_action_labels(human))
        results.append((human, robot_motion, rollout, scores))
    best = min(range(len(results)), key=lambda i: rank_key(results[i][3]))
    candidates = [candidate_row(i, seed + i, r[3], i == best) for i, r in enumerate(results)]
    human, robot_motion, rollout, scores = results[best]
    scores["settings"]["demo"] = {
        "text": human.text, "source": source, "policy": str(policy) if policy else "none: reference-PD baseline",
        "candidates": candidates, "seed": seed, "ranking": RANKING,
    }  # fmt: skip
    files = {
        "human motion": human.save(out / "human_motion.npz"),
        "robot motion": robot_motion.save(out / "robot_motion.npz"),
        "rollout": rollout.save(out / "rollout.npz"),
    }
    with atomic_path(out / "scores.json", suffix=".json") as tmp:
        tmp.write_text(json.dumps(scores, indent=2))
    files["scores"] = out / "scores.json"
    files["rollout settings"] = out / "rollout.json"
    videos = {}
    if video:
        from generator.motion.render import render_motion

        files["human video"] = render_motion(human, out / "human.mp4", stride=max(1, round(video_stride * 30 / 50)))
        files["robot video"] = render_video(scene, rollout, out / "robot.mp4", scores, stride=video_stride)
        videos = {"human motion (generator output)": "human.mp4", "G1 in MuJoCo (blue ghost: reference)": "robot.mp4"}
    plots = plot_all(scene, rollout, out)
    files.update({f"plot: {k}": v for k, v in plots.items()})
    mode = "policy " + policy.name if policy else "reference-PD baseline (no policy checkpoint found)"
    notes = [f"text: {human.text!r}", f"text -> motion: {source or 'given human motion'}", f"robot driven by: {mode}"]
    if len(humans) > 1:
        notes.append(f"{len(humans)} candidates; kept #{best} by the ranking: {RANKING}")
    report = write_report(
        out, f"{human.text or 'motion'}: text to G1", scores, videos,
        {k: v.name for k, v in plots.items()}, {k: Path(v).name for k, v in files.items()}, notes,
        candidates if len(humans) > 1 else None,
    )  # fmt: skip
    files["report"] = report
    return DemoResult(out, scores, files, candidates)


def build_parser() -> argparse.ArgumentParser:
    p = CliParser(
        prog="python -m sim.demo", description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )  # fmt: skip
    p.add_argument("text", help='what the robot should do, e.g. "walk then wave"')
    p.add_argument("--out", default="out/demo", help="output folder")
    p.add_argument("--num", type=int, default=1, help="candidates to generate; the physically best is kept")
    p.add_argument(
        "--policy",
        default=None,
        help="tracking policy (default: the shipped one when it is trained; else the PD baseline)",
    )
    p.add_argument("--strict", action="store_true", help="exit 2, not a warning, on words unseen in training")
    p.add_argument("--pd", action="store_true", help="drive the robot with the reference-PD baseline, not a policy")
    p.add_argument("--video-stride", type=int, default=2, help="render every N-th 50 Hz frame")
    p.add_argument("--no-video", action="store_true", help="skip the videos (plots and report only)")
    p.add_argument(
        "--source", choices=("auto", "generator", "procedural"), default="auto",
        help="text -> motion: the MoLingo checkpoint (auto: when one is shipped) or the procedural library's composer",
    )  # fmt: skip
    p.add_argument("--seed", type=seed_arg, default=0, help="random seed (same seed, same result on the CPU)")
    return p


@cli_entry
def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    text = args.text.strip()
    if not text:
        raise InputError("the text is empty; say what the robot should do, e.g. 'walk then wave'")
    if len(text) > MAX_TEXT:
        raise InputError(f"the text has {len(text)} characters; keep it under {MAX_TEXT}")
    if not 1 <= args.num <= MAX_CANDIDATES:
        raise InputError(f"--num {args.num} must be between 1 and {MAX_CANDIDATES}")
    if args.video_stride < 1:
        raise InputError(f"--video-stride {args.video_stride} must be >= 1")
    if args.pd and args.policy:
        raise InputError("--pd and --policy exclude each other")
    if args.policy and not Path(args.policy).exists():
        raise InputError(f"{args.policy}: no such policy file")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: exists and is not a folder")
    ckpt = generator_checkpoint()
    if args.source != "procedural" and ckpt is not None:
        from generator.model.checkpoint import read_config
        from generator.sampling.vocabulary import check_prompt_words

        if warning := check_prompt_words(text, read_config(ckpt), args.strict):
            print(f"warning: {warning}", file=sys.stderr)
    humans, source = text_to_motions(text, args.num, args.seed, args.source)
    print(f"text -> motion: {source}")
    policy = "" if args.pd else args.policy
    result = run_demo(humans, out, policy, args.seed, source, args.video_stride, video=not args.no_video)
    s = result.scores["summary"]
    print(f"fell={s['fell']} success={s['success']} g_mpjpe={s['g_mpjpe_mm']} mm cost={s['physical_cost']}")
    sem = result.scores.get("semantics") or {}
    if sem:
        print(
            f"did what the text said: {sem['correct']} (robot: {', '.join(sem['robot_actions'])}); {checks_text(sem)}"
        )
    print(f"report: {result.files['report']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
