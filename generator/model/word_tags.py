"""Word tags: which text tokens name a side, a rotation, a walking direction, a speed or a count, one class per token.

The frozen MiniLM barely tells these words apart: its embeddings of the side token in "... the left hand" vs
"... the right hand" have cosine 0.89 (every other token 0.98-0.999), and the speed adverbs are as faint, so a
generator reading only those embeddings learns the action and not its modifiers. With `word_tags` on, MoLingo adds a
learned vector per class to the adapted features of the tagged tokens (`MoLingo.encode_text`): the class comes from
the word itself, while the token keeps its place and context in the sentence (which clause it modifies). Synonyms
share a class, so a wording the captions never use ("rapidly") still reads as quick. The lexicon is hand-written
(no library maps modifier words to classes); `tag_text` marks characters, `TextEncoder.word_tags` maps them to the
encoder's tokens.
"""

from __future__ import annotations

import re

import torch

TAGS = (
    "none", "left", "right", "clockwise", "counterclockwise", "forward", "backward", "sideways", "slow", "quick",
    "once", "twice", "three times", "four or more times",
)  # fmt: skip
_NUMBER_TAG = {"two": "twice", "2": "twice", "three": "three times", "3": "three times"}
_VAGUE = frozenset({"one", "1", "few", "many", "several", "multiple", "some", "more", "other", "all", "at"})
LEXICON = {
    "left": ("left", "leftward", "leftwards"),
    "right": ("right", "rightward", "rightwards"),
    "clockwise": ("clockwise",),
    "counterclockwise": ("counterclockwise", "counter-clockwise", "anticlockwise", "anti-clockwise"),
    "forward": ("forward", "forwards", "ahead"),
    "backward": ("backward", "backwards", "backwardly"),
    "sideways": ("sideways", "sidewards", "sideward"),
    "slow": ("slow", "slowly", "leisurely", "unhurriedly", "sluggishly"),
    "quick": ("quick", "quickly", "fast", "briskly", "brisk", "rapid", "rapidly", "hurriedly", "swiftly"),
    "once": ("once",),
    "twice": ("twice",),
    "three times": ("thrice",),
}
_WORD = {word: tag for tag, words in LEXICON.items() for word in words}
_PATTERN = re.compile(
    r"(?<![\w-])(?:(?P<n>\w+) times|" + "|".join(sorted(map(re.escape, _WORD), key=len, reverse=True)) + r")(?![\w-])",
    re.IGNORECASE,
)


def tag_text(text: str) -> list[tuple[int, int, int]]:
    """[(start, end, tag id)] character spans of the tagged words of `text` ("two times" is one span)."""
    spans = []
    for m in _PATTERN.finditer(text):
        if m.group("n") is not None:
            n = m.group("n").lower()
            tag = _NUMBER_TAG.get(n, None if n in _VAGUE else "four or more times")
            if tag is None:
                continue
        else:
            tag = _WORD[m.group(0).lower()]
        spans.append((m.start(), m.end(), TAGS.index(tag)))
    return spans


def tag_tokens(text: str, offsets: list[tuple[int, int]]) -> torch.Tensor:
    """Tag id per token (L,) for a tokenizer's character offsets of `text` (special tokens, offset (0, 0): none)."""
    spans = tag_text(text)
    out = torch.zeros(len(offsets), dtype=torch.long)
    for i, (a, b) in enumerate(offsets):
        if b > a:
            out[i] = next((tag for s, e, tag in spans if s <= a < e), 0)
    return out


def pad_tags(tags: list[torch.Tensor], length: int) -> torch.Tensor:
    """Stack per-text tags [(L_i,)] into (B, length), padding with "none"."""
    out = torch.zeros(len(tags), length, dtype=torch.long)
    for i, t in enumerate(tags):
        out[i, : len(t)] = t
    return out
