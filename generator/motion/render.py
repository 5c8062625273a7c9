"""Stick-figure video of human motions (mp4 or gif by extension), headless, for looking at what was generated.

One matplotlib figure (Agg) is drawn once with its static parts (ground grid, caption, full root trace); each frame
then only restores that background and redraws the moving artists, which keeps a 6 s clip to a few seconds of CPU.
The camera is an orthographic view from the front-right and above; it frames the whole clip, or follows the body
when the clip travels far.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import imageio.v2 as imageio
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from PIL import Image
from scipy.ndimage import uniform_filter1d

from generator.motion.errors import InputError, atomic_path
from generator.motion.file import HumanMotion
from generator.motion.skeleton import JOINT_NAMES, PARENTS

VIDEO_SUFFIXES = (".mp4", ".gif")
FOLLOW_ZOOM = 1.5  # follow the body when that shows it this much larger than a view of the whole clip
_SIDE_COLORS = {"left": "#1f77b4", "right": "#d62728", "center": "#333333"}
_WALKED_COLOR = "#2ca02c"

MIN_SIZE, MAX_SIZE = 64, 4096  # pixels per side of one panel


@dataclass(frozen=True)
class Camera:
    """A fixed orthographic view: azimuth about the vertical (0 = in front of a +Z-facing body), elevation (rad)."""

    azimuth: float = np.deg2rad(35.0)
    elevation: float = np.deg2rad(20.0)

    def axes(self) -> tuple[np.ndarray, np.ndarray]:
        """Screen right and screen up as world (y-up) unit vectors."""
        ca, sa, ce, se = np.cos(self.azimuth), np.sin(self.azimuth), np.cos(self.elevation), np.sin(self.elevation)
        towards_camera = np.array([sa * ce, se, ca * ce])
        right = np.cross([0.0, 1.0, 0.0], towards_camera)
        right /= np.linalg.norm(right)
        return right, np.cross(towards_camera, right)

    def project(self, points: np.ndarray) -> np.ndarray:
        """(..., 3) world points -> (..., 2) screen coordinates (metres)."""
        right, up = self.axes()
        return np.stack([points @ right, points @ up], axis=-1)


def _bone_sides() -> dict[str, list[int]]:
    """Bones (named by their child joint) grouped by body side, for colouring."""
    sides: dict[str, list[int]] = {"left": [], "right": [], "center": []}
    for j in range(1, len(PARENTS)):
        name = JOINT_NAMES[j]
        sides["left" if name.startswith("left") else "right" if name.startswith("right") else "center"].append(j)
    return sides


class _Panel:
    """The artists of one motion in one axes: grid, trace and caption drawn once; bones, shadow, label per frame."""

    def __init__(self, ax, motion: HumanMotion, camera: Camera, title: str, follow: bool | None):
        self.motion, self.camera, self.ax = motion, camera, ax
        joints = np.asarray(motion.joints, dtype=np.float64)
        self.screen = camera.project(joints)  # (T, 22, 2)
        shadow = joints.copy()
        shadow[..., 1] = 0.0
        self.shadow = camera.project(shadow)
        root = joints[:, 0].copy()
        root[:, 1] = 0.0
        self.trace = camera.project(root)
        self.sides = _bone_sides()
        self.parents = np.asarray(PARENTS)

        ax.set_axis_off()
        bbox = ax.get_window_extent()
        self.pixel_aspect = bbox.width / bbox.height
        grid = self._grid(joints)
        pts = self.screen.reshape(-1, 2)
        full = self._window(
            np.minimum(pts.min(0), grid.reshape(-1, 2).min(0)), np.maximum(pts.max(0), grid.max((0, 1)))
        )
        # the follow window: the body's extent around its ground point over the clip, plus a margin of floor
        rel = self.screen - self.trace[:, None, :]
        rel_lo, rel_hi = rel.reshape(-1, 2).min(0) - 0.6, rel.reshape(-1, 2).max(0) + 0.6
        near = self._window(rel_lo, rel_hi)
        self.zoom = (full[1][0] - full[0][0]) / (near[1][0] - near[0][0])  # how much a following camera enlarges
        self.follow = self.zoom > FOLLOW_ZOOM if follow is None else follow
        if self.follow:
            k = max(1, int(round(motion.fps / 3)))  # centre on the ground point averaged over a third of a second
            self.centre = uniform_filter1d(self.trace, size=k, axis=0, mode="nearest")
            self.near = near
        else:
            ax.set_xlim(full[0][0], full[1][0])
            ax.set_ylim(full[0][1], full[1][1])
        if title:
            ax.set_title(textwrap.fill(title, 60), fontsize=10)

        moving = self.follow  # with a following camera the floor and the trace move too
        self.grid = LineCollection(grid, colors="#dddddd", linewidths=0.8, zorder=0, animated=moving)
        ax.add_collection(self.grid)
        self.path = ax.plot(
            self.trace[:, 0], self.trace[:, 1], color="#999999", lw=1.0, ls="--", zorder=1, animated=moving
        )[0]
        self.walked = ax.plot([], [], color=_WALKED_COLOR, lw=2.0, zorder=2, animated=True)[0]
        self.shadow_lines = LineCollection([], colors="#bbbbbb", linewidths=3.0, zorder=2, animated=True)
        ax.add_collection(self.shadow_lines)
        self.bones = {
            side: LineCollection([], colors=color, linewidths=3.0, zorder=4, animated=True)
            for side, color in _SIDE_COLORS.items()
        }
        for lc in self.bones.values():
            ax.add_collection(lc)
        self.dots = ax.plot([], [], "o", color="#222222", ms=3.0, zorder=5, animated=True)[0]
        # the frame label changes rarely: it is part of the background, redrawn only when it changes
        self.label = ax.text(0.02, 0.03, "", transform=ax.transAxes, fontsize=9, color="#444444", va="bottom")
        self.progress = ax.plot([], [], color="#888888", lw=3.0, transform=ax.transAxes, animated=True)[0]

    def _window(self, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Grow a screen rectangle by 5 % and to the axes' pixel aspect ratio, so metres are square on screen."""
        centre, half = (lo + hi) / 2, (hi - lo) / 2 * 1.05
        half = np.maximum(half, [half[1] * self.pixel_aspect, half[0] / self.pixel_aspect])
        return centre - half, centre + half

    def _grid(self, joints: np.ndarray, spacing: float = 0.5) -> np.ndarray:
        """Screen segments (N, 2, 2) of floor lines every `spacing` metres around the clip's footprint (y = 0)."""
        lo = np.floor((joints[..., [0, 2]].reshape(-1, 2).min(0) - 0.5) / spacing) * spacing
        hi = np.ceil((joints[..., [0, 2]].reshape(-1, 2).max(0) + 0.5) / spacing) * spacing
        segs = []
        for x in np.arange(lo[0], hi[0] + 1e-9, spacing):
            segs.append([[x, 0.0, lo[1]], [x, 0.0, hi[1]]])
        for z in np.arange(lo[1], hi[1] + 1e-9, spacing):
            segs.append([[lo[0], 0.0, z], [hi[0], 0.0, z]])
        return self.camera.project(np.asarray(segs))

    def artists(self) -> list:
        """What is redrawn each frame, back to front."""
        moving = [self.grid, self.path] if self.follow else []
        return [*moving, self.walked, self.shadow_lines, *self.bones.values(), self.dots, self.progress]

    def label_at(self, frame: int) -> str:
        labels = self.motion.frame_labels
        return "" if labels is None else str(labels[min(frame, self.motion.num_frames - 1)])

    def update(self, frame: int) -> None:
        t = min(frame, self.motion.num_frames - 1)
        if self.follow:
            lo, hi = self.centre[t] + self.near[0], self.centre[t] + self.near[1]
            self.ax.set_xlim(lo[0], hi[0])
            self.ax.set_ylim(lo[1], hi[1])
        pts, shadow, parents = self.screen[t], self.shadow[t], self.parents
        for side, idx in self.sides.items():
            self.bones[side].set_segments(np.stack([pts[parents[idx]], pts[idx]], axis=1))
        child = np.arange(1, len(PARENTS))
        self.shadow_lines.set_segments(np.stack([shadow[parents[child]], shadow[child]], axis=1))
        self.dots.set_data(pts[:, 0], pts[:, 1])
        self.walked.set_data(self.trace[: t + 1, 0], self.trace[: t + 1, 1])
        self.progress.set_data([0.0, (t + 1) / self.motion.num_frames], [0.005, 0.005])


def _check_output(path: Path) -> None:
    if path.suffix.lower() not in VIDEO_SUFFIXES:
        raise InputError(f"{path}: unsupported video type '{path.suffix}', use one of {', '.join(VIDEO_SUFFIXES)}")


def _save_gif(frames, path: Path, fps: float) -> None:
    """Write frames as a looping gif with one shared palette: the first frame's colours plus those of the artists,
    so that each frame is quantised as it comes (1 byte a pixel held, no flicker between frames)."""
    palette, pics = None, []
    for frame in frames:
        if palette is None:
            swatch = np.zeros((8, frame.shape[1], 3), dtype=np.uint8)
            colors = [*_SIDE_COLORS.values(), _WALKED_COLOR, "#888888", "#bbbbbb", "#dddddd"]
            for k, c in enumerate(colors):
                swatch[:, k * 8 : (k + 1) * 8] = [int(c[i : i + 2], 16) for i in (1, 3, 5)]
            sample = Image.fromarray(np.concatenate([frame, swatch], axis=0))
            palette = sample.quantize(colors=64, method=Image.Quantize.MEDIANCUT)
        pics.append(Image.fromarray(frame).quantize(palette=palette, dither=Image.Dither.NONE))
    pics[0].save(path, format="GIF", save_all=True, append_images=pics[1:], duration=1000.0 / fps, loop=0)


def render_motions(
    motions: Sequence[HumanMotion],
    path: str | Path,
    fps: float | None = None,
    stride: int = 1,
    size: tuple[int, int] = (640, 480),
    titles: Sequence[str] | None = None,
    camera: Camera = Camera(),
    follow: bool | None = None,
) -> Path:
    """Render motions side by side (one panel each, shorter ones hold their last frame) into an mp4 or gif.

    `stride` keeps every stride-th frame and lowers the video rate to match, so durations stay true; `fps` is the
    source frame rate (default: the first motion's). `size` is (width, height) in pixels of one panel. The camera
    frames the whole clip, or follows the body when `follow` (None: when the clip covers much more floor than the
    body).
    """
    path = Path(path)
    _check_output(path)
    if not motions:
        raise InputError("nothing to render: no motions given")
    if stride < 1:
        raise InputError(f"stride must be >= 1, got {stride}")
    width, height = (int(s) // 2 * 2 for s in size)  # even sizes for yuv420p
    if width < MIN_SIZE or height < MIN_SIZE:
        raise InputError(f"video size {size} is too small (at least {MIN_SIZE} x {MIN_SIZE} pixels)")
    if width > MAX_SIZE or height > MAX_SIZE:
        raise InputError(f"video size {size} is too large (at most {MAX_SIZE} x {MAX_SIZE} pixels per panel)")
    src_fps = float(fps if fps is not None else motions[0].fps)
    titles = list(titles) if titles is not None else [m.text for m in motions]

    dpi = 100
    fig = Figure(figsize=(width * len(motions) / dpi, height / dpi), dpi=dpi)  # its own Agg canvas, no pyplot state
    FigureCanvasAgg(fig)
    try:
        panels = []
        for i, (motion, title) in enumerate(zip(motions, titles)):
            ax = fig.add_axes((i / len(motions), 0.0, 1.0 / len(motions), 0.92))
            panels.append(_Panel(ax, motion, camera, title, follow))
        frames = range(0, max(m.num_frames for m in motions), stride)

        def images():
            labels, background = None, None
            for t in frames:
                if (now := [p.label_at(t) for p in panels]) != labels:
                    labels = now
                    for panel, text in zip(panels, labels):
                        panel.label.set_text(text)
                    fig.canvas.draw()  # animated artists are left out of this
                    background = fig.canvas.copy_from_bbox(fig.bbox)
                fig.canvas.restore_region(background)
                for panel in panels:
                    panel.update(t)
                    for artist in panel.artists():
                        panel.ax.draw_artist(artist)
                rgba = np.asarray(fig.canvas.buffer_rgba())
                if rgba.shape[0] < height or rgba.shape[1] < width * len(motions):  # figure rounded down a pixel
                    rgba = np.pad(
                        rgba,
                        (
                            (0, max(0, height - rgba.shape[0])),
                            (0, max(0, width * len(motions) - rgba.shape[1])),
                            (0, 0),
                        ),
                        mode="edge",
                    )
                yield rgba[:height, : width * len(motions), :3].copy()

        out_fps = src_fps / stride
        with atomic_path(path, isolated=True) as tmp:
            if path.suffix.lower() == ".gif":
                _save_gif(images(), tmp, out_fps)
            else:
                writer = imageio.get_writer(
                    tmp, format="FFMPEG", mode="I", fps=out_fps, codec="libx264", pixelformat="yuv420p",
                    macro_block_size=2, quality=6, ffmpeg_log_level="error", output_params=["-preset", "veryfast"],
                )  # fmt: skip
                try:
                    for im in images():
                        writer.append_data(im)
                finally:
                    writer.close()
    finally:
        fig.clear()  # drop the artists now rather than at garbage collection
    return path


def render_motion(
    motion: HumanMotion,
    path: str | Path,
    fps: float | None = None,
    stride: int = 1,
    size: tuple[int, int] = (640, 480),
    follow: bool | None = None,
) -> Path:
    """Render one motion as a stick figure over a ground grid with its root trace, caption, frame labels and a
    progress bar along the bottom."""
    return render_motions([motion], path, fps=fps, stride=stride, size=size, follow=follow)
