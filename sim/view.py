"""`python -m sim.view ROLLOUT.npz [-o OUT.mp4]`: look at a rollout with a translucent ghost of its reference.

With a display (DISPLAY set) and no -o, the MuJoCo passive viewer plays it; otherwise an mp4 is rendered offscreen
(MUJOCO_GL=egl) with a tracking camera, contact-force arrows and a small score overlay.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import imageio.v2 as imageio
import mujoco
import numpy as np
from PIL import Image, ImageDraw
from tqdm import tqdm

from generator.motion.errors import CliParser, InputError, atomic_path, cli_entry, seed_arg
from retarget import robot
from retarget.preview import make_renderer
from sim.rollout import Rollout, load_rollout
from sim.scene import G1Scene, build_scene

GHOST_RGBA = np.array([0.25, 0.55, 1.0, 0.3], dtype=np.float32)
FORCE_RGBA = np.array([0.9, 0.1, 0.1, 1.0], dtype=np.float32)
ARROW_M_PER_N = 0.0025
FOOT_BODY_IDX = [robot.BODY_INDEX[b] for b in robot.FOOT_BODIES]


def _state_data(scene: G1Scene) -> tuple[mujoco.MjData, mujoco.MjData]:
    return mujoco.MjData(scene.model), mujoco.MjData(scene.model)


def set_frame(scene: G1Scene, rollout: Rollout, t: int, data: mujoco.MjData, ghost: mujoco.MjData) -> None:
    """Pose `data` at rollout frame t (with PD targets, so mj_forward yields its contact forces) and `ghost` at the
    reference's frame t."""
    scene.set_robot_state(data, rollout.qpos[t], rollout.qvel[t])
    scene.set_joint_targets(data, rollout.ctrl[t])
    mujoco.mj_forward(scene.model, data)
    scene.set_robot_state(ghost, rollout.reference.qpos[t])
    mujoco.mj_kinematics(scene.model, ghost)


def add_ghost(scene: G1Scene, ghost: mujoco.MjData, opt: mujoco.MjvOption, scn: mujoco.MjvScene) -> None:
    """Append the reference pose's robot geoms to `scn`, tinted translucent blue."""
    start = scn.ngeom
    mujoco.mjv_addGeoms(scene.model, ghost, opt, mujoco.MjvPerturb(), mujoco.mjtCatBit.mjCAT_DYNAMIC, scn)
    for i in range(start, scn.ngeom):
        scn.geoms[i].rgba[:] = GHOST_RGBA
        scn.geoms[i].segid = -1


def add_force_arrows(scene: G1Scene, rollout: Rollout, t: int, data: mujoco.MjData, scn: mujoco.MjvScene) -> None:
    """Append one red arrow per foot: the recorded floor force (summed over the foot's capsules), 2.5 mm/N, drawn from
    the floor 10 cm outboard of the foot so that the leg does not hide it."""
    for side, body in enumerate(FOOT_BODY_IDX):
        force = rollout.foot_forces[t, side]
        if np.linalg.norm(force) < 1.0 or scn.ngeom >= scn.maxgeom:
            continue
        foot = scene.body_ids[body]
        outboard = data.xmat[foot].reshape(3, 3)[:, 1] * (0.1 if side == 0 else -0.1)
        start = data.xpos[foot] + outboard
        start[2] = 0.0
        geom = scn.geoms[scn.ngeom]
        mujoco.mjv_initGeom(geom, mujoco.mjtGeom.mjGEOM_ARROW, np.zeros(3), np.zeros(3), np.zeros(9), FORCE_RGBA)
        mujoco.mjv_connector(geom, mujoco.mjtGeom.mjGEOM_ARROW, 0.025, start, start + ARROW_M_PER_N * force)
        scn.ngeom += 1


def overlay_lines(scores: dict | None) -> list[str]:
    """The few numbers drawn onto each frame."""
    if not scores:
        return []
    s = scores.get("summary", {})
    fc = scores.get("foot_contact", {})
    return [
        f"fell: {s.get('fell')}   success: {s.get('success')}",
        f"G-MPJPE {s.get('g_mpjpe_mm')} mm   slide {fc.get('slide_distance_m')} m",
        f"contact agreement {fc.get('agreement_with_reference')}",
    ]


def draw_overlay(frame: np.ndarray, lines: list[str]) -> np.ndarray:
    """Draw text lines on a dark box in the top-left corner of an RGB frame."""
    img = Image.fromarray(frame)
    draw = ImageDraw.Draw(img)
    if lines:
        width = max(draw.textlength(line) for line in lines) + 12
        draw.rectangle([4, 4, 4 + width, 8 + 14 * len(lines)], fill=(0, 0, 0))
        for i, line in enumerate(lines):
            draw.text((10, 7 + 14 * i), line, fill=(255, 255, 255))
    return np.asarray(img)


def render_video(
    scene: G1Scene,
    rollout: Rollout,
    path: str | Path,
    scores: dict | None = None,
    size: tuple[int, int] = (640, 480),
    stride: int = 1,
    ghost: bool = True,
    progress: bool = True,
) -> Path:
    """Render the rollout to an mp4 (atomic): tracking camera on the pelvis, ghost reference, per-foot contact-force
    arrows, score overlay. `stride` keeps every stride-th frame at a matching lower rate, so the duration stays true."""
    path = Path(path)
    if path.suffix != ".mp4":
        raise InputError(f"{path}: videos are written as .mp4")
    width, height = size
    model = scene.model
    if width > model.vis.global_.offwidth or height > model.vis.global_.offheight:
        raise InputError(f"video size {size} exceeds the model's offscreen buffer")
    data, ghost_data = _state_data(scene)
    cam = mujoco.MjvCamera()
    cam.type = mujoco.mjtCamera.mjCAMERA_TRACKING
    cam.trackbodyid = scene.root_body
    cam.distance, cam.elevation, cam.azimuth = 3.2, -12.0, 140.0
    opt = mujoco.MjvOption()
    lines = overlay_lines(scores)
    # Software GL (llvmpipe, no GPU) spends ~90% of a frame on shadows, reflections and multisampling: drop them.
    model.vis.quality.offsamples = 0
    renderer = make_renderer(model, height, width)  # picks the offscreen GL backend at call time
    try:
        with atomic_path(path, suffix=".mp4", isolated=True) as tmp:
            writer = imageio.get_writer(tmp, fps=rollout.fps / stride, codec="libx264", quality=7, macro_block_size=8)
            try:
                frames = range(0, rollout.num_frames, stride)
                for t in tqdm(frames, desc="render", unit="frame", disable=not progress):
                    set_frame(scene, rollout, t, data, ghost_data)
                    renderer.update_scene(data, cam, opt)
                    renderer.scene.flags[mujoco.mjtRndFlag.mjRND_SHADOW] = False
                    renderer.scene.flags[mujoco.mjtRndFlag.mjRND_REFLECTION] = False
                    if ghost:
                        add_ghost(scene, ghost_data, opt, renderer.scene)
                    add_force_arrows(scene, rollout, t, data, renderer.scene)
                    text = [f"t = {t / rollout.fps:5.2f} s  (frame {t})", *lines]
                    writer.append_data(draw_overlay(renderer.render(), text))
            finally:
                writer.close()
    finally:
        renderer.close()
    return path


def view_interactive(scene: G1Scene, rollout: Rollout, loop: bool = True) -> None:
    """Play the rollout in MuJoCo's passive viewer at real time, with the ghost reference in the user scene."""
    import mujoco.viewer

    data, ghost_data = _state_data(scene)
    opt = mujoco.MjvOption()
    with mujoco.viewer.launch_passive(scene.model, data) as viewer:
        while viewer.is_running():
            for t in range(rollout.num_frames):
                if not viewer.is_running():
                    return
                start = time.perf_counter()
                with viewer.lock():
                    set_frame(scene, rollout, t, data, ghost_data)
                    viewer.user_scn.ngeom = 0
                    add_ghost(scene, ghost_data, opt, viewer.user_scn)
                    add_force_arrows(scene, rollout, t, data, viewer.user_scn)
                viewer.sync()
                time.sleep(max(0.0, 1.0 / rollout.fps - (time.perf_counter() - start)))
            if not loop:
                return


def load_scores_beside(rollout_path: Path) -> dict | None:
    """Scores next to a rollout (ROLLOUT.scores.json, else scores.json in its folder as the demo writes), if any."""
    for p in (rollout_path.with_suffix(".scores.json"), rollout_path.parent / "scores.json"):
        if p.exists():
            try:
                return json.loads(p.read_text())
            except json.JSONDecodeError:
                return None
    return None


def build_parser() -> argparse.ArgumentParser:
    p = CliParser(
        prog="python -m sim.view", description=__doc__, formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    p.add_argument("rollout", help="rollout .npz written by sim.replay")
    p.add_argument(
        "-o",
        "--out",
        default=None,
        help="render this mp4 instead of opening the viewer (without a display: ROLLOUT.mp4)",
    )
    p.add_argument("--scores", default=None, help="scores .json for the overlay (default: ROLLOUT.scores.json)")
    p.add_argument("--width", type=int, default=640, help="video width in pixels")
    p.add_argument("--height", type=int, default=480, help="video height in pixels")
    p.add_argument("--stride", type=int, default=1, help="render every stride-th frame")
    p.add_argument("--no-ghost", action="store_true", help="hide the translucent reference")
    p.add_argument("--seed", type=seed_arg, default=0, help="seed (rendering is deterministic; recorded for symmetry)")
    return p


@cli_entry
def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not (16 <= args.width <= 1280 and 16 <= args.height <= 720):
        raise InputError(f"video size {args.width}x{args.height} outside 16x16 .. 1280x720")
    if args.stride < 1:
        raise InputError(f"--stride {args.stride} must be >= 1")
    path = Path(args.rollout)
    rollout = load_rollout(path)
    scores = None
    if args.scores:
        try:
            scores = json.loads(Path(args.scores).read_text())
        except (OSError, json.JSONDecodeError) as e:
            raise InputError(f"{args.scores}: not a readable scores .json ({type(e).__name__})") from None
    else:
        scores = load_scores_beside(path)
    scene = build_scene(check=False)
    if args.out is None and os.environ.get("DISPLAY"):
        view_interactive(scene, rollout)
        return 0
    out = Path(args.out) if args.out else path.with_suffix(".mp4")
    render_video(scene, rollout, out, scores, (args.width, args.height), args.stride, ghost=not args.no_ghost)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
