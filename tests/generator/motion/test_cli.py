"""`python -m generator.motion`: every command on a good file, and one clear line + exit 2 on each kind of bad input."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import imageio.v2 as imageio
import numpy as np
import pytest

from generator.motion import bvh
from generator.motion import file as motion_file
from generator.motion.__main__ import main
from generator.motion.demo import demo_motion
from generator.motion.errors import InputError
from generator.motion.file import load_motion
from generator.motion.info import label_segments, motion_summary
from generator.motion.skeleton import JOINT_NAMES

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def good_file(tmp_path_factory) -> Path:
    return demo_motion(seconds=1.0, seed=0).save(tmp_path_factory.mktemp("good") / "motion.npz")


def _arrays(path: Path) -> dict:
    with np.load(path) as data:
        return {k: data[k] for k in data.files}


def _run(argv, capsys) -> tuple[int, str, str]:
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


def _assert_one_line_error(rc: int, err: str, *fragments: str) -> None:
    assert rc == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got: {err!r}"
    assert lines[0].startswith("error: ")
    for fragment in fragments:
        assert fragment in lines[0], f"{fragment!r} not in {lines[0]!r}"
    assert "Traceback" not in err


# ---- good input ---------------------------------------------------------------------------------------------------


def test_info_prints_frames_and_segments(good_file, capsys):
    rc, out, err = _run(["info", good_file], capsys)
    assert rc == 0 and err == ""
    assert "frames:   30" in out
    assert "seconds:  1.00" in out
    assert "raise the right hand" in out
    assert "steps in place while waving" in out


def test_render_command_writes_a_readable_video(good_file, tmp_path, capsys):
    out_path = tmp_path / "v.mp4"
    rc, out, _ = _run(
        ["render", good_file, "-o", out_path, "--stride", "2", "--size", "160", "128", "--camera", "follow"], capsys
    )
    assert rc == 0 and out.strip() == str(out_path)
    with imageio.get_reader(out_path) as reader:
        assert reader.count_frames() == 15


def test_to_bvh_command_round_trips(good_file, tmp_path, capsys):
    rc, out, _ = _run(["to-bvh", good_file, "-o", tmp_path / "m.bvh"], capsys)
    assert rc == 0 and out.strip() == str(tmp_path / "m.bvh")
    parsed = bvh.read_bvh(tmp_path / "m.bvh")
    fk = parsed.joint_positions()[:, [parsed.names.index(n) for n in JOINT_NAMES]]
    assert np.abs(fk - load_motion(good_file).joints).max() < 1e-3  # metres


def test_demo_writes_three_files_deterministically(tmp_path, capsys):
    rc, out, _ = _run(["demo", "--out", tmp_path / "a", "--seed", "5", "--seconds", "1.5"], capsys)
    assert rc == 0
    paths = [Path(p) for p in out.split()]
    assert [p.name for p in paths] == ["motion.npz", "motion.mp4", "motion.bvh"]
    assert all(p.is_file() and p.stat().st_size > 0 for p in paths)
    motion = load_motion(paths[0])
    assert motion.num_frames == 45 and motion.joints[..., 1].min() >= -1e-6  # on or above the floor
    assert _run(["--seed", "5", "demo", "--out", tmp_path / "b", "--seconds", "1.5"], capsys)[0] == 0
    assert _run(["demo", "--out", tmp_path / "c", "--seed", "6", "--seconds", "1.5"], capsys)[0] == 0
    a, b, c = (_arrays(tmp_path / d / "motion.npz")["features"] for d in "abc")
    np.testing.assert_array_equal(a, b)  # same seed, same motion
    assert np.abs(a - c).max() > 1e-3  # another seed, another motion


def test_summary_and_segments():
    motion = demo_motion(seconds=2.0, seed=0)
    s = motion_summary(motion)
    assert s["frames"] == 60 and s["seconds"] == pytest.approx(2.0)
    assert s["segments"] == [(0.0, 1.0, "raise the right hand"), (1.0, 2.0, "step in place and wave")]
    assert s["body_height_range"][0] == pytest.approx(0.0, abs=1e-6)
    assert s["distance"] == pytest.approx(s["mean_speed"] * 2.0)
    assert label_segments(None, 30) == []


def test_help_lists_commands_and_defaults(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for command in ("render", "info", "to-bvh", "demo", "--seed"):
        assert command in out


# ---- bad input: exactly one line naming the problem, exit status 2 -------------------------------------------------


def _write_variant(path: Path, good: Path, change) -> Path:
    arrays = _arrays(good)
    change(arrays)
    np.savez(path, **arrays)
    return path


def _nan(a):
    a["joints"][3, 4, 1] = np.nan


def _wrong_shape(a):
    a["joints"] = a["joints"][:, :21]


def _missing_key(a):
    del a["rotations"]


def _absurd(a):
    a["joints"] = a["joints"] * 1e6


def _bad_labels(a):
    a["frame_labels"] = a["frame_labels"][:-3]


@pytest.mark.parametrize(
    "change, fragments",
    [
        (_nan, ("'joints'", "NaN")),
        (_wrong_shape, ("'joints' has shape (30, 21, 3)", "expected (30, 22, 3)")),
        (_missing_key, ("missing key(s) rotations",)),
        (_absurd, ("'joints'", "beyond")),
        (_bad_labels, ("'frame_labels' has shape (27,)",)),
    ],
    ids=["nan", "wrong-shape", "missing-key", "absurd-values", "label-count"],
)
@pytest.mark.parametrize("command", ["info", "render", "to-bvh"])
def test_bad_motion_content(command, change, fragments, good_file, tmp_path, capsys):
    bad = _write_variant(tmp_path / "bad.npz", good_file, change)
    rc, out, err = _run([command, bad], capsys)
    _assert_one_line_error(rc, err, str(bad), *fragments)
    assert out == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.npz"]  # no output, no temporary file


def test_truncated_npz(good_file, tmp_path, capsys):
    data = good_file.read_bytes()
    (tmp_path / "cut.npz").write_bytes(data[: len(data) // 2])
    rc, _, err = _run(["info", tmp_path / "cut.npz"], capsys)
    _assert_one_line_error(rc, err, "cut.npz", "not a readable .npz")


def test_corrupt_npz(tmp_path, capsys):
    (tmp_path / "noise.npz").write_bytes(np.random.default_rng(0).bytes(2000))
    rc, _, err = _run(["render", tmp_path / "noise.npz"], capsys)
    _assert_one_line_error(rc, err, "noise.npz", "not a readable .npz")


def test_corrupt_member_inside_npz(good_file, tmp_path, capsys):
    with zipfile.ZipFile(tmp_path / "member.npz", "w") as z:
        for key in motion_file.REQUIRED_KEYS:
            z.writestr(f"{key}.npy", b"not an npy array")
    rc, _, err = _run(["info", tmp_path / "member.npz"], capsys)
    _assert_one_line_error(rc, err, "member.npz")


def test_missing_file(tmp_path, capsys):
    rc, _, err = _run(["to-bvh", tmp_path / "absent.npz"], capsys)
    _assert_one_line_error(rc, err, "absent.npz", "no such file")


def test_directory_instead_of_file(tmp_path, capsys):
    rc, _, err = _run(["info", tmp_path], capsys)
    _assert_one_line_error(rc, err, "is a directory")


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["render", "{good}", "-o", "{tmp}/v.avi"], "unsupported video type"),
        (["render", "{good}", "-o", "{tmp}/v.mp4", "--stride", "0"], "stride"),
        (["to-bvh", "{good}", "-o", "{tmp}/m.txt"], "must end in .bvh"),
        (["to-bvh", "{good}", "-o", "{tmp}/m.bvh", "--scale", "-1"], "scale"),
        (["demo", "--out", "{tmp}/d", "--seconds", "0"], "--seconds"),
    ],
    ids=["video-type", "stride", "bvh-suffix", "bvh-scale", "demo-seconds"],
)
def test_bad_options(argv, fragment, good_file, tmp_path, capsys):
    rc, _, err = _run([a.format(good=good_file, tmp=tmp_path) for a in argv], capsys)
    _assert_one_line_error(rc, err, fragment)
    assert list(tmp_path.iterdir()) == []


def test_failed_save_leaves_no_partial_file(tmp_path, monkeypatch):
    motion = demo_motion(seconds=1.0)
    target = tmp_path / "m.npz"
    broken = demo_motion(seconds=1.0)
    broken.joints[0, 0, 0] = np.nan
    with pytest.raises(InputError, match="NaN"):
        broken.save(target)

    def crash(path, **arrays):
        Path(path).write_bytes(b"PK\x03\x04 half an archive")
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(motion_file.np, "savez_compressed", crash)
    with pytest.raises(OSError, match="disk full"):
        motion.save(target)
    assert list(tmp_path.iterdir()) == []


def test_real_process_prints_one_line_and_exits_2(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "generator.motion", "info", str(tmp_path / "absent.npz")],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [f"error: {tmp_path / 'absent.npz'}: no such file"]
    assert proc.stdout == ""


def test_unwritable_output(good_file, tmp_path, capsys):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    rc, _, err = _run(["to-bvh", good_file, "-o", blocker / "m.bvh"], capsys)
    _assert_one_line_error(rc, err, "a_file", "cannot write")
    rc, _, err = _run(["demo", "--out", blocker, "--seconds", "1"], capsys)
    _assert_one_line_error(rc, err, "a_file", "cannot write")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_file"]
