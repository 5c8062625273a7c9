"""The text-to-motion evaluation protocol (FID, R-Precision, diversity, plausibility) over replications."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from generator.eval import metrics
from generator.eval.evaluator import MotionTexts, TMREvaluator
from generator.eval.metrics import Interval
from generator.motion.errors import InputError

GenerateFn = Callable[[list[str], list[int], int], list[np.ndarray]]
TEST_MIN_FRAMES, TEST_MAX_FRAMES = 60, 300  # the test protocol: 60 <= T < 300


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


def checkpoint_generate_fn(ckpt: str | Path, batch_size: int = 32, **overrides) -> GenerateFn:
    """A GenerateFn over a generator checkpoint (the sampler); batches of `batch_size`, one seed per batch."""
    from generator.sampling.sampler import load_sampler, sample_options

    sampler, _ = load_sampler(ckpt)
    max_frames = int(sampler.model.cfg.model.max_frames)

    def generate(texts: list[str], lengths: list[int], seed: int) -> list[np.ndarray]:
        out: list[np.ndarray] = []
        for k, s in enumerate(range(0, len(texts), batch_size)):
            frames = [min(n, max_frames) for n in lengths[s : s + batch_size]]
            opts = sample_options(sampler.model.cfg, seed * 100003 + k, **overrides)
            out.extend(sampler.generate(texts[s : s + batch_size], frames, opts))
        return out

    return generate


PLAUSIBILITY_METRICS = (
    "Foot skating ratio", "Penetration (m)", "Floating ratio", "Jerk (m/s^3)", "Joint-limit violation ratio",
)  # fmt: skip


def motion_plausibility(features: np.ndarray, fps: float = 30) -> dict[str, float]:
    """Plausibility figures of one 272-D motion (plausibility on its decoded joints, plus mean jerk)."""
    from generator.motion import plausibility, repr272

    f = np.asarray(features, np.float64)
    joints = repr272.decode_joints(f)
    rotations, _ = repr272.decode_rotations(f)
    report = plausibility.plausibility_report(joints, rotations, fps=fps)
    values = (report["foot_skating_ratio"], report["penetration_m"], report["floating_ratio"],
              plausibility.mean_jerk(joints, fps), report["joint_limit_violation_ratio"])  # fmt: skip
    return dict(zip(PLAUSIBILITY_METRICS, values))


def plausibility_summary(motions: list[np.ndarray], fps: float = 30) -> dict[str, float]:
    """Mean of each plausibility figure over a set of motions."""
    per = [motion_plausibility(m, fps) for m in motions]
    return {k: float(np.mean([p[k] for p in per])) for k in PLAUSIBILITY_METRICS}


def motion_set_rows(paths: list[Path]) -> dict[str, dict[str, Interval]]:
    """Plausibility of any set of human motion files (.npz, or directories of them), one row per argument."""
    from generator.motion.file import load_motion

    rows = {}
    for path in paths:
        files = sorted(path.glob("*.npz")) if path.is_dir() else [path]
        if not files:
            raise InputError(f"{path}: no human motion .npz files there")
        motions = [load_motion(f) for f in files]
        per = [motion_plausibility(m.features, m.fps) for m in motions]
        rows[f"{path.name} ({len(files)})"] = {k: metrics.summarize([p[k] for p in per]) for k in PLAUSIBILITY_METRICS}
    return rows
