"""Fuzzing: schemathesis against the service's own OpenAPI schema, every operation, with a valid key of
each scope (widget, agent, writer, admin). No request may get a 5xx, and no response may break what
the schema declares for it (its status code, content type and body: every error is the one
`ErrorBody`, declared as "4XX" and "5XX" on every route).

1. Data: a knowledge base of its own in a temporary folder (a few sample articles and resolved
   tickets from ingest/sample), and, made through the API before fuzzing starts, a stored open
   ticket and a solved one, a glossary, three drafts and a managed key, so that the operations on
   `{article_id}`, `{ticket_id}`, `{draft_id}`, `{glossary_id}`, `{cluster_id}` and `{key_id}` also
   reach objects that exist, not only 404s. What successful fuzzed requests create (tickets,
   articles, drafts, glossaries, keys) joins these ids as the run goes (HARVEST), so later operations
   also work on objects with fuzzed contents.
2. Cases: Hypothesis strategies from schemathesis (`APIOperation.as_strategy`), positive (valid by the
   schema) and negative (invalid: wrong types, out-of-range numbers, missing fields, bytes that are
   not JSON), with the path parameters also drawn from the existing objects' ids, and schemathesis
   dictionaries (BINDINGS) putting supported language codes, existing ids, taxonomy labels and real
   sentences into a share of the fields that take them (random text is never a language the service
   can tell, so it would never reach translation). Uploads get real file names and fuzzed HTML,
   Markdown, JSON, JSONL and CSV contents; the glossary CSV import fuzzed CSV. Each operation gets
   `--examples` cases per scope; the slow or destructive ones (SLOW: uploads, backups, erasure,
   training, drafts, reports) fewer, and a scope that may not use the operation a few (it must get
   403 whatever the body). Each (operation, scope) has its own fixed seed derived from `--seed`: a run
   is repeatable.
3. Calls: in-process over ASGI (schemathesis' ASGI client, no network), in the app's lifespan.
4. Checks on every response: `not_a_server_error` (no 5xx), `status_code_conformance` (the status is
   declared: 200/201/204 as the route says, "4XX", "5XX"), `content_type_conformance` (JSON, or CSV
   where declared), `response_schema_conformance` (the body validates against the declared schema:
   the route's response model, or `ErrorBody` for every 4xx/5xx); for a key whose scope lacks the
   operation's permission, a 403 (or the 4xx of a body the service cannot even read); and no 401
   (every key sent is valid).
5. Report: operations covered, requests per operation and status class, and each failure (kind,
   status, what is wrong) with its smallest reproduction seen (method, path, query, body, a curl
   command). `--shrink` lets Hypothesis shrink each failure to a minimal one instead (it then stops
   that operation at its first failure). `--out` writes the whole report as JSON. Exit code 0 only
   with no failure.

Run (from the repo root):

    .venv/bin/python -m eval.fuzz --examples 200 --out /tmp/fuzz.json
    .venv/bin/python -m eval.fuzz --examples 20 --operations 'POST /v1/search' 'GET /v1/articles/{article_id}'

The bounded version is tests/api/test_fuzz.py (same harness, a few examples per operation).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import shutil
import sys
import tempfile
import time
import zlib
from collections import Counter
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import hypothesis
from hypothesis import HealthCheck, Phase, Verbosity
from hypothesis import strategies as st

import schemathesis
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.python.asgi import ASGIClient, get_client
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

REPO = Path(__file__).resolve().parent.parent
SCOPES = ("widget", "agent", "writer", "admin")
KEYS = {scope: f"fuzz-{scope}-key-0001" for scope in SCOPES}

# Every check runs on every response. status_code_conformance and content_type_conformance work with
# the "4XX"/"5XX" ranges every route declares: schemathesis expands a range to its codes, and an
# error's content type is then the declared application/json of ErrorBody.
CHECKS = (not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance)

# Operations that are slow or destructive by nature: fuzzed, with `examples // divisor` cases (at
# least `floor`). Keyed by "METHOD /path" as the schema has it.
SLOW: dict[str, tuple[int, int, str]] = {
    "POST /v1/ingest": (4, 3, "an accepted upload parses, redacts, embeds and indexes its files"),
    "POST /v1/admin/backup": (20, 2, "each accepted request archives the whole data directory"),
    "POST /v1/privacy/erase": (4, 3, "erasure walks the tickets, the search log, clusters and drafts"),
    "POST /v1/triage/train": (10, 2, "training embeds the labelled history and fits the classifier"),
    "POST /v1/drafts": (2, 3, "a draft reads and condenses its tickets and searches related articles"),
    "GET /v1/clusters": (4, 2, "clustering embeds and groups every resolved ticket (cached between calls)"),
    "GET /v1/reports/gaps": (4, 2, "the gap report clusters tickets and logged questions"),
    "GET /v1/reports/freshness": (4, 2, "the freshness report compares every article with newer tickets"),
}
# Operations not fuzzed at all, each with the reason (the report lists them). None today.
EXCLUDED: dict[str, str] = {}
# A key whose scope lacks the permission gets 403 before its body is validated; only a body the
# service cannot read at all (not JSON, too large) is refused before that.
FORBIDDEN_STATUSES = {403, 400, 413, 415, 422}

ARTICLES = (("html", "reset-password.html"), ("html", "download-invoices.html"), ("markdown", "refunds.md"),
            ("markdown", "api-tokens.md"))
TICKETS = 12  # the first resolved tickets of ingest/sample/tickets/tickets.jsonl


# --- the knowledge base and the objects to fuzz around -------------------------------------------

def sample_subset(dest: Path, sample_dir: Path, tickets: int = TICKETS) -> Path:
    """A few sample articles and resolved tickets, copied to `dest` (what the fuzz KB ingests)."""
    dest.mkdir(parents=True, exist_ok=True)
    for kind, name in ARTICLES:
        shutil.copy(sample_dir / "articles" / kind / name, dest / name)
    lines = (sample_dir / "tickets" / "tickets.jsonl").read_text(encoding="utf-8").splitlines()
    (dest / "tickets.jsonl").write_text("\n".join(lines[:tickets]) + "\n", encoding="utf-8")
    return dest


def api_keys_setting(keys: dict[str, str] = KEYS) -> str:
    return ",".join(f"{key}:{scope}" for scope, key in keys.items())


def seed_objects(client: Any, admin_key: str) -> dict[str, list[Any]]:
    """Objects the fuzzed requests may name, made through the API (a starlette TestClient); returns
    the known values of each path parameter (`article_id`, `ticket_id`, ...) and body field kind."""
    h = {"X-API-Key": admin_key}

    def ok(r: Any, *codes: int) -> Any:
        assert r.status_code in codes, (r.request.method, r.request.url, r.status_code, r.text[:500])
        return r.json() if r.content else None

    known: dict[str, list[Any]] = {"number": ["1", "2"]}
    articles = ok(client.get("/v1/articles", params={"limit": 50}, headers=h), 200)["items"]
    known["article_id"] = [a["id"] for a in articles]
    ok(client.post("/v1/tickets", headers=h, json={
        "id": "FZ-OPEN-1", "subject": "Cannot download my invoice", "body": "The invoice page stays blank since Monday.",
        "customer": {"id": "org-fuzz-1", "tier": "business"}, "channel": "email"}), 201)
    ok(client.post("/v1/tickets", headers=h, json={
        "id": "FZ-SOLVED-1", "subject": "Password reset mail missing", "body": "I never get the reset e-mail.",
        "status": "solved", "resolution": "The mail was in the spam folder; marked it as not spam.",
        "labels": {"category": "account"}, "customer": {"id": "org-fuzz-2"}}), 201)
    known["ticket_id"] = ["FZ-OPEN-1", "FZ-SOLVED-1"]
    ok(client.post("/v1/glossaries", headers=h, json={
        "id": "fz-en-es", "name": "fuzz", "source_language": "en", "target_language": "es",
        "terms": [{"source": "invoice", "targets": ["factura"]}, {"source": "Fernbook", "targets": []}]}), 201)
    known["glossary_id"] = ["fz-en-es"]
    knowledge = [h_["id"] for h_ in ok(client.post("/v1/search", headers=h, json={
        "query": "password invoice refund", "top_k": 20, "filters": {"source": "ticket"}}), 200)["hits"]]
    known["knowledge_ticket_id"] = knowledge
    sources = knowledge + ["FZ-SOLVED-1"]
    known["draft_id"] = [ok(client.post("/v1/drafts", headers=h, json={"ticket_ids": sources[i:i + 2], "engine": "extractive"}),
                            201)["id"] for i in range(3)]  # approved or rejected ones stay, answering 409
    key = ok(client.post("/v1/keys", headers=h, json={"scope": "agent", "name": "fuzz"}), 201)
    known["key_id"] = [key["id"]]
    clusters = ok(client.get("/v1/clusters", headers=h), 200)["items"]
    known["cluster_id"] = [c["id"] for c in clusters[:3]] or ["c-0000000000"]
    known["log_id"] = [ok(client.post("/v1/search", headers=h, json={"query": "invoice"}), 200)["log_id"]]
    known["customer_id"] = ["org-fuzz-1", "org-fuzz-2"]
    known["language"] = ["en", "es", "de", "fr", "pt-BR", "en-GB"]
    taxonomy = client.app.state.kb.triage.taxonomy
    known["label"] = [*taxonomy.labels("category"), *taxonomy.labels("subcategory"), *taxonomy.labels("priority"),
                      *taxonomy.labels("team")]
    known["tier"] = list(taxonomy.tiers)
    return known


# Where the known values go in generated requests (schemathesis dictionaries): language codes, ids of
# existing objects and taxonomy labels in the fields that take them, so that a share of the cases get
# past "unsupported language" and "not found" into the code behind. Keyed by location; the value
# names the `known` list and the probability that a generated value is replaced by one of its values.
BINDINGS: dict[str, tuple[str, float]] = {
    **{f"{where}.{name}": ("language", 0.6) for where in ("body", "query")
       for name in ("language", "source_language", "target_language")},
    "body.agent_language": ("language", 0.6),
    "body.filters.language": ("language", 0.5),
    "body.ticket.language": ("language", 0.5),
    "body.ticket_id": ("ticket_id", 0.5),
    "body.ticket_ids[*]": ("knowledge_ticket_id", 0.6),
    "body.article_id": ("article_id", 0.5),
    "body.glossary": ("glossary_id", 0.5),
    "body.cluster_id": ("cluster_id", 0.5),
    "body.customer_id": ("customer_id", 0.5),
    "body.customer.id": ("customer_id", 0.5),
    "body.customer.tier": ("tier", 0.5),
    "body.ticket.customer.tier": ("tier", 0.5),
    "body.label": ("label", 0.6),
    **{f"body.labels.{f}": ("label", 0.5) for f in ("category", "subcategory", "priority", "team")},
    "body.log_id": ("log_id", 0.5),
    **{f"body.{name}": ("phrase", 0.3) for name in ("text", "query", "question", "body", "message", "subject", "resolution")},
    "body.ticket.body": ("phrase", 0.3),
}
# Sentences in a few languages, with glossary terms and personal data in them: random text is rarely
# in a language the service can tell, so without these few requests would reach translation.
PHRASES = [
    "Where can I download my invoice?", "How do I reset my Fernbook password?",
    "¿Dónde descargo mis facturas? Mi correo es ana@example.com", "Wie kann ich mein Passwort zurücksetzen?",
    "Je n'arrive pas à synchroniser mon calendrier.", "Onde encontro a fatura do mês passado?",
    "It did not work, the invoice page is still blank.", "Thanks, that fixed it!",
    "Call me at +1 415 555 0100, my card is 4111 1111 1111 1111. Maria Lopez",
    "invoice invoice Fernbook ZXN0NXZ", "## Steps\n1. Open **Settings** > Billing\n2. Click `Download`",
]


# Ids of what successful fuzzed requests made, added to `known` as the run goes: later operations
# (and later scopes) then also work on objects with fuzzed contents (a ticket with odd text that is
# then translated, auto-answered, escalated; an article with odd Markdown that is then restored).
HARVEST: dict[str, tuple[str, str]] = {
    "POST /v1/tickets": ("id", "ticket_id"),
    "PUT /v1/articles/{article_id}": ("id", "article_id"),
    "POST /v1/drafts": ("id", "draft_id"),
    "POST /v1/glossaries": ("id", "glossary_id"),
    "PUT /v1/glossaries/{glossary_id}": ("id", "glossary_id"),
    "PUT /v1/glossaries/{glossary_id}/csv": ("id", "glossary_id"),
    "POST /v1/keys": ("id", "key_id"),
}
POOL = 12  # harvested values kept per kind (the newest), besides the seeded ones


def fuzz_config(known: dict[str, list[Any]]) -> Any:
    """The schemathesis configuration: defaults, plus the known values as dictionaries."""
    known = {**known, "phrase": PHRASES}
    names = {name for name, _ in BINDINGS.values() if known.get(name)}
    every = sorted({str(v) for name in names - {"phrase"} for v in known[name]})
    data: dict[str, Any] = {
        "dictionaries": {**{name: {"values": known[name]} for name in names}, **({"known": {"values": every}} if every else {})},
        "parameters": {where: {"dictionary": name, "probability": p} for where, (name, p) in BINDINGS.items()
                       if name in names},
    }
    if every:  # now and then, any string field gets a known id or label
        data["generation"] = {"dictionaries": {"string": {"dictionary": "known", "probability": 0.05}}}
    return schemathesis.Config.from_dict(data)


# --- permissions --------------------------------------------------------------------------------

def permissions(app: Any) -> dict[str, str | None]:
    """'METHOD /path' -> the permission its `require(...)` dependency asks for (None: open)."""
    out: dict[str, str | None] = {}
    from kb_service.api.deps import endpoints, permission_of

    for route in endpoints(app.routes):
        for method in set(getattr(route, "methods", ()) or ()) - {"HEAD", "OPTIONS"}:
            out[f"{method} {route.path}"] = permission_of(route)
    return out


def scope_may(scope: str, permission: str | None) -> bool:
    from kb_service.api.keys import GRANTS

    return permission is None or permission in GRANTS[scope]  # type: ignore[index]


# --- results ------------------------------------------------------------------------------------

@dataclass
class FailureRecord:
    operation: str
    scope: str
    kind: str  # server_error | status_code | content_type | response_schema | scope | auth | exception | generation
    status: int | None
    title: str
    message: str
    method: str
    path: str
    query: dict[str, Any] | None
    body: Any
    media_type: str | None
    response: str | None
    curl: str | None
    mode: str | None = None

    @property
    def signature(self) -> tuple[str, str, str, int | None, str]:
        return (self.operation, self.scope, self.kind, self.status, self.title)

    def size(self) -> int:
        return len(json.dumps([self.path, self.query, self.body], default=str))

    def short(self) -> str:
        query = f"?{self.query}" if self.query else ""
        body = json.dumps(self.body, default=str, ensure_ascii=False)
        if len(body) > 300:
            body = body[:300] + "…"
        return (f"[{self.scope}] {self.operation}: {self.kind} {self.status or ''} {self.title}\n"
                f"    {self.method} {self.path}{query} body={body} ({self.media_type})\n"
                f"    {self.message.strip().splitlines()[0][:300] if self.message.strip() else ''}")


@dataclass
class OperationRun:
    operation: str
    scope: str
    permitted: bool
    examples: int
    requests: int = 0
    statuses: Counter = field(default_factory=Counter)  # "2xx" -> n
    codes: Counter = field(default_factory=Counter)  # 200 -> n
    refusals: Counter = field(default_factory=Counter)  # "422 <message>" -> n: how far the cases got
    seconds: float = 0.0
    failures: list[FailureRecord] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"operation": self.operation, "scope": self.scope, "permitted": self.permitted,
                "examples": self.examples, "requests": self.requests, "statuses": dict(self.statuses),
                "codes": {str(k): v for k, v in sorted(self.codes.items())}, "seconds": round(self.seconds, 2),
                "top_refusals": dict(self.refusals.most_common(5)),
                "failures": [asdict(f) for f in self.failures]}


class FoundFailure(AssertionError):
    """Raised inside the Hypothesis test in shrink mode, so that it shrinks the case to a minimal one."""

    def __init__(self, record: FailureRecord) -> None:
        super().__init__(record.short())
        self.record = record


# --- uploads: files the ingest loaders accept, with fuzzed contents --------------------------------
# schemathesis sends a `format: binary` array as parts named after the field, without a file name, so
# every generated upload would stop at the 415 for its missing extension; these reach the loaders.
_VALUE = st.one_of(st.text(max_size=30), st.integers(min_value=-(2**70), max_value=2**70), st.floats(),
                   st.none(), st.booleans(), st.lists(st.text(max_size=8), max_size=3))
_WORDS = st.one_of(st.text(max_size=60), st.sampled_from(["How do I reset my password?", "Open Settings > Billing.",
                                                          "Facturas en PDF", "## Steps\n1. Sign in\n2. Done", ""]))
_IDS = st.one_of(st.from_regex(r"[a-z0-9][a-z0-9-]{0,20}", fullmatch=True), st.text(max_size=20))
_TICKET_IDS = st.one_of(st.from_regex(r"FZ-[0-9]{1,6}", fullmatch=True), st.text(max_size=12), st.integers())
_TEXTS = st.one_of(_WORDS, _VALUE)
_DATES = st.one_of(st.sampled_from(["2026-01-31", "2026-02-30", "1900-01-01", "9999-12-31", "2026-03-01T10:00:00Z"]),
                   st.text(max_size=12))
_LANGS = st.one_of(st.sampled_from(["en", "de", "es", "pt-BR", "xx", ""]), st.text(max_size=6))


def _markdown(id_: str, title: str, quoted: bool, lang: str, updated: str, tags: list[str], body: str) -> str:
    title_line = json.dumps(title) if quoted else title
    tag_lines = "".join(f"\n  - {t}" for t in tags)
    return f"---\nid: {id_}\ntitle: {title_line}\nlanguage: {lang}\nupdated: {updated}\ntags:{tag_lines}\n---\n{body}\n"


def _html(id_: str, title: str, lang: str, updated: str, body: str) -> str:
    return (f'<!DOCTYPE html><html lang="{lang}"><head><title>{title}</title><meta name="article-id" content="{id_}">'
            f'<meta name="last-updated" content="{updated}"></head><body><article><h1>{title}</h1><h2>{title}</h2>'
            f"<p>{body}</p></article></body></html>")


_TICKET = st.fixed_dictionaries(
    {"id": _TICKET_IDS, "subject": _TEXTS, "body": _TEXTS},
    optional={"resolution": _TEXTS, "language": _LANGS, "created": _DATES, "resolved": _DATES, "status": _VALUE,
              "category": _VALUE, "priority": _VALUE, "customer": _VALUE, "tags": _VALUE},
)


def _csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    names = ["id", "subject", "body", "answer", "language", "created", "resolved", "status"]
    w = csv.DictWriter(out, fieldnames=names, extrasaction="ignore")
    w.writeheader()
    for r in rows:
        w.writerow({k: "" if r.get(k) is None else str(r.get(k)) for k in names} | {"answer": str(r.get("resolution", ""))})
    return out.getvalue()


_CONTENT: dict[str, st.SearchStrategy[str | bytes]] = {
    ".md": st.builds(_markdown, _IDS, _WORDS, st.booleans(), _LANGS, _DATES,
                     st.lists(st.text(max_size=10), max_size=3), _WORDS),
    ".html": st.builds(_html, _IDS, _WORDS, _LANGS, _DATES, _WORDS),
    ".jsonl": st.lists(_TICKET, min_size=1, max_size=3).map(lambda ts: "\n".join(json.dumps(t) for t in ts)),
    ".json": st.one_of(st.lists(_TICKET, max_size=3).map(json.dumps),
                       st.lists(_TICKET, max_size=3).map(lambda ts: json.dumps({"tickets": ts}))),
    ".csv": st.lists(_TICKET, min_size=1, max_size=3).map(_csv),
}
_FILE = st.sampled_from(sorted(_CONTENT)).flatmap(lambda ext: st.tuples(
    st.one_of(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._ -]{0,12}", fullmatch=True), st.just(""), st.just("../x"))
    .map(lambda stem: stem + ext),
    st.one_of(_CONTENT[ext], _CONTENT[ext].map(lambda t: t.encode("utf-8", "surrogatepass")), st.binary(max_size=200)),
))


def upload_strategy(operation: Any, key: str) -> st.SearchStrategy[Case]:
    """POST /v1/ingest with one to three files of the loaders' kinds, their contents fuzzed."""
    from urllib3.filepost import encode_multipart_formdata

    def case(files: list[tuple[str, str | bytes]]) -> Case:
        body, content_type = encode_multipart_formdata([("files", (name, data)) for name, data in files],
                                                       boundary="kb-fuzz-boundary-7f3a9c")  # repeatable bodies
        return operation.Case(body=body, media_type="multipart/form-data",
                              headers={"X-API-Key": key, "Content-Type": content_type})

    return st.lists(_FILE, min_size=1, max_size=3).map(case)


def _csv_rows(rows: list[tuple[str, str]], header: str) -> str:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(header.split(","))
    w.writerows(rows)
    return out.getvalue()


_TERM = st.one_of(st.text(max_size=20), st.sampled_from(["invoice", "Fernbook", "factura", "", " ", "a,b", '"q"']))


def csv_strategy(operation: Any, key: str, known: dict[str, list[Any]]) -> st.SearchStrategy[Case]:
    """PUT /v1/glossaries/{id}/csv with a CSV body of fuzzed terms (a generated text/csv body is
    almost never a CSV file with the right header), into existing glossaries or new ones."""
    header = st.sampled_from(["source_term,target_term"] * 3 + ["source_term,target_term,extra", "term,translation"])
    body = st.builds(_csv_rows, st.lists(st.tuples(_TERM, _TERM), max_size=5), header)
    new_ids = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,20}", fullmatch=True)
    ids = st.one_of(st.sampled_from(known["glossary_id"]), new_ids) if known.get("glossary_id") else new_ids
    languages = st.one_of(st.sampled_from(known.get("language") or ["en"]), st.text(max_size=6))
    query = st.fixed_dictionaries({}, optional={"mode": st.sampled_from(["replace", "merge"]), "name": st.text(max_size=20),
                                                "source_language": languages, "target_language": languages})
    return st.tuples(body, ids, query).flatmap(lambda parts: operation.as_strategy(
        generation_mode=GenerationMode.POSITIVE, headers={"X-API-Key": key}, body=parts[0], media_type="text/csv",
        path_parameters={"glossary_id": parts[1]}, query=parts[2]))


def _has_input(definition: dict[str, Any]) -> bool:
    """Can a case of this operation be invalid? (Negative generation needs something to negate.)"""
    return bool(definition.get("parameters") or definition.get("requestBody"))


# --- the fuzzer ---------------------------------------------------------------------------------

def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes):
        try:
            return {"bytes": value.decode("utf-8")}
        except UnicodeDecodeError:
            return {"bytes_hex": value.hex()}
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return repr(value)


def _kind(failure: Failure) -> str:
    checks = getattr(failure, "checks", ()) or ()
    for name, kind in (("not_a_server_error", "server_error"), ("status_code_conformance", "status_code"),
                       ("content_type_conformance", "content_type"), ("response_schema_conformance", "response_schema")):
        if name in checks:
            return kind
    return type(failure).__name__


class Fuzzer:
    """Runs each (operation, scope) as a Hypothesis test over schemathesis' strategies and records
    every request's status class and every failed check."""

    def __init__(self, app: Any, keys: dict[str, str], known: dict[str, list[Any]] | None = None, *,
                 examples: int = 200, seed: int = 0, shrink: bool = False,
                 log: Callable[[str], None] | None = None) -> None:
        self.app = app
        self.keys = keys
        self.known = known or {}
        self.examples = examples
        self.seed = seed
        self.shrink = shrink
        self.log = log or (lambda _: None)
        self.raw = app.openapi()
        self.seeded = {k: list(v) for k, v in self.known.items()}
        self.harvested: dict[str, list[Any]] = {}
        self._schema: Any = None
        self._stale = False
        self.session: ASGIClient = get_client(app)  # not entered: the caller runs the app's lifespan
        self.permissions = permissions(app)

    @property
    def schema(self) -> Any:
        """The schemathesis schema, configured with the known values as they are now."""
        if self._schema is None:
            self._schema = schemathesis.openapi.from_dict(self.raw, config=fuzz_config(self.known))
        return self._schema

    def harvest(self, label: str, body: Any) -> None:
        """Remember the ids of what a successful request made or showed (see HARVEST)."""
        found: list[tuple[str, Any]] = []
        if isinstance(body, dict):
            if label in HARVEST:
                key, kind = HARVEST[label]
                found.append((kind, body.get(key)))
            if isinstance(body.get("log_id"), int):
                found.append(("log_id", body["log_id"]))
            if label == "GET /v1/clusters":
                found += [("cluster_id", c.get("id")) for c in body.get("items") or [] if isinstance(c, dict)]
            if label == "POST /v1/ingest":
                for source in [*(body.get("added") or []), *(body.get("updated") or [])]:
                    kind, _, ident = str(source).partition(":")
                    found.append(({"article": "article_id", "ticket": "knowledge_ticket_id"}.get(kind, ""), ident))
        for kind, value in found:
            if not kind or value is None or value in self.seeded.get(kind, []):
                continue
            pool = self.harvested.setdefault(kind, [])
            if value in pool:
                continue
            pool.append(value)
            del pool[:-POOL]
            self.known[kind] = self.seeded.get(kind, []) + pool  # path parameters: from the next operation on
            self._stale = True  # body fields: from the next scope on (rebuilding the schema takes a while)

    def operations(self) -> list[Any]:
        """Every operation of the schema (schemathesis' view), in the schema's order."""
        return [result.ok() for result in self.schema.get_all_operations()]

    @staticmethod
    def label(operation: Any) -> str:
        return f"{operation.method.upper()} {operation.path}"

    def budget(self, label: str, permitted: bool) -> int:
        n = self.examples
        if label in SLOW:
            divisor, floor, _ = SLOW[label]
            n = max(floor, n // divisor)
        if not permitted:
            n = min(n, max(2, self.examples // 10))
        return max(1, n)

    def strategy(self, operation: Any, key: str) -> st.SearchStrategy[Case]:
        """Cases of one operation, by weight: valid by the schema (3), invalid (2), on existing objects
        (2), and for the two operations whose bodies schemathesis cannot make realistic, made-up
        files and CSV (4)."""
        headers = {"X-API-Key": key}
        definition = self.raw["paths"][operation.path][operation.method.lower()]
        weighted: list[tuple[st.SearchStrategy[Case], int]] = [
            (operation.as_strategy(generation_mode=GenerationMode.POSITIVE, headers=headers), 3)]
        if _has_input(definition):
            weighted.append((operation.as_strategy(generation_mode=GenerationMode.NEGATIVE, headers=headers), 2))
        names = re.findall(r"\{([^}]+)\}", operation.path)
        if names and all(self.known.get(n) for n in names):
            # the same operation on objects that exist (the generated ids almost never do)
            ids = st.fixed_dictionaries({n: st.sampled_from(self.known[n]) for n in names})
            weighted.append((ids.flatmap(lambda p: operation.as_strategy(
                generation_mode=GenerationMode.POSITIVE, headers=headers, path_parameters=p)), 2))
        label = self.label(operation)
        if label == "POST /v1/ingest":
            weighted.append((upload_strategy(operation, key), 4))
        if label == "PUT /v1/glossaries/{glossary_id}/csv":
            weighted.append((csv_strategy(operation, key, self.known), 4))
        # st.one_of would draw its first branch far more often than the others
        slots = [i for i, (_, weight) in enumerate(weighted) for _ in range(weight)]
        return st.sampled_from(slots).flatmap(lambda i: weighted[i][0])

    def _record(self, run: OperationRun, case: Case, kind: str, status: int | None, title: str, message: str,
                response_text: str | None) -> FailureRecord:
        body = case.body
        media = getattr(case, "media_type", None)
        try:
            curl = case.as_curl_command(headers={"X-API-Key": self.keys[run.scope]})
        except Exception:  # a case that cannot be rendered as curl is still reported
            curl = None
        meta = getattr(case, "meta", None)
        mode = getattr(getattr(meta, "generation", None), "mode", None)
        return FailureRecord(
            operation=run.operation, scope=run.scope, kind=kind, status=status, title=title, message=message,
            method=case.method.upper(), path=case.formatted_path, query=_jsonable(dict(case.query)) if case.query else None,
            body=None if type(body).__name__ == "NotSet" else _jsonable(body), media_type=media,
            response=(response_text or "")[:1000] or None, curl=curl, mode=str(mode) if mode else None,
        )

    def _add(self, run: OperationRun, record: FailureRecord) -> None:
        """Keep one failure per signature: the smallest reproduction seen."""
        for i, old in enumerate(run.failures):
            if old.signature == record.signature:
                if record.size() < old.size():
                    run.failures[i] = record
                return
        run.failures.append(record)

    def exercise(self, run: OperationRun, case: Case) -> None:
        """Send one case, count it, run the checks; record (or, shrinking, raise) what fails."""
        found: list[FailureRecord] = []
        try:
            response = case.call(session=self.session, app=self.app)
        except Exception as exc:  # the app (or the transport) raised instead of answering
            run.requests += 1
            run.statuses["exception"] += 1
            found.append(self._record(run, case, "exception", None, type(exc).__name__, str(exc), None))
        else:
            run.requests += 1
            status = response.status_code
            run.statuses[f"{status // 100}xx"] += 1
            run.codes[status] += 1
            text = response.content.decode("utf-8", "replace") if response.content else ""
            if 400 <= status < 500:
                try:
                    message = str(json.loads(text).get("message", ""))
                except (ValueError, AttributeError):
                    message = text
                run.refusals[f"{status} {re.sub(r'[0-9]+', 'N', message)[:90]}"] += 1
            try:
                case.validate_response(response, checks=list(CHECKS))
            except FailureGroup as group:
                for failure in group.exceptions:
                    found.append(self._record(run, case, _kind(failure), status, failure.title, failure.message, text))
            except Failure as failure:
                found.append(self._record(run, case, _kind(failure), status, failure.title, failure.message, text))
            if 200 <= status < 300 and response.content:
                try:
                    self.harvest(run.operation, json.loads(response.content))
                except ValueError:
                    pass  # CSV
            if status == 401:  # every key the fuzzer sends is valid
                found.append(self._record(run, case, "auth", status, "a valid key got 401",
                                          f"the {run.scope} key was refused as unknown", text))
            if not run.permitted and status not in FORBIDDEN_STATUSES:
                found.append(self._record(run, case, "scope", status, f"scope {run.scope} got {status}",
                                          f"a {run.scope} key may not use {run.operation}: expected 403", text))
        for record in found:
            if self.shrink:
                raise FoundFailure(record)
            self._add(run, record)

    def case_seed(self, label: str, scope: str) -> int:
        return zlib.crc32(f"{self.seed}:{scope}:{label}".encode())

    def run_operation(self, operation: Any, scope: str) -> OperationRun:
        operation = self.schema[operation.path][operation.method.lower()]  # with the known values as they are now
        label = self.label(operation)
        permitted = scope_may(scope, self.permissions.get(label))
        run = OperationRun(label, scope, permitted, self.budget(label, permitted))
        phases = [Phase.generate, Phase.shrink] if self.shrink else [Phase.generate]

        @hypothesis.seed(self.case_seed(label, scope))
        @hypothesis.settings(max_examples=run.examples, deadline=None, database=None, derandomize=False,
                             suppress_health_check=list(HealthCheck), phases=phases, verbosity=Verbosity.quiet,
                             print_blob=False, report_multiple_bugs=False)
        @hypothesis.given(case=self.strategy(operation, self.keys[scope]))
        def fuzz(case: Case) -> None:
            self.exercise(run, case)

        started = time.perf_counter()
        try:
            fuzz()
        except FoundFailure as exc:  # shrink mode: the minimal failing case
            self._add(run, exc.record)
        except Exception as exc:  # generation itself failed: never passed over in silence
            run.failures.append(FailureRecord(label, scope, "generation", None, type(exc).__name__, str(exc)[:2000],
                                              operation.method.upper(), operation.path, None, None, None, None, None))
        run.seconds = time.perf_counter() - started
        return run

    def plan(self, scopes: tuple[str, ...] = SCOPES, only: set[str] | None = None) -> list[tuple[Any, str]]:
        """(operation, scope) pairs in the order they run: scope by scope, the DELETEs of every scope last."""
        pairs = [(o, sc) for sc in scopes for o in self.operations()
                 if self.label(o) not in EXCLUDED and (only is None or self.label(o) in only)]
        return sorted(pairs, key=lambda p: p[0].method.upper() == "DELETE")

    def run(self, scopes: tuple[str, ...] = SCOPES, only: set[str] | None = None) -> list[OperationRun]:
        runs = []
        previous = None
        for operation, scope in self.plan(scopes, only):
            if scope != previous and self._stale:
                self._schema, self._stale = None, False
            previous = scope
            r = self.run_operation(operation, scope)
            self.log(f"{scope:6} {r.operation:55} {r.requests:5} requests {dict(r.statuses)} "
                     f"{len(r.failures)} failures {r.seconds:.1f}s")
            runs.append(r)
        return runs


@contextmanager
def lifespan(app: Any) -> Iterator[None]:
    """The app's lifespan (startup and shutdown), as a server would run it around the requests."""
    from starlette.testclient import TestClient

    with TestClient(app):
        yield


# --- the report ---------------------------------------------------------------------------------

def summarise(runs: list[OperationRun], fuzzer: Fuzzer, seconds: float) -> dict[str, Any]:
    operations: dict[str, dict[str, Any]] = {}
    for r in runs:
        op = operations.setdefault(r.operation, {"permission": fuzzer.permissions.get(r.operation), "scopes": {},
                                                 "requests": 0, "statuses": Counter()})
        op["scopes"][r.scope] = {"permitted": r.permitted, "examples": r.examples, "requests": r.requests,
                                 "statuses": dict(r.statuses), "seconds": round(r.seconds, 2)}
        op["requests"] += r.requests
        op["statuses"].update(r.statuses)
    for op in operations.values():
        op["statuses"] = dict(op["statuses"])
    failures = [asdict(f) for r in runs for f in r.failures]
    all_ops = [fuzzer.label(o) for o in fuzzer.operations()]
    totals = Counter()
    for r in runs:
        totals.update(r.statuses)
    kinds = Counter(f["kind"] for f in failures)
    return {
        "seed": fuzzer.seed, "examples": fuzzer.examples, "shrink": fuzzer.shrink, "seconds": round(seconds, 1),
        "checks": [c.__name__ for c in CHECKS] + ["scope (403 for a key without the permission)", "auth (no 401 for a valid key)"],
        "schemathesis": schemathesis.__version__, "hypothesis": hypothesis.__version__,
        "operations_in_schema": len(all_ops), "operations_fuzzed": len(operations),
        "excluded": EXCLUDED, "not_fuzzed": sorted(set(all_ops) - set(operations)),
        "slow": {k: {"divisor": d, "floor": f, "why": why} for k, (d, f, why) in SLOW.items()},
        "requests": sum(r.requests for r in runs), "statuses": dict(totals),
        "server_errors": sum(r.statuses.get("5xx", 0) for r in runs),
        "failures_by_kind": dict(kinds), "failures": failures, "operations": operations,
        "runs": [r.as_dict() for r in runs],
    }


def format_report(report: dict[str, Any]) -> str:
    lines = [f"schemathesis {report['schemathesis']}, hypothesis {report['hypothesis']}; seed {report['seed']}, "
             f"{report['examples']} examples per operation and scope; {report['seconds']} s",
             f"checks: {', '.join(report['checks'])}",
             f"operations: {report['operations_fuzzed']} of {report['operations_in_schema']} in the schema"
             + (f"; excluded: {report['excluded']}" if report["excluded"] else "")
             + (f"; not fuzzed: {report['not_fuzzed']}" if report["not_fuzzed"] else ""),
             "", f"{'operation':58} {'requests':>8} {'2xx':>6} {'4xx':>6} {'5xx':>5} {'exc':>4}  scopes run"]
    for name, op in report["operations"].items():
        s = op["statuses"]
        scopes = " ".join(f"{sc}{'' if v['permitted'] else '(403)'}:{v['requests']}" for sc, v in op["scopes"].items())
        lines.append(f"{name:58} {op['requests']:8} {s.get('2xx', 0):6} {s.get('4xx', 0):6} {s.get('5xx', 0):5} "
                     f"{s.get('exception', 0):4}  {scopes}")
    t = report["statuses"]
    lines += ["", f"requests: {report['requests']} (2xx {t.get('2xx', 0)}, 4xx {t.get('4xx', 0)}, 5xx {t.get('5xx', 0)}, "
              f"exceptions {t.get('exception', 0)})",
              f"failures: {len(report['failures'])} {report['failures_by_kind'] or ''}"]
    for f in report["failures"]:
        rec = FailureRecord(**f)
        lines.append(rec.short())
        if rec.curl:
            lines.append("    " + rec.curl.replace("\n", " ")[:600])
    return "\n".join(lines)


def build_app(data_dir: Path, models_dir: Path | None, keys: dict[str, str] = KEYS) -> tuple[Any, Any]:
    """A knowledge base of its own (a subset of the sample) and the app over it."""
    from kb_service.app import create_app
    from kb_service.config import Settings
    from kb_service.engines.embedder import prepare_models
    from kb_service.knowledge import SAMPLE_DIR, KnowledgeBase

    settings = Settings(data_dir=data_dir / "data", models_dir=models_dir, api_keys=api_keys_setting(keys),
                        answer_rate_per_key=0, answer_rate_per_address=0)
    prepare_models(settings)
    kb = KnowledgeBase(settings)
    summary = kb.ingest_paths([sample_subset(data_dir / "src", SAMPLE_DIR)])
    if summary.errors:
        kb.close()
        raise RuntimeError(f"ingesting the sample subset failed: {summary.errors}")
    return kb, create_app(settings, kb=kb)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--examples", type=int, default=200, help="cases per operation and scope (default 200)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the case generation (default 0)")
    ap.add_argument("--scopes", nargs="+", choices=SCOPES, default=list(SCOPES), help="key scopes to fuzz with")
    ap.add_argument("--operations", nargs="+", metavar="'METHOD /path'", help="only these operations")
    ap.add_argument("--shrink", action="store_true", help="shrink each failure to a minimal case (stops that "
                    "operation at its first failure)")
    ap.add_argument("--models-dir", type=Path, default=REPO / "data" / "models", help="prepared models (KB_MODELS_DIR)")
    ap.add_argument("--out", type=Path, help="write the report as JSON here")
    ap.add_argument("--keep", action="store_true", help="keep the temporary data directory")
    args = ap.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="kb-fuzz-"))
    started = time.perf_counter()
    kb, app = build_app(tmp, args.models_dir)
    try:
        with lifespan(app):
            from starlette.testclient import TestClient

            known = seed_objects(TestClient(app), KEYS["admin"])
            fuzzer = Fuzzer(app, KEYS, known, examples=args.examples, seed=args.seed, shrink=args.shrink,
                            log=lambda line: print(line, file=sys.stderr, flush=True))
            only = set(args.operations) if args.operations else None
            if only:
                unknown = only - {fuzzer.label(o) for o in fuzzer.operations()}
                if unknown:
                    ap.error(f"not in the schema: {sorted(unknown)}")
            runs = fuzzer.run(tuple(args.scopes), only)
        report = summarise(runs, fuzzer, time.perf_counter() - started)
    finally:
        kb.close()
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    print(format_report(report))
    if args.out:
        args.out.write_text(json.dumps(report, indent=2, default=str, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0 if not report["failures"] else 1


if __name__ == "__main__":
    sys.exit(main())
