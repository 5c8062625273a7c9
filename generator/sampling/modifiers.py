"""The modifier words of a prompt (side, walking direction, count, speed) and the prompt without them.

Attribute guidance (generator.sampling.sampler) steers each flow step away from the prompt stripped of its
modifiers, `v += a (v_c - v_plain)`: "a person walks forward quickly" is pushed away from "a person walks", so the
part of the prediction that only the word "quickly" causes is amplified, as a negative prompt does in image
diffusion. The stripping is a fixed list of the captions' own modifier phrases (hand-written: no library has it).
"""

from __future__ import annotations

import math
import re

from generator.motion.errors import InputError

MAX_ATTRIBUTE_SCALE = 20.0

_SIDE = r"(?:left|right)"
_OWNER = r"(?:the|their|his|her|its|one's)"
_LIMB = r"(?:hand|arm|fist|foot|leg|side|palm)s?"
_NUMBER = r"(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|several|a few|many)"
MODIFIER_PHRASES = (
    rf"(?:with|using|on|by) {_OWNER} {_SIDE} {_LIMB}",  # with the right hand, using their left foot
    rf"(?:to|towards|toward|on|at) {_OWNER} {_SIDE}(?: side)?",  # to the left, to their right side
    rf"{_SIDE}(?:ward|wards)?(?: {_LIMB})?",  # left, rightwards, left hand
    r"(?:counter-?|anti-?)?clockwise",
    r"at an? (?:slow|fast|quick|brisk|leisurely|steady|rapid) pace",
    r"slowly|quickly|fast|briskly|leisurely|rapidly|hurriedly",
    rf"{_NUMBER} times|once|twice|thrice",
    r"straight ahead|forwards?|backwards?|sideways",
)
_PATTERN = re.compile(r"\b(?:" + "|".join(MODIFIER_PHRASES) + r")\b", re.IGNORECASE)


def strip_modifiers(text: str) -> str:
    """`text` without its side, direction, count and speed phrases (spaces and punctuation tidied), e.g.
    "a person waves twice with the right hand." -> "a person waves."; unchanged when it has none."""
    out = _PATTERN.sub(" ", text)
    out = re.sub(r"\s+([,.;!?])", r"\1", out)
    out = re.sub(r"([,;])(?=\s*[,.;!?]|\s*$)", "", out)  # a comma left with nothing after it
    return re.sub(r"\s{2,}", " ", out).strip()


def has_modifiers(text: str) -> bool:
    return _PATTERN.search(text) is not None


def check_attribute_guidance(scale: float | None) -> None:
    """A clear InputError for an attribute-guidance scale that is not a number in [0, MAX_ATTRIBUTE_SCALE]."""
    if scale is not None and not (math.isfinite(scale) and 0 <= scale <= MAX_ATTRIBUTE_SCALE):
        raise InputError(f"--attribute-guidance must be in [0, {MAX_ATTRIBUTE_SCALE:g}], got {scale}")
