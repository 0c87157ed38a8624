"""`kb eval translate` on a slice of the public tico19 set (read from ../shared, never copied)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kb_service.cli import app

TICO = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "tico19_en_es"


@pytest.fixture
def small_set(tmp_path: Path) -> Path:
    if not TICO.is_dir():
        pytest.fail(f"{TICO} is missing: the evaluation sets live in ../shared/data")
    folder = tmp_path / "tico-slice"
    folder.mkdir()
    lines = (TICO / "segments.jsonl").read_text(encoding="utf-8").splitlines()[:60]
    (folder / "segments.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "glossary.csv").write_text((TICO / "glossary.csv").read_text(encoding="utf-8"), encoding="utf-8")
    return folder


def test_eval_translate_reports_raw_and_enforced_scores(small_set: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KB_TRANSLATION_ENGINES", "apertium")
    from kb_service.config import get_settings

    get_settings.cache_clear()
    out_json, out_lines = tmp_path / "m.json", tmp_path / "t.jsonl"
    r = CliRunner().invoke(app, ["eval", "translate", str(small_set), "--target", "es", "--json", str(out_json), "--output", str(out_lines)])
    get_settings.cache_clear()
    assert r.exit_code == 0, r.output
    m = json.loads(out_json.read_text())
    assert {"chrf", "bleu", "term_accuracy", "raw_chrf", "raw_bleu", "raw_term_accuracy", "engine", "n"} <= set(m)
    assert m["engine"] == "apertium" and m["n"] == 60
    assert m["term_accuracy"] >= 0.98 and m["term_accuracy"] > m["raw_term_accuracy"]
    assert m["chrf"] >= m["raw_chrf"] - 0.5  # enforcement costs no fluency (more than noise on 60 segments)
    rows = [json.loads(line) for line in out_lines.read_text().splitlines()]
    assert len(rows) == 60 and set(rows[0]) == {"id", "translation", "raw_translation"}


def test_eval_translate_rejects_bad_input(tmp_path: Path) -> None:
    runner = CliRunner()
    r = runner.invoke(app, ["eval", "translate", str(tmp_path), "--target", "es"])
    assert r.exit_code == 2 and "segments.jsonl" in r.output
    (tmp_path / "segments.jsonl").write_text('{"id": 1}\n')
    (tmp_path / "glossary.csv").write_text("source_term,target_term\na,b\n")
    r = runner.invoke(app, ["eval", "translate", str(tmp_path), "--target", "es"])
    assert r.exit_code == 2 and "segments.jsonl:1" in r.output
    r = runner.invoke(app, ["eval", "translate", str(tmp_path), "--target", "xx"])
    assert r.exit_code == 2 and "unsupported language" in r.output
