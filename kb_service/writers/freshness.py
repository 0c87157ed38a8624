"""The freshness report: articles a writer should look at again, each with why and what to do.

- `stale`: no update or review for `KB_REVIEW_INTERVAL_DAYS` (default 90). Marking an article
  reviewed (POST /v1/articles/{id}/reviewed) resets its clock.
- `deprecated`: it names a retired feature or term from `KB_DEPRECATED_TERMS`.
- `contradicted`: resolved tickets that are about this article (search score at or above
  `KB_CONTRADICTION_MIN_SCORE`) were resolved after the article's date in a way the article does not
  describe: the resolution says the product changed ("no longer", "was removed", "since release
  26.10", "entfällt", "ya no", ... in the supported languages), or none of its sentences is within
  `KB_CONTRADICTION_MAX_AGREEMENT` (cosine) of a sentence of the article. The embedding alone
  cannot see a changed procedure: a resolution that moves the Slack set-up to the Slack
  Marketplace scores 0.89-0.92 against the article's old steps, as high as resolutions that follow
  them (0.86-0.91 on the sample). `KB_CONTRADICTION_MIN_TICKETS` such tickets (default 2) are
  needed, so one odd resolution does not flag an article.
- `unhelpful`: shown often (search log) and rated unhelpful by most readers who voted.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from ingest.documents import SourceDocument
from kb_service.retrieval.search import SearchFilters
from kb_service.writers.clusters import TicketClusters, age_days, day, store_fingerprint

if TYPE_CHECKING:
    from kb_service.knowledge import KnowledgeBase
    from kb_service.storage.searchlog import ArticleTraffic
    from kb_service.storage.sources import StoredSource

KIND_ORDER = {"contradicted": 0, "deprecated": 1, "unhelpful": 2, "stale": 3}
_SENTENCES = re.compile(r"(?<![0-9][.])(?<=[.!?。！？;])\s+|\n+")
MAX_SENTENCES = 80  # of one article, for the agreement check
# An agent's resolution that says the product changed. Checked on the sample's 132 resolutions:
# two match by accident ("an admin who was removed from the organization"), one per article at most.
_CHANGE = [re.compile(p, re.IGNORECASE) for p in (
    # en
    r"\bno longer\b", r"\b(?:was|were|has been|have been|got) (?:removed|renamed|moved|replaced|retired|discontinued|deprecated|dropped)\b",
    r"\bnot (?:available|there|supported) any ?more\b", r"\b(?:moved|renamed) to\b", r"\bhas moved\b",
    r"\bnow (?:lives|sits|is found|are found|is located|is done|happens)\b", r"\bsince (?:release|version|v)\s?\d",
    r"\bthe (?:old|former|previous) (?:button|menu|page|setting|option|command|screen|way)\b",
    # de
    r"\bentf(?:ällt|allen|iel)\b", r"\b(?:wurde|wurden|ist|sind) (?:entfernt|umbenannt|verschoben|ersetzt|eingestellt|abgeschafft)\b",
    r"\bseit (?:release|version|v)\s?\d", r"\bbefindet sich (?:jetzt|nun)\b", r"\bgibt es nicht mehr\b",
    # fr
    r"\bn'(?:existe|est) plus\b", r"\ba été (?:supprimée?|retirée?|renommée?|déplacée?|remplacée?)s?\b",
    r"\bdepuis la (?:version|mise à jour)\b", r"\bse trouve (?:maintenant|désormais)\b",
    # es
    r"\bya no\b", r"\b(?:se ha|fue|ha sido|han sido|se han) (?:eliminad|retirad|renombrad|movid|sustituid|reemplazad|trasladad)[oa]s?\b",
    r"\bdesde la (?:versión|actualización)\b", r"\bahora (?:está|se encuentra|se hace|se configura)\b",
    # pt
    r"\bnão (?:existe|está|fica) mais\b", r"\b(?:foi|foram) (?:removid|renomead|movid|substituíd|descontinuad)[oa]s?\b",
    r"\bdesde a (?:versão|atualização)\b", r"\bjá não\b",
    # it, nl
    r"\bnon (?:è|esiste|c'è) più\b", r"\b(?:è stat[oa]|sono stat[ie]) (?:rimoss|rinominat|spostat|sostituit|eliminat)[oaie]\b",
    r"\b(?:is|zijn|werd|werden) (?:verwijderd|hernoemd|verplaatst|vervangen)\b", r"\bsinds (?:release|versie)\b",
    # ja
    r"廃止", r"削除されました", r"移動しました", r"移動されました", r"名称が変更", r"なくなりました",
)]


def change_phrases(text: str) -> list[str]:
    """Phrases in which a resolution says the product changed."""
    return [m.group(0) for p in _CHANGE for m in p.finditer(text)]


@dataclass
class Finding:
    article_id: str
    title: str
    kind: str  # contradicted | deprecated | unhelpful | stale
    reason: str
    action: str
    updated: str | None
    last_reviewed: str | None
    age_days: int | None
    url: str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)


def review_clock(stored: "StoredSource", reviewed: str | None) -> str:
    """The day an article's review clock runs from: the later of its last update and its last review
    (an article without an update date counts from when it was indexed)."""
    updated = day(stored.doc.updated)
    return max(x for x in (updated, day(reviewed), None if updated else stored.indexed_at[:10]) if x)


@dataclass
class FreshnessReport:
    findings: list[Finding]
    generated_at: str
    summary: dict[str, Any]


def sentences(text: str, limit: int = MAX_SENTENCES) -> list[str]:
    out = []
    for part in _SENTENCES.split(text):
        s = part.strip(" \t-*•>#")
        if len(s) >= 12:
            out.append(s)
        if len(out) >= limit:
            break
    return out


def _term_pattern(term: str) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)" + re.escape(term) + r"(?!\w)", re.IGNORECASE)


def _context(text: str, m: re.Match[str], width: int = 90) -> str:
    start = max(0, m.start() - width)
    end = min(len(text), m.end() + width)
    snippet = " ".join(text[start:end].split())
    return ("…" if start else "") + snippet + ("…" if end < len(text) else "")


class FreshnessChecker:
    def __init__(self, kb: "KnowledgeBase", clusters: TicketClusters) -> None:
        self.kb = kb
        self.clusters = clusters
        # which article each newer ticket is about: one search per ticket, kept until a source changes
        self._about: tuple[str, dict[str, list[tuple[str, float]]]] | None = None
        self._lock = threading.Lock()

    def report(self, now: datetime | None = None, traffic: dict[str, "ArticleTraffic"] | None = None,
               reviews: dict[str, tuple[str, str | None]] | None = None, limit: int = 500) -> FreshnessReport:
        s = self.kb.settings
        now = now or datetime.now(timezone.utc)
        reviews = reviews or {}
        traffic = traffic or {}
        articles = [st for st in self.kb.store.iter_all(kind="article")]
        findings: list[Finding] = []
        dates: dict[str, str] = {}
        for st in articles:
            d = st.doc
            aid = d.source_id.removeprefix("article:")
            reviewed = reviews.get(aid, (None, None))[0]
            updated = day(d.updated)
            clock = review_clock(st, reviewed)
            dates[aid] = clock
            age = int(age_days(clock, now))
            base = dict(article_id=aid, title=d.title, updated=d.updated, last_reviewed=reviewed, age_days=age, url=d.url)
            if age > s.review_interval_days:
                since = "its last review" if reviewed and day(reviewed) == clock else ("its last update" if updated else "it was indexed (it has no update date)")
                findings.append(Finding(
                    **base, kind="stale",
                    reason=f"{age} days since {since} on {clock}; the review interval is {s.review_interval_days} days.",
                    action="Check that every step and screenshot still matches the product, update what changed, then "
                    f"mark it reviewed (POST /v1/articles/{aid}/reviewed).",
                    evidence={"since": clock},
                ))
            findings += self._deprecated(d, base)
            t = traffic.get(aid)
            if t is not None:
                findings += self._unhelpful(t, base)
        contradicted, checked = self._contradictions(articles, dates)
        for st in articles:
            aid = st.doc.source_id.removeprefix("article:")
            if aid in contradicted:
                d = st.doc
                base = dict(article_id=aid, title=d.title, updated=d.updated,
                            last_reviewed=reviews.get(aid, (None, None))[0], age_days=int(age_days(dates[aid], now)), url=d.url)
                tickets = contradicted[aid]
                ids = [t["ticket_id"] for t in tickets]
                findings.append(Finding(
                    **base, kind="contradicted",
                    reason=f"{len(tickets)} tickets about this article were resolved after {dates[aid]} with steps it does "
                    f"not have ({', '.join(ids[:6])}{'…' if len(ids) > 6 else ''}).",
                    action="Read the tickets' resolutions: if the product changed, update the steps (or draft a new "
                    f"version from them: POST /v1/drafts with {{\"ticket_ids\": {json.dumps(ids[:10])}}}); if the "
                    "article is still right, mark it reviewed.",
                    evidence={"tickets": tickets},
                ))
        findings.sort(key=lambda f: (KIND_ORDER[f.kind], -(f.age_days or 0), f.article_id))
        counts: dict[str, int] = {}
        for f in findings:
            counts[f.kind] = counts.get(f.kind, 0) + 1
        summary = {
            "articles": len(articles),
            "articles_with_findings": len({f.article_id for f in findings}),
            "findings": counts,
            "tickets_checked_for_contradictions": checked,
            "settings": {
                "review_interval_days": s.review_interval_days, "deprecated_terms": list(s.deprecated_term_map),
                "contradiction_min_score": s.contradiction_min_score,
                "contradiction_max_agreement": s.contradiction_max_agreement,
                "contradiction_min_tickets": s.contradiction_min_tickets,
                "unhelpful_min_shown": s.unhelpful_min_shown, "unhelpful_min_votes": s.unhelpful_min_votes,
                "unhelpful_max_ratio": s.unhelpful_max_ratio,
            },
        }
        return FreshnessReport(findings[:limit], now.strftime("%Y-%m-%dT%H:%M:%SZ"), summary)

    # --- deprecated terms ----------------------------------------------------------
    def _deprecated(self, d: SourceDocument, base: dict[str, Any]) -> list[Finding]:
        text = f"{d.title}\n{d.body}"
        out = []
        for term, replacement in self.kb.settings.deprecated_term_map.items():
            hits = list(_term_pattern(term).finditer(text))
            if not hits:
                continue
            instead = f" Replace it with {replacement}" if replacement else " Remove it or describe what replaces it"
            out.append(Finding(
                **base, kind="deprecated",
                reason=f"Names the deprecated {term!r} {len(hits)} time{'s' if len(hits) > 1 else ''}.",
                action=f"{instead.strip()}, and check the steps around it.",
                evidence={"term": term, "replacement": replacement, "occurrences": len(hits), "context": _context(text, hits[0])},
            ))
        return out

    # --- readers' ratings ------------------------------------------------------------
    def _unhelpful(self, t: "ArticleTraffic", base: dict[str, Any]) -> list[Finding]:
        s = self.kb.settings
        votes = t.helpful + t.unhelpful
        if t.shown < s.unhelpful_min_shown or votes < s.unhelpful_min_votes:
            return []
        ratio = t.helpful / votes
        if ratio >= s.unhelpful_max_ratio:
            return []
        return [Finding(
            **base, kind="unhelpful",
            reason=f"Shown {t.shown} times; {t.unhelpful} of {votes} readers who rated it said it did not help "
            f"({ratio:.0%} helpful).",
            action="Read the readers' comments and the questions it was shown for (search log); rewrite the part they "
            "needed, or split the article if it answers several questions.",
            evidence={"shown": t.shown, "helpful": t.helpful, "unhelpful": t.unhelpful, "comments": t.comments[:5]},
        )]

    # --- newer resolutions that disagree -----------------------------------------------
    def _contradictions(self, articles: list[Any], dates: dict[str, str]) -> tuple[dict[str, list[dict[str, Any]]], int]:
        s = self.kb.settings
        if not dates:
            return {}, 0
        oldest = min(dates.values())
        tickets = [st.doc for st in self.kb.store.iter_all(kind="ticket")
                   if st.doc.resolution and (day(st.doc.resolved) or day(st.doc.created) or "") > oldest]
        if not tickets:
            return {}, 0
        by_id = {d.source_id: d for d in tickets}
        about: dict[str, list[tuple[SourceDocument, float]]] = {}
        for aid, found in self._tickets_about(tickets).items():
            for sid, score in found:
                d = by_id[sid]
                if (day(d.resolved) or day(d.created) or "") > dates.get(aid, "9999"):
                    about.setdefault(aid, []).append((d, score))
        docs = {st.doc.source_id.removeprefix("article:"): st.doc for st in articles}
        out: dict[str, list[dict[str, Any]]] = {}
        cached = self.kb.cached_embedder
        for aid, found in about.items():
            article_sents = sentences(docs[aid].body)
            if not article_sents:
                continue
            a_vecs = cached.embed_passages(article_sents)
            disagree = []
            for d, score in found:
                r_sents = sentences(d.resolution or "", limit=20)
                if not r_sents:
                    continue
                sims = cached.embed_passages(r_sents) @ a_vecs.T
                agreement = float(sims.max())
                changed = change_phrases(d.resolution or "")
                if changed or agreement < s.contradiction_max_agreement:
                    disagree.append({
                        "ticket_id": d.source_id.removeprefix("ticket:"), "resolved": d.resolved or d.created,
                        "score": round(score, 4), "agreement": round(agreement, 4), "says_changed": changed,
                        "resolution": (d.resolution or "")[:400],
                    })
            if len(disagree) >= s.contradiction_min_tickets:
                out[aid] = sorted(disagree, key=lambda x: str(x["resolved"]), reverse=True)
        return out, len(tickets)


    def _tickets_about(self, tickets: list[SourceDocument]) -> dict[str, list[tuple[str, float]]]:
        """article id -> (ticket source id, score) for each ticket whose best article scores at least
        KB_CONTRADICTION_MIN_SCORE; computed once per state of the knowledge base."""
        s = self.kb.settings
        fp = store_fingerprint(self.kb, s.contradiction_min_score, len(tickets))
        with self._lock:
            if self._about is not None and self._about[0] == fp:
                return self._about[1]
            vectors = self.clusters.question_vectors(tickets)
            out: dict[str, list[tuple[str, float]]] = {}
            for d, v in zip(tickets, vectors):
                hits = self.kb.searcher.search(d.title, top_k=1, filters=SearchFilters(source="article"),
                                               query_language=d.language, vector=v).hits
                if hits and hits[0].score >= s.contradiction_min_score:
                    out.setdefault(hits[0].source_id.removeprefix("article:"), []).append((d.source_id, hits[0].score))
            self._about = (fp, out)
            return out


def window_start(now: datetime, days: int) -> str:
    return (now - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


