"""Physical scores of a rollout: foot contact, balance, tracking, effort, smoothness, and the reference's feasibility.

Contact states come from the recorded floor forces on each foot; geometry (contact points, penetration, ground touches
by non-foot bodies, CoM) is recomputed from qpos with MuJoCo collision detection, so any rollout file can be scored.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass

import mujoco
import numpy as np
from scipy.optimize import nnls
from scipy.spatial import ConvexHull, QhullError

from generator.motion.configs import choose_preset
from generator.motion.plausibility import jerk
from retarget import robot
from retarget.robot_motion import RobotMotion, kinematic_foot_contacts
from sim.rollout import Rollout, reference_qvel
from sim.scene import G1Scene, model_hash

FOOT_BODY_IDX = [robot.BODY_INDEX[b] for b in robot.FOOT_BODIES]
TORSO_IDX = robot.BODY_INDEX["torso_link"]


@dataclass(frozen=True)
class ScoreConfig:
    """Thresholds of the scores (SI units)."""

    contact_force_n: float = 20.0  # a foot is in contact when the floor pushes it up with more than this
    skate_speed_mps: float = 0.2  # Kimodo: a foot in contact moving faster than this is skating
    fall_tilt_deg: float = 60.0  # torso tilt beyond this is a fall, unless the reference itself bends that far:
    fall_tilt_margin_deg: float = 30.0  # then the robot must tilt this much beyond the reference's tilt
    fall_height_margin_m: float = 0.3  # a pelvis this far below the reference's pelvis is a fall
    fall_window_s: float = 0.25  # a non-foot ground contact is a fall unless the reference touches within this
    ground_touch_depth_m: float = 0.0  # a non-foot geom closer to the floor than this touches it (fall)
    fail_body_error_m: float = 0.5  # PHC: mean body error above this at any frame = failed clip
    saturation_fraction: float = 0.99  # |torque| >= this x effort limit counts as saturated

    @classmethod
    def preset(cls, name: str) -> ScoreConfig:
        """Named presets: 'default' (the thresholds above), 'strict' (PHC's training tolerance of 0.25 m, 45 deg)."""
        presets = {"default": cls(), "strict": cls(fail_body_error_m=0.25, fall_tilt_deg=45.0, skate_speed_mps=0.1)}
        return choose_preset(presets, name, "score")


def _stats(x: np.ndarray, scale: float = 1.0, digits: int = 4) -> dict[str, float | None]:
    x = np.asarray(x, dtype=np.float64).ravel()
    x = x[np.isfinite(x)]
    if x.size == 0:
        return {"mean": None, "p95": None, "max": None}
    return {k: round(float(v) * scale, digits) for k, v in (("mean", x.mean()), ("p95", np.percentile(x, 95)),
                                                            ("max", x.max()))}  # fmt: skip


def support_margin(points_xy: np.ndarray, com_xy: np.ndarray) -> float:
    """Signed distance (m) of the CoM ground projection to the convex hull of the contact points: > 0 inside.
    A degenerate hull (one point, collinear points) has no inside: the margin is minus the distance to it."""
    pts = np.unique(np.round(np.asarray(points_xy, dtype=np.float64), 6), axis=0)
    if len(pts) == 0:
        return float("nan")
    try:
        hull = ConvexHull(pts) if len(pts) >= 3 else None
    except QhullError:
        hull = None
    ring = pts[hull.vertices] if hull is not None else pts[np.lexsort((pts[:, 1], pts[:, 0]))][[0, -1]]
    a, b = ring, np.roll(ring, -1, axis=0)
    ab = b - a
    length2 = np.maximum((ab**2).sum(1), 1e-18)
    u = np.clip(((com_xy - a) * ab).sum(1) / length2, 0.0, 1.0)
    dist = np.linalg.norm(a + u[:, None] * ab - com_xy, axis=1).min()
    inside = hull is not None and (hull.equations[:, :2] @ com_xy + hull.equations[:, 2]).max() <= 0.0
    return float(dist if inside else -dist)


@dataclass
class FrameGeometry:
    """Per-frame quantities from collision detection on the recorded poses."""

    foot_points: list[np.ndarray]  # per frame: (k, 2) xy of foot-floor contact points
    foot_penetration: np.ndarray  # (T,) deepest foot-floor penetration, m (>= 0)
    ground_touch: np.ndarray  # (T,) id of a non-foot robot geom touching the floor, or -1
    com: np.ndarray  # (T, 3)
    torso_tilt_deg: np.ndarray  # (T,)


def _pair_codes(scene: G1Scene) -> np.ndarray:
    """(ngeom, ngeom): 1 for foot-floor geom pairs, 2 for other robot geom-floor pairs, 0 otherwise (both orders)."""
    ng = scene.model.ngeom
    codes = np.zeros((ng, ng), dtype=np.int8)
    feet = np.concatenate(scene.foot_geoms)
    others = np.setdiff1d(scene.robot_collision_geoms, feet)
    for floor in scene.floor_geoms:
        codes[floor, others] = codes[others, floor] = 2
        codes[floor, feet] = codes[feet, floor] = 1
    return codes


def pose_frame(scene: G1Scene, data: mujoco.MjData, qpos: np.ndarray) -> tuple[np.ndarray, float]:
    """Put the robot in pose qpos (36,), run kinematics and collision; its centre of mass (3,) and torso tilt (deg)."""
    data.qpos[scene.qpos_adr] = qpos
    mujoco.mj_kinematics(scene.model, data)
    mujoco.mj_comPos(scene.model, data)
    mujoco.mj_collision(scene.model, data)
    tilt = np.degrees(np.arccos(np.clip(data.xmat[scene.body_ids[TORSO_IDX], 8], -1.0, 1.0)))
    return data.subtree_com[scene.root_body].copy(), float(tilt)


def frame_geometry(scene: G1Scene, qpos: np.ndarray, config: ScoreConfig) -> FrameGeometry:
    """Collision detection and CoM for each recorded pose (T, 36), vectorised over each frame's contacts."""
    model = scene.model
    data = mujoco.MjData(model)
    codes = _pair_codes(scene)
    t_len = len(qpos)
    points, pen = [], np.zeros(t_len)
    touch, com, tilt = np.full(t_len, -1), np.zeros((t_len, 3)), np.zeros(t_len)
    con = data.contact
    for t in range(t_len):
        com[t], tilt[t] = pose_frame(scene, data, qpos[t])
        n = data.ncon
        g = con.geom[:n]
        code = codes[g[:, 0], g[:, 1]]
        dist = con.dist[:n]
        foot = code == 1
        points.append(con.pos[:n][foot, :2])
        pen[t] = max(0.0, -float(dist[foot].min())) if foot.any() else 0.0
        hit = np.flatnonzero((code == 2) & (dist < config.ground_touch_depth_m))
        if hit.size:
            pair = g[hit[0]]
            touch[t] = int(pair[1] if pair[0] in scene.floor_geoms else pair[0])
    return FrameGeometry(points, pen, touch, com, tilt)


def _sole_points(scene: G1Scene, data: mujoco.MjData, margin: float) -> list[tuple[int, np.ndarray]]:
    """(body id, world point) of each foot capsule's end-cap bottom lying within `margin` of the floor (z = 0)."""
    out = []
    for side in scene.foot_geoms:
        for g in side:
            radius, half = scene.model.geom_size[g, 0], scene.model.geom_size[g, 1]
            axis = data.geom_xmat[g].reshape(3, 3)[:, 2]
            for sign in (-1.0, 1.0):
                p = data.geom_xpos[g] + sign * half * axis - np.array([0.0, 0.0, radius])
                if p[2] < margin:
                    out.append((int(scene.model.geom_bodyid[g]), np.array([p[0], p[1], 0.0])))
    return out


def reference_feasibility(scene: G1Scene, reference: RobotMotion, contact_margin_m: float = 0.02) -> dict:
    """How much external help the reference needs, per frame, from MuJoCo inverse dynamics.

    residual_*: contact-free mj_inverse gives the free-joint wrench qfrc_inverse[:6] the motion needs; the part that
    no floor force can supply is what remains after the best non-negative combination (scipy nnls) of friction-
    pyramid forces at the soles within `contact_margin_m` of the floor. 0 = dynamically feasible.
    soft_contact_residual_*: mj_inverse with MuJoCo's own soft contacts (qfrc_inverse[:6] as is); it reads ~ the
    body weight for any pose whose feet merely touch the floor without penetrating, so it is reported, not scored.
    """
    model = scene.model
    free_model = copy.deepcopy(model)
    free_model.opt.disableflags |= mujoco.mjtDisableBit.mjDSBL_CONTACT
    data, free = mujoco.MjData(model), mujoco.MjData(free_model)
    t_len = reference.num_frames
    qvel = np.stack([reference_qvel(reference, t) for t in range(t_len)])
    qacc = np.gradient(qvel, 1.0 / reference.fps, axis=0) if t_len > 1 else np.zeros_like(qvel)
    root = scene.qvel_adr[:6]
    mu = float(model.geom_friction[scene.foot_geoms[0][0], 0])
    pyramid = np.array([[mu, 0, 1], [-mu, 0, 1], [0, mu, 1], [0, -mu, 1]], dtype=np.float64).T  # (3, 4)
    jacp = np.zeros((3, model.nv))
    soft, res = np.zeros((t_len, 6)), np.zeros((t_len, 6))
    for t in range(t_len):
        for m, d in ((model, data), (free_model, free)):
            d.qpos[scene.qpos_adr] = reference.qpos[t]
            d.qvel[scene.qvel_adr] = qvel[t]
            d.qacc[scene.qvel_adr] = qacc[t]
            mujoco.mj_inverse(m, d)
        soft[t] = data.qfrc_inverse[root]
        need = free.qfrc_inverse[root].copy()
        cols = []
        for body, point in _sole_points(scene, free, contact_margin_m):
            mujoco.mj_jac(free_model, free, jacp, None, point, body)
            cols.append(jacp[:, root].T @ pyramid)  # (6, 4): root wrench of each pyramid edge force
        if cols:
            a = np.concatenate(cols, axis=1)
            lam, _ = nnls(a, need, maxiter=50 * a.shape[1])
            need = need - a @ lam
        res[t] = need
    w = scene.weight
    force, torque = np.linalg.norm(res[:, :3], axis=1), np.linalg.norm(res[:, 3:], axis=1)
    return {
        "residual_force_n": _stats(force, digits=2), "residual_torque_nm": _stats(torque, digits=2),
        "residual_force_over_weight": _stats(force / w),
        "share_frames_over_10pct_weight": round(float((force > 0.1 * w).mean()), 4),
        "soft_contact_residual_force_n": _stats(np.linalg.norm(soft[:, :3], axis=1), digits=2),
        "soft_contact_residual_torque_nm": _stats(np.linalg.norm(soft[:, 3:], axis=1), digits=2),
        "contact_margin_m": contact_margin_m, "friction": mu,
    }  # fmt: skip


def first_fall(scene: G1Scene, rollout: Rollout, geo: FrameGeometry, config: ScoreConfig) -> tuple[int, str] | None:
    """(frame, cause) of the first fall, judged against the reference, or None.

    A fall is what the reference does not do: a non-foot body on the ground where the reference keeps every
    non-foot body off it (within `fall_window_s`), a torso tilt past `fall_tilt_deg` and `fall_tilt_margin_deg`
    beyond the reference's tilt, or a pelvis `fall_height_margin_m` below the reference's. A deep bow or a squat
    in the reference is therefore not a fall when the robot performs it."""
    ref = rollout.reference
    ref_geo = frame_geometry(scene, ref.qpos[: rollout.num_frames], config)
    t_len = min(rollout.num_frames, len(ref_geo.torso_tilt_deg))
    w = max(0, int(round(config.fall_window_s * rollout.fps)))
    ref_touch = ref_geo.ground_touch[:t_len] >= 0
    counts = np.concatenate([[0], np.cumsum(ref_touch)])  # reference touches within +-w frames of each frame
    frames = np.arange(t_len)
    near_touch = counts[np.minimum(t_len, frames + w + 1)] - counts[np.maximum(0, frames - w)] > 0
    candidates = []
    touch = np.flatnonzero((geo.ground_touch[:t_len] >= 0) & ~near_touch)
    if touch.size:
        candidates.append((int(touch[0]), "ground contact by " + _geom_name(scene, geo.ground_touch[touch[0]])))
    limit = np.maximum(config.fall_tilt_deg, ref_geo.torso_tilt_deg[:t_len] + config.fall_tilt_margin_deg)
    tilt = np.flatnonzero(geo.torso_tilt_deg[:t_len] > limit)
    if tilt.size:
        t = int(tilt[0])
        candidates.append(
            (t, f"torso tilt {geo.torso_tilt_deg[t]:.0f} deg (reference {ref_geo.torso_tilt_deg[t]:.0f})")
        )
    low = np.flatnonzero(rollout.qpos[:t_len, 2] < ref.qpos[:t_len, 2] - config.fall_height_margin_m)
    if low.size:
        candidates.append((int(low[0]), f"pelvis over {config.fall_height_margin_m:g} m below the reference's"))
    return min(candidates) if candidates else None


def foot_contact_scores(rollout: Rollout, geo: FrameGeometry, config: ScoreConfig) -> dict:
    """Force-based contacts: share per foot, sliding while held, penetration, agreement with the reference."""
    ref, dt = rollout.reference, 1.0 / rollout.fps
    in_contact = rollout.foot_forces[:, :, 2] > config.contact_force_n  # (T, 2)
    feet = rollout.body_pos_w[:, FOOT_BODY_IDX]  # (T, 2, 3)
    speed = np.linalg.norm(np.diff(feet[..., :2], axis=0), axis=-1) / dt  # (T-1, 2)
    held = in_contact[1:] & in_contact[:-1]
    slide = speed[held]
    ref_labels = (
        ref.foot_contacts if ref.foot_contacts is not None else kinematic_foot_contacts(ref.body_pos_w, ref.fps)
    )
    ref_labels = np.asarray(ref_labels, dtype=bool)
    flight = ~in_contact.any(axis=1)
    return {
        "contact_share": [round(float(x), 4) for x in in_contact.mean(axis=0)],
        "slide_speed_mps": _stats(slide),
        "slide_distance_m": round(float(slide.sum() * dt), 4),
        "skate_share": round(float((slide > config.skate_speed_mps).mean()), 4) if slide.size else 0.0,
        "penetration_mm": _stats(geo.foot_penetration, 1000.0, 2),
        "agreement_with_reference": round(float((in_contact == ref_labels).mean()), 4),
        "agreement_per_foot": [round(float(x), 4) for x in (in_contact == ref_labels).mean(axis=0)],
        "flight_frames": int(flight.sum()),
        "reference_flight_frames": int((~ref_labels.any(axis=1)).sum()),
    }  # fmt: skip


def balance_scores(scene: G1Scene, rollout: Rollout, geo: FrameGeometry, config: ScoreConfig) -> dict:
    """The first fall (relative to the reference), torso tilt and the CoM's margin inside the support polygon."""
    dt = 1.0 / rollout.fps
    fall = first_fall(scene, rollout, geo, config)
    margins = np.array([support_margin(p, c[:2]) for p, c in zip(geo.foot_points, geo.com)])
    supported = np.isfinite(margins)
    return {
        "fell": fall is not None,
        "fall_frame": fall[0] if fall else None,
        "fall_time_s": round(fall[0] * dt, 3) if fall else None,
        "fall_cause": fall[1] if fall else None,
        "torso_tilt_deg": _stats(geo.torso_tilt_deg, digits=2),
        "com_margin_m": {
            **_stats(margins), "min": round(float(margins[supported].min()), 4) if supported.any() else None
        },
        "com_outside_support_share": round(float((margins[supported] < 0).mean()), 4) if supported.any() else None,
        "frames_with_support": int(supported.sum()),
    }  # fmt: skip


def body_errors(rollout: Rollout) -> np.ndarray:
    """(T, B) world distance of every body from its reference."""
    return np.linalg.norm(rollout.body_pos_w - rollout.reference.body_pos_w, axis=-1)


def tracking_scores(rollout: Rollout, config: ScoreConfig) -> dict:
    """PHC tracking: global and root-relative body errors, joint RMSE, success (no frame beyond the threshold)."""
    ref = rollout.reference
    err = body_errors(rollout)
    rel = (rollout.body_pos_w - rollout.body_pos_w[:, :1]) - (ref.body_pos_w - ref.body_pos_w[:, :1])
    frame_err = err.mean(axis=1)
    fail = np.flatnonzero(frame_err > config.fail_body_error_m)
    return {
        "g_mpjpe_mm": round(float(err.mean() * 1000), 2),
        "mpjpe_mm": round(float(np.linalg.norm(rel, axis=-1).mean() * 1000), 2),
        "frame_error_m": _stats(frame_err),
        "joint_rmse_rad": round(float(np.sqrt(((rollout.qpos[:, 7:] - ref.joint_pos) ** 2).mean())), 4),
        "root_error_m": _stats(err[:, 0]),
        "success": bool(fail.size == 0),
        "fail_frame": int(fail[0]) if fail.size else None,
    }  # fmt: skip


def effort_scores(scene: G1Scene, rollout: Rollout, config: ScoreConfig) -> dict:
    """Torques, power, energy and actuator saturation."""
    dt = 1.0 / rollout.fps
    limit = scene.effort_limit
    saturated = rollout.torque_peak >= config.saturation_fraction * limit
    per_joint_sat = saturated.mean(axis=0)
    return {
        "torque_abs_nm": _stats(np.abs(rollout.torque), digits=3),
        "torque_rms_nm": round(float(np.sqrt((rollout.torque**2).mean())), 3),
        "peak_torque_over_limit": round(float((rollout.torque_peak / limit).max()), 4),
        "power_w": _stats(rollout.power, digits=2),
        "energy_j": round(float(rollout.power.sum() * dt), 2),
        "saturation_share": round(float(saturated.mean()), 4),
        "most_saturated_joint": robot.JOINT_NAMES[int(per_joint_sat.argmax())] if saturated.any() else None,
    }  # fmt: skip


def smoothness_scores(rollout: Rollout) -> dict:
    """Action rate and joint / body jerk, beside the reference's jerk."""
    ref, t_len, dt = rollout.reference, rollout.num_frames, 1.0 / rollout.fps
    action_rate = np.sum(np.diff(rollout.actions, axis=0) ** 2, axis=1) if t_len > 1 else np.zeros(0)
    return {
        "action_rate_l2": _stats(action_rate, digits=4),
        "joint_jerk_rad_s3": round(float(np.abs(jerk(rollout.qpos[:, 7:], dt)).mean()), 2) if t_len > 3 else None,
        "reference_joint_jerk_rad_s3": round(float(np.abs(jerk(ref.joint_pos, dt)).mean()), 2) if t_len > 3 else None,
        "body_jerk_m_s3": round(float(np.linalg.norm(jerk(rollout.body_pos_w, dt), axis=-1).mean()), 2)
        if t_len > 3 else None,
        "reference_body_jerk_m_s3": round(float(np.linalg.norm(jerk(ref.body_pos_w, dt), axis=-1).mean()), 2)
        if t_len > 3 else None,
    }  # fmt: skip


def summary_scores(rollout: Rollout, scores: dict, mean_body_error_m: float) -> dict:
    """The headline figures and the documented physical cost that best-of-K ranks by."""
    t_len, dt = rollout.num_frames, 1.0 / rollout.fps
    balance, tracking, foot_contact = scores["balance"], scores["tracking"], scores["foot_contact"]
    duration = t_len * dt
    cost = (
        10.0 * balance["fell"] + 2.0 * (not tracking["success"]) + mean_body_error_m
        + foot_contact["slide_distance_m"] / max(duration, dt)
    )  # fmt: skip
    return {
        "frames": t_len, "duration_s": round(duration, 3), "fell": balance["fell"], "success": tracking["success"],
        "g_mpjpe_mm": tracking["g_mpjpe_mm"], "slide_distance_m": foot_contact["slide_distance_m"],
        "physical_cost": round(cost, 4),
        "physical_cost_formula": "10*fell + 2*(not success) + mean body error (m) + slide distance per second (m/s)",
    }  # fmt: skip


def score_rollout(
    scene: G1Scene, rollout: Rollout, config: ScoreConfig = ScoreConfig(), feasibility: bool = True
) -> dict:
    """All scores of a rollout as a JSON-ready dict (with the settings used), one group per function above."""
    geo = frame_geometry(scene, rollout.qpos, config)
    scores = {
        "foot_contact": foot_contact_scores(rollout, geo, config),
        "balance": balance_scores(scene, rollout, geo, config),
        "tracking": tracking_scores(rollout, config),
        "effort": effort_scores(scene, rollout, config),
        "smoothness": smoothness_scores(rollout),
    }
    if feasibility:
        scores["reference_feasibility"] = reference_feasibility(scene, rollout.reference)
    scores["summary"] = summary_scores(rollout, scores, float(body_errors(rollout).mean()))
    scores["settings"] = {
        "score_config": asdict(config), "model_hash": model_hash(scene.model), "rollout": rollout.settings,
        "weight_n": round(scene.weight, 3),
    }  # fmt: skip
    return scores


def _geom_name(scene: G1Scene, geom: int) -> str:
    name = mujoco.mj_id2name(scene.model, mujoco.mjtObj.mjOBJ_GEOM, int(geom)) or f"geom {geom}"
    body = mujoco.mj_id2name(scene.model, mujoco.mjtObj.mjOBJ_BODY, int(scene.model.geom_bodyid[geom]))
    return f"{name} ({body})".replace("robot/", "")
