"""Torch training data over a HumanML3D-272 layout: normalised features, a random caption, frame labels, crops,
a padding collate and a length-bucketed batch sampler; every random choice is seeded (seed, epoch, item).

Entries follow the reference loader: a clip's whole-clip captions form one entry (a caption drawn per item); each
caption with a sub-clip start/end becomes its own entry over that crop. Entries shorter than `min_length` frames
are dropped and counted in `dropped`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch
from torch.utils.data import Dataset, Sampler

from generator.data.layout import FPS, Caption, HumanML3D272
from generator.motion.errors import InputError


@dataclass(frozen=True)
class DataConfig:
    """Crop and batching settings; presets: `tiny` (CPU tests and smoke runs), `paper` (HumanML3D-272 protocol)."""

    max_length: int = 300  # frames (10 s at 30 fps)
    min_length: int = 40
    unit_length: int = 4  # crop lengths are multiples of this (the autoencoder's downsampling)
    batch_size: int = 64
    bucket_factor: int = 32  # batches are formed inside windows of bucket_factor * batch_size similar lengths


DATA_PRESETS = {
    "tiny": DataConfig(max_length=120, min_length=16, unit_length=4, batch_size=8, bucket_factor=8),
    "paper": DataConfig(max_length=300, min_length=60, unit_length=4, batch_size=256, bucket_factor=32),
}


@dataclass(frozen=True)
class Entry:
    """One dataset item: a clip id, its frame range and the captions it can draw from."""

    clip_id: str
    start: int
    end: int
    captions: tuple[Caption, ...]

    @property
    def length(self) -> int:
        return self.end - self.start


class MotionTextDataset(Dataset):
    """Items: dict(motion (T, 272) normalised float32 tensor, length, caption, clip_id, frame_labels list or None)."""

    def __init__(
        self,
        root,
        split: str = "train",
        max_length: int = 300,
        min_length: int = 40,
        unit_length: int = 1,
        seed: int = 0,
        random_crop: bool = True,
        stats: tuple[np.ndarray, np.ndarray] | None = None,
        preload: bool = False,
        with_labels: bool = True,
    ):
        if not 1 <= min_length <= max_length:
            raise InputError(f"need 1 <= min_length <= max_length, got {min_length}, {max_length}")
        if unit_length < 1 or unit_length > min_length:
            raise InputError(f"unit_length must be in [1, min_length], got {unit_length}")
        self.layout = root if isinstance(root, HumanML3D272) else HumanML3D272(root)
        self.split, self.seed, self.epoch = split, int(seed), 0
        self.max_length, self.min_length, self.unit_length = max_length, min_length, unit_length
        self.random_crop, self.with_labels = random_crop, with_labels
        mean, std = self.layout.stats() if stats is None else stats
        self.mean, self.std = np.asarray(mean, np.float32), np.asarray(std, np.float32)
        self.entries: list[Entry] = []
        self.dropped: dict[str, int] = {}
        self._cache: dict[str, np.ndarray] = {}
        for cid in self.layout.ids(split):
            try:
                captions = self.layout.captions(cid)
                n = self.layout.num_frames(cid)
                if preload:
                    self._cache[cid] = self.layout.motion(cid)
            except InputError:
                self._drop("unreadable file")
                continue
            if not captions:
                self._drop("no caption")
                continue
            whole = tuple(c for c in captions if c.whole_clip)
            if whole:
                self._add(Entry(cid, 0, n, whole))
            for c in captions:
                if not c.whole_clip:
                    a, b = c.frame_range(n, FPS)
                    self._add(Entry(cid, a, b, (c,)))
        self.lengths = np.array([min(e.length, max_length) for e in self.entries], dtype=np.int64)

    def _drop(self, reason: str) -> None:
        self.dropped[reason] = self.dropped.get(reason, 0) + 1

    def _add(self, entry: Entry) -> None:
        if entry.length < self.min_length:
            self._drop("shorter than min_length")
        else:
            self.entries.append(entry)

    def set_epoch(self, epoch: int) -> None:
        """Change the random captions and crops (call once per epoch)."""
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return len(self.entries)

    def _features(self, cid: str) -> np.ndarray:
        return self._cache[cid] if cid in self._cache else self.layout.motion(cid, mmap=True)

    def __getitem__(self, index: int) -> dict:
        e = self.entries[index]
        rng = np.random.default_rng([self.seed, self.epoch, index])
        length = min(e.length, self.max_length)
        length -= length % self.unit_length
        offset = int(rng.integers(0, e.length - length + 1)) if self.random_crop else 0
        start = e.start + offset
        feats = np.asarray(self._features(e.clip_id)[start : start + length], dtype=np.float32)
        if not np.isfinite(feats).all():
            raise InputError(f"{self.layout.motion_path(e.clip_id)}: contains NaN or infinite values")
        caption = e.captions[int(rng.integers(len(e.captions)))] if self.random_crop else e.captions[0]
        labels = None
        if self.with_labels:
            fl = self.layout.frame_labels(e.clip_id)
            if fl is not None:
                labels = fl.per_frame[start : start + length]
                labels += [""] * (length - len(labels))
        return {
            "motion": torch.from_numpy((feats - self.mean) / self.std),
            "length": length,
            "caption": caption.text,
            "clip_id": e.clip_id,
            "frame_labels": labels,
        }

    def denormalize(self, motion: torch.Tensor) -> torch.Tensor:
        return motion * torch.as_tensor(self.std) + torch.as_tensor(self.mean)


def collate_motion(batch: list[dict]) -> dict:
    """Pad to the longest item: motion (B, T, 272), mask (B, T) True = valid, lengths (B,), lists of the rest."""
    if not batch:
        raise ValueError("empty batch")
    lengths = torch.tensor([int(b["length"]) for b in batch], dtype=torch.long)
    t = int(lengths.max())
    dim = batch[0]["motion"].shape[-1]
    motion = torch.zeros(len(batch), t, dim, dtype=batch[0]["motion"].dtype)
    for i, b in enumerate(batch):
        motion[i, : b["length"]] = b["motion"]
    mask = torch.arange(t)[None, :] < lengths[:, None]
    labels = [None if b["frame_labels"] is None else list(b["frame_labels"]) + [""] * (t - b["length"]) for b in batch]
    return {
        "motion": motion,
        "mask": mask,
        "lengths": lengths,
        "captions": [b["caption"] for b in batch],
        "clip_ids": [b["clip_id"] for b in batch],
        "frame_labels": labels,
    }


class LengthBucketBatchSampler(Sampler[list[int]]):
    """Batches of similar lengths: shuffle, cut into windows of `bucket_factor` batches, sort each window by length,
    cut it into batches, shuffle the batches. Seeded by (seed, epoch); call `set_epoch` each epoch."""

    def __init__(
        self,
        lengths,
        batch_size: int,
        bucket_factor: int = 32,
        shuffle: bool = True,
        drop_last: bool = False,
        seed: int = 0,
    ):
        if batch_size < 1 or bucket_factor < 1:
            raise ValueError(f"batch_size and bucket_factor must be >= 1, got {batch_size}, {bucket_factor}")
        self.lengths = np.asarray(lengths)
        self.batch_size, self.bucket_factor = batch_size, bucket_factor
        self.shuffle, self.drop_last, self.seed, self.epoch = shuffle, drop_last, int(seed), 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def _batches(self) -> list[list[int]]:
        n = len(self.lengths)
        rng = np.random.default_rng([self.seed, self.epoch, 104729])
        order = rng.permutation(n) if self.shuffle else np.arange(n)
        window = self.batch_size * self.bucket_factor
        batches: list[list[int]] = []
        for s in range(0, n, window):
            chunk = order[s : s + window]
            chunk = chunk[np.argsort(self.lengths[chunk], kind="stable")]
            for b in range(0, len(chunk), self.batch_size):
                batch = chunk[b : b + self.batch_size]
                if len(batch) == self.batch_size or not self.drop_last:
                    batches.append([int(i) for i in batch])
        if self.shuffle:
            batches = [batches[i] for i in rng.permutation(len(batches))]
        return batches

    def __iter__(self) -> Iterator[list[int]]:
        return iter(self._batches())

    def __len__(self) -> int:
        return len(self._batches())


def make_loader(dataset: MotionTextDataset, cfg: DataConfig, seed: int = 0, shuffle: bool = True, num_workers: int = 0):
    """A DataLoader with the length-bucketed sampler and the padding collate."""
    sampler = LengthBucketBatchSampler(dataset.lengths, cfg.batch_size, cfg.bucket_factor, shuffle=shuffle, seed=seed)
    return torch.utils.data.DataLoader(
        dataset, batch_sampler=sampler, collate_fn=collate_motion, num_workers=num_workers
    )
