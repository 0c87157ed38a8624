"""Does a data directory hold one consistent knowledge base? A checker for after a crash.

`check_consistency(settings)` opens a data directory that no process is using (the embedded index
allows one process per folder) and checks, without changing anything:

- the source store against the index: every source has exactly its committed chunk ids as points,
  those ids and the points' texts come from the stored version (ids derive from its content hash),
  no point belongs to an unknown source or to another version (orphans), no chunk is there twice,
  and no journal row is left (a start's recovery clears them);
- each source's stored document is one complete version: it hashes to the content hash stored with
  it (and, when the caller says which versions are allowed, to one of them);
- side vectors: every source whose chunks have title lines or sentence windows has exactly those
  rows, and no source that is gone keeps any;
- the records database (opened as the service opens it): article versions numbered without gaps, the latest one what the source
  store holds (or its deletion), every approved draft's article version recorded once and no
  version recorded for a draft that is not approved, no article write left in flight.

The result is a ConsistencyReport: counts and a list of problems (empty when all is well).
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any, Collection, Mapping

from ingest.chunking import Chunk, chunk_document
from ingest.documents import SourceDocument
from ingest.pipeline import chunk_id, side_texts
from kb_service.config import Settings

SIDE_VECTORS_KEY, SIDE_VECTORS_FORMAT = "side_vectors", "1"  # as kb_service.knowledge writes them


@dataclass
class Problem:
    kind: str  # e.g. orphan_point, missing_point, pending_journal, version_mismatch
    subject: str  # a source id, an article id, a draft id
    detail: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.subject}: {self.detail}"


@dataclass
class ConsistencyReport:
    sources: int = 0
    articles: int = 0
    tickets: int = 0
    points: int = 0
    expected_points: int = 0
    pending: int = 0
    side_vectors: int = 0
    article_versions: int = 0
    drafts_approved: int = 0
    publications_in_flight: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, kind: str, subject: str, detail: str) -> None:
        self.problems.append(Problem(kind, subject, detail))

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["ok"] = self.ok
        return out

    def summary(self) -> str:
        head = (
            f"{self.sources} sources ({self.articles} articles, {self.tickets} tickets), {self.points} points "
            f"({self.expected_points} expected), {self.pending} pending, {self.side_vectors} side-vector rows, "
            f"{self.article_versions} article versions, {self.drafts_approved} approved drafts, "
            f"{self.publications_in_flight} writes in flight: "
        )
        if self.ok:
            return head + "consistent"
        return head + f"{len(self.problems)} problem(s)\n" + "\n".join(f"  {p}" for p in self.problems)


@dataclass
class _Source:
    doc: SourceDocument
    kind: str
    content_hash: str
    chunk_ids: list[str]
    chunks: list[Chunk]


def check_consistency(
    settings: Settings, allowed: Mapping[str, Collection[str | None]] | None = None, max_problems: int = 200
) -> ConsistencyReport:
    """Check the data directory of `settings` (not in use by any process).

    `allowed`: source id -> the content hashes it may have (None in the set: it may be absent), e.g.
    the old and the new version of an article an interrupted write was changing."""
    report = ConsistencyReport()
    sources = _check_source_store(settings, report)
    _check_index(settings, sources, report)
    _check_records(settings, sources, report)
    for source_id, hashes in (allowed or {}).items():
        s = sources.get(source_id)
        if s is None and None not in hashes:
            report.add("missing_source", source_id, "expected in the source store, absent")
        elif s is not None and s.content_hash not in hashes:
            report.add("unexpected_version", source_id,
                       f"content hash {s.content_hash[:12]} is none of the allowed versions")
    if len(report.problems) > max_problems:
        more = len(report.problems) - max_problems
        report.problems = report.problems[:max_problems] + [Problem("truncated", "-", f"{more} more problems")]
    return report


def _check_source_store(settings: Settings, report: ConsistencyReport) -> dict[str, _Source]:
    """Read the source store (read-only: no journal is replayed, nothing is created)."""
    path = settings.sources_db_path
    if not path.exists():
        return {}
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "sources" not in tables:
            return {}
        rows = conn.execute("SELECT source_id, kind, content_hash, doc, chunk_ids FROM sources ORDER BY source_id").fetchall()
        pending = [r[0] for r in conn.execute("SELECT source_id FROM pending")] if "pending" in tables else []
        side_rows = conn.execute("SELECT source_id, kinds, vectors FROM side_vectors").fetchall() if "side_vectors" in tables else []
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall()) if "meta" in tables else {}
    finally:
        conn.close()

    sources: dict[str, _Source] = {}
    for source_id, kind, content_hash, doc_json, chunk_ids_json in rows:
        try:
            doc = SourceDocument.from_dict(json.loads(doc_json))
            chunk_ids = list(json.loads(chunk_ids_json))
        except Exception as exc:  # a torn row: it cannot be one complete version
            report.add("unreadable_source", source_id, f"{type(exc).__name__}: {exc}")
            continue
        if doc.source_id != source_id or doc.kind != kind:
            report.add("source_mismatch", source_id, f"row holds {doc.kind} {doc.source_id}")
        if doc.content_hash() != content_hash:
            report.add("torn_version", source_id, "the stored document does not hash to the stored content hash")
        chunks = chunk_document(doc, settings.chunk_max_chars)
        expected = [chunk_id(source_id, content_hash, c.index) for c in chunks]
        if chunk_ids != expected:
            report.add("chunk_ids_mismatch", source_id,
                       f"{len(chunk_ids)} committed chunk ids, {len(expected)} expected from the stored version")
        sources[source_id] = _Source(doc, kind, content_hash, chunk_ids, chunks)
    report.sources = len(sources)
    report.articles = sum(1 for s in sources.values() if s.kind == "article")
    report.tickets = sum(1 for s in sources.values() if s.kind == "ticket")
    report.expected_points = sum(len(s.chunk_ids) for s in sources.values())

    report.pending = len(pending)
    for source_id in pending:
        report.add("pending_journal", source_id, "a journal row is left: the write was never finished or rolled back")

    report.side_vectors = len(side_rows)
    if meta.get(SIDE_VECTORS_KEY) == SIDE_VECTORS_FORMAT:
        _check_side_vectors(settings, sources, side_rows, report)
    return sources


def _check_side_vectors(settings: Settings, sources: dict[str, _Source], rows: list[tuple[str, bytes, bytes]],
                        report: ConsistencyReport) -> None:
    import numpy as np

    titles = settings.retrieval_title_weight > 0
    by_source = {sid: (kinds, vectors) for sid, kinds, vectors in rows}
    for source_id in sorted(by_source.keys() - sources.keys()):
        report.add("orphan_side_vectors", source_id, "side vectors of a source that is not in the store")
    for source_id, s in sources.items():
        want, _ = side_texts(s.chunks, settings.retrieval_windows and s.kind == "article", titles)
        row = by_source.get(source_id)
        if not want:
            if row is not None and len(row[0]):
                report.add("stale_side_vectors", source_id, f"{len(row[0])} side vectors, none expected")
            continue
        if row is None:
            report.add("missing_side_vectors", source_id, f"{len(want)} side vectors expected, none stored")
            continue
        kinds = np.frombuffer(row[0], dtype=np.uint8)
        n_values = len(row[1]) // 2  # float16
        if kinds.tolist() != want:
            report.add("side_vectors_mismatch", source_id, f"{len(kinds)} stored, {len(want)} expected from the stored version")
        elif not len(kinds) or n_values % len(kinds):
            report.add("side_vectors_torn", source_id, f"{n_values} values for {len(kinds)} vectors")


def _check_index(settings: Settings, sources: dict[str, _Source], report: ConsistencyReport) -> None:
    from llama_index.core.vector_stores.utils import metadata_dict_to_node

    from kb_service.engines.vector_index import DOC_ID_KEY, open_client

    client = open_client(settings)
    try:
        if not client.collection_exists(settings.collection):
            if report.expected_points:
                report.add("missing_collection", settings.collection, f"{report.expected_points} points expected")
            return
        seen: dict[str, set[str]] = defaultdict(set)
        slots: Counter[tuple[str, int]] = Counter()
        offset = None
        while True:
            points, offset = client.scroll(settings.collection, limit=512, offset=offset, with_payload=True)
            for p in points:
                report.points += 1
                pid, payload = str(p.id), dict(p.payload or {})
                source_id = payload.get(DOC_ID_KEY)
                if not isinstance(source_id, str):
                    report.add("orphan_point", pid, "a point without a source")
                    continue
                if payload.get("source_id") != source_id:
                    report.add("point_mismatch", pid, f"doc_id {source_id} but source_id {payload.get('source_id')}")
                slots[(source_id, int(payload.get("chunk_index", -1)))] += 1
                s = sources.get(source_id)
                if s is None:
                    report.add("orphan_point", source_id, f"point {pid} of a source that is not in the store")
                    continue
                if pid not in s.chunk_ids:
                    report.add("orphan_point", source_id, f"point {pid} is not one of its committed chunks (another version)")
                    continue
                index = s.chunk_ids.index(pid)
                seen[source_id].add(pid)
                if payload.get("chunk_index") != index:
                    report.add("point_mismatch", source_id, f"point {pid} says chunk {payload.get('chunk_index')}, is chunk {index}")
                elif index < len(s.chunks):
                    text = metadata_dict_to_node(payload).get_content()
                    if text != s.chunks[index].text:
                        report.add("point_text_mismatch", source_id, f"chunk {index}'s text is not the stored version's")
            if offset is None:
                break
        for (source_id, index), n in sorted(slots.items()):
            if n > 1:
                report.add("duplicate_point", source_id, f"chunk {index} is in the index {n} times")
        for source_id, s in sources.items():
            missing = set(s.chunk_ids) - seen.get(source_id, set())
            if missing:
                report.add("missing_point", source_id, f"{len(missing)} of its {len(s.chunk_ids)} chunks are not in the index")
    finally:
        client.close()


def _check_records(settings: Settings, sources: dict[str, _Source], report: ConsistencyReport) -> None:
    from sqlalchemy import inspect, select

    from kb_service.storage.database import article_versions, audit, drafts, open_database
    from kb_service.storage.history import publications

    if settings.database_url is None and not (settings.data_dir / "records.sqlite3").exists():
        return  # no records database yet: nothing was ever written to it
    engine = open_database(settings.effective_database_url)
    try:
        with engine.connect() as conn:
            versions = conn.execute(select(article_versions).order_by(article_versions.c.article_id, article_versions.c.version)).all()
            draft_rows = conn.execute(select(drafts.c.id, drafts.c.status, drafts.c.article_id)).all()
            approvals = conn.execute(
                select(audit.c.object_id, audit.c.details).where(audit.c.object_type == "article", audit.c.action == "approved")
            ).all()
            in_flight = (
                conn.execute(select(publications.c.id, publications.c.article_id)).all()
                if inspect(conn).has_table("publications") else []
            )
    finally:
        engine.dispose()

    report.article_versions = len(versions)
    by_article: dict[str, list[Any]] = defaultdict(list)
    for v in versions:
        by_article[v.article_id].append(v)
    for aid, vs in by_article.items():
        numbers = [v.version for v in vs]
        if numbers != list(range(1, len(vs) + 1)):
            report.add("version_gap", aid, f"versions {numbers}")
        for v in vs:
            if v.doc is not None and SourceDocument.from_dict(json.loads(v.doc)).content_hash() != v.content_hash:
                report.add("torn_version_record", aid, f"version {v.version}'s document does not hash to its content hash")
        latest = vs[-1]
        stored = sources.get("article:" + aid)
        if latest.doc is None and stored is not None:
            report.add("version_mismatch", aid, f"version {latest.version} deleted it, the source store still has it")
        elif latest.doc is not None and stored is None:
            report.add("version_mismatch", aid, f"version {latest.version} is its content, the source store has no such article")
        elif latest.doc is not None and stored is not None and stored.content_hash != latest.content_hash:
            report.add("version_mismatch", aid, f"the source store holds another content than its latest version {latest.version}")

    approved_versions: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for aid, details in approvals:
        d = json.loads(details)
        if d.get("draft"):
            approved_versions[str(d["draft"])].append((aid, int(d.get("version") or 0)))
    version_actions = {(v.article_id, v.version): v.action for v in versions}
    for draft_id, status, aid in draft_rows:
        recorded = approved_versions.get(draft_id, [])
        if status == "approved":
            report.drafts_approved += 1
            if not aid:
                report.add("approved_without_article", draft_id, "approved, names no article")
            elif len(recorded) != 1:
                report.add("approval_versions", draft_id, f"approved as {aid}, {len(recorded)} approval versions recorded")
            elif version_actions.get(recorded[0]) != "approved":
                report.add("approval_versions", draft_id, f"its approval version {recorded[0][1]} of {aid} is missing")
        elif recorded:
            report.add("half_approved", draft_id, f"status {status}, yet a version of {recorded[0][0]} records its approval")

    report.publications_in_flight = len(in_flight)
    for pid, aid in in_flight:
        report.add("write_in_flight", aid, f"publication {pid} was neither finished nor dropped")
