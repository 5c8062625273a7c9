"""AMASS sequences (.npz: poses, trans, betas, mocap_framerate, gender) -> 272-D features through an SMPL body model.

The pipeline follows the HumanML3D-272 processing: resample to 30 fps (slerp for rotations, linear for the
translation); Z-up -> Y-up (the root orientation left-multiplied by [[1,0,0],[0,0,1],[0,-1,0]], trans (x,y,z) ->
(x,z,-y)); an optional mirrored copy; joints from the body model (smplx, the first 22); then
repr272.canonicalize + encode. The user supplies the body model file (SMPL .pkl/.npz with 24 joints, or SMPL+H with
52): nothing is downloaded.
"""

from __future__ import annotations

import contextlib
import io
import pickle
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from scipy.spatial.transform import Rotation, Slerp

from generator.motion.errors import InputError, input_file, read_npz
from generator.motion.file import HumanMotion
from generator.motion.repr272 import mirror_motion
from generator.motion.rotations import axis_angle_to_matrix, matrix_to_axis_angle
from generator.motion.skeleton import NUM_JOINTS

FPS = 30
ZUP_TO_YUP = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]])
_MODEL_KEYS = ("v_template", "shapedirs", "posedirs", "J_regressor", "weights", "kintree_table", "f")


@dataclass
class AmassSequence:
    """One AMASS sequence: axis-angle poses (T, J, 3) (J >= 22), root translation (T, 3), shape, frame rate."""

    poses: np.ndarray
    trans: np.ndarray
    betas: np.ndarray
    fps: float
    gender: str = "neutral"

    @property
    def num_frames(self) -> int:
        return int(self.poses.shape[0])


def load_amass(path: str | Path) -> AmassSequence:
    """Read an AMASS .npz; InputError for a missing, corrupt or non-motion file (e.g. a shape.npz)."""
    path = Path(path)
    arrays = read_npz(path, ("poses", "trans"), "AMASS motion (a shape.npz has no poses)")
    poses, trans = np.asarray(arrays["poses"], np.float64), np.asarray(arrays["trans"], np.float64)
    if poses.ndim != 2 or poses.shape[1] % 3 or poses.shape[1] < 66:
        raise InputError(f"{path}: 'poses' has shape {poses.shape}, expected (T, 72), (T, 156) or (T, 165)")
    if trans.shape != (poses.shape[0], 3):
        raise InputError(f"{path}: 'trans' has shape {trans.shape}, expected ({poses.shape[0]}, 3)")
    if poses.shape[0] < 2:
        raise InputError(f"{path}: {poses.shape[0]} frame(s); need at least 2")
    if not (np.isfinite(poses).all() and np.isfinite(trans).all()):
        raise InputError(f"{path}: NaN or infinite values in 'poses' or 'trans'")
    fps_key = next((k for k in ("mocap_framerate", "mocap_frame_rate", "fps") if k in arrays), None)
    if fps_key is None:
        raise InputError(f"{path}: no frame rate ('mocap_framerate')")
    fps = float(arrays[fps_key])
    if not (np.isfinite(fps) and 1.0 <= fps <= 1000.0):
        raise InputError(f"{path}: frame rate {fps} is not in [1, 1000]")
    betas = np.asarray(arrays.get("betas", np.zeros(10)), np.float64).reshape(-1)
    gender = arrays.get("gender", np.asarray("neutral"))
    gender = gender.item() if gender.ndim == 0 else gender.reshape(-1)[0]
    gender = gender.decode() if isinstance(gender, bytes) else str(gender)
    return AmassSequence(poses.reshape(len(poses), -1, 3), trans, betas, fps, gender.strip().lower() or "neutral")


def resample(rotations: np.ndarray, trans: np.ndarray, src_fps: float, dst_fps: float = FPS):
    """Resample local rotations (T, J, 3, 3) by slerp and translation (T, 3) linearly to `dst_fps`.

    The new frames sit at k / dst_fps for every k within the clip's duration (integer ratios keep exact frames).
    """
    t = len(rotations)
    if abs(src_fps - dst_fps) < 1e-9:
        return rotations.copy(), trans.copy()
    src_times = np.arange(t) / src_fps
    n = int(np.floor((t - 1) * dst_fps / src_fps + 1e-9)) + 1
    dst_times = np.minimum(np.arange(n) / dst_fps, src_times[-1])
    out = np.empty((n,) + rotations.shape[1:])
    for j in range(rotations.shape[1]):
        out[:, j] = Slerp(src_times, Rotation.from_matrix(rotations[:, j]))(dst_times).as_matrix()
    new_trans = np.stack([np.interp(dst_times, src_times, trans[:, k]) for k in range(3)], axis=-1)
    return out, new_trans


def zup_to_yup(rotations: np.ndarray, trans: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """AMASS's Z-up world -> the Y-up world of SMPL/HumanML3D: rotate the root orientation and the translation."""
    rots = rotations.copy()
    rots[:, 0] = ZUP_TO_YUP @ rotations[:, 0]
    return rots, trans @ ZUP_TO_YUP.T


class _Struct:
    def __init__(self, **kwargs):
        self.__dict__.update(kwargs)


class BodyModel:
    """An SMPL (24 joints) or SMPL+H (52 joints) body model from a user-supplied .pkl/.npz file, through smplx.

    `path` may be the model file or a folder with SMPL_{GENDER}.pkl / {gender}/model.npz files.
    """

    def __init__(self, path: str | Path, gender: str = "neutral", dtype: torch.dtype = torch.float64):
        import smplx
        from smplx.vertex_ids import vertex_ids as smplx_vertex_ids

        self.path = self._resolve(Path(path), gender)
        data = self._read(self.path)
        missing = [k for k in _MODEL_KEYS if k not in data]
        if missing:
            raise InputError(f"{self.path}: not an SMPL model file (missing {', '.join(missing)})")
        num_verts = np.asarray(data["v_template"]).shape[0]
        self.num_model_joints = int(np.asarray(data["J_regressor"]).shape[0])
        if self.num_model_joints not in (24, 52):
            raise InputError(f"{self.path}: {self.num_model_joints} joints; expected SMPL (24) or SMPL+H (52)")
        # Extra (face/feet/fingertip) keypoints are never used here; keep their vertex ids inside small models.
        vids = {k: min(int(v), num_verts - 1) for k, v in smplx_vertex_ids["smplh"].items()}
        self.num_betas = int(np.asarray(data["shapedirs"]).shape[-1])
        kwargs = dict(data_struct=_Struct(**data), dtype=dtype, vertex_ids=vids, num_betas=self.num_betas)
        with contextlib.redirect_stdout(io.StringIO()):  # smplx prints a notice for 10-component models
            if self.num_model_joints == 24:
                self.model = smplx.SMPL(str(self.path), **kwargs)
            else:
                for side in "lr":
                    data.setdefault(f"hands_components{side}", np.zeros((45, 45)))
                    data.setdefault(f"hands_mean{side}", np.zeros(45))
                kwargs["data_struct"] = _Struct(**data)
                self.model = smplx.SMPLH(str(self.path), use_pca=False, flat_hand_mean=True, **kwargs)
        self.num_betas = self.model.num_betas
        self.dtype = dtype

    @staticmethod
    def _resolve(path: Path, gender: str) -> Path:
        if path.is_file():
            return path
        if path.is_dir():
            for g in (gender, "neutral"):
                for name in (f"SMPL_{g.upper()}.pkl", f"SMPLH_{g.upper()}.pkl", f"{g}/model.npz", f"{g}.npz"):
                    if (path / name).is_file():
                        return path / name
            raise InputError(f"{path}: no SMPL model file for gender '{gender}' (e.g. SMPL_NEUTRAL.pkl)")
        raise InputError(f"{path}: no such SMPL model file or folder")

    @staticmethod
    def _read(path: Path) -> dict:
        try:
            if path.suffix == ".npz":
                return read_npz(path, (), "SMPL model")
            with open(input_file(path, "SMPL model"), "rb") as f:
                return dict(_ArraysOnlyUnpickler(f, encoding="latin1").load())
        except ModuleNotFoundError as e:
            raise InputError(
                f"{path}: the pickle needs module '{e.name}' (original SMPL files hold chumpy arrays: convert them to "
                "plain numpy, e.g. with smplx's tools/clean_ch.py, or use an .npz model)"
            ) from None
        except (pickle.UnpicklingError, zipfile.BadZipFile, EOFError, OSError, ValueError, TypeError) as e:
            raise InputError(f"{path}: not a readable SMPL model file ({type(e).__name__}: {e})") from None

    def _betas(self, betas: np.ndarray) -> torch.Tensor:
        b = np.zeros(self.num_betas)
        n = min(len(betas), self.num_betas)
        b[:n] = np.asarray(betas)[:n]
        return torch.as_tensor(b, dtype=self.dtype)[None]

    @torch.no_grad()
    def rest_joints(self, betas: np.ndarray | None = None) -> np.ndarray:
        """The shaped rest skeleton (22, 3) of this model (model frame, pelvis not at the origin)."""
        b = self._betas(np.zeros(0) if betas is None else betas)
        v = self.model.v_template[None] + torch.einsum("bl,mkl->bmk", b, self.model.shapedirs)
        return torch.einsum("jv,bvk->bjk", self.model.J_regressor, v)[0, :NUM_JOINTS].numpy()

    @torch.no_grad()
    def joints(self, rotations: np.ndarray, transl: np.ndarray, betas: np.ndarray, chunk: int = 512) -> np.ndarray:
        """World joints (T, 22, 3) of local body rotations (T, 22, 3, 3) (others at rest) and SMPL `transl` (T, 3)."""
        aa = matrix_to_axis_angle(np.asarray(rotations, np.float64)).reshape(len(rotations), -1)
        out = []
        body_dims = 69 if self.num_model_joints == 24 else 63
        for s in range(0, len(aa), chunk):
            a = torch.as_tensor(aa[s : s + chunk], dtype=self.dtype)
            n = len(a)
            body = torch.zeros(n, body_dims, dtype=self.dtype)
            body[:, :63] = a[:, 3:66]
            kw = {}
            if self.num_model_joints == 52:
                kw = {"left_hand_pose": torch.zeros(n, 45, dtype=self.dtype),
                      "right_hand_pose": torch.zeros(n, 45, dtype=self.dtype)}  # fmt: skip
            res = self.model(
                betas=self._betas(betas).expand(n, -1), global_orient=a[:, :3], body_pose=body,
                transl=torch.as_tensor(transl[s : s + chunk], dtype=self.dtype), return_verts=False, **kw,
            )  # fmt: skip
            out.append(res.joints[:, :NUM_JOINTS].numpy())
        return np.concatenate(out, axis=0)


def convert_sequence(seq: AmassSequence, model: BodyModel, mirror: bool = False, fps: float = FPS) -> HumanMotion:
    """One AMASS sequence -> a canonical 30 fps human motion (joints from `model`, 272-D features)."""
    rots = axis_angle_to_matrix(seq.poses[:, :NUM_JOINTS])
    rots, trans = resample(rots, seq.trans, seq.fps, fps)
    rots, trans = zup_to_yup(rots, trans)
    if mirror:
        # Mirror in the Y-up world (x -> -x): M R M with M = diag(-1, 1, 1), left/right swapped, trans x negated.
        _, rots = mirror_motion(np.zeros(rots.shape[:2] + (3,)), rots)
        trans = trans * np.array([-1.0, 1.0, 1.0])
    joints = model.joints(rots, trans, seq.betas)
    return HumanMotion.from_joints_rotations(joints, rots, fps=fps)


def find_sequences(path: str | Path) -> list[Path]:
    """The AMASS motion files to convert: `path` itself, or every *.npz below a folder (shape.npz skipped)."""
    path = Path(path)
    if path.is_file():
        return [path]
    if path.is_dir():
        return sorted(p for p in path.rglob("*.npz") if p.name != "shape.npz")
    raise InputError(f"{path}: no such AMASS file or folder")


class _ArraysOnlyUnpickler(pickle.Unpickler):
    """Unpickles only what SMPL model files hold: numpy arrays and dtypes, scipy sparse matrices and plain Python
    containers. Any other global (a function to call, a class to build) is refused, so no code runs from the file."""

    ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"), ("numpy", "dtype"), ("numpy.core.multiarray", "scalar"),
        ("numpy._core.multiarray", "scalar"), ("scipy.sparse.csc", "csc_matrix"), ("scipy.sparse._csc", "csc_matrix"),
        ("scipy.sparse.csr", "csr_matrix"), ("scipy.sparse._csr", "csr_matrix"),
    }  # fmt: skip

    def find_class(self, module: str, name: str):
        if (module, name) in self.ALLOWED:
            return super().find_class(module, name)
        if module.startswith("chumpy"):
            raise ModuleNotFoundError(f"no module named {module!r}", name=module)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} (only arrays are read from model files)")
