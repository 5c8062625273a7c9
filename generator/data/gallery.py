"""A video gallery of the procedural motion library: one stick-figure mp4 per primitive, to eyeball the data."""

from __future__ import annotations

from pathlib import Path

from tqdm import tqdm

from generator.motion.file import HumanMotion


def clip_to_motion(clip) -> HumanMotion:
    """A procedural clip as a canonical human motion (first caption as text, per-frame labels kept)."""
    labels = [str(x) for x in clip.frame_labels]
    return HumanMotion.from_joints_rotations(
        clip.joints, clip.rotations, text=clip.captions[0], frame_labels=labels, fps=float(clip.fps)
    )


def render_gallery(out: str | Path, seed: int = 0, stride: int = 1) -> list[Path]:
    """Render `out/<primitive>.mp4` for every primitive of the library; returns the written paths."""
    from generator.motion.render import render_motion
    from generator.procedural import PRIMITIVES, generate_primitive_clip

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for k, name in enumerate(tqdm(list(PRIMITIVES), desc="primitives", unit="video")):
        clip = generate_primitive_clip(name, seed=seed + k)
        paths.append(render_motion(clip_to_motion(clip), out / f"{name}.mp4", stride=stride))
    return paths
