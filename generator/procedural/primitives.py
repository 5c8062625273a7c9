"""The parameterised motion primitives (>= 25): each builds a Track that starts and ends in the neutral stance.

Units: metres, radians, seconds. Sides: 0 = left, 1 = right, 2 = both. Body frame: x left, y up, z forward.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from scipy.ndimage import uniform_filter1d

from generator.procedural.gait import JOG, RUN, SHUFFLE, SWING_DELAY, WALK, gait_track, swing_height
from generator.procedural.ik import normalize
from generator.procedural.track import (
    FPS,
    NEUTRAL_HAND,
    NEUTRAL_POLE,
    NEUTRAL_TOE,
    SIDE_SIGN,
    Track,
    arc_blend,
    envelope,
    frames,
    keyframes,
    min_jerk,
    stand,
)  # fmt: skip

G = 9.81
SIDE_WORD = ("left", "right", "both")


def _sides(side: int) -> tuple[int, ...]:
    return (0, 1) if side == 2 else (int(side),)


def _mirror_x(v: np.ndarray, s: int) -> np.ndarray:
    """A left-side vector (x points outwards) expressed for side s."""
    out = np.array(v, dtype=np.float64)
    out[..., 0] *= SIDE_SIGN[s]
    return out


def _gesture(tr: Track, s: int, keys: list[tuple[int, np.ndarray, np.ndarray]], wobble: np.ndarray | None = None):
    """Drive arm s through hand keyframes [(frame, left-side hand target, left-side pole)] along arcs.

    Targets are written for the left arm and mirrored for the right; `wobble` (n, 3) is added on top (left frame).
    """
    n = tr.n
    hand = np.repeat(NEUTRAL_HAND[s][None], n, 0)
    pole = np.repeat(NEUTRAL_POLE[s][None], n, 0)
    t = np.arange(n)
    for (f0, h0, p0), (f1, h1, p1) in zip(keys[:-1], keys[1:]):
        sel = (t >= f0) & (t <= f1)
        w = min_jerk((t[sel] - f0) / max(f1 - f0, 1))
        hand[sel] = arc_blend(_mirror_x(h0, s), _mirror_x(h1, s), w)
        pole[sel] = normalize(_mirror_x(p0, s) * (1 - w)[:, None] + _mirror_x(p1, s) * w[:, None])
    if keys[-1][0] < n - 1:
        hand[keys[-1][0] :] = _mirror_x(keys[-1][1], s)
        pole[keys[-1][0] :] = normalize(_mirror_x(keys[-1][2], s))
    if wobble is not None:
        hand = hand + _mirror_x(wobble, s)
    tr.hand[:, s], tr.pole[:, s] = hand, pole


H0, P0 = NEUTRAL_HAND[0], NEUTRAL_POLE[0]
POLE_DOWN = normalize(np.array([0.5, -1.0, -0.2]))  # elbow down and out: arms in front or raised
POLE_OUT = normalize(np.array([1.0, -0.3, -0.3]))  # elbow out: hands overhead


def _hold_keys(n: int, ramp: int, target: np.ndarray, pole: np.ndarray) -> list:
    """Neutral -> target (over ramp frames) -> hold -> neutral (over ramp frames)."""
    return [(0, H0, P0), (ramp, target, pole), (n - 1 - ramp, target, pole), (n - 1, H0, P0)]


# ---------------------------------------------------------------------------------------------- locomotion


def _steps_for(duration: float, cadence: float, duty: float) -> int:
    t_swing = (1.0 - duty) * 2.0 / cadence
    return max(2, int(round((duration - 0.6 - t_swing) * cadence)) + 1)


def walk(speed: float = 1.1, duration: float = 4.0, turn: float = 0.0) -> Track:
    """Walk forward at `speed` m/s, optionally curving by `turn` radians over the walk."""
    g = replace(WALK, speed=speed, cadence=1.45 + 0.35 * speed, heel_lift=0.2 + 0.15 * speed)
    return gait_track(g, _steps_for(duration, g.cadence, g.duty), turn=turn, label="walk")


def walk_backward(speed: float = 0.6, duration: float = 4.0) -> Track:
    g = replace(WALK, speed=speed, cadence=1.6, heel_lift=0.1, arm_swing=0.3, lean=0.0, clearance=0.08)
    return gait_track(g, _steps_for(duration, g.cadence, g.duty), direction=(0.0, -1.0), label="walk backward")


def walk_sideways(side: int = 0, speed: float = 0.35, duration: float = 4.0, label: str = "walk sideways") -> Track:
    g = replace(WALK, speed=speed, cadence=1.5, heel_lift=0.08, arm_swing=0.0, lean=0.0, clearance=0.07, sway=0.15)
    n_steps = _steps_for(duration, g.cadence, g.duty)
    n_steps += n_steps % 2  # end with the trailing foot closing in
    return gait_track(g, n_steps, direction=(SIDE_SIGN[side], 0.0), first_foot=side, label=label, side_bias=True)


def side_step(side: int = 0, steps: int = 2) -> Track:
    return walk_sideways(side, speed=0.3, duration=0.6 + 2 * steps / 1.5, label="side step")


def walk_circle(side: int = 0, speed: float = 0.9, duration: float = 6.0) -> Track:
    """Walk a full circle, turning towards `side` (0: counter-clockwise, to the left)."""
    g = replace(WALK, speed=speed, cadence=1.45 + 0.35 * speed, heel_lift=0.2)
    return gait_track(g, _steps_for(duration, g.cadence, g.duty), turn=2 * np.pi * SIDE_SIGN[side],
                      first_foot=1 - side, label="walk in a circle")  # fmt: skip


def jog(speed: float = 1.8, duration: float = 4.0) -> Track:
    g = replace(JOG, speed=speed, cadence=2.2 + 0.15 * speed)
    return gait_track(g, _steps_for(duration, g.cadence, g.duty), label="jog")


def run(speed: float = 2.6, duration: float = 4.0) -> Track:
    g = replace(RUN, speed=speed, cadence=2.3 + 0.2 * speed)
    return gait_track(g, _steps_for(duration, g.cadence, g.duty), label="run")


def march(steps: int = 6, knee_height: float = 0.22) -> Track:
    """March in place with high knees."""
    g = replace(SHUFFLE, clearance=knee_height, cadence=1.6, heel_lift=0.2)
    return gait_track(g, steps, label="march")


def turn(angle: float = np.pi / 2) -> Track:
    """Turn in place by `angle` (positive: to the left) with small stepping."""
    n_steps = max(2, int(np.ceil(abs(angle) / (np.pi / 4)))) + 1
    return gait_track(SHUFFLE, n_steps, turn=angle, first_foot=0 if angle > 0 else 1, label="turn")


def spin(side: int = 0, turns: float = 1.0) -> Track:
    """Spin around on the spot (positive: to the left) with quick steps."""
    angle = 2 * np.pi * turns * SIDE_SIGN[side]
    g = replace(SHUFFLE, cadence=2.4, duty=0.6, clearance=0.07)
    return gait_track(g, int(np.ceil(abs(angle) / (np.pi / 3.5))) + 1, turn=angle, first_foot=side, label="spin")


# ------------------------------------------------------------------------------------------ whole body


def idle(duration: float = 2.0) -> Track:
    """Stand still, breathing, with a slow weight shift."""
    n = frames(duration)
    tr = stand(n, "stand")
    t = np.arange(n) / FPS
    env = envelope(n, min(20, n // 3), min(20, n // 3))
    tr.root[:, 0] = 0.012 * np.sin(2 * np.pi * t / 3.0) * env
    tr.spine[:, 2, 0] = -0.02 * (1 - np.cos(2 * np.pi * t / 3.5)) * env
    return tr


def _hermite(p0: float, v0: float, p1: float, v1: float, n: int, dt: float) -> np.ndarray:
    """Cubic Hermite samples at n frames covering duration dt (endpoint included)."""
    s = np.linspace(0.0, 1.0, n)
    h00, h10 = 2 * s**3 - 3 * s**2 + 1, s**3 - 2 * s**2 + s
    h01, h11 = -2 * s**3 + 3 * s**2, s**3 - s**2
    return h00 * p0 + h10 * v0 * dt + h01 * p1 + h11 * v1 * dt


def jump(height: float = 0.12, distance: float = 0.0, reps: int = 1) -> Track:
    """Jump `reps` times (each `height` m high, `distance` m forward), hopping straight on between repeats."""
    crouch, takeoff_dy, heel = 0.16, 0.035, 0.55
    v_up = np.sqrt(2 * G * height)
    t_flight = 2 * v_up / G
    t_push = 2 * (crouch + takeoff_dy) / v_up
    parts_y, parts_z, flight_parts = [], [], []
    pitch_parts = []
    z = 0.0
    pre = frames(0.25)
    parts_y.append(np.zeros(pre))
    parts_z.append(np.zeros(pre))
    pitch_parts.append(np.zeros(pre))
    flight_parts.append(np.zeros(pre, bool))
    n_crouch = frames(0.45)
    w = min_jerk(np.linspace(0, 1, n_crouch))
    parts_y.append(-crouch * w)
    parts_z.append(np.full(n_crouch, z))
    pitch_parts.append(np.zeros(n_crouch))
    flight_parts.append(np.zeros(n_crouch, bool))
    vz = distance / (t_push / 2 + t_flight + t_push / 2) if distance > 0 else 0.0
    for r in range(reps):
        n_push = frames(t_push) + 1
        y = _hermite(-crouch, 0.0, takeoff_dy, v_up, n_push, t_push)
        zz = z + _hermite(0.0, 0.0, vz * t_push / 2, vz, n_push, t_push)
        parts_y.append(y[1:])
        parts_z.append(zz[1:])
        pitch_parts.append(heel * min_jerk(np.linspace(-0.6, 1, n_push)[1:]))
        flight_parts.append(np.zeros(n_push - 1, bool))
        z = zz[-1]
        n_fl = frames(t_flight) + 1
        tau = np.linspace(0, t_flight, n_fl)
        parts_y.append((takeoff_dy + v_up * tau - 0.5 * G * tau**2)[1:])
        parts_z.append((z + vz * tau)[1:])
        pitch_parts.append((heel - (heel - 0.25) * min_jerk(tau / t_flight))[1:])
        flight_parts.append(np.concatenate([np.ones(n_fl - 2, bool), [False]]))
        z = z + vz * t_flight
        last = r == reps - 1
        n_land = frames(t_push) + 1
        y = _hermite(takeoff_dy, -v_up, -crouch, 0.0, n_land, t_push)
        zz = z + _hermite(0.0, vz, vz * t_push / 2, 0.0, n_land, t_push)
        parts_y.append(y[1:])
        parts_z.append(zz[1:])
        pitch_parts.append(0.25 * (1 - min_jerk(np.linspace(0, 1, n_land)[1:] / 0.5)))
        flight_parts.append(np.zeros(n_land - 1, bool))
        z = zz[-1]
        if last:
            n_up = frames(0.5)
            parts_y.append(-crouch * (1 - min_jerk(np.linspace(0, 1, n_up + 1)[1:])))
            parts_z.append(np.full(n_up, z))
            pitch_parts.append(np.zeros(n_up))
            flight_parts.append(np.zeros(n_up, bool))
    post = frames(0.2)
    parts_y.append(np.zeros(post))
    parts_z.append(np.full(post, z))
    pitch_parts.append(np.zeros(post))
    flight_parts.append(np.zeros(post, bool))
    dy, rz, pitch = np.concatenate(parts_y), np.concatenate(parts_z), np.concatenate(pitch_parts)
    flight = np.concatenate(flight_parts)
    n = len(dy)
    tr = stand(n, "jump")
    tr.root[:, 1], tr.root[:, 2] = dy, rz
    tr.flight = flight
    tr.contact[flight] = False
    # Feet: planted under the pelvis's settled position; in flight they ride with the pelvis and tuck up.
    tr.foot_pitch[:] = pitch[:, None]
    idx = np.flatnonzero(flight)
    runs = np.split(idx, np.flatnonzero(np.diff(idx) > 1) + 1) if idx.size else []
    takeoffs = [int(r[0]) - 1 for r in runs]
    touchdowns = [int(r[-1]) + 1 for r in runs]
    foot_z = np.zeros(n)
    for k, b in enumerate(touchdowns):  # after each landing the feet stay where the pelvis settles
        stop = takeoffs[k + 1] if k + 1 < len(takeoffs) else n - 1
        foot_z[b : stop + 1] = rz[min(b + frames(t_push), stop)]
    for a, b in zip(takeoffs, touchdowns):
        u = (np.arange(a, b + 1) - a) / (b - a)
        foot_z[a : b + 1] = foot_z[a] + (foot_z[b] - foot_z[a]) * min_jerk(u)
        lift = dy[a : b + 1] - (dy[a] * (1 - u) + dy[b] * u)
        tuck = 0.08 * np.sin(np.pi * u) * min(1.0, height / 0.1)
        tr.toe[a : b + 1, :, 1] = np.maximum(lift + tuck, 0.0)[:, None]
    tr.toe[:, :, 2] = foot_z[:, None] + NEUTRAL_TOE[None, :, 2]
    # Arms: back in the crouch, forward-up through take-off and flight, down after landing.
    arm_back = np.array([0.10, -0.43, -0.22])
    arm_up = np.array([0.10, 0.10, 0.45])
    crouch_w = np.clip(-dy / crouch, 0, 1)
    air = uniform_filter1d(uniform_filter1d((flight | np.roll(flight, -4)).astype(float), 9), 9)
    for s in (0, 1):
        hand = arc_blend(_mirror_x(H0, s), _mirror_x(arm_back, s), crouch_w * (1 - air))
        tr.hand[:, s] = arc_blend(hand, _mirror_x(arm_up, s), air)
        tr.pole[:, s] = normalize(_mirror_x(P0, s) * (1 - air[:, None]) + _mirror_x(POLE_DOWN, s) * air[:, None])
    tr.tilt[:, 0] = 0.25 * crouch_w
    tr.spine[:, :, 0] = 0.1 * crouch_w[:, None]
    return tr


def _profile(n: int, keys: list[tuple[float, float]]) -> np.ndarray:
    """A scalar 0..1 profile through (seconds, value) keyframes, min-jerk between them, sampled at n frames."""
    times = [k[0] * FPS for k in keys]
    return keyframes(times, np.array([k[1] for k in keys]), n)


def _reps_profile(reps: int, down: float, hold: float, up: float, pause: float, pad: float = 0.25):
    """(n, profile) going 0 -> 1 -> 0 `reps` times: down, hold at 1, up, pause at 0."""
    keys, t = [(0.0, 0.0), (pad, 0.0)], pad
    for _ in range(reps):
        keys += [(t + down, 1.0), (t + down + hold, 1.0), (t + down + hold + up, 0.0)]
        t += down + hold + up + pause
        keys.append((t, 0.0))
    keys.append((t + pad, 0.0))
    n = int(round((t + pad) * FPS)) + 1
    return n, _profile(n, keys)


def squat(reps: int = 1, depth: float = 0.32, arms_forward: bool = True) -> Track:
    """Squat down `depth` m (pelvis drop) and stand up again, `reps` times."""
    n, w = _reps_profile(reps, 0.9, 0.25, 0.9, 0.2)
    tr = stand(n, "squat")
    tr.root[:, 1] = -depth * w
    tr.root[:, 2] = -0.35 * depth * w
    tr.tilt[:, 0] = 0.9 * depth * w
    tr.spine[:, :, 0] = 0.25 * depth * w[:, None]
    tr.head[:, 0, 0] = -0.4 * depth * w
    if arms_forward:
        for s in (0, 1):
            tr.hand[:, s] = arc_blend(_mirror_x(H0, s), _mirror_x(np.array([-0.03, -0.08, 0.46]), s), w)
            tr.pole[:, s] = normalize(_mirror_x(P0, s) * (1 - w[:, None]) + _mirror_x(POLE_DOWN, s) * w[:, None])
    return tr


def crouch(hold: float = 1.5, depth: float = 0.42) -> Track:
    """Crouch down as if sitting on a low seat, stay, then stand back up."""
    down, up = 1.0, 1.0
    n = frames(0.25 + down + hold + up + 0.25) + 1
    w = _profile(n, [(0, 0), (0.25, 0), (0.25 + down, 1), (0.25 + down + hold, 1), (0.25 + down + hold + up, 0),
                     (n / FPS, 0)])  # fmt: skip
    tr = stand(n, "crouch")
    tr.labels[int((0.25 + down + hold) * FPS) :] = "stand up"
    tr.root[:, 1] = -depth * w
    tr.root[:, 2] = -0.45 * depth * w
    tr.tilt[:, 0] = 1.0 * depth * w
    tr.spine[:, :, 0] = 0.3 * depth * w[:, None]
    tr.head[:, 0, 0] = -0.5 * depth * w
    for s in (0, 1):
        tr.hand[:, s] = arc_blend(_mirror_x(H0, s), _mirror_x(np.array([-0.05, -0.2, 0.42]), s), w)
        tr.pole[:, s] = normalize(_mirror_x(P0, s) * (1 - w[:, None]) + _mirror_x(POLE_DOWN, s) * w[:, None])
    return tr


def bow(depth: float = 0.6, hold: float = 0.8) -> Track:
    """Bow forward from the hips by `depth` radians of trunk flexion."""
    n, w = _reps_profile(1, 0.8, hold, 0.8, 0.0, pad=0.3)
    tr = stand(n, "bow")
    tr.tilt[:, 0] = 0.5 * depth * w
    tr.spine[:, :, 0] = (0.5 * depth / 3) * w[:, None]
    tr.root[:, 2] = -0.12 * depth * w
    tr.root[:, 1] = -0.02 * w
    tr.head[:, 1, 0] = 0.15 * w
    return tr


def lunge(side: int = 0, depth: float = 0.22, length: float = 0.6) -> Track:
    """Step forward with one leg into a lunge, lower the hips, rise and step back."""
    t_step, t_down, t_hold, t_up = 0.5, 0.6, 0.4, 0.6
    pad = 0.3
    marks = np.cumsum([0, pad, t_step, t_down, t_hold, t_up, t_step, pad])
    n = int(round(marks[-1] * FPS)) + 1
    t = np.arange(n) / FPS
    tr = stand(n, "lunge")
    front, back = side, 1 - side
    out_ = (t >= marks[1]) & (t < marks[2])
    back_ = (t >= marks[5]) & (t < marks[6])
    zf = np.zeros(n)
    zf[t >= marks[2]] = length
    u_out = (t[out_] - marks[1]) / t_step
    zf[out_] = length * min_jerk((u_out - SWING_DELAY) / (1 - 2 * SWING_DELAY))
    u_back = (t[back_] - marks[5]) / t_step
    zf[back_] = length * (1 - min_jerk((u_back - SWING_DELAY) / (1 - 2 * SWING_DELAY)))
    zf[t >= marks[6]] = 0.0
    tr.toe[:, front, 2] = NEUTRAL_TOE[front, 2] + zf
    tr.toe[out_, front, 1] = 0.07 * swing_height(u_out)
    tr.toe[back_, front, 1] = 0.07 * swing_height(u_back)
    tr.contact[out_ | back_, front] = False
    low = _profile(n, [(0, 0), (marks[2], 0), (marks[3], 1), (marks[4], 1), (marks[5], 0), (marks[-1], 0)])
    shift = _profile(n, [(0, 0), (marks[1], 0), (marks[2], 1), (marks[5], 1), (marks[6], 0), (marks[-1], 0)])
    tr.root[:, 2] = 0.45 * length * shift
    tr.root[:, 1] = -depth * low
    tr.foot_pitch[:, back] = 0.7 * low
    tr.tilt[:, 0] = 0.05 * low
    return tr


def kick(side: int = 0, height: float = 0.35, reach: float = 0.5) -> Track:
    """Shift onto the other foot, kick forward with `side`'s foot up to toe height `height`, put it back down."""
    pad, t_shift, t_lift, t_kick, t_ret, t_down = 0.2, 0.4, 0.15, 0.3, 0.35, 0.15
    marks = np.cumsum([0, pad, t_shift, t_lift, t_kick, t_ret, t_down, t_shift, pad])
    n = int(round(marks[-1] * FPS)) + 1
    tr = stand(n, "kick")
    k, st = side, 1 - side
    shift = _profile(n, [(0, 0), (marks[1], 0), (marks[2], 1), (marks[6], 1), (marks[7], 0), (marks[-1], 0)])
    tr.root[:, 0] = 0.85 * NEUTRAL_TOE[st, 0] * shift
    tr.root[:, 1] = -0.03 * shift
    # kicking toe: lift straight up, swing forward-up, back above the start, down
    up = np.array([NEUTRAL_TOE[k, 0], 0.08, NEUTRAL_TOE[k, 2]])
    peak = np.array([NEUTRAL_TOE[k, 0] * 0.6, height, NEUTRAL_TOE[k, 2] + reach])
    rest = NEUTRAL_TOE[k]
    keys_t = np.array([0, marks[2], marks[3], marks[4], marks[5], marks[6], marks[-1]]) * FPS
    keys_v = np.stack([rest, rest, up, peak, up, rest, rest])
    tr.toe[:, k] = keyframes(keys_t, keys_v, n)
    air = (np.arange(n) > marks[2] * FPS) & (np.arange(n) < marks[6] * FPS)
    tr.contact[air, k] = False
    tr.foot_pitch[:, k] = keyframes(keys_t, np.array([0, 0, 0.2, 0.6, 0.2, 0, 0]), n)
    kick_w = keyframes(keys_t, np.array([0, 0, 0.3, 1, 0.3, 0, 0]), n)
    tr.tilt[:, 0] = -0.12 * kick_w
    for s in (0, 1):  # arms out a little for balance, the opposite one forward
        target = np.array([0.25, -0.38, 0.12 if s == k else 0.2]) if s != k else np.array([0.25, -0.4, -0.1])
        tr.hand[:, s] = arc_blend(_mirror_x(H0, s), _mirror_x(target, s), shift)
    return tr


def sway(duration: float = 4.0, tempo: float = 1.0) -> Track:
    """Dance-like sway: hips swing side to side with a knee bounce, arms swaying at the waist."""
    n = frames(duration)
    t = np.arange(n) / FPS
    env = envelope(n, min(25, n // 3), min(25, n // 3))
    ph = 2 * np.pi * tempo * t
    tr = stand(n, "dance")
    tr.root[:, 0] = 0.06 * np.sin(ph) * env
    tr.root[:, 1] = -0.04 * (0.5 - 0.5 * np.cos(2 * ph)) * env - 0.02 * env
    tr.tilt[:, 2] = 0.06 * np.sin(ph) * env
    tr.spine[:, 2, 2] = -0.08 * np.sin(ph) * env
    tr.head[:, 1, 2] = 0.1 * np.sin(ph + 0.5) * env
    for s in (0, 1):
        base = _mirror_x(np.array([0.05, -0.28, 0.28]), s)
        hand = arc_blend(_mirror_x(H0, s), base, env)
        hand[:, 0] += 0.1 * np.sin(ph) * env
        tr.hand[:, s] = hand
        tr.pole[:, s] = normalize(_mirror_x(P0, s) * (1 - env[:, None]) + _mirror_x(POLE_DOWN, s) * env[:, None])
    return tr


# ---------------------------------------------------------------------------------------------- arms, head


def _oscillation(n: int, start: int, stop: int, freq: float, ramp: int = 6) -> np.ndarray:
    """sin oscillation at `freq` Hz between frames start..stop with soft edges, zero elsewhere."""
    t = np.arange(n)
    inside = np.clip(np.minimum((t - start) / ramp, (stop - t) / ramp), 0, 1)
    return np.sin(2 * np.pi * freq * (t - start) / FPS) * min_jerk(inside)


def wave(side: int = 0, high: bool = True, waves: int = 3) -> Track:
    """Wave with one hand (or both): hand raised above the shoulder (high) or at chest height, swung side to side."""
    freq = 1.6
    ramp = frames(0.5)
    hold = frames(waves / freq)
    n = 2 * ramp + hold + frames(0.3)
    tr = stand(n, "wave")
    target = np.array([0.22, 0.34, 0.14]) if high else np.array([0.32, -0.02, 0.3])
    pole = normalize(np.array([0.6, -1.0, -0.3]))
    wob = 0.09 * _oscillation(n, ramp, ramp + hold, freq)[:, None] * np.array([1.0, 0.0, 0.0])
    for s in _sides(side):
        _gesture(tr, s, _hold_keys(n, ramp, target, pole), wob)
    tr.wrist[:, :, 2] = 0.0
    return tr


def raise_arms(side: int = 2, via_front: bool = False, hold: float = 1.0) -> Track:
    """Raise one or both arms straight overhead (through the front or the side), hold, lower."""
    ramp, h = frames(0.7), frames(hold)
    n = 2 * ramp + h + frames(0.3)
    tr = stand(n, "raise arms")
    mid = np.array([0.05, -0.05, 0.47]) if via_front else np.array([0.47, -0.05, 0.05])
    up = np.array([0.1, 0.48, 0.05])
    for s in _sides(side):
        keys = [(0, H0, P0), (ramp // 2, mid, POLE_DOWN), (ramp, up, POLE_OUT), (ramp + h, up, POLE_OUT),
                (ramp + h + ramp // 2, mid, POLE_DOWN), (2 * ramp + h, H0, P0)]  # fmt: skip
        _gesture(tr, s, keys)
    return tr


def reach_up(side: int = 0, hold: float = 0.8) -> Track:
    """Reach up high with one hand (or both), stretching the trunk up."""
    ramp, h = frames(0.6), frames(hold)
    n = 2 * ramp + h + frames(0.3)
    tr = stand(n, "reach up")
    up = np.array([0.03, 0.5, 0.12])
    for s in _sides(side):
        _gesture(tr, s, _hold_keys(n, ramp, up, POLE_OUT))
    w = envelope(n, ramp, ramp)
    tr.spine[:, :, 0] = -0.04 * w[:, None]
    if side != 2:
        tr.spine[:, 2, 2] = -0.08 * SIDE_SIGN[side] * w
        tr.collar[:, side, 2] = 0.12 * SIDE_SIGN[side] * w
    tr.head[:, 1, 0] = -0.25 * w
    return tr


def clap(claps: int = 4) -> Track:
    """Clap the hands together in front of the chest `claps` times."""
    freq = 2.0
    ramp, hold = frames(0.45), frames(claps / freq)
    n = 2 * ramp + hold + frames(0.3)
    tr = stand(n, "clap")
    openp = np.array([0.02, -0.18, 0.33])
    osc = 0.5 + 0.5 * np.cos(2 * np.pi * freq * (np.arange(n) - ramp) / FPS)  # 1 open .. 0 closed
    inside = (np.arange(n) >= ramp) & (np.arange(n) <= ramp + hold)
    closing = np.where(inside, 1 - osc, 0.0)
    closing = uniform_filter1d(closing, 3)
    for s in (0, 1):
        wob = np.zeros((n, 3))
        wob[:, 0] = -0.15 * closing
        _gesture(tr, s, _hold_keys(n, ramp, openp, POLE_DOWN), wob)
    return tr


def punch(side: int = 0, punches: int = 2, alternate: bool = False) -> Track:
    """Punch forward with one hand (or alternate hands) from a guard position."""
    ramp = frames(0.4)
    per = frames(0.55)
    n = 2 * ramp + punches * per + frames(0.3)
    tr = stand(n, "punch")
    guard = np.array([-0.04, -0.2, 0.2])
    hit = np.array([-0.12, -0.02, 0.47])
    t = np.arange(n)
    for s in (0, 1):
        wob = np.zeros((n, 3))
        for p in range(punches):
            hand_s = (side + p) % 2 if alternate else side
            if hand_s != s:
                continue
            f0 = ramp + p * per
            w = keyframes([f0, f0 + 5, f0 + 9, f0 + 16], np.array([0.0, 1.0, 1.0, 0.0]), n)
            w[t < f0] = 0
            w[t > f0 + 16] = 0
            wob += (hit - guard)[None] * w[:, None]
        _gesture(tr, s, _hold_keys(n, ramp, guard, POLE_DOWN), wob)
    tr.spine[:, 2, 1] = 0.0
    return tr


def point(side: int = 0, direction: str = "forward", hold: float = 1.2) -> Track:
    """Point with an extended arm forward, to the side or upwards."""
    ramp, h = frames(0.5), frames(hold)
    n = 2 * ramp + h + frames(0.3)
    tr = stand(n, "point")
    target = {"forward": np.array([-0.02, 0.02, 0.49]), "side": np.array([0.48, 0.04, 0.08]),
              "up": np.array([0.05, 0.32, 0.37])}[direction]  # fmt: skip
    _gesture(tr, side, _hold_keys(n, ramp, target, POLE_DOWN))
    w = envelope(n, ramp, ramp)
    if direction == "side":
        tr.head[:, 1, 1] = 0.5 * SIDE_SIGN[side] * w
    return tr


def arm_circles(side: int = 2, forward: bool = True, circles: int = 3) -> Track:
    """Circle the outstretched arm(s) at the sides, forwards or backwards."""
    freq = 1.0
    ramp, hold = frames(0.6), frames(circles / freq)
    n = 2 * ramp + hold + frames(0.3)
    tr = stand(n, "arm circles")
    out = np.array([0.46, 0.0, 0.0])
    t = np.arange(n)
    inside = np.clip(np.minimum((t - ramp) / 8, (ramp + hold - t) / 8), 0, 1)
    ph = 2 * np.pi * freq * (t - ramp) / FPS * (1 if forward else -1)
    wob = 0.14 * min_jerk(inside)[:, None] * np.stack([np.zeros(n), np.cos(ph) - 1, np.sin(ph)], 1)
    for s in _sides(side):
        _gesture(tr, s, _hold_keys(n, ramp, out, normalize(np.array([0.0, -1.0, -0.4]))), wob)
    return tr


def stretch(side: int = 0) -> Track:
    """Stretch: both arms overhead, lean to one side, then the other, then relax."""
    ramp = frames(0.8)
    lean_t = frames(0.9)
    n = 2 * ramp + 4 * lean_t + frames(0.3)
    tr = stand(n, "stretch")
    up = np.array([0.08, 0.48, 0.04])
    for s in (0, 1):
        _gesture(tr, s, _hold_keys(n, ramp, up, POLE_OUT))
    first = -SIDE_SIGN[side]  # leaning left is a negative z rotation
    lean = keyframes(np.array([0, ramp, ramp + lean_t, ramp + 2 * lean_t, ramp + 3 * lean_t, ramp + 4 * lean_t, n]),
                     np.array([0, 0, first, 0, -first, 0, 0]), n)  # fmt: skip
    tr.spine[:, :, 2] = 0.12 * lean[:, None]
    tr.root[:, 0] = -0.03 * lean * 1.0
    return tr


def look_around(duration: float = 3.0) -> Track:
    """Look to the left and to the right, turning the head and the chest a little."""
    n = max(frames(duration), 45)
    tr = stand(n, "look around")
    yaw = keyframes(np.array([0, 0.1, 0.35, 0.65, 0.9, 1.0]) * (n - 1), np.array([0, 0, 1, -1, 0, 0]), n)
    tr.head[:, 0, 1] = 0.35 * yaw
    tr.head[:, 1, 1] = 0.5 * yaw
    tr.spine[:, 2, 1] = 0.15 * yaw
    return tr
