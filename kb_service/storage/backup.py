"""`kb backup` and `kb restore`: the data directory in one .tar.gz, and back, exactly.

The archive holds `manifest.json` first (format version, when, the service version, the embedding
model, every file with its size and SHA-256, row counts), then the files under `data/`, by their
paths relative to the data directory. SQLite files (the source store, tickets, the records
database, glossaries, the embedding cache and embedded Qdrant's collections) are copied with
SQLite's online backup API, a consistent snapshot even while another connection writes; every
other file is a byte copy. The archive is created with mode 0600: it holds the admin key.
Left out: the prepared models (`models/`, large and rebuilt offline; `include_models` adds them),
`service.json`, lock files (`.lock`), SQLite's `-wal`/`-shm`/`-journal` side files (their content is
in the snapshot), temporary files, `backups/` (where the running service writes archives) and what
earlier restores set aside.

A backup takes the data directory for itself: embedded Qdrant's lock (so no `kb serve` or
`kb ingest` starts meanwhile) and the data-directory lock. A running service makes its own backup
(`POST /v1/admin/backup`, see kb_service/api/admin.py) under the knowledge base's write lock, passing
its open `KnowledgeBase` here.

A restore verifies every file against the manifest while it extracts into a temporary folder beside
the data directory, and only then swaps it in with renames: an interrupted or refused restore leaves
the old data as it was. It refuses a data directory in use, a non-empty one unless forced (then the
old one is moved aside to `<data_dir>.before-restore-<time>`, never deleted), and any archive member
that is not a plain file or folder under a relative path (tar-slip).

When `KB_DATABASE_URL` names an external database (PostgreSQL), the records database (search log,
feedback, drafts, article versions, audit trail, managed API keys) is not in the data directory and
not in the archive: the manifest and the commands say so; back it up with `pg_dump`. Likewise the
vectors of a Qdrant server (`KB_QDRANT_URL`) are not in the archive; `kb reindex` rebuilds them
from the restored source store.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import io
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
import time
import zlib
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import IO, TYPE_CHECKING, Any, Callable, Iterator

from kb_service import __version__
from kb_service.config import Settings
from kb_service.storage.datadir_lock import LOCK_NAME, DataDirLock, DataDirLocked

if TYPE_CHECKING:
    from kb_service.knowledge import KnowledgeBase

FORMAT = "kb-backup"
FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
DATA_PREFIX = "data"  # the data directory's files are archived under data/
MAX_MANIFEST_BYTES = 64 * 1024 * 1024
SQLITE_MAGIC = b"SQLite format 3\x00"
SECRET_FILES = {"admin_key"}  # restored with mode 0600 whatever the archive says
BACKUPS_DIR = "backups"  # under the data directory: where the running service writes archives
ASIDE_MARK = ".before-restore-"
_EXCLUDED_TOP = {"service.json", BACKUPS_DIR, "models", "lost+found"}
_EXCLUDED_NAMES = {LOCK_NAME}  # the data directory's and embedded Qdrant's lock files
_EXCLUDED_SUFFIXES = ("-wal", "-shm", "-journal", ".tmp", ".partial")
_STAGING_PREFIXES = (".kb-backup-", ".restore-", ASIDE_MARK)
_CHUNK = 1024 * 1024


class BackupError(RuntimeError):
    """A backup or restore that cannot be done; the message says why and what to do."""


class DataDirInUse(BackupError):
    pass


class TargetNotEmpty(BackupError):
    pass


class ArchiveNotFound(BackupError):
    pass


class InvalidArchive(BackupError):
    """Not a kb backup archive, or one from a newer format."""


class UnsafeArchive(InvalidArchive):
    """A member that could write outside the target or is not a plain file (tar-slip)."""


class ChecksumMismatch(InvalidArchive):
    pass


@dataclass(frozen=True)
class FileEntry:
    path: str  # relative, POSIX
    size: int
    sha256: str
    kind: str  # "sqlite" (an online-backup snapshot) or "file" (a byte copy)
    mode: int  # permission bits


@dataclass
class BackupManifest:
    created_at: str
    service_version: str
    embedding_model: str
    collection: str
    files: list[FileEntry]
    directories: list[str]
    counts: dict[str, int]  # sources, articles, tickets, points, drafts, search_log, feedback, ...
    tables: dict[str, dict[str, int]]  # rows per table of every SQLite file
    include_models: bool
    records_included: bool
    notes: list[str] = field(default_factory=list)
    format: str = FORMAT
    format_version: int = FORMAT_VERSION
    # not in manifest.json: about the archive written, filled in by create_backup
    archive: Path | None = None
    archive_bytes: int = 0
    seconds: float = 0.0

    @property
    def total_bytes(self) -> int:
        return sum(f.size for f in self.files)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for k in ("archive", "archive_bytes", "seconds"):
            d.pop(k)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "BackupManifest":
        try:
            if d.get("format") != FORMAT:
                raise InvalidArchive("not a kb backup archive (its manifest.json is not a kb-backup manifest)")
            if int(d["format_version"]) > FORMAT_VERSION:
                raise InvalidArchive(
                    f"the archive has backup format {d['format_version']}, newer than this version of kb reads "
                    f"({FORMAT_VERSION}); restore it with the kb version that made it ({d.get('service_version')})"
                )
            files = [FileEntry(str(f["path"]), int(f["size"]), str(f["sha256"]), str(f["kind"]), int(f["mode"]))
                     for f in d["files"]]
            return cls(
                created_at=str(d["created_at"]), service_version=str(d["service_version"]),
                embedding_model=str(d["embedding_model"]), collection=str(d["collection"]), files=files,
                directories=[str(x) for x in d.get("directories", [])], counts=dict(d.get("counts", {})),
                tables=dict(d.get("tables", {})), include_models=bool(d.get("include_models")),
                records_included=bool(d.get("records_included")), notes=list(d.get("notes", [])),
                format=FORMAT, format_version=int(d["format_version"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidArchive(f"the archive's manifest.json is malformed ({exc})") from exc


@dataclass
class RestoreResult:
    data_dir: Path
    manifest: BackupManifest
    moved_aside: Path | None  # where the previous data directory now is (with --force)
    files: int
    bytes: int
    seconds: float
    notes: list[str] = field(default_factory=list)


def utc_stamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def default_archive_name() -> str:
    return f"kb-backup-{utc_stamp()}.tar.gz"


# --- who holds the data directory ------------------------------------------------------------------


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, belongs to someone else
    return True


def running_service(settings: Settings) -> dict[str, Any] | None:
    """The `kb serve` recorded in service.json if its process is alive (a stale file is ignored)."""
    try:
        info = json.loads(settings.service_file.read_text())
        pid = int(info["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return info if _pid_alive(pid) else None  # type: ignore[no-any-return]


@contextmanager
def hold_data_dir(settings: Settings, purpose: str) -> Iterator[None]:
    """Hold the data directory for the duration, or raise DataDirInUse: its own lock (`.lock`, the
    one every KnowledgeBase takes, see datadir_lock.py) and embedded Qdrant's (`qdrant/.lock`), both
    non-blocking. Nothing is created in a data directory that does not exist yet."""
    service = running_service(settings)
    if service is not None:
        raise DataDirInUse(
            f"{settings.data_dir} is in use by a running `kb serve` (pid {service.get('pid')}, {service.get('url')}); "
            f"stop it before you {purpose}"
        )
    with ExitStack() as stack:
        if settings.data_dir.is_dir():
            try:
                lock = DataDirLock(settings.data_dir)
            except DataDirLocked as exc:
                who = ", ".join(f"{k} {v}" for k, v in exc.holder.items() if k in ("pid", "command", "since"))
                raise DataDirInUse(f"{settings.data_dir} is in use by another process ({who or 'pid unknown'}); "
                                   f"stop it before you {purpose}") from None
            stack.callback(lock.release)
        qdrant_lock = settings.qdrant_path / ".lock"
        try:
            f = stack.enter_context(qdrant_lock.open("rb"))
        except FileNotFoundError:
            pass
        else:
            try:
                fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise DataDirInUse(
                    f"{settings.data_dir} is in use by another process (it holds the embedded index's lock "
                    f"qdrant/.lock: a running `kb serve`, `kb ingest` or other kb command); stop it before you {purpose}"
                ) from None
            stack.callback(fcntl.flock, f.fileno(), fcntl.LOCK_UN)
        yield


# --- backup ----------------------------------------------------------------------------------------


def _excluded(rel: PurePosixPath) -> bool:
    if rel.parts[0] in _EXCLUDED_TOP or rel.parts[0].startswith(_STAGING_PREFIXES):
        return True
    return rel.name in _EXCLUDED_NAMES or rel.name.endswith(_EXCLUDED_SUFFIXES)


def _is_sqlite(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _copy_sqlite(src: Path, dst: Path) -> None:
    """A consistent snapshot through the online backup API (one step: a read transaction over the
    whole copy), checked with quick_check."""
    source = sqlite3.connect(str(src), timeout=30)
    try:
        target = sqlite3.connect(str(dst))
        try:
            source.backup(target)
            ok = target.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            target.close()
    finally:
        source.close()
    if ok != "ok":
        raise BackupError(f"{src} is damaged (SQLite quick_check: {ok}); not backed up")


def _walk(root: Path, prune: Callable[[Path, PurePosixPath], bool], follow: bool = False
          ) -> Iterator[tuple[Path, PurePosixPath]]:
    """Every file and folder under root, sorted, with its relative path; `prune` drops an entry
    (and a folder's whole content)."""
    for dirpath, dirnames, filenames in os.walk(root, followlinks=follow):
        here = Path(dirpath)
        dirnames.sort()
        kept = []
        for name in sorted(dirnames + filenames):
            path = here / name
            rel = PurePosixPath(path.relative_to(root).as_posix())
            if prune(path, rel):
                continue
            if name in dirnames:
                kept.append(name)
            yield path, rel
        dirnames[:] = [d for d in dirnames if d in kept]


def _stage(settings: Settings, staging: Path, skip: set[Path]) -> tuple[list[tuple[str, Path, str, int]], list[str], list[str]]:
    """Copy the data directory into staging: (relative path, staged file, kind, mode), folders, notes."""
    files: list[tuple[str, Path, str, int]] = []
    dirs: list[str] = []
    notes: list[str] = []

    def prune(path: Path, rel: PurePosixPath) -> bool:
        if path in skip or _excluded(rel):
            return True
        if path.is_symlink() or not (path.is_dir() or path.is_file()):
            notes.append(f"{rel} is a symlink or special file: not backed up")
            return True
        return False

    for path, rel in _walk(settings.data_dir, prune):
        if path.is_dir():
            dirs.append(str(rel))
            continue
        dst = staging.joinpath(*rel.parts)
        dst.parent.mkdir(parents=True, exist_ok=True)
        mode = 0o600 if rel.name in SECRET_FILES else os.stat(path).st_mode & 0o777
        if _is_sqlite(path):
            _copy_sqlite(path, dst)
            files.append((str(rel), dst, "sqlite", mode))
        else:
            shutil.copy2(path, dst)  # with its modification time
            files.append((str(rel), dst, "file", mode))
    return files, dirs, notes


def _model_files(settings: Settings) -> tuple[list[tuple[str, Path, str, int]], list[str]]:
    """The prepared models, read in place (large, written once): archived under models/, links followed."""
    root = settings.models_path
    if not root.is_dir():
        return [], []
    files: list[tuple[str, Path, str, int]] = []
    dirs = ["models"]
    for path, rel in _walk(root, lambda p, r: r.name.endswith(_EXCLUDED_SUFFIXES) or r.name in _EXCLUDED_NAMES, follow=True):
        if path.is_dir():
            dirs.append(f"models/{rel}")
        elif path.is_file():
            files.append((f"models/{rel}", path.resolve(), "file", os.stat(path).st_mode & 0o777))
    return files, dirs


def _table_rows(db: Path) -> dict[str, int]:
    conn = sqlite3.connect(f"file:{db}?mode=ro&immutable=1", uri=True)
    try:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {n: int(conn.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0]) for n in names}
    finally:
        conn.close()


def _counts(tables: dict[str, dict[str, int]], settings: Settings, staging: Path) -> dict[str, int]:
    """The numbers a person checks a backup by."""
    out: dict[str, int] = {}
    src = staging / "kb.sqlite3"
    if src.is_file():
        out["sources"] = tables["kb.sqlite3"].get("sources", 0)
        conn = sqlite3.connect(f"file:{src}?mode=ro&immutable=1", uri=True)
        try:
            for kind, n in conn.execute("SELECT kind, count(*) FROM sources GROUP BY kind ORDER BY kind"):
                out[f"{kind}s"] = int(n)
        except sqlite3.Error:
            pass
        finally:
            conn.close()
    points = tables.get(f"qdrant/collection/{settings.collection}/storage.sqlite")
    if points is not None:
        out["points"] = points.get("points", 0)
    records = tables.get("records.sqlite3") if settings.database_url is None else None
    for table, key in (("search_log", "search_log_rows"), ("feedback", "feedback"), ("drafts", "drafts"),
                       ("article_versions", "article_versions"), ("audit", "audit_entries")):
        if records is not None and table in records:
            out[key] = records[table]
    glossaries = tables.get("glossaries.sqlite3")
    if glossaries is not None:
        out["glossaries"] = glossaries.get("glossaries", 0)
        out["glossary_terms"] = glossaries.get("glossary_terms", 0)
    tickets = tables.get("tickets.sqlite3")
    if tickets is not None:
        out["ticket_records"] = tickets.get("tickets", 0)
    return out


def external_records_note(settings: Settings) -> str | None:
    """What to say when the records database is not a file in the data directory."""
    if settings.database_url is None:
        return None
    try:
        from sqlalchemy.engine import make_url

        shown = make_url(settings.database_url).render_as_string(hide_password=True)
    except Exception:
        shown = "KB_DATABASE_URL"
    return (f"the records database (search log, feedback, drafts, article versions, audit trail, API keys) is the "
            f"external database {shown}: it is NOT in this archive; back it up with its own tools (pg_dump)")


def _notes(settings: Settings) -> list[str]:
    notes = []
    records = external_records_note(settings)
    if records:
        notes.append(records)
    if settings.qdrant_url:
        notes.append(f"the vectors are in the Qdrant server {settings.qdrant_url}: they are NOT in this archive; after a "
                     "restore, `kb reindex` rebuilds them from the restored source store (or use Qdrant snapshots)")
    return notes


def _add_file(tar: tarfile.TarFile, name: str, path: Path, mode: int, size: int) -> None:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mode = mode
    info.mtime = int(os.stat(path).st_mtime)
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    with path.open("rb") as f:
        tar.addfile(info, f)


def create_backup(settings: Settings, dest: Path, include_models: bool = False,
                  kb: "KnowledgeBase | None" = None) -> BackupManifest:
    """Write the data directory to `dest` (a .tar.gz; a folder gets a timestamped name inside).

    Without `kb`, the data directory must be free (no running service, no other kb command): its
    locks are held while the files are copied. With `kb` (the running service's own), the copy is
    made under the knowledge base's write lock, so no ingest or article write lands in the middle.
    """
    start = time.perf_counter()
    data_dir = settings.data_dir
    if not data_dir.is_dir() or not any(data_dir.iterdir()):
        raise BackupError(f"nothing to back up: {data_dir} does not exist or is empty (set KB_DATA_DIR)")
    dest = Path(dest).expanduser().absolute()
    if dest.is_dir():
        dest = dest / default_archive_name()
    if not dest.parent.is_dir():
        raise BackupError(f"{dest.parent}: no such folder")
    if dest.exists():
        raise BackupError(f"{dest} already exists; choose another --out (an existing archive is never overwritten)")
    real = dest.parent.resolve() / dest.name
    if real.is_relative_to(data_dir) and not real.is_relative_to(data_dir / BACKUPS_DIR):
        raise BackupError(f"{dest} is inside the data directory; write the archive elsewhere (or under "
                          f"{data_dir / BACKUPS_DIR}, which backups leave out)")
    staging = Path(tempfile.mkdtemp(prefix=".kb-backup-", dir=dest.parent))
    partial = dest.with_name(dest.name + ".partial")
    skip = {staging, partial, dest}
    wrote = False  # the partial file is ours to remove
    try:
        if kb is not None:
            with kb._writes:
                staged, dirs, notes = _stage(settings, staging, skip)
        else:
            with hold_data_dir(settings, "back it up (or let the running service make the backup)"):
                staged, dirs, notes = _stage(settings, staging, skip)
        if include_models:
            model_files, model_dirs = _model_files(settings)
            staged += model_files
            dirs += model_dirs
            if not model_files:
                notes.append(f"--include-models: no prepared models in {settings.models_path}")
        entries = [FileEntry(rel, p.stat().st_size, _sha256(p), kind, mode) for rel, p, kind, mode in staged]
        tables = {e.path: _table_rows(p) for e, (_, p, _, _) in zip(entries, staged) if e.kind == "sqlite"}
        manifest = BackupManifest(
            created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"), service_version=__version__,
            embedding_model=settings.embedding_model, collection=settings.collection, files=entries,
            directories=dirs, counts=_counts(tables, settings, staging), tables=tables,
            include_models=include_models, records_included=settings.database_url is None,
            notes=_notes(settings) + notes,
        )
        raw = json.dumps(manifest.to_dict(), ensure_ascii=False, indent=2).encode()
        # the archive holds the admin key and the key hashes: readable by its owner only
        try:
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise BackupError(f"another backup is being written to {dest}; choose another name") from None
        wrote = True
        with os.fdopen(fd, "wb") as out:
            with tarfile.open(fileobj=out, mode="w:gz", format=tarfile.PAX_FORMAT, compresslevel=6) as tar:
                info = tarfile.TarInfo(MANIFEST_NAME)
                info.size, info.mode, info.mtime = len(raw), 0o644, int(time.time())
                tar.addfile(info, io.BytesIO(raw))
                for d in dirs:
                    dinfo = tarfile.TarInfo(f"{DATA_PREFIX}/{d}")
                    dinfo.type, dinfo.mode, dinfo.mtime = tarfile.DIRTYPE, 0o755, int(time.time())
                    tar.addfile(dinfo)
                for e, (_, p, _, _) in zip(entries, staged):
                    _add_file(tar, f"{DATA_PREFIX}/{e.path}", p, e.mode, e.size)
            out.flush()
            os.fsync(out.fileno())
        try:
            os.link(partial, dest)  # never replaces an archive that appeared meanwhile
        except FileExistsError:
            raise BackupError(f"{dest} appeared while the backup was written; it was left alone") from None
        except OSError:  # a file system without hard links
            os.replace(partial, dest)
        _fsync_dir(dest.parent)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if wrote:
            partial.unlink(missing_ok=True)
    manifest.archive = dest
    manifest.archive_bytes = dest.stat().st_size
    manifest.seconds = time.perf_counter() - start
    return manifest


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# --- restore ---------------------------------------------------------------------------------------


def _safe_name(name: str) -> PurePosixPath:
    """The member's relative path, or UnsafeArchive (absolute, '..', empty or odd parts)."""
    if not name or "\x00" in name or "\\" in name or name.startswith("/"):
        raise UnsafeArchive(f"unsafe archive: member {name!r} has an absolute or malformed path; nothing was restored")
    rel = PurePosixPath(name)
    if rel.is_absolute() or not rel.parts or any(p in ("..", ".", "") for p in rel.parts):
        raise UnsafeArchive(f"unsafe archive: member {name!r} points outside the data directory; nothing was restored")
    return rel


def _is_mount(path: Path) -> bool:
    """A mount point (a Docker volume) cannot be renamed: the swap then happens inside it."""
    return os.path.ismount(path)


_NOT_DATA = {"lost+found", LOCK_NAME}


def _is_empty(path: Path) -> bool:
    """No data in it: nothing, or only a lock file (a lock taken to restore) and a file system's lost+found."""
    if not path.exists():
        return True
    return not any(p.name not in _NOT_DATA for p in path.iterdir())


def _extract(tar: tarfile.TarFile, into: Path) -> BackupManifest:
    """Extract every member into `into`, hashing as it goes; verify all of them against the manifest."""
    manifest: BackupManifest | None = None
    seen: dict[str, tuple[int, str]] = {}
    mtimes: dict[str, float] = {}
    dirs: set[str] = set()
    for member in tar:
        rel = _safe_name(member.name)
        key = str(rel)
        if key in seen or key in dirs or (key == MANIFEST_NAME and manifest is not None):
            raise UnsafeArchive(f"unsafe archive: member {key!r} appears twice; nothing was restored")
        if not (member.isdir() or member.isreg()):
            what = "a symlink" if member.issym() else "a hard link" if member.islnk() else "a device or special file"
            raise UnsafeArchive(f"unsafe archive: member {key!r} is {what}; nothing was restored")
        if key == MANIFEST_NAME and member.isreg():
            if member.size > MAX_MANIFEST_BYTES:
                raise InvalidArchive("the archive's manifest.json is implausibly large")
            src = tar.extractfile(member)
            assert src is not None  # a regular file
            try:
                manifest = BackupManifest.from_dict(json.loads(src.read()))
            except json.JSONDecodeError as exc:
                raise InvalidArchive(f"not a kb backup archive: its manifest.json is not JSON ({exc})") from exc
            continue
        if rel.parts[0] != DATA_PREFIX:
            raise UnsafeArchive(f"unsafe archive: member {key!r} is outside {DATA_PREFIX}/; nothing was restored")
        inner = PurePosixPath(*rel.parts[1:]) if len(rel.parts) > 1 else None
        if member.isdir():
            dirs.add(key)
            if inner is not None:
                into.joinpath(*inner.parts).mkdir(parents=True, exist_ok=True)
            continue
        if inner is None:
            raise UnsafeArchive(f"unsafe archive: member {key!r} is a file where the data folder should be")
        src = tar.extractfile(member)
        assert src is not None
        seen[str(inner)] = _write_member(src, into.joinpath(*inner.parts))
        mtimes[str(inner)] = member.mtime
    if manifest is None:
        raise InvalidArchive("not a kb backup archive: it has no manifest.json")
    expected = {f.path for f in manifest.files}
    extra = sorted(set(seen) - expected)
    if extra:
        raise UnsafeArchive(f"unsafe archive: {extra[0]!r} is not in its manifest; nothing was restored")
    for f in manifest.files:
        rel = _safe_name(f.path)
        if f.path not in seen:
            raise ChecksumMismatch(f"checksum mismatch: {f.path} is listed in the manifest but missing from the archive; "
                                   "nothing was restored")
        size, digest = seen[f.path]
        if size != f.size or digest != f.sha256:
            raise ChecksumMismatch(f"checksum mismatch: {f.path} does not match the manifest (SHA-256); the archive is "
                                   "damaged or was altered; nothing was restored")
        path = into.joinpath(*rel.parts)
        os.chmod(path, 0o600 if rel.name in SECRET_FILES else f.mode & 0o777)
        os.utime(path, (mtimes[f.path], mtimes[f.path]))
    for d in manifest.directories:
        into.joinpath(*_safe_name(d).parts).mkdir(parents=True, exist_ok=True)
    return manifest


def _write_member(src: IO[bytes], dst: Path) -> tuple[int, str]:
    dst.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    h = hashlib.sha256()
    size = 0
    with os.fdopen(fd, "wb") as out:
        while chunk := src.read(_CHUNK):
            h.update(chunk)
            size += len(chunk)
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    return size, h.hexdigest()


def restore_backup(archive: Path, settings: Settings, force: bool = False) -> RestoreResult:
    """Replace the data directory with the archive's content, verified first; see the module docstring."""
    start = time.perf_counter()
    archive = Path(archive).expanduser()
    if not archive.is_file():
        raise ArchiveNotFound(f"{archive}: no such file")
    target = settings.data_dir
    if target.exists() and not target.is_dir():
        raise TargetNotEmpty(f"{target} exists and is not a folder; nothing was restored")
    refusal = TargetNotEmpty(
        f"{target} is not empty; nothing was restored. Restore into an empty data directory (KB_DATA_DIR), "
        "or give --force to move the current one aside first (it is kept, not deleted)"
    )
    if not force and not _is_empty(target):
        raise refusal  # before the lock is taken: a refused restore leaves not even a lock file behind
    with hold_data_dir(settings, "restore into it"):
        if not force and not _is_empty(target):
            raise refusal
        inside = target.exists() and _is_mount(target)
        if inside:
            staging = Path(tempfile.mkdtemp(prefix=".restore-", dir=target))
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.restore-", dir=target.parent))
        try:
            try:
                with tarfile.open(archive, "r:*") as tar:
                    manifest = _extract(tar, staging)
            except (tarfile.TarError, EOFError, OSError, zlib.error, UnicodeDecodeError) as exc:
                if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EACCES, errno.EROFS):
                    raise BackupError(f"cannot restore into {target.parent}: {exc.strerror}") from exc
                raise InvalidArchive(f"{archive} is not a readable kb backup archive ({exc}); nothing was restored") from exc
            _fsync_dir(staging)
            moved = _swap_inside(target, staging) if inside else _swap_beside(target, staging)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    notes = list(manifest.notes)
    if manifest.embedding_model != settings.embedding_model:
        notes.append(f"the archive's index was built with embedding model {manifest.embedding_model!r}, but "
                     f"KB_EMBEDDING_MODEL is {settings.embedding_model!r}: set it back, or run `kb reindex`")
    if manifest.collection != settings.collection:
        notes.append(f"the archive's collection is {manifest.collection!r}, but KB_COLLECTION is {settings.collection!r}")
    records = external_records_note(settings)
    if records and manifest.records_included:
        notes.append("the archive holds a SQLite records database (records.sqlite3), but KB_DATABASE_URL points to an "
                     "external database, which this restore did not change")
    elif records:
        notes.append(records.replace("it is NOT in this archive", "this restore did not change it"))
    if manifest.include_models and settings.models_dir is not None and settings.models_path != target / "models":
        notes.append(f"the archived models were restored to {target / 'models'}, but KB_MODELS_DIR is {settings.models_path}")
    return RestoreResult(target, manifest, moved, len(manifest.files), manifest.total_bytes,
                         time.perf_counter() - start, notes)


def _swap_beside(target: Path, staging: Path) -> Path | None:
    """Rename the verified copy into place; the old data directory (if any) goes aside first."""
    aside: Path | None = None
    if target.exists():
        if not any(p.name != LOCK_NAME for p in target.iterdir()):
            (target / LOCK_NAME).unlink(missing_ok=True)
            target.rmdir()
        else:
            aside = target.with_name(f"{target.name}{ASIDE_MARK}{utc_stamp()}")
            os.rename(target, aside)
    try:
        os.rename(staging, target)
    except BaseException:
        if aside is not None:
            os.rename(aside, target)  # put the old one back
        raise
    _fsync_dir(target.parent)
    return aside


def _swap_inside(target: Path, staging: Path) -> Path | None:
    """The same inside a mount point: old entries into <target>/.before-restore-<time>/, new ones up.
    Entry by entry, so not atomic as a whole: a failure puts back what was moved."""
    aside: Path | None = None
    old = [p for p in target.iterdir() if p != staging and p.name not in _NOT_DATA]
    moved_old: list[str] = []
    moved_new: list[str] = []
    try:
        if old:
            aside = target / f"{ASIDE_MARK}{utc_stamp()}"
            aside.mkdir()
            for p in old:
                os.rename(p, aside / p.name)
                moved_old.append(p.name)
        for p in sorted(staging.iterdir()):
            os.rename(p, target / p.name)
            moved_new.append(p.name)
    except BaseException:
        for name in moved_new:
            os.rename(target / name, staging / name)
        for name in moved_old:
            assert aside is not None
            os.rename(aside / name, target / name)
        if aside is not None:
            aside.rmdir()
        raise
    staging.rmdir()
    _fsync_dir(target)
    return aside
