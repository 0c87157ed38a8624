"""The search log's retention limit: entries older than `KB_SEARCH_LOG_RETENTION_DAYS` (and the
feedback on them) are deleted at start-up and once a day while the service runs."""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kb_service.knowledge import KnowledgeBase

log = logging.getLogger(__name__)
INTERVAL_S = 24 * 3600


def purge_search_log(kb: "KnowledgeBase", now: datetime | None = None) -> tuple[int, int]:
    """Delete what is past the retention limit: (entries, feedback) deleted."""
    days = kb.settings.search_log_retention_days
    if days <= 0:
        return 0, 0
    cutoff = ((now or datetime.now(timezone.utc)) - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")
    entries, rated = kb.search_log.purge_before(cutoff)
    if entries:
        log.info("search log retention: deleted %d entries and %d ratings older than %d days", entries, rated, days,
                 extra={"deleted_entries": entries, "deleted_feedback": rated})
    return entries, rated


class RetentionWorker:
    """Runs the purge now and then daily, in a daemon thread, until stopped."""

    def __init__(self, kb: "KnowledgeBase", interval_s: float = INTERVAL_S) -> None:
        self.kb = kb
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="search-log-retention", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                purge_search_log(self.kb)
            except Exception:
                log.exception("search log retention failed; trying again at the next interval")
            self._stop.wait(self.interval_s)
