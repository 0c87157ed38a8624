"""Stored `kb eval` runs: `kb eval retrieval` keeps each run in <data_dir>/eval/runs (written whole,
then renamed into place), the store reads them back newest first, and a broken or partial file is
skipped and named, never an error for the API or the page."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from kb_service import __version__
from kb_service.evalruns import RUN_COLUMNS, load_runs, run_rows, save_run
from kb_service.knowledge import KnowledgeBase
from tests.conftest import auth, make_settings
from tests.eval.test_beir import write_set
from tests.eval.test_eval_cli import KB, kb_env

# retrieval metrics shaped as `kb eval retrieval` makes them
METRICS = {
    "dataset": "help-centre", "profile": "full", "ndcg@10": 0.8123, "recall@1": 0.6, "recall@10": 0.9, "mrr@10": 0.75, "n": 5,
    "per_lang": {"de": {"ndcg@10": 0.7, "recall@1": 0.5, "recall@10": 0.8, "mrr@10": 0.6, "n": 2},
                 "en": {"ndcg@10": 0.9, "recall@1": 0.66, "recall@10": 1.0, "mrr@10": 0.85, "n": 3}},
    "latency_ms": {"p50": 12.1, "p95": 20.4}, "top_k": 10, "documents": 6, "chunks": 9,
}
T0 = datetime(2026, 11, 20, 8, 30, tzinfo=timezone.utc)


def test_a_saved_run_reads_back(tmp_path: Path) -> None:
    runs = tmp_path / "eval" / "runs"  # made on the first save
    path = save_run(runs, "retrieval", "help-centre", METRICS, profile="full", top_k=10, now=T0)
    assert path.parent == runs and path.name == "20261120T083000000000Z-retrieval-help-centre-full.json"
    assert [p.name for p in runs.iterdir()] == [path.name]  # no temporary file left behind
    listing = load_runs(runs)
    assert listing.skipped == [] and len(listing.runs) == 1
    run = listing.runs[0]
    assert (run.id, run.kind, run.dataset, run.profile, run.top_k) == (path.stem, "retrieval", "help-centre", "full", 10)
    assert run.at == "2026-11-20T08:30:00Z" and run.service_version == __version__
    assert run.metrics == METRICS
    assert run.metric("ndcg@10") == 0.8123 and run.metric("recall@10", "de") == 0.8 and run.metric("nope") is None


def test_runs_come_newest_first_and_never_overwrite(tmp_path: Path) -> None:
    older = save_run(tmp_path, "retrieval", "a set", METRICS, "dense", 10, now=T0)
    newer = save_run(tmp_path, "retrieval", "a set", {**METRICS, "ndcg@10": 0.9}, "full", 10, now=T0 + timedelta(days=1))
    same_time = save_run(tmp_path, "retrieval", "a set", METRICS, "dense", 10, now=T0)  # same name: a new file
    classify = save_run(tmp_path, "classify", "tickets/../x", {"accuracy": 0.8, "macro_f1": 0.7, "n": 10,
                                                                "per_lang": {"en": {"accuracy": 0.8, "n": 10}}},
                        options={"field": "queue"}, now=T0 + timedelta(hours=1))
    assert same_time != older and same_time.name.endswith("-2.json")
    assert classify.parent == tmp_path and classify.name == "20261120T093000000000Z-classify-tickets-..-x.json"  # a safe name
    listing = load_runs(tmp_path)
    assert [r.id for r in listing.runs][:2] == [newer.stem, classify.stem]
    assert listing.latest("retrieval") is not None and listing.latest("retrieval").id == newer.stem  # type: ignore[union-attr]
    assert [r.kind for r in load_runs(tmp_path, "classify").runs] == ["classify"]
    assert len(load_runs(tmp_path, limit=2).runs) == 2
    assert load_runs(tmp_path / "missing").runs == []


BROKEN: dict[str, str | bytes] = {
    "not-json.json": "{\"format\": 1, \"kind\": \"retr",  # a partial copy
    "a-list.json": "[1, 2]",
    "old-format.json": json.dumps({"format": 99, "kind": "retrieval", "dataset": "x", "at": "2026-11-21T00:00:00Z", "metrics": {}}),
    "no-metrics.json": json.dumps({"format": 1, "kind": "retrieval", "dataset": "x", "at": "2026-11-21T00:00:00Z"}),
    "no-ndcg.json": json.dumps({"format": 1, "kind": "retrieval", "dataset": "x", "at": "2026-11-21T00:00:00Z",
                                "metrics": {"per_lang": {}}}),
    "bad-lang.json": json.dumps({"format": 1, "kind": "retrieval", "dataset": "x", "at": "2026-11-21T00:00:00Z",
                                 "metrics": {"ndcg@10": 0.5, "per_lang": {"en": 0.5}}}),
    "bad-time.json": json.dumps({"format": 1, "kind": "retrieval", "dataset": "x", "at": "yesterday",
                                 "metrics": {"ndcg@10": 0.5, "per_lang": {}}}),
    "binary.json": b"\xff\xfe\x00garbage",
}


def _break(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in BROKEN.items():
        (folder / name).write_bytes(content if isinstance(content, bytes) else content.encode())
    (folder / ".run-abc.tmp").write_text("{")  # a save in progress: not a run, not even skipped
    (folder / "notes.txt").write_text("not a run")


def test_broken_and_partial_files_are_skipped(tmp_path: Path) -> None:
    good = save_run(tmp_path, "retrieval", "help-centre", METRICS, "full", 10, now=T0)
    _break(tmp_path)
    listing = load_runs(tmp_path)
    assert [r.id for r in listing.runs] == [good.stem]
    assert sorted(name for name, _ in listing.skipped) == sorted(BROKEN)
    reasons = dict(listing.skipped)
    assert "not JSON" in reasons["not-json.json"] and "no metrics" in reasons["no-metrics.json"]
    assert "per_lang" in reasons["bad-lang.json"] and "ndcg@10" in reasons["no-ndcg.json"]


def test_csv_rows_have_the_overall_and_each_languages_metrics(tmp_path: Path) -> None:
    save_run(tmp_path, "retrieval", "help-centre", METRICS, "full", 10, now=T0)
    rows = run_rows(load_runs(tmp_path).runs)
    assert [r["language"] for r in rows] == ["all", "de", "en"]
    assert set(rows[0]) == set(RUN_COLUMNS)
    assert (rows[0]["ndcg@10"], rows[0]["n"], rows[1]["recall@10"], rows[2]["n"]) == (0.8123, 5, 0.8, 3)
    assert rows[0]["accuracy"] == "" and rows[0]["profile"] == "full"


def test_the_api_lists_runs_and_skips_broken_files(fresh_kb: KnowledgeBase, fresh_client: TestClient) -> None:
    folder = fresh_kb.settings.eval_runs_path
    assert fresh_client.get("/v1/reports/eval", headers=auth("writer")).json() == {"runs": [], "skipped": []}
    save_run(folder, "retrieval", "help-centre", METRICS, "full", 10, now=T0)
    save_run(folder, "translate", "segments", {"chrf": 61.2, "bleu": 30.1, "term_accuracy": 0.95, "n": 40},
             options={"source": "en", "target": "de"}, now=T0 + timedelta(minutes=5))
    _break(folder)
    r = fresh_client.get("/v1/reports/eval", headers=auth("writer"))
    assert r.status_code == 200
    body = r.json()
    assert [run["kind"] for run in body["runs"]] == ["translate", "retrieval"]
    assert body["runs"][1]["metrics"]["per_lang"]["de"]["ndcg@10"] == 0.7
    assert len(body["skipped"]) == len(BROKEN)
    only = fresh_client.get("/v1/reports/eval", params={"kind": "retrieval"}, headers=auth("writer")).json()
    assert [run["kind"] for run in only["runs"]] == ["retrieval"]
    r = fresh_client.get("/v1/reports/eval", params={"format": "csv"}, headers=auth("writer"))
    assert r.status_code == 200 and r.text.splitlines()[0] == ",".join(RUN_COLUMNS)
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [(row["kind"], row["language"]) for row in rows] == [("translate", "all"), ("retrieval", "all"),
                                                               ("retrieval", "de"), ("retrieval", "en")]
    assert float(rows[0]["chrf"]) == 61.2 and float(rows[2]["ndcg@10"]) == 0.7
    assert fresh_client.get("/v1/reports/eval", params={"kind": "nope"}, headers=auth("writer")).status_code == 422


# --- `kb eval retrieval` keeps its run ---------------------------------------------------------------

CORPUS = [
    ("reset-password", "Reset your password", "If you forgot your password, click 'Forgot password' on the sign-in page. We email you a link."),
    ("refunds", "Refunds", "Refunds go back to the original payment method within five business days."),
    ("invoices", "Download invoices", "Every invoice is listed under Billing > Invoices, where you can download it as a PDF."),
]
QUERIES = [
    ("q1", "I forgot my password", "en", "reset-password"),
    ("q2", "Ich habe mein Passwort vergessen", "de", "reset-password"),
    ("q3", "Wo finde ich meine Rechnungen?", "de", "invoices"),
]


@pytest.fixture(scope="module")
def tiny_set(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_set(
        tmp_path_factory.mktemp("beir") / "tiny-help",
        corpus=[{"_id": i, "title": t, "text": x, "metadata": {"lang": "en"}} for i, t, x in CORPUS],
        queries=[{"_id": q, "text": t, "metadata": {"lang": lang}} for q, t, lang, _ in QUERIES],
        qrels="query-id\tcorpus-id\tscore\n" + "".join(f"{q}\t{d}\t1\n" for q, _, _, d in QUERIES),
    )


def test_kb_eval_retrieval_keeps_its_run_while_the_service_runs(tiny_set: Path, tmp_path: Path) -> None:
    """The data directory is held by a running knowledge base (as `kb serve` holds it); `kb eval`
    only adds its run file, which the service's API lists at once."""
    from kb_service.app import create_app

    kb = KnowledgeBase(make_settings(tmp_path / "data"))
    try:
        out = tmp_path / "m.json"
        proc = subprocess.run([KB, "eval", "retrieval", str(tiny_set), "--top-k", "3", "--json", str(out)],
                              env=kb_env(tmp_path), capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stderr
        runs_dir = tmp_path / "data" / "eval" / "runs"
        assert runs_dir == kb.settings.eval_runs_path
        assert "run kept in" in proc.stdout and str(runs_dir) in proc.stdout
        assert len(list(runs_dir.iterdir())) == 1  # the run, and no temporary file
        listing = load_runs(runs_dir)
        assert listing.skipped == [] and len(listing.runs) == 1
        run = listing.runs[0]
        assert (run.kind, run.dataset, run.profile, run.top_k) == ("retrieval", "tiny-help", "full", 3)
        assert run.metrics == json.loads(out.read_text())  # what --json wrote
        assert set(run.per_lang) == {"en", "de"} and run.per_lang["de"]["n"] == 2
        assert 0.0 <= run.metric("ndcg@10", "de") <= 1.0  # type: ignore[operator]
        assert abs(datetime.strptime(run.at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
                   - datetime.now(timezone.utc)) < timedelta(minutes=10)
        with TestClient(create_app(kb.settings, kb=kb)) as client:
            listed = client.get("/v1/reports/eval", headers=auth("writer")).json()["runs"]
        assert [r["id"] for r in listed] == [run.id]
    finally:
        kb.close()


def test_kb_eval_no_save_keeps_nothing(tiny_set: Path, tmp_path: Path) -> None:
    proc = subprocess.run([KB, "eval", "retrieval", str(tiny_set), "--top-k", "3", "--no-save"],
                          env=kb_env(tmp_path), capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert "run kept" not in proc.stdout and not (tmp_path / "data").exists()
