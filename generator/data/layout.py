"""The HumanML3D-272 directory layout (MotionStreamer's release) and its reader, for our data and the real dataset.

DIR/motion_data/<id>.npy      (T, 272) float32, 30 fps, un-normalised
DIR/texts/<id>.txt            one caption per line: `caption#word/POS tokens#start#end` (seconds; 0#0 = whole clip)
DIR/split/{train,val,test}.txt   ids, one per line (DIR/{train,val,test}.txt is read as well)
DIR/mean_std/{Mean,Std}.npy   (272,) statistics of the train split
DIR/frame_labels/<id>.json    optional, BABEL-style segments + per-frame labels (see generator.data.babel)
DIR/human/<id>.npz            optional human motion files (generator.motion.file)
DIR/meta.json                 optional, how the directory was made
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from generator.motion import repr272
from generator.motion.errors import InputError

FPS = 30
SPLITS = ("train", "val", "test")
MOTION_DIR = "motion_data"
TEXT_DIR = "texts"
SPLIT_DIR = "split"
STATS_DIR = "mean_std"
LABEL_DIR = "frame_labels"
HUMAN_DIR = "human"
META_FILE = "meta.json"


@dataclass(frozen=True)
class Caption:
    """One text line: the caption, its `word/POS` tokens and the sub-clip it describes (seconds; 0, 0 = all)."""

    text: str
    tokens: tuple[str, ...] = ()
    start: float = 0.0
    end: float = 0.0

    @property
    def whole_clip(self) -> bool:
        return self.start == 0.0 and self.end == 0.0

    def frame_range(self, num_frames: int, fps: float = FPS) -> tuple[int, int]:
        """[start, end) frames of the described sub-clip, clipped to the motion (the reference crops int(t * fps))."""
        if self.whole_clip:
            return 0, num_frames
        start = min(max(int(self.start * fps), 0), num_frames)
        end = num_frames if self.end <= 0 else min(int(self.end * fps), num_frames)
        return start, max(start, end)

    def to_line(self) -> str:
        """`caption#tokens#start#end` ('#' and line breaks inside the caption become spaces)."""
        text = " ".join(self.text.replace("#", " ").split())
        return f"{text}#{' '.join(self.tokens)}#{self.start:.1f}#{self.end:.1f}"


def parse_caption_line(line: str) -> Caption | None:
    """Parse `caption#tokens#start#end`; missing or NaN times mean the whole clip; None for a blank line."""
    line = line.strip()
    if not line:
        return None
    parts = line.split("#")
    text = parts[0].strip()
    if not text:
        return None
    tokens = tuple(parts[1].split()) if len(parts) > 1 else ()

    def _time(i: int) -> float:
        try:
            value = float(parts[i]) if len(parts) > i and parts[i].strip() else 0.0
        except ValueError:
            return 0.0
        return 0.0 if math.isnan(value) else value

    return Caption(text=text, tokens=tokens, start=_time(2), end=_time(3))


def read_captions(path: str | Path) -> list[Caption]:
    """All captions of one texts/<id>.txt file (blank lines skipped); InputError when the file is not text."""
    raw = Path(path).read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputError(f"{path}: captions are not UTF-8 text (byte {e.start})") from None
    if "\x00" in text:
        raise InputError(f"{path}: captions contain NUL bytes (a binary file, not text)")
    return [c for c in (parse_caption_line(line) for line in text.splitlines(keepends=True)) if c is not None]


def read_split(root: Path, split: str) -> list[str] | None:
    """Ids of a split from DIR/split/<split>.txt or DIR/<split>.txt; None if neither exists."""
    for path in (root / SPLIT_DIR / f"{split}.txt", root / f"{split}.txt"):
        if path.is_file():
            return [line.strip() for line in path.read_text().splitlines() if line.strip()]
    return None


class HumanML3D272:
    """Reader of a directory in the HumanML3D-272 layout: split ids, motions, captions, statistics, frame labels.

    Missing or unreadable files are skipped and counted (`skipped`), never silently: `summary()` reports them.
    """

    def __init__(self, root: str | Path, check_files: bool = True):
        self.root = Path(root)
        if not self.root.is_dir():
            raise InputError(f"{self.root}: no such dataset directory")
        if not (self.root / MOTION_DIR).is_dir():
            raise InputError(f"{self.root}: not a HumanML3D-272 directory (no {MOTION_DIR}/ folder)")
        self.skipped: dict[str, list[str]] = {}
        self._splits: dict[str, list[str]] = {}
        for split in SPLITS:
            ids = read_split(self.root, split)
            if ids is None:
                continue
            if check_files:
                present = []
                for i in ids:
                    if not (self.root / MOTION_DIR / f"{i}.npy").is_file():
                        self.skipped.setdefault("missing motion", []).append(i)
                    elif not (self.root / TEXT_DIR / f"{i}.txt").is_file():
                        self.skipped.setdefault("missing text", []).append(i)
                    else:
                        present.append(i)
                ids = present
            self._splits[split] = ids
        if not self._splits:
            raise InputError(f"{self.root}: no split files (expected {SPLIT_DIR}/train.txt or train.txt)")

    @property
    def splits(self) -> tuple[str, ...]:
        return tuple(self._splits)

    def ids(self, split: str) -> list[str]:
        """Ids of `split` whose motion and text files exist."""
        if split not in self._splits:
            raise InputError(f"{self.root}: no '{split}' split (have {', '.join(self._splits)})")
        return list(self._splits[split])

    def motion_path(self, clip_id: str) -> Path:
        return self.root / MOTION_DIR / f"{clip_id}.npy"

    def motion(self, clip_id: str, mmap: bool = False) -> np.ndarray:
        """The (T, 272) float32 features of a clip; InputError if the file is missing, corrupt or mis-shaped."""
        path = self.motion_path(clip_id)
        try:
            arr = np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)
        except FileNotFoundError:
            raise InputError(f"{path}: no such file") from None
        except (ValueError, OSError, EOFError) as e:
            raise InputError(f"{path}: not a readable .npy file ({e})") from None
        if arr.ndim != 2 or arr.shape[1] != repr272.DIM or arr.shape[0] < 1:
            raise InputError(f"{path}: shape {arr.shape}, expected (T, {repr272.DIM})")
        if not np.issubdtype(arr.dtype, np.floating):
            raise InputError(f"{path}: dtype {arr.dtype}, expected floating-point features")
        if mmap:
            return arr
        arr = np.asarray(arr, dtype=np.float32)
        if not np.isfinite(arr).all():
            raise InputError(f"{path}: contains NaN or infinite values")
        return arr

    def num_frames(self, clip_id: str) -> int:
        """Frame count read from the .npy header only."""
        return int(self.motion(clip_id, mmap=True).shape[0])

    def captions(self, clip_id: str) -> list[Caption]:
        path = self.root / TEXT_DIR / f"{clip_id}.txt"
        if not path.is_file():
            raise InputError(f"{path}: no such file")
        return read_captions(path)

    def stats(self) -> tuple[np.ndarray, np.ndarray]:
        """(Mean, Std) from mean_std/, each (272,) float32."""
        out = []
        for name in ("Mean", "Std"):
            path = self.root / STATS_DIR / f"{name}.npy"
            if not path.is_file():
                raise InputError(f"{path}: no such file (the layout's normalisation statistics)")
            try:
                arr = np.load(path, allow_pickle=False).astype(np.float32)
            except (ValueError, OSError, EOFError) as e:
                raise InputError(f"{path}: not a readable .npy file ({e})") from None
            if arr.shape != (repr272.DIM,) or not np.isfinite(arr).all():
                raise InputError(f"{path}: shape {arr.shape} or non-finite values, expected ({repr272.DIM},)")
            out.append(arr)
        if (out[1] <= 0).any():
            raise InputError(f"{self.root / STATS_DIR / 'Std.npy'}: non-positive standard deviations")
        return out[0], out[1]

    def frame_labels_path(self, clip_id: str) -> Path:
        return self.root / LABEL_DIR / f"{clip_id}.json"

    def frame_labels(self, clip_id: str, num_frames: int | None = None):
        """The clip's FrameLabels (segments + per-frame labels) or None when the layout has none for it."""
        from generator.data.babel import read_frame_labels

        path = self.frame_labels_path(clip_id)
        if not path.is_file():
            return None
        return read_frame_labels(path, num_frames=num_frames)

    def human_path(self, clip_id: str) -> Path:
        return self.root / HUMAN_DIR / f"{clip_id}.npz"

    def meta(self) -> dict:
        path = self.root / META_FILE
        if not path.is_file():
            return {}
        try:
            return json.loads(path.read_text())
        except json.JSONDecodeError as e:
            raise InputError(f"{path}: not valid JSON ({e})") from None

    def summary(self) -> str:
        """One line per split with its size, plus the skipped files by reason."""
        parts = [f"{s}: {len(ids)}" for s, ids in self._splits.items()]
        skipped = [f"{len(v)} skipped ({k})" for k, v in self.skipped.items()]
        return ", ".join(parts + skipped)
