"""The source store: every indexed article and ticket as parsed, with its content hash
and the ids of its chunks in the vector index.

It is what makes ingest incremental (unchanged hash = nothing to embed), what
`kb reindex` rebuilds the vector index from, and what article listing reads.
A `pending` journal row is written before a source's points change in the vector
index and removed in the same transaction that records the new state, so a crash
in between is found and reconciled on the next start.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import numpy as np

from ingest.documents import SourceDocument
from kb_service.storage.sqlite import open_db

TITLE, WINDOW = 0, 1  # kinds of side vectors


@dataclass
class SideVectors:
    """A source's extra vectors besides its chunk points: title lines and sentence windows.

    Kept here, not as Qdrant points, because they only re-score sources the chunk search already
    found: five times the points would slow every search for no gain in what it finds."""

    kinds: np.ndarray  # uint8, TITLE or WINDOW per row
    vectors: np.ndarray  # float16, one unit vector per row

    def best(self, query: np.ndarray, kind: int) -> float | None:
        rows = self.vectors[self.kinds == kind]
        if not len(rows):
            return None
        return float((rows.astype(np.float32) @ query).max())

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sources (
    source_id    TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    origin       TEXT,
    title        TEXT NOT NULL,
    language     TEXT,
    product_area TEXT,
    tags         TEXT NOT NULL,
    doc          TEXT NOT NULL,
    chunk_ids    TEXT NOT NULL,
    indexed_at   TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sources_kind ON sources(kind);
CREATE INDEX IF NOT EXISTS sources_origin ON sources(origin);
CREATE TABLE IF NOT EXISTS side_vectors (
    source_id TEXT PRIMARY KEY,
    kinds     BLOB NOT NULL,
    vectors   BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS pending (
    source_id  TEXT PRIMARY KEY,
    started_at TEXT NOT NULL
);
"""


@dataclass
class StoredSource:
    doc: SourceDocument
    content_hash: str
    chunk_ids: list[str]
    indexed_at: str


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class SourceStore:
    def __init__(self, path: Path) -> None:
        self._conn = open_db(path, _SCHEMA)
        self._lock = threading.RLock()

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # --- reads -------------------------------------------------------------
    def _row(self, row: tuple[str, str, str, str]) -> StoredSource:
        doc_json, content_hash, chunk_ids, indexed_at = row
        return StoredSource(SourceDocument.from_dict(json.loads(doc_json)), content_hash, json.loads(chunk_ids), indexed_at)

    def get(self, source_id: str) -> StoredSource | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT doc, content_hash, chunk_ids, indexed_at FROM sources WHERE source_id = ?", (source_id,)
            ).fetchone()
        return self._row(row) if row else None

    def states(self) -> dict[str, tuple[str, str | None]]:
        """source_id -> (content hash, origin), for deciding what an ingest must do."""
        with self._lock:
            rows = self._conn.execute("SELECT source_id, content_hash, origin FROM sources").fetchall()
        return {sid: (h, origin) for sid, h, origin in rows}

    def count(self, kind: str | None = None) -> int:
        with self._lock:
            if kind:
                return int(self._conn.execute("SELECT COUNT(*) FROM sources WHERE kind = ?", (kind,)).fetchone()[0])
            return int(self._conn.execute("SELECT COUNT(*) FROM sources").fetchone()[0])

    def chunk_count(self) -> int:
        with self._lock:
            rows = self._conn.execute("SELECT chunk_ids FROM sources").fetchall()
        return sum(len(json.loads(r[0])) for r in rows)

    def iter_all(self, kind: str | None = None) -> Iterator[StoredSource]:
        where, args = ("WHERE kind = ?", (kind,)) if kind else ("", ())
        with self._lock:
            rows = self._conn.execute(
                f"SELECT doc, content_hash, chunk_ids, indexed_at FROM sources {where} ORDER BY source_id", args
            ).fetchall()
        for row in rows:
            yield self._row(row)

    def ids_under(self, root: Path) -> set[str]:
        """Sources that were ingested from `root` (a file, or any file below a folder)."""
        root_s = str(root.resolve())
        with self._lock:
            rows = self._conn.execute(
                "SELECT source_id FROM sources WHERE origin = ? OR origin LIKE ? ESCAPE '\\'",
                (root_s, root_s.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_").rstrip("/") + "/%"),
            ).fetchall()
        return {r[0] for r in rows}

    def list_articles(
        self,
        language: str | None = None,
        tag: str | None = None,
        product_area: str | None = None,
        limit: int = 20,
        offset: int = 0,
    ) -> tuple[list[StoredSource], int]:
        where = ["kind = 'article'"]
        args: list[object] = []
        if language:
            where.append("(lower(language) = lower(?) OR lower(language) LIKE lower(?))")
            args += [language, language + "-%"]
        if product_area:
            where.append("lower(product_area) = lower(?)")
            args.append(product_area)
        if tag:
            where.append("EXISTS (SELECT 1 FROM json_each(sources.tags) WHERE lower(json_each.value) = lower(?))")
            args.append(tag)
        clause = " AND ".join(where)
        with self._lock:
            total = int(self._conn.execute(f"SELECT COUNT(*) FROM sources WHERE {clause}", args).fetchone()[0])
            rows = self._conn.execute(
                f"SELECT doc, content_hash, chunk_ids, indexed_at FROM sources WHERE {clause} "
                "ORDER BY title COLLATE NOCASE, source_id LIMIT ? OFFSET ?",
                [*args, limit, offset],
            ).fetchall()
        return [self._row(r) for r in rows], total

    def get_meta(self, key: str) -> str | None:
        with self._lock:
            row = self._conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return str(row[0]) if row else None

    # --- writes ------------------------------------------------------------
    def set_meta(self, key: str, value: str) -> None:
        self._transaction("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", [(key, value)])

    def _transaction(self, sql: str, rows: list[tuple[str, ...]]) -> None:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                self._conn.executemany(sql, rows)
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise

    def mark_pending(self, source_ids: list[str]) -> None:
        now = _now()
        self._transaction("INSERT OR REPLACE INTO pending(source_id, started_at) VALUES (?, ?)", [(s, now) for s in source_ids])

    def pending(self) -> list[str]:
        with self._lock:
            return [r[0] for r in self._conn.execute("SELECT source_id FROM pending").fetchall()]

    def clear_pending(self, source_ids: list[str]) -> None:
        self._transaction("DELETE FROM pending WHERE source_id = ?", [(s,) for s in source_ids])

    def chunk_ids(self, source_ids: list[str]) -> dict[str, list[str]]:
        """Committed chunk ids per source, without reading the documents."""
        if not source_ids:
            return {}
        marks = ",".join("?" * len(source_ids))
        with self._lock:
            rows = self._conn.execute(f"SELECT source_id, chunk_ids FROM sources WHERE source_id IN ({marks})", source_ids).fetchall()
        return {sid: json.loads(ids) for sid, ids in rows}

    def chunk_ids_of_kind(self, kind: str) -> list[str]:
        """Every chunk id of one kind of source, without reading the documents."""
        with self._lock:
            rows = self._conn.execute("SELECT chunk_ids FROM sources WHERE kind = ? ORDER BY source_id", (kind,)).fetchall()
        return [c for (ids,) in rows for c in json.loads(ids)]

    def side_vectors(self, source_ids: list[str]) -> dict[str, SideVectors]:
        if not source_ids:
            return {}
        marks = ",".join("?" * len(source_ids))
        with self._lock:
            rows = self._conn.execute(
                f"SELECT source_id, kinds, vectors FROM side_vectors WHERE source_id IN ({marks})", source_ids
            ).fetchall()
        out: dict[str, SideVectors] = {}
        for source_id, kinds, vectors in rows:
            k = np.frombuffer(kinds, dtype=np.uint8)
            out[source_id] = SideVectors(k, np.frombuffer(vectors, dtype=np.float16).reshape(len(k), -1))
        return out

    def commit(
        self,
        upserts: list[tuple[SourceDocument, str, list[str]]],
        deletes: list[str],
        side: dict[str, SideVectors | None] | None = None,
    ) -> None:
        """Record new states and removals, and clear their journal rows, in one transaction.

        `side`: the extra vectors of the sources that were embedded anew (None for one that has
        none); sources not in it (an unchanged source that moved file) keep theirs."""
        now = _now()
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                for doc, content_hash, chunk_ids in upserts:
                    self._conn.execute(
                        "INSERT OR REPLACE INTO sources(source_id, kind, content_hash, origin, title, language, "
                        "product_area, tags, doc, chunk_ids, indexed_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                        (
                            doc.source_id,
                            doc.kind,
                            content_hash,
                            doc.origin,
                            doc.title,
                            doc.language,
                            doc.product_area,
                            json.dumps(doc.tags, ensure_ascii=False),
                            json.dumps(doc.to_dict(), ensure_ascii=False),
                            json.dumps(chunk_ids),
                            now,
                        ),
                    )
                    self._conn.execute("DELETE FROM pending WHERE source_id = ?", (doc.source_id,))
                    if side is not None and doc.source_id in side:
                        extra = side[doc.source_id]
                        if extra is None or not len(extra.kinds):
                            self._conn.execute("DELETE FROM side_vectors WHERE source_id = ?", (doc.source_id,))
                        else:
                            self._conn.execute(
                                "INSERT OR REPLACE INTO side_vectors(source_id, kinds, vectors) VALUES (?,?,?)",
                                (doc.source_id, extra.kinds.astype(np.uint8).tobytes(), extra.vectors.astype(np.float16).tobytes()),
                            )
                for source_id in deletes:
                    self._conn.execute("DELETE FROM side_vectors WHERE source_id = ?", (source_id,))
                    self._conn.execute("DELETE FROM sources WHERE source_id = ?", (source_id,))
                    self._conn.execute("DELETE FROM pending WHERE source_id = ?", (source_id,))
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
