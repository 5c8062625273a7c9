"""Honesty about unknown words: the content words of a prompt that never occur in the captions a checkpoint was
trained on, and the actions it does know.

Checkpoints trained by `generator.train` store their caption vocabulary (`vocabulary` in config.json); for one
without it (the shipped checkpoint predates the field), the vocabulary of the procedural caption templates its data
were built from is enumerated instead (phrases of every primitive, subjects, connectives, repeat words).
"""

from __future__ import annotations

import re
from functools import cache

# words that carry no action: a prompt may use them freely
STOPWORDS = frozenset(
    "a an the and or then after that this these those of to in on at by for with from into onto up down it its his "
    "her their them he she they i you we me my your our is are be been being do does did some any very just also "
    "first next afterwards again while as like so but not no yes please person someone somebody man woman human "
    "figure guy robot g1".split()
)


def words(text: str) -> list[str]:
    return re.findall(r"[a-z]+", text.lower())


def _stems(word: str) -> set[str]:
    """The word and what it may be with one inflection taken off ("waves" -> wave / wav, "waving" -> wav / wave)."""
    out = {word}
    for suffix, back in (("ing", ""), ("ing", "e"), ("ies", "y"), ("es", ""), ("ed", ""), ("ed", "e"), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            out.add(word[: -len(suffix)] + back)
    return out


def caption_vocabulary(captions) -> list[str]:
    """The sorted distinct words of a collection of captions."""
    return sorted({w for c in captions for w in words(c)})


@cache
def procedural_vocabulary() -> tuple[str, ...]:
    """Every word the procedural caption templates can produce (40 parameter draws per primitive)."""
    import numpy as np

    from generator.procedural import PRIMITIVES
    from generator.procedural import captions as cap

    rng = np.random.default_rng(0)
    found: set[str] = set()
    for spec in PRIMITIVES.values():
        for _ in range(40):
            for phrase in spec.phrases(spec.sample(rng, 4.0)):
                found.update(words(phrase))
                found.update(words(cap.third_person(phrase)))
                found.update(words(cap.gerund(phrase)))
    for group in (cap.SUBJECTS, cap.THEN, *cap.REPEAT_WORDS.values()):
        for text in group:
            found.update(words(text))
    found.update(("first", "while", "times", "and"))
    return tuple(sorted(found))


def known_actions() -> list[str]:
    """The actions of the procedural library, as words ("walk", "walk backward", "raise arms", ...)."""
    from generator.procedural import PRIMITIVES

    return sorted(name.replace("_", " ") for name in PRIMITIVES)


def unknown_words(prompt: str, vocabulary) -> list[str]:
    """Content words of `prompt` (in order, once each) that no caption of the vocabulary contains, up to an 's',
    'es', 'ing' or 'ed' ending."""
    vocab = set(vocabulary)
    stems = set().union(*(_stems(w) for w in vocab))
    out: list[str] = []
    for w in words(prompt):
        if w in STOPWORDS or w in vocab or _stems(w) & stems or w.isdigit() or w in out:
            continue
        out.append(w)
    return out


def closest_actions(unknown: list[str], limit: int = 5) -> list[str]:
    """Known actions spelled like the unknown words (difflib), possibly none."""
    import difflib

    actions = known_actions()
    near = [a for w in unknown for a in difflib.get_close_matches(w, actions, n=2, cutoff=0.5)]
    return list(dict.fromkeys(near))[:limit]


def unknown_word_warning(prompt: str, vocabulary) -> str | None:
    """One line naming the prompt's unknown words and the closest known actions, or None when all are known."""
    unknown = unknown_words(prompt, vocabulary)
    if not unknown:
        return None
    near = closest_actions(unknown)
    return (
        f"the model never saw {', '.join(repr(w) for w in unknown)} in training; the motion may ignore "
        f"{'it' if len(unknown) == 1 else 'them'} ("
        + (f"closest known actions: {', '.join(near)}; " if near else "")
        + "the actions it knows: "
        + ", ".join(known_actions())
        + ")"
    )


def checkpoint_vocabulary(config: dict) -> tuple[str, ...]:
    """The checkpoint's stored caption vocabulary, else the procedural templates' (see the module docstring); for
    a side-canonical model also each word's mirror image (its sampler reads "counterclockwise" as "clockwise")."""
    from generator.data.mirror import mirror_caption

    stored = config.get("vocabulary")
    vocab = tuple(stored) if stored else procedural_vocabulary()
    if config.get("gen", {}).get("model", {}).get("side_canonical"):
        vocab = tuple(sorted(set(vocab) | {mirror_caption(w) for w in vocab}))
    return vocab


def check_prompt_words(prompt: str, config: dict, strict: bool = False) -> str | None:
    """The unknown-word warning for a prompt and a checkpoint config (None when every word is known); with
    `strict`, an InputError instead (the commands' --strict: exit 2 with that line)."""
    from generator.motion.errors import InputError

    message = unknown_word_warning(prompt, checkpoint_vocabulary(config))
    if message and strict:
        raise InputError(f"{message}; --strict")
    return message
