"""One clear line and exit status 2 for bad input, shared by every command-line entry point of the stack."""

from __future__ import annotations

import functools
import os
import sys
import tempfile
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path


class InputError(ValueError):
    """Bad user input (file, shape, value, text): reported as one line, exit status 2."""


def cli_entry(main: Callable[..., int | None]) -> Callable[..., int]:
    """Wrap a CLI main so that InputError (and a missing file) prints `error: ...` and returns exit status 2."""

    @functools.wraps(main)
    def wrapper(*args, **kwargs) -> int:
        try:
            return int(main(*args, **kwargs) or 0)
        except (InputError, FileNotFoundError) as e:
            msg = str(e) if isinstance(e, InputError) else f"file not found: {e.filename or e}"
            print(f"error: {msg}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr)
            return 130

    return wrapper


@contextmanager
def atomic_path(path: str | os.PathLike, suffix: str | None = None):
    """Yield a temporary sibling path to write to; it replaces `path` only if the block finishes cleanly."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix or path.suffix, dir=path.parent)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the final file the usual permissions
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def read_npz(path: str | os.PathLike, required: tuple[str, ...] | list[str], kind: str) -> dict:
    """All arrays of a `.npz` file, or InputError naming the problem (missing, a directory, corrupt, missing keys).

    `kind` names the expected file in the message (e.g. "human motion"); pickled objects are never loaded.
    """
    import zipfile

    import numpy as np

    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a directory, expected a {kind} .npz")
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as e:
        raise InputError(f"{path}: not a readable .npz file ({type(e).__name__}: {e})") from None
    missing = [k for k in required if k not in arrays]
    if missing:
        raise InputError(f"{path}: missing key(s) {', '.join(missing)} (a {kind} .npz needs {', '.join(required)})")
    return arrays


def check_arrays(obj, expect: dict[str, tuple[int, ...]], context: str) -> None:
    """InputError for the first attribute of `obj` that is not a finite floating array of the expected shape."""
    import numpy as np

    for key, shape in expect.items():
        arr = getattr(obj, key)
        if not isinstance(arr, np.ndarray) or arr.shape != shape:
            got = getattr(arr, "shape", type(arr).__name__)
            raise InputError(f"'{key}' has shape {got}, expected {shape} ({context})")
        if not np.issubdtype(arr.dtype, np.floating):
            raise InputError(f"'{key}' has dtype {arr.dtype}, expected floating point")
        if not np.isfinite(arr).all():
            raise InputError(f"'{key}' contains NaN or infinite values")
