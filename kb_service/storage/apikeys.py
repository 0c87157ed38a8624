"""API keys an admin manages through `/v1/keys`: created, listed and revoked without a restart.

A key reads `kb_<scope>_<id>_<secret>`. The id (8 hex characters) is public: listings, logs and
the audit trail name a key by it. Only the SHA-256 of the whole key is stored (the secret part has
256 bits of randomness, so a fast hash is as safe as a slow one and costs nothing per request);
a presented key is found by its id and its hash compared in constant time. Revocation takes effect
on the next request: every check reads the table.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import Engine, insert, select, update

from kb_service.storage.database import api_keys, now_iso

_KEY = re.compile(r"^kb_(widget|agent|writer|admin)_([0-9a-f]{8})_[A-Za-z0-9_-]{20,}$")


@dataclass(frozen=True)
class ManagedKey:
    id: str
    scope: str
    name: str
    origins: tuple[str, ...]
    created_at: str
    created_by: str | None
    revoked_at: str | None

    @property
    def prefix(self) -> str:
        """How the key starts: enough to recognise it, nothing to use it with."""
        return f"kb_{self.scope}_{self.id}_"


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _row(r: object) -> ManagedKey:
    m = r._mapping  # type: ignore[attr-defined]
    return ManagedKey(m["id"], m["scope"], m["name"], tuple(json.loads(m["origins"] or "[]")), m["created_at"],
                      m["created_by"], m["revoked_at"])


class ApiKeyStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def create(self, scope: str, name: str, origins: list[str], actor: str | None) -> tuple[ManagedKey, str]:
        """A new key: (its record, the key itself, which is shown once and never stored)."""
        while True:
            key_id = secrets.token_hex(4)
            key = f"kb_{scope}_{key_id}_{secrets.token_urlsafe(32)}"
            with self._engine.begin() as conn:
                if conn.execute(select(api_keys.c.id).where(api_keys.c.id == key_id)).first():
                    continue  # 1 in 4 billion: draw again
                conn.execute(insert(api_keys).values(
                    id=key_id, hash=_hash(key), scope=scope, name=name, origins=json.dumps(origins),
                    created_at=now_iso(), created_by=actor,
                ))
            record = self.get(key_id)
            assert record is not None
            return record, key

    def get(self, key_id: str) -> ManagedKey | None:
        with self._engine.connect() as conn:
            r = conn.execute(select(api_keys).where(api_keys.c.id == key_id)).first()
        return _row(r) if r else None

    def list(self, include_revoked: bool = False) -> list[ManagedKey]:
        q = select(api_keys).order_by(api_keys.c.created_at, api_keys.c.id)
        if not include_revoked:
            q = q.where(api_keys.c.revoked_at.is_(None))
        with self._engine.connect() as conn:
            return [_row(r) for r in conn.execute(q)]

    def revoke(self, key_id: str, actor: str | None) -> ManagedKey | None:
        """Revoke a key (idempotent: revoking a revoked key keeps its first revocation)."""
        with self._engine.begin() as conn:
            conn.execute(update(api_keys).where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
                         .values(revoked_at=now_iso(), revoked_by=actor))
        return self.get(key_id)

    def lookup(self, presented: str) -> ManagedKey | None:
        """The live key `presented` is, or None. The stored hash is compared in constant time."""
        m = _KEY.match(presented)
        if not m:
            return None
        with self._engine.connect() as conn:
            r = conn.execute(select(api_keys).where(api_keys.c.id == m.group(2))).first()
        if r is None:
            return None
        stored = r._mapping["hash"]
        if not hmac.compare_digest(stored.encode(), _hash(presented).encode()):
            return None
        record = _row(r)
        if record.revoked_at is not None or record.scope != m.group(1):
            return None
        return record

    def widget_origins(self) -> set[str]:
        """Every origin some live widget key lists."""
        q = select(api_keys.c.origins).where(api_keys.c.scope == "widget", api_keys.c.revoked_at.is_(None))
        with self._engine.connect() as conn:
            return {o for (raw,) in conn.execute(q) for o in json.loads(raw or "[]")}
