"""The relational store of what people do with the knowledge base: the search log and readers'
feedback, drafts and their review, article versions and reviews, and the audit trail.

SQLAlchemy Core, so any SQLAlchemy URL works (`KB_DATABASE_URL`, e.g.
`postgresql+psycopg://kb:secret@db/kb`); the default is a SQLite file under the data directory.
Times are ISO 8601 strings in UTC ("2026-11-22T21:56:53Z"): they sort as text in every database,
and no driver turns them into naive datetimes.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    Boolean, Column, Engine, Float, ForeignKey, Index, Integer, LargeBinary, MetaData, String, Table, Text,
    UniqueConstraint, create_engine, event,
)

metadata = MetaData()

search_log = Table(
    "search_log", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", String(32), nullable=False),
    Column("endpoint", String(16), nullable=False),  # search, answer, suggest
    Column("query", Text, nullable=False),  # redacted
    Column("language", String(16)),
    Column("top_score", Float),  # the best article's score; None when no article came back
    Column("answered", Boolean, nullable=False),  # answer: answered; search/suggest: best article >= answer_min_score
    Column("shown", Text, nullable=False),  # JSON list of article ids, best first
    Column("articles_searched", Boolean, nullable=False, default=True),  # False: a search of tickets only
    Column("key_id", String(32)),
    Column("vector", LargeBinary),  # the query's embedding, float16, for grouping questions in the gap report
    Column("customer_id", String(160)),  # who asked, when the caller said (erasure finds their entries by it)
    Index("search_log_at", "at"),
    Index("search_log_customer", "customer_id"),
)

feedback = Table(
    "feedback", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", String(32), nullable=False),
    Column("log_id", Integer, ForeignKey("search_log.id", ondelete="SET NULL")),
    Column("article_id", String(160)),
    Column("helpful", Boolean, nullable=False),
    Column("comment", Text),  # redacted
    Column("key_id", String(32)),
    Index("feedback_article", "article_id"),
)

drafts = Table(
    "drafts", metadata,
    Column("id", String(40), primary_key=True),
    Column("status", String(16), nullable=False),
    Column("title", Text, nullable=False),
    Column("language", String(16), nullable=False),
    Column("body", Text, nullable=False),  # the markdown the writer edits and approval publishes
    Column("content", Text, nullable=False),  # JSON: the generated draft with its citations
    Column("ticket_ids", Text, nullable=False),  # JSON list
    Column("cluster_id", String(40)),
    Column("engine", String(16), nullable=False),
    Column("article_id", String(160)),  # set on approval
    Column("reason", Text),  # set on rejection
    Column("revision", Integer, nullable=False),  # +1 on every change
    Column("created_at", String(32), nullable=False),
    Column("updated_at", String(32), nullable=False),
    Column("created_by", String(64)),
    Index("drafts_status", "status", "updated_at"),
)

article_versions = Table(
    "article_versions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("article_id", String(160), nullable=False),
    Column("version", Integer, nullable=False),
    Column("at", String(32), nullable=False),
    Column("actor", String(64)),
    Column("action", String(16), nullable=False),  # ingested, created, updated, approved, restored, deleted
    Column("doc", Text),  # JSON SourceDocument; None for a deletion
    Column("content_hash", String(64)),
    UniqueConstraint("article_id", "version", name="article_versions_unique"),
)

article_reviews = Table(
    "article_reviews", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("article_id", String(160), nullable=False),
    Column("at", String(32), nullable=False),
    Column("actor", String(64)),
    Column("note", Text),
    Index("article_reviews_article", "article_id", "at"),
)

audit = Table(
    "audit", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", String(32), nullable=False),
    Column("actor", String(64)),
    Column("action", String(32), nullable=False),
    Column("object_type", String(16), nullable=False),  # draft, article
    Column("object_id", String(160), nullable=False),
    Column("details", Text, nullable=False),  # JSON: what changed
    Index("audit_object", "object_type", "object_id", "id"),
)


api_keys = Table(
    "api_keys", metadata,
    Column("id", String(32), primary_key=True),  # the public part of the key: "kb_widget_<id>_<secret>"
    Column("hash", String(64), nullable=False),  # sha256 of the whole key; the key itself is never stored
    Column("scope", String(16), nullable=False),
    Column("name", String(200), nullable=False),
    Column("origins", Text),  # JSON list of web origins a widget key may be used from
    Column("created_at", String(32), nullable=False),
    Column("created_by", String(64)),
    Column("revoked_at", String(32)),
    Column("revoked_by", String(64)),
)

draft_flags = Table(
    "draft_flags", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("draft_id", String(40), nullable=False),
    Column("at", String(32), nullable=False),
    Column("reason", Text, nullable=False),
    Column("ticket_ids", Text, nullable=False),  # JSON list: the erased tickets the draft cited
    Index("draft_flags_draft", "draft_id"),
)


web_sessions = Table(
    "web_sessions", metadata,
    Column("token_hash", String(64), primary_key=True),  # sha256 of the cookie value; the cookie itself is never stored
    Column("scope", String(16), nullable=False),
    Column("key_id", String(32), nullable=False),  # the key signed in with (sessions end when it is revoked)
    Column("csrf", String(64), nullable=False),  # the form token of this session
    Column("created_at", String(32), nullable=False),
    Column("expires_at", String(32), nullable=False),  # slides forward with use
    Index("web_sessions_expiry", "expires_at"),
)


def now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def open_database(url: str) -> Engine:
    """An engine with the tables created. SQLite gets WAL (readers never wait for the writer), full
    sync (a committed write survives a crash) and enforced foreign keys."""
    kwargs: dict[str, Any] = {"future": True}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _pragmas(conn: Any, _: Any) -> None:
            cur = conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

    metadata.create_all(engine)
    _add_missing_columns(engine)
    return engine


def _add_missing_columns(engine: Engine) -> None:
    """Columns added to a table after a database was created (all nullable): added in place, so an
    existing records database keeps working after an upgrade."""
    from sqlalchemy import inspect
    from sqlalchemy.schema import CreateColumn

    inspector = inspect(engine)
    with engine.begin() as conn:
        for table in metadata.sorted_tables:
            present = {c["name"] for c in inspector.get_columns(table.name)}
            for column in table.columns:
                if column.name not in present and column.nullable:
                    ddl = CreateColumn(column).compile(dialect=engine.dialect)
                    conn.exec_driver_sql(f"ALTER TABLE {table.name} ADD COLUMN {ddl}")
