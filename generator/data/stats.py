"""Dataset figures: physical plausibility of the motions (foot skating, ground penetration, floating, joint limits,
acceleration) over a sample of clips, and label coverage (primitives, segments, caption vocabulary, lengths).

Works on any HumanML3D-272 layout: joints are decoded from the 272-D files (or read from human/<id>.npz when
present); without frame labels, flight frames (allowed to float) are none.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import numpy as np
from tqdm import tqdm

from generator.data import layout
from generator.data.layout import HumanML3D272
from generator.motion import repr272
from generator.motion.errors import InputError

# Targets of the procedural library (per clip ratios are over frames).
TARGETS = {
    "foot_skating_ratio": 0.02,  # fraction of contact frames with a sliding foot
    "penetration_m": 0.01,  # deepest joint below the floor (judged on the max over clips)
    "floating_ratio": 0.01,  # fraction of non-flight frames with no foot near the floor
}
_WORD = re.compile(r"[a-z]+")


def flight_frames(frame_labels, num_frames: int) -> np.ndarray:
    """(T,) bool: the file's explicit flight flags, else frames whose label mentions a jump, else none."""
    if frame_labels is None:
        return np.zeros(num_frames, dtype=bool)
    if frame_labels.flight is not None and len(frame_labels.flight) == num_frames:
        return np.asarray(frame_labels.flight, dtype=bool)
    per = frame_labels.per_frame[:num_frames] + [""] * max(0, num_frames - len(frame_labels.per_frame))
    return np.array(["jump" in p or "hop" in p for p in per], dtype=bool)


def _sample(ids: list[str], num: int, seed: int) -> list[str]:
    if len(ids) <= num:
        return list(ids)
    pick = np.random.default_rng(seed).choice(len(ids), size=num, replace=False)
    return [ids[i] for i in sorted(pick)]


def _summary(values: list[float]) -> dict:
    arr = np.asarray(values, dtype=np.float64)
    if arr.size == 0:
        return {"mean": None, "p95": None, "max": None}
    return {"mean": float(arr.mean()), "p95": float(np.percentile(arr, 95)), "max": float(arr.max())}


def plausibility_figures(data: HumanML3D272, ids: list[str]) -> dict:
    """Per-clip plausibility measures summarised over `ids` (mean / 95th percentile / max)."""
    from generator.motion import plausibility as P
    from generator.motion.file import load_motion

    per: dict[str, list[float]] = {}
    for cid in tqdm(ids, desc="plausibility", unit="clip", disable=None):
        human = data.human_path(cid)
        if human.is_file():
            m = load_motion(human)
            joints, rotations = m.joints.astype(np.float64), m.rotations.astype(np.float64)
        else:
            feats = data.motion(cid).astype(np.float64)
            joints = repr272.decode_joints(feats)
            rotations, _ = repr272.decode_rotations(feats)
        flight = flight_frames(data.frame_labels(cid, num_frames=len(joints)), len(joints))
        report = P.plausibility_report(joints, rotations, flight=flight, fps=layout.FPS)
        for key, value in report.items():
            if key != "frames" and isinstance(value, (int, float, np.floating, np.integer)):
                per.setdefault(key, []).append(float(value))
    return {key: _summary(vals) for key, vals in per.items()}


def coverage(data: HumanML3D272, ids: list[str]) -> dict:
    """Label coverage over `ids`: clips per primitive and per segment count, caption vocabulary, length histogram."""
    per_primitive: Counter = Counter()
    per_segments: Counter = Counter()
    lengths: list[int] = []
    vocab: set[str] = set()
    captions = 0
    labelled = 0
    for cid in tqdm(ids, desc="coverage", unit="clip", disable=None):
        n = data.num_frames(cid)
        lengths.append(n)
        for cap in data.captions(cid):
            captions += 1
            vocab.update(_WORD.findall(cap.text.lower()))
        fl = data.frame_labels(cid, num_frames=n)
        if fl is None:
            continue
        labelled += 1
        cats = (
            set(fl.sequence_categories) or {c for s in fl.segments for c in s.act_cat} or {s.label for s in fl.segments}
        )
        per_primitive.update(cats)
        per_segments[len(fl.segments)] += 1
    secs = np.asarray(lengths, dtype=np.float64) / layout.FPS
    edges = np.arange(0, max(11, int(np.ceil(secs.max())) + 1 if len(secs) else 11))
    hist, _ = np.histogram(secs, bins=edges)
    return {
        "clips": len(ids),
        "clips_with_frame_labels": labelled,
        "per_primitive": dict(sorted(per_primitive.items(), key=lambda kv: (-kv[1], kv[0]))),
        "per_segment_count": {str(k): v for k, v in sorted(per_segments.items())},
        "captions": captions,
        "vocabulary_size": len(vocab),
        "seconds": {"mean": float(secs.mean()), "min": float(secs.min()), "max": float(secs.max())}
        if len(secs)
        else {},
        "length_histogram_s": {f"{int(a)}-{int(a) + 1}": int(h) for a, h in zip(edges[:-1], hist) if h},
    }


def dataset_stats(root: str | Path, num: int = 1000, split: str = "all", seed: int = 0) -> dict:
    """Plausibility over up to `num` clips and coverage over every clip of `split` ('all' = every split)."""
    data = HumanML3D272(root)
    if split == "all":
        ids = sorted({i for s in data.splits for i in data.ids(s)})
    else:
        ids = data.ids(split)
    if not ids:
        raise InputError(f"{root}: no clips in split '{split}'")
    sample = _sample(ids, num, seed)
    for cid in sample:  # fail on an unreadable file before any progress bar starts
        data.num_frames(cid)
    report = {
        "dir": str(root),
        "split": split,
        "clips_measured": len(sample),
        "skipped": {k: len(v) for k, v in data.skipped.items()},
        "plausibility": plausibility_figures(data, sample),
        "coverage": coverage(data, ids),
        "targets": TARGETS,
    }
    return report


def _fmt(v) -> str:
    if v is None:
        return "-"
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def format_report(report: dict) -> str:
    """The report as readable tables."""
    lines = [f"dataset {report['dir']} (split {report['split']}): plausibility over {report['clips_measured']} clips"]
    if report["skipped"]:
        lines.append(f"skipped files: {report['skipped']}")
    lines.append(f"{'measure':34s} {'mean':>10s} {'p95':>10s} {'max':>10s}  target")
    for key, s in report["plausibility"].items():
        target = report["targets"].get(key)
        ok = ""
        if target is not None and s["max"] is not None:
            worst = s["max"] if key.startswith("penetration") else s["mean"]
            ok = f"< {target:g} ({'ok' if worst < target else 'MISSED'})"
        lines.append(f"{key:34s} {_fmt(s['mean']):>10s} {_fmt(s['p95']):>10s} {_fmt(s['max']):>10s}  {ok}")
    cov = report["coverage"]
    lines.append("")
    lines.append(
        f"coverage: {cov['clips']} clips ({cov['clips_with_frame_labels']} with frame labels), {cov['captions']} "
        f"captions, vocabulary {cov['vocabulary_size']} words"
    )
    if cov["per_primitive"]:
        lines.append(f"{'primitive':24s} {'clips':>7s}")
        lines += [f"{k:24s} {v:7d}" for k, v in cov["per_primitive"].items()]
    if cov["per_segment_count"]:
        lines.append(f"{'segments per clip':24s} {'clips':>7s}")
        lines += [f"{k:24s} {v:7d}" for k, v in cov["per_segment_count"].items()]
    if cov["length_histogram_s"]:
        top = max(cov["length_histogram_s"].values())
        lines.append(f"{'length (s)':24s} {'clips':>7s}")
        for k, v in cov["length_histogram_s"].items():
            lines.append(f"{k:24s} {v:7d} {'#' * max(1, round(30 * v / top))}")
    return "\n".join(lines)
