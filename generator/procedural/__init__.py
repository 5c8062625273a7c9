"""Procedural human motion library on the SMPL-22 skeleton: labelled, physically plausible training clips.

`generate_clip(seed)` composes 1-4 primitives (walk, run, jump, wave, ...) with HumanML3D-style captions and
BABEL-style per-frame labels; `generate_primitive_clip(name)` builds one primitive; `PRIMITIVES` lists them.
May import generator.motion only.
"""

from generator.procedural.catalog import PRIMITIVES, PrimitiveSpec
from generator.procedural.compose import Clip, generate_clip, generate_primitive_clip, segments_of

__version__ = "1.0"  # bump when the generated motions change (dataset metadata records it)

__all__ = ["PRIMITIVES", "Clip", "PrimitiveSpec", "generate_clip", "generate_primitive_clip", "segments_of"]
