"""Mirror augmentation as HumanML3D does it: a clip mirrored left/right (repr272.mirror) is captioned by its caption
with the side words swapped, so a model that ignores the side cannot fit the data."""

from __future__ import annotations

import re

# each word and its mirror image; matched as whole words, case kept
SIDE_PAIRS = (
    ("left", "right"), ("leftward", "rightward"), ("leftwards", "rightwards"), ("clockwise", "counterclockwise"),
    ("clockwise", "counter-clockwise"), ("clockwise", "anticlockwise"), ("clockwise", "anti-clockwise"),
)  # fmt: skip
_SWAP: dict[str, str] = {}
for _a, _b in SIDE_PAIRS:
    _SWAP.setdefault(_a, _b)
    _SWAP.setdefault(_b, _a)
_PATTERN = re.compile(r"(?<![\w-])(" + "|".join(sorted(map(re.escape, _SWAP), key=len, reverse=True)) + r")(?![\w-])",
                      re.IGNORECASE)  # fmt: skip


def mirror_caption(text: str) -> str:
    """`text` with every side word replaced by its mirror image ("left" <-> "right", "clockwise" <->
    "counterclockwise", ...), keeping capitalisation; nothing else changes."""

    def swap(m: re.Match) -> str:
        word = m.group(0)
        new = _SWAP[word.lower()]
        return new.capitalize() if word[0].isupper() else new

    return _PATTERN.sub(swap, text)


# the canonical side family: a prompt whose first side word is one of these is read as it is
CANONICAL_SIDE = frozenset({"right", "rightward", "rightwards", "clockwise"})


def canonical_sides(text: str) -> tuple[str, bool]:
    """(`text` mirrored so that its first side word is on the right / clockwise, whether it was mirrored).

    A generator trained on canonical captions (every side-named clip mirrored to match) cannot confuse the first
    side a prompt names: the sampler mirrors a left-first prompt, generates, and mirrors the motion back.
    """
    first = _PATTERN.search(text)
    if first is None or first.group(0).lower() in CANONICAL_SIDE:
        return text, False
    return mirror_caption(text), True
