"""One process per data directory: an exclusive lock on `<data_dir>/.lock` for a KnowledgeBase's lifetime.

The embedded Qdrant store locks its own folder, but the SQLite stores beside it (sources, tickets,
records, glossaries, the embedding cache) do not, and with `KB_QDRANT_URL` set nothing else would stop
a second process from writing them while the first holds their state in memory. The lock is taken
first thing, before anything in the directory is opened or written, so a second `kb serve` (or
`kb ingest` while the service runs) stops at start-up with a message naming the process that holds
it, instead of corrupting anything.

`flock` is per open file, so a second KnowledgeBase on the same directory in the same process is
refused too. The kernel drops the lock when the holder exits, however it exits: a killed process
never leaves a stale lock behind. The file itself stays (removing it would race with a process that
has just opened it); it holds the holder's pid, command and start time, for the message.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from kb_service.engines.vector_index import IndexLocked

LOCK_NAME = ".lock"


class DataDirLocked(IndexLocked):
    """Another process (or another KnowledgeBase in this one) has the data directory open.

    A subclass of IndexLocked: everything that already stops cleanly on a locked embedded index
    (the CLI's one-line error) stops the same way here."""

    def __init__(self, message: str, holder: dict[str, Any]) -> None:
        super().__init__(message)
        self.holder = holder


def read_holder(path: Path) -> dict[str, Any]:
    """What the lock file says about the process that holds it ({} when empty or unreadable)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _command() -> str:
    args = [Path(sys.argv[0]).name if sys.argv and sys.argv[0] else "python", *sys.argv[1:]]
    text = " ".join(args)
    return text if len(text) <= 200 else text[:199] + "…"


def _describe(holder: dict[str, Any]) -> str:
    pid = holder.get("pid")
    parts = [f"pid {pid}" if pid else "pid unknown"]
    if holder.get("command"):
        parts.append(f"`{holder['command']}`")
    if holder.get("since"):
        parts.append(f"since {holder['since']}")
    return ", ".join(parts)


class DataDirLock:
    """The exclusive, non-blocking lock on one data directory; `release()` (or exit) frees it."""

    def __init__(self, data_dir: Path) -> None:
        self._fd: int | None = None
        data_dir.mkdir(parents=True, exist_ok=True)
        self.path = data_dir / LOCK_NAME
        # no O_TRUNC: the holder's details must stay readable for whoever is refused
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)  # not inherited by child processes
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise
            holder = read_holder(self.path)
            raise DataDirLocked(
                f"the data directory {data_dir} is in use by another process ({_describe(holder)}). One process "
                "at a time may open a data directory: stop that process first, or, if it is a running `kb serve`, "
                "work through its HTTP API (`kb search`, `kb train` and `kb report` do that by themselves).",
                holder,
            ) from None
        self._fd = fd
        self.holder = {"pid": os.getpid(), "command": _command(),
                       "since": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(self.holder) + "\n").encode("utf-8"), 0)

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        """Free the directory (idempotent). The file is emptied, not removed."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def __enter__(self) -> "DataDirLock":
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def __del__(self) -> None:
        # a KnowledgeBase whose start-up failed after taking the lock never reaches close()
        try:
            self.release()
        except Exception:
            pass
