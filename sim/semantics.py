"""Did the robot do what the text said? Semantic scores of a rollout beside its physical ones.

The robot-side recogniser labels every frame of the reference and of the executed rollout (frames from a fall on are
`fallen`); from those labels: the actions recognised over time, whether the prompt's actions occur in order (the
generator's order-correct test, with the one shared prompt splitter), which hand performs each one-sided action
the prompt names with a side (read from the wrists), and the share of the reference's action frames whose action the
robot also performed.
"""

from __future__ import annotations

import re

import numpy as np

from generator.eval.action_classifier import NON_ACTIONS, ActionClassifier, in_order, parse_actions, segment_order
from generator.motion.errors import InputError
from generator.sampling.prompt import prompt_parts
from retarget import robot

FALLEN = "fallen"
ONE_SIDED = frozenset({"wave", "punch", "point", "reach up", "side step", "turn"})  # actions a prompt may side
_ARM = frozenset({"wave", "punch", "point", "reach up"})
_LOCOMOTION = frozenset({"walk", "walk backward", "side step"})
_RAISED_HAND = frozenset({"wave", "reach up", "raise arms"})
WALK_DONE_M = 1.0  # a requested locomotion counts as done when the pelvis travels at least this far
SIDE_MARGIN_M = 0.05  # the acting wrist must be this much higher (on average, pelvis-relative) than the other


def frame_actions(recognizer: ActionClassifier, features: np.ndarray, fall_frame: int | None = None) -> list[str]:
    """The recognised action of every frame; frames from `fall_frame` on are FALLEN (nothing performed)."""
    labels = recognizer.predict_frames(features)
    if fall_frame is not None:
        labels[fall_frame:] = [FALLEN] * (len(labels) - fall_frame)
    return labels


def timeline(labels: list[str], fps: float, min_frames: int) -> list[dict]:
    """Runs of equal labels as {action, start_s, end_s}; a run shorter than `min_frames` joins the run before it (the
    first one, the run after it)."""
    merged: list[list] = []  # [label, start, end)
    for i, lab in enumerate(labels):
        if merged and merged[-1][0] == lab:
            merged[-1][2] = i + 1
        elif merged and merged[-1][2] - merged[-1][1] < min_frames and len(merged) > 1:
            merged.pop()  # a blip: the run before it absorbs it, then this frame continues or starts a run
            if merged[-1][0] == lab:
                merged[-1][2] = i + 1
            else:
                merged[-1][2] = i
                merged.append([lab, i, i + 1])
        else:
            merged.append([lab, i, i + 1])
    if len(merged) > 1 and merged[0][2] - merged[0][1] < min_frames:  # a blip at the start joins the run after it
        merged[1][1] = 0
        merged.pop(0)
    return [{"action": lab, "start_s": round(s / fps, 2), "end_s": round(e / fps, 2)} for lab, s, e in merged]


def requested_sides(prompt: str, labels: list[str]) -> list[tuple[str, str]]:
    """(action, 'left' | 'right') for every part of the prompt that names a one-sided action and a side."""
    out = []
    for part in prompt_parts(prompt):
        words = set(re.findall(r"[a-z]+", part.lower()))
        side = "left" if "left" in words else "right" if "right" in words else None
        if side is None:
            continue
        try:
            (action,) = parse_actions(part, labels)
        except (InputError, ValueError):
            continue
        if action in ONE_SIDED:
            out.append((action, side))
    return out


def acting_side(body_pos_w: np.ndarray, body_quat_w: np.ndarray, frames: np.ndarray, action: str) -> str | None:
    """Which side performs `action` over `frames` (a bool mask): for arm actions the wrist held higher above the
    pelvis; for a side step the heading-frame lateral displacement; for a turn the sign of the heading change."""
    from sim.recognizer import yaw_of

    if not frames.any():
        return None
    idx = np.flatnonzero(frames)
    if action in _ARM:
        pelvis_z = body_pos_w[idx, 0, 2]
        left = body_pos_w[idx, robot.BODY_INDEX["left_wrist_yaw_link"], 2] - pelvis_z
        right = body_pos_w[idx, robot.BODY_INDEX["right_wrist_yaw_link"], 2] - pelvis_z
        diff = float(np.mean(left - right))
        return None if abs(diff) < SIDE_MARGIN_M else "left" if diff > 0 else "right"
    yaw = np.unwrap(yaw_of(body_quat_w[idx, 0]))
    if action == "turn":
        change = float(yaw[-1] - yaw[0])
        return None if abs(change) < np.deg2rad(20) else "left" if change > 0 else "right"  # z up: +yaw turns left
    shift = body_pos_w[idx[-1], 0, :2] - body_pos_w[idx[0], 0, :2]
    lateral = -np.sin(yaw[0]) * shift[0] + np.cos(yaw[0]) * shift[1]  # heading frame y: the robot's left
    return None if abs(lateral) < 0.1 else "left" if lateral > 0 else "right"


def _wrist_above_shoulder(motion, frames: np.ndarray, side: str) -> np.ndarray:
    """Height (m) of a wrist above its own shoulder at `frames`."""
    wrist, shoulder = (robot.BODY_INDEX[f"{side}_{b}_link"] for b in ("wrist_yaw", "shoulder_pitch"))
    return motion.body_pos_w[frames, wrist, 2] - motion.body_pos_w[frames, shoulder, 2]


def action_checks(reference, rollout, ref_labels: list[str], requested: list[str]) -> list[dict]:
    """Geometric checks of the requested actions, robot against reference, over the frames the recogniser labels
    with that action in the reference: a locomotion action's pelvis displacement (m); for a hand-raising action
    the peak height of the acting wrist (the one held higher in the reference) above its shoulder (m), the hand
    counting as raised when the robot's wrist gets above its shoulder. `done`: the robot walked at least
    WALK_DONE_M, or raised the hand."""
    out = []
    for action in dict.fromkeys(requested):
        frames = np.flatnonzero([lab == action for lab in ref_labels])
        if not len(frames):
            continue
        if action in _LOCOMOTION:
            a, b = frames[0], frames[-1]
            ref_m, robot_m = (float(np.linalg.norm(m.body_pos_w[b, 0, :2] - m.body_pos_w[a, 0, :2]))
                              for m in (reference, rollout))  # fmt: skip
            out.append({"action": action, "measure": "pelvis displacement (m)", "reference": round(ref_m, 3),
                        "robot": round(robot_m, 3), "done": robot_m >= WALK_DONE_M})  # fmt: skip
        elif action in _RAISED_HAND:
            side = max(("left", "right"), key=lambda k: float(_wrist_above_shoulder(reference, frames, k).mean()))
            ref_peak = float(_wrist_above_shoulder(reference, frames, side).max())
            robot_peak = float(_wrist_above_shoulder(rollout, frames, side).max())
            out.append({"action": action, "measure": f"{side} wrist above its shoulder, peak (m)",
                        "reference": round(ref_peak, 3), "robot": round(robot_peak, 3),
                        "raised": robot_peak > 0.0, "done": robot_peak > 0.0})  # fmt: skip
    return out


def checks_text(semantics: dict) -> str:
    """The geometric checks in one line, for the report and the demo's output."""
    return "; ".join(
        f"{c['action']}: {c['measure']} robot {c['robot']}, reference {c['reference']}"
        + (
            f" ({'' if c['done'] else 'under '}{WALK_DONE_M:g} m)"
            if "raised" not in c
            else " (raised)"
            if c["raised"]
            else " (not raised)"
        )
        for c in semantics.get("checks", [])
    )


def semantic_scores(
    recognizer: ActionClassifier, prompt: str, rollout, fall_frame: int | None = None, human_labels=None
) -> dict:
    """JSON-ready semantic scores of a rollout for `prompt` (see the module docstring)."""
    from sim.recognizer import motion_features, rollout_features

    ref, fps = rollout.reference, rollout.fps
    min_frames = max(1, round(recognizer.cfg.min_segment_frames * fps / 30))  # the classifier's 30 fps setting
    ref_labels = frame_actions(recognizer, motion_features(ref))
    robot_labels = frame_actions(recognizer, rollout_features(rollout), fall_frame)
    ref_order = segment_order(ref_labels, min_frames)
    robot_order = [a for a in segment_order(robot_labels, min_frames) if a != FALLEN]
    try:
        requested = parse_actions(prompt, recognizer.labels) if prompt.strip() else []
        unparsed = None
    except InputError as e:
        requested, unparsed = [], str(e)
    sides = []
    for action, side in requested_sides(prompt, recognizer.labels):
        ref_side = acting_side(ref.body_pos_w, ref.body_quat_w, np.array([lab == action for lab in ref_labels]), action)
        mask = np.array([lab == action for lab in robot_labels])
        robot_side = acting_side(rollout.body_pos_w, rollout.body_quat_w, mask, action)
        sides.append({"action": action, "requested": side, "reference": ref_side, "robot": robot_side,
                      "correct": robot_side == side})  # fmt: skip
    acting = np.array([lab not in NON_ACTIONS for lab in ref_labels])
    same = np.array([a == b for a, b in zip(ref_labels, robot_labels)])
    robot_in_order = bool(requested) and in_order(robot_order, requested)
    out = {
        "prompt": prompt,
        "requested_actions": requested,
        "reference_actions": ref_order,
        "robot_actions": robot_order,
        "reference_in_order": bool(requested) and in_order(ref_order, requested),
        "robot_in_order": robot_in_order,
        "missing_actions": [a for a in requested if a not in robot_order],
        "sides": sides,
        "sides_correct": all(s["correct"] for s in sides) if sides else None,
        "reference_frames_performed": round(float(same[acting].mean()), 4) if acting.any() else None,
        "checks": action_checks(ref, rollout, ref_labels, requested),
        "correct": robot_in_order and all(s["correct"] for s in sides),
        "timeline": {
            "reference": timeline(ref_labels, fps, min_frames), "robot": timeline(robot_labels, fps, min_frames),
        },
        "recognizer_labels": list(recognizer.labels),
    }  # fmt: skip
    if human_labels is not None:
        out["timeline"]["human"] = timeline(list(human_labels), 30.0, recognizer.cfg.min_segment_frames)
    if unparsed:
        out["note"] = unparsed
    return out


def add_semantics(scores: dict, rollout, prompt: str | None = None, recognizer=None, human_labels=None) -> dict:
    """scores["semantics"] for `prompt` (default: the reference's text), with the shipped recogniser unless one is
    given; the fall frame comes from the physical scores. Returns the semantic section."""
    from sim.recognizer import load_recognizer

    recognizer = recognizer if recognizer is not None else load_recognizer()
    text = rollout.reference.source_text if prompt is None else prompt
    fall = scores.get("balance", {}).get("fall_frame")
    scores["semantics"] = semantic_scores(recognizer, text, rollout, fall, human_labels)
    return scores["semantics"]
