"""A self-contained HTML report of `kb eval retrieval` runs: the metric table and an inline SVG
chart of nDCG@10 per query language (no scripts, no external files, opens anywhere)."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from eval.metrics import METRICS

COLOURS = ["#9aa5b1", "#1f6feb", "#2da44e", "#bf8700"]
BAR_W, GAP, CHART_H = 16, 14, 220


def _chart(runs: list[dict[str, Any]], metric: str = "ndcg@10") -> str:
    langs = sorted({lang for r in runs for lang in r["per_lang"]})
    group_w = len(runs) * BAR_W + GAP
    width = 60 + len(langs) * group_w + 20
    top, height = 20, CHART_H
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{top + height + 60}" role="img" '
             f'aria-label="{metric} per query language">']
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        y = top + height * (1 - tick)
        parts.append(f'<line x1="50" x2="{width - 10}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d0d7de" stroke-width="1"/>')
        parts.append(f'<text x="44" y="{y + 4:.1f}" font-size="11" text-anchor="end">{tick:.2f}</text>')
    for i, lang in enumerate(langs):
        x0 = 60 + i * group_w
        for j, run in enumerate(runs):
            value = run["per_lang"].get(lang, {}).get(metric)
            if value is None:
                continue
            h = height * value
            x = x0 + j * BAR_W
            parts.append(
                f'<rect x="{x}" y="{top + height - h:.1f}" width="{BAR_W - 2}" height="{h:.1f}" fill="{COLOURS[j % len(COLOURS)]}">'
                f"<title>{html.escape(run['profile'])}, {html.escape(lang)}: {value:.3f}</title></rect>"
            )
        n = runs[0]["per_lang"].get(lang, {}).get("n", 0)
        cx = x0 + len(runs) * BAR_W / 2
        parts.append(f'<text x="{cx:.1f}" y="{top + height + 16}" font-size="12" text-anchor="middle">{html.escape(lang)}</text>')
        parts.append(f'<text x="{cx:.1f}" y="{top + height + 30}" font-size="10" fill="#57606a" text-anchor="middle">{n}</text>')
    for j, run in enumerate(runs):
        x = 60 + j * 140
        parts.append(f'<rect x="{x}" y="{top + height + 42}" width="12" height="12" fill="{COLOURS[j % len(COLOURS)]}"/>')
        parts.append(f'<text x="{x + 16}" y="{top + height + 52}" font-size="12">{html.escape(run["profile"])}</text>')
    parts.append("</svg>")
    return "".join(parts)


def render_html(runs: list[dict[str, Any]]) -> str:
    first = runs[0]
    title = f"Retrieval evaluation: {first['dataset']}"
    head_cells = "".join(f"<th>{html.escape(r['profile'])}</th>" for r in runs)
    rows = []
    for m in METRICS:
        rows.append(f"<tr><th>{m}</th>" + "".join(f"<td>{r[m]:.3f}</td>" for r in runs) + "</tr>")
    for p in ("p50", "p95"):
        rows.append(f"<tr><th>latency {p} (ms)</th>" + "".join(f"<td>{r['latency_ms'][p]:.1f}</td>" for r in runs) + "</tr>")
    langs = sorted({lang for r in runs for lang in r["per_lang"]})
    lang_rows = []
    for lang in langs:
        cells = []
        for r in runs:
            v = r["per_lang"].get(lang)
            cells.append("".join(f"<td>{v[m]:.3f}</td>" if v else "<td>–</td>" for m in METRICS))
        n = next((r["per_lang"][lang]["n"] for r in runs if lang in r["per_lang"]), 0)
        lang_rows.append(f"<tr><th>{html.escape(lang)}</th><td>{n}</td>{''.join(cells)}</tr>")
    metric_heads = "".join(f"<th>{html.escape(r['profile'])} {m}</th>" for r in runs for m in METRICS)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
body {{ font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #1f2328; }}
table {{ border-collapse: collapse; margin: 1em 0; }}
th, td {{ border: 1px solid #d0d7de; padding: 4px 10px; text-align: right; }}
th:first-child {{ text-align: left; }}
caption {{ text-align: left; font-weight: 600; padding-bottom: 4px; }}
</style></head><body>
<h1>{html.escape(title)}</h1>
<p>{first['n']} queries, {first['documents']} documents ({first['chunks']} chunks in the {html.escape(first['profile'])} index), top {first['top_k']}.</p>
<table><caption>Overall</caption><tr><th></th>{head_cells}</tr>{''.join(rows)}</table>
<h2>nDCG@10 per query language</h2>
{_chart(runs)}
<table><caption>Per query language</caption><tr><th>language</th><th>n</th>{metric_heads}</tr>{''.join(lang_rows)}</table>
</body></html>
"""


def write_report(path: Path, runs: list[dict[str, Any]]) -> None:
    path.write_text(render_html(runs), encoding="utf-8")
