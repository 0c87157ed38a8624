"""`kb report gaps|freshness` in a subprocess: the real CLI reading a data directory."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

from kb_service.knowledge import SAMPLE_DIR
from tests.test_cli import run


def test_reports_on_an_empty_data_directory_say_so_and_succeed(tmp_path: Path) -> None:
    for name in ("gaps", "freshness"):
        out = run(["report", name], tmp_path / "data")
        assert out.returncode == 0, out.stderr
        assert "empty" in out.stdout and "kb ingest" in out.stdout


def test_reports_list_real_findings(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    for rel in ("markdown/browser-requirements.md", "markdown/clock-in-mobile.md", "html/google-calendar-sync.html"):
        shutil.copy(SAMPLE_DIR / "articles" / rel, src)
    shutil.copy(SAMPLE_DIR / "tickets" / "tickets.jsonl", src)
    data = tmp_path / "data"
    assert run(["ingest", str(src)], data).returncode == 0
    fresh = run(["report", "freshness"], data)
    assert fresh.returncode == 0, fresh.stderr
    assert "browser-requirements" in fresh.stdout and "stale" in fresh.stdout
    assert "clock-in-mobile" in fresh.stdout and "deprecated" in fresh.stdout
    rows = list(csv.DictReader(io.StringIO(run(["report", "freshness", "--csv"], data).stdout)))
    assert {(r["kind"], r["article_id"]) for r in rows} >= {("stale", "browser-requirements"), ("deprecated", "clock-in-mobile")}
    gaps = run(["report", "gaps"], data, KB_GAP_WINDOW_DAYS="3650")  # the sample's tickets must not age out
    assert gaps.returncode == 0, gaps.stderr
    assert "tickets" in gaps.stdout and "c-" in gaps.stdout and "POST /v1/drafts" in gaps.stdout
    rows = list(csv.DictReader(io.StringIO(run(["report", "gaps", "--csv"], data, KB_GAP_WINDOW_DAYS="3650").stdout)))
    assert rows and rows[0]["rank"] == "1" and rows[0]["kind"] == "tickets" and rows[0]["ticket_ids"]
