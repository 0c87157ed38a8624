"""API keys and scopes.

Scopes, from the least to the most trusted: `widget` (answer and feedback only: the key
sits in public web pages, and is bound to the web origins allowed to use it), `agent` (search,
suggest, read articles, languages, triage, ticket records, translation), `writer` (agent's rights
plus article writes, drafts and reports), `admin` (everything, including ingest, key management,
erasure and backups).

Two kinds of keys: bootstrap keys from `KB_API_KEYS` (or the admin key the service makes in the
data directory), and keys an admin manages through `/v1/keys` (kb_service/storage/apikeys.py).
Both are compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

Scope = Literal["widget", "agent", "writer", "admin"]
SCOPES: tuple[Scope, ...] = ("widget", "agent", "writer", "admin")

_WIDGET = {"answer", "feedback"}
_AGENT = _WIDGET | {"languages", "search", "suggest", "articles:read", "triage", "tickets", "translate"}
_WRITER = _AGENT | {"articles:write", "drafts", "reports"}
GRANTS: dict[Scope, frozenset[str]] = {
    "widget": frozenset(_WIDGET),
    "agent": frozenset(_AGENT),
    "writer": frozenset(_WRITER),
    "admin": frozenset(_WRITER | {"ingest", "admin"}),
}


class KeyConfigError(ValueError):
    pass


ANY_ORIGIN = "*"
ORIGINS_TTL = 5.0  # seconds a read of the managed widget keys' origins is used for


def normalise_origin(origin: str) -> str | None:
    """'HTTPS://Help.Example.com/' -> 'https://help.example.com'; None when it is not an origin."""
    m = re.match(r"^(https?)://([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:\d{1,5})?/?$", origin.strip())
    if not m:
        return None
    scheme, host, port = m.group(1).lower(), m.group(2).lower(), m.group(3) or ""
    if (scheme, port) in (("http", ":80"), ("https", ":443")):
        port = ""
    return f"{scheme}://{host}{port}"


@dataclass(frozen=True)
class Principal:
    scope: Scope
    key_id: str  # names the key in logs and the audit trail, reveals none of it
    origins: tuple[str, ...] = ()  # widget keys: the web origins whose pages may use the key
    own_pages_only: bool = False  # the demo page's key: only from the service's own pages, never without an Origin

    def origin_allowed(self, origin: str | None, own_origin: str | None) -> bool:
        """May a browser page at `origin` use this key? Non-browser callers send no Origin; pages the
        service serves itself are its own origin. Only widget keys are bound to origins: other keys
        get no CORS headers at all, so a browser keeps other sites from reading their answers."""
        if self.own_pages_only:
            return origin is not None and normalise_origin(origin) == own_origin
        if origin is None or self.scope != "widget":
            return True
        normal = normalise_origin(origin)
        if normal is None:
            return False
        return normal == own_origin or ANY_ORIGIN in self.origins or normal in self.origins

    @property
    def actor(self) -> str:
        """How the key is named in the audit trail and the search log."""
        return f"{self.scope}:{self.key_id}"

    def can(self, permission: str) -> bool:
        return permission in GRANTS[self.scope]


def parse_keys(spec: str) -> dict[str, Scope]:
    """Parse `KB_API_KEYS` ('key:scope,key2:scope2')."""
    keys: dict[str, Scope] = {}
    for item in (p.strip() for p in spec.split(",")):
        if not item:
            continue
        key, sep, scope = item.rpartition(":")
        if not sep or not key:
            raise KeyConfigError(f"KB_API_KEYS entry {item!r} is not 'key:scope'")
        if scope not in SCOPES:
            raise KeyConfigError(f"KB_API_KEYS entry for key {key[:4]}…: unknown scope {scope!r}; use one of {', '.join(SCOPES)}")
        if len(key) < 8:
            raise KeyConfigError(f"KB_API_KEYS: key {key[:4]}… is shorter than 8 characters")
        keys[key] = scope  # type: ignore[assignment]
    return keys


def ensure_admin_key(path: Path) -> tuple[str, bool]:
    """The bootstrap admin key kept in the data directory; created (mode 0600) when missing."""
    if path.is_file():
        key = path.read_text().strip()
        if key:
            return key, False
    path.parent.mkdir(parents=True, exist_ok=True)
    key = "kb_admin_" + secrets.token_urlsafe(24)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(key + "\n")
    return key, True


def parse_origins(spec: str) -> tuple[str, ...]:
    """`KB_WIDGET_ORIGINS` ('https://help.example.com, https://example.com' or '*')."""
    out: list[str] = []
    for item in (p.strip() for p in spec.split(",")):
        if not item:
            continue
        normal = ANY_ORIGIN if item == ANY_ORIGIN else normalise_origin(item)
        if normal is None:
            raise KeyConfigError(f"KB_WIDGET_ORIGINS entry {item!r} is not a web origin like https://help.example.com")
        out.append(normal)
    return tuple(out)


def _bootstrap_id(key: bytes) -> str:
    """How logs and the audit trail name a bootstrap key: a short hash, nothing to use it with."""
    return "k" + hashlib.sha256(key).hexdigest()[:8]


class KeyRing:
    """The bootstrap keys, and (once the knowledge base is open) the managed ones."""

    def __init__(self, keys: dict[str, Scope], widget_origins: tuple[str, ...] = (), store: Any = None) -> None:
        # (key, scope, origins of a widget key, its public id); origins None: those of KB_WIDGET_ORIGINS,
        # (): the service's own pages only
        self._keys: list[tuple[bytes, Scope, tuple[str, ...] | None, str]] = [
            (k.encode(), s, None, _bootstrap_id(k.encode())) for k, s in keys.items()
        ]
        self.widget_origins = widget_origins  # what bootstrap widget keys may be used from
        self.store = store  # kb_service.storage.apikeys.ApiKeyStore
        self._listed: tuple[float, frozenset[str]] | None = None  # (read at, the managed widget keys' origins)

    def __len__(self) -> int:
        return len(self._keys)

    def lookup(self, presented: str) -> Principal | None:
        """Constant-time comparison against every bootstrap key, so timing tells nothing about near
        misses; then the managed keys (found by their public id, their hash compared in constant time)."""
        raw = presented.encode()
        found: Principal | None = None
        for key, scope, own, key_id in self._keys:
            if hmac.compare_digest(key, raw):
                origins = (self.widget_origins if own is None else own) if scope == "widget" else ()
                found = Principal(scope, key_id, origins, own_pages_only=own == ())
        if found is None and self.store is not None:
            managed = self.store.lookup(presented)
            if managed is not None:
                found = Principal(managed.scope, managed.id, managed.origins)
        return found

    def still_valid(self, scope: str, key_id: str) -> bool:
        """Is the key a principal was made from still live (not revoked, still configured)? Web sessions
        ask on every request, so revoking a key signs its sessions out."""
        if any(key_scope == scope and bootstrap_id == key_id for _, key_scope, _, bootstrap_id in self._keys):
            return True
        if self.store is None:
            return False
        managed = self.store.get(key_id)
        return managed is not None and managed.revoked_at is None and managed.scope == scope

    def add_bootstrap(self, key: str, scope: Scope, origins: tuple[str, ...] = ()) -> None:
        """A key the service made for itself (the demo page's widget key: with no origins, usable from
        the service's own pages only, whatever KB_WIDGET_ORIGINS says, and not without an Origin)."""
        if all(not hmac.compare_digest(k, key.encode()) for k, _, _, _ in self._keys):
            self._keys.append((key.encode(), scope, origins, _bootstrap_id(key.encode())))

    def origin_listed(self, origin: str) -> bool:
        """Does any widget key list this origin? (Decides whether another site may read an answer.)
        The managed keys' origins are read at most every ORIGINS_TTL seconds, and at once after a key
        is made or revoked here (`forget_origins`): the middleware asks on every widget request."""
        if ANY_ORIGIN in self.widget_origins or origin in self.widget_origins:
            return True
        if self.store is None:
            return False
        now = time.monotonic()
        if self._listed is None or now - self._listed[0] > ORIGINS_TTL:
            self._listed = (now, frozenset(self.store.widget_origins()))
        listed = self._listed[1]
        return ANY_ORIGIN in listed or origin in listed

    def forget_origins(self) -> None:
        self._listed = None
