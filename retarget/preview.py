"""Preview video of a retarget: the G1 rendered offscreen by MuJoCo beside the human stick figure (same view).

Offscreen OpenGL: MUJOCO_GL=egl (GPU machines) or osmesa (CPU; Debian package libosmesa6). When MUJOCO_GL is not
set, the backend is picked before the first renderer is made: egl where an NVIDIA or DRI render device exists,
else osmesa. Shadows and multisampling are off, which keeps osmesa at about 0.1 s per 480x360 frame.
"""

from __future__ import annotations

import ctypes.util
import glob
import os
from pathlib import Path

import imageio.v2 as imageio
import mujoco
import numpy as np
from PIL import Image, ImageDraw

from generator.motion.errors import InputError, atomic_path
from generator.motion.skeleton import JOINT_NAMES, PARENTS
from retarget import robot
from retarget.robot_motion import RobotMotion

AZIMUTH, ELEVATION, DISTANCE = 145.0, -12.0, 3.2  # MuJoCo free-camera angles (degrees) and distance (m)
SIDE_COLORS = {"left": (31, 119, 180), "right": (214, 39, 40), "center": (60, 60, 60)}


class PreviewUnavailable(InputError):
    """Offscreen rendering cannot start on this machine (no usable EGL or OSMesa)."""


def _select_gl_backend() -> str:
    """Install an offscreen GL context class into MuJoCo's renderer when MUJOCO_GL was not chosen by the user."""
    from mujoco.rendering.classic import gl_context

    chosen = os.environ.get("MUJOCO_GL", "").lower()
    if chosen in ("egl", "osmesa"):
        return chosen
    if os.environ.get("DISPLAY"):
        return "glfw"
    has_gpu = bool(glob.glob("/dev/nvidia[0-9]*") or glob.glob("/dev/dri/renderD*"))
    backend = "egl" if has_gpu or not ctypes.util.find_library("OSMesa") else "osmesa"
    os.environ.setdefault("PYOPENGL_PLATFORM", backend)
    if backend == "egl":
        from mujoco.egl import GLContext
    else:
        from mujoco.osmesa import GLContext
    gl_context.GLContext = GLContext
    return backend


def make_renderer(model: mujoco.MjModel, height: int, width: int) -> mujoco.Renderer:
    """An offscreen MuJoCo renderer, or PreviewUnavailable with one line saying what to install."""
    try:
        _select_gl_backend()
        return mujoco.Renderer(model, height, width)
    except Exception as e:  # noqa: BLE001 - any GL start-up failure means the same thing to the user
        raise PreviewUnavailable(
            f"cannot start offscreen rendering ({type(e).__name__}); set MUJOCO_GL=egl (GPU) or osmesa "
            "(apt-get install libosmesa6)"
        ) from None


def _camera_axes() -> tuple[np.ndarray, np.ndarray]:
    az, el = np.deg2rad(AZIMUTH), np.deg2rad(ELEVATION)
    forward = np.array([np.cos(el) * np.cos(az), np.cos(el) * np.sin(az), np.sin(el)])
    right = np.cross(forward, [0.0, 0.0, 1.0])
    right /= np.linalg.norm(right)
    return right, np.cross(right, forward)


def _stick_figure(joints: np.ndarray, center: np.ndarray, size: tuple[int, int], title: str) -> np.ndarray:
    """Draw human joints (22, 3, robot frame) as a stick figure seen from the preview camera (orthographic)."""
    w, h = size
    img = Image.new("RGB", (w, h), (235, 238, 242))
    draw = ImageDraw.Draw(img)
    right, up = _camera_axes()
    scale = h / 2.6  # pixels per metre: about the MuJoCo view's framing at DISTANCE
    look = center.copy()

    def px(p: np.ndarray) -> tuple[float, float]:
        d = p - look
        return (w / 2 + scale * float(d @ right), h * 0.55 - scale * float(d @ up))

    for k in np.arange(-3, 4):  # ground grid around the pelvis, 0.5 m spacing
        gx = np.floor(center[0] * 2) / 2 + k * 0.5
        gy = np.floor(center[1] * 2) / 2 + k * 0.5
        draw.line([px(np.array([gx, center[1] - 1.5, 0])), px(np.array([gx, center[1] + 1.5, 0]))], (200, 204, 210))
        draw.line([px(np.array([center[0] - 1.5, gy, 0])), px(np.array([center[0] + 1.5, gy, 0]))], (200, 204, 210))
    for j in range(1, len(PARENTS)):
        side = (
            "left" if JOINT_NAMES[j].startswith("left") else "right" if JOINT_NAMES[j].startswith("right") else "center"
        )
        draw.line([px(joints[PARENTS[j]]), px(joints[j])], fill=SIDE_COLORS[side], width=4)
    for p in joints:
        x, y = px(p)
        draw.ellipse([x - 3, y - 3, x + 3, y + 3], fill=(20, 20, 20))
    draw.text((8, 8), title[:60], fill=(0, 0, 0))
    return np.asarray(img)


def render_preview(
    motion: RobotMotion,
    human_joints: np.ndarray | None,
    path: str | Path,
    human_fps: float = 30.0,
    stride: int = 2,
    size: tuple[int, int] = (480, 360),
) -> Path:
    """Write an mp4 of the robot motion (left) beside the human joints (T, 22, 3, robot frame; right, optional).

    `stride` keeps every stride-th robot frame (the video rate drops to match, so durations stay true).
    """
    path = Path(path)
    if path.suffix.lower() != ".mp4":
        raise InputError(f"{path}: preview must be an .mp4 file")
    if stride < 1:
        raise InputError(f"stride must be >= 1, got {stride}")
    w, h = (int(s) // 2 * 2 for s in size)
    model = robot.load_model(floor=True)
    model.vis.quality.shadowsize = 0
    model.light_castshadow[:] = 0
    model.vis.quality.offsamples = 0
    data = mujoco.MjData(model)
    renderer = make_renderer(model, h, w)
    cam = mujoco.MjvCamera()
    cam.type = mujoco.mjtCamera.mjCAMERA_FREE
    cam.azimuth, cam.elevation, cam.distance = AZIMUTH, ELEVATION, DISTANCE
    qpos = motion.qpos
    try:
        with atomic_path(path, suffix=".mp4", isolated=True) as tmp:
            writer = imageio.get_writer(
                tmp, format="FFMPEG", mode="I", fps=motion.fps / stride, codec="libx264", pixelformat="yuv420p",
                macro_block_size=2, quality=6, ffmpeg_log_level="error",
            )  # fmt: skip
            try:
                for t in range(0, len(qpos), stride):
                    data.qpos[:] = qpos[t]
                    mujoco.mj_kinematics(model, data)
                    center = np.array([qpos[t, 0], qpos[t, 1], 0.75])
                    cam.lookat[:] = center
                    renderer.update_scene(data, camera=cam)
                    frame = renderer.render()
                    if human_joints is not None:
                        ht = min(int(round(t / motion.fps * human_fps)), len(human_joints) - 1)
                        hj = human_joints[ht]
                        human = _stick_figure(hj, np.array([hj[0, 0], hj[0, 1], 0.75]), (w, h), motion.source_text)
                        frame = np.concatenate([frame, human], axis=1)
                    writer.append_data(frame)
            finally:
                writer.close()
    finally:
        renderer.close()
    return path
