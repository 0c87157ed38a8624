"""Resolved support tickets (JSONL, JSON / Zendesk export, CSV) → `SourceDocument` (kind "ticket").

Only resolved tickets are knowledge: an open ticket has no answer yet. Every text
field is redacted *before* a document exists, and personal fields (names, emails)
are used only as hints for the redactor, never copied. A malformed file fails as a
whole so that half a file is never ingested.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from ingest.documents import ParseError, Section, SourceDocument, parse_tags
from ingest.redact import Redactor

RESOLVED_STATUSES = frozenset({"solved", "closed", "resolved", "done"})

_ID_KEYS = ("id", "ticket_id", "ticket id", "ticketid")
_SUBJECT_KEYS = ("subject", "title", "raw_subject")
_BODY_KEYS = ("body", "description", "text", "question", "message")
_RESOLUTION_KEYS = ("resolution", "answer", "solution", "resolution_text")
_LANGUAGE_KEYS = ("language", "lang", "locale")
_CATEGORY_KEYS = ("category", "ticket_category")
_SUBCATEGORY_KEYS = ("subcategory", "sub_category", "ticket_subcategory")
_PRIORITY_KEYS = ("priority", "severity")
_QUEUE_KEYS = ("queue", "group", "team", "group_name", "queue_name")
_CUSTOMER_KEYS = ("customer", "customer_id", "organization_id", "org", "org_id", "requester_org", "organization", "account_id")
_CREATED_KEYS = ("created", "created_at", "opened_at")
_RESOLVED_KEYS = ("resolved", "resolved_at", "solved_at", "closed_at")
_STATUS_KEYS = ("status", "state")
_NAME_KEYS = (
    "name", "requester_name", "customer_name", "contact_name", "full_name", "first_name", "last_name",
    "agent_name", "assignee_name", "submitter_name", "author_name",
)
_PERSON_OBJECT_KEYS = ("requester", "submitter", "assignee", "customer", "contact", "author", "agent", "user")

_PRIORITY_WORDS = {
    "urgent": "P1", "critical": "P1", "blocker": "P1", "highest": "P1",
    "high": "P2", "major": "P2",
    "normal": "P3", "medium": "P3", "moderate": "P3",
    "low": "P4", "minor": "P4", "lowest": "P4", "trivial": "P4",
}


@dataclass
class TicketParseResult:
    """Documents for resolved tickets and (ticket id, reason) for everything left out."""

    documents: list[SourceDocument] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)


# ---------------------------------------------------------------- field helpers


def _get(obj: dict[str, Any], keys: Iterable[str]) -> Any:
    for k in keys:
        if k in obj and obj[k] not in (None, "", [], {}):
            return obj[k]
    return None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dict):
        value = value.get("plain_body") or value.get("body") or value.get("text") or value.get("value")
        if value is None:
            return None
    s = str(value).replace("\r\n", "\n").replace("\r", "\n")
    s = "\n".join(line.rstrip() for line in s.split("\n"))
    s = re.sub(r"\n{3,}", "\n\n", s).strip()
    return s or None


def _scalar(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, dict):
        value = value.get("name") if value.get("name") not in (None, "") else value.get("id")
        if value is None:
            return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    s = str(value).strip()
    return s or None


def normalise_language(value: Any) -> str | None:
    """`en_us` → `en-US`, `DE` → `de`, `zh-hant-tw` → `zh-Hant-TW`."""
    s = _scalar(value)
    if not s:
        return None
    parts = [p for p in re.split(r"[-_]", s) if p]
    if not parts:
        return None
    out = [parts[0].lower()]
    for p in parts[1:]:
        if len(p) == 4 and p.isalpha():
            out.append(p.title())
        elif len(p) == 2 or (len(p) == 3 and p.isdigit()):
            out.append(p.upper())
        else:
            out.append(p.lower())
    return "-".join(out)


def normalise_priority(value: Any) -> str | None:
    """P1-P4 from P-codes, 1-4, Zendesk urgent/high/normal/low or critical/high/medium/low."""
    s = _scalar(value)
    if not s:
        return None
    low = s.lower().strip()
    m = re.fullmatch(r"p?\s*([1-4])", low)
    if m:
        return f"P{m.group(1)}"
    return _PRIORITY_WORDS.get(low, s)


def _known_names(ticket: dict[str, Any], users: dict[str, dict[str, Any]]) -> list[str]:
    """Names of the people on a ticket: only used to redact them, never stored."""
    names: list[str] = []
    for k in _NAME_KEYS:
        v = ticket.get(k)
        if isinstance(v, str) and v.strip():
            names.append(v.strip())
    for k in _PERSON_OBJECT_KEYS:
        v = ticket.get(k)
        if isinstance(v, dict):
            n = v.get("name")
            if isinstance(n, str) and n.strip():
                names.append(n.strip())
    first, last = ticket.get("first_name"), ticket.get("last_name")
    if isinstance(first, str) and isinstance(last, str) and first.strip() and last.strip():
        names.append(f"{first.strip()} {last.strip()}")
    user_ids = {ticket.get("requester_id"), ticket.get("submitter_id"), ticket.get("assignee_id")}
    for c in ticket.get("comments") or []:
        if isinstance(c, dict):
            user_ids.add(c.get("author_id"))
            author = c.get("author")
            if isinstance(author, dict) and isinstance(author.get("name"), str):
                names.append(author["name"])
    for uid in user_ids:
        user = users.get(str(uid)) if uid is not None else None
        if user and isinstance(user.get("name"), str):
            names.append(user["name"])
    out: list[str] = []
    for n in names:
        if n not in out and "@" not in n:
            out.append(n)
    return out


def _requester_id(ticket: dict[str, Any]) -> Any:
    rid = ticket.get("requester_id")
    if rid is None and isinstance(ticket.get("requester"), dict):
        rid = ticket["requester"].get("id")
    return rid


def _is_agent(comment: dict[str, Any], requester_id: Any, users: dict[str, dict[str, Any]]) -> bool:
    role = comment.get("author_role") or comment.get("role")
    if role is None and isinstance(comment.get("author"), dict):
        role = comment["author"].get("role")
    if role is None:
        user = users.get(str(comment.get("author_id")))
        role = user.get("role") if user else None
    if isinstance(role, str):
        return role.strip().lower() in {"agent", "admin", "staff", "support"}
    author = comment.get("author_id")
    return author is not None and requester_id is not None and str(author) != str(requester_id)


def _is_public(comment: dict[str, Any]) -> bool:
    public = comment.get("public", True)
    if isinstance(public, str):
        return public.strip().lower() not in {"false", "0", "no"}
    internal = comment.get("internal") or comment.get("is_internal")
    return bool(public) and not internal


def _comment_text(comment: dict[str, Any]) -> str | None:
    text = _text(comment.get("plain_body") or comment.get("body") or comment.get("text"))
    if text:
        return text
    html = comment.get("html_body")
    if isinstance(html, str) and html.strip():
        from ingest.html import fragment_text  # what a reader sees: no script, comment or hidden element

        return _text(fragment_text(html))
    return None


def _from_comments(
    ticket: dict[str, Any], users: dict[str, dict[str, Any]]
) -> tuple[str | None, str | None]:
    """(body, resolution) from a Zendesk comment thread; internal notes are never used."""
    comments = [c for c in ticket.get("comments") or [] if isinstance(c, dict)]
    if not comments:
        return None, None
    requester = _requester_id(ticket)
    body: str | None = None
    for c in comments:
        if requester is not None and str(c.get("author_id")) == str(requester) and _is_public(c):
            body = _comment_text(c)
            if body:
                break
    if not body:
        body = _text(_get(ticket, _BODY_KEYS))
    if not body:
        first = comments[0]
        if _is_public(first) and not _is_agent(first, requester, users):
            body = _comment_text(first)
    resolution: str | None = None
    for c in reversed(comments):
        if _is_public(c) and _is_agent(c, requester, users):
            resolution = _comment_text(c)
            if resolution:
                break
    return body, resolution


# ---------------------------------------------------------------- one ticket


def _build(
    ticket: dict[str, Any], where: str, users: dict[str, dict[str, Any]], result: TicketParseResult,
    seen: set[str], redactor: Redactor,
) -> None:
    raw_id = _scalar(_get(ticket, _ID_KEYS))
    if raw_id is None:
        result.skipped.append((where, "no ticket id"))
        return
    if raw_id in seen:
        result.skipped.append((raw_id, f"duplicate ticket id in the same file ({where})"))
        return
    seen.add(raw_id)

    if ticket.get("comments"):
        body, resolution = _from_comments(ticket, users)
        if not resolution:
            resolution = _text(_get(ticket, _RESOLUTION_KEYS))
    else:
        body = _text(_get(ticket, _BODY_KEYS))
        resolution = _text(_get(ticket, _RESOLUTION_KEYS))

    status_raw = _scalar(_get(ticket, _STATUS_KEYS))
    status = status_raw.lower() if status_raw else None
    if status is not None and status not in RESOLVED_STATUSES:
        result.skipped.append((raw_id, f"status '{status}' is not resolved"))
        return
    if not body:
        result.skipped.append((raw_id, "no body (question) text"))
        return
    if not resolution:
        result.skipped.append((raw_id, "no resolution (no public agent answer)"))
        return

    names = _known_names(ticket, users)
    subject = _text(_get(ticket, _SUBJECT_KEYS))
    subject_r, body_r, resolution_r = redactor.redact_many([subject or "", body, resolution], names)
    title = subject_r or _fallback_title(body_r)

    resolved_at = _scalar(_get(ticket, _RESOLVED_KEYS))
    if resolved_at is None and status in {"solved", "closed"} and "updated_at" in ticket:
        resolved_at = _scalar(ticket.get("updated_at"))
    requester = ticket.get("requester") if isinstance(ticket.get("requester"), dict) else {}
    language = normalise_language(_get(ticket, _LANGUAGE_KEYS) or requester.get("locale"))
    customer_value = _get(ticket, _CUSTOMER_KEYS)
    if isinstance(customer_value, dict):  # {"id": .., "name": ..}: keep the id only
        customer_value = customer_value.get("id")
    customer = _scalar(customer_value)
    if customer is not None and (customer.strip() in names or redactor.redact(customer, names) != customer):
        customer = None  # a person's name or address in a "customer" column is not an id
    tags = [t for t in (redactor.redact(t, names) for t in parse_tags(ticket.get("tags") if ticket.get("tags") is not None else ticket.get("labels"))) if t]

    result.documents.append(
        SourceDocument(
            source_id=f"ticket:{raw_id}",
            kind="ticket",
            title=title,
            sections=[Section("", body_r)],
            language=language,
            tags=tags,
            resolution=resolution_r,
            category=_scalar(_get(ticket, _CATEGORY_KEYS)),
            priority=normalise_priority(_get(ticket, _PRIORITY_KEYS)),
            queue=_scalar(_get(ticket, _QUEUE_KEYS)) or _scalar(ticket.get("group_id")),
            customer=customer,
            created=_scalar(_get(ticket, _CREATED_KEYS)),
            resolved=resolved_at,
            status=status,
            extra={"subcategory": sub} if (sub := _scalar(_get(ticket, _SUBCATEGORY_KEYS))) else {},
        )
    )


def _fallback_title(body: str) -> str:
    first = body.strip().split("\n", 1)[0]
    return first if len(first) <= 80 else first[:77].rsplit(" ", 1)[0] + "…"


# ---------------------------------------------------------------- file formats


def _type_name(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", int: "a number", float: "a number",
            bool: "a boolean", type(None): "null"}.get(type(value), type(value).__name__)


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ParseError(f"{path}: cannot read file: {exc.strerror or exc}") from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ParseError(f"{path}: line {line}: not valid UTF-8 text ({exc.reason})") from exc


def _jsonl(path: Path, text: str) -> list[tuple[str, dict[str, Any]]]:
    out: list[tuple[str, dict[str, Any]]] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ParseError(f"{path}: line {lineno}: invalid JSON: {exc.msg} (column {exc.colno})") from exc
        if not isinstance(obj, dict):
            raise ParseError(f"{path}: line {lineno}: expected a JSON object (one ticket per line), got {_type_name(obj)}")
        out.append((f"{path.name}:line {lineno}", obj))
    return out


def _json(path: Path, text: str) -> tuple[list[tuple[str, dict[str, Any]]], dict[str, dict[str, Any]]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(f"{path}: line {exc.lineno}, column {exc.colno}: invalid JSON: {exc.msg}") from exc
    users: dict[str, dict[str, Any]] = {}
    if isinstance(data, dict):
        for u in data.get("users") or []:
            if isinstance(u, dict) and u.get("id") is not None:
                users[str(u["id"])] = u
        if isinstance(data.get("tickets"), list):
            items = data["tickets"]
        elif isinstance(data.get("results"), list):
            items = data["results"]
        elif isinstance(data.get("ticket"), dict):
            items = [data["ticket"]]
        elif any(k in data for k in _ID_KEYS):
            items = [data]
        else:
            raise ParseError(
                f"{path}: expected a list of tickets or an object with a 'tickets' or 'results' list; "
                f"found an object with keys {', '.join(sorted(map(str, data))[:8]) or '(none)'}"
            )
    elif isinstance(data, list):
        items = data
    else:
        raise ParseError(f"{path}: expected a list of tickets, got {_type_name(data)}")
    out: list[tuple[str, dict[str, Any]]] = []
    for i, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise ParseError(f"{path}: ticket #{i}: expected an object, got {_type_name(item)}")
        if item.get("result_type") not in (None, "ticket"):
            continue  # search exports mix users/organizations into "results"
        out.append((f"{path.name}:ticket #{i}", item))
    # Side-loaded comments: {"comments": {"<ticket id>": [...]}} at the top level.
    if isinstance(data, dict) and isinstance(data.get("comments"), dict):
        by_ticket = data["comments"]
        for _, item in out:
            key = str(item.get("id"))
            if not item.get("comments") and isinstance(by_ticket.get(key), list):
                item["comments"] = by_ticket[key]
    return out, users


def _csv(path: Path, text: str) -> list[tuple[str, dict[str, Any]]]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise ParseError(f"{path}: row 1 (header): {exc}") from exc
    if header is None or not any(h.strip() for h in header):
        raise ParseError(f"{path}: no header row (an empty CSV file)")
    cols = [h.strip().lstrip("\ufeff").lower() for h in header]
    if not any(c in _ID_KEYS for c in cols):
        raise ParseError(
            f"{path}: row 1 (header): missing id column (expected one of: id, ticket_id); "
            f"found columns: {', '.join(c for c in cols if c) or '(none)'}"
        )
    out: list[tuple[str, dict[str, Any]]] = []
    row_no = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise ParseError(f"{path}: row {row_no + 1} (line {reader.line_num}): {exc}") from exc
        row_no += 1
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(cols):
            raise ParseError(
                f"{path}: row {row_no} (line {reader.line_num}): {len(row)} fields but the header has "
                f"{len(cols)} (an unquoted comma?)"
            )
        record = {c: (row[i].strip() if i < len(row) else "") for i, c in enumerate(cols) if c}
        out.append((f"{path.name}:row {row_no}", record))
    return out


def parse_tickets(path: Path, redactor: Redactor | None = None) -> TicketParseResult:
    """Parse a tickets file (.jsonl, .json, .csv); raises ParseError if any part is malformed."""
    redactor = redactor or Redactor()
    path = Path(path)
    suffix = path.suffix.lower()
    text = _read_text(path)
    users: dict[str, dict[str, Any]] = {}
    if suffix == ".jsonl" or suffix == ".ndjson":
        records = _jsonl(path, text)
    elif suffix == ".json":
        records, users = _json(path, text)
    elif suffix == ".csv":
        records = _csv(path, text)
    else:
        raise ParseError(f"{path}: unsupported ticket file type '{suffix}' (use .jsonl, .json or .csv)")
    result = TicketParseResult()
    seen: set[str] = set()
    for where, ticket in records:
        _build(ticket, where, users, result, seen, redactor)
    return result
