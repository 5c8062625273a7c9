"""Frame-level action labels in BABEL's JSON format: the reader for BABEL itself and for our frame_labels/*.json.

A BABEL sequence entry holds `dur` (seconds), `seq_ann` (whole-sequence labels) and `frame_ann` (segments, or null
when the sequence has a single action), each with `labels: [{raw_label, proc_label, seg_id, act_cat, start_t,
end_t}]`. Our files use the same entry schema plus `fps`, `num_frames` and the explicit `frame_labels` list.
Per-frame labels at `fps`: frame t carries every segment with start_t <= t / fps < end_t (simultaneous actions
joined by ", "), or "" when none does.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from generator.motion.errors import InputError

FPS = 30
_EPS = 1e-6  # seconds; absorbs float noise in start_t / end_t written from frame indices


@dataclass(frozen=True)
class Segment:
    """One labelled interval, [start_t, end_t) in seconds."""

    label: str
    start_t: float
    end_t: float
    act_cat: tuple[str, ...] = ()

    def frames(self, fps: float = FPS) -> tuple[int, int]:
        """[start, end) frame indices covered at `fps`."""
        return max(0, math.ceil(self.start_t * fps - _EPS * fps)), max(0, math.ceil(self.end_t * fps - _EPS * fps))


@dataclass
class FrameLabels:
    """Segments and per-frame labels of one sequence at `fps`."""

    segments: list[Segment]
    per_frame: list[str]
    fps: float = FPS
    sequence_labels: list[str] = field(default_factory=list)
    sid: str = ""
    flight: list[bool] | None = None  # frames with both feet off the ground (our files only)
    sequence_categories: list[str] = field(default_factory=list)  # act_cat of the sequence labels

    @property
    def num_frames(self) -> int:
        return len(self.per_frame)

    def crop(self, start: int, end: int) -> FrameLabels:
        """Labels of frames [start, end), segments shifted and clipped to the crop."""
        t0, t1 = start / self.fps, end / self.fps
        segs = [
            Segment(s.label, max(s.start_t, t0) - t0, min(s.end_t, t1) - t0, s.act_cat)
            for s in self.segments
            if s.end_t > t0 + _EPS and s.start_t < t1 - _EPS
        ]
        flight = None if self.flight is None else self.flight[start:end]
        return FrameLabels(
            segs, self.per_frame[start:end], self.fps, list(self.sequence_labels), self.sid, flight,
            list(self.sequence_categories),
        )  # fmt: skip


def per_frame_labels(segments: list[Segment], num_frames: int, fps: float = FPS) -> list[str]:
    """Label of every frame: the segments covering it (in segment order, joined by ", "), or ""."""
    per: list[list[str]] = [[] for _ in range(num_frames)]
    for seg in segments:
        a, b = seg.frames(fps)
        for t in range(a, min(b, num_frames)):
            if seg.label not in per[t]:
                per[t].append(seg.label)
    return [", ".join(p) for p in per]


def _labels(ann) -> list[dict]:
    if ann is None:
        return []
    if not isinstance(ann, dict) or not isinstance(ann.get("labels", []), list):
        raise InputError("annotation is not a {'labels': [...]} object")
    return [lab for lab in ann.get("labels", []) if isinstance(lab, dict)]


def _label_text(lab: dict) -> str:
    return str(lab.get("proc_label") or lab.get("raw_label") or "").strip()


def _act_cat(lab: dict) -> tuple[str, ...]:
    cats = lab.get("act_cat") or ()
    return tuple(str(c) for c in cats) if isinstance(cats, (list, tuple)) else (str(cats),)


def frame_labels_from_entry(entry: dict, fps: float = FPS, num_frames: int | None = None) -> FrameLabels:
    """FrameLabels of one BABEL-format sequence entry (ours or BABEL's; 'extra' files use the first annotator).

    `num_frames` defaults to the entry's `num_frames`, else round(dur * fps). A null `frame_ann` (single-action
    sequence) labels the whole duration with the sequence labels, as BABEL intends.
    """
    if not isinstance(entry, dict):
        raise InputError("BABEL entry is not a JSON object")
    seq_ann = entry.get("seq_ann")
    frame_ann = entry.get("frame_ann")
    if seq_ann is None and isinstance(entry.get("seq_anns"), list) and entry["seq_anns"]:
        seq_ann = entry["seq_anns"][0]
    if frame_ann is None and isinstance(entry.get("frame_anns"), list) and entry["frame_anns"]:
        frame_ann = entry["frame_anns"][0]
    try:
        dur = float(entry.get("dur", 0.0) or 0.0)
        fps = float(entry.get("fps", fps))
    except (TypeError, ValueError):
        raise InputError("BABEL entry has a non-numeric 'dur' or 'fps'") from None
    if num_frames is None:
        num_frames = int(entry["num_frames"]) if "num_frames" in entry else int(round(dur * fps))
    seq_labels = [t for t in (_label_text(lab) for lab in _labels(seq_ann)) if t]
    segments: list[Segment] = []
    for lab in _labels(frame_ann):
        try:
            start, end = float(lab["start_t"]), float(lab["end_t"])
        except (KeyError, TypeError, ValueError):
            raise InputError(f"frame label {lab.get('seg_id', '?')} lacks numeric start_t / end_t") from None
        if end > start and _label_text(lab):
            segments.append(Segment(_label_text(lab), start, end, _act_cat(lab)))
    if frame_ann is None and seq_labels:
        full = num_frames / fps if num_frames else dur
        cats = [_act_cat(lab) for lab in _labels(seq_ann) if _label_text(lab)]
        segments = [Segment(t, 0.0, full, c) for t, c in zip(seq_labels, cats)]
    segments.sort(key=lambda s: (s.start_t, s.end_t))
    explicit = entry.get("frame_labels")
    if isinstance(explicit, list) and len(explicit) == num_frames:
        per = [str(x) for x in explicit]
    else:
        per = per_frame_labels(segments, num_frames, fps)
    flight = entry.get("flight")
    flight = [bool(x) for x in flight] if isinstance(flight, list) and len(flight) == num_frames else None
    seq_cats = sorted({c for lab in _labels(seq_ann) for c in _act_cat(lab)})
    return FrameLabels(segments, per, fps, seq_labels, str(entry.get("babel_sid", "")), flight, seq_cats)


def _read_json(path: str | Path):
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: not valid JSON ({e})") from None


def read_babel(path: str | Path, fps: float = FPS) -> dict[str, FrameLabels]:
    """A BABEL split file (train.json, val.json, extra_*.json): {babel_sid: FrameLabels}; `feat_p` kept as sid map."""
    data = _read_json(path)
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a JSON object keyed by babel_sid")
    out = {}
    for sid, entry in data.items():
        try:
            out[str(sid)] = frame_labels_from_entry(entry, fps=fps)
        except InputError as e:
            raise InputError(f"{path}: sequence {sid}: {e}") from None
    return out


def babel_feature_paths(path: str | Path) -> dict[str, str]:
    """{babel_sid: feat_p} of a BABEL split file: the AMASS npz each sequence labels."""
    data = _read_json(path)
    return {str(k): str(v.get("feat_p", "")) for k, v in data.items() if isinstance(v, dict)}


def read_frame_labels(path: str | Path, num_frames: int | None = None) -> FrameLabels:
    """One of our frame_labels/<id>.json files (a single BABEL-format entry)."""
    try:
        return frame_labels_from_entry(_read_json(path), num_frames=num_frames)
    except InputError as e:
        raise InputError(f"{path}: {e}") from None


def make_entry(
    sid: str,
    segments: list[Segment],
    per_frame: list[str],
    sequence_labels: list[str],
    fps: float = FPS,
    sequence_categories: list[str] | None = None,
    flight=None,
) -> dict:
    """A BABEL-format entry for our frame_labels/<id>.json (the reader above returns exactly these labels)."""
    n = len(per_frame)
    entry = {
        "babel_sid": sid,
        "dur": round(n / fps, 6),
        "fps": fps,
        "num_frames": n,
        "seq_ann": {
            "labels": [
                {"raw_label": t, "proc_label": t, "seg_id": f"{sid}_seq{k}", "act_cat": list(sequence_categories or [])}
                for k, t in enumerate(sequence_labels)
            ]
        },
        "frame_ann": {
            "labels": [
                {
                    "raw_label": s.label,
                    "proc_label": s.label,
                    "seg_id": f"{sid}_{k}",
                    "act_cat": list(s.act_cat),
                    "start_t": round(s.start_t, 6),
                    "end_t": round(s.end_t, 6),
                }  # fmt: skip
                for k, s in enumerate(segments)
            ]
        },
        "frame_labels": list(per_frame),
    }
    if flight is not None:
        entry["flight"] = [int(bool(x)) for x in flight]
    return entry
