"""Random, seed-reproducible compositions of 1-4 primitives ("walk then wave", "jump twice", "walk while waving").

Primitives start and end in the neutral stance, so sequencing is continuous in position, heading and pose; an
arms-only primitive layered on a locomotion base is cross-faded in on the arms (legs from the base).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from generator.procedural import captions as cap
from generator.procedural.catalog import PRIMITIVES, PrimitiveSpec
from generator.procedural.ik import normalize
from generator.procedural.pose import solve
from generator.procedural.track import FPS, Track, arc_blend, concat, envelope

TRANSITION_FRAMES = 4  # frames each side of an internal boundary labelled "transition"
LAYER_RAMP = 10  # frames to cross-fade an arms layer in and out
COUNT_PROBS = (0.3, 0.35, 0.23, 0.12)  # 1, 2, 3, 4 primitives
LAYER_PROB = 0.3
REPEAT_PROB = 0.2


@dataclass
class Clip:
    """A labelled motion: world joints (y-up, floor y=0), local rotations, captions and per-frame action labels."""

    joints: np.ndarray  # (T, 22, 3) float32
    rotations: np.ndarray  # (T, 22, 3, 3) float32, parent-relative (root = world orientation)
    root_translation: np.ndarray  # (T, 3) float32, the pelvis joint
    captions: list[str]
    frame_labels: list[str]
    segments: list[tuple[str, int, int]]  # (label, start, end exclusive)
    primitives: list[str]
    flight: np.ndarray  # (T,) bool
    fps: int = FPS
    boundaries: list[int] = field(default_factory=list)  # first frame of each primitive after the first
    params: list[dict] = field(default_factory=list)

    @property
    def num_frames(self) -> int:
        return int(self.joints.shape[0])


def segments_of(labels: list[str]) -> list[tuple[str, int, int]]:
    """Run-length segments (label, start, end exclusive) of per-frame labels."""
    out: list[tuple[str, int, int]] = []
    start = 0
    for i in range(1, len(labels) + 1):
        if i == len(labels) or labels[i] != labels[start]:
            out.append((labels[start], start, i))
            start = i
    return out


def _layer(base: Track, arms: Track, sides: tuple[int, ...], label: str) -> Track:
    """Put an arms-only track on top of `base` (centred in time), cross-fading the arms in and out."""
    out = base.copy()
    off = max(0, (base.n - arms.n) // 2)
    m = min(arms.n, base.n - off)
    w = envelope(m, LAYER_RAMP, LAYER_RAMP)
    win = slice(off, off + m)
    for s in sides:
        out.hand[win, s] = arc_blend(base.hand[win, s], arms.hand[:m, s], w)
        out.pole[win, s] = normalize(base.pole[win, s] * (1 - w)[:, None] + arms.pole[:m, s] * w[:, None])
        out.wrist[win, s] = base.wrist[win, s] * (1 - w)[:, None] + arms.wrist[:m, s] * w[:, None]
        out.collar[win, s] = base.collar[win, s] * (1 - w)[:, None] + arms.collar[:m, s] * w[:, None]
    if not sides:  # head-only layer (look around)
        out.head[win] = base.head[win] * (1 - w)[:, None, None] + arms.head[:m] * w[:, None, None]
    active = np.zeros(base.n, bool)
    active[win] = w > 0.5
    out.labels = np.where(active, np.char.add(base.labels.astype(str), "+" + label), base.labels).astype(object)
    return out


def _build_step(rng: np.random.Generator, spec: PrimitiveSpec, budget: float) -> tuple[Track, dict, list[str]]:
    """Sample and build one step (with an optional repeat or arms layer); returns its track, caption step, names."""
    params = spec.sample(rng, budget)
    step: dict = {"phrases": spec.phrases(params)}
    names = [spec.name]
    layer_spec = None
    if spec.layer_base and rng.random() < LAYER_PROB:
        arms = [s for s in PRIMITIVES.values() if s.kind == "arms"]
        layer_spec = arms[int(rng.integers(len(arms)))]
        layer_params = layer_spec.sample(rng, budget)
        arms_track = layer_spec.build(**layer_params)
        need = arms_track.n / FPS + 2 * LAYER_RAMP / FPS + 0.6
        if "duration" in params:
            params["duration"] = max(params["duration"], need)
        elif "steps" in params and spec.name == "march":
            params["steps"] = max(params["steps"], int(np.ceil(need * 1.6)))
    track = spec.build(**params)
    if layer_spec is not None:
        sides = layer_spec.arm_sides(layer_params)
        label = arms_track.labels[len(arms_track.labels) // 2]
        track = _layer(track, arms_track, sides, str(label))
        step["layer"] = layer_spec.phrases(layer_params)
        names.append(layer_spec.name)
        params = {**params, "layer": layer_spec.name, "layer_params": layer_params}
    elif spec.repeatable and rng.random() < REPEAT_PROB:
        reps = 2 if rng.random() < 0.75 else 3
        step["repeat"] = reps
        track = concat([track] * reps)
        params = {**params, "repeat": reps}
    return track, {**step, "params": params, "name": spec.name}, names


def _realise(track: Track, steps: list[dict], names: list[str], rng: np.random.Generator,
             boundaries: list[int]) -> Clip:  # fmt: skip
    rot, joints, root = solve(track)
    labels = [str(x) for x in track.labels]
    for b in boundaries:
        for i in range(max(0, b - TRANSITION_FRAMES), min(len(labels), b + TRANSITION_FRAMES)):
            labels[i] = "transition"
    return Clip(
        joints=joints.astype(np.float32), rotations=rot.astype(np.float32), root_translation=root.astype(np.float32),
        captions=cap.captions(rng, steps), frame_labels=labels, segments=segments_of(labels), primitives=names,
        flight=track.flight.copy(), boundaries=list(boundaries), params=[s["params"] for s in steps],
    )  # fmt: skip


def generate_primitive_clip(name: str, seed: int = 0, **params) -> Clip:
    """One primitive; unspecified parameters are drawn from `seed`."""
    if name not in PRIMITIVES:
        raise KeyError(f"unknown primitive {name!r}; known: {', '.join(sorted(PRIMITIVES))}")
    spec = PRIMITIVES[name]
    rng = np.random.default_rng(seed)
    p = {**spec.sample(rng, 3.0), **params}
    track = spec.build(**p)
    return _realise(track, [{"phrases": spec.phrases(p), "params": p, "name": name}], [name], rng, [])


def generate_clip(seed: int, min_seconds: float = 2.0, max_seconds: float = 10.0) -> Clip:
    """A random composition of 1-4 primitives lasting about min_seconds..max_seconds, reproducible from `seed`."""
    if not (0 < min_seconds <= max_seconds):
        raise ValueError(f"need 0 < min_seconds <= max_seconds, got {min_seconds}, {max_seconds}")
    rng = np.random.default_rng(seed)
    count = int(rng.choice(len(COUNT_PROBS), p=COUNT_PROBS)) + 1
    total = float(rng.uniform(min_seconds, max_seconds))
    names_all = list(PRIMITIVES)
    tracks: list[Track] = []
    steps: list[dict] = []
    names: list[str] = []
    frames_used = 0
    max_frames = int(round(max_seconds * FPS))
    for k in range(count):
        budget = max(1.0, (total - frames_used / FPS) / (count - k))
        for _attempt in range(4):
            spec = PRIMITIVES[names_all[int(rng.integers(len(names_all)))]]
            track, step, step_names = _build_step(rng, spec, budget)
            if frames_used + track.n - (1 if tracks else 0) <= max_frames:
                break
        else:
            continue
        tracks.append(track)
        steps.append(step)
        names += step_names
        frames_used += track.n - (1 if len(tracks) > 1 else 0)
    min_frames = int(np.ceil(min_seconds * FPS))
    if not tracks or frames_used < min_frames:
        spec = PRIMITIVES["idle"]
        need = max(min_frames - frames_used, 1) + (1 if tracks else 0)
        params = {"duration": need / FPS}
        tracks.append(spec.build(**params))
        steps.append({"phrases": spec.phrases(params), "params": params, "name": "idle"})
        names.append("idle")
    boundaries = list(np.cumsum([t.n - 1 for t in tracks[:-1]]) + 1) if len(tracks) > 1 else []
    track = concat(tracks)
    if track.n > max_frames:
        track = track.slice(0, max_frames)
        boundaries = [b for b in boundaries if b < max_frames]
    return _realise(track, steps, names, rng, [int(b) for b in boundaries])
