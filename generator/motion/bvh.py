"""BVH export of SMPL-22 motions (opens in Blender, y-up like the human frame) and a reader for such files.

Units: lengths are metres times `scale` (1 = metres, Blender's default import; 100 = centimetres, common in
mocap libraries). The root carries absolute position channels and an OFFSET of zero; every joint rotates with
CHANNELS "Zrotation Xrotation Yrotation" in degrees, meaning R_local = Rz(a) @ Rx(b) @ Ry(c) (the order listed,
intrinsic), and a joint's world transform is parent_world @ Translate(OFFSET) @ R_local, which is exactly
`generator.motion.kinematics.forward_kinematics` with the OFFSETs as bone offsets.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.spatial.transform import Rotation

from generator.motion.errors import InputError, atomic_path
from generator.motion.file import HumanMotion
from generator.motion.kinematics import estimate_offsets
from generator.motion.skeleton import JOINT_NAMES, PARENTS, bone_offsets

EULER_ORDER = "ZXY"
# End sites of the leaf joints: (length in metres, direction in the leaf's rest frame or None = along its bone)
_END_SITES = {"head": (0.10, (0.0, 1.0, 0.0)), "left_foot": (0.04, None), "right_foot": (0.04, None),
              "left_wrist": (0.08, None), "right_wrist": (0.08, None)}  # fmt: skip


def _euler_degrees(matrices: np.ndarray, order: str = EULER_ORDER) -> np.ndarray:
    """(..., 3, 3) -> (..., 3) intrinsic Euler angles in degrees, in the order of `order`."""
    flat = np.asarray(matrices, dtype=np.float64).reshape(-1, 3, 3)
    with warnings.catch_warnings():  # at gimbal lock scipy picks one of the equivalent angle triples
        warnings.simplefilter("ignore", UserWarning)
        angles = Rotation.from_matrix(flat).as_euler(order.upper(), degrees=True)
    return angles.reshape(np.shape(matrices)[:-2] + (3,))


def _hierarchy_lines(offsets: np.ndarray, order: str, unit_scale: float) -> list[str]:
    children = {j: [c for c in range(len(PARENTS)) if PARENTS[c] == j] for j in range(len(PARENTS))}
    rot_channels = " ".join(f"{axis}rotation" for axis in order.upper())
    lines: list[str] = []

    def emit(j: int, depth: int) -> None:
        pad = "\t" * depth
        head = "ROOT" if PARENTS[j] < 0 else "JOINT"
        lines.append(f"{pad}{head} {JOINT_NAMES[j]}")
        lines.append(f"{pad}{{")
        lines.append(f"{pad}\tOFFSET {' '.join(f'{v:.6f}' for v in offsets[j])}")
        if PARENTS[j] < 0:
            lines.append(f"{pad}\tCHANNELS 6 Xposition Yposition Zposition {rot_channels}")
        else:
            lines.append(f"{pad}\tCHANNELS 3 {rot_channels}")
        for c in children[j]:
            emit(c, depth + 1)
        if not children[j]:
            length, direction = _END_SITES.get(JOINT_NAMES[j], (0.05, None))
            d = np.asarray(direction if direction is not None else offsets[j], dtype=np.float64)
            end = d / max(np.linalg.norm(d), 1e-12) * length * unit_scale
            lines.append(f"{pad}\tEnd Site")
            lines.append(f"{pad}\t{{")
            lines.append(f"{pad}\t\tOFFSET {' '.join(f'{v:.6f}' for v in end)}")
            lines.append(f"{pad}\t}}")
        lines.append(f"{pad}}}")

    emit(0, 0)
    return lines


def _joint_order() -> list[int]:
    """Depth-first order of the joints as they appear in the HIERARCHY (the MOTION columns follow it)."""
    order: list[int] = []

    def visit(j: int) -> None:
        order.append(j)
        for c in range(len(PARENTS)):
            if PARENTS[c] == j:
                visit(c)

    visit(0)
    return order


def bvh_text(motion: HumanMotion, scale: float = 1.0, rest_skeleton: bool = False, order: str = EULER_ORDER) -> str:
    """The BVH file contents for a motion (see the module docstring for units and conventions).

    Bones are the motion's own (estimated from its joints and rotations) unless `rest_skeleton`, which uses the
    neutral SMPL rest pose; for motions made by FK on a skeleton both give back that skeleton's joints.
    """
    if not (np.isfinite(scale) and scale > 0):
        raise InputError(f"BVH scale must be a positive number, got {scale}")
    if sorted(order.upper()) != ["X", "Y", "Z"]:
        raise InputError(f"Euler order must be a permutation of XYZ, got {order!r}")
    rotations = np.asarray(motion.rotations, dtype=np.float64)
    joints = np.asarray(motion.joints, dtype=np.float64)
    offsets = bone_offsets() if rest_skeleton else estimate_offsets(joints, rotations)
    offsets = offsets * scale
    offsets[0] = 0.0
    angles = _euler_degrees(rotations, order)  # (T, 22, 3)
    dfs = _joint_order()
    root = np.asarray(motion.root_translation, dtype=np.float64) * scale
    table = np.concatenate([root, angles[:, dfs].reshape(len(root), -1)], axis=1)
    lines = ["HIERARCHY", *_hierarchy_lines(offsets, order, scale), "MOTION"]
    lines.append(f"Frames: {len(table)}")
    lines.append(f"Frame Time: {1.0 / float(motion.fps):.8f}")
    lines.extend(" ".join(f"{v:.6f}" for v in row) for row in table)
    return "\n".join(lines) + "\n"


def write_bvh(
    motion: HumanMotion, path: str | Path, scale: float = 1.0, rest_skeleton: bool = False, order: str = EULER_ORDER
) -> Path:
    """Write a motion as BVH, atomically (see `bvh_text`)."""
    path = Path(path)
    text = bvh_text(motion, scale=scale, rest_skeleton=rest_skeleton, order=order)
    with atomic_path(path) as tmp:
        tmp.write_text(text)
    return path


@dataclass
class BVH:
    """A parsed BVH file: joints in file order (end sites excluded), their channels and the motion table."""

    names: list[str]
    parents: list[int]
    offsets: np.ndarray  # (J, 3) file units
    channels: list[list[str]]  # per joint, e.g. ["Xposition", ..., "Zrotation", ...]
    frame_time: float
    motion: np.ndarray  # (F, sum of channel counts)

    @property
    def num_frames(self) -> int:
        return int(self.motion.shape[0])

    def local_transforms(self) -> tuple[np.ndarray, np.ndarray]:
        """Per-frame local rotations (F, J, 3, 3) and translations (F, J, 3) = OFFSET + position channels."""
        f, j = self.num_frames, len(self.names)
        rots = np.tile(np.eye(3), (f, j, 1, 1))
        trans = np.tile(self.offsets, (f, 1, 1)).astype(np.float64)
        col = 0
        for k, chans in enumerate(self.channels):
            values = self.motion[:, col : col + len(chans)]
            col += len(chans)
            rot_axes = ""
            rot_cols = []
            for c, name in enumerate(chans):
                axis, kind = name[0].upper(), name[1:].lower()
                if kind == "position":
                    trans[:, k, "XYZ".index(axis)] += values[:, c]
                elif kind == "rotation":
                    rot_axes += axis
                    rot_cols.append(c)
                else:
                    raise InputError(f"BVH channel {name!r} is not a position or rotation")
            if rot_axes:
                rots[:, k] = Rotation.from_euler(rot_axes, values[:, rot_cols], degrees=True).as_matrix()
        return rots, trans

    def joint_positions(self) -> np.ndarray:
        """Forward kinematics (F, J, 3) in file units, with the file's own hierarchy."""
        rots, trans = self.local_transforms()
        glob = np.empty_like(rots)
        pos = np.empty_like(trans)
        for k, p in enumerate(self.parents):
            if p < 0:
                glob[:, k], pos[:, k] = rots[:, k], trans[:, k]
            else:
                glob[:, k] = glob[:, p] @ rots[:, k]
                pos[:, k] = pos[:, p] + np.einsum("fij,fj->fi", glob[:, p], trans[:, k])
        return pos


def read_bvh(path: str | Path) -> BVH:
    """Parse a BVH file (any channel layout per joint); malformed files raise InputError naming the problem."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file")
    tokens = path.read_text().split()
    names: list[str] = []
    parents: list[int] = []
    offsets: list[list[float]] = []
    channels: list[list[str]] = []
    stack: list[int] = []
    i = 0

    def take(n: int = 1) -> list[str]:
        nonlocal i
        if i + n > len(tokens):
            raise InputError(f"{path}: BVH ends early")
        out = tokens[i : i + n]
        i += n
        return out

    try:
        if take()[0] != "HIERARCHY":
            raise InputError(f"{path}: not a BVH file (no HIERARCHY)")
        pending_end = False
        while True:
            tok = take()[0]
            if tok in ("ROOT", "JOINT"):
                names.append(take()[0])
                parents.append(stack[-1] if stack else -1)
                offsets.append([0.0, 0.0, 0.0])
                channels.append([])
            elif tok == "End":
                take()  # "Site"
                pending_end = True
            elif tok == "{":
                stack.append(-2 if pending_end else len(names) - 1)
                pending_end = False
            elif tok == "}":
                stack.pop()
            elif tok == "OFFSET":
                vals = [float(v) for v in take(3)]
                if stack and stack[-1] >= 0:
                    offsets[stack[-1]] = vals
            elif tok == "CHANNELS":
                n = int(take()[0])
                channels[stack[-1]] = take(n)
            elif tok == "MOTION":
                break
            else:
                raise InputError(f"{path}: unexpected token {tok!r} in the BVH hierarchy")
        take()  # "Frames:"
        frames = int(take()[0])
        take(2)  # "Frame" "Time:"
        frame_time = float(take()[0])
        width = sum(len(c) for c in channels)
        values = np.asarray(tokens[i:], dtype=np.float64)
    except (ValueError, IndexError) as e:
        raise InputError(f"{path}: malformed BVH ({e})") from None
    if values.size != frames * width:
        raise InputError(f"{path}: BVH has {values.size} motion values, expected {frames} frames x {width} channels")
    return BVH(names, parents, np.asarray(offsets), channels, frame_time, values.reshape(frames, width))


def load_bvh_motion(path: str | Path, scale: float = 1.0, text: str = "") -> HumanMotion:
    """Read a BVH of the SMPL-22 hierarchy (e.g. ours after editing in Blender) back into a HumanMotion.

    `scale` is the file's length unit per metre (as given to `write_bvh`); the motion is canonicalised like any
    other (frame 0 facing +Z, lowest joint on the floor).
    """
    parsed = read_bvh(path)
    missing = [n for n in JOINT_NAMES if n not in parsed.names]
    if missing:
        raise InputError(f"{path}: not an SMPL-22 BVH, joint(s) {', '.join(missing)} missing")
    order = [parsed.names.index(n) for n in JOINT_NAMES]
    if [parsed.parents[k] for k in order[1:]] != [order[p] for p in PARENTS[1:]]:
        raise InputError(f"{path}: the joints are not connected as in the SMPL-22 skeleton")
    if parsed.num_frames < 1 or not parsed.frame_time > 0:
        raise InputError(f"{path}: BVH has {parsed.num_frames} frames and frame time {parsed.frame_time}")
    rots, _ = parsed.local_transforms()
    joints = parsed.joint_positions()[:, order] / scale
    return HumanMotion.from_joints_rotations(joints, rots[:, order], text=text, fps=1.0 / parsed.frame_time)
