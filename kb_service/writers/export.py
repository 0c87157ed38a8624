"""The reports as flat tables: CSV for spreadsheets (`?format=csv`, `kb report NAME --csv`) and the
rows `kb report` prints."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from kb_service.writers.freshness import FreshnessReport
from kb_service.writers.gaps import GapReport

GAP_COLUMNS = [
    "rank", "kind", "id", "volume", "priority", "dead_ends", "first_seen", "last_seen", "languages",
    "nearest_article", "nearest_score", "examples", "ticket_ids", "action",
]
FRESHNESS_COLUMNS = ["kind", "article_id", "title", "updated", "last_reviewed", "age_days", "reason", "action", "evidence"]


def _langs(d: dict[str, int]) -> str:
    return " ".join(f"{k}:{v}" for k, v in d.items())


def gap_rows(report: GapReport) -> list[dict[str, Any]]:
    rows = []
    for rank, i in enumerate(report.items, 1):
        rows.append({
            "rank": rank, "kind": i.kind, "id": i.id, "volume": i.volume, "priority": i.priority, "dead_ends": i.dead_ends,
            "first_seen": i.first_seen, "last_seen": i.last_seen, "languages": _langs(i.languages),
            "nearest_article": i.nearest_article.article_id if i.nearest_article else "",
            "nearest_score": i.nearest_article.score if i.nearest_article else "",
            "examples": " | ".join(i.examples), "ticket_ids": " ".join(i.ticket_ids), "action": i.action,
        })
    return rows


def freshness_rows(report: FreshnessReport) -> list[dict[str, Any]]:
    return [
        {
            "kind": f.kind, "article_id": f.article_id, "title": f.title, "updated": f.updated or "",
            "last_reviewed": f.last_reviewed or "", "age_days": "" if f.age_days is None else f.age_days,
            "reason": f.reason, "action": f.action, "evidence": json.dumps(f.evidence, ensure_ascii=False),
        }
        for f in report.findings
    ]


def to_csv(columns: list[str], rows: list[dict[str, Any]]) -> str:
    """CSV with a header row; cells a spreadsheet would run as formulas are quoted with a leading '."""
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=columns, lineterminator="\r\n")
    w.writeheader()
    for row in rows:
        w.writerow({k: _safe(v) for k, v in row.items()})
    return out.getvalue()


def _safe(value: Any) -> Any:
    # a ticket subject like "=HYPERLINK(...)" must not become a live formula in Excel
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
