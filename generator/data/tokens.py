"""HumanML3D caption tokens (`word/POS` pairs) from a small rule-based tagger: a word list plus suffix rules.

HumanML3D tags its captions with spaCy (universal POS tags, lemmas for nouns and verbs, alphabetic words only).
Motion captions use a small vocabulary, so a lexicon of motion words and a few suffix rules reproduce that format
without a language model download. Unknown words fall back to suffix rules, then to NOUN.
"""

from __future__ import annotations

import re

_WORDS: dict[str, str] = {}


def _add(tag: str, words: str) -> None:
    for w in words.split():
        _WORDS.setdefault(w, tag)


_add("DET", "a an the this that these those each every both either neither some any another his her their its my your")
_add("DET", "no all")
_add(
    "PRON",
    "he she it they them him himself herself itself themselves someone somebody something anyone anything everyone "
    "everything one i you we me us",
)
_add("AUX", "is are was were be been being am does did do has have had will would can could should may might must")
_add("CCONJ", "and or but nor yet")
_add("SCONJ", "while as before after until if because since though although whilst once when whereas")
_add(
    "ADP",
    "with in on at to from into onto of by for over under across toward towards through along behind above below "
    "between among near beside around about against upon within without past via like",
)
_add("PART", "not")
_add("NUM", "one two three four five six seven eight nine ten twice eleven twelve half")
_add(
    "ADV",
    "then again forward forwards backward backwards sideways back up down away together slowly quickly fast "
    "repeatedly briefly also still just very too more less most least here there now later first finally once "
    "continuously gradually steadily gently lightly heavily rapidly suddenly softly energetically carefully "
    "counterclockwise clockwise in-place ahead aside upward upwards downward downwards outward outwards inward "
    "overhead straight alternately simultaneously twice thrice",
)
_add(
    "ADJ",
    "left right slow quick small big large high low wide narrow long short several few many other same different "
    "full little tall deep light heavy straight bent open closed upper lower front rear circular diagonal "
    "sideways quarter complete brief single double both alternating rapid gentle steady loose stiff tight "
    "happy sad angry tired energetic careful casual",
)

# Verbs by their lemma (base form); inflected forms are reduced by the suffix rules below.
VERBS = frozenset(
    """
    walk run jog sprint jump hop skip leap step stride march shuffle sneak tiptoe limp stroll crawl climb
    turn spin rotate pivot twist circle swing sway rock lean bend bow crouch squat kneel sit stand lie rise get
    wave raise lift lower drop reach stretch extend point clap punch kick throw catch push pull grab pick hold
    carry swim dance balance stop pause start begin continue keep move go come return look nod shake flap
    stomp tap touch hit strike slap block dodge duck jab hook cross bounce shift stagger stumble fall trip
    take make do perform hug wipe brush scratch rub fold unfold cross uncross stir mix wash salute cheer
    celebrate greet signal gesture beckon shrug tilt roll flex curl pump press shoot dribble bat golf box
    fight defend attack lunge sidestep backpedal slide glide skate ski hike run-up warm cool rest relax
    breathe yawn drink eat play stamp march jumping-jack
    """.split()
)

_IRREGULAR = {
    "ran": "run", "sat": "sit", "stood": "stand", "threw": "throw", "thrown": "throw", "spun": "spin",
    "went": "go", "gone": "go", "took": "take", "taken": "take", "made": "make", "swung": "swing",
    "leapt": "leap", "bent": "bend", "knelt": "kneel", "lay": "lie", "lain": "lie", "lying": "lie",
    "caught": "catch", "held": "hold", "rose": "rise", "risen": "rise", "fell": "fall", "fallen": "fall",
    "struck": "strike", "got": "get", "came": "come", "did": "do", "done": "do", "kept": "keep",
    "began": "begin", "begun": "begin", "swam": "swim", "feet": "foot", "teeth": "tooth",
}  # fmt: skip
_IRREGULAR_NOUNS = {"feet", "teeth"}
_NOUN_PLURAL_EXCEPTIONS = {"hips": "hip", "knees": "knee", "toes": "toe", "shoulders": "shoulder", "is": "is"}

_WORD_RE = re.compile(r"[A-Za-z]+")


def _verb_lemma(word: str) -> str | None:
    """The lemma of `word` if it is an inflection of a known verb (walks, walking, walked, running), else None."""
    if word in _IRREGULAR and word not in _IRREGULAR_NOUNS:
        return _IRREGULAR[word]
    if word in VERBS:
        return word
    candidates: list[str] = []
    if word.endswith("ing") and len(word) > 4:
        stem = word[:-3]
        candidates += [stem, stem + "e"]
        if len(stem) > 2 and stem[-1] == stem[-2]:
            candidates.append(stem[:-1])
    if word.endswith("ed") and len(word) > 3:
        stem = word[:-2]
        candidates += [stem, word[:-1]]
        if len(stem) > 2 and stem[-1] == stem[-2]:
            candidates.append(stem[:-1])
        if stem.endswith("i"):
            candidates.append(stem[:-1] + "y")
    if word.endswith("ies"):
        candidates.append(word[:-3] + "y")
    if word.endswith("es"):
        candidates.append(word[:-2])
    if word.endswith("s"):
        candidates.append(word[:-1])
    return next((c for c in candidates if c in VERBS), None)


def _noun_lemma(word: str) -> str:
    """Singular form of a plural noun by the common English rules (arms -> arm, feet -> foot)."""
    if word in _IRREGULAR and word in _IRREGULAR_NOUNS:
        return _IRREGULAR[word]
    if word in _NOUN_PLURAL_EXCEPTIONS:
        return _NOUN_PLURAL_EXCEPTIONS[word]
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def tag_word(word: str, previous_tag: str | None = None) -> tuple[str, str]:
    """(lemma, universal POS tag) of one lower-case alphabetic word, given the previous word's tag."""
    if word in _WORDS and word not in VERBS:
        return word, _WORDS[word]
    verb = _verb_lemma(word)
    if verb is not None:
        # "takes a step", "the kick": a verb form right after a determiner, adjective or number is a noun.
        if previous_tag in ("DET", "ADJ", "NUM") and not word.endswith("ing"):
            return _noun_lemma(word), "NOUN"
        return verb, "VERB"
    if word.endswith("ly") and len(word) > 4:
        return word, "ADV"
    if word.endswith(("ful", "ous", "ive", "able", "ible", "al", "ish")) and len(word) > 5:
        return word, "ADJ"
    if word.endswith("ing") and len(word) > 5:
        return word[:-3], "VERB"
    return _noun_lemma(word), "NOUN"


def tokenize(caption: str) -> list[str]:
    """HumanML3D tokens of a caption: `lemma/POS` for nouns and verbs, `word/POS` otherwise; alphabetic words only."""
    tokens: list[str] = []
    prev: str | None = None
    for word in _WORD_RE.findall(caption.replace("-", "").lower()):
        lemma, tag = tag_word(word, prev)
        # HumanML3D keeps the surface form for everything but nouns and verbs (and never lemmatises "left").
        shown = lemma if tag in ("NOUN", "VERB") and word != "left" else word
        tokens.append(f"{shown}/{tag}")
        prev = tag
    return tokens
