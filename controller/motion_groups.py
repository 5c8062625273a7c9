"""The tracker's motion sets: retargeted procedural clips, in two groups, built reproducibly from a seed.

- in-place: idle, wave, raise arms, clap, punch, point, reach up, bow, squat, crouch;
- locomotion: walk, walk backward, side step, turn (walking speeds at most `max_speed`, 1 m/s by default).

Training and evaluation sets differ only in the seed (evaluation uses `EVAL_SEED`, which training never uses), so
evaluation clips are unseen variations (sides, speeds, depths, durations) of the trained actions.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from tqdm import tqdm

IN_PLACE = ("idle", "wave", "raise_arms", "clap", "punch", "point", "reach_up", "bow", "squat", "crouch")
LOCOMOTION = ("walk", "walk_backward", "side_step", "turn")
GROUPS = {"in_place": IN_PLACE, "locomotion": LOCOMOTION}
EVAL_SEED = 1_000_003  # the evaluation set's seed; training commands never use it
MAX_SPEED = 1.0


def clip_seed(seed: int, primitive: str, k: int) -> int:
    """The procedural seed of clip k of a primitive in the set with `seed` (stable across runs and machines)."""
    return (seed * 1_000_003 + sum(map(ord, primitive)) * 101 + k) % 2**32


def _composition(seed: int, max_speed: float):
    """The first procedural composition from `seed` on whose primitives all lie in the two groups and whose walks
    stay under `max_speed` (sequences such as "walk then wave" and layers such as "walk while waving")."""
    from generator.procedural import generate_clip

    allowed = set(IN_PLACE) | set(LOCOMOTION)
    for attempt in range(10_000):
        clip = generate_clip((seed + attempt * 7919) % 2**32, min_seconds=3.0, max_seconds=8.0)
        speeds = [float(p.get("speed", 0.0)) for p in clip.params]
        if len(clip.primitives) > 1 and set(clip.primitives) <= allowed and max(speeds) <= max_speed:
            return clip
    raise RuntimeError("no composition of the allowed primitives found")


def set_jobs(per_primitive: int, mixed: int, locomotion: int | None = None) -> list[tuple[str, str, int]]:
    """(group, primitive or 'mixed', k) of every clip of a set, in file order; `locomotion` clips per locomotion
    primitive (default `per_primitive`). Clip k is the same clip whatever the counts, so sets only grow."""
    count = {"in_place": per_primitive, "locomotion": per_primitive if locomotion is None else locomotion}
    jobs = [(g, name, k) for g, names in GROUPS.items() for name in names for k in range(count[g])]
    return jobs + [("mixed", "mixed", k) for k in range(mixed)]


def procedural_clip(name: str, k: int, seed: int, max_speed: float = MAX_SPEED):
    """Clip k of primitive `name` (or of the compositions, name 'mixed') in the set with `seed`."""
    from generator.procedural import PRIMITIVES, generate_primitive_clip

    s = clip_seed(seed, name, k)
    if name == "mixed":
        return _composition(s, max_speed)
    params = PRIMITIVES[name].sample(np.random.default_rng(s), 3.0)
    if "speed" in params:
        params["speed"] = min(float(params["speed"]), max_speed)
    return generate_primitive_clip(name, seed=s, **params)


def build_motion_set(
    out: str | Path,
    seed: int,
    per_primitive: int,
    max_speed: float = MAX_SPEED,
    mixed: int = 0,
    locomotion: int | None = None,
    generated: int = 0,
    generator_ckpt: str | Path | None = None,
) -> list[Path]:
    """Write `out/<group>/<primitive>_<k>.npz` robot motions (`locomotion` clips per locomotion primitive, default
    `per_primitive`), plus `mixed` compositions in `out/mixed/` and `generated` generator motions in
    `out/generated/`; returns the paths (existing files are kept)."""
    from generator.data.gallery import clip_to_motion
    from retarget.pipeline import retarget_motion

    out = Path(out)
    jobs = set_jobs(per_primitive, mixed, locomotion)
    paths = []
    for group, name, k in tqdm(jobs, desc="motions", unit="clip"):
        path = out / group / f"{name}_{k}.npz"
        paths.append(path)
        if path.exists():
            continue
        motion = retarget_motion(clip_to_motion(procedural_clip(name, k, seed, max_speed))).motion
        path.parent.mkdir(parents=True, exist_ok=True)
        motion.save(path)
    if generated:
        paths += build_generated(out / "generated", seed, generated, generator_ckpt, max_speed)
    return paths


def generated_prompt(k: int, seed: int, max_speed: float = MAX_SPEED) -> tuple[str, int]:
    """(caption, frames) of generated clip k: the first caption and the length of composition k of the set's
    compositions, so the generator is asked for the same kinds of sequences the procedural groups hold."""
    clip = _composition(clip_seed(seed, "generated", k), max_speed)
    return clip.captions[0], len(clip.joints)


def build_generated(
    out: Path, seed: int, count: int, ckpt: str | Path | None = None, max_speed: float = MAX_SPEED
) -> list[Path]:
    """Write `out/gen_<k>.npz`: the shipped (or `ckpt`) generator's motions for `count` composition captions,
    retargeted, so the tracker also trains on the motions the demo will ask it to track (their artefacts
    included). Sampling seed `seed + k`: clip k is the same clip whatever `count` is."""
    from generator.model.checkpoint import DEFAULT_DIR
    from generator.motion.file import HumanMotion
    from generator.sampling.sampler import load_sampler, sample_options
    from retarget.pipeline import retarget_motion

    sampler, _ = load_sampler(DEFAULT_DIR if ckpt is None else ckpt)
    max_frames = sampler.model.cfg.model.max_frames
    paths = [out / f"gen_{k}.npz" for k in range(count)]
    todo = [k for k in range(count) if not paths[k].exists()]
    for k in tqdm(todo, desc="generated", unit="clip"):  # one sample per call: its seed alone decides it
        text, frames = generated_prompt(k, seed, max_speed)
        feats = sampler.generate([text], [min(frames, max_frames)], sample_options(sampler.model.cfg, seed + k))[0]
        motion = retarget_motion(HumanMotion.from_features(feats, text=text)).motion
        out.mkdir(parents=True, exist_ok=True)
        motion.save(paths[k])
    return paths
