"""HumanML3D-style captions: verb phrases in base form ("walk forward slowly") turned into sentences.

A composition is a list of steps; each step is a list of alternative base-form phrases, optionally a repeat count
and a layered phrase ("while waving"). Three different captions vary the subject, the synonyms and the connectives.
"""

from __future__ import annotations

import numpy as np

SUBJECTS = (
    "a person", "someone", "the man", "a woman", "a man", "the person", "somebody", "the woman", "a figure",
    "a human", "the figure", "a guy",
)  # fmt: skip
THEN = (", then", " and then", ", and then", ", after that", " and after that", ", and afterwards", " and next")
IRREGULAR_3RD = {"do": "does", "go": "goes", "be": "is", "have": "has"}
IRREGULAR_ING = {"be": "being", "lie": "lying", "tie": "tying"}
DOUBLE_FINAL = {"jog", "run", "step", "clap", "squat", "spin", "hop", "skip", "swing", "stop", "sit", "drop"}
REPEAT_WORDS = {2: ("twice", "two times"), 3: ("three times", "3 times"), 4: ("four times", "4 times")}


AND_VERBS = {"stand", "get", "rise", "come", "lean", "wave", "curve"}  # base verbs that may follow "and"


def _conjugate_and(rest: str, fn) -> str:
    words = rest.split(" ")
    for i in range(1, len(words)):
        if words[i - 1] == "and" and words[i] in AND_VERBS:
            words[i] = fn(words[i])
    return " ".join(words)


def third_person(phrase: str) -> str:
    """'walk forward' -> 'walks forward' (also a verb after 'and': 'squat and stand up' -> 'squats and stands up')."""
    verb, _, rest = phrase.partition(" ")
    rest = _conjugate_and(rest, _third_word)
    return f"{_third_word(verb)} {rest}".strip()


def _third_word(verb: str) -> str:
    if verb in IRREGULAR_3RD:
        v = IRREGULAR_3RD[verb]
    elif verb.endswith(("s", "sh", "ch", "x", "z")):
        v = verb + "es"
    elif verb.endswith("y") and verb[-2:-1] not in "aeiou":
        v = verb[:-1] + "ies"
    else:
        v = verb + "s"
    return v


def gerund(phrase: str) -> str:
    """'wave the left hand' -> 'waving the left hand'."""
    verb, _, rest = phrase.partition(" ")
    rest = _conjugate_and(rest, lambda w: gerund(w))
    if verb in IRREGULAR_ING:
        v = IRREGULAR_ING[verb]
    elif verb in DOUBLE_FINAL:
        v = verb + verb[-1] + "ing"
    elif verb.endswith("e") and not verb.endswith(("ee", "ye", "oe")):
        v = verb[:-1] + "ing"
    else:
        v = verb + "ing"
    return f"{v} {rest}".strip()


def _step_text(rng: np.random.Generator, step: dict) -> str:
    phrase = str(rng.choice(step["phrases"]))
    text = third_person(phrase)
    reps = step.get("repeat", 1)
    if reps > 1:
        text += " " + str(rng.choice(REPEAT_WORDS.get(reps, (f"{reps} times",))))
    if step.get("layer"):
        text += " while " + gerund(str(rng.choice(step["layer"])))
    return text


def sentence(rng: np.random.Generator, steps: list[dict], subject: str | None = None) -> str:
    """One caption for a sequence of steps."""
    subject = str(rng.choice(SUBJECTS)) if subject is None else subject
    parts = [_step_text(rng, s) for s in steps]
    if len(parts) == 1:
        text = f"{subject} {parts[0]}"
    else:
        style = int(rng.integers(3))
        if style == 0 and len(parts) == 2:
            text = f"{subject} {parts[0]} and {parts[1]}"
        elif style == 1:
            text = f"first {subject} {parts[0]}"
            for p in parts[1:]:
                text += f"{rng.choice(THEN)} {p}"
        else:
            text = f"{subject} {parts[0]}"
            for p in parts[1:]:
                text += f"{rng.choice(THEN)} {p}"
    return text.replace(" .", ".").strip() + "."


def captions(rng: np.random.Generator, steps: list[dict], count: int = 3) -> list[str]:
    """`count` different captions (different wording where the phrase pool allows)."""
    out: list[str] = []
    for _ in range(20 * count):
        c = sentence(rng, steps)
        if c not in out:
            out.append(c)
        if len(out) == count:
            break
    for subject in SUBJECTS:  # tiny phrase pools: vary the subject explicitly
        if len(out) == count:
            break
        c = sentence(rng, steps, subject)
        if c not in out:
            out.append(c)
    return out
