"""/v1/keys: an admin creates, lists and revokes API keys while the service runs.

The key itself is returned once, by the request that creates it; listings show its prefix only.
A widget key must name the web origins whose pages may use it (or '*', on purpose).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path as PathParam, Request
from sqlalchemy import delete
from pydantic import BaseModel, Field, field_validator

from kb_service.api.deps import KBDep, require
from kb_service.api.errors import ApiError
from kb_service.api.keys import ANY_ORIGIN, SCOPES, Principal, normalise_origin
from kb_service.api.schemas import Strict
from kb_service.storage.apikeys import ManagedKey
from kb_service.storage.database import web_sessions
from kb_service.storage.history import write_audit

router = APIRouter(tags=["keys"])
# Documented in the schema, checked by the route (whose 422 says what a key id looks like).
KeyId = Annotated[str, PathParam(description="The key's public id: 8 hexadecimal characters.",
                                 json_schema_extra={"pattern": "^[0-9a-f]{8}$"})]


class KeyIn(Strict):
    scope: Literal["widget", "agent", "writer", "admin"]
    name: str = Field(min_length=1, max_length=200, description="What the key is for: 'help-centre widget', 'Zendesk app'.")
    origins: list[str] = Field(
        default_factory=list, max_length=50, description="Widget keys only (and required for them): the web origins "
        "whose pages may use the key, e.g. https://help.example.com; '*' allows any site.",
    )

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not v.strip() or any(ord(c) < 32 for c in v):
            raise ValueError("give a name of printable characters")
        return v.strip()

    @field_validator("origins")
    @classmethod
    def _origins(cls, v: list[str]) -> list[str]:
        out: list[str] = []
        for item in v:
            normal = ANY_ORIGIN if item.strip() == ANY_ORIGIN else normalise_origin(item)
            if normal is None:
                raise ValueError(f"{item!r} is not a web origin like https://help.example.com (scheme and host, no path)")
            if normal not in out:
                out.append(normal)
        return out


class KeyOut(BaseModel):
    id: str = Field(description="The key's public id: names it in listings, logs and the audit trail.")
    prefix: str = Field(description="How the key starts: enough to recognise it, nothing to use it with.")
    scope: str
    name: str
    origins: list[str]
    created_at: str
    created_by: str | None
    revoked_at: str | None


class CreatedKeyOut(KeyOut):
    key: str = Field(description="The key itself. Shown this once: only its hash is stored.")


class KeyListOut(BaseModel):
    keys: list[KeyOut]


def _out(k: ManagedKey) -> KeyOut:
    return KeyOut(id=k.id, prefix=k.prefix, scope=k.scope, name=k.name, origins=list(k.origins),
                  created_at=k.created_at, created_by=k.created_by, revoked_at=k.revoked_at)


@router.post("/v1/keys", response_model=CreatedKeyOut, status_code=201)
def create_key(body: KeyIn, kb: KBDep, request: Request, who: Principal = Depends(require("admin"))) -> CreatedKeyOut:
    """Create a key. It works at once, without a restart; the response is the only time it is shown."""
    if body.scope == "widget" and not body.origins:
        raise ApiError(422, "a widget key needs the web origins allowed to use it (or '*' for any site)", field="origins")
    if body.scope != "widget" and body.origins:
        raise ApiError(422, "only widget keys are bound to web origins; other keys are not for web pages", field="origins")
    assert body.scope in SCOPES
    record, key = kb.api_keys.create(body.scope, body.name, body.origins, who.actor)
    request.app.state.keys.forget_origins()  # its origins may read answers at once
    with kb.database.begin() as conn:
        write_audit(conn, who.actor, "create_key", "key", record.id,
                    {"scope": record.scope, "name": record.name, "origins": list(record.origins)})
    return CreatedKeyOut(**_out(record).model_dump(), key=key)


@router.get("/v1/keys", response_model=KeyListOut)
def list_keys(kb: KBDep, include_revoked: bool = False, _: Principal = Depends(require("admin"))) -> KeyListOut:
    """The managed keys (prefixes only; bootstrap keys from KB_API_KEYS are not listed)."""
    return KeyListOut(keys=[_out(k) for k in kb.api_keys.list(include_revoked)])


@router.delete("/v1/keys/{key_id}", response_model=KeyOut)
def revoke_key(key_id: KeyId, kb: KBDep, request: Request, who: Principal = Depends(require("admin"))) -> KeyOut:
    """Revoke a key: the next request with it gets 401."""
    if not (len(key_id) == 8 and all(c in "0123456789abcdef" for c in key_id)):
        raise ApiError(422, "a key id is 8 hexadecimal characters (the part after kb_<scope>_)", field="key_id")
    before = kb.api_keys.get(key_id)
    if before is None:
        raise ApiError(404, f"no managed key with id {key_id!r}")
    record = kb.api_keys.revoke(key_id, who.actor)
    assert record is not None
    request.app.state.keys.forget_origins()
    with kb.database.begin() as conn:  # its desk sign-ins end now (each request also checks the key)
        conn.execute(delete(web_sessions).where(web_sessions.c.key_id == key_id))
    if before.revoked_at is None:
        with kb.database.begin() as conn:
            write_audit(conn, who.actor, "revoke_key", "key", key_id, {"scope": record.scope, "name": record.name})
    return _out(record)
