"""Plots of a rollout (png, matplotlib Agg): foot heights and contact states, CoM support margin, tracking error."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from generator.motion.errors import atomic_path
from retarget import robot
from sim.rollout import Rollout
from sim.scene import G1Scene
from sim.scores import FOOT_BODY_IDX, ScoreConfig, frame_geometry, support_margin

SIDES = ("left", "right")


def _save(fig, path: Path) -> Path:
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, dpi=100)
    return path


def _subplots(*grid: int, figsize: tuple[float, float], sharex: bool = False):
    """(figure, axes) on a figure of its own (no pyplot: nothing global, no backend chosen at import)."""
    fig = Figure(figsize=figsize)
    return fig, fig.subplots(*grid, sharex=sharex)


def plot_feet(rollout: Rollout, path: str | Path, config: ScoreConfig | None = None) -> Path:
    """Sole heights of both feet (robot vs reference) with the robot's force-based and the reference's labelled
    contact intervals shaded, and the vertical floor forces."""
    config = config or ScoreConfig()
    t = np.arange(rollout.num_frames) / rollout.fps
    fig, axes = _subplots(3, 1, figsize=(9, 6.5), sharex=True)
    ref_contacts = rollout.reference.foot_contacts
    for side, ax in enumerate(axes[:2]):
        body = FOOT_BODY_IDX[side]
        ax.plot(t, rollout.body_pos_w[:, body, 2] - robot.SOLE_HEIGHT, label="robot", color="C0")
        ax.plot(t, rollout.reference.body_pos_w[:, body, 2] - robot.SOLE_HEIGHT, "--", label="reference", color="C1")
        contact = rollout.foot_forces[:, side, 2] > config.contact_force_n
        ax.fill_between(t, 0, 1, where=contact, transform=ax.get_xaxis_transform(), color="C0", alpha=0.15,
                        label="robot contact (force)")  # fmt: skip
        if ref_contacts is not None:
            ax.fill_between(t, 0, 0.12, where=ref_contacts[:, side], transform=ax.get_xaxis_transform(), color="C1",
                            alpha=0.5, label="reference contact label")  # fmt: skip
        ax.set_ylabel(f"{SIDES[side]} sole z (m)")
        ax.legend(loc="upper right", fontsize=7)
    for side in range(2):
        axes[2].plot(t, rollout.foot_forces[:, side, 2], label=f"{SIDES[side]} foot")
    axes[2].axhline(config.contact_force_n, color="k", lw=0.5, ls=":")
    axes[2].set_ylabel("floor force z (N)")
    axes[2].set_xlabel("time (s)")
    axes[2].legend(loc="upper right", fontsize=7)
    fig.suptitle("Feet: heights and contact")
    fig.tight_layout()
    return _save(fig, Path(path))


def plot_balance(scene: G1Scene, rollout: Rollout, path: str | Path, config: ScoreConfig | None = None) -> Path:
    """CoM ground-projection margin to the support polygon (> 0 inside) and torso tilt over time."""
    config = config or ScoreConfig()
    geo = frame_geometry(scene, rollout.qpos, config)
    margin = np.array([support_margin(p, c[:2]) for p, c in zip(geo.foot_points, geo.com)])
    t = np.arange(rollout.num_frames) / rollout.fps
    fig, axes = _subplots(2, 1, figsize=(9, 5), sharex=True)
    axes[0].plot(t, margin, color="C2")
    axes[0].axhline(0.0, color="k", lw=0.8)
    axes[0].set_ylabel("CoM margin (m)")
    axes[0].set_title("CoM projection to support polygon (gaps: no foot on the floor)", fontsize=9)
    axes[1].plot(t, geo.torso_tilt_deg, color="C3")
    axes[1].axhline(config.fall_tilt_deg, color="k", lw=0.8, ls="--", label="fall threshold")
    axes[1].set_ylabel("torso tilt (deg)")
    axes[1].set_xlabel("time (s)")
    axes[1].legend(loc="upper right", fontsize=7)
    fig.tight_layout()
    return _save(fig, Path(path))


def plot_tracking(rollout: Rollout, path: str | Path, config: ScoreConfig | None = None) -> Path:
    """Mean body position error per frame (PHC's failure threshold dashed) and the worst body's error."""
    config = config or ScoreConfig()
    err = np.linalg.norm(rollout.body_pos_w - rollout.reference.body_pos_w, axis=-1)
    t = np.arange(rollout.num_frames) / rollout.fps
    fig, ax = _subplots(figsize=(9, 3.5))
    ax.plot(t, err.mean(axis=1), label="mean over bodies")
    ax.plot(t, err.max(axis=1), alpha=0.6, label="worst body")
    ax.axhline(config.fail_body_error_m, color="k", ls="--", lw=0.8, label="PHC failure (mean)")
    ax.set_xlabel("time (s)")
    ax.set_ylabel("body position error (m)")
    ax.legend(loc="upper left", fontsize=7)
    fig.tight_layout()
    return _save(fig, Path(path))


def plot_all(scene: G1Scene, rollout: Rollout, out_dir: str | Path, prefix: str = "") -> dict[str, Path]:
    """All three plots into out_dir: {prefix}feet.png, {prefix}balance.png, {prefix}tracking.png."""
    out = Path(out_dir)
    return {
        "feet": plot_feet(rollout, out / f"{prefix}feet.png"),
        "balance": plot_balance(scene, rollout, out / f"{prefix}balance.png"),
        "tracking": plot_tracking(rollout, out / f"{prefix}tracking.png"),
    }
