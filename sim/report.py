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
.tl { display: flex; width: 100%; max-width: 1200px; height: 1.6em; margin: 2px 0; font-size: 0.75em; }
.tl div { overflow: hidden; white-space: nowrap; border-right: 1px solid #fff; padding: 0.2em 0.3em;
  background: #cfe3f7; } .tl div.miss { background: #f7c9c9; } .tl div.fallen { background: #999; color: #fff; }
.tlrow { display: flex; gap: 0.6em; align-items: center; } .tlrow span { width: 11em; font-size: 0.8em; }
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


def _label_at(segments: list[dict], t: float) -> str | None:
    return next((s["action"] for s in segments if s["start_s"] <= t < s["end_s"]), None)


def _timelines(semantics: dict) -> str:
    """Requested actions against recognised ones: one bar per motion (human, robot reference, executed rollout);
    a robot segment whose action is not the reference's at that time is marked red, a fall grey."""
    rows = semantics.get("timeline", {})
    ref = rows.get("reference", [])
    total = max((s["end_s"] for row in rows.values() for s in row), default=0.0) or 1.0
    names = {"human": "human motion", "reference": "robot reference", "robot": "executed rollout"}
    out = []
    for key in ("human", "reference", "robot"):
        if key not in rows:
            continue
        cells = []
        for seg in rows[key]:
            width = 100.0 * (seg["end_s"] - seg["start_s"]) / total
            mid = 0.5 * (seg["start_s"] + seg["end_s"])
            cls = "fallen" if seg["action"] == "fallen" else ""
            if key == "robot" and not cls and _label_at(ref, mid) not in (None, seg["action"]):
                cls = "miss"
            title = f"{seg['action']} {seg['start_s']}-{seg['end_s']} s"
            cells.append(f'<div class="{cls}" style="width:{width:.2f}%" title="{html.escape(title)}">'
                         f"{html.escape(seg['action'])}</div>")  # fmt: skip
        out.append(f'<div class="tlrow"><span>{names[key]}</span><div class="tl">{"".join(cells)}</div></div>')
    requested = ", ".join(semantics.get("requested_actions") or []) or "(none recognised in the prompt)"
    missing = semantics.get("missing_actions") or []
    verdict = (
        '<span class="good">did what the text said</span>'
        if semantics.get("correct")
        else ('<span class="bad">did not do what the text said</span>')
    )
    sides = "; ".join(
        f"{s['action']}: asked {s['requested']}, reference {s['reference']}, robot {s['robot']}"
        for s in semantics.get("sides", [])
    )
    from sim.semantics import checks_text

    checks = checks_text(semantics)
    return (
        f"<h2>Did the robot do what the text said?</h2><p>{verdict}. Requested, in order: {html.escape(requested)}; "
        f"recognised on the robot: {html.escape(', '.join(semantics.get('robot_actions', [])))}"
        + (f'; <span class="bad">missing: {html.escape(", ".join(missing))}</span>' if missing else "")
        + (f"; sides: {html.escape(sides)}" if sides else "")
        + f"; reference action frames also performed: {semantics.get('reference_frames_performed')}.</p>"
        + (f"<p>Checks: {html.escape(checks)}.</p>" if checks else "")
        + "".join(out)
    )


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
        head = (
            "<tr><th>candidate</th><th>seed</th><th>semantically correct</th><th>in order</th><th>sides</th>"
            "<th>robot actions</th><th>fell</th><th>success</th><th>G-MPJPE (mm)</th><th>cost</th></tr>"
        )
        rows = "".join(
            f"<tr><td>{c['index']}{' (kept)' if c.get('kept') else ''}</td><td>{c['seed']}</td>"
            f"<td>{c.get('correct')}</td><td>{c.get('in_order')}</td><td>{c.get('sides_correct')}</td>"
            f"<td>{html.escape(', '.join(c.get('robot_actions') or []))}</td><td>{c['fell']}</td>"
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
{_timelines(scores["semantics"]) if "semantics" in scores else "<p>(no action recogniser: no semantic scores)</p>"}
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
