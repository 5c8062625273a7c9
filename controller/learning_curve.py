"""Learning curves of tracker runs from their `progress.csv`: success rate and mean episode length against env
steps and against CPU (or wall) hours, one line per run, in one PNG.

    python -m controller.learning_curve runs/g1_cpu [runs/other ...] --out curve.png [--mark 1400:"odometry on"]

`--mark ITERATION:LABEL` draws a vertical line where a run changed (a widened observation, a new termination).
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

import numpy as np

from generator.motion.errors import CliParser, InputError, atomic_path, cli_entry


def read_progress(run: Path) -> dict[str, np.ndarray]:
    """The columns of RUN/progress.csv as float arrays."""
    path = run / "progress.csv" if run.is_dir() else run
    if not path.is_file():
        raise InputError(f"{path}: no progress.csv (written by controller.train)")
    with path.open() as f:
        rows = list(csv.DictReader(f))
    if not rows:
        raise InputError(f"{path}: no iterations logged yet")
    try:
        return {k: np.array([float(r[k]) for r in rows]) for k in rows[0]}
    except (TypeError, ValueError) as e:
        raise InputError(f"{path}: malformed progress row ({e})") from None


def smooth(x: np.ndarray, window: int = 20) -> np.ndarray:
    """Trailing moving average ignoring NaN (an iteration in which no episode ended)."""
    out = np.empty_like(x)
    for i in range(len(x)):
        w = x[max(0, i - window + 1) : i + 1]
        w = w[np.isfinite(w)]
        out[i] = w.mean() if w.size else np.nan
    return out


def parse_mark(text: str) -> tuple[int, str]:
    """ITERATION:LABEL -> (iteration, label)."""
    iteration, sep, label = text.partition(":")
    if not sep or not iteration.strip().isdigit() or not label.strip():
        raise InputError(f"--mark {text!r}: expected ITERATION:LABEL, e.g. 1400:odometry on")
    return int(iteration), label.strip()


def plot(
    runs: dict[str, dict[str, np.ndarray]], out: Path, clock: str = "cpu_s", marks: list[tuple[int, str]] = ()
) -> Path:
    """Write the 2 x 2 figure (success / episode length x env steps / hours) to `out`, with vertical lines at the
    `marks` (iteration, label) of the first run."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 7))
    axes = fig.subplots(2, 2, sharey="row")
    for name, p in runs.items():
        hours = p[clock] / 3600.0
        for row, (key, label) in enumerate((("success", "success rate"), ("episode_length", "episode length"))):
            y = smooth(p[key])
            axes[row, 0].plot(p["env_steps"] / 1e6, y, label=name)
            axes[row, 1].plot(hours, y, label=name)
            axes[row, 0].set_ylabel(
                label + (" (episodes ending at the motion end)" if key == "success" else " (steps)")
            )
    first = next(iter(runs.values()))
    for iteration, label in marks:
        i = int(np.searchsorted(first["iteration"], iteration))
        if i >= len(first["iteration"]):
            raise InputError(f"--mark {iteration}: the run has no iteration {iteration}")
        for row in range(2):
            for col, x in enumerate((first["env_steps"][i] / 1e6, first[clock][i] / 3600.0)):
                axes[row, col].axvline(x, color="0.4", linestyle="--", linewidth=1)
                if row == 0:
                    axes[row, col].annotate(label, (x, 0.02), xycoords=("data", "axes fraction"), rotation=90,
                                            fontsize=8, color="0.3", ha="right", va="bottom")  # fmt: skip
    axes[1, 0].set_xlabel("env steps (millions)")
    axes[1, 1].set_xlabel("CPU hours" if clock == "cpu_s" else "wall hours")
    for ax in axes.flat:
        ax.grid(alpha=0.3)
    axes[0, 0].legend()
    fig.suptitle("G1 tracker learning curves (20-iteration moving average)")
    fig.tight_layout()
    with atomic_path(out, suffix=".png") as tmp:
        fig.savefig(tmp, dpi=90)
    return out


@cli_entry
def main(argv: list[str] | None = None) -> int:
    ap = CliParser(prog="python -m controller.learning_curve", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    ap.add_argument("runs", nargs="+", type=Path, help="run directories (or progress.csv files)")
    ap.add_argument("--out", type=Path, required=True, help="PNG to write")
    ap.add_argument("--clock", choices=["cpu_s", "wall_s"], default="cpu_s", help="time axis (default CPU time)")
    ap.add_argument("--mark", action="append", default=[], help="ITERATION:LABEL, a vertical line (repeatable)")
    args = ap.parse_args(argv)
    marks = [parse_mark(m) for m in args.mark]
    runs = {(r.name if r.is_dir() else r.parent.name): read_progress(r) for r in args.runs}
    print(f"wrote {plot(runs, args.out, args.clock, marks)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
