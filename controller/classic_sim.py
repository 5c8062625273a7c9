"""mjlab's `Simulation`, on classic MuJoCo: many `MjData`s stepped by a persistent thread pool on the CPU.

mjlab's manager terms (observations, rewards, terminations, events, actuators, sensors) read and write the physics
through `sim.data.<field>` and `sim.model.<field>` as batched (num_envs, ...) torch tensors. This class serves the
same views from one `MjModel` / `MjData` pair per env, so the tracking task is defined once (`controller.env_cfg`)
and runs unchanged on MuJoCo Warp (GPU) or here. mjlab has no CPU-parallel backend, hence this module.

How the views stay true:
- data fields are copied out of the `MjData`s when they are read after a step (lazily, per field; `sensordata`
  eagerly, since mjlab's sensors keep a view of it), and copied back in, row by row, only where a term wrote them;
- model fields written by domain randomisation are pushed into that env's `MjModel` before the next step, and
  `recompute_constants` runs `mj_setConst` there, as mjlab runs `set_const` on the GPU;
- the visual meshes (geoms that never collide; inertias are explicit) become tiny spheres before compiling: the
  dynamics are bit-identical (tested) and a per-env model shrinks from about 71 MB to 0.35 MB.

One stage is not run twice: mjlab calls `forward()` once per env step, after the physics substeps, to refresh what
its terms read (kinematics, velocities, sensors), and the next `mj_step` would recompute exactly that from the same
state. So `forward()` runs `mj_step1` (the position and velocity stages), and the first substep of the next
`step()` runs only `mj_step2` (actuation, acceleration, constraints, integration) in every env whose state and model
were not written in between: the same trajectory, bit for bit (tested), for one `mj_forward` less per env step.
What the acceleration stage computes (qacc, constraint forces, acceleration sensors) is therefore left at the last
substep's values after a `forward()`; mjlab reads those (contact sensors, torques) only after substeps.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

import mujoco
import numpy as np
import torch

# MjData fields a term may write; their rows are copied back into the MjData before physics runs.
INPUT_FIELDS = (
    "qpos", "qvel", "act", "ctrl", "qacc_warmstart", "qfrc_applied", "xfrc_applied", "mocap_pos", "mocap_quat",
)  # fmt: skip
STATE_FIELDS = ("qpos", "qvel", "act", "mocap_pos", "mocap_quat")  # inputs of mj_step1's stages (a write voids them)
CONTROL_FIELDS = ("ctrl", "qfrc_applied", "xfrc_applied", "mocap_pos", "mocap_quat")  # inputs no physics stage changes
EAGER_FIELDS = ("sensordata",)  # held as long-lived views by mjlab's sensors


def strip_visual_geoms(spec: mujoco.MjSpec) -> mujoco.MjSpec:
    """A copy of `spec` whose never-colliding geoms (contype = conaffinity = 0) are tiny spheres, without meshes.

    Geoms keep their order and ids (mjlab's entities index them), but no mesh data is compiled into the model.
    """
    spec = spec.copy()
    for geom in spec.geoms:
        if geom.contype == 0 and geom.conaffinity == 0 and geom.type == mujoco.mjtGeom.mjGEOM_MESH:
            geom.type = mujoco.mjtGeom.mjGEOM_SPHERE
            geom.size = [0.001, 0, 0]
            geom.meshname = ""
    for mesh in list(spec.meshes):
        spec.delete(mesh)
    return spec


def _torch_dtype(a: np.ndarray) -> torch.dtype:
    return torch.float32 if np.issubdtype(a.dtype, np.floating) else torch.int32


DYNAMIC_PREFIXES = ("efc_", "efm_")  # MjData arrays whose size follows the constraint count: read afresh each time


class _Batched:
    """A batched torch view of one field of N MuJoCo structs, with a float32 snapshot to find written rows.

    A struct's array attribute is a view of memory the struct owns for its lifetime, so the N views are taken
    once and copied in one `np.concatenate` into the tensor's rows (at 256 envs 2-5x faster than `np.stack`, which
    makes a new array object per view, and than a per-struct loop).
    """

    def __init__(self, name: str, structs: list, device: str) -> None:
        first = np.asarray(getattr(structs[0], name))
        self.name = name
        self.scalar = first.ndim == 0
        self.views = None if self.scalar or name.startswith(DYNAMIC_PREFIXES) else [getattr(s, name) for s in structs]
        self.tensor = torch.zeros((len(structs), *first.shape), dtype=_torch_dtype(first), device=device)
        self.snapshot = self.tensor.clone()
        self.pull(structs)

    def pull(self, structs: list) -> None:
        """Copy every struct's field into the tensor."""
        out = self.tensor.numpy()
        if self.views is not None:
            np.concatenate(self.views, out=out.reshape(-1, *out.shape[2:]), casting="unsafe")
        else:
            for i, s in enumerate(structs):
                out[i] = getattr(s, self.name)
        self.snapshot.copy_(self.tensor)
        self.version = self.tensor._version

    def written_rows(self) -> np.ndarray:
        """Envs whose rows were changed by a term since the last pull or push."""
        if self.tensor._version == self.version:
            return np.empty(0, dtype=np.int64)
        changed = (self.tensor != self.snapshot).reshape(len(self.tensor), -1).any(dim=1)
        return changed.nonzero().flatten().numpy()

    def push(self, structs: list, rows: np.ndarray) -> None:
        """Copy the given rows of the tensor into their structs."""
        src = self.tensor.numpy()
        views = self.views
        for i in rows:
            if self.scalar:
                setattr(structs[i], self.name, src[i].item())
            elif views is not None:
                views[i][...] = src[i]
            else:
                getattr(structs[i], self.name)[...] = src[i]
        if len(rows):
            self.snapshot[rows] = self.tensor[rows]
        self.version = self.tensor._version


class _Bridge:
    """`sim.data` / `sim.model`: attribute access gives a batched tensor for array fields of the MuJoCo structs."""

    def __init__(self, structs: list, device: str, on_read=None) -> None:
        object.__setattr__(self, "_structs", structs)
        object.__setattr__(self, "_device", device)
        object.__setattr__(self, "_fields", {})
        object.__setattr__(self, "_on_read", on_read)

    def __getattr__(self, name: str) -> Any:
        fields = self._fields
        if name not in fields:
            value = getattr(self._structs[0], name)  # AttributeError for unknown names, as a struct gives
            if not isinstance(value, (np.ndarray, float, int)) or isinstance(value, bool):
                return value
            fields[name] = _Batched(name, self._structs, self._device)
        if self._on_read is not None:
            self._on_read(fields[name])
        return fields[name].tensor

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"cannot rebind {name!r}; write in place: sim.data.{name}[:] = value")

    @property
    def nworld(self) -> int:
        return len(self._structs)

    def batched(self) -> dict[str, _Batched]:
        return self._fields


class ClassicSimulation:
    """The subset of `mjlab.sim.Simulation` that mjlab's envs use, backed by classic MuJoCo on CPU threads."""

    def __init__(
        self, num_envs: int, cfg, model: mujoco.MjModel | None = None, device: str = "cpu", *,
        spec: mujoco.MjSpec | None = None, variant_info=None, nthread: int | None = None,
    ) -> None:  # fmt: skip
        if variant_info:
            raise NotImplementedError("mesh variants are not supported by the classic backend")
        if device != "cpu":
            raise ValueError(f"the classic MuJoCo backend runs on the CPU, not {device!r}")
        if spec is not None:
            model = strip_visual_geoms(spec).compile()
        if model is None:
            raise ValueError("either model or spec must be provided")
        cfg.mujoco.apply(model)
        self.cfg = cfg
        self.device = device
        self.num_envs = num_envs
        self._mj_model = model
        self._mj_data = mujoco.MjData(model)
        mujoco.mj_forward(model, self._mj_data)
        self._models = [model.__copy__() for _ in range(num_envs)]  # mj_model stays the un-randomised template
        self._datas = [mujoco.MjData(m) for m in self._models]
        for m, d in zip(self._models, self._datas):
            mujoco.mj_forward(m, d)
        self._stale: set[str] = set()
        self._data = _Bridge(self._datas, device, on_read=self._refresh)
        self._model = _Bridge(self._models, device)
        self._default_model_fields: dict[str, torch.Tensor] = {}
        self._expanded_fields: set[str] = set()
        n = nthread or min(os.cpu_count() or 1, 8)
        self.nthread = max(1, min(n, num_envs))
        self._pool = ThreadPoolExecutor(self.nthread) if self.nthread > 1 else None
        bounds = np.linspace(0, num_envs, self.nthread + 1).astype(int)
        self._chunks = [range(a, b) for a, b in zip(bounds[:-1], bounds[1:]) if b > a]
        self._forwarded = np.zeros(num_envs, dtype=bool)  # mj_step1 done since the state and model were last set
        # forward() as mj_step1, the next substep as mj_step2 (False: mj_forward, then a whole mj_step); no RK4
        self.split_step = model.opt.integrator != mujoco.mjtIntegrator.mjINT_RK4
        self.nan_guard = None
        self.use_cuda_graph = False

    # mjlab's Simulation interface.

    @property
    def mj_model(self) -> mujoco.MjModel:
        return self._mj_model

    @property
    def mj_data(self) -> mujoco.MjData:
        return self._mj_data

    @property
    def data(self) -> Any:
        return self._data

    @property
    def model(self) -> Any:
        return self._model

    @property
    def default_model_fields(self) -> dict[str, torch.Tensor]:
        return self._default_model_fields

    @property
    def expanded_fields(self) -> set[str]:
        return self._expanded_fields

    @property
    def per_world_default_fields(self) -> set[str]:
        return set()

    @property
    def world_to_variant(self) -> dict[str, torch.Tensor]:
        return {}

    def expand_model_fields(self, fields: tuple[str, ...]) -> None:
        """Every model field is already per env here (one MjModel per env); record the names for DR."""
        bad = [f for f in fields if not hasattr(self._mj_model, f)]
        if bad:
            raise ValueError(f"Fields not found in model: {bad}")
        self._expanded_fields.update(fields)

    def get_default_field(self, field: str) -> torch.Tensor:
        """The compiled (un-randomised) value of a model field."""
        if field not in self._default_model_fields:
            if not hasattr(self._mj_model, field):
                raise ValueError(f"Field '{field}' not found in model")
            value = np.asarray(getattr(self._mj_model, field))
            self._default_model_fields[field] = torch.as_tensor(value, dtype=getattr(self.model, field).dtype).clone()
        return self._default_model_fields[field]

    def recompute_constants(self, level) -> None:
        """Derived constants after body/inertia randomisation: mj_setConst in every env whose model changed."""
        rows = self._push_model()
        for i in rows:
            mujoco.mj_setConst(self._models[i], self._datas[i])
            self._forwarded[i] = False
        for b in self._model.batched().values():
            b.pull(self._models)

    def create_graph(self) -> None:
        """No CUDA graphs on the CPU."""

    def set_sensor_context(self, ctx) -> None:
        if ctx is not None:
            raise NotImplementedError("cameras and ray casts are not supported by the classic backend")

    def sense(self) -> None:
        """No camera or ray-cast sensors to run."""

    def forward(self) -> None:
        """The position and velocity stages in every env (`mj_step1`); see the module docstring."""
        self._push()
        self._parallel(_step1_chunk if self.split_step else _forward_chunk)
        self._forwarded[:] = self.split_step

    def step(self) -> None:
        self._forwarded[list(self._push())] = False
        self._parallel(partial(_step_after_forward_chunk, forwarded=self._forwarded))
        self._forwarded[:] = False

    def reset(self, env_ids: torch.Tensor | None = None) -> None:
        self._push()
        ids = range(self.num_envs) if env_ids is None else env_ids.cpu().numpy().tolist()
        for i in ids:
            mujoco.mj_resetData(self._models[i], self._datas[i])
        self._forwarded[ids] = False
        self._mark_stale()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    # Internals.

    def _push_model(self) -> set[int]:
        rows: set[int] = set()
        for b in self._model.batched().values():
            r = b.written_rows()
            b.push(self._models, r)
            rows.update(int(i) for i in r)
        return rows

    def _push(self) -> set[int]:
        """Copy written model and data rows into the MuJoCo structs; returns the envs whose model or state changed."""
        changed = self._push_model()
        fields = self._data.batched()
        for name in INPUT_FIELDS:
            b = fields.get(name)
            if b is not None and name not in self._stale:
                rows = b.written_rows()
                b.push(self._datas, rows)
                if name in STATE_FIELDS:
                    changed.update(int(i) for i in rows)
        return changed

    def _parallel(self, fn) -> None:
        if self._pool is None:
            fn(self._models, self._datas, self._chunks[0])
        else:
            for f in [self._pool.submit(fn, self._models, self._datas, c) for c in self._chunks]:
                f.result()
        self._physics_ran()

    def _physics_ran(self) -> None:
        """After a physics pass: every data field but the controls is behind the MjDatas."""
        self._mark_stale(keep=CONTROL_FIELDS)

    def _mark_stale(self, keep: tuple[str, ...] = ()) -> None:
        """Every field but `keep` is behind the MjDatas (copied afresh on its next read); the eager ones now."""
        fields = self._data.batched()
        self._stale |= set(fields) - set(keep)
        for name in EAGER_FIELDS:
            if name in fields:
                self._refresh(fields[name])

    def _refresh(self, b: _Batched) -> None:
        if b.name in self._stale:
            self._stale.discard(b.name)
            b.pull(self._datas)


def _step_chunk(models: list, datas: list, chunk: range) -> None:
    for i in chunk:
        mujoco.mj_step(models[i], datas[i])


def _forward_chunk(models: list, datas: list, chunk: range) -> None:
    for i in chunk:
        mujoco.mj_forward(models[i], datas[i])


def _step1_chunk(models: list, datas: list, chunk: range) -> None:
    for i in chunk:
        mujoco.mj_step1(models[i], datas[i])


def _step_after_forward_chunk(models: list, datas: list, chunk: range, forwarded: np.ndarray) -> None:
    for i in chunk:
        (mujoco.mj_step2 if forwarded[i] else mujoco.mj_step)(models[i], datas[i])
