"""Load test: concurrent clients mixing answers, searches, suggestions, classifications and article
writes against the real service, then a check that no acknowledged write was lost.

1. Data: a data directory with the sample knowledge base, from `kb ingest --sample` in a subprocess,
   or copied from `--seed DIR` (a data directory where the sample was ingested before; the first run
   with `--seed` ingests it there, later runs only copy it).
2. Service: `kb serve` on a free loopback port, with its own KB_API_KEYS (widget, agent and writer
   keys), the answer rate limits off (KB_ANSWER_RATE_PER_KEY=0, KB_ANSWER_RATE_PER_ADDRESS=0) and no
   other KB_* setting of the caller's environment. One warm-up request per kind, not counted.
3. Load: `--clients` asyncio clients (httpx, one keep-alive connection each) in a closed loop (no
   think time) for `--seconds`, each picking its next request by weight (`--mix`): POST /v1/answer
   (widget key), /v1/search, /v1/suggest, /v1/classify (agent key) and PUT /v1/articles/{id}
   (writer key). Each client writes its own articles (`--owned` each, one after another) and, for a
   share of its writes (`--shared-share`), one of `--shared` articles that every client writes. Every
   write carries a revision (client and counter) in its title and body, so each one is a new version.
   Any non-2xx answer or exception (timeouts included, `--timeout`) is an error; a search, answer or
   suggestion answered without a `log_id` is a lost search-log write.
4. Verification through the API while the service still runs, for every written article:
   - GET /v1/articles/{id} returns the last acknowledged write (for a shared article: one of the
     writes no other acknowledged write started after; a write whose outcome is unknown may be it);
   - GET /v1/articles/{id}/versions has one version per acknowledged write, numbered without gaps,
     in real-time order (a write acknowledged before another started has the smaller number), none
     for a write that failed, and ends with the current content; exactly one write answered 201;
   - POST /v1/search with the article's own tag finds it, with its current title;
   - GET /v1/articles?tag=<run tag> lists exactly the written articles.
   Then the service is stopped (SIGINT; its exit code and log are checked for tracebacks), and the
   stores are checked against the vector index: kb_service.storage.consistency.check_consistency
   when that module exists, else every stored chunk id is a point and every point a stored chunk,
   with no ingest journal left pending.
5. Report: requests, errors and latency percentiles (p50/p95/p99/max, client-side, ms) per kind,
   throughput, the service's resident memory (peak during the run and at the end), as a table on
   stdout and, with `--out`, as JSON. Exit code 0 only with zero errors and no problem found.

Run (from the repo root):

    .venv/bin/python -m eval.load --seconds 60 --clients 50
    .venv/bin/python -m eval.load --seconds 60 --clients 50 --seed /tmp/kb-sample-seed --out /tmp/load.json

The client runs on the same machine as the service and takes some of its CPU; on loopback the
numbers are the service's capacity under that sharing, not a network test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import psutil

from eval.bench_service import Server, free_port, kb_executable

REPO = Path(__file__).resolve().parent.parent
SAMPLE_TICKETS = REPO / "ingest" / "sample" / "tickets" / "tickets.jsonl"
CROSSLINGUAL = REPO / "tests" / "data" / "crosslingual_queries.jsonl"
OFFTOPIC = REPO / "tests" / "data" / "offtopic_queries.txt"

KINDS = ("answer", "search", "suggest", "classify", "write")
DEFAULT_MIX = {"answer": 30.0, "search": 25.0, "suggest": 15.0, "classify": 20.0, "write": 10.0}
KEYS = {"widget": "load-widget-key-0001", "agent": "load-agent-key-0001", "writer": "load-writer-key-0001"}
LOGGED = ("answer", "search", "suggest")  # their responses carry the search log's row id
TOPICS = (
    "shift reminder e-mails", "overtime alerts", "kiosk clock-in", "badge printing", "holiday calendars",
    "team announcements", "payroll cut-off dates", "manager approvals", "open shift bidding", "break reminders",
    "location geofences", "availability forms", "late arrival alerts", "weekly hour limits", "onboarding checklists",
)


def api_keys_setting(keys: dict[str, str] = KEYS) -> str:
    """The KB_API_KEYS value for these keys (`key:scope,...`)."""
    return ",".join(f"{key}:{scope}" for scope, key in keys.items())


def service_env(data_dir: Path, models_dir: Path | None, keys: dict[str, str] = KEYS) -> dict[str, str]:
    """The caller's environment without any KB_* setting (embedded defaults), plus the test's own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KB_")}
    env.update({"KB_DATA_DIR": str(data_dir), "KB_API_KEYS": api_keys_setting(keys), "PYTHONUNBUFFERED": "1",
                # the load is many requests from one key and one address: rate limits would answer 429
                "KB_ANSWER_RATE_PER_KEY": "0", "KB_ANSWER_RATE_PER_ADDRESS": "0"})
    if models_dir is not None:
        env["KB_MODELS_DIR"] = str(models_dir)
    return env


# --------------------------------------------------------------------------- workload


@dataclass
class Workload:
    """What the clients ask: questions (answer, search) and tickets (suggest, classify)."""

    questions: list[str]
    tickets: list[tuple[str, str]]

    @classmethod
    def sample(cls) -> "Workload":
        """Cross-lingual and off-topic questions of the test data, and the sample's tickets (subject, body)."""
        questions = [json.loads(line)["query"] for line in CROSSLINGUAL.read_text(encoding="utf-8").splitlines() if line.strip()]
        questions += [line.strip() for line in OFFTOPIC.read_text(encoding="utf-8").splitlines() if line.strip()]
        tickets = []
        for line in SAMPLE_TICKETS.read_text(encoding="utf-8").splitlines():
            if line.strip():
                t = json.loads(line)
                tickets.append((str(t.get("subject") or ""), str(t["body"])))
        questions += [s for s, _ in tickets if s]
        return cls(questions, tickets)


@dataclass
class Plan:
    """The articles of one run: `owned[i]` are written by client i alone, `shared` by every client."""

    tag: str
    owned: list[list[str]]
    shared: list[str]
    shared_share: float

    @classmethod
    def make(cls, clients: int, owned: int = 2, shared: int = 4, shared_share: float = 0.3, run_id: str | None = None) -> "Plan":
        run = run_id or uuid.uuid4().hex[:6]
        tag = f"load-{run}"
        return cls(tag, [[f"{tag}-c{i:02d}-{k}" for k in range(owned)] for i in range(clients)],
                   [f"{tag}-shared-{k}" for k in range(shared)], shared_share)


def article_payload(article_id: str, revision: str, tag: str) -> dict[str, Any]:
    """An article as a writer would PUT it; its title and body name the revision, so every write is new content."""
    topic = TOPICS[sum(map(ord, article_id)) % len(TOPICS)]
    return {
        "title": f"Set up {topic} ({article_id} revision {revision})",
        "body": (
            f"Administrators can set up {topic} for every location.\n\n"
            f"## Steps\n1. Open Settings > Workforce > {topic.capitalize()}.\n2. Choose the teams it applies to.\n"
            f"3. Click Save. Changes apply from the next scheduled shift.\n\n"
            f"## Notes\nThis is revision {revision} of {article_id}, written by the load test.\n"
        ),
        "language": "en",
        "tags": [tag, article_id],
        "product_area": "load-test",
    }


def title_of(article_id: str, revision: str, tag: str) -> str:
    return str(article_payload(article_id, revision, tag)["title"])


# --------------------------------------------------------------------------- recording


@dataclass
class WriteOp:
    article_id: str
    revision: str
    client: int
    started: float
    finished: float = 0.0
    outcome: str = "unknown"  # "ok" (2xx), "failed" (another status: nothing may have changed), "unknown" (no answer)
    status: int | None = None


@dataclass
class Recorder:
    """Latencies (ms, completed 2xx requests), errors and lost search-log writes, per kind, plus every write."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    statuses: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    error_examples: list[str] = field(default_factory=list)
    missing_log_ids: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    writes: list[WriteOp] = field(default_factory=list)

    def error(self, kind: str, what: str) -> None:
        self.errors[kind] += 1
        if len(self.error_examples) < 20:
            self.error_examples.append(f"{kind}: {what}")

    @property
    def total_errors(self) -> int:
        return sum(self.errors.values())


async def _request(client: httpx.AsyncClient, kind: str, method: str, url: str, rec: Recorder, key: str,
                   body: dict[str, Any]) -> httpx.Response | None:
    t = time.perf_counter()
    try:
        r = await client.request(method, url, json=body, headers={"X-API-Key": key})
    except httpx.HTTPError as exc:  # timeouts, refused or dropped connections
        rec.statuses[kind][type(exc).__name__] += 1
        rec.error(kind, f"{type(exc).__name__} after {time.perf_counter() - t:.1f} s: {exc}")
        return None
    ms = (time.perf_counter() - t) * 1000
    rec.statuses[kind][str(r.status_code)] += 1
    if not r.is_success:
        rec.error(kind, f"{r.status_code} after {ms:.0f} ms: {r.text[:300]}")
        return r
    rec.latencies[kind].append(ms)
    if kind in LOGGED:
        try:
            logged = r.json().get("log_id") is not None
        except ValueError:
            logged = False
        if not logged:
            rec.missing_log_ids[kind] += 1
    return r


async def _client_loop(i: int, client: httpx.AsyncClient, keys: dict[str, str], work: Workload, plan: Plan,
                       mix: dict[str, float], deadline: float, rng: random.Random, rec: Recorder) -> None:
    kinds = [k for k in KINDS if mix.get(k, 0) > 0]
    weights = [mix[k] for k in kinds]
    own = plan.owned[i] if i < len(plan.owned) else []
    written = 0
    while time.monotonic() < deadline:
        kind = rng.choices(kinds, weights)[0]
        if kind == "write" and not own and not plan.shared:
            continue
        if kind == "answer":
            await _request(client, kind, "POST", "/v1/answer", rec, keys["widget"], {"question": rng.choice(work.questions)})
        elif kind == "search":
            await _request(client, kind, "POST", "/v1/search", rec, keys["agent"], {"query": rng.choice(work.questions), "top_k": 10})
        elif kind == "suggest":
            subject, body = rng.choice(work.tickets)
            await _request(client, kind, "POST", "/v1/suggest", rec, keys["agent"], {"subject": subject, "body": body})
        elif kind == "classify":
            subject, body = rng.choice(work.tickets)
            await _request(client, kind, "POST", "/v1/classify", rec, keys["agent"],
                           {"subject": subject, "body": body, "channel": "email"})
        else:
            shared = bool(plan.shared) and (not own or rng.random() < plan.shared_share)
            article_id = rng.choice(plan.shared) if shared else own[written % len(own)]
            written += 1
            op = WriteOp(article_id, f"c{i:02d}.{written}", i, time.monotonic())
            rec.writes.append(op)
            r = await _request(client, kind, "PUT", f"/v1/articles/{article_id}", rec, keys["writer"],
                               article_payload(article_id, op.revision, plan.tag))
            op.finished = time.monotonic()
            if r is not None:
                op.status = r.status_code
                op.outcome = "ok" if r.is_success else "failed"


async def run_load(base_url: str, *, clients: int, seconds: float, workload: Workload, plan: Plan,
                   mix: dict[str, float] | None = None, keys: dict[str, str] = KEYS, seed: int = 7,
                   timeout: float = 120.0, on_tick: Any = None) -> tuple[Recorder, float]:
    """`clients` closed-loop clients for `seconds` (requests in flight at the end are waited for);
    returns what was recorded and the wall time from start until the last answer. `on_tick` is
    called about once a second while the load runs (e.g. to sample the server's memory)."""
    rec = Recorder()
    limits = httpx.Limits(max_connections=clients + 8, max_keepalive_connections=clients + 8)
    async with httpx.AsyncClient(base_url=base_url, timeout=timeout, limits=limits) as client:
        start = time.monotonic()
        deadline = start + seconds
        tasks = [asyncio.create_task(_client_loop(i, client, keys, workload, plan, mix or DEFAULT_MIX, deadline,
                                                  random.Random(seed * 1000 + i), rec)) for i in range(clients)]
        while not all(t.done() for t in tasks):
            await asyncio.wait(tasks, timeout=1.0)
            if on_tick is not None:
                on_tick()
        wall = time.monotonic() - start
        for t in tasks:
            t.result()  # a bug in a client loop is the test's failure, not the service's
    return rec, wall


def warm_up(base_url: str, workload: Workload, keys: dict[str, str] = KEYS, timeout: float = 300.0) -> list[str]:
    """One request of each read kind, in sequence (the first classification waits for triage to load);
    returns the problems (empty when every answer was 2xx)."""
    subject, body = workload.tickets[0]
    calls = [("/v1/answer", "widget", {"question": workload.questions[0]}),
             ("/v1/search", "agent", {"query": workload.questions[0], "top_k": 10}),
             ("/v1/suggest", "agent", {"subject": subject, "body": body}),
             ("/v1/classify", "agent", {"subject": subject, "body": body, "channel": "email"})]
    problems = []
    with httpx.Client(base_url=base_url, timeout=timeout) as c:
        for path, scope, payload in calls:
            r = c.post(path, json=payload, headers={"X-API-Key": keys[scope]})
            if not r.is_success:
                problems.append(f"warm-up {path}: {r.status_code} {r.text[:300]}")
    return problems


# --------------------------------------------------------------------------- verification


def _candidates(ops: list[WriteOp]) -> set[str]:
    """Revisions that may be current: acknowledged writes no other acknowledged write started after,
    and writes whose outcome is unknown."""
    acked = [w for w in ops if w.outcome == "ok"]
    latest = {w.revision for w in acked if not any(o.started > w.finished for o in acked)}
    return latest | {w.revision for w in ops if w.outcome == "unknown"}


async def _verify_article(client: httpx.AsyncClient, article_id: str, ops: list[WriteOp], plan: Plan,
                          keys: dict[str, str]) -> tuple[list[str], bool]:
    """Problems found for one article, and whether it should exist."""
    problems: list[str] = []
    agent = {"X-API-Key": keys["agent"]}
    acked = [w for w in ops if w.outcome == "ok"]
    unknown = [w for w in ops if w.outcome == "unknown"]
    titles = {title_of(article_id, w.revision, plan.tag): w for w in ops}
    r = await client.get(f"/v1/articles/{article_id}", headers=agent)
    if not acked and not unknown:
        if r.status_code != 404:
            problems.append(f"{article_id}: no write succeeded, yet GET answered {r.status_code}")
        return problems, False
    if r.status_code == 404 and not acked:
        return problems, False  # only writes with no answer, none of which got through
    if r.status_code != 200:
        return [f"{article_id}: GET answered {r.status_code}: {r.text[:200]}"], True
    current = r.json()
    allowed = _candidates(ops)
    cur = titles.get(current["title"])
    if cur is None or cur.revision not in allowed:
        problems.append(f"{article_id}: current title {current['title']!r} is not one of the last acknowledged writes "
                        f"({sorted(allowed)})")
    elif f"revision {cur.revision} " not in current["body"]:
        problems.append(f"{article_id}: the body does not match its title (revision {cur.revision})")

    r = await client.get(f"/v1/articles/{article_id}/versions", headers=agent)
    if r.status_code != 200:
        problems.append(f"{article_id}: versions answered {r.status_code}: {r.text[:200]}")
    else:
        versions = r.json()
        numbers = [v["version"] for v in versions]
        if numbers != list(range(1, len(versions) + 1)):
            problems.append(f"{article_id}: version numbers {numbers} are not 1..{len(versions)}")
        by_title: dict[str, list[int]] = defaultdict(list)
        for v in versions:
            by_title[v.get("title") or ""].append(v["version"])
        for w in acked:
            n = by_title.get(title_of(article_id, w.revision, plan.tag), [])
            if len(n) != 1:
                problems.append(f"{article_id}: acknowledged write {w.revision} is recorded {len(n)} times in its versions")
        allowed_titles = {title_of(article_id, w.revision, plan.tag) for w in acked + unknown}
        stray = [t for t in by_title if t not in allowed_titles]
        if stray:
            problems.append(f"{article_id}: versions {stray[:3]} match no acknowledged write (a failed write was applied?)")
        if versions and versions[-1].get("title") != current["title"]:
            problems.append(f"{article_id}: the last version ({versions[-1].get('title')!r}) is not the current content")
        if not unknown and len(versions) != len(acked):
            problems.append(f"{article_id}: {len(versions)} versions for {len(acked)} acknowledged writes")
        number = {w.revision: by_title[title_of(article_id, w.revision, plan.tag)][0]
                  for w in acked if len(by_title.get(title_of(article_id, w.revision, plan.tag), [])) == 1}
        for a in acked:
            for b in acked:
                if a.finished < b.started and a.revision in number and b.revision in number and number[a.revision] > number[b.revision]:
                    problems.append(f"{article_id}: write {a.revision} was acknowledged before {b.revision} started, "
                                    f"but has the later version ({number[a.revision]} > {number[b.revision]})")
    created = [w for w in acked if w.status == 201]
    if len(created) > 1 or (not created and not unknown):
        problems.append(f"{article_id}: {len(created)} writes answered 201 Created (one expected)")

    r = await client.post("/v1/search", headers=agent, json={
        "query": current["title"], "top_k": 3, "filters": {"source": "article", "tags": [article_id]}})
    if r.status_code != 200:
        problems.append(f"{article_id}: search answered {r.status_code}: {r.text[:200]}")
    else:
        hits = r.json()["hits"]
        if not hits or hits[0]["id"] != article_id:
            problems.append(f"{article_id}: not found by search (hits: {[h['id'] for h in hits]})")
        elif hits[0]["title"] != current["title"]:
            problems.append(f"{article_id}: search finds it with title {hits[0]['title']!r}, not the current {current['title']!r}")
    return problems, True


async def verify(base_url: str, rec: Recorder, plan: Plan, keys: dict[str, str] = KEYS,
                 parallel: int = 4, timeout: float = 120.0) -> dict[str, Any]:
    """Check every written article through the API (see the module's docstring); returns counts and problems."""
    by_article: dict[str, list[WriteOp]] = defaultdict(list)
    for w in rec.writes:
        by_article[w.article_id].append(w)
    gate = asyncio.Semaphore(parallel)
    async with httpx.AsyncClient(base_url=base_url, timeout=timeout) as client:

        async def one(article_id: str) -> tuple[list[str], bool]:
            async with gate:
                return await _verify_article(client, article_id, by_article[article_id], plan, keys)

        results = await asyncio.gather(*(one(a) for a in sorted(by_article)))
        problems = [p for ps, _ in results for p in ps]
        existing = sum(1 for _, exists in results if exists)
        r = await client.get("/v1/articles", params={"tag": plan.tag, "limit": 200}, headers={"X-API-Key": keys["agent"]})
        listed = r.json().get("total") if r.status_code == 200 else None
        if listed != existing and existing <= 200:
            problems.append(f"GET /v1/articles?tag={plan.tag} lists {listed} articles; {existing} were written")
    acked = [w for w in rec.writes if w.outcome == "ok"]
    return {
        "articles_written": len(by_article),
        "articles_existing": existing,
        "shared_articles_written": sum(1 for a in by_article if a in plan.shared),
        "writes_acknowledged": len(acked),
        "writes_failed": sum(1 for w in rec.writes if w.outcome == "failed"),
        "writes_unknown": sum(1 for w in rec.writes if w.outcome == "unknown"),
        "writes_to_shared_articles": sum(1 for w in acked if w.article_id in plan.shared),
        "max_writers_per_article": max((len({w.client for w in ops}) for ops in by_article.values()), default=0),
        "problems": problems,
    }


def index_consistency(data_dir: Path, models_dir: Path | None = None) -> dict[str, Any]:
    """After the service stopped: the stores against the vector index. Uses the project's own check
    (kb_service.storage.consistency) when it exists, else compares chunk ids with point ids."""
    from kb_service.config import Settings

    settings = Settings(data_dir=data_dir, models_dir=models_dir)  # type: ignore[call-arg]
    try:
        from kb_service.storage.consistency import check_consistency
    except ImportError:
        return _own_consistency(settings)
    report = check_consistency(settings)
    return {"check": "kb_service.storage.consistency.check_consistency", "ok": report.ok,
            "problems": [str(p) for p in report.problems], "report": json.loads(json.dumps(report.to_dict(), default=str))}


def _own_consistency(settings: Any) -> dict[str, Any]:
    from qdrant_client import QdrantClient

    from kb_service.storage.sources import SourceStore

    store = SourceStore(settings.sources_db_path)
    try:
        expected = {c for s in store.iter_all() for c in s.chunk_ids}
        pending = store.pending()
        sources = store.count()
    finally:
        store.close()
    if settings.qdrant_url:
        return {"check": "none (a Qdrant server)", "ok": not pending, "problems": [f"pending: {pending}"] if pending else []}
    client = QdrantClient(path=str(settings.qdrant_path))
    points: set[str] = set()
    try:
        offset = None
        while True:
            batch, offset = client.scroll(settings.collection, limit=1024, offset=offset, with_payload=False)
            points.update(str(p.id) for p in batch)
            if offset is None:
                break
    finally:
        client.close()
    problems = []
    if pending:
        problems.append(f"ingest journal still pending for {pending[:5]}")
    if expected - points:
        problems.append(f"{len(expected - points)} stored chunks have no point in the index")
    if points - expected:
        problems.append(f"{len(points - expected)} points in the index belong to no stored chunk")
    return {"check": "chunk ids vs. point ids", "ok": not problems, "sources": sources, "chunks": len(expected),
            "points": len(points), "problems": problems}


# --------------------------------------------------------------------------- in-process server (tests)


class ThreadedServer:
    """uvicorn serving an app in a thread of this process on a free loopback port (for the bounded test)."""

    def __init__(self, app: Any, port: int | None = None) -> None:
        import uvicorn

        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, name="uvicorn", daemon=True)

    def __enter__(self) -> "ThreadedServer":
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the in-process server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(60)


# --------------------------------------------------------------------------- report


def latency_summary(samples: list[float]) -> dict[str, Any]:
    if not samples:
        return {"n": 0}
    a = np.asarray(samples)
    return {"n": len(samples), "p50": float(np.percentile(a, 50)), "p95": float(np.percentile(a, 95)),
            "p99": float(np.percentile(a, 99)), "max": float(a.max()), "mean": float(a.mean())}


def summarise(rec: Recorder, wall: float) -> dict[str, Any]:
    kinds: dict[str, Any] = {}
    for kind in KINDS:
        done = sum(rec.statuses[kind].values())
        if not done:
            continue
        kinds[kind] = {"requests": done, "errors": rec.errors[kind], "statuses": dict(rec.statuses[kind]),
                       "per_s": done / wall if wall else None, "latency_ms": latency_summary(rec.latencies[kind])}
        if kind in LOGGED:
            kinds[kind]["missing_log_ids"] = rec.missing_log_ids[kind]
    every = [ms for kind in KINDS for ms in rec.latencies[kind]]
    total = sum(k["requests"] for k in kinds.values())
    return {"kinds": kinds, "requests": total, "errors": rec.total_errors, "wall_s": wall,
            "per_s": total / wall if wall else None, "latency_ms": latency_summary(every),
            "missing_log_ids": sum(rec.missing_log_ids.values()), "error_examples": rec.error_examples}


def format_table(summary: dict[str, Any]) -> str:
    lines = ["| kind | requests | errors | req/s | p50 ms | p95 ms | p99 ms | max ms |", "|---|---:|---:|---:|---:|---:|---:|---:|"]

    def row(name: str, n: int, errors: int, rate: float | None, lat: dict[str, Any]) -> str:
        cells = [f"{lat[p]:.0f}" if lat.get("n") else "-" for p in ("p50", "p95", "p99", "max")]
        return f"| {name} | {n} | {errors} | {rate:.2f} | " + " | ".join(cells) + " |"

    for kind, k in summary["kinds"].items():
        lines.append(row(kind, k["requests"], k["errors"], k["per_s"], k["latency_ms"]))
    lines.append(row("**all**", summary["requests"], summary["errors"], summary["per_s"], summary["latency_ms"]))
    return "\n".join(lines)


def parse_mix(text: str) -> dict[str, float]:
    mix = {}
    for part in text.split(","):
        name, _, weight = part.partition("=")
        if name.strip() not in KINDS:
            raise argparse.ArgumentTypeError(f"unknown kind {name.strip()!r}; use {', '.join(KINDS)}")
        mix[name.strip()] = float(weight)
    return mix


# --------------------------------------------------------------------------- main


def prepare_data(data_dir: Path, seed: Path | None, models_dir: Path | None, log: Path) -> dict[str, Any]:
    """The sample knowledge base in `data_dir`: copied from `seed` (ingested there first if it is empty)."""
    target = seed if seed is not None else data_dir
    out: dict[str, Any] = {"seed": str(seed) if seed else None}
    if not (target / "kb.sqlite3").is_file():
        cmd = [kb_executable(), "ingest", "--sample"]
        t = time.perf_counter()
        with log.open("w") as fh:
            proc = subprocess.run(cmd, env=service_env(target, models_dir), stdout=fh, stderr=subprocess.STDOUT, timeout=3600)
        out["ingest"] = {"command": shlex.join(cmd), "wall_s": time.perf_counter() - t, "returncode": proc.returncode,
                         "summary": log.read_text(errors="replace").strip().splitlines()[:2]}
        if proc.returncode != 0:
            raise RuntimeError(f"kb ingest --sample failed ({proc.returncode}):\n{log.read_text(errors='replace')[-2000:]}")
    if seed is not None:
        from kb_service.storage.datadir_lock import DataDirLock

        with DataDirLock(seed):  # no process may change the seed while it is copied
            shutil.copytree(seed, data_dir, ignore=shutil.ignore_patterns(".lock", "service.json"))
        out["copied_from_seed"] = True
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=60.0, help="how long the clients send requests (default 60)")
    ap.add_argument("--clients", type=int, default=50, help="concurrent clients (default 50)")
    ap.add_argument("--mix", type=parse_mix, default=DEFAULT_MIX,
                    help="weights, e.g. answer=30,search=25,suggest=15,classify=20,write=10 (the default)")
    ap.add_argument("--owned", type=int, default=2, help="articles each client writes alone (default 2)")
    ap.add_argument("--shared", type=int, default=4, help="articles every client writes (default 4)")
    ap.add_argument("--shared-share", type=float, default=0.3, help="share of a client's writes that go to a shared article (default 0.3)")
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds before a request counts as timed out (default 120)")
    ap.add_argument("--seed", type=Path, help="a data directory with the sample ingested, copied for the run (ingested there when empty)")
    ap.add_argument("--models-dir", type=Path, default=REPO / "data" / "models", help="prepared models (KB_MODELS_DIR)")
    ap.add_argument("--out", type=Path, help="write the results as JSON here")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder (data directory, service log)")
    ap.add_argument("--random-seed", type=int, default=7, help="seed of the clients' choices (default 7)")
    args = ap.parse_args(argv)

    models_dir = args.models_dir.resolve() if args.models_dir and args.models_dir.is_dir() else None
    seed = args.seed.resolve() if args.seed else None
    tmp = Path(tempfile.mkdtemp(prefix="kb-load-"))
    data_dir = tmp / "data"
    res: dict[str, Any] = {
        "command": shlex.join([sys.executable, "-m", "eval.load", *(argv if argv is not None else sys.argv[1:])]),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {"cpu_count": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                    "memory_total_mb": round(psutil.virtual_memory().total / 2**20), "load_avg_at_start": list(os.getloadavg())},
        "config": {"seconds": args.seconds, "clients": args.clients, "mix": args.mix, "owned": args.owned, "shared": args.shared,
                   "shared_share": args.shared_share, "timeout_s": args.timeout, "random_seed": args.random_seed,
                   "environment": "all KB_* variables removed except KB_DATA_DIR, KB_MODELS_DIR, KB_API_KEYS, "
                                  "KB_ANSWER_RATE_PER_KEY=0, KB_ANSWER_RATE_PER_ADDRESS=0"},
    }
    problems: list[str] = []
    server: Server | None = None
    try:
        print("preparing the sample knowledge base ...", file=sys.stderr)
        res["data"] = prepare_data(data_dir, seed, models_dir, tmp / "ingest.log")
        server = Server(kb_executable(), service_env(data_dir, models_dir), tmp / "serve.log")
        ready_s, health = server.wait_ready(timeout=300)
        res["service"] = {"ready_s": ready_s, "health": health, "pid": server.proc.pid}
        print(f"service ready in {ready_s:.1f} s ({health.get('index')}); warming up ...", file=sys.stderr)
        workload = Workload.sample()
        problems += warm_up(server.url, workload)
        plan = Plan.make(args.clients, args.owned, args.shared, args.shared_share)
        service = psutil.Process(server.proc.pid)
        res["rss_mb_before"], res["rss_mb_before_service_only"] = server.rss_mb(), service.memory_info().rss / 2**20
        rss_peak = [res["rss_mb_before"], res["rss_mb_before_service_only"]]
        proc = psutil.Process()
        cpu0 = proc.cpu_times()
        service_cpu0 = service.cpu_times()

        def tick() -> None:
            try:  # with its children (Apertium's pipelines), and the service process alone
                rss_peak[0] = max(rss_peak[0], server.rss_mb())  # type: ignore[union-attr]
                rss_peak[1] = max(rss_peak[1], service.memory_info().rss / 2**20)
            except psutil.Error:
                pass

        print(f"load: {args.clients} clients for {args.seconds:.0f} s ...", file=sys.stderr)
        rec, wall = asyncio.run(run_load(server.url, clients=args.clients, seconds=args.seconds, workload=workload, plan=plan,
                                         mix=args.mix, seed=args.random_seed, timeout=args.timeout, on_tick=tick))
        cpu1, service_cpu1 = proc.cpu_times(), service.cpu_times()
        res["load"] = summarise(rec, wall)
        res["load"]["client_cpu_s"] = (cpu1.user + cpu1.system) - (cpu0.user + cpu0.system)
        res["load"]["service_cpu_s"] = (service_cpu1.user + service_cpu1.system) - (service_cpu0.user + service_cpu0.system)
        res["rss_mb_peak"], res["rss_mb_peak_service_only"] = rss_peak
        res["rss_mb_after"], res["rss_mb_after_service_only"] = server.rss_mb(), service.memory_info().rss / 2**20
        print("verifying the writes ...", file=sys.stderr)
        res["verification"] = asyncio.run(verify(server.url, rec, plan, timeout=args.timeout))
        problems += res["verification"]["problems"]
        res["shutdown_s"] = server.stop()
        res["exit_code"] = server.proc.returncode
        log_text = (tmp / "serve.log").read_text(errors="replace")
        server = None
        tracebacks = log_text.count("Traceback (most recent call last)")
        res["service_log"] = {"tracebacks": tracebacks, "error_lines": sum(1 for line in log_text.splitlines() if "ERROR" in line)}
        if tracebacks:
            problems.append(f"the service logged {tracebacks} tracebacks (see {tmp / 'serve.log'})")
            args.keep = True
        res["consistency"] = index_consistency(data_dir, models_dir)
        problems += res["consistency"]["problems"]
        if res["load"]["missing_log_ids"]:
            problems.append(f"{res['load']['missing_log_ids']} answers, searches or suggestions were not written to the search log")
    except Exception as exc:
        problems.append(f"{type(exc).__name__}: {exc}")
        args.keep = True
    finally:
        if server is not None:
            server.stop()
        if args.keep:
            res["temp_dir"] = str(tmp)
            print(f"kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    res["machine"]["load_avg_at_end"] = list(os.getloadavg())
    res["problems"] = problems
    errors = res.get("load", {}).get("errors", 0)
    res["ok"] = not problems and errors == 0 and "load" in res

    if "load" in res:
        s, v = res["load"], res.get("verification", {})
        print(f"\n## Load: {args.clients} clients, {args.seconds:.0f} s, loopback\n")
        print(format_table(s))
        print(f"\nthroughput {s['per_s']:.2f} requests/s over {s['wall_s']:.1f} s; errors {s['errors']}; "
              f"service RSS peak {res.get('rss_mb_peak', 0):.0f} MB with its child processes, "
              f"{res.get('rss_mb_peak_service_only', 0):.0f} MB alone (before the load {res.get('rss_mb_before', 0):.0f} MB, "
              f"after {res.get('rss_mb_after', 0):.0f} MB); CPU used: service {s['service_cpu_s']:.0f} s, "
              f"client {s['client_cpu_s']:.1f} s; load average {res['machine']['load_avg_at_start'][0]:.1f} at start "
              f"({os.cpu_count()} CPUs)")
        if v:
            print(f"writes: {v['writes_acknowledged']} acknowledged ({v['writes_to_shared_articles']} to {v['shared_articles_written']} "
                  f"shared articles, up to {v['max_writers_per_article']} writers each), {v['writes_failed']} failed, "
                  f"{v['writes_unknown']} without an answer; {v['articles_existing']} articles checked")
        if "consistency" in res:
            print(f"index consistency ({res['consistency'].get('check')}): {'ok' if res['consistency'].get('ok') else 'FAILED'}")
        for example in s["error_examples"][:10]:
            print(f"  error {example}")
    for p in problems[:30]:
        print(f"  problem: {p}")
    print(f"\nresult: {'PASS' if res['ok'] else 'FAIL'}")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(res, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
        print(f"JSON: {args.out}")
    return 0 if res["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
