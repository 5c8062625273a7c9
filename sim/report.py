"""index.html of a demo folder: the human and robot videos side by side, the plots and the scores (self-contained,
relative links only, so the folder can be moved or served as it is)."""

from __future__ import annotations

import html
import json
from pathlib import Path

from generator.motion.errors import atomic_path

_CSS = """
body { font-family: sans-serif; margin: 1.5em; color: #222; max-width: 1400px; }
.row { display: flex; flex-wrap: wrap; gap: 1em; align-items: flex-start; }
figure { margin: 0; flex: 1 1 520px; max-width: 600px; } figcaption { font-size: 0.85em; color: #555; }
video, img { max-width: 600px; width: 100%; border: 1px solid #ccc; }
table { border-collapse: collapse; font-size: 0.85em; } td, th { border: 1px solid #ddd; padding: 2px 8px; }
th { background: #f3f3f3; text-align: left; } .bad { color: #b00; font-weight: bold; } .good { color: #070; }
pre { background: #f7f7f7; padding: 0.6em; font-size: 0.75em; max-height: 24em; overflow: auto; }
"""


def _flatten(d: dict, prefix: str = "") -> list[tuple[str, str]]:
    rows = []
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            rows += _flatten(v, key + ".")
        else:
            rows.append((key, json.dumps(v) if isinstance(v, (list, bool)) or v is None else str(v)))
    return rows


def _scores_table(scores: dict) -> str:
    parts = []
    for section in ("summary", "balance", "foot_contact", "tracking", "effort", "smoothness", "reference_feasibility"):
        if section not in scores:
            continue
        rows = "".join(
            f"<tr><td>{html.escape(k)}</td><td>{html.escape(v)}</td></tr>" for k, v in _flatten(scores[section])
        )
        parts.append(f"<h3>{html.escape(section)}</h3><table>{rows}</table>")
    return "\n".join(parts)


def write_report(
    out_dir: str | Path,
    title: str,
    scores: dict,
    videos: dict[str, str],
    plots: dict[str, str],
    files: dict[str, str],
    notes: list[str] | None = None,
    candidates: list[dict] | None = None,
) -> Path:
    """Write OUT_DIR/index.html. `videos`, `plots` and `files` map captions to paths relative to out_dir."""
    out = Path(out_dir)
    s = scores.get("summary", {})
    verdict = ('<span class="bad">fell</span>' if s.get("fell") else '<span class="good">stayed up</span>') + (
        ", tracking "
        + ('<span class="good">succeeded</span>' if s.get("success") else '<span class="bad">failed</span>')
    )
    vids = "".join(
        f'<figure><video src="{html.escape(p)}" controls autoplay loop muted playsinline></video>'
        f"<figcaption>{html.escape(c)}</figcaption></figure>"
        for c, p in videos.items()
    )
    imgs = "".join(
        f'<figure><img src="{html.escape(p)}" alt="{html.escape(c)}"><figcaption>{html.escape(c)}</figcaption></figure>'
        for c, p in plots.items()
    )
    links = "".join(f'<li><a href="{html.escape(p)}">{html.escape(c)}</a></li>' for c, p in files.items())
    note = "".join(f"<li>{html.escape(n)}</li>" for n in notes or [])
    cand = ""
    if candidates:
        head = "<tr><th>candidate</th><th>seed</th><th>fell</th><th>success</th><th>G-MPJPE (mm)</th><th>cost</th></tr>"
        rows = "".join(
            f"<tr><td>{c['index']}{' (kept)' if c.get('kept') else ''}</td><td>{c['seed']}</td><td>{c['fell']}</td>"
            f"<td>{c['success']}</td><td>{c['g_mpjpe_mm']}</td><td>{c['physical_cost']}</td></tr>"
            for c in candidates
        )
        cand = f"<h2>Candidates</h2><table>{head}{rows}</table>"
    body = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title><style>{_CSS}</style></head>
<body>
<h1>{html.escape(title)}</h1>
<p>Result: {verdict}; G-MPJPE {s.get("g_mpjpe_mm")} mm; foot slide {s.get("slide_distance_m")} m over
{s.get("duration_s")} s.</p>
<ul>{note}</ul>
<h2>Videos</h2><div class="row">{vids}</div>
<h2>Plots</h2><div class="row">{imgs}</div>
{cand}
<h2>Scores</h2>{_scores_table(scores)}
<h2>Files</h2><ul>{links}</ul>
<h2>Settings</h2><pre>{html.escape(json.dumps(scores.get("settings", {}), indent=1))}</pre>
</body></html>
"""
    path = out / "index.html"
    with atomic_path(path, suffix=".html") as tmp:
        tmp.write_text(body)
    return path
