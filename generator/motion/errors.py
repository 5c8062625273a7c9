"""The command-line contract of the whole stack, and the one input/output layer every command goes through.

Bad input gets one `error: ...` line and exit status 2, never a traceback: InputError, and any operating-system
error on a file (named with its path and reason). SIGINT and SIGTERM end a command with exit status 130 / 143 and one
line, after the temporary files of writes in progress are removed. Inputs are opened only if they are regular files
(never a FIFO, device or directory) below a size limit; an `.npz` member's header (dtype, shape) is checked before it
is read, and pickles are never loaded. An output that is the same file as one of the command's inputs is refused.
"""

from __future__ import annotations

import argparse
import functools
import math
import os
import signal
import stat
import sys
import tempfile
import zipfile
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

MAX_INPUT_BYTES = 2 * 1024**3  # an input file or one decompressed .npz member above this is refused
SEED_MAX = 2**32 - 1


class InputError(ValueError):
    """Bad user input (file, shape, value, text): reported as one line, exit status 2."""


class Terminated(BaseException):
    """SIGTERM, raised in the main thread so that `finally` blocks (temporary files) run before exit 143."""


class Interrupted(BaseException):
    """SIGINT, raised in the main thread like Terminated (exit 130); not a KeyboardInterrupt, which some libraries
    catch and swallow (imageio's ffmpeg writer does)."""


_inputs: set[tuple[int, int]] | None = None  # (device, inode) of the files read by the running command


_pending_signal: int | None = None  # a signal received by the running command (its exception may be swallowed)


def _signal_exception(signum: int) -> BaseException:
    return Terminated() if signum == signal.SIGTERM else Interrupted()


def _on_signal(signum, frame) -> None:
    global _pending_signal
    _pending_signal = signum
    raise _signal_exception(signum)


def check_signal() -> None:
    """Raise the pending signal's exception again: Python drops an exception raised where it cannot propagate (a
    finaliser, a logging hook), so a write checks here before it commits its file."""
    if _pending_signal is not None:
        raise _signal_exception(_pending_signal)


def _unraisable(hook):
    def quiet(u) -> None:  # a signal swallowed in a finaliser: reported once by cli_entry, not as a traceback
        if not isinstance(u.exc_value, (Terminated, Interrupted)):
            hook(u)

    return quiet


def _os_message(e: OSError) -> str:
    where = e.filename if e.filename is not None else ""
    reason = e.strerror or type(e).__name__
    return f"{where}: {reason}" if where else reason


def cli_entry(main: Callable[..., int | None]) -> Callable[..., int]:
    """Wrap a CLI main: one `error: ...` line and exit 2 for bad input and file errors, 130 / 143 for SIGINT / SIGTERM
    (temporary files removed first), and the inputs it reads protected from being overwritten by its outputs."""

    @functools.wraps(main)
    def wrapper(*args, **kwargs) -> int:
        global _inputs, _pending_signal
        outer, _inputs = _inputs, set()
        outer_signal, _pending_signal = _pending_signal, None
        handlers, hook = {}, sys.unraisablehook
        if _in_main_thread():
            handlers = {s: signal.signal(s, _on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
            sys.unraisablehook = _unraisable(hook)
        try:
            status = int(main(*args, **kwargs) or 0)
            check_signal()  # a signal whose exception was swallowed still ends the command with its status
            return status
        except InputError as e:
            return _fail(str(e))
        except FileNotFoundError as e:
            return _fail(f"file not found: {e.filename or e}")
        except OSError as e:
            return _fail(_os_message(e))
        except UnicodeError as e:
            return _fail(f"text that is not valid UTF-8 ({e})")
        except MemoryError:
            return _fail("the input is too large for this machine's memory")
        except (KeyboardInterrupt, Interrupted):
            print("interrupted", file=sys.stderr)
            return 130
        except Terminated:
            print("terminated", file=sys.stderr)
            return 143
        finally:
            _inputs, _pending_signal = outer, outer_signal
            sys.unraisablehook = hook
            for s, h in handlers.items():
                signal.signal(s, h)

    return wrapper


def _in_main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


def _fail(message: str) -> int:
    print(f"error: {' '.join(message.split())}", file=sys.stderr)  # one line, whatever the message holds
    return 2


class CliParser(argparse.ArgumentParser):
    """argparse that reports bad arguments as one `error: PROG: ...` line and exit status 2 (no usage dump), through
    cli_entry like every other bad input; --help is unchanged."""

    def error(self, message: str):
        raise InputError(f"{self.prog}: {message}")


def seed_arg(text: str) -> int:
    """argparse type of every --seed: an integer in [0, 2**32 - 1] (what numpy, torch and mujoco all accept)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if not 0 <= value <= SEED_MAX:
        raise argparse.ArgumentTypeError(f"{value} is outside [0, {SEED_MAX}]")
    return value


def input_file(path: str | os.PathLike, kind: str, max_bytes: int = MAX_INPUT_BYTES, protect: bool = True) -> Path:
    """`path` if it is a regular file below `max_bytes` (else InputError naming it); remembered as an input of the
    running command (unless `protect` is False: a resume state the command continues and replaces), so that no
    output of the command may replace it."""
    path = Path(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except OSError as e:
        raise InputError(f"{path}: cannot be read ({e.strerror})") from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError(f"{path}: is a directory, expected a {kind} file")
    if not stat.S_ISREG(st.st_mode):
        raise InputError(f"{path}: not a regular file (a FIFO, device or socket), expected a {kind} file")
    if st.st_size > max_bytes:
        raise InputError(f"{path}: {st.st_size} bytes, above the {max_bytes}-byte limit for a {kind} file")
    if _inputs is not None and protect:
        _inputs.add((st.st_dev, st.st_ino))
    return path


def check_output(path: str | os.PathLike) -> Path:
    """`path` unless it is one of the running command's inputs or an existing directory (InputError)."""
    path = Path(path)
    if len(os.fsencode(path.name)) > 255:
        raise InputError(f"{path.name[:40]}...: file name longer than 255 bytes")
    try:
        st = os.stat(path)
    except OSError:
        return path
    if _inputs and (st.st_dev, st.st_ino) in _inputs:
        raise InputError(f"{path}: is one of this command's inputs; refusing to overwrite it (choose another output)")
    if stat.S_ISDIR(st.st_mode):
        raise InputError(f"{path}: is a directory, expected an output file name")
    return path


@contextmanager
def atomic_path(path: str | os.PathLike, suffix: str | None = None, isolated: bool = False):
    """Yield a temporary sibling path to write to; it replaces `path` only if the block finishes cleanly (an
    interrupt or error leaves `path` as it was and no temporary file behind). `isolated` puts the temporary file
    in a private temporary directory, for writers that run in another process (ffmpeg): one still starting when
    the block is interrupted cannot create the file again once that directory is gone."""
    path = check_output(path)
    prefix, suffix = f".{path.name[:200]}.", suffix or path.suffix
    folder: str | None = None
    tmp: str | None = None
    blocked = {signal.SIGINT, signal.SIGTERM}
    try:  # created with the signals held back, so that a signal at any point leaves nothing behind
        signal.pthread_sigmask(signal.SIG_BLOCK, blocked)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if isolated:
                folder = tempfile.mkdtemp(prefix=prefix, dir=path.parent)
                tmp = os.path.join(folder, f"video{suffix}")
                open(tmp, "wb").close()
            else:
                fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=path.parent)
                os.close(fd)
        except OSError as e:
            raise InputError(f"{path}: cannot write ({e.strerror or type(e).__name__})") from None
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, blocked)  # a signal that came meanwhile is raised here
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the final file the usual permissions
        yield Path(tmp)
        check_signal()
        try:
            os.replace(tmp, path)
        except OSError as e:
            raise InputError(f"{path}: cannot write ({e.strerror or type(e).__name__})") from None
    finally:
        if folder is not None:
            _remove_folder(folder)
        elif tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)


def _remove_folder(folder: str) -> None:
    """Remove a private temporary directory, retrying for a second while a dying writer still adds to it."""
    import shutil
    import time

    for _ in range(20):
        shutil.rmtree(folder, ignore_errors=True)
        if not os.path.exists(folder):
            return
        time.sleep(0.05)


def write_npz(path: str | os.PathLike, arrays: dict, compressed: bool = True) -> Path:
    """Write arrays to an .npz file atomically (numpy's own format, no pickled objects); returns the path."""
    import numpy as np

    with atomic_path(path, suffix=".npz") as tmp:
        (np.savez_compressed if compressed else np.savez)(tmp, **arrays)
    return Path(path)


def _check_npy_header(f, path: Path, name: str, max_bytes: int) -> None:
    """InputError when an .npy header (read from the open file `f`) declares Python objects or too many bytes."""
    import numpy as np

    version = np.lib.format.read_magic(f)
    read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
    shape, _, dtype = read(f)
    if dtype.hasobject:
        raise InputError(f"{path}: '{name}' holds Python objects (pickles are never loaded)")
    size = math.prod(shape) * dtype.itemsize
    if size > max_bytes:
        raise InputError(f"{path}: '{name}' claims {shape} {dtype} ({size} bytes), above {max_bytes} bytes")


def read_npy(path: str | os.PathLike, kind: str, max_bytes: int = MAX_INPUT_BYTES):
    """One array from a `.npy` file, its header checked before anything is allocated; InputError otherwise."""
    import numpy as np

    path = input_file(path, f"{kind} .npy", max_bytes)
    try:
        with open(path, "rb") as f:
            _check_npy_header(f, path, path.stem, max_bytes)
        return np.load(path, allow_pickle=False)
    except InputError:
        raise
    except (EOFError, OSError, ValueError) as e:
        raise InputError(f"{path}: not a readable .npy file ({type(e).__name__}: {e})") from None


def _check_npz_members(path: Path, max_bytes: int) -> None:
    """InputError for a member that holds Python objects or whose header claims more than `max_bytes`."""
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            if not info.filename.endswith(".npy"):
                continue
            with zf.open(info) as f:
                _check_npy_header(f, path, info.filename[:-4], max_bytes)


def read_npz(
    path: str | os.PathLike, required: tuple[str, ...] | list[str], kind: str, max_bytes: int = MAX_INPUT_BYTES
) -> dict:
    """All arrays of a `.npz` file, or InputError naming the problem (missing, not a regular file, corrupt, a member
    too large or holding objects, missing keys). `kind` names the expected file in the message; pickles are never
    loaded."""
    import numpy as np

    path = input_file(path, f"{kind} .npz", max_bytes)
    try:
        _check_npz_members(path, max_bytes)
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except InputError:
        raise
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError) as e:
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
