"""Throughput of the batched torch 272-D conversion (generator.motion.repr272) against a per-clip numpy loop.

Baseline: the same math written here as plain numpy on one clip at a time (vectorised over frames and joints,
looped over clips), the way a dataset preprocessing script would do it. Both run on the same clips, in the same
dtype; their outputs are checked against each other on a few clips before timing.

    python benchmarks/bench_repr272.py                 # 10,000 clips x 200 frames (2M frames)
    python benchmarks/bench_repr272.py --clips 1000    # smaller
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from tqdm import tqdm

from generator.motion import repr272
from generator.motion.kinematics import forward_kinematics
from generator.motion.rotations import axis_angle_to_matrix, yaw_matrix
from generator.motion.skeleton import NUM_JOINTS, floor_offset

# ---- baseline: per-clip numpy (T frames) --------------------------------------------------------------------------


def _np_yaw(a: np.ndarray) -> np.ndarray:
    c, s = np.cos(a), np.sin(a)
    m = np.zeros(a.shape + (3, 3), dtype=a.dtype)
    m[..., 0, 0], m[..., 0, 2], m[..., 1, 1], m[..., 2, 0], m[..., 2, 2] = c, s, 1, -s, c
    return m


def _np_sixd_to_matrix(d6: np.ndarray) -> np.ndarray:
    a1, a2 = d6[..., :3], d6[..., 3:]
    b1 = a1 / np.linalg.norm(a1, axis=-1, keepdims=True)
    b2 = a2 - (b1 * a2).sum(-1, keepdims=True) * b1
    b2 /= np.linalg.norm(b2, axis=-1, keepdims=True)
    return np.stack([b1, b2, np.cross(b1, b2)], axis=-2)


def np_encode(joints: np.ndarray, rots: np.ndarray) -> np.ndarray:
    """(T, 22, 3), (T, 22, 3, 3) -> (T, 272)."""
    t = len(joints)
    r0 = rots[:, 0]
    g = -np.arctan2(r0[:, 0, 2], r0[:, 2, 2])
    ry = _np_yaw(g)
    root = joints[:, 0]
    root_vel = np.zeros((t, 2), dtype=joints.dtype)
    root_vel[1:] = np.einsum("tij,tj->ti", ry[:-1], root[1:] - root[:-1])[:, [0, 2]]
    heading = np.zeros((t, 6), dtype=joints.dtype)
    heading[0] = (1, 0, 0, 0, 1, 0)
    heading[1:] = _np_yaw(np.diff(g))[:, :2].reshape(-1, 6)
    flat = joints.copy()
    flat[..., [0, 2]] -= root[:, None, [0, 2]]
    pos = np.einsum("tij,tkj->tki", ry, flat)
    vel = np.zeros_like(pos)
    vel[1:] = pos[1:] - pos[:-1]
    local = rots.copy()
    local[:, 0] = ry @ r0
    return np.concatenate(
        [root_vel, heading, pos.reshape(t, 66), vel.reshape(t, 66), local[:, :, :2].reshape(t, 132)], axis=1
    )


def _np_heading_root(f: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    m = _np_sixd_to_matrix(f[:, 2:8])
    r = _np_yaw(np.cumsum(np.arctan2(m[:, 0, 2], m[:, 0, 0])))
    v = np.zeros((len(f), 3), dtype=f.dtype)
    v[:, 0], v[:, 2] = f[:, 0], f[:, 1]
    v[1:] = np.einsum("tji,tj->ti", r[:-1], v[1:])
    return r, np.cumsum(v, axis=0)


def np_decode_joints(f: np.ndarray) -> np.ndarray:
    """(T, 272) -> (T, 22, 3)."""
    r, root = _np_heading_root(f)
    return np.einsum("tji,tkj->tki", r, f[:, 8:74].reshape(-1, NUM_JOINTS, 3)) + root[:, None]


def np_decode_rotations(f: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(T, 272) -> ((T, 22, 3, 3), (T, 3))."""
    r, root = _np_heading_root(f)
    rots = _np_sixd_to_matrix(f[:, 140:].reshape(-1, NUM_JOINTS, 6))
    rots[:, 0] = np.swapaxes(r, -1, -2) @ rots[:, 0]
    root[:, 1] = f[:, 9]
    return rots, root


# ---- data: a pool of FK clips, drawn into batches -----------------------------------------------------------------


def make_pool(n: int, frames: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """n canonical FK clips (n, T, 22, 3) + (n, T, 22, 3, 3): smooth random joint angles, a turning root path."""
    rng = np.random.default_rng(seed)
    t = np.arange(frames)[None, :, None, None] / 30.0
    base, amp = rng.normal(scale=0.3, size=(2, n, 1, NUM_JOINTS, 3))
    freq, phase = rng.uniform(0.2, 2.0, (2, n, 1, NUM_JOINTS, 3))
    rots = axis_angle_to_matrix(base + amp * np.sin(2 * np.pi * freq * t + 3 * phase))
    ts = t[..., 0, 0]
    yaw = rng.uniform(-3, 3, (n, 1)) + rng.uniform(-2, 2, (n, 1)) * ts
    rots[:, :, 0] = yaw_matrix(yaw) @ rots[:, :, 0]
    root = np.zeros((n, frames, 3))
    step = rng.uniform(0, 2, (n, 1)) / 30.0
    root[..., 0], root[..., 2] = np.cumsum(step * np.sin(yaw), 1), np.cumsum(step * np.cos(yaw), 1)
    root[..., 1] = floor_offset()
    joints = forward_kinematics(rots, root)
    return repr272.canonicalize(joints, rots)


def check_agreement(joints: np.ndarray, rots: np.ndarray, clips: int) -> float:
    """Max abs difference between torch and numpy outputs over the first `clips` clips (float64)."""
    worst = 0.0
    feats = repr272.encode(joints[:clips], rots[:clips])
    dj = repr272.decode_joints(feats)
    dr, tr = repr272.decode_rotations(feats)
    for i in range(clips):
        f_np = np_encode(joints[i], rots[i])
        r_np, t_np = np_decode_rotations(f_np)
        for a, b in ((feats[i], f_np), (dj[i], np_decode_joints(f_np)), (dr[i], r_np), (tr[i], t_np)):
            worst = max(worst, float(np.abs(a - b).max()))
    return worst


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    p.add_argument("--clips", type=int, default=10_000, help="number of clips")
    p.add_argument("--frames", type=int, default=200, help="frames per clip")
    p.add_argument(
        "--batch", type=int, default=16, help="clips per torch batch (small batches stay in the CPU cache: faster)"
    )
    p.add_argument("--pool", type=int, default=64, help="distinct FK clips drawn into the batches")
    p.add_argument("--dtype", choices=("float32", "float64"), default="float32", help="compute dtype of both paths")
    p.add_argument(
        "--threads", type=int, default=1, help="torch threads (1: like the numpy baseline; 0: torch's default)"
    )
    p.add_argument("--seed", type=int, default=0, help="random seed")
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    np_dtype, t_dtype = np.dtype(args.dtype), getattr(torch, args.dtype)

    joints64, rots64 = make_pool(args.pool, args.frames, args.seed)
    err = check_agreement(joints64, rots64, min(4, args.pool))
    print(f"torch vs numpy, max abs difference on 4 clips (float64): {err:.2e}")
    assert err < 1e-9, "the two implementations disagree"
    joints, rots = joints64.astype(np_dtype), rots64.astype(np_dtype)
    jt, rt = torch.as_tensor(joints), torch.as_tensor(rots)
    rng = np.random.default_rng(args.seed)
    order = rng.integers(0, args.pool, args.clips)

    times = {k: 0.0 for k in ("encode", "decode_joints", "decode_rotations")}
    for start in tqdm(range(0, args.clips, args.batch), desc="torch batched", unit="batch"):
        idx = torch.as_tensor(order[start : start + args.batch])
        j, r = jt[idx].to(t_dtype), rt[idx].to(t_dtype)
        t0 = time.perf_counter()
        f = repr272.encode(j, r)
        t1 = time.perf_counter()
        repr272.decode_joints(f)
        t2 = time.perf_counter()
        repr272.decode_rotations(f)
        t3 = time.perf_counter()
        times["encode"] += t1 - t0
        times["decode_joints"] += t2 - t1
        times["decode_rotations"] += t3 - t2

    base = {k: 0.0 for k in times}
    for i in tqdm(order, desc="numpy per clip", unit="clip", mininterval=1.0):
        t0 = time.perf_counter()
        f = np_encode(joints[i], rots[i])
        t1 = time.perf_counter()
        np_decode_joints(f)
        t2 = time.perf_counter()
        np_decode_rotations(f)
        t3 = time.perf_counter()
        base["encode"] += t1 - t0
        base["decode_joints"] += t2 - t1
        base["decode_rotations"] += t3 - t2

    frames = args.clips * args.frames
    print(
        f"\n{args.clips} clips x {args.frames} frames = {frames:,} frames, {args.dtype}, "
        f"torch batch {args.batch} clips, {torch.get_num_threads()} torch threads"
    )
    print(f"{'operation':<18}{'torch batched':>16}{'numpy per clip':>17}{'speed-up':>10}")
    for k in times:
        print(f"{k:<18}{frames / times[k]:>12,.0f} f/s{frames / base[k]:>13,.0f} f/s{base[k] / times[k]:>9.1f}x")
    total_t, total_b = sum(times.values()), sum(base.values())
    print(f"{'all three':<18}{frames / total_t:>12,.0f} f/s{frames / total_b:>13,.0f} f/s{total_b / total_t:>9.1f}x")


if __name__ == "__main__":
    main()
