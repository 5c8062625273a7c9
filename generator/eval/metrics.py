"""Text-to-motion metrics of the HumanML3D protocol on evaluator embeddings, and the replication driver.

FID, R-Precision (batches of 32), MM-Dist, Diversity, MultiModality; every figure is reported as the mean and the
95% interval 1.96 * std / sqrt(reps) over independent replications; results render as a markdown table.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
from scipy import linalg
from tqdm import tqdm


@dataclass(frozen=True)
class Interval:
    """A replicated figure: mean and half-width of its 95% interval."""

    mean: float
    ci: float
    reps: int = 1

    def __str__(self) -> str:
        return f"{self.mean:.3f} ± {self.ci:.3f}"


def euclidean_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise Euclidean distances (N, M) between rows of a (N, D) and b (M, D)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    sq = (a * a).sum(1)[:, None] - 2.0 * a @ b.T + (b * b).sum(1)[None]
    return np.sqrt(np.maximum(sq, 0.0))


def activation_statistics(emb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean (D,) and covariance (D, D) of a set of embeddings (N, D)."""
    emb = np.asarray(emb, np.float64)
    return emb.mean(0), np.cov(emb, rowvar=False)


def frechet_distance(mu1: np.ndarray, cov1: np.ndarray, mu2: np.ndarray, cov2: np.ndarray, eps: float = 1e-6):
    """||mu1 - mu2||^2 + Tr(S1 + S2 - 2 sqrtm(S1 S2)); eps * I is added when the product is singular."""
    diff = mu1 - mu2
    covmean = linalg.sqrtm(cov1 @ cov2)
    if not np.isfinite(covmean).all():
        offset = np.eye(cov1.shape[0]) * eps
        covmean = linalg.sqrtm((cov1 + offset) @ (cov2 + offset))
    covmean = np.real(covmean)
    value = float(diff @ diff + np.trace(cov1) + np.trace(cov2) - 2.0 * np.trace(covmean))
    return max(value, 0.0)  # a true distance; round-off can dip below zero for identical sets


def fid(real_emb: np.ndarray, gen_emb: np.ndarray) -> float:
    """Fréchet distance between two sets of embeddings (N, D)."""
    return frechet_distance(*activation_statistics(real_emb), *activation_statistics(gen_emb))


def r_precision(text_emb: np.ndarray, motion_emb: np.ndarray, batch_size: int = 32, top_k: int = 3) -> np.ndarray:
    """Top-1..k retrieval accuracy of each text's own motion among `batch_size` (full batches only) -> (top_k,)."""
    n = (len(text_emb) // batch_size) * batch_size
    if n == 0:
        raise ValueError(f"R-Precision needs at least {batch_size} pairs, got {len(text_emb)}")
    hits = np.zeros(top_k)
    for s in range(0, n, batch_size):
        dist = euclidean_matrix(text_emb[s : s + batch_size], motion_emb[s : s + batch_size])
        rank = (dist < np.diag(dist)[:, None]).sum(1)  # motions strictly closer than the paired one
        hits += np.array([(rank < k).sum() for k in range(1, top_k + 1)])
    return hits / n


def mm_dist(text_emb: np.ndarray, motion_emb: np.ndarray) -> float:
    """Matching score: the mean Euclidean distance between each text and its own motion."""
    return float(np.linalg.norm(np.asarray(text_emb) - np.asarray(motion_emb), axis=1).mean())


def diversity(emb: np.ndarray, pairs: int = 300, rng: np.random.Generator | None = None) -> float:
    """Mean distance between `pairs` random pairs of embeddings (drawn with replacement when fewer)."""
    rng = rng or np.random.default_rng(0)
    n = len(emb)
    if n < 2:
        raise ValueError("Diversity needs at least 2 motions")
    replace = n < pairs
    a, b = rng.choice(n, pairs, replace=replace), rng.choice(n, pairs, replace=replace)
    return float(np.linalg.norm(emb[a] - emb[b], axis=1).mean())


def multimodality(emb: np.ndarray, pairs: int = 10, rng: np.random.Generator | None = None) -> float:
    """Mean distance of `pairs` random pairs among the generations of each text; emb is (texts, generations, D)."""
    rng = rng or np.random.default_rng(0)
    emb = np.asarray(emb, np.float64)
    if emb.ndim != 3 or emb.shape[1] < 2:
        raise ValueError(f"MultiModality needs (texts, >=2 generations, D) embeddings, got {emb.shape}")
    g = emb.shape[1]
    a, b = rng.choice(g, pairs, replace=g < pairs), rng.choice(g, pairs, replace=g < pairs)
    return float(np.linalg.norm(emb[:, a] - emb[:, b], axis=-1).mean())


def replicate(
    run_once: Callable[[int], Mapping[str, float]], reps: int = 20, seed: int = 0, progress: bool = True,
    desc: str = "replications",
) -> dict[str, Interval]:  # fmt: skip
    """Call run_once(seed_r) for reps independent seeds; each metric -> mean and 1.96 std / sqrt(reps)."""
    if reps < 1:
        raise ValueError("reps must be >= 1")
    runs: dict[str, list[float]] = {}
    seeds = np.random.SeedSequence(seed).generate_state(reps)
    for s in tqdm(seeds, desc=desc, disable=not progress):
        for k, v in run_once(int(s)).items():
            runs.setdefault(k, []).append(float(v))
    return {k: summarize(v) for k, v in runs.items()}


def summarize(values: list[float] | np.ndarray) -> Interval:
    """Mean and the 95% interval half-width 1.96 * std / sqrt(n) of replicated values."""
    v = np.asarray(values, np.float64)
    return Interval(float(v.mean()), float(1.96 * v.std() / np.sqrt(len(v))), len(v))


METRIC_ORDER = (
    "R-Precision top-1", "R-Precision top-2", "R-Precision top-3", "FID", "MM-Dist", "Diversity", "MultiModality",
)  # fmt: skip


def markdown_table(rows: Mapping[str, Mapping[str, Interval]], metrics: tuple[str, ...] | None = None) -> str:
    """Render {row name: {metric: Interval}} as a markdown table (missing cells as '-')."""
    if metrics is None:
        seen = list(dict.fromkeys(k for r in rows.values() for k in r))
        metrics = tuple([m for m in METRIC_ORDER if m in seen] + [m for m in seen if m not in METRIC_ORDER])
    lines = ["| | " + " | ".join(metrics) + " |", "| --- |" + " --- |" * len(metrics)]
    for name, row in rows.items():
        lines.append(f"| {name} | " + " | ".join(str(row[m]) if m in row else "-" for m in metrics) + " |")
    return "\n".join(lines) + "\n"
