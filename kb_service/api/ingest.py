"""POST /v1/ingest: upload help-centre pages, Markdown or ticket exports (admin only).

All or nothing: if any uploaded file is malformed, nothing is indexed and the answer
names each bad file and what is wrong with it.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, File, HTTPException, UploadFile

from ingest.loader import load_path
from kb_service.api.deps import KBDep, SettingsDep, require
from kb_service.api.schemas import IngestOut

router = APIRouter(tags=["ingest"])
ALLOWED = {".html", ".htm", ".md", ".markdown", ".json", ".jsonl", ".csv"}


_EXCEPTION = re.compile(r"\((?:RecursionError: [^)]*|[A-Z][A-Za-z]*(?:Error|Exception|Warning): )")


def _upload_error(folder: str, file: str, message: str) -> str:
    """'name: what is wrong', as the loader says it, without the temporary folder the upload was parsed
    in nor the name of the exception behind it (error bodies name no file of the service's, nor a class)."""
    name = Path(file).name
    message = message.replace(f"{folder}/", "").replace(folder, "")
    message = _EXCEPTION.sub(lambda m: "(nested too deeply" if m.group(0).startswith("(Recursion") else "(", message)
    return message if message.startswith(f"{name}: ") else f"{name}: {message}"


def _safe_name(name: str) -> str:
    base = Path(name or "upload").name.lstrip(".")  # a leading dot would make the loader skip it as hidden
    return re.sub(r"[^A-Za-z0-9._-]", "_", base)[:120] or "upload"


@router.post("/v1/ingest", response_model=IngestOut, dependencies=[Depends(require("ingest"))])
def ingest_upload(files: Annotated[list[UploadFile], File(description="HTML, Markdown, JSON, JSONL or CSV files.")], kb: KBDep, settings: SettingsDep) -> IngestOut:
    if not files:
        raise HTTPException(422, "no files uploaded")
    with tempfile.TemporaryDirectory(prefix="kb-upload-") as tmp:
        names: set[str] = set()
        total = 0
        for upload in files:
            name = _safe_name(upload.filename or "")
            if Path(name).suffix.lower() not in ALLOWED:
                raise HTTPException(415, f"{upload.filename!r}: unsupported file type; upload one of {', '.join(sorted(ALLOWED))}")
            if name in names:
                raise HTTPException(422, f"{upload.filename!r} is uploaded twice")
            names.add(name)
            data = upload.file.read(settings.max_upload_bytes + 1)  # sync route: runs in the threadpool
            total += len(data)
            if len(data) > settings.max_upload_bytes or total > settings.max_upload_bytes:
                raise HTTPException(413, f"uploads are limited to {settings.max_upload_bytes} bytes in all (KB_MAX_UPLOAD_BYTES)")
            (Path(tmp) / name).write_bytes(data)
        result = load_path(Path(tmp), kb.redactor)
        if result.errors:
            folder = str(Path(tmp).resolve())
            detail = "; ".join(_upload_error(folder, f, msg.replace(tmp, folder)) for f, msg in result.errors)
            raise HTTPException(422, f"nothing was ingested: {detail}")
        for doc in result.documents:
            doc.origin = "upload:" + Path(doc.origin or "").name
        summary = kb.put_documents(result.documents)
    return IngestOut(
        added=summary.added, updated=summary.updated, unchanged=summary.unchanged, removed=summary.removed,
        skipped=[list(s) for s in result.skipped], chunks_embedded=summary.chunks_embedded,
    )
