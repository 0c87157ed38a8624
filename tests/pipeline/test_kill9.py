"""SIGKILL through the real CLI: an ingest killed mid-write and a service killed between the source
store and the records database recover to one consistent state, and nothing is lost.

A few bounded trials with eval/crash_trials.py's own functions (the full set of 20+ random kills is
`.venv/bin/python -m eval.crash_trials`), plus the consistency checker on deliberate damage.
"""

from __future__ import annotations

import json
import sqlite3

import pytest

from eval.crash_trials import (
    Base, CorpusSizes, IngestPlan, TrialResult, fresh_copy, ingest_plan, prepare_base, run_ingest_trial,
    run_service_trial, settings_for,
)
from kb_service.storage.consistency import check_consistency

SIZES = CorpusSizes(new=5, changed=4, removed=1, kept=1, sample=False, tickets=7)


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Base:
    """A small base (generated articles, seven tickets, three drafts), built once in this process."""
    return prepare_base(tmp_path_factory.mktemp("crash"), SIZES, log=lambda _: None)


@pytest.fixture(scope="module")
def plan(base: Base) -> IngestPlan:
    return ingest_plan(base)


def passed(r: TrialResult) -> None:
    assert r.killed, r
    assert r.problems == [] and r.lost == 0, "\n".join(r.problems)


def test_the_base_is_consistent_and_the_checker_sees_damage(base: Base) -> None:
    report = check_consistency(settings_for(base.data))
    assert report.ok, report.summary()
    assert report.articles == 1 + 4 + 1 and report.tickets == 7 and report.points >= report.sources

    data = fresh_copy(base, "damaged")
    conn = sqlite3.connect(data / "kb.sqlite3")
    with conn:
        conn.execute("INSERT INTO pending(source_id, started_at) VALUES ('article:gen-k000', 'now')")
        row = conn.execute("SELECT chunk_ids FROM sources WHERE source_id = 'article:gen-b000'").fetchone()
        conn.execute("UPDATE sources SET chunk_ids = ? WHERE source_id = 'article:gen-b000'",
                     (json.dumps(json.loads(row[0]) + ["00000000-0000-5000-8000-000000000000"]),))
        conn.execute("UPDATE sources SET doc = replace(doc, 'revision 1', 'revision 9') WHERE source_id = 'article:gen-b001'")
        conn.execute("DELETE FROM sources WHERE source_id = 'article:gen-b002'")
    conn.close()
    kinds = {p.kind for p in check_consistency(settings_for(data), {"article:gen-c000": {"nope"}}).problems}
    assert {"pending_journal", "chunk_ids_mismatch", "missing_point", "torn_version", "orphan_point",
            "orphan_side_vectors", "unexpected_version"} <= kinds


def test_ingest_killed_after_old_points_were_deleted(base: Base, plan: IngestPlan) -> None:
    """The worst moment: an updated source's old points are gone and its new version is not committed.
    The recovery (opened in-process and checked) re-embeds the committed, old version; the re-run
    brings the new one."""
    passed(run_ingest_trial(base, plan, 1, "inject:after:VectorIndex.delete_source:1", None, "in-process"))


def test_ingest_killed_from_outside_as_the_journal_opens(base: Base, plan: IngestPlan) -> None:
    """`kb ingest` itself, SIGKILLed by the test as soon as the journal holds the batch (index writes)."""
    r = run_ingest_trial(base, plan, 2, "journal:1", None, "cli")
    passed(r)
    assert "journal open" in r.phase


def test_service_killed_between_the_index_and_the_records_during_put(base: Base) -> None:
    """The article reached the source store, its version not the records: after the restart the
    version is recorded once, and a retried PUT changes nothing more."""
    passed(run_service_trial(base, 3, "put", "inject", "in-process", existing=True))


def test_service_killed_between_the_index_and_the_records_during_approval(base: Base) -> None:
    """The approved draft's article reached the source store, the approval not the records: after
    the restart the draft is approved with its article published once, and approving again is a 409."""
    passed(run_service_trial(base, 4, "approve", "inject", "in-process", existing=False))
