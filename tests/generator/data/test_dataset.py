"""The padding collate (mask, lengths) and the length-bucketed batch sampler."""

from __future__ import annotations

import numpy as np
import torch

from generator.data.dataset import LengthBucketBatchSampler, collate_motion


def _item(length: int, labels: bool = True) -> dict:
    return {
        "motion": torch.full((length, 272), float(length)),
        "length": length,
        "caption": f"clip of {length}",
        "clip_id": f"{length:06d}",
        "frame_labels": ["walk"] * length if labels else None,
    }


def test_collate_pads_and_masks():
    batch = collate_motion([_item(5), _item(3, labels=False), _item(7)])
    assert batch["motion"].shape == (3, 7, 272)
    assert batch["lengths"].tolist() == [5, 3, 7]
    assert batch["mask"].dtype == torch.bool
    assert batch["mask"].sum(1).tolist() == [5, 3, 7]
    assert batch["mask"][0].tolist() == [True] * 5 + [False] * 2
    assert (batch["motion"][1, 3:] == 0).all() and (batch["motion"][1, :3] == 3).all()
    assert batch["captions"][2] == "clip of 7" and batch["clip_ids"][0] == "000005"
    assert batch["frame_labels"][1] is None and batch["frame_labels"][0] == ["walk"] * 5 + ["", ""]


def test_bucket_sampler_groups_similar_lengths_and_is_seeded():
    rng = np.random.default_rng(0)
    lengths = rng.integers(40, 300, size=500)
    sampler = LengthBucketBatchSampler(lengths, batch_size=16, bucket_factor=8, seed=3)
    batches = list(sampler)
    flat = sorted(i for b in batches for i in b)
    assert flat == list(range(500)) and len(batches) == len(sampler)
    spread = np.mean([np.ptp(lengths[b]) for b in batches])
    random_spread = np.mean([np.ptp(lengths[rng.permutation(500)[:16]]) for _ in range(50)])
    assert spread < 0.25 * random_spread  # buckets really hold similar lengths
    assert batches == list(LengthBucketBatchSampler(lengths, 16, 8, seed=3))
    sampler.set_epoch(1)
    assert list(sampler) != batches
    dropped = LengthBucketBatchSampler(lengths, 16, 8, seed=3, drop_last=True)
    assert all(len(b) == 16 for b in dropped) and len(dropped) == len(list(dropped))


def _real_style_layout(root):
    """A HumanML3D-272-style directory as released: split/ folder, sub-clip captions, nan times, a missing file."""
    from generator.motion import repr272
    from generator.motion.demo import demo_motion

    (root / "motion_data").mkdir(parents=True)
    (root / "texts").mkdir()
    (root / "split").mkdir()
    (root / "mean_std").mkdir()
    feats = {}
    for k, seconds in enumerate((4.0, 6.0)):
        feats[f"{k:06d}"] = demo_motion(seconds=seconds, seed=k).features.astype(np.float32)
        np.save(root / "motion_data" / f"{k:06d}.npy", feats[f"{k:06d}"])
    (root / "texts" / "000000.txt").write_text(
        "a person raises a hand.#a/DET person/NOUN raise/VERB a/DET hand/NOUN#0.0#0.0\n"
        "someone waves.#someone/PRON wave/VERB#nan#nan\n"
        "the person steps in place.#the/DET person/NOUN step/VERB in/ADP place/NOUN#1.0#3.0\n"
    )
    (root / "texts" / "000001.txt").write_text("a man waves#a/DET man/NOUN wave/VERB#2.5#3.0\n")
    (root / "split" / "train.txt").write_text("000000\n000001\n000007\n")
    mean, std = repr272.compute_stats(list(feats.values()))
    np.save(root / "mean_std" / "Mean.npy", mean)
    np.save(root / "mean_std" / "Std.npy", std)
    return feats, mean, std


def test_dataset_over_a_real_style_layout(tmp_path):
    from generator.data.dataset import MotionTextDataset
    from generator.data.layout import HumanML3D272

    feats, mean, std = _real_style_layout(tmp_path)
    data = HumanML3D272(tmp_path)
    assert data.ids("train") == ["000000", "000001"] and data.skipped == {"missing motion": ["000007"]}
    ds = MotionTextDataset(tmp_path, "train", max_length=300, min_length=30, unit_length=1, random_crop=False)
    # 000000: one whole-clip entry (two captions) + one 1.0-3.0 s sub-clip; 000001's 0.5 s sub-clip is too short.
    assert [(e.clip_id, e.start, e.end, len(e.captions)) for e in ds.entries] == [
        ("000000", 0, 120, 2),
        ("000000", 30, 90, 1),
    ]
    assert ds.dropped == {"shorter than min_length": 1}
    sub = ds[1]
    assert sub["caption"] == "the person steps in place." and sub["length"] == 60 and sub["frame_labels"] is None
    np.testing.assert_allclose(sub["motion"].numpy(), (feats["000000"][30:90] - mean) / std, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(ds.denormalize(sub["motion"]).numpy(), feats["000000"][30:90], atol=1e-4)
