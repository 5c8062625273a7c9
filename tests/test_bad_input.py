"""Every command keeps its promise on bad input, generated case by case: exit status 2 and one `error:` line, no
traceback, the input file untouched, no temporary file left, and no code run from a data file.

The cases are the product of input kinds (missing, directory, FIFO, empty, garbage, truncated, pickled objects, a
header claiming 2.4 TB, NaN, complex, strings, wrong shape), output kinds (the input itself, a directory, a name
over 255 bytes, a parent that is a file) and seed kinds (2**70, -1, text) with the commands that take them.
SIGINT and SIGTERM are checked on a real process: exit 130 / 143, one line, no temporary file.
"""

from __future__ import annotations

import hashlib
import importlib
import io
import os
import pickle
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


# --- valid inputs, made once ------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def valid(tmp_path_factory) -> dict[str, Path]:
    """One valid file of each kind the commands read: human motion, robot motion, rollout, policy checkpoint."""
    from generator.motion.demo import demo_motion
    from retarget.pipeline import retarget_motion
    from sim.rollout import RolloutConfig, run_rollout
    from sim.scene import build_scene

    d = tmp_path_factory.mktemp("valid")
    human = demo_motion(seconds=1.0)
    human.save(d / "human.npz")
    robot = retarget_motion(human).motion
    robot.save(d / "robot.npz")
    run_rollout(build_scene(), robot, RolloutConfig(mode="pd", progress=False)).save(d / "rollout.npz")
    from generator.data.__main__ import main as data_main

    assert data_main(["build", "--out", str(d / "dataset"), "--num", "6", "--workers", "1", "--seed", "0"]) == 0
    return {"human": d / "human.npz", "robot": d / "robot.npz", "rollout": d / "rollout.npz", "dataset": d / "dataset"}


def _main_array(arrays: dict[str, np.ndarray]) -> str:
    """The array the bad variants spoil: a rollout's actions (what --actions reads), else the largest float array."""
    if "actions" in arrays:
        return "actions"
    floats = [k for k, v in arrays.items() if np.issubdtype(v.dtype, np.floating) and v.ndim >= 2]
    return max(floats, key=lambda k: arrays[k].size)


def _write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    with open(path, "wb") as f:
        np.savez(f, **arrays)


def _huge_header_npz(path: Path) -> None:
    """A zip whose one member's .npy header claims 300 billion float64 values (2.4 TB)."""
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (300_000_000_000,)})
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("features.npy", b"\x93NUMPY\x01\x00" + header.getvalue()[8:] + b"\x00" * 64)


class _Marker:
    """Unpickling this runs code: it creates the marker file. A loader that unpickles fails the test."""

    def __init__(self, path: str):
        self.path = path

    def __reduce__(self):
        return (Path.touch, (Path(self.path),))


def make_bad(kind: str, base: Path, where: Path) -> Path:
    """A bad input file of `kind`, derived from the valid file `base` where the kind needs a real layout."""
    path = where / f"bad_{kind}{base.suffix}"
    if kind == "missing":
        return path
    if kind == "directory":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "garbage":
        path.write_bytes(np.random.default_rng(0).bytes(4096))
    elif kind == "truncated":
        data = base.read_bytes()
        path.write_bytes(data[: len(data) // 2])
    elif kind == "pickle":
        with open(path, "wb") as f:
            pickle.dump({"features": _Marker(str(where / "PWNED"))}, f)
    elif kind == "huge_header":
        _huge_header_npz(path)
    else:
        with np.load(base, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
        key = _main_array(arrays)
        a = arrays[key]
        if kind == "object_array":
            arrays[key] = np.array([object()] * 3, dtype=object)
            with zipfile.ZipFile(path, "w") as zf:  # np.savez would pickle it: write the member by hand
                for k, v in arrays.items():
                    buf = io.BytesIO()
                    np.lib.format.write_array(buf, v, allow_pickle=True)
                    zf.writestr(f"{k}.npy", buf.getvalue())
            return path
        if kind == "nan":
            a = a.copy()
            a.flat[a.size // 2] = np.nan
        elif kind == "inf":
            a = a.copy()
            a.flat[0] = np.inf
        elif kind == "complex":
            a = a.astype(np.complex64)
        elif kind == "strings":
            a = a.astype(str)
        elif kind == "boolean":
            a = a > 0
        elif kind == "wrong_shape":
            a = a.reshape(a.shape[0], -1)[:, :5].copy()
        arrays[key] = a
        _write_npz(path, arrays)
    return path


INPUT_KINDS = ("missing", "directory", "fifo", "empty", "garbage", "truncated", "pickle", "huge_header",
               "object_array", "nan", "inf", "complex", "strings", "boolean", "wrong_shape")  # fmt: skip
POLICY_KINDS = ("missing", "directory", "fifo", "empty", "garbage", "truncated", "pickle")

# command -> (module with main, argv template, which valid file the bad input replaces, input kinds)
# {in} is the bad input, {out} a fresh output path in the case's folder, {robot} the valid robot motion.
INPUT_COMMANDS = {
    "generator.motion info": ("generator.motion.__main__", ["info", "{in}"], "human", INPUT_KINDS),
    "generator.motion render": ("generator.motion.__main__", ["render", "{in}", "-o", "{out}.mp4"], "human",
                                INPUT_KINDS),
    "generator.motion to-bvh": ("generator.motion.__main__", ["to-bvh", "{in}", "-o", "{out}.bvh"], "human",
                                INPUT_KINDS),
    "retarget": ("retarget.__main__", ["{in}", "-o", "{out}.npz", "--quiet"], "human", INPUT_KINDS),
    "sim.replay": ("sim.replay", ["{in}", "--pd", "-o", "{out}.npz"], "robot", INPUT_KINDS),
    "sim.replay --actions": ("sim.replay", ["{robot}", "--actions", "{in}", "-o", "{out}.npz"], "rollout",
                             INPUT_KINDS),
    "sim.score": ("sim.score", ["{in}", "-o", "{out}.json"], "rollout", INPUT_KINDS),
    "sim.view": ("sim.view", ["{in}", "-o", "{out}.mp4"], "rollout", INPUT_KINDS),
    "sim.replay --policy": ("sim.replay", ["{robot}", "--policy", "{in}", "-o", "{out}.npz"], "policy",
                            POLICY_KINDS),
    "controller.export": ("controller.export", ["--policy", "{in}", "-o", "{out}"], "policy", POLICY_KINDS),
}  # fmt: skip

CLASSIFIER = str(ROOT / "generator" / "checkpoints" / "action_classifier")
INPUT_COMMANDS.update({
    "generator.evaluate --motions": ("generator.evaluate", ["--motions", "{in}"], "human", INPUT_KINDS),
    "generator.action_classifier predict": (
        "generator.action_classifier", ["predict", "--ckpt", CLASSIFIER, "--motion", "{in}"], "human", INPUT_KINDS
    ),
    "generator.sample --prefix": ("generator.sample", ["walk", "--prefix", "{in}", "--out", "{out}", "--no-video"],
                                  "human", INPUT_KINDS[:12]),
    "controller.evaluate --motions": ("controller.evaluate", ["--motions", "{in}"], "robot", INPUT_KINDS),
    "controller.evaluate --policy": ("controller.evaluate", ["--policy", "{in}"], "policy", POLICY_KINDS),
    "sim.replay_eval --motions": ("sim.replay_eval", ["--motions", "{in}"], "robot", INPUT_KINDS),
})  # fmt: skip

# commands that read a dataset folder (the HumanML3D-272 layout), and the ways such a folder can be bad
DATASET_KINDS = ("missing", "a_file", "fifo", "empty_folder", "garbage_clip", "nan_clip", "object_clip",
                 "huge_header_clip", "binary_caption")  # fmt: skip
STATS_KINDS = ("no_statistics", "nan_statistics")  # only for commands that read the layout's statistics
DATASET_COMMANDS = {
    "generator.data stats": ("generator.data.__main__", ["stats", "{in}"], DATASET_KINDS),
    "generator.train_ae": ("generator.train_ae", ["--data", "{in}", "--out", "{out}", "--steps", "2"],
                           DATASET_KINDS + STATS_KINDS),
    "generator.train_evaluator": ("generator.train_evaluator",
                                  ["--data", "{in}", "--out", "{out}", "--steps", "2", "--preset", "tiny"],
                                  DATASET_KINDS),
    "generator.action_classifier train": ("generator.action_classifier",
                                          ["train", "--data", "{in}", "--out", "{out}", "--steps", "2"],
                                          DATASET_KINDS),
    "generator.evaluate_ae": ("generator.evaluate_ae", ["--ckpt", str(ROOT / "generator" / "checkpoints"),
                                                        "--data", "{in}", "--split", "train"],
                              tuple(k for k in DATASET_KINDS if k != "binary_caption")),  # reads no captions
}  # fmt: skip


def make_bad_dataset(kind: str, base: Path, where: Path) -> Path:
    """A bad dataset folder of `kind`, a spoiled copy of the valid one where the kind needs a layout."""
    import shutil

    path = where / f"ds_{kind}"
    if kind == "missing":
        return path
    if kind == "a_file":
        path.write_text("not a dataset")
        return path
    if kind == "fifo":
        os.mkfifo(path)
        return path
    if kind == "empty_folder":
        path.mkdir()
        return path
    shutil.copytree(base, path)
    first = sorted((path / "motion_data").glob("*.npy"))
    if kind == "no_statistics":
        shutil.rmtree(path / "mean_std")
    elif kind == "nan_statistics":
        std = np.load(path / "mean_std" / "Std.npy")
        std[3] = np.nan
        np.save(path / "mean_std" / "Std.npy", std)
    else:
        for clip in first:
            if kind == "garbage_clip":
                clip.write_bytes(np.random.default_rng(0).bytes(2048))
            elif kind == "nan_clip":
                a = np.load(clip)
                a[len(a) // 2, 5] = np.nan
                np.save(clip, a)
            elif kind == "object_clip":
                np.save(clip, np.array([object()] * 4, dtype=object), allow_pickle=True)
            elif kind == "huge_header_clip":
                with open(clip, "wb") as f:
                    np.lib.format.write_array_header_1_0(
                        f, {"descr": "<f4", "fortran_order": False, "shape": (300_000_000_000, 272)}
                    )
            elif kind == "binary_caption":
                (path / "texts" / f"{clip.stem}.txt").write_bytes(b"\xff\xfe\x00walks#\x00\x81")
    return path


# commands that write one output file next to one input: output kinds
OUTPUT_COMMANDS = {
    "generator.motion render": ("generator.motion.__main__", ["render", "{in}", "-o", "{out}"], "human", ".mp4"),
    "generator.motion to-bvh": ("generator.motion.__main__", ["to-bvh", "{in}", "-o", "{out}"], "human", ".bvh"),
    "retarget": ("retarget.__main__", ["{in}", "-o", "{out}", "--quiet"], "human", ".npz"),
    "sim.replay": ("sim.replay", ["{in}", "--pd", "-o", "{out}"], "robot", ".npz"),
    "sim.score": ("sim.score", ["{in}", "-o", "{out}"], "rollout", ".json"),
    "sim.view": ("sim.view", ["{in}", "-o", "{out}"], "rollout", ".mp4"),
}  # fmt: skip
OUTPUT_KINDS = ("the_input", "directory", "name_too_long", "parent_is_file")

# every command with a --seed: the arguments that reach the seed check
SEED_COMMANDS = {
    "generator.motion demo": ("generator.motion.__main__", ["demo", "--out", "{tmp}"]),
    "generator.sample": ("generator.sample", ["walk"]),
    "generator.train": ("generator.train", ["--data", "{tmp}", "--ae", "{tmp}", "--out", "{tmp}"]),
    "generator.train_ae": ("generator.train_ae", ["--data", "{tmp}", "--out", "{tmp}"]),
    "generator.train_evaluator": ("generator.train_evaluator", ["--data", "{tmp}", "--out", "{tmp}"]),
    "generator.action_classifier": ("generator.action_classifier", ["train", "--data", "{tmp}", "--out", "{tmp}"]),
    "generator.evaluate_ae": ("generator.evaluate_ae", ["--ckpt", "{tmp}", "--data", "{tmp}"]),
    "generator.evaluate": ("generator.evaluate", ["--data", "{tmp}"]),
    "generator.data build": ("generator.data.__main__", ["build", "--out", "{tmp}/ds", "--num", "2"]),
    "retarget": ("retarget.__main__", ["{human}", "-o", "{tmp}/r.npz"]),
    "retarget batch": ("retarget.__main__", ["batch", "{tmp}", "-o", "{tmp}/out"]),
    "controller.motion_set": ("controller.motion_set", ["--out", "{tmp}/ms"]),
    "controller.train": ("controller.train", ["--out", "{tmp}/run"]),
    "controller.evaluate": ("controller.evaluate", []),
    "controller.export": ("controller.export", ["--policy", "{tmp}/p.pt", "-o", "{tmp}/e"]),
    "sim.replay": ("sim.replay", ["{robot}", "--pd", "-o", "{tmp}/o.npz"]),
    "sim.score": ("sim.score", ["{rollout}"]),
    "sim.view": ("sim.view", ["{rollout}", "-o", "{tmp}/v.mp4"]),
    "sim.replay_eval": ("sim.replay_eval", []),
    "sim.demo": ("sim.demo", ["walk", "--out", "{tmp}/demo"]),
}
SEED_KINDS = {"beyond_64_bits": str(2**70), "negative": "-1", "text": "seven"}

# absurd values and texts: (module, argv)
VALUE_CASES = {
    "render size 100000 x 100000": ("generator.motion.__main__",
                                    ["render", "{human}", "-o", "{tmp}/o.mp4", "--size", "100000", "100000"]),
    "render size 0 x 0": ("generator.motion.__main__", ["render", "{human}", "-o", "{tmp}/o.mp4", "--size", "0", "0"]),
    "render size text": ("generator.motion.__main__", ["render", "{human}", "-o", "{tmp}/o.mp4", "--size", "a", "b"]),
    "render unknown video type": ("generator.motion.__main__", ["render", "{human}", "-o", "{tmp}/o.xyz"]),
    "sample empty text": ("generator.sample", ["", "--out", "{tmp}/s"]),
    "sample blank text": ("generator.sample", ["   \t ", "--out", "{tmp}/s"]),
    "sample 250,000-character text": ("generator.sample", ["walk " * 50_000, "--out", "{tmp}/s"]),
    "sample negative seconds": ("generator.sample", ["walk", "--seconds", "-3", "--out", "{tmp}/s"]),
    "sample NaN seconds": ("generator.sample", ["walk", "--seconds", "nan", "--out", "{tmp}/s"]),
    "sample zero motions": ("generator.sample", ["walk", "--num", "0", "--out", "{tmp}/s"]),
    "demo empty text": ("sim.demo", ["", "--out", "{tmp}/d"]),
    "demo 250,000-character text": ("sim.demo", ["wave " * 50_000, "--out", "{tmp}/d"]),
    "demo zero candidates": ("sim.demo", ["walk", "--num", "0", "--out", "{tmp}/d"]),
    "replay NaN push": ("sim.replay", ["{robot}", "--pd", "-o", "{tmp}/o.npz", "--push", "nan", "1", "0.2"]),
    "view zero size": ("sim.view", ["{rollout}", "-o", "{tmp}/v.mp4", "--width", "0", "--height", "0"]),
    "view huge size": ("sim.view", ["{rollout}", "-o", "{tmp}/v.mp4", "--width", "100000", "--height", "100000"]),
    "controller.train zero envs": ("controller.train", ["--out", "{tmp}/run", "--num-envs", "0"]),
    "controller.evaluate zero envs": ("controller.evaluate", ["--num-envs", "0"]),
    "motion_set zero clips": ("controller.motion_set", ["--out", "{tmp}/m", "--per-primitive", "0"]),
    "motion_set negative generated": ("controller.motion_set", ["--out", "{tmp}/m", "--generated", "-1"]),
    "motion_set missing generator": ("controller.motion_set", ["--out", "{tmp}/m", "--per-primitive", "1",
                                                               "--generated", "1", "--generator", "{tmp}/none"]),
    "sample NaN attribute guidance": ("generator.sample", ["walk", "--attribute-guidance", "nan", "--out", "{tmp}/s"]),
    "evaluate negative attribute guidance": ("generator.evaluate", ["--attributes", "1", "--attribute-guidance",
                                                                    "-1"]),
    "evaluate zero flow steps": ("generator.evaluate", ["--attributes", "1", "--flow-steps", "0"]),
    "evaluate NaN guidance": ("generator.evaluate", ["--attributes", "1", "--cfg", "nan"]),
    "data build zero clips": ("generator.data.__main__", ["build", "--out", "{tmp}/ds", "--num", "0"]),
    "train NaN attribute weight": ("generator.train", ["--data", "{tmp}", "--ae", "{tmp}", "--out", "{tmp}/g",
                                                       "--attribute-weight", "nan"]),
    "train attribute weight 0": ("generator.train", ["--data", "{tmp}", "--ae", "{tmp}", "--out", "{tmp}/g",
                                                     "--attribute-weight", "0"]),
}  # fmt: skip


# --- running a command in-process -----------------------------------------------------------------------------------


def run_main(module: str, argv: list[str], capsys) -> tuple[int, str]:
    """(exit status, stderr) of `python -m module argv`, run in this process (argparse exits become statuses)."""
    main = importlib.import_module(module).main
    try:
        code = main(argv)
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else 2
    return int(code), capsys.readouterr().err


def digest(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


def assert_kept_promise(code: int, err: str, folder: Path) -> None:
    lines = [line for line in err.splitlines() if line.strip() and not line.startswith(("usage:", " "))]
    assert code == 2, f"exit {code}, stderr:\n{err}"
    assert "Traceback" not in err, err
    assert len([line for line in lines if "error:" in line]) == 1, err
    assert not (folder / "PWNED").exists(), "a data file ran code"
    leftovers = [p.name for p in folder.rglob(".*") if p.is_file()]
    assert not leftovers, f"temporary files left behind: {leftovers}"


def _fill(argv: list[str], **values) -> list[str]:
    return [a.format(**values) for a in argv]


# --- the generated cases ----------------------------------------------------------------------------------------


def _policy_base(valid: dict[str, Path]) -> Path:
    shipped = sorted((ROOT / "controller" / "checkpoints" / "g1_tracking_cpu" / "resume").glob("model_*.pt"))
    return shipped[-1] if shipped else ROOT / "no_shipped_checkpoint.pt"


@pytest.mark.parametrize(
    "command, kind", [(c, k) for c, (_, _, _, kinds) in INPUT_COMMANDS.items() for k in kinds]
)  # fmt: skip
def test_bad_input_file(command, kind, valid, tmp_path, capsys):
    module, argv, base_kind, _ = INPUT_COMMANDS[command]
    base = _policy_base(valid) if base_kind == "policy" else valid[base_kind]
    if kind == "truncated" and not base.exists():
        pytest.skip("no shipped policy checkpoint to truncate")
    bad = make_bad(kind, base, tmp_path)
    before = digest(bad)
    code, err = run_main(module, _fill(argv, **{"in": bad, "out": tmp_path / "out", "robot": valid["robot"]}), capsys)
    assert_kept_promise(code, err, tmp_path)
    assert digest(bad) == before
    assert not list(tmp_path.glob("out*")), "an output was written from bad input"


@pytest.mark.parametrize("command, kind", [(c, k) for c, (*_, kinds) in DATASET_COMMANDS.items() for k in kinds])
def test_bad_dataset_folder(command, kind, valid, tmp_path, capsys):
    module, argv, _ = DATASET_COMMANDS[command]
    bad = make_bad_dataset(kind, valid["dataset"], tmp_path)
    code, err = run_main(module, _fill(argv, **{"in": bad, "out": tmp_path / "out"}), capsys)
    assert_kept_promise(code, err, tmp_path)
    weights = ("model.safetensors", "evaluator.safetensors", "action_classifier.safetensors")
    assert not [p for p in tmp_path.rglob("*.safetensors") if p.name in weights], "a model was written from bad data"


@pytest.mark.parametrize("command, kind", [(c, k) for c in OUTPUT_COMMANDS for k in OUTPUT_KINDS])
def test_bad_output_path(command, kind, valid, tmp_path, capsys):
    module, argv, base_kind, suffix = OUTPUT_COMMANDS[command]
    src = tmp_path / f"input{valid[base_kind].suffix}"
    src.write_bytes(valid[base_kind].read_bytes())
    if kind == "the_input":
        out = src
    elif kind == "directory":
        out = tmp_path / f"out{suffix}"
        out.mkdir()
    elif kind == "name_too_long":
        out = tmp_path / ("x" * 300 + suffix)
    else:
        (tmp_path / "afile").write_text("not a folder")
        out = tmp_path / "afile" / f"out{suffix}"
    before = digest(src)
    code, err = run_main(module, _fill(argv, **{"in": src, "out": out}), capsys)
    assert_kept_promise(code, err, tmp_path)
    assert digest(src) == before, "the input was changed"


@pytest.mark.parametrize("command, kind", [(c, k) for c in SEED_COMMANDS for k in SEED_KINDS])
def test_bad_seed(command, kind, valid, tmp_path, capsys):
    module, argv = SEED_COMMANDS[command]
    args = _fill(argv, tmp=tmp_path, human=valid["human"], robot=valid["robot"], rollout=valid["rollout"])
    code, err = run_main(module, [*args, "--seed", SEED_KINDS[kind]], capsys)
    assert_kept_promise(code, err, tmp_path)
    assert "--seed" in err


@pytest.mark.parametrize("case", list(VALUE_CASES))
def test_absurd_value(case, valid, tmp_path, capsys):
    module, argv = VALUE_CASES[case]
    args = _fill(argv, tmp=tmp_path, human=valid["human"], robot=valid["robot"], rollout=valid["rollout"])
    code, err = run_main(module, args, capsys)
    assert_kept_promise(code, err, tmp_path)
    assert not [p for p in tmp_path.rglob("*") if p.is_file()], "an output was written from bad input"


def test_build_never_deletes_a_users_partial_folder(tmp_path, capsys):
    mine = tmp_path / "ds.partial"
    mine.mkdir()
    (mine / "thesis.tex").write_text("years of work")
    code, err = run_main("generator.data.__main__", ["build", "--out", str(tmp_path / "ds"), "--num", "2"], capsys)
    assert code == 2 and "not an interrupted build" in err
    assert (mine / "thesis.tex").read_text() == "years of work"


def test_the_suite_is_large_enough():
    n_inputs = sum(len(kinds) for *_, kinds in INPUT_COMMANDS.values())
    total = n_inputs + len(OUTPUT_COMMANDS) * len(OUTPUT_KINDS) + len(SEED_COMMANDS) * len(SEED_KINDS)
    total += len(VALUE_CASES) + sum(len(kinds) for *_, kinds in DATASET_COMMANDS.values())
    assert total >= 200, total


# --- signals, on a real process ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sig, status, word", [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated")]
)
def test_signal_during_a_write_cleans_up(sig, status, word, tmp_path):
    """A 12 s stick-figure video is being written when the signal arrives: the command exits with 128 + signal,
    says so in one line, and leaves neither the video nor its temporary file."""
    from generator.motion.demo import demo_motion

    demo_motion(seconds=12.0).save(tmp_path / "long.npz")
    out = tmp_path / "long.mp4"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "generator.motion", "render", str(tmp_path / "long.npz"), "-o", str(out)],
        cwd=tmp_path, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    deadline = time.time() + 120
    while not list(tmp_path.glob(".long.mp4.*")) and proc.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, "the render finished before the signal could be sent"
    time.sleep(0.3)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == status, err
    assert err.strip().splitlines()[-1] == word and "Traceback" not in err
    assert not out.exists() and not list(tmp_path.glob(".long.mp4.*"))


def test_a_signal_swallowed_in_a_finaliser_still_ends_the_command(tmp_path, capsys):
    """Python drops an exception raised inside a finaliser (seen under load: SIGTERM landing in logging's lock
    release let a render finish with exit 0): the command still exits 143 with one line and commits no file."""
    from generator.motion.errors import atomic_path, cli_entry

    class SignalsOnDelete:
        def __del__(self):
            os.kill(os.getpid(), signal.SIGTERM)  # the handler's exception is raised inside __del__ and ignored

    @cli_entry
    def main() -> int:
        with atomic_path(tmp_path / "out.txt") as tmp:
            tmp.write_text("half")
            SignalsOnDelete()
        return 0

    assert main() == 143
    assert capsys.readouterr().err.strip() == "terminated"
    assert not list(tmp_path.iterdir())


PRESET_CASES = {
    "controller.train": ("controller.train", ["--out", "{tmp}/run", "--preset", "nope"]),
    "generator.train_ae": ("generator.train_ae", ["--data", "{dataset}", "--out", "{tmp}/ae", "--preset", "nope"]),
    "generator.train_evaluator": ("generator.train_evaluator",
                                  ["--data", "{dataset}", "--out", "{tmp}/ev", "--preset", "nope"]),
    "generator.action_classifier": ("generator.action_classifier",
                                    ["train", "--data", "{dataset}", "--out", "{tmp}/c", "--preset", "nope"]),
    "sim.score": ("sim.score", ["{rollout}", "--preset", "nope"]),
}  # fmt: skip


@pytest.mark.parametrize("command", list(PRESET_CASES))
def test_an_unknown_preset_gives_the_same_line_in_every_room(command, valid, tmp_path, capsys):
    module, argv = PRESET_CASES[command]
    args = _fill(argv, tmp=tmp_path, dataset=valid["dataset"], rollout=valid["rollout"])
    code, err = run_main(module, args, capsys)
    assert_kept_promise(code, err, tmp_path)
    assert "preset 'nope'; choose one of " in err, err
