"""Post-processing of generated 272-D motion: temporal smoothing, grounding, stance feet pinned via the root path.

The decoder's output carries frame-to-frame noise (its joints' jerk is several times the data's); a Gaussian filter
of sigma = 2 frames (67 ms) over every feature channel removes it (6-D rotations are re-orthonormalised by the
decoders). Then the feet: a generator's root velocity and leg motion come from different feature channels, so a
little disagreement between them shows as feet sliding on the floor. In the 272-D representation the joints are
stored relative to the root, and the root path only as its velocity ([0:2]), so moving the root moves every joint
rigidly: for each pair of frames in which a toe is on the floor in both, the root step is corrected by minus that
toe's floor-plane step (the mean of both toes in double support), which makes a single stance toe stand still while
the pose stays as generated. Heights are shifted once per clip so that the toes' typical floor height is 0.
Hand-written: no library edits this representation. Contacts: toe below `height` (m) and slower than `speed` (m/s)
after grounding.
"""

from __future__ import annotations

import numpy as np
import torch

from generator import repr272

TOES = (10, 11)  # SMPL-22 left / right foot (toe) joints
CONTACT_HEIGHT = 0.05  # m
CONTACT_SPEED = 1.0  # m/s: a toe faster than this is swinging, even near the floor
SMOOTH_SIGMA = 2.0  # frames


def smooth(features: np.ndarray, sigma: float = SMOOTH_SIGMA) -> np.ndarray:
    """Gaussian low-pass of every channel of a (T, 272) motion along time (edges held), float32 out."""
    from scipy.ndimage import gaussian_filter1d

    if sigma <= 0:
        return np.asarray(features, np.float32)
    return gaussian_filter1d(np.asarray(features, np.float64), sigma, axis=0, mode="nearest").astype(np.float32)


def postprocess(features: np.ndarray, fps: float = 30.0) -> np.ndarray:
    """What the sampler applies to every generated motion: smooth, then cleanup_feet."""
    return cleanup_feet(smooth(features), fps)


def floor_offset(joints: np.ndarray, height: float = CONTACT_HEIGHT) -> float:
    """The toes' typical floor height (m): the median of the lower toe's height over frames where it is low."""
    lowest = joints[:, list(TOES), 1].min(axis=1)  # (T,)
    low = lowest[lowest < np.quantile(lowest, 0.25) + height]
    return float(np.median(low))


def toe_contacts(joints: np.ndarray, fps: float, height: float, speed: float) -> np.ndarray:
    """(T - 1, 2) bool: toe on the floor in frames t and t + 1 and slower than `speed` between them."""
    toes = joints[:, list(TOES)]  # (T, 2, 3)
    low = (toes[:-1, :, 1] < height) & (toes[1:, :, 1] < height)
    v = np.linalg.norm(np.diff(toes[:, :, [0, 2]], axis=0), axis=-1) * fps
    return low & (v < speed)


def cleanup_feet(
    features: np.ndarray, fps: float = 30.0, height: float = CONTACT_HEIGHT, speed: float = CONTACT_SPEED
) -> np.ndarray:
    """Grounded, stance-pinned copy of a (T, 272) motion (float32); rotations and root-relative poses unchanged."""
    f = np.asarray(features, np.float64).copy()
    if f.ndim != 2 or f.shape[1] != repr272.DIM or len(f) < 3:
        return np.asarray(features, np.float32)
    joints = repr272.decode_joints(f)
    offset = floor_offset(joints, height)
    f[:, 9:74:3] -= offset  # every joint's height (y of [8:74]); velocities are unchanged
    joints[..., 1] -= offset  # decoded heights are those channels as they are
    contact = toe_contacts(joints, fps, height, speed)  # (T - 1, 2)
    toes = joints[:, list(TOES)][:, :, [0, 2]]  # (T, 2, 2) floor-plane toe positions
    step = np.diff(toes, axis=0)  # (T - 1, 2, 2) world toe steps
    n = contact.sum(axis=1, keepdims=True)  # (T - 1, 1)
    world = -(step * contact[..., None]).sum(axis=1) / np.maximum(n, 1)  # (T - 1, 2) root correction
    # the root step of frame t is stored in frame t - 1's heading: rotate the world correction into it (as encode)
    angle = torch.cumsum(torch.atan2(torch.from_numpy(f[:, 4]), torch.from_numpy(f[:, 2])), 0)[:-1]
    wx, _, wz = repr272.yaw_rotate(torch.from_numpy(world[:, 0]), None, torch.from_numpy(world[:, 1]),
                                   torch.cos(angle), torch.sin(angle))  # fmt: skip
    f[1:, 0] += wx.numpy()
    f[1:, 1] += wz.numpy()
    return f.astype(np.float32)
