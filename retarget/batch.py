"""Batch retargeting of a directory of human motion files with worker processes, a progress bar and a metrics CSV.

Every input either produces an output file and a metrics row, or a row with status "failed" and the error: no
clip is dropped silently. A summary (aggregate metrics, failures) is printed at the end.
"""

from __future__ import annotations

import csv
import multiprocessing as mp
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from generator.motion.errors import InputError, atomic_path
from retarget.metrics import METRIC_NAMES, ClipMetrics, aggregate

CSV_FIELDS = ("clip", "status", "frames", *METRIC_NAMES, "ik_iterations", "seconds", "flags", "error")


@dataclass
class BatchReport:
    """Outcome of a batch: per-clip rows (in input order), aggregate metrics over the successes, failures."""

    rows: list[dict] = field(default_factory=list)
    summary: dict = field(default_factory=dict)
    failures: list[tuple[str, str]] = field(default_factory=list)


def _init_worker() -> None:
    import torch

    torch.set_num_threads(1)


def _one(job: tuple[str, str, str, dict]) -> dict:
    """Retarget one file (runs in a worker); never raises: errors come back in the row."""
    import time

    from generator.motion.file import load_motion
    from retarget.pipeline import PRESETS, retarget_motion

    src, dst, preset, extra = job
    row = {"clip": extra["name"], "status": "failed", "flags": "", "error": ""}
    start = time.perf_counter()
    try:
        result = retarget_motion(load_motion(src), PRESETS[preset])
        result.motion.save(dst)
        row.update(result.metrics.as_dict())
        row.update(status="flagged" if result.flags else "ok", flags="; ".join(result.flags))
        row["ik_iterations"] = result.ik_iterations
    except InputError as e:
        row["error"] = str(e)
    except Exception as e:  # noqa: BLE001 - a crash on one clip is reported on its row, the batch goes on
        row["error"] = f"{type(e).__name__}: {e}"
    row["seconds"] = round(time.perf_counter() - start, 3)
    return row


def find_inputs(root: Path) -> list[Path]:
    """Human motion files (*.npz) under a directory, sorted."""
    if not root.exists():
        raise InputError(f"{root}: no such directory")
    if not root.is_dir():
        raise InputError(f"{root}: not a directory")
    files = sorted(p for p in root.rglob("*.npz") if not p.name.startswith("."))
    if not files:
        raise InputError(f"{root}: no .npz human motion files found")
    return files


def run_batch(in_dir: str | Path, out_dir: str | Path, workers: int = 1, preset: str = "ours") -> BatchReport:
    """Retarget every *.npz under in_dir into out_dir (same relative paths); writes out_dir/metrics.csv."""
    in_dir, out_dir = Path(in_dir), Path(out_dir)
    files = find_inputs(in_dir)
    if out_dir.resolve() == in_dir.resolve():
        raise InputError("output directory must differ from the input directory")
    jobs = []
    for f in files:
        rel = f.relative_to(in_dir)
        dst = out_dir / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        jobs.append((str(f), str(dst), preset, {"name": str(rel)}))
    rows: dict[str, dict] = {}
    bar = tqdm(total=len(jobs), desc="retarget", unit="clip")
    if workers <= 1:
        _init_worker()
        for job in jobs:
            row = _one(job)
            rows[row["clip"]] = row
            bar.update(1)
    else:
        with mp.get_context("spawn").Pool(workers, initializer=_init_worker) as pool:
            for row in pool.imap_unordered(_one, jobs):
                rows[row["clip"]] = row
                bar.update(1)
    bar.close()
    ordered = [rows[j[3]["name"]] for j in jobs]
    report = BatchReport(rows=ordered)
    good = [r for r in ordered if r["status"] != "failed"]
    report.summary = aggregate([ClipMetrics(**{k: r[k] for k in ("frames", *METRIC_NAMES)}) for r in good])
    report.failures = [(r["clip"], r["error"]) for r in ordered if r["status"] == "failed"]
    with atomic_path(out_dir / "metrics.csv", suffix=".csv") as tmp, open(tmp, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=CSV_FIELDS, extrasaction="ignore")
        writer.writeheader()
        for r in ordered:
            writer.writerow({k: (f"{v:.4f}" if isinstance(v, float) else v) for k, v in r.items()})
    return report
