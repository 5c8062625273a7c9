"""One config dialect for every room: frozen dataclasses changed with `dataclasses.replace`, read back from JSON by
one strict loader (an unknown key is an error naming it), and presets looked up with the same one-line error."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TypeVar

from generator.motion.errors import InputError

T = TypeVar("T")


def config_from_dict(cls: type[T], data: Mapping) -> T:
    """`cls(**data)` with JSON lists turned back into tuples; InputError naming any key `cls` does not have."""
    if not isinstance(data, Mapping):
        raise InputError(f"{cls.__name__}: expected a mapping of settings, got {type(data).__name__}")
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise InputError(f"{cls.__name__}: unknown config key(s) {', '.join(unknown)}")
    return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})


def choose_preset(presets: Mapping[str, T], name: str, what: str) -> T:
    """The preset called `name`, or InputError listing the choices (the same line in every room)."""
    if name not in presets:
        raise InputError(f"unknown {what} preset {name!r}; choose one of {', '.join(sorted(presets))}")
    return presets[name]
