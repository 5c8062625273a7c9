"""Build a labelled dataset from the procedural motion library in the HumanML3D-272 layout (see layout.py).

Clip i is generated from a seed derived from (seed, i) alone, so the files do not depend on the number of worker
processes; the train statistics are merged in id order for the same reason. The directory is built under
`DIR.partial` (each file written atomically) and renamed to DIR only when complete.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import shutil
import time
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path

import numpy as np
from tqdm import tqdm

from generator.data import layout
from generator.data.babel import Segment, make_entry
from generator.data.tokens import tokenize
from generator.motion import repr272
from generator.motion.errors import InputError, atomic_path
from generator.motion.file import HumanMotion

MAX_CLIPS = 10_000_000

PARTIAL_MARKER = ".partial-build"  # marks OUT.partial as ours: only such a folder is ever deleted


@dataclass(frozen=True)
class BuildConfig:
    """What to build: `num` clips of `min_seconds`..`max_seconds` from `seed`, split train/val/test by `splits`."""

    num: int
    seed: int = 0
    workers: int = 1
    human: bool = False
    min_seconds: float = 2.0
    max_seconds: float = 10.0
    splits: tuple[float, float, float] = (0.80, 0.05, 0.15)
    chunk_size: int = 32

    def validate(self) -> BuildConfig:
        if not 1 <= self.num <= MAX_CLIPS:
            raise InputError(f"--num must be between 1 and {MAX_CLIPS}, got {self.num}")
        if self.workers < 1:
            raise InputError(f"--workers must be at least 1, got {self.workers}")
        if not 0.5 <= self.min_seconds <= self.max_seconds <= 600:
            raise InputError(
                f"need 0.5 <= min_seconds <= max_seconds <= 600, got {self.min_seconds}, {self.max_seconds}"
            )
        if len(self.splits) != 3 or min(self.splits) < 0 or abs(sum(self.splits) - 1.0) > 1e-6:
            raise InputError(f"split fractions must be three non-negative numbers summing to 1, got {self.splits}")
        return self


def clip_seed(seed: int, index: int) -> int:
    """The generator seed of clip `index`: a hash of (seed, index), independent of chunking and workers."""
    return int(np.random.SeedSequence([int(seed) & 0xFFFFFFFF, int(seed) >> 32, int(index)]).generate_state(1)[0])


def clip_id(index: int, num: int) -> str:
    """Zero-padded id, six digits like HumanML3D-272 (more when `num` needs them)."""
    return f"{index:0{max(6, len(str(num - 1)))}d}"


def assign_splits(num: int, seed: int, fractions=(0.80, 0.05, 0.15)) -> dict[str, list[int]]:
    """Clip indices per split: a seeded permutation cut by `fractions` (each split sorted)."""
    perm = np.random.default_rng([int(seed) & 0xFFFFFFFF, 7919]).permutation(num)
    n_train = int(round(fractions[0] * num))
    n_val = int(round(fractions[1] * num))
    n_val = min(n_val, num - n_train)
    cuts = {"train": perm[:n_train], "val": perm[n_train : n_train + n_val], "test": perm[n_train + n_val :]}
    return {k: sorted(int(i) for i in v) for k, v in cuts.items()}


@dataclass
class RunningStats:
    """Per-dimension count, mean and M2 (Chan et al.'s parallel update), finished like repr272.compute_stats."""

    n: int = 0
    mean: np.ndarray = field(default_factory=lambda: np.zeros(repr272.DIM))
    m2: np.ndarray = field(default_factory=lambda: np.zeros(repr272.DIM))

    @staticmethod
    def of(features: np.ndarray) -> RunningStats:
        x = np.asarray(features, dtype=np.float64).reshape(-1, repr272.DIM)
        mean = x.mean(0)
        return RunningStats(len(x), mean, ((x - mean) ** 2).sum(0))

    def merge(self, other: RunningStats) -> None:
        if other.n == 0:
            return
        n = self.n + other.n
        delta = other.mean - self.mean
        self.mean = self.mean + delta * (other.n / n)
        self.m2 = self.m2 + other.m2 + delta**2 * (self.n * other.n / n)
        self.n = n

    def finish(self, eps: float = 1e-8) -> tuple[np.ndarray, np.ndarray]:
        """(mean, std) float32 with each group's std replaced by the group's mean std, as compute_stats does."""
        if self.n == 0:
            raise InputError("no training frames to compute the statistics from")
        std = np.sqrt(self.m2 / self.n)
        for sl in repr272.GROUPS.values():
            std[sl] = std[sl].mean()
        return self.mean.astype(np.float32), np.maximum(std, eps).astype(np.float32)


@dataclass
class ClipRecord:
    """What the main process keeps of a written clip: its id, size, labels and feature statistics."""

    index: int
    clip_id: str
    num_frames: int
    primitives: list[str]
    num_segments: int
    stats: RunningStats


def clip_segments(clip, fps: float) -> list[Segment]:
    """Our clip's (label, start frame, end frame exclusive) runs as BABEL segments in seconds.

    A layered label "walk+wave" lists both actions as its categories (BABEL's simultaneous actions).
    """
    return [
        Segment(str(label), float(start) / fps, float(end) / fps, tuple(p for p in str(label).split("+") if p))
        for label, start, end in clip.segments
    ]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_FILE_MODE = 0o666 & ~_umask()  # atomic temporaries are created 0600; dataset files should be readable by all


def save_npy(path: Path, array: np.ndarray) -> None:
    """np.save atomically, with the usual file permissions."""
    with atomic_path(path) as tmp:
        np.save(tmp, array)
        os.chmod(tmp, _FILE_MODE)


def save_text(path: Path, text: str) -> None:
    """Write UTF-8 text atomically, with the usual file permissions."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
        os.chmod(tmp, _FILE_MODE)


def write_clip(root: Path, cid: str, clip, human: bool = False) -> ClipRecord:
    """Write one procedural clip's motion, texts, frame labels (and human file) under `root`; return its record."""
    fps = float(getattr(clip, "fps", layout.FPS))
    labels = [str(x) for x in clip.frame_labels]
    motion = HumanMotion.from_joints_rotations(
        clip.joints, clip.rotations, text=clip.captions[0], frame_labels=labels, fps=fps
    )
    features = motion.features.astype(np.float32)
    if not np.isfinite(features).all():
        raise RuntimeError(f"clip {cid}: the procedural generator produced non-finite features")
    save_npy(root / layout.MOTION_DIR / f"{cid}.npy", features)
    lines = [layout.Caption(c, tuple(tokenize(c))).to_line() for c in clip.captions]
    save_text(root / layout.TEXT_DIR / f"{cid}.txt", "\n".join(lines) + "\n")
    segments = clip_segments(clip, fps)
    flight = getattr(clip, "flight", None)
    entry = make_entry(cid, segments, labels, list(clip.captions), fps, sorted(set(clip.primitives)), flight)
    save_text(root / layout.LABEL_DIR / f"{cid}.json", json.dumps(entry, separators=(",", ":")))
    if human:
        os.chmod(motion.save(root / layout.HUMAN_DIR / f"{cid}.npz"), _FILE_MODE)
    return ClipRecord(0, cid, len(features), list(clip.primitives), len(segments), RunningStats.of(features))


def _worker_init() -> None:
    import torch

    torch.set_num_threads(1)


def _build_chunk(args: tuple) -> list[ClipRecord]:
    """Generate and write clips [start, stop) (runs in a worker process)."""
    from generator.procedural import generate_clip

    root, seed, start, stop, num, human, min_s, max_s = args
    out = []
    for i in range(start, stop):
        clip = generate_clip(clip_seed(seed, i), min_seconds=min_s, max_seconds=max_s)
        rec = write_clip(Path(root), clip_id(i, num), clip, human=human)
        rec.index = i
        out.append(rec)
    return out


def _generator_version() -> str:
    try:
        from generator import procedural

        version = getattr(procedural, "__version__", None)
        if version:
            return str(version)
    except ImportError:
        pass
    try:
        return metadata.version("text2g1")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def build_dataset(out: str | Path, cfg: BuildConfig, overwrite: bool = False, progress: bool = True) -> dict:
    """Build `cfg.num` procedural clips into `out` (via `out.partial`); return the meta dictionary written."""
    cfg.validate()
    out = Path(out)
    if out.exists() and not overwrite:
        raise InputError(f"{out}: already exists (pass --overwrite to replace it)")
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: exists and is not a directory")
    partial = out.with_name(out.name + ".partial")
    if partial.exists():
        if not (partial / PARTIAL_MARKER).is_file():
            raise InputError(f"{partial}: exists and is not an interrupted build of this command; move it away")
        shutil.rmtree(partial)  # a stale, interrupted build of ours
    partial.mkdir(parents=True)
    (partial / PARTIAL_MARKER).write_text("an unfinished generator.data build; the next build replaces it\n")

    split_of = {}
    splits = assign_splits(cfg.num, cfg.seed, cfg.splits)
    for name, indices in splits.items():
        for i in indices:
            split_of[i] = name
    chunks = [
        (str(partial), cfg.seed, s, min(s + cfg.chunk_size, cfg.num), cfg.num, cfg.human, cfg.min_seconds,
         cfg.max_seconds)
        for s in range(0, cfg.num, cfg.chunk_size)
    ]  # fmt: skip
    train_stats = RunningStats()
    frames = 0
    per_primitive: dict[str, int] = {}

    def take(recs: list[ClipRecord]) -> None:
        nonlocal frames
        for rec in recs:  # in id order, so the merged statistics do not depend on the workers
            frames += rec.num_frames
            for name in set(rec.primitives):
                per_primitive[name] = per_primitive.get(name, 0) + 1
            if split_of[rec.index] == "train":
                train_stats.merge(rec.stats)
        bar.update(len(recs))

    t0 = time.perf_counter()
    bar = tqdm(total=cfg.num, desc="clips", unit="clip", disable=not progress)
    workers = min(cfg.workers, len(chunks))
    try:
        if workers == 1:
            import torch

            threads = torch.get_num_threads()
            torch.set_num_threads(1)
            try:
                for chunk in chunks:
                    take(_build_chunk(chunk))
            finally:
                torch.set_num_threads(threads)
        else:
            with mp.get_context("spawn").Pool(workers, initializer=_worker_init) as pool:
                for recs in pool.imap(_build_chunk, chunks):  # imap keeps the chunk order
                    take(recs)
    except BaseException:
        bar.close()
        shutil.rmtree(partial, ignore_errors=True)
        raise
    bar.close()
    elapsed = time.perf_counter() - t0

    mean, std = train_stats.finish()
    for name, arr in (("Mean", mean), ("Std", std)):
        save_npy(partial / layout.STATS_DIR / f"{name}.npy", arr)
    for name, indices in splits.items():
        save_text(partial / layout.SPLIT_DIR / f"{name}.txt", "".join(clip_id(i, cfg.num) + "\n" for i in indices))
    meta = {
        "source": "generator.procedural",
        "generator_version": _generator_version(),
        "seed": cfg.seed,
        "count": cfg.num,
        "fps": layout.FPS,
        "frames": frames,
        "splits": {k: len(v) for k, v in splits.items()},
        "clips_per_primitive": dict(sorted(per_primitive.items())),
        "config": {k: v for k, v in asdict(cfg).items() if k not in ("workers", "chunk_size")},
        "human_files": cfg.human,
        "stats_from": "train",
    }
    save_text(partial / layout.META_FILE, json.dumps(meta, indent=2) + "\n")
    (partial / PARTIAL_MARKER).unlink()
    if out.exists():
        old = out.with_name(out.name + f".old-{os.getpid()}")
        out.rename(old)
        partial.rename(out)
        shutil.rmtree(old)
    else:
        partial.rename(out)
    meta["build_seconds"] = elapsed
    return meta
