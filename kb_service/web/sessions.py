"""Sign-in for the web pages: a writer (or admin) key is exchanged once for a session cookie.

The cookie is random (256 bits), HttpOnly, SameSite=Lax, Secure over https, and only its SHA-256
is stored, in the records database with the key's id. After sign-in no key is in any page. A session
lasts `KB_SESSION_HOURS` since its last use (the cookie has no expiry of its own: the server decides)
and ends at sign-out, at a new sign-in from the same browser, or when its key is revoked. Every form
carries the session's CSRF token and is checked for its origin; GET pages change nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import Engine, delete, insert, select, update

from kb_service.api.keys import GRANTS, Principal, Scope
from kb_service.storage.database import web_sessions

COOKIE = "kb_session"
SECURE_COOKIE = "__Host-kb_session"  # over https


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class WebSession:
    scope: Scope
    key_id: str
    csrf: str
    expires_at: str

    @property
    def principal(self) -> Principal:
        return Principal(self.scope, self.key_id)

    @property
    def actor(self) -> str:
        """As the audit trail names the key the writer signed in with."""
        return self.principal.actor

    def can(self, permission: str) -> bool:
        return permission in GRANTS[self.scope]

    def csrf_ok(self, presented: str | None) -> bool:
        return bool(presented) and hmac.compare_digest(self.csrf.encode(), (presented or "").encode())


class SessionStore:
    def __init__(self, engine: Engine, hours: float) -> None:
        self._engine = engine
        self._ttl = timedelta(hours=hours)

    def create(self, principal: Principal) -> tuple[str, WebSession]:
        """A new session for the key: (the cookie value, shown to the browser only, the session)."""
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
        now = datetime.now(timezone.utc)
        with self._engine.begin() as conn:
            conn.execute(delete(web_sessions).where(web_sessions.c.expires_at < _iso(now)))
            conn.execute(insert(web_sessions).values(
                token_hash=_hash(token), scope=principal.scope, key_id=principal.key_id, csrf=csrf,
                created_at=_iso(now), expires_at=_iso(now + self._ttl),
            ))
        return token, WebSession(principal.scope, principal.key_id, csrf, _iso(now + self._ttl))

    def get(self, token: str | None) -> WebSession | None:
        """The live session of a cookie value (its expiry slides forward), or None."""
        if not token or len(token) > 200:
            return None
        now = datetime.now(timezone.utc)
        h = _hash(token)
        with self._engine.begin() as conn:
            r = conn.execute(select(web_sessions).where(web_sessions.c.token_hash == h)).first()
            if r is None:
                return None
            m = r._mapping
            if m["expires_at"] < _iso(now):
                conn.execute(delete(web_sessions).where(web_sessions.c.token_hash == h))
                return None
            expires = _iso(now + self._ttl)
            if expires[:16] != m["expires_at"][:16]:  # at most one write a minute per session
                conn.execute(update(web_sessions).where(web_sessions.c.token_hash == h).values(expires_at=expires))
        return WebSession(m["scope"], m["key_id"], m["csrf"], expires)

    def end(self, token: str | None) -> None:
        if token:
            with self._engine.begin() as conn:
                conn.execute(delete(web_sessions).where(web_sessions.c.token_hash == _hash(token)))
