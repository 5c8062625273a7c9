"""The procedural dataset writer and the HumanML3D-272 reader: what is written is read back; determinism; the CLI."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from generator.data.__main__ import main
from generator.data.dataset import DATA_PRESETS, MotionTextDataset, collate_motion, make_loader
from generator.data.layout import HumanML3D272
from generator.data.writer import BuildConfig, build_dataset
from generator.motion import repr272
from generator.motion.file import load_motion
from generator.procedural import PRIMITIVES

NUM = 8
SHORT = dict(min_seconds=2.0, max_seconds=3.0)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("ds") / "proc"
    meta = build_dataset(out, BuildConfig(num=NUM, seed=5, workers=1, human=True, **SHORT), progress=False)
    return out, meta


def _digest(root) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted((root / "motion_data").iterdir())}


def test_reader_reads_what_the_writer_wrote(built):
    out, meta = built
    assert not out.with_name(out.name + ".partial").exists()
    data = HumanML3D272(out)
    ids = {s: data.ids(s) for s in ("train", "val", "test")}
    assert sorted(sum(ids.values(), [])) == [f"{i:06d}" for i in range(NUM)]
    assert meta["count"] == NUM and meta["seed"] == 5 and len(ids["train"]) == round(0.8 * NUM)
    feats = {i: data.motion(i) for i in sum(ids.values(), [])}
    for i, f in feats.items():
        assert f.dtype == np.float32 and f.shape[1] == 272 and 60 <= len(f) <= 90
        caps = data.captions(i)
        assert len(caps) == 3 and all(c.whole_clip and c.text and c.tokens for c in caps)
        assert all("/" in t for c in caps for t in c.tokens)
        labels = data.frame_labels(i, num_frames=len(f))
        assert labels.num_frames == len(f) and all(labels.per_frame) and labels.segments
        # The human file holds the same motion; its joints are the 272 position inverse.
        human = load_motion(data.human_path(i))
        np.testing.assert_array_equal(human.features, f)
        np.testing.assert_allclose(repr272.decode_joints(f), human.joints, atol=1e-4)
    mean, std = data.stats()
    ref_mean, ref_std = repr272.compute_stats([feats[i] for i in ids["train"]])
    np.testing.assert_allclose(mean, ref_mean, atol=1e-5)
    np.testing.assert_allclose(std, ref_std, rtol=1e-4)


def test_build_is_deterministic_and_independent_of_workers(built, tmp_path):
    out, _ = built
    two = tmp_path / "two"
    build_dataset(two, BuildConfig(num=NUM, seed=5, workers=2, chunk_size=3, **SHORT), progress=False)
    assert _digest(two) == _digest(out)
    assert (two / "mean_std" / "Std.npy").read_bytes() == (out / "mean_std" / "Std.npy").read_bytes()
    assert (two / "split" / "test.txt").read_text() == (out / "split" / "test.txt").read_text()
    other = tmp_path / "other"
    build_dataset(other, BuildConfig(num=2, seed=6, workers=1, **SHORT), progress=False)
    assert _digest(other)["000000.npy"] != _digest(out)["000000.npy"]


def test_dataset_items_are_normalised_crops_with_labels(built):
    out, _ = built
    ds = MotionTextDataset(out, "train", max_length=64, min_length=16, unit_length=4, seed=1)
    assert len(ds) == round(0.8 * NUM) and not ds.dropped
    item = ds[0]
    assert item["length"] == 64 and item["motion"].shape == (64, 272) and len(item["frame_labels"]) == 64
    raw = ds.layout.motion(item["clip_id"])
    mean, std = ds.layout.stats()
    starts = [s for s in range(len(raw) - 63) if np.allclose((raw[s : s + 64] - mean) / std, item["motion"].numpy())]
    assert len(starts) == 1  # the item is exactly a normalised window of its clip
    again = ds[0]
    assert again["caption"] == item["caption"] and np.array_equal(again["motion"], item["motion"])
    batch = collate_motion([ds[i] for i in range(len(ds))])
    assert batch["mask"].all() and batch["lengths"].tolist() == [64] * len(ds)
    loader = make_loader(ds, DATA_PRESETS["tiny"], seed=0)
    seen = [cid for b in loader for cid in b["clip_ids"]]
    assert sorted(seen) == sorted(e.clip_id for e in ds.entries)


def test_gallery_renders_one_video_per_primitive(tmp_path, monkeypatch):
    import generator.procedural as procedural
    from generator.data.gallery import render_gallery

    monkeypatch.setattr(procedural, "PRIMITIVES", {k: procedural.PRIMITIVES[k] for k in ("jump", "wave")})
    paths = render_gallery(tmp_path / "gallery", seed=0, stride=4)
    assert [p.name for p in paths] == ["jump.mp4", "wave.mp4"]
    assert all(p.stat().st_size > 1000 for p in paths)


def test_reader_counts_missing_and_rejects_corrupt_files(built, tmp_path):
    out, _ = built
    copy = tmp_path / "copy"
    build_dataset(copy, BuildConfig(num=3, seed=5, workers=1, **SHORT), progress=False)
    first = HumanML3D272(copy).ids("train")[0]
    (copy / "motion_data" / f"{first}.npy").unlink()
    data = HumanML3D272(copy)
    assert first not in data.ids("train") and len(data.skipped["missing motion"]) == 1
    assert "1 skipped (missing motion)" in data.summary()


def test_stats_cli_reports_plausibility_and_coverage(built, tmp_path, capsys):
    out, _ = built
    js = tmp_path / "stats.json"
    assert main(["stats", str(out), "--num", "3", "--json", str(js)]) == 0
    text = capsys.readouterr().out
    assert "foot_skating_ratio" in text and "segments per clip" in text
    rep = json.loads(js.read_text())
    assert rep["clips_measured"] == 3
    plaus = rep["plausibility"]
    assert plaus["penetration_m"]["max"] < 0.01 and plaus["foot_skating_ratio"]["mean"] < 0.02
    assert plaus["joint_limit_max_excess_deg"]["max"] is not None
    cov = rep["coverage"]
    assert cov["clips"] == cov["clips_with_frame_labels"] == NUM and cov["captions"] == 3 * NUM
    assert sum(cov["per_segment_count"].values()) == NUM and sum(cov["length_histogram_s"].values()) == NUM
    assert set(cov["per_primitive"]) <= set(PRIMITIVES) and sum(cov["per_primitive"].values()) >= NUM
    assert cov["vocabulary_size"] > 5


def test_cli_bad_input_exits_2_with_one_line(tmp_path, capsys, built):
    out, _ = built
    corrupt = tmp_path / "corrupt"
    build_dataset(corrupt, BuildConfig(num=2, seed=5, workers=1, **SHORT), progress=False)
    (corrupt / "motion_data" / "000000.npy").write_bytes(b"\x93NUMPY garbage")
    cases = [
        ["build", "--out", str(tmp_path / "x"), "--num", "0"],
        ["build", "--out", str(tmp_path / "x"), "--num", "-3"],
        ["build", "--out", str(out), "--num", "2"],  # exists, no --overwrite
        ["stats", str(tmp_path / "missing")],
        ["stats", str(corrupt)],
        ["gallery"],
    ]
    for argv in cases:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("error:"), (argv, err)
    assert not (tmp_path / "x").exists() and not (tmp_path / "x.partial").exists()
