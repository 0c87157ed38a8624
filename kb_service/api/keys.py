"""API keys and scopes.

Scopes, from the least to the most trusted: `widget` (answer and feedback only: the key
sits in public web pages), `agent` (search, suggest, read articles, triage, ticket records, translation),
`writer` (agent's rights plus article writes, drafts and reports), `admin` (everything,
including ingest and key management).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Scope = Literal["widget", "agent", "writer", "admin"]
SCOPES: tuple[Scope, ...] = ("widget", "agent", "writer", "admin")

_WIDGET = {"answer", "feedback", "languages"}
_AGENT = _WIDGET | {"search", "suggest", "articles:read", "triage", "tickets", "translate"}
_WRITER = _AGENT | {"articles:write", "drafts", "reports"}
GRANTS: dict[Scope, frozenset[str]] = {
    "widget": frozenset(_WIDGET),
    "agent": frozenset(_AGENT),
    "writer": frozenset(_WRITER),
    "admin": frozenset(_WRITER | {"ingest", "admin"}),
}


class KeyConfigError(ValueError):
    pass


@dataclass(frozen=True)
class Principal:
    scope: Scope
    key_id: str  # a short hash of the key: names it in logs and the audit trail, reveals none of it

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


class KeyRing:
    def __init__(self, keys: dict[str, Scope]) -> None:
        self._keys = [(k.encode(), s) for k, s in keys.items()]

    def __len__(self) -> int:
        return len(self._keys)

    def lookup(self, presented: str) -> Principal | None:
        """Constant-time comparison against every key, so timing tells nothing about near misses."""
        raw = presented.encode()
        found: Principal | None = None
        for key, scope in self._keys:
            if hmac.compare_digest(key, raw):
                found = Principal(scope, "k" + hashlib.sha256(raw).hexdigest()[:8])
        return found
