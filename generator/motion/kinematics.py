"""Forward kinematics of the SMPL-22 skeleton: parent-relative rotations + root position -> joint positions."""

from __future__ import annotations

import numpy as np
import torch

from generator.motion.skeleton import PARENTS, bone_offsets


def _as_torch(x, dtype=torch.float64) -> tuple[torch.Tensor, bool]:
    if isinstance(x, torch.Tensor):
        return x, False
    return torch.as_tensor(np.asarray(x), dtype=dtype), True


def global_rotations(rotations):
    """(..., 22, 3, 3) parent-relative -> (..., 22, 3, 3) world rotations (torch, or numpy in -> numpy out)."""
    glob = [rotations[..., 0, :, :]]
    for j in range(1, len(PARENTS)):
        glob.append(glob[PARENTS[j]] @ rotations[..., j, :, :])
    if isinstance(rotations, np.ndarray):
        return np.stack(glob, axis=-3)
    return torch.stack(glob, dim=-3)


def forward_kinematics(rotations, root_translation, offsets=None, return_global: bool = False):
    """Joint positions (..., 22, 3) from local rotations (..., 22, 3, 3) and the pelvis position (..., 3).

    `offsets` (22, 3) or (..., 22, 3) are the bones in the parent's rest frame (default: the neutral SMPL rest
    pose). `root_translation` is the pelvis JOINT position, not SMPL's `transl`. numpy in -> numpy out.
    """
    rot, was_np = _as_torch(rotations)
    root = torch.as_tensor(np.asarray(root_translation) if was_np else root_translation, dtype=rot.dtype)
    off = bone_offsets() if offsets is None else offsets
    off = torch.as_tensor(np.asarray(off) if not isinstance(off, torch.Tensor) else off, dtype=rot.dtype)
    off = off.to(rot.device)
    glob = [rot[..., 0, :, :]]
    pos = [root]
    for j in range(1, len(PARENTS)):
        p = PARENTS[j]
        pos.append(pos[p] + (glob[p] @ off[..., j, :].unsqueeze(-1)).squeeze(-1))
        glob.append(glob[p] @ rot[..., j, :, :])
    joints = torch.stack(pos, dim=-2)
    if return_global:
        glob_t = torch.stack(glob, dim=-3)
        return (joints.numpy(), glob_t.numpy()) if was_np else (joints, glob_t)
    return joints.numpy() if was_np else joints


def estimate_offsets(joints: np.ndarray, rotations: np.ndarray) -> np.ndarray:
    """Bone offsets (22, 3) that best explain joints (T, 22, 3) under rotations (T, 22, 3, 3) (mean over frames).

    Useful to run FK on a skeleton known only through its joint positions (e.g. a body model's output).
    """
    rot = torch.as_tensor(np.asarray(rotations), dtype=torch.float64)
    jnt = torch.as_tensor(np.asarray(joints), dtype=torch.float64)
    glob = global_rotations(rot)
    off = torch.zeros(jnt.shape[-2], 3, dtype=torch.float64)
    for j in range(1, len(PARENTS)):
        p = PARENTS[j]
        local = (glob[..., p, :, :].transpose(-1, -2) @ (jnt[..., j, :] - jnt[..., p, :]).unsqueeze(-1)).squeeze(-1)
        off[j] = local.reshape(-1, 3).mean(0)
    return off.numpy()
