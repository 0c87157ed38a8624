"""`kb backup` and `kb restore` on a real knowledge base (part of the sample ingested into embedded
Qdrant, a draft, a search-log row, a glossary change, the embedding cache, an admin key): the
round trip is exact (every byte copy identical, every SQLite table the same rows, the same Qdrant
points, the same search results in English and German), and every refusal leaves the data alone:
a tampered archive, tar-slip members, a non-empty target without --force, a data directory in use.
Backups of a running service go through POST /v1/admin/backup."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
import socket
import sqlite3
import stat
import subprocess
import tarfile
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import pytest
from typer.testing import CliRunner

from kb_service.cli import app as cli_app
from kb_service.config import get_settings
from kb_service.knowledge import SAMPLE_DIR, KnowledgeBase
from kb_service.storage import backup as bk
from kb_service.storage.datadir_lock import DataDirLock
from tests.conftest import API_KEYS, MODELS_DIR, auth, make_settings

QUERIES = ["How do I reset my password?", "Wo finde ich meine Rechnungen?", "DATEV Export einrichten",
           "change the email address of my account"]
SIDE_FILES = ("-wal", "-shm", "-journal")


def sample_subset(dest: Path) -> Path:
    """Part of the shipped sample (Markdown and HTML articles in English, German and Spanish, six
    tickets): the whole sample takes minutes to embed on two shared cores."""
    (dest / "articles").mkdir(parents=True)
    for name in ("api-tokens", "break-rules-germany", "change-email-address", "refunds", "support-hours"):
        shutil.copy(SAMPLE_DIR / "articles" / "markdown" / f"{name}.md", dest / "articles")
    for name in ("reset-password", "download-invoices", "datev-export"):
        shutil.copy(SAMPLE_DIR / "articles" / "html" / f"{name}.html", dest / "articles")
    with (SAMPLE_DIR / "tickets" / "tickets.csv").open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        rows = [r for _, r in zip(range(6), reader)]
        fields = reader.fieldnames
    assert fields
    with (dest / "tickets.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fields)
        writer.writeheader()
        writer.writerows(rows)
    return dest


def search_top(kb: KnowledgeBase) -> dict[str, list[tuple[str, float]]]:
    return {q: [(h.source_id, h.score) for h in kb.searcher.search(q, 5).hits] for q in QUERIES}


def qdrant_points(kb: KnowledgeBase) -> dict[str, list[tuple[str, list[float], dict[str, Any]]]]:
    """Every point of both collections: id, vector, payload. (Read from a store opened from disk:
    embedded Qdrant keeps the vectors it was just given in float64 until it reloads them as float32.)"""
    client = kb.index._client
    out = {}
    for name in (kb.index.collection, kb.index._meta_collection):
        points, offset = [], None
        while True:
            batch, offset = client.scroll(name, limit=512, offset=offset, with_payload=True, with_vectors=True)
            points += [(str(p.id), list(p.vector), p.payload or {}) for p in batch]  # type: ignore[arg-type]
            if offset is None:
                break
        out[name] = sorted(points, key=lambda p: p[0])
    return out


def files_of(root: Path) -> dict[str, Path]:
    """The data files: what a backup must hold (lock files and SQLite's side files are not data)."""
    return {p.relative_to(root).as_posix(): p for p in sorted(root.rglob("*"))
            if p.is_file() and p.name != ".lock" and not p.name.endswith(SIDE_FILES)}


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def is_sqlite(path: Path) -> bool:
    return path.read_bytes()[:16] == b"SQLite format 3\x00"


def dump(path: Path) -> list[str]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def cli(args: list[str], data_dir: Path, **env: str) -> Any:
    """The real `kb` command in-process (typer's runner), with this data directory."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KB_DATA_DIR", str(data_dir))
        mp.setenv("KB_MODELS_DIR", str(MODELS_DIR))
        mp.setenv("KB_API_KEYS", API_KEYS)
        for k, v in env.items():
            mp.setenv(k, v)
        get_settings.cache_clear()
        try:
            result = CliRunner().invoke(cli_app, args)
        finally:
            get_settings.cache_clear()
    assert "Traceback" not in result.output, result.output
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


class Original:
    """The knowledge base backed up."""

    def __init__(self, data_dir: Path, draft_id: str, log_rows: int) -> None:
        self.data_dir, self.draft_id, self.log_rows = data_dir, draft_id, log_rows


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory) -> Original:
    from kb_service.api.keys import ensure_admin_key
    from kb_service.translation.glossary import Entry, Glossary

    root = tmp_path_factory.mktemp("backup-original")
    source = sample_subset(root / "sample")
    kb = KnowledgeBase(make_settings(root / "data"))
    try:
        summary = kb.ingest_paths([source])
        assert not summary.errors and summary.counts()["added"] == 14, summary.counts()
        kb.cached_embedder.embed_queries(["Passwort vergessen"])  # the embedding cache
        draft = kb.drafts.create("Reset a forgotten password", "en", "1. Click *Forgot password*.",
                                 {"citations": []}, ["ticket:C-2001"], None, "extractive", "writer:test")
        q = "Passwort vergessen, was tun?"
        r = kb.searcher.search(q, 5)
        assert kb.log_request("search", q, r.query_language, r.hits, None, "ktest", kb.searcher.embed_query(q)) is not None
        kb.glossaries.put(Glossary("backup-test", "Backup test", "en", "de", [Entry("timesheet", ("Stundenzettel",))]))
        log_rows = kb.search_log.count()
    finally:
        kb.close()
    ensure_admin_key(make_settings(root / "data").admin_key_path)
    return Original(root / "data", draft.id, log_rows)


@pytest.fixture(scope="module")
def archive(original: Original, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("archives") / "kb.tar.gz"
    before = {rel: sha(p) for rel, p in files_of(original.data_dir).items()}
    result = cli(["backup", "--out", str(out)], original.data_dir)
    assert result.exit_code == 0, result.output
    assert f"to {out}" in result.output and "sources" in result.output and "points" in result.output
    assert {rel: sha(p) for rel, p in files_of(original.data_dir).items()} == before  # a backup changes nothing
    assert stat.S_IMODE(out.stat().st_mode) == 0o600  # it holds the admin key
    return out


def manifest_of(archive: Path) -> dict[str, Any]:
    with tarfile.open(archive) as tar:
        first = tar.next()
        assert first is not None and first.name == "manifest.json"
        f = tar.extractfile(first)
        assert f is not None
        return json.load(f)  # type: ignore[no-any-return]


def test_round_trip_is_exact(original: Original, archive: Path, tmp_path: Path) -> None:
    manifest = manifest_of(archive)
    originals = files_of(original.data_dir)
    assert {f["path"] for f in manifest["files"]} == set(originals)  # every data file, nothing else
    assert {"kb.sqlite3", "records.sqlite3", "glossaries.sqlite3", "admin_key", "qdrant/meta.json",
            "cache/embeddings.sqlite3", "qdrant/collection/kb/storage.sqlite"} <= set(originals)
    counts = manifest["counts"]
    assert counts["drafts"] == 1 and counts["search_log_rows"] == original.log_rows == 1
    assert counts["points"] > counts["sources"] == counts["articles"] + counts["tickets"] == 14
    assert manifest["embedding_model"] == "multilingual-e5-small" and manifest["records_included"] is True

    target = tmp_path / "restored"
    result = cli(["restore", str(archive)], target)
    assert result.exit_code == 0, result.output
    assert f"restored {len(originals)} files" in result.output
    restored = files_of(target)
    assert set(restored) == set(originals)
    by_path = {f["path"]: f for f in manifest["files"]}
    for rel, path in originals.items():
        assert sha(restored[rel]) == by_path[rel]["sha256"], rel  # what was archived, byte for byte
        if is_sqlite(path):
            assert by_path[rel]["kind"] == "sqlite"
            assert dump(restored[rel]) == dump(path), rel  # the same rows in every table
        else:
            assert by_path[rel]["kind"] == "file"
            assert sha(restored[rel]) == sha(path), rel  # byte copies are identical
    assert stat.S_IMODE((target / "admin_key").stat().st_mode) == 0o600
    assert not any(p.name.startswith((".restored.restore-", "restored.before-restore")) for p in tmp_path.iterdir())

    kb = KnowledgeBase(make_settings(original.data_dir))  # opened only now: opening may write (a checkpoint, a seed)
    try:
        points, expected = qdrant_points(kb), search_top(kb)
    finally:
        kb.close()
    assert len(points["kb"]) == counts["points"]
    kb = KnowledgeBase(make_settings(target))
    try:
        assert qdrant_points(kb) == points  # ids, vectors, payloads
        assert search_top(kb) == expected  # the same articles with the same scores, in English and German
        assert expected["Wo finde ich meine Rechnungen?"][0][0] == "article:download-invoices"
        assert expected["DATEV Export einrichten"][0][0] == "article:datev-export"
        draft = kb.drafts.get(original.draft_id)
        assert draft is not None and draft.title == "Reset a forgotten password"
        glossary = kb.glossaries.get("backup-test")
        assert glossary is not None and glossary.entries[0].targets == ("Stundenzettel",)
    finally:
        kb.close()


def rewrite(archive: Path, dest: Path, change: Any) -> Path:
    """A copy of the archive with `change(name, data) -> (name, data) or None` applied to each file,
    and extra TarInfo members from `change(None, None)`."""
    with tarfile.open(archive) as src, tarfile.open(dest, "w:gz") as out:
        for m in src.getmembers():
            data = src.extractfile(m).read() if m.isreg() else None  # type: ignore[union-attr]
            changed = change(m.name, data)
            if changed is None:
                continue
            m.name, data = changed
            if data is not None:
                m.size = len(data)
            out.addfile(m, io.BytesIO(data) if data is not None else None)
        for extra, data in change(None, None) or []:
            out.addfile(extra, io.BytesIO(data) if data is not None else None)
    return dest


def test_tampered_or_damaged_archive_is_refused(archive: Path, tmp_path: Path) -> None:
    def flip(name: str | None, data: bytes | None) -> Any:
        if name == "data/qdrant/meta.json" and data is not None:
            return name, data.replace(b"kb", b"kc", 1)
        return None if name is None else (name, data)

    tampered = rewrite(archive, tmp_path / "tampered.tar.gz", flip)
    target = tmp_path / "target"
    result = cli(["restore", str(tampered)], target)
    assert result.exit_code == 1 and "checksum mismatch: qdrant/meta.json" in result.output
    assert not target.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["tampered.tar.gz"]

    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    result = cli(["restore", str(truncated)], target)
    assert result.exit_code == 1 and "not a readable kb backup archive" in result.output and not target.exists()

    result = cli(["restore", str(tmp_path / "missing.tar.gz")], target)
    assert result.exit_code == 1 and "missing.tar.gz: no such file" in result.output


def _member(name: str, kind: bytes = tarfile.REGTYPE, link: str = "",
            data: bytes | None = b"pwned\n") -> tuple[tarfile.TarInfo, bytes | None]:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = link
    if kind == tarfile.REGTYPE and data is not None:
        info.size = len(data)
    else:
        data = None
    return info, data


@pytest.mark.parametrize("member, why", [
    (("../evil.txt",), "points outside"),
    (("data/../../evil.txt",), "points outside"),
    (("/tmp/kb-backup-test-evil.txt",), "absolute"),
    (("data/kb.sqlite3.link", tarfile.SYMTYPE, "/etc/passwd"), "is a symlink"),
    (("data/hard", tarfile.LNKTYPE, "data/kb.sqlite3"), "is a hard link"),
    (("data/dev", tarfile.CHRTYPE), "is a device"),
    (("evil.txt",), "outside data/"),
])
def test_tar_slip_archives_are_refused(archive: Path, tmp_path: Path, member: tuple[Any, ...], why: str) -> None:
    work = tmp_path / "work"
    work.mkdir()
    evil = rewrite(archive, tmp_path / "evil.tar.gz", lambda n, d: [_member(*member)] if n is None else (n, d))
    result = cli(["restore", str(evil)], work / "data")
    assert result.exit_code == 1 and "unsafe archive" in result.output and why in result.output, result.output
    assert not (work / "data").exists() and list(work.iterdir()) == []  # nothing extracted, staging removed
    assert not (tmp_path / "evil.txt").exists() and not Path("/tmp/kb-backup-test-evil.txt").exists()


def test_non_empty_target_is_kept_unless_forced(archive: Path, tmp_path: Path) -> None:
    target = tmp_path / "data"
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    result = cli(["restore", str(archive)], target)
    assert result.exit_code == 1 and "is not empty" in result.output and "--force" in result.output
    assert [p.name for p in target.iterdir()] == ["keep.txt"] and (target / "keep.txt").read_text() == "mine"

    result = cli(["restore", str(archive), "--force"], target)
    assert result.exit_code == 0, result.output
    aside = [p for p in tmp_path.iterdir() if p.name.startswith("data.before-restore-")]
    assert len(aside) == 1 and (aside[0] / "keep.txt").read_text() == "mine"
    assert f"kept at {aside[0]}" in result.output
    assert (target / "kb.sqlite3").is_file() and not (target / "keep.txt").exists()


def test_forced_restore_into_a_mount_point_swaps_inside_it(archive: Path, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """A Docker volume (/data) cannot be renamed: the old content goes to <data_dir>/.before-restore-<time>/."""
    target = tmp_path / "volume"
    target.mkdir()
    (target / "old.txt").write_text("old")
    monkeypatch.setattr(bk, "_is_mount", lambda p: p == target)
    result = bk.restore_backup(archive, make_settings(target), force=True)
    assert result.moved_aside is not None and result.moved_aside.parent == target
    assert (result.moved_aside / "old.txt").read_text() == "old"
    restored = {rel for rel in files_of(target) if not rel.startswith(".before-restore-")}
    assert restored == {f["path"] for f in manifest_of(archive)["files"]}
    assert not any(p.name.startswith(".restore-") for p in target.iterdir())
    assert list(tmp_path.iterdir()) == [target]  # nothing beside the volume


def test_data_dir_in_use_is_refused(archive: Path, tmp_path: Path) -> None:
    from qdrant_client import QdrantClient

    target = tmp_path / "data"
    assert cli(["restore", str(archive)], target).exit_code == 0
    before = {rel: sha(p) for rel, p in files_of(target).items()}

    held = QdrantClient(path=str(target / "qdrant"))  # what `kb serve` and `kb ingest` hold while they run
    try:
        result = cli(["restore", str(archive), "--force"], target)
        assert result.exit_code == 1 and "is in use by another process" in result.output, result.output
        result = cli(["backup", "--out", str(tmp_path / "b.tar.gz")], target)
        assert result.exit_code == 1 and "is in use by another process" in result.output
        assert not (tmp_path / "b.tar.gz").exists()
    finally:
        held.close()
    with DataDirLock(target):  # what every KnowledgeBase holds, with or without a Qdrant server
        result = cli(["restore", str(archive), "--force"], target)
        assert result.exit_code == 1 and f"is in use by another process (pid {os.getpid()}" in result.output

    (target / "service.json").write_text(json.dumps({"url": "http://127.0.0.1:9", "pid": os.getpid()}))
    result = cli(["restore", str(archive), "--force"], target)
    assert result.exit_code == 1 and "in use by a running `kb serve`" in result.output
    assert {rel: sha(p) for rel, p in files_of(target).items() if rel != "service.json"} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]  # nothing moved aside

    dead = subprocess.Popen(["true"])
    dead.wait()
    (target / "service.json").write_text(json.dumps({"url": "http://127.0.0.1:9", "pid": dead.pid}))
    result = cli(["restore", str(archive), "--force"], target)  # a stale service.json does not block
    assert result.exit_code == 0, result.output


def test_models_only_on_request_and_backup_refusals(original: Original, tmp_path: Path) -> None:
    models = tmp_path / "models"  # a stand-in for the prepared models (466 MB): same handling, any size
    (models / "e5" / "1_Pooling").mkdir(parents=True)
    (models / "e5" / "model.safetensors").write_bytes(os.urandom(4096))
    (models / "e5" / "1_Pooling" / "config.json").write_text('{"pooling": "mean"}')
    (models / "e5" / "weights.link").symlink_to(models / "e5" / "model.safetensors")
    settings = make_settings(original.data_dir, models_dir=models)
    with_models = bk.create_backup(settings, tmp_path / "with-models.tar.gz", include_models=True)
    names = {f.path for f in with_models.files}
    assert {"models/e5/model.safetensors", "models/e5/1_Pooling/config.json", "models/e5/weights.link"} <= names
    assert not any(n.startswith("models/") for n in {f["path"] for f in manifest_of(
        bk.create_backup(settings, tmp_path / "without.tar.gz").archive)["files"]})  # type: ignore[arg-type]
    restored = bk.restore_backup(tmp_path / "with-models.tar.gz", make_settings(tmp_path / "r", models_dir=models))
    assert (tmp_path / "r" / "models" / "e5" / "weights.link").read_bytes() == (models / "e5" / "model.safetensors").read_bytes()
    assert not (tmp_path / "r" / "models" / "e5" / "weights.link").is_symlink()
    assert any("KB_MODELS_DIR" in n for n in restored.notes)

    external = cli(["backup", "--out", str(tmp_path / "pg.tar.gz")], original.data_dir,
                   KB_DATABASE_URL="postgresql+psycopg://kb:s3cret@db/kb")
    assert external.exit_code == 0, external.output
    assert "is the external database postgresql+psycopg://kb:***@db/kb: it is NOT in this archive" in external.output
    assert "pg_dump" in external.output and "s3cret" not in external.output
    pg = manifest_of(tmp_path / "pg.tar.gz")
    assert pg["records_included"] is False and "drafts" not in pg["counts"] and "NOT in this archive" in pg["notes"][0]

    inside = cli(["backup", "--out", str(original.data_dir / "x.tar.gz")], original.data_dir)
    assert inside.exit_code == 1 and "is inside the data directory" in inside.output
    empty = cli(["backup", "--out", str(tmp_path)], tmp_path / "nothing-here")
    assert empty.exit_code == 1 and "nothing to back up" in empty.output


@pytest.fixture
def live_kb(archive: Path, tmp_path: Path) -> Iterator[KnowledgeBase]:
    data = tmp_path / "live"
    bk.restore_backup(archive, make_settings(data))
    kb = KnowledgeBase(make_settings(data))
    yield kb
    kb.close()


def admin_app(kb: KnowledgeBase) -> Any:
    """The service's app with the admin router (included here too until app.py lists it)."""
    from kb_service.api import admin
    from kb_service.app import create_app

    application = create_app(kb.settings, kb=kb)
    if not any(getattr(r, "path", None) == "/v1/admin/backup" for r in application.routes):
        application.include_router(admin.router)
    return application


def test_backup_through_the_admin_endpoint(live_kb: KnowledgeBase, archive: Path, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    data = live_kb.settings.data_dir
    # writes of the running service still in SQLite's write-ahead log: a file copy would miss them
    r = live_kb.searcher.search("refund", 3)
    assert live_kb.log_request("search", "refund", r.query_language, r.hits, None, "ktest", None) is not None
    assert (data / "records.sqlite3-wal").stat().st_size > 0
    with TestClient(admin_app(live_kb)) as client:
        assert client.post("/v1/admin/backup", json={}, headers=auth("writer")).status_code == 403
        for bad in ("../escape.tar.gz", "/tmp/x.tar.gz", "sub/dir.tar.gz", "x.txt"):
            assert client.post("/v1/admin/backup", json={"name": bad}, headers=auth("admin")).status_code == 422, bad
        r = client.post("/v1/admin/backup", json={"name": "nightly.tar.gz"}, headers=auth("admin"))
        assert r.status_code == 200, r.text
        assert client.post("/v1/admin/backup", json={"name": "nightly.tar.gz"}, headers=auth("admin")).status_code == 409
        body = r.json()
        assert body["archive"] == "backups/nightly.tar.gz"
        assert body["counts"] == {**manifest_of(archive)["counts"], "search_log_rows": 2}
        made = data / "backups" / "nightly.tar.gz"
        assert made.is_file() and stat.S_IMODE(made.stat().st_mode) == 0o600
        second = client.post("/v1/admin/backup", headers=auth("admin")).json()  # no body: a generated name
        assert second["archive"].startswith("backups/kb-backup-")
    paths = {f["path"] for f in manifest_of(made)["files"]}
    assert not any(p.startswith("backups/") for p in paths)  # earlier archives are not archived again
    # the same files, and the demo page's widget key the service made when it started
    assert paths == {f["path"] for f in manifest_of(archive)["files"]} | {"demo_widget_key"}
    copy = tmp_path / "copy"
    bk.restore_backup(made, make_settings(copy))
    for rel, path in files_of(copy).items():
        if is_sqlite(path):
            assert dump(path) == dump(data / rel), rel


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_kb_backup_goes_through_a_running_service(live_kb: KnowledgeBase, tmp_path: Path) -> None:
    """With a live service in service.json, `kb backup` asks it (the data directory is locked by it)."""
    import uvicorn

    data = live_kb.settings.data_dir
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(admin_app(live_kb), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server.started
        (data / "service.json").write_text(json.dumps({"url": f"http://127.0.0.1:{port}", "pid": os.getpid()}))
        out = tmp_path / "through-service.tar.gz"
        result = cli(["backup", "--out", str(out)], data)
        assert result.exit_code == 0, result.output
        assert "through the running service" in result.output and out.is_file()
        assert list((data / "backups").iterdir()) == []  # moved to --out
        assert manifest_of(out)["counts"]["drafts"] == 1
        result = cli(["restore", str(out), "--force"], data)
        assert result.exit_code == 1 and "in use by a running `kb serve`" in result.output
    finally:
        server.should_exit = True
        thread.join(30)
        (data / "service.json").unlink(missing_ok=True)
