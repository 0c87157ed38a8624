"""Ticket exports: only resolved tickets become knowledge, redacted; malformed files fail whole."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.documents import ParseError
from ingest.tickets import normalise_language, normalise_priority, parse_tickets


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def jsonl(rows: list[object]) -> str:
    return "\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n"


def test_jsonl_resolved_open_and_incomplete(tmp_path: Path) -> None:
    rows = [
        {
            "id": "T-1", "subject": "Invoice for Maria Lopez is wrong", "requester_name": "Maria Lopez",
            "body": "Hi, the invoice is wrong. Call +49 30 1234567.\nMaria", "resolution": "Hi Maria, corrected it.",
            "language": "en_us", "tags": ["billing", "invoice"], "category": "billing", "priority": "high",
            "queue": "Billing", "customer": 1042, "created": "2026-03-01T10:00:00Z",
            "resolved": "2026-03-02T10:00:00Z", "status": "Solved", "email": "maria@example.com",
        },
        {"id": "T-2", "subject": "Still broken", "body": "Help", "resolution": "n/a", "status": "open"},
        {"id": "T-3", "subject": "No answer", "body": "Question?", "status": "closed"},
        {"ticket_id": 4, "title": "No status", "question": "How?", "answer": "Like this.", "lang": "DE",
         "tags": "a|b", "priority": "P4", "group": "Support"},
        {"subject": "no id", "body": "x", "resolution": "y"},
        {"id": "T-5", "subject": "Empty body", "body": "  ", "resolution": "y", "status": "done"},
    ]
    result = parse_tickets(write(tmp_path, "t.jsonl", jsonl(rows)))
    assert [d.source_id for d in result.documents] == ["ticket:T-1", "ticket:4"]
    doc = result.documents[0]
    assert doc.kind == "ticket"
    assert doc.title == "Invoice for [NAME] is wrong"
    assert doc.sections[0].heading == "" and doc.sections[0].text == (
        "Hi, the invoice is wrong. Call [PHONE].\n[NAME]"
    )
    assert doc.resolution == "Hi [NAME], corrected it."
    assert (doc.language, doc.priority, doc.queue, doc.customer, doc.status) == ("en-US", "P2", "Billing", "1042", "solved")
    assert (doc.created, doc.resolved, doc.category, doc.tags) == (
        "2026-03-01T10:00:00Z", "2026-03-02T10:00:00Z", "billing", ["billing", "invoice"]
    )
    dumped = json.dumps(doc.to_dict(), ensure_ascii=False)
    assert "Maria" not in dumped and "Lopez" not in dumped and "maria@example.com" not in dumped
    other = result.documents[1]
    assert (other.title, other.body, other.resolution, other.language, other.tags, other.priority, other.queue) == (
        "No status", "How?", "Like this.", "de", ["a", "b"], "P4", "Support"
    )
    assert other.status is None
    skipped = dict(result.skipped)
    assert skipped["T-2"] == "status 'open' is not resolved"
    assert "no resolution" in skipped["T-3"]
    assert "no body" in skipped["T-5"]
    assert skipped["t.jsonl:line 5"] == "no ticket id"


def test_jsonl_bad_json_names_the_line(tmp_path: Path) -> None:
    text = '{"id": 1, "body": "a", "resolution": "b"}\n{"id": 2, "body": "a",\n'
    with pytest.raises(ParseError, match=r"bad\.jsonl: line 2: invalid JSON"):
        parse_tickets(write(tmp_path, "bad.jsonl", text))


def test_jsonl_line_that_is_not_an_object_fails_the_file(tmp_path: Path) -> None:
    text = '{"id": 1, "body": "a", "resolution": "b"}\n\n[1, 2]\n'
    with pytest.raises(ParseError, match=r"list\.jsonl: line 3: expected a JSON object.*got a list"):
        parse_tickets(write(tmp_path, "list.jsonl", text))


def test_json_list_and_results_wrapper(tmp_path: Path) -> None:
    tickets = [{"id": 7, "subject": "S", "description": "D", "solution": "R", "status": "resolved"}]
    assert [d.source_id for d in parse_tickets(write(tmp_path, "a.json", json.dumps(tickets))).documents] == ["ticket:7"]
    wrapped = {"results": tickets + [{"result_type": "user", "id": 1, "name": "Someone"}]}
    result = parse_tickets(write(tmp_path, "b.json", json.dumps(wrapped)))
    assert [d.source_id for d in result.documents] == ["ticket:7"]


@pytest.mark.parametrize(
    ("content", "pattern"),
    [
        ('{"tickets": [1, 2', r"c\.json: line 1, column \d+: invalid JSON"),
        ('"just a string"', r"c\.json: expected a list of tickets, got a string"),
        ('{"foo": []}', r"c\.json: expected a list of tickets or an object with a 'tickets'"),
        ('[{"id": 1}, "x"]', r"c\.json: ticket #2: expected an object, got a string"),
    ],
)
def test_json_malformed(tmp_path: Path, content: str, pattern: str) -> None:
    with pytest.raises(ParseError, match=pattern):
        parse_tickets(write(tmp_path, "c.json", content))


ZENDESK = {
    "tickets": [
        {
            "id": 5001, "subject": "Wrong company name", "description": "Description fallback",
            "status": "solved", "priority": "urgent", "locale": "en-us", "tags": ["invoices"],
            "created_at": "2026-03-19T04:34:00Z", "updated_at": "2026-03-21T08:53:00Z",
            "requester_id": 11, "assignee_id": 22, "organization_id": 1042, "group": "Billing",
            "comments": [
                {"id": 1, "author_id": 11, "public": True, "body": "Our invoices show the old name.\nKaren Miller"},
                {"id": 2, "author_id": 22, "author_role": "agent", "public": True, "body": "Hi Karen, which invoices?"},
                {"id": 3, "author_id": 11, "author_role": "end-user", "public": True, "body": "January and February."},
                {"id": 4, "author_id": 22, "author_role": "agent", "public": False,
                 "body": "INTERNAL NOTE: customer is on the watch list, reissue anyway."},
                {"id": 5, "author_id": 22, "author_role": "agent", "public": True,
                 "body": "Done: corrected invoices are in Settings > Billing > Invoices."},
                {"id": 6, "author_id": 11, "author_role": "end-user", "public": True, "body": "Thanks, Karen"},
            ],
        },
        {
            "id": 5002, "subject": "Open one", "status": "open", "requester_id": 12,
            "comments": [{"id": 7, "author_id": 12, "public": True, "body": "Still waiting"}],
        },
        {
            "id": 5003, "subject": "Internal only", "status": "solved", "requester_id": 13,
            "comments": [
                {"id": 8, "author_id": 13, "public": True, "body": "How do I export?"},
                {"id": 9, "author_id": 22, "public": False, "body": "PRIVATE: told them by phone"},
            ],
        },
    ],
    "users": [{"id": 22, "name": "Agent Smithers", "role": "agent"}, {"id": 11, "name": "Karen Miller", "role": "end-user"}],
    "count": 3,
}


def test_zendesk_export(tmp_path: Path) -> None:
    result = parse_tickets(write(tmp_path, "zendesk.json", json.dumps(ZENDESK)))
    assert [d.source_id for d in result.documents] == ["ticket:5001"]
    doc = result.documents[0]
    assert doc.body == "Our invoices show the old name.\n[NAME]"
    assert doc.resolution == "Done: corrected invoices are in Settings > Billing > Invoices."
    assert (doc.priority, doc.language, doc.customer, doc.queue) == ("P1", "en-US", "1042", "Billing")
    assert doc.resolved == "2026-03-21T08:53:00Z" and doc.created == "2026-03-19T04:34:00Z"
    dumped = json.dumps(doc.to_dict())
    assert "INTERNAL NOTE" not in dumped and "watch list" not in dumped and "Karen" not in dumped
    skipped = dict(result.skipped)
    assert skipped["5002"] == "status 'open' is not resolved"
    assert "no resolution" in skipped["5003"]
    assert "PRIVATE" not in repr(result)


def test_csv_with_answer_column_and_pipe_tags(tmp_path: Path) -> None:
    text = (
        "id,subject,body,answer,language,tags,priority,queue,customer,status,customer_name\n"
        'C-1,Change email,"How do I change my email?\nSophie Martin",Settings > Account.,fr-fr,email|profil,medium,'
        "Account,org-1,solved,Sophie Martin\n"
        "C-2,Open,Question,,en,,low,Support,org-2,new,\n"
        "\n"
        "C-3,No status,Body,Answer,,,,,,,\n"
    )
    result = parse_tickets(write(tmp_path, "t.csv", text))
    assert [d.source_id for d in result.documents] == ["ticket:C-1", "ticket:C-3"]
    doc = result.documents[0]
    assert doc.body == "How do I change my email?\n[NAME]"
    assert doc.resolution == "Settings > Account."
    assert (doc.language, doc.tags, doc.priority, doc.customer) == ("fr-FR", ["email", "profil"], "P3", "org-1")
    assert "Sophie" not in json.dumps(doc.to_dict())
    assert dict(result.skipped)["C-2"] == "status 'new' is not resolved"


def test_csv_missing_id_column(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match=r"noid\.csv: row 1 \(header\): missing id column"):
        parse_tickets(write(tmp_path, "noid.csv", "subject,body,answer\nA,B,C\n"))


def test_csv_row_with_too_many_fields(tmp_path: Path) -> None:
    text = "id,subject,body,answer\n1,a,b,c\n2,a,b,c,d\n"
    with pytest.raises(ParseError, match=r"wide\.csv: row 3 \(line 3\): 5 fields but the header has 4"):
        parse_tickets(write(tmp_path, "wide.csv", text))


def test_csv_broken_quoting(tmp_path: Path) -> None:
    text = 'id,subject,body,answer\n1,a,"b"x,c\n'
    with pytest.raises(ParseError, match=r"quotes\.csv: row 2"):
        parse_tickets(write(tmp_path, "quotes.csv", text))


def test_empty_csv_and_unknown_extension(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="no header row"):
        parse_tickets(write(tmp_path, "empty.csv", ""))
    with pytest.raises(ParseError, match="unsupported ticket file type"):
        parse_tickets(write(tmp_path, "t.xml", "<x/>"))


def test_normalisers() -> None:
    assert normalise_language("en-US") == "en-US"
    assert normalise_language("en_us") == "en-US"
    assert normalise_language("de") == "de"
    assert normalise_language("JA") == "ja"
    assert normalise_language("zh-hant-tw") == "zh-Hant-TW"
    assert normalise_language("") is None
    assert [normalise_priority(p) for p in ("urgent", "high", "normal", "low")] == ["P1", "P2", "P3", "P4"]
    assert [normalise_priority(p) for p in ("critical", "Medium", "p2", "3")] == ["P1", "P3", "P2", "P3"]
    assert normalise_priority(None) is None
