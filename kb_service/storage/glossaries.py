"""Glossaries in SQLite: one row per glossary, one per term. A write replaces a glossary's terms in
one transaction, so a failed import leaves the previous version whole."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from kb_service.storage.sqlite import open_db
from kb_service.storage.tickets import now_iso
from kb_service.translation.glossary import Entry, Glossary

_SCHEMA = """
CREATE TABLE IF NOT EXISTS glossaries (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    source_language TEXT NOT NULL,
    target_language TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS glossary_terms (
    glossary_id TEXT NOT NULL REFERENCES glossaries(id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    source      TEXT NOT NULL,
    targets     TEXT NOT NULL,
    PRIMARY KEY (glossary_id, position)
);
CREATE TABLE IF NOT EXISTS glossary_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


class GlossaryExists(ValueError):
    pass


class GlossaryStore:
    def __init__(self, path: Path) -> None:
        self._conn = open_db(path, _SCHEMA)
        self._conn.execute("PRAGMA foreign_keys=ON")
        self._lock = threading.Lock()
        self._cache: dict[str, Glossary] = {}

    def close(self) -> None:
        self._conn.close()

    def list(self) -> list[Glossary]:
        with self._lock:
            ids = [r[0] for r in self._conn.execute("SELECT id FROM glossaries ORDER BY id")]
        return [g for g in (self.get(i) for i in ids) if g is not None]

    def get(self, glossary_id: str) -> Glossary | None:
        with self._lock:
            if glossary_id in self._cache:
                return self._cache[glossary_id]
            row = self._conn.execute(
                "SELECT id, name, source_language, target_language, updated_at FROM glossaries WHERE id = ?", (glossary_id,)
            ).fetchone()
            if row is None:
                return None
            terms = self._conn.execute(
                "SELECT source, targets FROM glossary_terms WHERE glossary_id = ? ORDER BY position", (glossary_id,)
            ).fetchall()
            g = Glossary(row[0], row[1], row[2], row[3], [Entry(s, tuple(json.loads(t))) for s, t in terms], row[4])
            self._cache[glossary_id] = g
            return g

    def put(self, g: Glossary, create: bool = False) -> Glossary:
        """Create or replace a glossary with all its terms, atomically. With `create`, an existing id
        raises GlossaryExists (checked inside the transaction, so two creations cannot both win)."""
        g.updated_at = now_iso()
        with self._lock:
            self._cache.pop(g.id, None)
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                if create and self._conn.execute("SELECT 1 FROM glossaries WHERE id = ?", (g.id,)).fetchone():
                    raise GlossaryExists(g.id)
                self._conn.execute("DELETE FROM glossary_terms WHERE glossary_id = ?", (g.id,))
                self._conn.execute(
                    "INSERT OR REPLACE INTO glossaries (id, name, source_language, target_language, updated_at) VALUES (?, ?, ?, ?, ?)",
                    (g.id, g.name, g.source_language, g.target_language, g.updated_at),
                )
                self._conn.executemany(
                    "INSERT INTO glossary_terms (glossary_id, position, source, targets) VALUES (?, ?, ?, ?)",
                    [(g.id, i, e.source, json.dumps(list(e.targets), ensure_ascii=False)) for i, e in enumerate(g.entries)],
                )
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
        return g

    def delete(self, glossary_id: str) -> bool:
        with self._lock:
            self._cache.pop(glossary_id, None)
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                self._conn.execute("DELETE FROM glossary_terms WHERE glossary_id = ?", (glossary_id,))
                n = self._conn.execute("DELETE FROM glossaries WHERE id = ?", (glossary_id,)).rowcount
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
        return n > 0

    def for_pair(self, source: str, target: str) -> list[Glossary]:
        """Every glossary for this language pair (matched by base language: 'es' serves 'es-419')."""
        s, t = source.split("-")[0].lower(), target.split("-")[0].lower()
        return [g for g in self.list() if g.source_language.split("-")[0].lower() == s and g.target_language.split("-")[0].lower() == t]

    def seeded(self) -> bool:
        with self._lock:
            return self._conn.execute("SELECT 1 FROM glossary_meta WHERE key = 'seeded'").fetchone() is not None

    def mark_seeded(self) -> None:
        with self._lock:
            self._conn.execute("INSERT OR REPLACE INTO glossary_meta (key, value) VALUES ('seeded', ?)", (now_iso(),))
