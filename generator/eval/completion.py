"""Motion completion metrics (VerMo, seed 004): prediction and in-betweening, scored by FID, Diversity, ADE, FDE.

Prediction: the first 40% of a test motion is given, the remaining 60% generated. In-betweening: the first and last
20% are given, the middle 60% generated. ADE / FDE compare the root (pelvis) trajectory on the floor plane (x, z,
metres) of the completed motion with the real one over the generated frames (FDE: the last generated frame); both
are decoded with the 272-D position inverse from the same first frame, so they share one canonical frame. A completer
may return fewer frames n than given (its length granularity): it then completes the first n real frames.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from generator.eval import metrics
from generator.eval.evaluator import MotionTexts, TMREvaluator
from generator.eval.metrics import Interval
from generator.motion import repr272
from generator.motion.errors import InputError

# (texts, real features [(T_i, 272)], prefix frames, suffix frames, seed) -> completed features [(T_i, 272)]
CompleteFn = Callable[[list[str], list[np.ndarray], list[int], list[int], int], list[np.ndarray]]


@dataclass(frozen=True)
class CompletionTask:
    """Fractions of the motion that are given at the start and at the end."""

    name: str
    prefix: float
    suffix: float

    def known_frames(self, num_frames: int) -> tuple[int, int]:
        return int(round(self.prefix * num_frames)), int(round(self.suffix * num_frames))


TASKS = {
    "prediction": CompletionTask("prediction", prefix=0.4, suffix=0.0),
    "inbetweening": CompletionTask("inbetweening", prefix=0.2, suffix=0.2),
}


def root_trajectory(features: np.ndarray) -> np.ndarray:
    """(T, 272) -> (T, 2) pelvis x, z on the floor plane (metres) in the clip's canonical frame."""
    return repr272.decode_joints(np.asarray(features, np.float64))[:, 0, [0, 2]]


def displacement_errors(gen: np.ndarray, real: np.ndarray, start: int, end: int) -> tuple[float, float]:
    """ADE (mean) and FDE (last frame) of the root trajectory over frames [start, end)."""
    if not 0 <= start < end <= min(len(gen), len(real)):
        raise ValueError(f"bad frame range [{start}, {end}) for motions of {len(gen)} / {len(real)} frames")
    err = np.linalg.norm(root_trajectory(gen)[start:end] - root_trajectory(real)[start:end], axis=-1)
    return float(err.mean()), float(err[-1])


def completion_replication(
    evaluator: TMREvaluator, items: list[MotionTexts], complete: CompleteFn, task: CompletionTask, seed: int,
    real_emb: np.ndarray, diversity_pairs: int = 300, batch_size: int = 32,
) -> dict[str, float]:  # fmt: skip
    """Complete every test motion once (random caption) and score FID, Diversity, ADE, FDE; batches of 32."""
    rng = np.random.default_rng(seed)
    texts = [item.captions[int(rng.integers(len(item.captions)))] for item in items]
    known = [task.known_frames(item.num_frames) for item in items]
    done: list[np.ndarray] = []
    for k, start in enumerate(range(0, len(items), batch_size)):
        chunk = slice(start, start + batch_size)
        out = complete(texts[chunk], [it.features for it in items[chunk]], [p for p, _ in known[chunk]],
                       [s for _, s in known[chunk]], seed * 100003 + k)  # fmt: skip
        done.extend(np.asarray(o, np.float32) for o in out)
    if len(done) != len(items):
        raise InputError(f"the completer returned {len(done)} motions for {len(items)} inputs")
    ade, fde = [], []
    for item, (prefix, suffix), out in zip(items, known, done):
        # a completer may shorten the clip to its own granularity: then it completed the first n real frames
        t = item.num_frames
        n = out.shape[0] if out.ndim == 2 else 0
        if out.ndim != 2 or out.shape[1] != repr272.DIM or not prefix + suffix < n <= t or not np.isfinite(out).all():
            raise InputError(f"the completion of {item.name} ({t} frames) has shape {out.shape} or non-finite values")
        a, f = displacement_errors(out[:n], item.features[:n], prefix, n - suffix)
        ade.append(a)
        fde.append(f)
    emb = evaluator.embed_motions(done)
    return {
        "FID": metrics.fid(real_emb, emb), "Diversity": metrics.diversity(emb, diversity_pairs, rng),
        "ADE": float(np.mean(ade)), "FDE": float(np.mean(fde)),
    }  # fmt: skip


def evaluate_completion(
    evaluator: TMREvaluator, items: list[MotionTexts], complete: CompleteFn, reps: int = 20, seed: int = 0,
    tasks: tuple[str, ...] = ("prediction", "inbetweening"), progress: bool = True,
) -> dict[str, dict[str, Interval]]:  # fmt: skip
    """Replicated completion metrics, one table row per task."""
    real_emb = evaluator.embed_motions([it.features for it in items])
    rows = {}
    for name in tasks:
        task = TASKS[name]
        rows[f"Completion: {name}"] = metrics.replicate(
            lambda s, task=task: completion_replication(evaluator, items, complete, task, s, real_emb),
            reps, seed, progress, desc=name,
        )  # fmt: skip
    return rows


def sampler_complete_fn(ckpt: str | Path, **overrides) -> CompleteFn:
    """A CompleteFn over a generator checkpoint: the known frames' latents are kept unmasked (the sampler)."""
    from generator.sampling.sampler import Completion, load_sampler, sample_options

    sampler, _ = load_sampler(ckpt)
    down, max_frames = sampler.down, int(sampler.model.cfg.model.max_frames)

    def complete(
        texts: list[str], features: list[np.ndarray], prefixes: list[int], suffixes: list[int], seed: int
    ) -> list[np.ndarray]:
        comps = [
            Completion(features=f[: min(len(f), max_frames) // down * down], prefix=p, suffix=s)
            for f, p, s in zip(features, prefixes, suffixes)
        ]
        return sampler.generate(
            list(texts), None, sample_options(sampler.model.cfg, seed, **overrides), completion=comps
        )

    return complete
