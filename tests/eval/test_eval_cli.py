"""`kb eval retrieval` end to end on a small BEIR folder: the real ingest path, the real search path."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import MODELS_DIR
from tests.eval.test_beir import write_set

KB = str(Path(sys.executable).with_name("kb"))

CORPUS = [
    ("reset-password", "Reset your password", "If you forgot your password, click 'Forgot password' on the sign-in page. We email you a link that is valid for one hour."),
    ("refunds", "Refunds", "Refunds go back to the original payment method within five business days after we approve the request."),
    ("export-csv", "Export your data as CSV", "Open Reports, choose the date range and click Export. The CSV file downloads to your computer."),
    ("two-factor", "Turn on two-factor authentication", "Go to Security settings and scan the QR code with an authenticator app to turn on two-factor authentication."),
    ("delete-account", "Delete your account", "Account owners can delete the account under Settings > Account. Deleted data cannot be restored after 30 days."),
    ("invoices", "Download invoices", "Every invoice is listed under Billing > Invoices, where you can download it as a PDF."),
]
QUERIES = [
    ("q-en-1", "I forgot my password", "en", ["reset-password"]),
    ("q-de-1", "Ich habe mein Passwort vergessen", "de", ["reset-password"]),
    ("q-es-1", "¿Cuándo recibiré mi reembolso?", "es", ["refunds"]),
    ("q-fr-1", "Comment exporter mes données en CSV ?", "fr", ["export-csv"]),
    ("q-de-2", "Wo finde ich meine Rechnungen als PDF?", "de", ["invoices"]),
    ("q-en-2", "how do I enable 2FA", "en", ["two-factor"]),
    ("q-es-2", "quiero borrar mi cuenta", "es", ["delete-account"]),
    ("q-en-3", "billing documents and refunds", "en", ["invoices", "refunds"]),
]


def kb_env(tmp: Path) -> dict[str, str]:
    return {**os.environ, "KB_DATA_DIR": str(tmp / "data"), "KB_MODELS_DIR": str(MODELS_DIR)}


@pytest.fixture(scope="module")
def mini_set(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("beir") / "mini-help"
    qrels = "query-id\tcorpus-id\tscore\n" + "".join(f"{qid}\t{d}\t1\n" for qid, _, _, ds in QUERIES for d in ds)
    return write_set(
        folder,
        corpus=[{"_id": i, "title": t, "text": x, "metadata": {"lang": "en"}} for i, t, x in CORPUS],
        queries=[{"_id": q, "text": t, "metadata": {"lang": l}} for q, t, l, _ in QUERIES],
        qrels=qrels,
    )


def test_eval_retrieval_end_to_end(mini_set: Path, tmp_path: Path) -> None:
    out_json, out_run, out_html = tmp_path / "m.json", tmp_path / "m.run", tmp_path / "m.html"
    proc = subprocess.run(
        [KB, "eval", "retrieval", str(mini_set), "--top-k", "3", "--json", str(out_json), "--run", str(out_run),
         "--compare", "dense", "--report", str(out_html)],
        env=kb_env(tmp_path), capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    assert "ndcg@10" in proc.stdout and "dense" in proc.stdout and "full" in proc.stdout

    m = json.loads(out_json.read_text())
    for key in ("ndcg@10", "recall@1", "recall@10", "mrr@10"):
        assert 0.0 <= m[key] <= 1.0
    assert m["n"] == len(QUERIES)
    assert set(m["per_lang"]) == {"en", "de", "es", "fr"}
    assert set(m["per_lang"]["de"]) >= {"ndcg@10", "recall@1", "recall@10", "mrr@10"}
    assert m["per_lang"]["de"]["n"] == 2
    assert 0 < m["latency_ms"]["p50"] <= m["latency_ms"]["p95"]
    assert m["ndcg@10"] > 0.8 and m["mrr@10"] > 0.8  # easy questions: real embeddings find them
    assert m["compare"]["dense"]["n"] == len(QUERIES)
    # a temporary index: the configured data folder gets nothing but the run's record (for /reports/eval)
    saved = sorted(p.relative_to(tmp_path / "data").as_posix() for p in (tmp_path / "data").rglob("*") if p.is_file())
    assert len(saved) == 1 and saved[0].startswith("eval/runs/") and saved[0].endswith(".json"), saved

    lines = [ln.split() for ln in out_run.read_text().splitlines()]
    by_query: dict[str, list[list[str]]] = {}
    for ln in lines:
        assert len(ln) == 6 and ln[1] == "Q0" and ln[5] == "kb-full"
        by_query.setdefault(ln[0], []).append(ln)
    assert set(by_query) == {q for q, _, _, _ in QUERIES}
    corpus_ids = {i for i, _, _ in CORPUS}
    for rows in by_query.values():
        assert 1 <= len(rows) <= 3
        assert [int(r[3]) for r in rows] == list(range(1, len(rows) + 1))
        assert all(r[2] in corpus_ids for r in rows)  # BEIR ids, one line per document
        assert len({r[2] for r in rows}) == len(rows)
        scores = [float(r[4]) for r in rows]
        assert all(a > b for a, b in zip(scores, scores[1:]))
    assert by_query["q-de-1"][0][2] == "reset-password"

    page = out_html.read_text()
    assert "<svg" in page and "nDCG@10 per query language" in page and ">de<" in page and "dense" in page


def test_run_scores_match_the_metrics(mini_set: Path, tmp_path: Path) -> None:
    """Scoring the written run file independently gives the printed metrics."""
    from eval.beir import load_beir
    from eval.metrics import mean_metrics, query_metrics

    out_json, out_run = tmp_path / "m.json", tmp_path / "m.run"
    proc = subprocess.run([KB, "eval", "retrieval", str(mini_set), "--json", str(out_json), "--run", str(out_run)],
                          env=kb_env(tmp_path), capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    ranked: dict[str, list[tuple[float, str]]] = {}
    for qid, _, doc, _, score, _ in (ln.split() for ln in out_run.read_text().splitlines()):
        ranked.setdefault(qid, []).append((float(score), doc))
    qrels = load_beir(mini_set).qrels
    rescored = mean_metrics(query_metrics([d for _, d in sorted(r, key=lambda x: -x[0])], qrels[q]) for q, r in ranked.items())
    m = json.loads(out_json.read_text())
    for key, value in rescored.items():
        assert m[key] == pytest.approx(value)


@pytest.mark.parametrize(
    "args, message",
    [
        (["eval", "retrieval", "{missing}"], "not a folder"),
        (["eval", "retrieval", "{bad}"], "corpus.jsonl:1: not valid JSON"),
        (["eval", "retrieval", "{mini}", "--profile", "nope"], "unknown configuration 'nope'"),
        (["eval", "retrieval", "{mini}", "--json", "{tmp}/no/such/dir/m.json"], "its folder does not exist"),
    ],
)
def test_bad_input_is_a_clear_error(mini_set: Path, tmp_path: Path, args: list[str], message: str) -> None:
    bad = write_set(tmp_path / "bad")
    (bad / "corpus.jsonl").write_text("{not json\n")
    values = {"missing": str(tmp_path / "missing"), "bad": str(bad), "mini": str(mini_set), "tmp": str(tmp_path)}
    proc = subprocess.run([KB, *(a.format(**values) for a in args)], env=kb_env(tmp_path), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr
