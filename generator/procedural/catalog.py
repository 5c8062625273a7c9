"""The primitive catalogue: for each primitive its builder, a random parameter sampler and its caption phrases."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from generator.procedural import primitives as P
from generator.procedural.track import Track

Sampler = Callable[[np.random.Generator, float], dict]
Phrases = Callable[[dict], list[str]]

SIDE = ("left", "right")
HAND = ("hand", "arm")


@dataclass(frozen=True)
class PrimitiveSpec:
    """One motion primitive: `build(**params)` -> Track; `sample(rng, seconds)` -> params near that duration."""

    name: str
    build: Callable[..., Track]
    sample: Sampler
    phrases: Phrases
    kind: str  # "locomotion", "body" (whole body in place) or "arms" (upper body only: can be layered)
    layer_base: bool = False  # may carry an arms layer ("walk while waving")
    repeatable: bool = False  # may be repeated by composition ("jump twice")
    arm_sides: Callable[[dict], tuple[int, ...]] | None = None  # arms driven by an "arms" primitive


def _speed_word(speed: float, slow: float, fast: float) -> list[str]:
    if speed <= slow:
        return ["slowly", "at a slow pace", "leisurely"]
    if speed >= fast:
        return ["quickly", "fast", "briskly"]
    return [""]


def _with(words: list[str], tails: list[str]) -> list[str]:
    return [f"{w} {t}".strip() for w in words for t in tails]


def _side_hand(side: int) -> list[str]:
    if side == 2:
        return ["with both hands", "with both arms", "with two hands"]
    return [f"with the {SIDE[side]} {h}" for h in HAND] + [f"with their {SIDE[side]} hand"]


def _u(rng, lo, hi) -> float:
    return float(rng.uniform(lo, hi))


def _walk_phrases(p: dict) -> list[str]:
    sp = _speed_word(p["speed"], 0.85, 1.35)
    base = _with(["walk forward", "walk straight ahead", "walk", "take a walk forward", "stroll forward"], sp)
    if p.get("turn", 0.0) > 0.5:
        base = _with(
            ["walk", "walk forward"], ["and curve to the left", "while turning left", "in a curve to the left"]
        )
    elif p.get("turn", 0.0) < -0.5:
        base = _with(["walk", "walk forward"], ["and curve to the right", "while turning right",
                                                 "in a curve to the right"])  # fmt: skip
    return base


def _turn_phrases(p: dict) -> list[str]:
    a = p["angle"]
    d = SIDE[0] if a > 0 else SIDE[1]
    deg = int(round(abs(np.degrees(a)) / 5) * 5)
    out = [f"turn {d}", f"turn to the {d}", f"turn {deg} degrees to the {d}", f"rotate to the {d} in place"]
    if deg >= 170:
        out += ["turn around", "turn all the way around", f"turn around to the {d}"]
    elif 80 <= deg <= 100:
        out += [f"make a quarter turn to the {d}", f"turn {d} by ninety degrees"]
    return out


def _sample_walk(rng: np.random.Generator, seconds: float) -> dict:
    """Walks of 3.5 s or more may curve by a quarter turn (shorter ones would turn too sharply)."""
    params = {"speed": _u(rng, 0.7, 1.5), "duration": float(np.clip(seconds, 2.0, 8.0))}
    turn = float(rng.choice([0.0, 0.0, 0.0, np.pi / 2, -np.pi / 2]))
    params["turn"] = turn if params["duration"] >= 3.5 else 0.0
    return params


PRIMITIVE_SPECS: list[PrimitiveSpec] = [
    PrimitiveSpec(
        "idle",
        P.idle,
        lambda r, s: {"duration": float(np.clip(s, 1.0, 4.0))},
        lambda p: ["stand still", "stand in place", "stand idle", "wait in place", "stand there doing nothing"],
        "body",
        layer_base=True,
    ),
    PrimitiveSpec(
        "walk",
        P.walk,
        _sample_walk,
        _walk_phrases,
        "locomotion",
        layer_base=True,
    ),
    PrimitiveSpec(
        "walk_backward",
        P.walk_backward,
        lambda r, s: {"speed": _u(r, 0.4, 0.8), "duration": float(np.clip(s, 2.0, 6.0))},
        lambda p: [
            "walk backward",
            "walk backwards",
            "step backwards",
            "back up",
            "walk back slowly",
            "move backwards",
        ],
        "locomotion",
        layer_base=True,
    ),
    PrimitiveSpec(
        "walk_sideways",
        P.walk_sideways,
        lambda r, s: {"side": int(r.integers(2)), "speed": _u(r, 0.25, 0.45), "duration": float(np.clip(s, 2.5, 6.0))},
        lambda p: [
            f"walk sideways to the {SIDE[p['side']]}",
            f"walk to the {SIDE[p['side']]} sideways",
            f"shuffle sideways to the {SIDE[p['side']]}",
            f"move sideways to their {SIDE[p['side']]}",
        ],
        "locomotion",
        layer_base=True,
    ),
    PrimitiveSpec(
        "side_step",
        P.side_step,
        lambda r, s: {"side": int(r.integers(2)), "steps": int(r.integers(1, 4))},
        lambda p: [
            f"step to the {SIDE[p['side']]}",
            f"take a side step to the {SIDE[p['side']]}",
            f"sidestep to the {SIDE[p['side']]}",
            f"step sideways to the {SIDE[p['side']]}",
        ],
        "locomotion",
        repeatable=True,
    ),
    PrimitiveSpec(
        "walk_circle",
        P.walk_circle,
        lambda r, s: {"side": int(r.integers(2)), "speed": _u(r, 0.7, 1.0), "duration": float(np.clip(s, 5.0, 8.0))},
        lambda p: [
            "walk in a circle",
            f"walk in a circle to the {SIDE[p['side']]}",
            "walk around in a circle",
            f"walk in a full circle turning {SIDE[p['side']]}",
            "walk in a clockwise circle" if p["side"] == 1 else "walk in a counterclockwise circle",
        ],
        "locomotion",
        layer_base=True,
    ),
    PrimitiveSpec(
        "jog",
        P.jog,
        lambda r, s: {"speed": _u(r, 1.5, 2.0), "duration": float(np.clip(s, 2.0, 6.0))},
        lambda p: ["jog forward", "jog", "jog straight ahead", "jog at a steady pace", "go for a short jog"],
        "locomotion",
    ),
    PrimitiveSpec(
        "run",
        P.run,
        lambda r, s: {"speed": _u(r, 2.2, 2.8), "duration": float(np.clip(s, 2.0, 5.0))},
        lambda p: ["run forward", "run", "run straight ahead", "sprint forward", "run fast"],
        "locomotion",
    ),
    PrimitiveSpec(
        "march",
        P.march,
        lambda r, s: {"steps": int(np.clip(round(s * 1.6), 4, 12)), "knee_height": _u(r, 0.18, 0.26)},
        lambda p: ["march in place", "march on the spot", "lift the knees high in place", "march"],
        "locomotion",
        layer_base=True,
    ),
    PrimitiveSpec(
        "turn",
        P.turn,
        lambda r, s: {
            "angle": float(r.choice([-1, 1]) * r.choice([np.pi / 4, np.pi / 2, np.pi / 2, 3 * np.pi / 4, np.pi]))
        },
        _turn_phrases,
        "locomotion",
        repeatable=True,
    ),
    PrimitiveSpec(
        "spin",
        P.spin,
        lambda r, s: {"side": int(r.integers(2)), "turns": 1.0},
        lambda p: [
            "spin around",
            "spin in place",
            f"spin around to the {SIDE[p['side']]}",
            "do a full turn",
            "turn around in a full circle",
        ],
        "locomotion",
        repeatable=True,
    ),
    PrimitiveSpec(
        "jump",
        P.jump,
        lambda r, s: {"height": _u(r, 0.07, 0.16), "reps": 1},
        lambda p: ["jump", "jump in place", "jump up", "hop up", "jump straight up", "jump on the spot"],
        "body",
        repeatable=True,
    ),
    PrimitiveSpec(
        "jump_forward",
        lambda height=0.1, distance=0.5, reps=1: P.jump(height, distance, reps),
        lambda r, s: {"height": _u(r, 0.07, 0.13), "distance": _u(r, 0.3, 0.7), "reps": 1},
        lambda p: ["jump forward", "leap forward", "hop forward", "jump ahead", "do a forward jump"],
        "body",
        repeatable=True,
    ),
    PrimitiveSpec(
        "squat",
        P.squat,
        lambda r, s: {
            "reps": int(r.integers(1, 4)),
            "depth": _u(r, 0.22, 0.38),
            "arms_forward": bool(r.random() < 0.6),
        },
        lambda p: (
            ["squat down and stand up", "squat", "do a squat", "bend the knees and squat down"]
            if p["reps"] == 1
            else [f"do {p['reps']} squats", f"squat {p['reps']} times", f"squat down and up {p['reps']} times"]
        ),
        "body",
        layer_base=False,
        repeatable=True,
    ),
    PrimitiveSpec(
        "crouch",
        P.crouch,
        lambda r, s: {"hold": _u(r, 0.8, 2.0), "depth": _u(r, 0.38, 0.46)},
        lambda p: [
            "crouch down and stand back up",
            "squat down low and get back up",
            "sit down on their heels and get up",
            "crouch low and rise again",
            "lower down as if to sit and stand up",
        ],
        "body",
    ),
    PrimitiveSpec(
        "bow",
        P.bow,
        lambda r, s: {"depth": _u(r, 0.4, 0.8), "hold": _u(r, 0.4, 1.2)},
        lambda p: ["bow", "bow forward", "take a bow", "bend forward at the waist in a bow", "bow politely"],
        "body",
        repeatable=True,
    ),
    PrimitiveSpec(
        "lunge",
        P.lunge,
        lambda r, s: {"side": int(r.integers(2)), "depth": _u(r, 0.15, 0.25), "length": _u(r, 0.45, 0.65)},
        lambda p: [
            f"lunge forward with the {SIDE[p['side']]} leg",
            "do a lunge",
            "lunge forward",
            f"step forward into a lunge with the {SIDE[p['side']]} foot",
        ],
        "body",
        repeatable=True,
    ),
    PrimitiveSpec(
        "kick",
        P.kick,
        lambda r, s: {"side": int(r.integers(2)), "height": _u(r, 0.25, 0.45), "reach": _u(r, 0.4, 0.55)},
        lambda p: [
            f"kick with the {SIDE[p['side']]} leg",
            f"kick forward with the {SIDE[p['side']]} foot",
            f"do a {SIDE[p['side']]} kick",
            "kick forward",
            f"kick the {SIDE[p['side']]} leg out in front",
        ],
        "body",
        repeatable=True,
    ),
    PrimitiveSpec(
        "sway",
        P.sway,
        lambda r, s: {"duration": float(np.clip(s, 2.5, 6.0)), "tempo": _u(r, 0.8, 1.2)},
        lambda p: [
            "dance",
            "sway from side to side",
            "dance in place",
            "sway the hips to the music",
            "do a little dance",
        ],
        "body",
    ),
    PrimitiveSpec(
        "wave",
        P.wave,
        lambda r, s: {
            "side": int(r.choice([0, 1, 0, 1, 2])),
            "high": bool(r.random() < 0.75),
            "waves": int(r.integers(2, 5)),
        },
        lambda p: (
            _with(["wave", "wave hello", "wave goodbye"], _side_hand(p["side"]))
            + (["raise a hand high and wave", "wave a hand above the head"] if p["high"] and p["side"] < 2 else [])
            + ([f"wave the {SIDE[p['side']]} hand at chest height"] if not p["high"] and p["side"] < 2 else [])
        ),
        "arms",
        repeatable=True,
        arm_sides=lambda p: (0, 1) if p["side"] == 2 else (p["side"],),
    ),
    PrimitiveSpec(
        "raise_arms",
        P.raise_arms,
        lambda r, s: {
            "side": int(r.choice([2, 2, 0, 1])),
            "via_front": bool(r.random() < 0.5),
            "hold": _u(r, 0.5, 1.5),
        },
        lambda p: (
            ["raise both arms", "raise both arms over the head", "put both hands up", "lift both arms up high"]
            if p["side"] == 2
            else [
                f"raise the {SIDE[p['side']]} arm",
                f"lift the {SIDE[p['side']]} arm over the head",
                f"put the {SIDE[p['side']]} hand up",
            ]
        ),
        "arms",
        repeatable=True,
        arm_sides=lambda p: (0, 1) if p["side"] == 2 else (p["side"],),
    ),
    PrimitiveSpec(
        "reach_up",
        P.reach_up,
        lambda r, s: {"side": int(r.choice([0, 1, 2])), "hold": _u(r, 0.5, 1.2)},
        lambda p: (
            ["reach up with both hands", "reach up high", "stretch both arms up to reach something"]
            if p["side"] == 2
            else [
                f"reach up with the {SIDE[p['side']]} hand",
                f"reach up high with the {SIDE[p['side']]} arm",
                "reach up for something on a high shelf",
            ]
        ),
        "arms",
        repeatable=True,
        arm_sides=lambda p: (0, 1) if p["side"] == 2 else (p["side"],),
    ),
    PrimitiveSpec(
        "clap",
        P.clap,
        lambda r, s: {"claps": int(r.integers(2, 7))},
        lambda p: ["clap", "clap the hands", "clap their hands", "applaud", f"clap {p['claps']} times"],
        "arms",
        arm_sides=lambda p: (0, 1),
    ),
    PrimitiveSpec(
        "punch",
        P.punch,
        lambda r, s: {
            "side": int(r.integers(2)),
            "punches": int(r.integers(1, 4)),
            "alternate": bool(r.random() < 0.4),
        },
        lambda p: (
            [
                "punch with both fists in turn",
                "throw alternating punches",
                "punch forward with both hands",
                "box the air",
            ]
            if p["alternate"] and p["punches"] > 1
            else [
                f"punch with the {SIDE[p['side']]} hand",
                f"punch forward with the {SIDE[p['side']]} fist",
                f"throw a {SIDE[p['side']]} punch",
                "punch forward",
            ]
        ),
        "arms",
        repeatable=True,
        arm_sides=lambda p: (0, 1) if p["alternate"] and p["punches"] > 1 else (p["side"],),
    ),
    PrimitiveSpec(
        "point",
        P.point,
        lambda r, s: {
            "side": int(r.integers(2)),
            "direction": str(r.choice(["forward", "side", "up"])),
            "hold": _u(r, 0.8, 1.6),
        },
        lambda p: {
            "forward": [
                f"point forward with the {SIDE[p['side']]} hand",
                "point straight ahead",
                f"point ahead with the {SIDE[p['side']]} arm",
            ],
            "side": [
                f"point to the {SIDE[p['side']]}",
                f"point to the {SIDE[p['side']]} side",
                f"point {SIDE[p['side']]} with an outstretched arm",
            ],
            "up": ["point up", f"point upwards with the {SIDE[p['side']]} hand", "point up at the sky"],
        }[p["direction"]],
        "arms",
        arm_sides=lambda p: (p["side"],),
    ),
    PrimitiveSpec(
        "arm_circles",
        P.arm_circles,
        lambda r, s: {
            "side": int(r.choice([2, 2, 0, 1])),
            "forward": bool(r.random() < 0.5),
            "circles": int(r.integers(2, 5)),
        },
        lambda p: _with(
            [
                "circle the arms" if p["side"] == 2 else f"circle the {SIDE[p['side']]} arm",
                "do arm circles" if p["side"] == 2 else f"swing the {SIDE[p['side']]} arm in circles",
            ],
            ["forward", "forwards"] if p["forward"] else ["backward", "backwards"],
        ),
        "arms",
        arm_sides=lambda p: (0, 1) if p["side"] == 2 else (p["side"],),
    ),
    PrimitiveSpec(
        "stretch",
        P.stretch,
        lambda r, s: {"side": int(r.integers(2))},
        lambda p: [
            "stretch",
            "stretch the arms overhead and lean to both sides",
            "do a side stretch",
            "stretch with the arms up, leaning left and right",
        ],
        "body",
    ),
    PrimitiveSpec(
        "look_around",
        P.look_around,
        lambda r, s: {"duration": float(np.clip(s, 2.0, 4.0))},
        lambda p: ["look around", "look left and right", "turn the head to look around", "glance to both sides"],
        "arms",
        arm_sides=lambda p: (),
    ),
]
PRIMITIVES: dict[str, PrimitiveSpec] = {spec.name: spec for spec in PRIMITIVE_SPECS}
