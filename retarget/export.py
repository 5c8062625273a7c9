"""Exporters of robot motions to other tools' layouts: GMR's pickle and BeyondMimic/mjlab's CSV.

GMR pickle (dict): root_pos (T, 3), root_rot (T, 4) quaternion in **xyzw** order (GMR's convention), dof_pos (T, 29),
fps (float); plus local_body_pos = None and link_body_list = the body names, as GMR writes them.
CSV (no header, one row per frame, as mjlab's csv_to_npz / BeyondMimic read it): columns
root_x, root_y, root_z, quat_x, quat_y, quat_z, quat_w (**xyzw**), then the 29 joint positions in MuJoCo order
(robot.JOINT_NAMES). That reader takes the input rate on its command line (here the motion's fps).
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np

from generator.motion.errors import InputError, atomic_path
from retarget import robot
from retarget.robot_motion import RobotMotion

CSV_COLUMNS: tuple[str, ...] = (
    "root_x", "root_y", "root_z", "quat_x", "quat_y", "quat_z", "quat_w", *robot.JOINT_NAMES,
)  # fmt: skip


def wxyz_to_xyzw(q: np.ndarray) -> np.ndarray:
    """Quaternions (..., 4) from MuJoCo's wxyz to the xyzw order of GMR and the CSV tooling."""
    return np.concatenate([q[..., 1:], q[..., :1]], axis=-1)


def xyzw_to_wxyz(q: np.ndarray) -> np.ndarray:
    """Quaternions (..., 4) from xyzw to MuJoCo's wxyz."""
    return np.concatenate([q[..., 3:], q[..., :3]], axis=-1)


def to_gmr_dict(motion: RobotMotion) -> dict:
    """GMR's pickle layout of a robot motion (root quaternion converted to xyzw)."""
    q = motion.qpos
    return {
        "fps": float(motion.fps), "root_pos": q[:, :3].astype(np.float64),
        "root_rot": wxyz_to_xyzw(q[:, 3:7]).astype(np.float64), "dof_pos": q[:, 7:].astype(np.float64),
        "local_body_pos": None, "link_body_list": list(motion.body_names),
    }  # fmt: skip


def save_gmr_pickle(motion: RobotMotion, path: str | Path) -> Path:
    """Write GMR's pickle layout atomically."""
    path = Path(path)
    with atomic_path(path, suffix=".pkl") as tmp, open(tmp, "wb") as f:
        pickle.dump(to_gmr_dict(motion), f)
    return path


def load_gmr_pickle(path: str | Path, source_text: str = "") -> RobotMotion:
    """Read a GMR pickle (root_pos, root_rot xyzw, dof_pos, fps) back into a RobotMotion."""
    try:
        with open(path, "rb") as f:
            data = pickle.load(f)  # noqa: S301 - the user's own file, as GMR writes it
        q = np.concatenate([data["root_pos"], xyzw_to_wxyz(np.asarray(data["root_rot"])), data["dof_pos"]], axis=-1)
        fps = float(data["fps"])
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (pickle.UnpicklingError, EOFError, KeyError, TypeError, ValueError) as e:
        raise InputError(f"{path}: not a GMR motion pickle ({type(e).__name__}: {e})") from None
    return RobotMotion.from_qpos(q, fps=fps, source_text=source_text)


def save_csv(motion: RobotMotion, path: str | Path) -> Path:
    """Write the CSV (no header; columns CSV_COLUMNS, quaternion xyzw) atomically."""
    q = motion.qpos
    rows = np.concatenate([q[:, :3], wxyz_to_xyzw(q[:, 3:7]), q[:, 7:]], axis=-1)
    path = Path(path)
    with atomic_path(path, suffix=".csv") as tmp:
        np.savetxt(tmp, rows, delimiter=",", fmt="%.6f")
    return path


def load_csv(path: str | Path, fps: float = 50.0, source_text: str = "") -> RobotMotion:
    """Read a CSV in the layout above back into a RobotMotion at `fps`."""
    try:
        rows = np.atleast_2d(np.loadtxt(path, delimiter=","))
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except ValueError as e:
        raise InputError(f"{path}: not a numeric CSV ({e})") from None
    if rows.shape[1] != len(CSV_COLUMNS):
        raise InputError(f"{path}: {rows.shape[1]} columns, expected {len(CSV_COLUMNS)} (xyz, quat xyzw, 29 joints)")
    q = np.concatenate([rows[:, :3], xyzw_to_wxyz(rows[:, 3:7]), rows[:, 7:]], axis=-1)
    return RobotMotion.from_qpos(q, fps=fps, source_text=source_text)
