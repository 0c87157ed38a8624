"""Administration: POST /v1/admin/backup, a consistent backup of the running service's data directory.

The service holds the embedded store, so `kb backup` asks it (through service.json) instead of
opening the data directory itself. The archive is written only to `<data_dir>/backups/`, under a
name the service makes up or a bare file name the caller gives (no folders, no '..'): the API never
writes anywhere a caller chooses. The response names the archive relative to the data directory;
`kb backup --out` then moves it where the operator wants it. Admin keys only.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from kb_service.api.deps import KBDep, SettingsDep, require
from kb_service.storage.backup import BACKUPS_DIR, BackupError, create_backup, default_archive_name

router = APIRouter(tags=["admin"])


class BackupIn(BaseModel):
    name: str | None = Field(
        None, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,150}\.tar\.gz$",
        description="File name of the archive in <data_dir>/backups/ (a bare name ending in .tar.gz); "
        "default kb-backup-<UTC time>.tar.gz.",
    )
    include_models: bool = Field(False, description="Also archive the prepared embedding models (large).")


class BackupOut(BaseModel):
    archive: str = Field(description="The archive's path relative to the data directory (backups/<name>).")
    bytes: int = Field(description="Size of the archive.")
    files: int = Field(description="Files in the archive.")
    data_bytes: int = Field(description="Their total size before compression.")
    created_at: str
    counts: dict[str, int] = Field(description="Sources, points, drafts, search-log rows and more, as archived.")
    notes: list[str] = Field(description="What is not in the archive and why (an external records database, ...).")
    seconds: float


@router.post("/v1/admin/backup", response_model=BackupOut, dependencies=[Depends(require("admin"))])
async def backup(kb: KBDep, settings: SettingsDep, body: BackupIn | None = None) -> BackupOut:
    """Back up the data directory into `<data_dir>/backups/` under the knowledge base's write lock
    (ingests and article writes wait; searches and answers go on)."""
    body = body or BackupIn()
    folder = settings.data_dir / BACKUPS_DIR
    folder.mkdir(mode=0o700, exist_ok=True)
    name = body.name or default_archive_name()
    if (folder / name).exists():
        raise HTTPException(409, f"a backup named {name} already exists; give another name")
    try:
        m = await run_in_threadpool(create_backup, settings, folder / name, body.include_models, kb)
    except BackupError as exc:
        raise HTTPException(409, str(exc)) from exc
    return BackupOut(
        archive=f"{BACKUPS_DIR}/{name}", bytes=m.archive_bytes, files=len(m.files), data_bytes=m.total_bytes,
        created_at=m.created_at, counts=m.counts, notes=m.notes, seconds=round(m.seconds, 2),
    )
