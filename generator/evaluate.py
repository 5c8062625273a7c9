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
from collections.abc import Callable
from pathlib import Path

import numpy as np

from generator import metrics
from generator.errors import InputError, atomic_path, cli_entry
from generator.evaluator import MotionTexts, TMREvaluator, load_evaluator, load_motion_texts
from generator.metrics import Interval

GenerateFn = Callable[[list[str], list[int], int], list[np.ndarray]]
TEST_MIN_FRAMES, TEST_MAX_FRAMES = 60, 300  # the test protocol: 60 <= T < 300
DEFAULT_EVALUATOR = Path(__file__).resolve().parent / "checkpoints" / "evaluator"  # the shipped one, once trained


def check_motions(motions: list[np.ndarray], expected: int, who: str = "the generator") -> list[np.ndarray]:
    """Reject a generated batch with the wrong count, shapes or non-finite values (one clear line)."""
    if len(motions) != expected:
        raise InputError(f"{who} returned {len(motions)} motions for {expected} prompts")
    for m in motions:
        if m.ndim != 2 or m.shape[1] != 272 or m.shape[0] < 1:
            raise InputError(f"{who} returned a motion of shape {m.shape}, expected (T, 272)")
        if not np.isfinite(m).all():
            raise InputError(f"{who} returned a motion with NaN or infinite values")
    return motions


class EmbeddingCache:
    """Evaluator embeddings of captions, computed once per distinct text."""

    def __init__(self, evaluator: TMREvaluator):
        self.evaluator = evaluator
        self._texts: dict[str, np.ndarray] = {}

    def texts(self, texts: list[str]) -> np.ndarray:
        todo = list(dict.fromkeys(t for t in texts if t not in self._texts))
        if todo:
            self._texts.update(zip(todo, self.evaluator.embed_texts(todo)))
        return np.stack([self._texts[t] for t in texts])


def t2m_replication(
    evaluator: TMREvaluator, items: list[MotionTexts], generate: GenerateFn | None, seed: int,
    cache: EmbeddingCache, real_emb: np.ndarray, mm_texts: int = 100, mm_generations: int = 30,
    diversity_pairs: int = 300, mm_pairs: int = 10, plausibility: bool = False,
) -> dict[str, float]:  # fmt: skip
    """One replication: a random caption per test motion, shuffled; generate (or take the real motions) and score.

    With `plausibility`, the same motions are also scored for foot skating, penetration, floating, jerk and joint
    limits (means over the replication's motions), so no motion is generated twice.
    """
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(items))
    texts = [items[i].captions[int(rng.integers(len(items[i].captions)))] for i in order]
    lengths = [items[i].num_frames for i in order]
    if generate is None:
        motions = [items[i].features for i in order]
        motion_emb = real_emb[order]
    else:
        motions = check_motions(generate(texts, lengths, seed), len(texts))
        motion_emb = evaluator.embed_motions(motions)
    text_emb = cache.texts(texts)
    top = metrics.r_precision(text_emb, motion_emb, batch_size=32, top_k=3)
    out = {
        "R-Precision top-1": top[0], "R-Precision top-2": top[1], "R-Precision top-3": top[2],
        "FID": metrics.fid(real_emb, motion_emb), "MM-Dist": metrics.mm_dist(text_emb, motion_emb),
        "Diversity": metrics.diversity(motion_emb, diversity_pairs, rng),
    }  # fmt: skip
    if generate is not None and mm_texts > 0 and mm_generations > 1:
        pick = rng.choice(len(items), size=min(mm_texts, len(items)), replace=False)
        mm_prompts = [items[i].captions[int(rng.integers(len(items[i].captions)))] for i in pick]
        rep_texts = [t for t in mm_prompts for _ in range(mm_generations)]
        rep_lengths = [items[i].num_frames for i in pick for _ in range(mm_generations)]
        mm_motions = check_motions(generate(rep_texts, rep_lengths, seed + 1), len(rep_texts))
        emb = evaluator.embed_motions(mm_motions).reshape(len(pick), mm_generations, -1)
        out["MultiModality"] = metrics.multimodality(emb, mm_pairs, rng)
    if plausibility:
        out.update(plausibility_summary(motions))
    return out


def evaluate_t2m(
    evaluator: TMREvaluator, items: list[MotionTexts], generate: GenerateFn | None, reps: int = 20, seed: int = 0,
    mm_texts: int = 100, mm_generations: int = 30, progress: bool = True, name: str = "", plausibility: bool = False,
) -> dict[str, Interval]:  # fmt: skip
    """The replicated HumanML3D protocol for a generator (or the real motions when generate is None)."""
    if len(items) < 32:
        raise InputError(f"the test set has {len(items)} motions; R-Precision needs at least 32")
    cache = EmbeddingCache(evaluator)
    real_emb = evaluator.embed_motions([it.features for it in items])
    rows = metrics.replicate(
        lambda s: t2m_replication(evaluator, items, generate, s, cache, real_emb, mm_texts, mm_generations,
                                  plausibility=plausibility and generate is not None),
        reps, seed, progress, desc=name or "replications",
    )  # fmt: skip
    if plausibility and generate is None:  # the real motions are the same in every replication: score them once
        rows.update({k: Interval(v, 0.0, reps) for k, v in plausibility_summary([it.features for it in items]).items()})
    return rows


def load_sampler(ckpt: str | Path):
    """A generator.sampler.Sampler for a generator checkpoint directory, with the checkpoint's text encoder."""
    from generator.checkpoint import load_generator
    from generator.sampler import Sampler
    from generator.text_encoders import get_text_encoder

    model, ae, _ = load_generator(ckpt)
    return Sampler(model, ae, get_text_encoder(model.cfg.text_encoder, model.cfg.max_text_tokens))


def sample_options(sampler, seed: int, **overrides):
    """SampleOptions from the checkpoint's sampling defaults, with the given overrides (None = keep)."""
    from generator.sampler import SampleOptions

    cfg = sampler.model.cfg
    opts = {"outer_steps": cfg.outer_steps, "flow_steps": cfg.flow_steps, "cfg_scale": cfg.cfg_scale,
            "refresh": cfg.noise_refresh}  # fmt: skip
    opts.update({k: v for k, v in overrides.items() if v is not None})
    return SampleOptions(seed=seed, **opts)


def checkpoint_generate_fn(ckpt: str | Path, batch_size: int = 32, **overrides) -> GenerateFn:
    """A GenerateFn over a generator checkpoint (generator.sampler); batches of `batch_size`, one seed per batch."""
    sampler = load_sampler(ckpt)
    max_frames = int(sampler.model.cfg.max_frames)

    def generate(texts: list[str], lengths: list[int], seed: int) -> list[np.ndarray]:
        out: list[np.ndarray] = []
        for k, s in enumerate(range(0, len(texts), batch_size)):
            frames = [min(n, max_frames) for n in lengths[s : s + batch_size]]
            out.extend(sampler.generate(texts[s : s + batch_size], frames, sample_options(sampler, seed * 100003 + k,
                                                                                           **overrides)))  # fmt: skip
        return out

    return generate


def jerk(joints: np.ndarray, fps: float = 30) -> float:
    """Mean joint jerk (m/s^3): the norm of the third time difference of the joint positions, averaged."""
    if len(joints) < 4:
        return 0.0
    d3 = np.diff(np.asarray(joints, np.float64), n=3, axis=0) * fps**3
    return float(np.linalg.norm(d3, axis=-1).mean())


PLAUSIBILITY_METRICS = (
    "Foot skating ratio", "Penetration (m)", "Floating ratio", "Jerk (m/s^3)", "Joint-limit violation ratio",
)  # fmt: skip


def motion_plausibility(features: np.ndarray, fps: float = 30) -> dict[str, float]:
    """Plausibility figures of one 272-D motion (generator.plausibility on its decoded joints, plus mean jerk)."""
    from generator import plausibility, repr272

    f = np.asarray(features, np.float64)
    joints = repr272.decode_joints(f)
    rotations, _ = repr272.decode_rotations(f)
    report = plausibility.plausibility_report(joints, rotations, fps=fps)
    values = (report["foot_skating_ratio"], report["penetration_m"], report["floating_ratio"], jerk(joints, fps),
              report["joint_limit_violation_ratio"])  # fmt: skip
    return dict(zip(PLAUSIBILITY_METRICS, values))


def plausibility_summary(motions: list[np.ndarray], fps: float = 30) -> dict[str, float]:
    """Mean of each plausibility figure over a set of motions."""
    per = [motion_plausibility(m, fps) for m in motions]
    return {k: float(np.mean([p[k] for p in per])) for k in PLAUSIBILITY_METRICS}


def motion_set_rows(paths: list[Path]) -> dict[str, dict[str, Interval]]:
    """Plausibility of any set of human motion files (.npz, or directories of them), one row per argument."""
    from generator.motion_file import load_motion

    rows = {}
    for path in paths:
        files = sorted(path.glob("*.npz")) if path.is_dir() else [path]
        if not files:
            raise InputError(f"{path}: no human motion .npz files there")
        motions = [load_motion(f) for f in files]
        per = [motion_plausibility(m.features, m.fps) for m in motions]
        rows[f"{path.name} ({len(files)})"] = {k: metrics.summarize([p[k] for p in per]) for k in PLAUSIBILITY_METRICS}
    return rows


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
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
    p.add_argument("--seed", type=int, default=0, help="random seed (CPU runs are deterministic)")
    p.add_argument("--out", type=Path, default=None, help="markdown results file")
    p.add_argument("--limit", type=int, default=0, help="use a seeded random subset of N test motions (0 = all)")
    p.add_argument("--mm-texts", type=int, default=100, help="MultiModality: texts")
    p.add_argument("--mm-generations", type=int, default=30, help="MultiModality: generations per text")
    p.add_argument("--batch-size", type=int, default=32, help="generation batch size")
    p.add_argument("--cfg-scale", type=float, default=None, help="sampler guidance scale (default: the sampler's)")
    p.add_argument("--outer-steps", type=int, default=None, help="sampler outer steps (default: the checkpoint's)")
    p.add_argument("--flow-steps", type=int, default=None, help="sampler flow steps (default: the checkpoint's)")
    p.add_argument("--raw-motion", action="store_true", help="score the decoder's output without generator.cleanup")
    p.add_argument("--no-real", action="store_true", help="skip the real-motion (ceiling) row")
    p.add_argument("--plausibility", action="store_true", help="add foot skating / penetration / floating / jerk")
    p.add_argument("--order-classifier", type=Path, default=None, help="action classifier dir: order-correct rate")
    p.add_argument(
        "--order-prompts", type=int, default=64, help="order-correct rate: held-out two-action prompts (0 = all)"
    )
    p.add_argument("--completion", action="store_true", help="add prediction and in-betweening rows (needs --ckpt)")
    return p


def _check_args(args: argparse.Namespace) -> None:
    if args.evaluator is None and (DEFAULT_EVALUATOR / "evaluator.json").exists():
        args.evaluator = DEFAULT_EVALUATOR
    if args.motions is None and (args.evaluator is None or args.data is None):
        raise InputError("--evaluator and --data are required (or --motions FILES to score plausibility only)")
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
    # every input is loaded and checked before any long work starts
    evaluator = load_evaluator(args.evaluator)
    items = load_motion_texts(args.data, args.split, TEST_MIN_FRAMES, TEST_MAX_FRAMES)
    if args.limit and args.limit < len(items):
        pick = np.random.default_rng(args.seed).choice(len(items), args.limit, replace=False)
        items = [items[i] for i in sorted(pick)]
    generate = None if args.ckpt is None else checkpoint_generate_fn(args.ckpt, args.batch_size, **_overrides(args))
    classifier = order_prompts = None
    if args.order_classifier is not None:
        from generator.action_classifier import held_out_order_prompts, load_classifier

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
    return {"cfg_scale": args.cfg_scale, "outer_steps": args.outer_steps, "flow_steps": args.flow_steps,
            "postprocess": False if args.raw_motion else None}  # fmt: skip


def _extra_sections(
    args: argparse.Namespace, evaluator: TMREvaluator, items: list[MotionTexts], generate: GenerateFn | None,
    classifier=None, order_prompts=None,
) -> list[str]:  # fmt: skip
    """Order-correct rate and completion tables, as asked on the command line."""
    out: list[str] = []
    if classifier is not None:
        from generator.action_classifier import order_correct_rows

        rows = order_correct_rows(classifier, generate, args.data, args.split, args.reps, args.seed, order_prompts)
        out += [f"## Order-correct rate ({len(order_prompts)} held-out two-action prompts)\n",
                metrics.markdown_table(rows)]  # fmt: skip
    if args.completion:
        from generator.completion_metrics import evaluate_completion, sampler_complete_fn

        complete = sampler_complete_fn(args.ckpt, **_overrides(args))
        rows = evaluate_completion(evaluator, items, complete, args.reps, args.seed)
        out += ["## Completion\n", metrics.markdown_table(rows)]
    return out


if __name__ == "__main__":
    raise SystemExit(main())
