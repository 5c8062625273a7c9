"""Read a user's prompt the way the training captions are written: "walk then wave" -> "a person walks, then waves."

The captions (HumanML3D's and the procedural library's) are third-person sentences with a subject ("a person walks
forward, then waves."). Users type imperatives ("walk then wave"); a frozen text encoder places those far from every
caption, and the generator then follows only part of the prompt. This module rewrites an imperative prompt into the
caption style: a subject in front, each clause's verb in the third person, "then" after a comma, a final full stop.
Prompts that already have a subject only get the punctuation. Hand-written: it is a fixed rewrite of a small
grammar (the captions' own), which no NLP library offers without a model download.
"""

from __future__ import annotations

import re
from functools import cache

from generator.procedural.captions import third_person

SUBJECT = "a person"
# words that open a clause with a subject (so the clause is not an imperative)
SUBJECT_WORDS = frozenset(
    "a an the someone somebody person man woman human figure guy he she they it i we you one this".split()
)
# connectives after which a new clause (and so a verb) starts; longest first
CONNECTIVES = ("and after that", "and afterwards", "and then", "after that", "afterwards", "then", "next", "and")
ADVERB_OPENERS = frozenset({"first", "firstly", "slowly", "quickly", "then"})
# connectives that put one action after another ("walk then wave", "a person walks, after that waves")
SEQUENCE_CONNECTIVES = (
    "and after that",
    "and afterwards",
    "and then",
    "after that",
    "afterwards",
    "followed by",
    "then",
)
_SEQUENCE = re.compile(r"\s*,?\s*\b(?:" + "|".join(map(re.escape, SEQUENCE_CONNECTIVES)) + r")\b\s*", re.IGNORECASE)
_CLAUSE = re.compile(r"\band\b|[,.;]", re.IGNORECASE)


def prompt_parts(prompt: str, clauses: bool = False) -> list[str]:
    """The parts of a prompt in the order it asks for them, split at the sequence connectives ("then", "after
    that", ...); with `clauses` also at "and" and punctuation (for a reader that treats every clause as a step)."""
    parts = _SEQUENCE.split(prompt)
    if clauses:
        parts = [q for p in parts for q in _CLAUSE.split(p)]
    return [p.strip() for p in parts if p.strip()]


@cache
def caption_verbs() -> frozenset[str]:
    """Base-form verbs that open the procedural library's phrases ("walk", "wave", "jump", ...)."""
    import numpy as np

    from generator.procedural import PRIMITIVES

    rng = np.random.default_rng(0)
    verbs: set[str] = set()
    for spec in PRIMITIVES.values():
        for _ in range(30):
            verbs.update(p.split()[0] for p in spec.phrases(spec.sample(rng, 4.0)) if p)
    return frozenset(verbs - {"back"})


def _conjugate_clause(clause: str, after_and: bool) -> str:
    """Third-person the clause's leading verb; after a bare 'and' only a known verb counts as one."""
    words = clause.split()
    if not words:
        return clause
    head = words[0]
    if head in SUBJECT_WORDS or head.endswith(("s", "ing", "ed")) and head not in caption_verbs():
        return clause
    if after_and and head not in caption_verbs():
        return clause
    return third_person(clause)


def canonical_prompt(prompt: str) -> str:
    """The caption-style reading of `prompt` (lower case, subject, third person, ", then", final full stop)."""
    text = re.sub(r"\s+", " ", prompt.strip().lower()).rstrip(" .!?;")
    if not text:
        return prompt.strip()
    words = text.split(" ")
    opener = ""
    if words[0] in ADVERB_OPENERS and len(words) > 1 and words[1] not in SUBJECT_WORDS:
        opener, text = words[0] + " ", " ".join(words[1:])
    imperative = text.split(" ")[0] not in SUBJECT_WORDS
    if imperative:
        # split into clauses at connectives, keeping the connectives
        pattern = r"(,?\s*\b(?:" + "|".join(re.escape(c) for c in CONNECTIVES) + r")\b,?\s*)"
        parts = re.split(pattern, text)
        out = [_conjugate_clause(parts[0], after_and=False)]
        for sep, clause in zip(parts[1::2], parts[2::2]):
            out.append(sep)
            out.append(_conjugate_clause(clause, after_and=sep.strip(" ,") == "and"))
        text = f"{SUBJECT} " + "".join(out)
    text = re.sub(r"\b(\w+) then\b", lambda m: m[0] if m[1] == "and" else f"{m[1]}, then", text)
    return (opener + text).replace(" ,", ",") + "."
