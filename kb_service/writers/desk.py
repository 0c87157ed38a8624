"""The writers' desk: the workflow behind the API and the CLI.

Article writes with versions, drafts from ticket clusters, their review (edit, approve = publish and
index, reject), and the gap and freshness reports. Every change names who made it (`actor`) and is
kept in the audit trail.

Order of writes on publication: the write is recorded as in flight (a `publications` row in the
records database), the article goes into the source store and the index, then its version (and, on
approval, the draft's new state) is committed together with the end of the publication. If that
commit is refused (someone else approved or rejected the draft in between), the article is put back
as it was, so a draft is never half-approved. A publication left in flight by a crash is settled at
the next start (`recover_publications`) and before any other write: finished when the source store
holds what it published, dropped when it does not.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ingest.documents import ParseError, SourceDocument
from ingest.markdown import parse_markdown
from kb_service.sanitize import clean_document, kb_link_policy, safe_article_url
from kb_service.storage.drafts import DRAFT, Draft, DraftStateError
from kb_service.storage.history import Publication
from kb_service.storage.sources import StoredSource
from kb_service.writers.clusters import Cluster, TicketClusters
from kb_service.writers.drafting import ClaudeDrafter, DraftContent, ExtractiveDrafter
from kb_service.writers.freshness import FreshnessChecker, FreshnessReport, window_start
from kb_service.writers.gaps import GapReport, gap_report

if TYPE_CHECKING:
    from kb_service.knowledge import KnowledgeBase

log = logging.getLogger(__name__)
MAX_DRAFT_TICKETS = 50  # the most central tickets of a bigger cluster are enough to write from


class NotFound(LookupError):
    """An id that does not exist; the message names it."""


class Conflict(ValueError):
    """The change conflicts with what is stored (an article id taken, a draft no longer a draft)."""


class InvalidInput(ValueError):
    """Input that is well-formed but unusable (a body that does not parse, a ticket without resolution);
    `field`: the request field at fault, when one is (the API's error body names it)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def slugify(title: str) -> str:
    """An article id from a title; empty when the title has no Latin letters or digits (Japanese)."""
    text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:80].strip("-")


def article_document(article_id: str, title: str, body: str, language: str | None, url: str | None = None,
                     updated: str | None = None, tags: list[str] | None = None, product_area: str | None = None) -> SourceDocument:
    """An article as the API writes it: a Markdown body parsed like a Markdown file, and every field made
    inert like a parsed file's (`sanitize.clean_document`); a URL must be an absolute http(s) one."""
    if url and safe_article_url(url) is None:
        raise InvalidInput("url: must be an absolute http or https URL", field="url")
    try:
        parsed = parse_markdown(Path(f"{article_id}.md"), text=body)
    except ParseError as exc:
        raise InvalidInput(f"article body: {exc}", field="body") from exc
    return clean_document(SourceDocument(
        source_id="article:" + article_id, kind="article", title=title, sections=parsed.sections, language=language,
        url=url, updated=updated or date.today().isoformat(), tags=tags or [], product_area=product_area,
        links=parsed.links, origin=None,
    ))


@dataclass
class Published:
    stored: StoredSource
    created: bool
    version: int | None  # None when the content did not change


def recover_publications(kb: "KnowledgeBase") -> int:
    """At start, after the index's own recovery: settle the article writes a crash cut short."""
    return kb.desk.settle()


class WritersDesk:
    def __init__(self, kb: "KnowledgeBase") -> None:
        self.kb = kb
        self.clusters = TicketClusters(kb)
        self.freshness = FreshnessChecker(kb, self.clusters)
        # Article writes, their versions and draft transitions, one at a time: the version number is
        # read and written, and an approval is published then committed, with nothing in between.
        # (One process per data directory, as the embedded index requires.)
        self._lock = threading.RLock()

    # --- articles ------------------------------------------------------------------
    def publish(self, doc: SourceDocument, actor: str | None, action: str | None = None,
                details: dict[str, Any] | None = None) -> Published:
        """Create or replace an article (indexed at once) and record the new version. An article first
        ingested from a file gets that content recorded as version 1 before anything overwrites it."""
        aid = doc.source_id.removeprefix("article:")
        with self._lock:
            self.settle()
            before = self.kb.store.get(doc.source_id)
            if before is not None:
                self.kb.history.ensure_original(aid, before.doc)
                if before.content_hash == doc.content_hash():  # nothing to publish (a retry, say)
                    return Published(self.kb.put_and_read(doc)[1], False, None)
            pid = self.kb.history.begin_publication(aid, doc, before.doc if before else None, actor, action, details)
            try:
                summary, stored = self.kb.put_and_read(doc)
            except BaseException:
                self._settle_after_failure(pid)
                raise
            action = action or ("created" if summary.added else "updated")
            version = self.kb.history.finish_publication(pid, action, stored.doc)
            return Published(stored, bool(summary.added), version)

    def delete_article(self, article_id: str, actor: str | None) -> None:
        with self._lock:
            self.settle()
            before = self.kb.store.get("article:" + article_id)
            if before is None:
                raise NotFound(f"no article with id {article_id!r}")
            self.kb.history.ensure_original(article_id, before.doc)
            pid = self.kb.history.begin_publication(article_id, None, before.doc, actor, "deleted")
            try:
                self.kb.delete_sources(["article:" + article_id])
            except BaseException:
                self._settle_after_failure(pid)
                raise
            self.kb.history.finish_publication(pid, "deleted", None)

    # --- writes in flight ----------------------------------------------------------
    def settle(self) -> int:
        """Settle every publication left in flight (by a crash, or a failure this process could not
        finish); returns how many there were. Cheap when there are none: one query."""
        with self._lock:
            pending = self.kb.history.publications()
            for p in pending:
                self._settle(p)
            return len(pending)

    def _settle(self, p: Publication) -> None:
        """Finish `p` if the source store holds what it published (its version recorded, its draft
        approved), else drop it: the article is still what it was, the draft still approvable."""
        source_id = "article:" + p.article_id
        stored = self.kb.store.get(source_id)
        if (stored.content_hash if stored else None) != p.content_hash:
            log.warning("an interrupted write of article %s did not reach the index; nothing to record", p.article_id)
            self.kb.history.drop_publication(p.id)
            return
        if p.draft_id is None:
            number = self.kb.history.finish_publication(p.id, p.version_action, stored.doc if stored else None)
            log.warning("an interrupted write of article %s was completed as its version %d", p.article_id, number)
            return
        assert stored is not None  # an approval publishes
        try:
            self.kb.drafts.approve(p.draft_id, p.article_id, stored.doc, p.actor, p.draft_revision, publication=p.id)
            log.warning("an interrupted approval of draft %s was completed (article %s)", p.draft_id, p.article_id)
        except DraftStateError:  # the draft changed in between: the approval cannot stand, nor its article
            log.warning("an interrupted approval of draft %s is taken back: the draft changed", p.draft_id)
            self._take_back(p.article_id, p.before)
            self.kb.history.drop_publication(p.id)

    def _settle_after_failure(self, publication_id: int) -> None:
        """A write raised: settle its publication by what reached the store (a failure to settle is
        logged, not raised over the write's own error; the next write or start settles it)."""
        try:
            p = self.kb.history.publication(publication_id)
            if p is not None:
                self._settle(p)
        except Exception:
            log.exception("could not settle the failed write of publication %d; it is settled later", publication_id)

    def _take_back(self, article_id: str, before: SourceDocument | None) -> None:
        """Put an article back as it was before a publication (or remove it, if it did not exist)."""
        if before is not None:
            self.kb.put_and_read(before)
        else:
            self.kb.delete_sources(["article:" + article_id])

    def restore(self, article_id: str, number: int, actor: str | None) -> Published:
        v = self.kb.history.version(article_id, number)
        if v is None:
            known = [x.version for x in self.kb.history.versions(article_id)]
            raise NotFound(f"article {article_id!r} has no version {number}" + (f" (versions: {known})" if known else " (no versions)"))
        if v.doc is None:
            raise InvalidInput(f"version {number} of {article_id!r} records its deletion; restore an earlier one", field="number")
        doc = SourceDocument.from_dict(v.doc.to_dict())
        doc.updated, doc.origin = date.today().isoformat(), None
        return self.publish(doc, actor, "restored", {"from_version": number})

    def mark_reviewed(self, article_id: str, actor: str | None, note: str | None) -> str:
        if self.kb.store.get("article:" + article_id) is None:
            raise NotFound(f"no article with id {article_id!r}")
        return self.kb.history.mark_reviewed(article_id, actor, self.kb.redactor.redact(note) if note else None)

    # --- drafts --------------------------------------------------------------------
    def cluster(self, cluster_id: str) -> Cluster:
        c = self.clusters.compute().get(cluster_id)
        if c is None:
            raise NotFound(
                f"no ticket cluster with id {cluster_id!r}; clusters change when tickets are added, so read the current "
                "ones from GET /v1/reports/gaps or GET /v1/clusters"
            )
        return c

    def resolved_tickets(self, ticket_ids: list[str]) -> list[SourceDocument]:
        docs, missing, unresolved = [], [], []
        for tid in ticket_ids:
            stored = self.kb.store.get("ticket:" + tid)
            if stored is None:
                missing.append(tid)
            elif not stored.doc.resolution:
                unresolved.append(tid)
            else:
                docs.append(stored.doc)
        if missing:
            raise NotFound(f"no resolved ticket in the knowledge base with id {', '.join(repr(m) for m in missing)}")
        if unresolved:
            raise InvalidInput(f"tickets without a resolution cannot be drafted from: {', '.join(unresolved)}", field="ticket_ids")
        return docs

    def drafter(self, engine: str | None = None) -> ExtractiveDrafter | ClaudeDrafter:
        from kb_service.llm import from_settings

        choice = engine or self.kb.settings.draft_engine
        extractive = ExtractiveDrafter(self.kb.cached_embedder, self.kb.redactor, self.kb.translator,
                                       links=kb_link_policy(self.kb))
        if choice == "extractive":
            return extractive
        client = from_settings(self.kb.settings)
        if client is None:
            if choice == "claude":
                raise InvalidInput("drafts by Claude need KB_ANTHROPIC_API_KEY; use engine 'extractive' or 'auto'", field="engine")
            return extractive
        return ClaudeDrafter(client, extractive)

    def create_draft(self, actor: str | None, cluster_id: str | None = None, ticket_ids: list[str] | None = None,
                     language: str | None = None, engine: str | None = None) -> Draft:
        if cluster_id:
            cluster = self.cluster(cluster_id)
            ids = cluster.ticket_ids[:MAX_DRAFT_TICKETS]
        else:
            ids = list(dict.fromkeys(ticket_ids or []))
        docs = self.resolved_tickets(ids)
        drafter = self.drafter(engine)
        vectors = self.clusters.question_vectors(docs[:3])
        related = self.clusters.articles_for(docs[:3], vectors)
        content: DraftContent = drafter.draft(docs, related, language)
        return self.kb.drafts.create(
            content.title, content.language, content.to_markdown(citations=False), content.to_dict(),
            content.sources or ids, cluster_id, content.engine, actor,
        )

    def edit_draft(self, draft_id: str, actor: str | None, title: str | None, body: str | None, language: str | None,
                   revision: int | None) -> Draft:
        """A writer's edit. It is redacted like everything else in a draft: no draft holds personal data
        (an address meant for readers goes in after publication, through PUT /v1/articles)."""
        redact = self.kb.redactor.redact
        title, body = (redact(title) if title else title), (redact(body) if body else body)
        with self._lock:
            draft = self.require_draft(draft_id)
            if body is not None:
                article_document(draft.id, title or draft.title, body, language or draft.language)  # must parse
            try:
                return self.kb.drafts.edit(draft_id, {"title": title, "body": body, "language": language}, actor, revision)
            except DraftStateError as exc:
                raise Conflict(str(exc)) from exc

    def approve_draft(self, draft_id: str, actor: str | None, article_id: str | None = None, replace: bool = False,
                      tags: list[str] | None = None, product_area: str | None = None, url: str | None = None,
                      revision: int | None = None) -> tuple[Draft, Published]:
        """Publish the draft as it was read (its revision is checked again when the approval is
        committed); if the commit is refused, the publication is taken back."""
        if replace and not article_id:
            raise InvalidInput("replace: true needs the article_id of the article to replace", field="article_id")
        with self._lock:
            self.settle()  # an approval of this draft cut short by a crash counts before anything else
            draft = self.require_draft(draft_id)
            if draft.status != DRAFT:
                raise Conflict(f"draft {draft_id} is {draft.status}; only a draft in status 'draft' can be approved")
            if revision is not None and revision != draft.revision:
                raise Conflict(f"draft {draft_id} changed since you read it (revision {draft.revision}, you sent {revision}); "
                               "read it again")
            aid = article_id or slugify(draft.title) or "article-" + draft.id.removeprefix("d-")
            before = self.kb.store.get("article:" + aid)
            if before is not None and not replace:
                raise Conflict(f"an article with id {aid!r} exists; give another article_id, or replace: true to publish "
                               "this draft as its new version")
            doc = article_document(aid, draft.title, draft.body, draft.language, url=url, tags=tags, product_area=product_area)
            if before is not None:
                self.kb.history.ensure_original(aid, before.doc)
            pid = self.kb.history.begin_publication(aid, doc, before.doc if before else None, actor, "approved",
                                                    {"draft": draft_id}, draft_id, draft.revision)
            try:
                summary, stored = self.kb.put_and_read(doc)
            except BaseException:
                self._settle_after_failure(pid)
                raise
            try:
                approved, version = self.kb.drafts.approve(draft_id, aid, stored.doc, actor, draft.revision, publication=pid)
            except BaseException as exc:
                # the approval was not committed: take the publication back, so the two never disagree
                # (should that fail too, the publication stays in flight and is settled later)
                self._take_back(aid, before.doc if before is not None else None)
                self.kb.history.drop_publication(pid)
                if isinstance(exc, DraftStateError):
                    raise Conflict(str(exc)) from exc
                raise
            return approved, Published(stored, bool(summary.added), version)

    def reject_draft(self, draft_id: str, actor: str | None, reason: str, revision: int | None = None) -> Draft:
        with self._lock:
            self.require_draft(draft_id)
            try:
                return self.kb.drafts.reject(draft_id, self.kb.redactor.redact(reason), actor, revision)
            except DraftStateError as exc:
                raise Conflict(str(exc)) from exc

    def require_draft(self, draft_id: str) -> Draft:
        d = self.kb.drafts.get(draft_id)
        if d is None:
            raise NotFound(f"no draft with id {draft_id!r}")
        return d

    # --- reports -------------------------------------------------------------------
    def gap_report(self, now: datetime | None = None, limit: int = 50) -> GapReport:
        now = now or datetime.now(timezone.utc)
        clustering = self.clusters.compute(now)
        entries = list(self.kb.search_log.entries(since=window_start(now, self.kb.settings.gap_window_days), vectors=True))
        return gap_report(self.kb, clustering, entries, now, limit)

    def freshness_report(self, now: datetime | None = None, limit: int = 500) -> FreshnessReport:
        now = now or datetime.now(timezone.utc)
        traffic = self.kb.search_log.article_traffic(since=window_start(now, self.kb.settings.gap_window_days))
        return self.freshness.report(now, traffic, self.kb.history.last_reviews(), limit)
