"""Tickets as records, their customers, and agents' classification corrections (SQLite).

Ticket text is stored redacted: the caller redacts before `put`. Each ticket keeps the embedding
of its text, so repeat detection ("three tickets from this customer on the same issue") and the
correction memory compare meanings without re-embedding history.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from kb_service.storage.sqlite import open_db

OPEN_STATUSES = ("new", "open", "pending", "on_hold")
RESOLVED_STATUSES = ("solved", "closed")
STATUSES = OPEN_STATUSES + RESOLVED_STATUSES
LABEL_FIELDS = ("category", "subcategory", "priority", "team")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS customers (
    id                TEXT PRIMARY KEY,
    tier              TEXT,
    arr               REAL,
    renewal_date      TEXT,
    executive_contact INTEGER NOT NULL DEFAULT 0,
    updated_at        TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS tickets (
    id          TEXT PRIMARY KEY,
    customer_id TEXT,
    record      TEXT NOT NULL,
    vector      BLOB,
    created     TEXT NOT NULL,
    status      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS tickets_customer ON tickets(customer_id, created);
CREATE TABLE IF NOT EXISTS corrections (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id  TEXT,
    field      TEXT NOT NULL,
    label      TEXT NOT NULL,
    previous   TEXT,
    text       TEXT NOT NULL,
    vector     BLOB NOT NULL,
    agent      TEXT,
    created_at TEXT NOT NULL
);
"""


class TicketExists(ValueError):
    def __init__(self, ticket_id: str) -> None:
        super().__init__(f"ticket {ticket_id!r} exists")
        self.ticket_id = ticket_id


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass
class Customer:
    id: str
    tier: str | None = None
    arr: float | None = None
    renewal_date: str | None = None  # ISO date
    executive_contact: bool = False


@dataclass
class TicketRecord:
    id: str
    subject: str
    body: str  # redacted
    created: str  # ISO 8601 with time zone
    status: str = "new"
    customer_id: str | None = None
    channel: str | None = None
    language: str | None = None
    labels: dict[str, str] = field(default_factory=dict)  # field -> label, set by agents (training data)
    predicted: dict[str, str] = field(default_factory=dict)  # field -> label the classifier gave
    resolution: str | None = None  # redacted
    first_response_at: str | None = None
    updated_at: str = field(default_factory=now_iso)
    # the auto-response sent and what the customer said to it (state, article, reply, follow-ups)
    auto_response: dict[str, Any] | None = None

    @property
    def text(self) -> str:
        return f"{self.subject}\n\n{self.body}".strip()


@dataclass
class Correction:
    id: int
    ticket_id: str | None
    field: str
    label: str
    previous: str | None
    text: str
    vector: np.ndarray
    agent: str | None
    created_at: str


class TicketStore:
    def __init__(self, path: Path) -> None:
        self._conn = open_db(path, _SCHEMA)
        self._lock = threading.RLock()

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # --- customers ---------------------------------------------------------
    def get_customer(self, customer_id: str) -> Customer | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT id, tier, arr, renewal_date, executive_contact FROM customers WHERE id = ?", (customer_id,)
            ).fetchone()
        return Customer(row[0], row[1], row[2], row[3], bool(row[4])) if row else None

    def put_customer(self, c: Customer) -> None:
        with self._lock:
            self._conn.execute(
                "INSERT OR REPLACE INTO customers (id, tier, arr, renewal_date, executive_contact, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (c.id, c.tier, c.arr, c.renewal_date, int(c.executive_contact), now_iso()),
            )

    # --- tickets -----------------------------------------------------------
    @staticmethod
    def _record(record_json: str) -> TicketRecord:
        return TicketRecord(**json.loads(record_json))

    def get(self, ticket_id: str) -> TicketRecord | None:
        with self._lock:
            row = self._conn.execute("SELECT record FROM tickets WHERE id = ?", (ticket_id,)).fetchone()
        return self._record(row[0]) if row else None

    def vector(self, ticket_id: str) -> np.ndarray | None:
        with self._lock:
            row = self._conn.execute("SELECT vector FROM tickets WHERE id = ?", (ticket_id,)).fetchone()
        return np.frombuffer(row[0], dtype=np.float32) if row and row[0] is not None else None

    def put(self, t: TicketRecord, vector: np.ndarray | None, customer: Customer | None = None, create: bool = False) -> None:
        """Insert (`create`: fails with `TicketExists` if the id is taken) or replace a ticket, and its
        customer's context, in one transaction."""
        blob = None if vector is None else np.asarray(vector, dtype=np.float32).tobytes()
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                if customer is not None:
                    self._conn.execute(
                        "INSERT OR REPLACE INTO customers (id, tier, arr, renewal_date, executive_contact, updated_at) "
                        "VALUES (?, ?, ?, ?, ?, ?)",
                        (customer.id, customer.tier, customer.arr, customer.renewal_date,
                         int(customer.executive_contact), now_iso()),
                    )
                verb = "INSERT" if create else "INSERT OR REPLACE"
                try:
                    self._conn.execute(
                        f"{verb} INTO tickets (id, customer_id, record, vector, created, status) VALUES (?, ?, ?, ?, ?, ?)",
                        (t.id, t.customer_id, json.dumps(asdict(t), ensure_ascii=False), blob, t.created, t.status),
                    )
                except sqlite3.IntegrityError as exc:
                    raise TicketExists(t.id) from exc
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise

    def erase_customer(self, customer_id: str) -> tuple[list["TicketRecord"], int, bool]:
        """Delete a customer's tickets, the corrections made on them and the customer's context, in one
        transaction: (the tickets as they were, corrections deleted, customer row deleted)."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                rows = self._conn.execute("SELECT id, record FROM tickets WHERE customer_id = ?", (customer_id,)).fetchall()
                ids = [r[0] for r in rows]
                corrections = 0
                for start in range(0, len(ids), 500):
                    part = ids[start : start + 500]
                    marks = ",".join("?" * len(part))
                    corrections += self._conn.execute(f"DELETE FROM corrections WHERE ticket_id IN ({marks})", part).rowcount
                    self._conn.execute(f"DELETE FROM tickets WHERE id IN ({marks})", part)
                customer = self._conn.execute("DELETE FROM customers WHERE id = ?", (customer_id,)).rowcount > 0
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
        return [self._record(r[1]) for r in rows], corrections, customer

    def exists(self, ticket_id: str) -> bool:
        with self._lock:
            return self._conn.execute("SELECT 1 FROM tickets WHERE id = ?", (ticket_id,)).fetchone() is not None

    def list(self, status: str | None = None, customer_id: str | None = None, limit: int = 50, offset: int = 0) -> tuple[list[TicketRecord], int]:
        where, args = [], []
        if status:
            where.append("status = ?")
            args.append(status)
        if customer_id:
            where.append("customer_id = ?")
            args.append(customer_id)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        with self._lock:
            total = self._conn.execute(f"SELECT COUNT(*) FROM tickets {clause}", args).fetchone()[0]
            rows = self._conn.execute(
                f"SELECT record FROM tickets {clause} ORDER BY created DESC, id LIMIT ? OFFSET ?", [*args, limit, offset]
            ).fetchall()
        return [self._record(r[0]) for r in rows], int(total)

    def customer_history(self, customer_id: str, since: str) -> list[tuple[TicketRecord, np.ndarray]]:
        """The customer's tickets created at or after `since` (ISO), with their vectors."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT record, vector FROM tickets WHERE customer_id = ? AND created >= ? AND vector IS NOT NULL "
                "ORDER BY created",
                (customer_id, since),
            ).fetchall()
        return [(self._record(r), np.frombuffer(v, dtype=np.float32)) for r, v in rows]

    def labelled(self) -> Iterator[tuple[TicketRecord, np.ndarray | None]]:
        """Every ticket with at least one label, for training."""
        with self._lock:
            rows = self._conn.execute("SELECT record, vector FROM tickets ORDER BY id").fetchall()
        for r, v in rows:
            rec = self._record(r)
            if rec.labels:
                yield rec, (np.frombuffer(v, dtype=np.float32) if v is not None else None)

    def count(self) -> int:
        with self._lock:
            return int(self._conn.execute("SELECT COUNT(*) FROM tickets").fetchone()[0])

    # --- corrections ---------------------------------------------------------
    def add_correction(
        self, field: str, label: str, previous: str | None, text: str, vector: np.ndarray,
        ticket: TicketRecord | None = None, agent: str | None = None,
    ) -> int:
        """Record a correction and, for a stored ticket, set its label, in one transaction."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                cur = self._conn.execute(
                    "INSERT INTO corrections (ticket_id, field, label, previous, text, vector, agent, created_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (ticket.id if ticket else None, field, label, previous, text,
                     np.asarray(vector, dtype=np.float32).tobytes(), agent, now_iso()),
                )
                if ticket is not None:
                    ticket.labels[field] = label
                    ticket.updated_at = now_iso()
                    self._conn.execute(
                        "UPDATE tickets SET record = ? WHERE id = ?", (json.dumps(asdict(ticket), ensure_ascii=False), ticket.id)
                    )
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
        return int(cur.lastrowid or 0)

    def corrections(self) -> list[Correction]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT id, ticket_id, field, label, previous, text, vector, agent, created_at FROM corrections ORDER BY id"
            ).fetchall()
        return [Correction(r[0], r[1], r[2], r[3], r[4], r[5], np.frombuffer(r[6], dtype=np.float32), r[7], r[8]) for r in rows]

    def status_counts(self) -> dict[str, Any]:
        with self._lock:
            rows = self._conn.execute("SELECT status, COUNT(*) FROM tickets GROUP BY status").fetchall()
        return {s: n for s, n in rows}
