"""Tickets as records, repeat detection from the stored history, and learning from agents.

A knowledge base of its own (the sample's resolved tickets only), written to by these tests.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest
from fastapi.testclient import TestClient

from kb_service.knowledge import SAMPLE_DIR, KnowledgeBase
from tests.conftest import auth, make_settings


@pytest.fixture(scope="module")
def tclient(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    from kb_service.app import create_app

    kb = KnowledgeBase(make_settings(tmp_path_factory.mktemp("triage") / "data"))
    summary = kb.ingest_paths([SAMPLE_DIR / "tickets"])
    assert not summary.errors
    with TestClient(create_app(kb.settings, kb=kb)) as c:
        yield c
    kb.close()


def post_ticket(c: TestClient, **body: Any) -> dict[str, Any]:
    r = c.post("/v1/tickets", json=body, headers=auth("agent"))
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def test_ticket_lifecycle_joins_and_leaves_the_knowledge_base(tclient: TestClient) -> None:
    t = post_ticket(
        tclient, id="LC-1", subject="Shift swap requests vanish",
        body="When an employee requests a shift swap, the request disappears after the manager opens it. "
             "Write to me at jane.doe@example.com.",
        customer={"id": "org-lc", "tier": "business"},
    )
    assert t["status"] == "new" and t["indexed"] is False
    assert "jane.doe@example.com" not in t["body"]  # stored redacted
    assert set(t["predicted"]) >= {"category", "priority", "team"}
    assert tclient.get("/v1/tickets/LC-1", headers=auth("agent")).json()["customer_id"] == "org-lc"

    r = tclient.patch("/v1/tickets/LC-1", json={"status": "solved", "resolution": "Swap requests now open from "
                      "Requests > Swaps; clearing the app cache fixed the missing requests.",
                      "labels": {"category": "technical", "subcategory": "bug"}}, headers=auth("agent"))
    assert r.status_code == 200, r.text
    assert r.json()["indexed"] is True and r.json()["labels"]["subcategory"] == "bug"
    hits = tclient.post("/v1/search", json={"query": "shift swap requests disappear", "filters": {"source": "ticket"}},
                        headers=auth("agent")).json()["hits"]
    assert hits[0]["id"] == "LC-1"

    r = tclient.patch("/v1/tickets/LC-1", json={"status": "open"}, headers=auth("agent"))
    assert r.json()["indexed"] is False
    hits = tclient.post("/v1/search", json={"query": "shift swap requests disappear", "filters": {"source": "ticket"}},
                        headers=auth("agent")).json()["hits"]
    assert all(h["id"] != "LC-1" for h in hits)
    listed = tclient.get("/v1/tickets", params={"customer_id": "org-lc"}, headers=auth("agent")).json()
    assert [i["id"] for i in listed["items"]] == ["LC-1"] and listed["total"] == 1


@pytest.mark.parametrize(
    "body, status, message",
    [
        ({"id": "BAD-1", "body": "x", "labels": {"category": "hardware"}}, 422, "unknown category 'hardware'"),
        ({"id": "BAD-2", "body": "x", "labels": {"colour": "red"}}, 422, "labels"),
        ({"id": "BAD-3", "body": "x", "labels": {"category": "billing", "subcategory": "sso"}}, 422, "belongs to category 'account'"),
        ({"id": "BAD-4", "body": "x", "customer": {"id": "org-1", "tier": "platinum"}}, 422, "unknown tier 'platinum'"),
        ({"id": "BAD-5", "body": "x", "status": "solved"}, 422, "needs its resolution"),
        ({"id": "BAD 6", "body": "x"}, 422, "id"),
        ({"id": "BAD-7", "body": "x", "status": "archived"}, 422, "status"),
    ],
)
def test_bad_tickets_are_rejected_and_nothing_is_stored(tclient: TestClient, body: dict[str, Any], status: int, message: str) -> None:
    r = tclient.post("/v1/tickets", json=body, headers=auth("agent"))
    assert r.status_code == status, r.text
    assert message in r.json()["message"]
    assert tclient.get(f"/v1/tickets/{body['id']}", headers=auth("agent")).status_code in (404, 422)


def test_patch_errors(tclient: TestClient) -> None:
    post_ticket(tclient, id="PE-1", body="The PDF export of the monthly schedule is blank.")
    assert tclient.patch("/v1/tickets/NOPE", json={"status": "open"}, headers=auth("agent")).status_code == 404
    r = tclient.patch("/v1/tickets/PE-1", json={}, headers=auth("agent"))
    assert r.status_code == 422 and "nothing to update" in r.json()["message"]
    r = tclient.patch("/v1/tickets/PE-1", json={"status": "closed"}, headers=auth("agent"))
    assert r.status_code == 422 and "resolution" in r.json()["message"]
    r = tclient.patch("/v1/tickets/PE-1", json={"labels": {"team": "Sales"}}, headers=auth("agent"))
    assert r.status_code == 422 and "unknown team 'Sales'" in r.json()["message"]
    stored = tclient.get("/v1/tickets/PE-1", headers=auth("agent")).json()
    assert stored["status"] == "new" and stored["labels"] == {}  # the failed updates changed nothing
    assert tclient.post("/v1/tickets", json={"id": "PE-1", "body": "again"}, headers=auth("agent")).status_code == 409
    assert tclient.post("/v1/tickets", json={"body": "x"}, headers=auth("widget")).status_code == 403


def _repeat(e: dict[str, Any]) -> list[dict[str, Any]]:
    return [t for t in e["triggers"] if t["name"] == "repeat"]


def test_third_ticket_on_the_same_issue_escalates_and_the_second_does_not(tclient: TestClient) -> None:
    customer = {"id": "org-rep", "tier": "standard"}
    post_ticket(tclient, id="REP-1", subject="Payroll export to DATEV fails",
                body="The DATEV payroll export stops with an error about missing cost centres.", customer=customer)
    post_ticket(tclient, id="REP-X", subject="Invite link expired",
                body="A new employee says the invitation link to join our workspace has expired.", customer=customer)
    post_ticket(tclient, id="REP-2", subject="DATEV export error again",
                body="Our payroll export to DATEV fails again with the cost centre error.", customer=customer)
    e2 = tclient.post("/v1/escalate", json={"ticket_id": "REP-2"}, headers=auth("agent")).json()
    assert not _repeat(e2)
    post_ticket(tclient, id="REP-3", subject="Still cannot export payroll to DATEV",
                body="For the third time this month the DATEV payroll export fails because of cost centres.", customer=customer)
    e3 = tclient.post("/v1/escalate", json={"ticket_id": "REP-3"}, headers=auth("agent")).json()
    rep = _repeat(e3)
    assert rep, e3["triggers"]
    evidence = " ".join(rep[0]["evidence"])
    assert "REP-1" in evidence and "REP-2" in evidence and "REP-X" not in evidence
    assert e3["priority"]["final"] < e3["priority"]["original"] or e3["priority"]["original"] == "P1"
    # another customer's tickets never count
    post_ticket(tclient, id="REP-O", subject="DATEV export fails", body="The DATEV payroll export fails with a cost centre error.",
                customer={"id": "org-other"})
    assert not _repeat(tclient.post("/v1/escalate", json={"ticket_id": "REP-O"}, headers=auth("agent")).json())


def test_a_correction_changes_the_next_similar_prediction_at_once(tclient: TestClient) -> None:
    ticket = {"subject": "Overtime not shown in the timesheet",
              "body": "Overtime hours worked last Sunday are missing from the weekly timesheet of two employees."}
    before = tclient.post("/v1/classify", json=ticket, headers=auth("agent")).json()
    wrong = before["category"]["value"]
    target = "billing" if wrong != "billing" else "onboarding"
    r = tclient.post("/v1/feedback/classification", json={**ticket, "field": "category", "label": target,
                     "previous": wrong}, headers=auth("agent"))
    assert r.status_code == 200, r.text
    similar = {"subject": "Overtime missing from the timesheet",
               "body": "Overtime hours from last Sunday are not in the weekly timesheet for two of our employees."}
    after = tclient.post("/v1/classify", json=similar, headers=auth("agent")).json()
    assert after["category"]["value"] == target and after["category"]["source"] == "correction"
    assert after["category"]["rules"] and "corrected" in after["category"]["rules"][0]
    unrelated = tclient.post("/v1/classify", json={"subject": "Reset my password",
                             "body": "I forgot my password and the reset email does not arrive."}, headers=auth("agent")).json()
    assert unrelated["category"]["source"] != "correction"


def test_feedback_rejects_unknown_labels_and_tickets(tclient: TestClient) -> None:
    r = tclient.post("/v1/feedback/classification", json={"body": "x y z", "field": "category", "label": "hardware"}, headers=auth("agent"))
    assert r.status_code == 422 and "unknown category 'hardware'" in r.json()["message"]
    r = tclient.post("/v1/feedback/classification", json={"ticket_id": "NOPE", "field": "team", "label": "Billing"}, headers=auth("agent"))
    assert r.status_code == 404
    r = tclient.post("/v1/feedback/classification", json={"body": "x", "field": "mood", "label": "happy"}, headers=auth("agent"))
    assert r.status_code == 422


def test_labelled_tickets_train_the_classifier(tclient: TestClient) -> None:
    first = tclient.post("/v1/triage/train", headers=auth("admin")).json()
    assert tclient.post("/v1/triage/train", headers=auth("agent")).status_code == 403
    post_ticket(tclient, id="TR-1", subject="Feature idea", body="It would be great if managers could colour-code shifts by role.",
                labels={"category": "feedback", "subcategory": "feature_request", "priority": "P4", "team": "Customer Success"})
    # the labelled ticket starts a training in the background; the endpoint waits for it
    second = tclient.post("/v1/triage/train", headers=auth("admin")).json()
    assert second["per_field"]["category"] == first["per_field"]["category"] + 1
    assert second["retrained"] is False  # nothing changed since the background training
    c = tclient.post("/v1/classify", json={"body": "Managers would love to colour-code shifts by role."}, headers=auth("agent")).json()
    assert "TR-1" in [n["ticket_id"] for n in c["category"]["neighbours"]]
    forced = tclient.post("/v1/triage/train", params={"force": "true"}, headers=auth("admin")).json()
    assert forced["retrained"] is True


def test_stored_customer_context_is_kept_and_used(tclient: TestClient) -> None:
    post_ticket(tclient, id="CU-1", subject="Question about exports", body="Can the weekly report be exported as PDF?",
                customer={"id": "org-vip", "tier": "enterprise", "renewal_date": "2026-07-01", "executive_contact": True})
    # a later ticket names only the customer id: the stored context stays
    post_ticket(tclient, id="CU-2", subject="Nobody can log in",
                body="Since 9:00 none of our 300 employees can log in to Fernbook, the whole company is blocked.",
                customer={"id": "org-vip"})
    e = tclient.post("/v1/escalate", json={"ticket_id": "CU-2", "now": "2026-06-20T09:30:00Z"}, headers=auth("agent")).json()
    names = {t["name"] for t in e["triggers"]}
    assert {"vip_tier", "renewal", "executive_contact"} <= names, names
    # an inline ticket naming only the id uses the stored context too
    e = tclient.post("/v1/escalate", json={"ticket": {"body": "Please send the invoice again.", "customer": {"id": "org-vip"}},
                     "now": "2026-06-20T09:30:00Z"}, headers=auth("agent")).json()
    assert "executive_contact" in {t["name"] for t in e["triggers"]}


def test_agent_priority_on_a_stored_ticket_drives_escalation(tclient: TestClient) -> None:
    post_ticket(tclient, id="PR-1", subject="Report colours", body="Could the weekly report use our brand colours?",
                created="2026-06-01T08:00:00Z", labels={"priority": "P1"})
    e = tclient.post("/v1/escalate", json={"ticket_id": "PR-1", "now": "2026-06-01T08:50:00Z"}, headers=auth("agent")).json()
    assert e["classification"]["priority"]["source"] == "agent" and e["priority"]["original"] == "P1"
    sla = [t for t in e["triggers"] if t["name"] == "sla_breach"]
    assert sla and "due in 10 min" in sla[0]["evidence"][0]


def test_corrections_of_a_stored_ticket_keep_it_writable(tclient: TestClient) -> None:
    post_ticket(tclient, id="FB-1", subject="Invoice address", body="Our invoices still show the old street address.",
                labels={"category": "billing", "subcategory": "invoice"})
    r = tclient.post("/v1/feedback/classification", json={"ticket_id": "FB-1", "field": "category", "label": "account"},
                     headers=auth("agent"))
    assert r.status_code == 200, r.text
    stored = tclient.get("/v1/tickets/FB-1", headers=auth("agent")).json()
    assert stored["labels"] == {"category": "account"}  # the billing subcategory no longer fits and is dropped
    r = tclient.patch("/v1/tickets/FB-1", json={"status": "solved", "resolution": "Updated under Settings > Billing."},
                      headers=auth("agent"))
    assert r.status_code == 200, r.text


def test_team_correction_wins_over_routing_rules(tclient: TestClient) -> None:
    ticket = {"subject": "Payroll integration", "body": "The Personio integration stopped syncing new hires into Fernbook."}
    r = tclient.post("/v1/feedback/classification", json={**ticket, "field": "team", "label": "Onboarding"}, headers=auth("agent"))
    assert r.status_code == 200
    c = tclient.post("/v1/classify", json=ticket, headers=auth("agent")).json()
    assert c["team"]["value"] == "Onboarding" and c["team"]["source"] == "correction"


def test_ingested_ticket_ids_are_not_taken_over(tclient: TestClient) -> None:
    r = tclient.post("/v1/tickets", json={"id": "T-1001", "body": "new text"}, headers=auth("agent"))
    assert r.status_code == 409 and "ingested" in r.json()["message"]
