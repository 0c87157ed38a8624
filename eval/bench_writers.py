"""How long the writers' tools take at help-desk scale, and what they find.

    python -m eval.bench_writers --tickets 5000 --data-dir /tmp/kb-writers

1. The sample knowledge base's articles, and N resolved tickets from ../shared/data/support_tickets
   (train, then dev; `answer` is the resolution) ingested through the real pipeline (redaction,
   chunking, embedding, embedded Qdrant). A data directory given with --data-dir is reused: a second
   run ingests nothing and measures the reports alone.
2. Ticket clustering: cold (question vectors embedded) and warm (vectors from the cache, the
   clusters computed again), the gap report, and a draft from the largest uncovered cluster.
3. The freshness report on ../shared/data/covidqa_faq (971 FAQ entries with `last_update` dates)
   ingested as articles into a second data directory.
4. Per request: the search-log write, and an articles-only search (in memory vs the store's filter).

Prints timings, a few clusters, one draft, and the freshness findings by kind; --json writes them.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from eval.jsonl import read_jsonl
from ingest.documents import Section, SourceDocument
from kb_service.config import Settings
from kb_service.knowledge import SAMPLE_DIR, KnowledgeBase

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data"


def _settings(data_dir: Path, models_dir: Path | None) -> Settings:
    values: dict[str, Any] = {"data_dir": data_dir}
    if models_dir:
        values["models_dir"] = models_dir
    return Settings(**values)


def write_tickets(path: Path, n: int, source: Path) -> int:
    rows = [r for name in ("train.jsonl", "dev.jsonl") for _, r in read_jsonl(source / name, ValueError)]
    with path.open("w", encoding="utf-8") as f:
        for i, r in enumerate(rows[:n]):
            f.write(json.dumps({
                "id": f"ST-{i:05d}", "subject": r.get("subject") or "", "body": r.get("body") or r["text"],
                "resolution": r.get("answer"), "language": r.get("lang"), "queue": r.get("queue"),
                "priority": r.get("priority"), "status": "solved",
            }, ensure_ascii=False) + "\n")
    return min(n, len(rows))


def timed(fn: Any) -> tuple[Any, float]:
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def request_costs(kb: KnowledgeBase, n: int = 200) -> dict[str, float]:
    """Medians (ms) of what this issue added to each request: the search-log write, and a search of
    articles alone (in-memory article vectors) against the store's own filtered query."""
    import statistics

    import numpy as np

    from kb_service.retrieval.search import SearchFilters

    questions = ["How do I reset my password?", "Wie exportiere ich Stunden nach DATEV?", "invoice download pdf",
                 "¿Cómo cancelo mi suscripción?", "shifts appear twice in google calendar"]
    vec = np.asarray(kb.searcher.embed_query(questions[0]), np.float32)
    log_ms, matrix_ms, store_ms = [], [], []
    for i in range(n):
        start = time.perf_counter()
        kb.search_log.record("answer", "bench question", "en", 0.9, True, ["reset-password"], "bench", vec)
        log_ms.append((time.perf_counter() - start) * 1000)
    articles = SearchFilters(source="article")
    for q in questions * 8:
        v = kb.searcher.shift.apply(kb.searcher.embed_query(q), None)
        start = time.perf_counter()
        kb.searcher._candidates(v, 20, articles)
        matrix_ms.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        kb.index.query(v.tolist(), top_k=160, filters=articles.to_llama())
        store_ms.append((time.perf_counter() - start) * 1000)
    return {"search_log_write": round(statistics.median(log_ms), 2),
            "search_log_write_p95": round(sorted(log_ms)[int(0.95 * n)], 2),
            "article_search_in_memory": round(statistics.median(matrix_ms), 1),
            "article_search_store_filter": round(statistics.median(store_ms), 1)}


def bench_gaps(data_dir: Path, models_dir: Path | None, n: int, source: Path) -> dict[str, Any]:
    kb = KnowledgeBase(_settings(data_dir, models_dir))
    out: dict[str, Any] = {}
    try:
        tickets_file = data_dir.parent / f"{data_dir.name}-tickets.jsonl"
        write_tickets(tickets_file, n, source)
        summary, secs = timed(lambda: kb.ingest_paths([SAMPLE_DIR / "articles", tickets_file]))
        out["ingest"] = {"seconds": round(secs, 1), "added": len(summary.added), "errors": len(summary.errors)}
        print(f"ingest: {len(summary.added)} sources added in {secs:.1f} s")
        out["request_costs_ms"] = request_costs(kb)
        print(f"per request: {json.dumps(out['request_costs_ms'])}")
        clusters = kb.desk.clusters
        misses = kb.cached_embedder.misses
        cold, secs_cold = timed(lambda: clusters.compute())
        out["clustering_cold"] = {"seconds": round(secs_cold, 1), "embedded": kb.cached_embedder.misses - misses,
                                  "took_ms": cold.took_ms}
        clusters._cache = None  # the same tickets again: vectors from the cache, clusters and articles recomputed
        warm, secs_warm = timed(lambda: clusters.compute())
        out["clustering_warm"] = {"seconds": round(secs_warm, 1), "took_ms": warm.took_ms}
        report, secs_gaps = timed(lambda: kb.desk.gap_report(limit=20))
        out["gap_report_seconds_cached_clusters"] = round(secs_gaps, 2)
        fresh, secs_fresh = timed(lambda: kb.desk.freshness_report())
        again, secs_fresh2 = timed(lambda: kb.desk.freshness_report())
        out["freshness_with_tickets"] = {"first_seconds": round(secs_fresh, 1), "again_seconds": round(secs_fresh2, 2),
                                         "tickets_checked": fresh.summary["tickets_checked_for_contradictions"],
                                         "findings": fresh.summary["findings"]}
        print(f"freshness report with {fresh.summary['tickets_checked_for_contradictions']} newer tickets: first "
              f"{secs_fresh:.1f} s, again {secs_fresh2:.2f} s; findings {fresh.summary['findings']}")
        sizes = Counter(min(c.size, 10) for c in warm.clusters)
        out["clusters"] = {
            "tickets": warm.tickets, "clusters": len(warm.clusters), "in_no_cluster": warm.singletons,
            "size_histogram(10=10+)": dict(sorted(sizes.items())),
            "cross_language": sum(1 for c in warm.clusters if len(c.languages) > 1),
            "uncovered": report.summary["uncovered_clusters"],
        }
        print(f"clustering {warm.tickets} tickets: cold {secs_cold:.1f} s ({out['clustering_cold']['embedded']} embedded), "
              f"warm {secs_warm:.1f} s; gap report {secs_gaps:.2f} s")
        print(json.dumps(out["clusters"]))
        examples = []
        for c in sorted(warm.clusters, key=lambda c: -c.size)[:5] + [c for c in warm.clusters if len(c.languages) > 1][:3]:
            examples.append({"id": c.id, "size": c.size, "languages": c.languages, "best_article": c.best_article.article_id
                             if c.best_article else None, "best_score": c.best_score,
                             "subjects": [t.title for t in c.tickets[:6]]})
        out["example_clusters"] = examples
        for e in examples:
            print(f"\n{e['id']} size {e['size']} {e['languages']} best {e['best_article']} {e['best_score']}")
            for s in e["subjects"]:
                print(f"   - {s}")
        target = next((i for i in report.items if i.kind == "tickets"), None)
        if target is not None:
            draft, secs_draft = timed(lambda: kb.desk.create_draft("bench", cluster_id=target.id))
            out["draft"] = {"seconds": round(secs_draft, 2), "cluster": target.id, "title": draft.title,
                            "cited": __import__("kb_service.writers.drafting", fromlist=["DraftContent"])
                            .DraftContent.from_dict(draft.content).to_markdown(citations=True)}
            print(f"\ndraft from {target.id} in {secs_draft:.2f} s:\n# {draft.title}\n{out['draft']['cited']}")
    finally:
        kb.close()
    return out


def bench_freshness(data_dir: Path, models_dir: Path | None, corpus: Path) -> dict[str, Any]:
    kb = KnowledgeBase(_settings(data_dir, models_dir))
    try:
        docs = []
        for _, r in read_jsonl(corpus, ValueError):
            meta = r.get("metadata") or {}
            updated = (meta.get("last_update") or "").replace("/", "-") or None
            docs.append(SourceDocument(
                source_id="article:" + r["_id"].lower(), kind="article", title=r.get("title") or r["_id"],
                sections=[Section("", r["text"])], language=meta.get("lang"), url=meta.get("url") or None, updated=updated,
            ))
        summary, secs = timed(lambda: kb.put_documents(docs, atomic=False))
        report, secs_report = timed(lambda: kb.desk.freshness_report())
        out = {"articles": len(docs), "ingest_seconds": round(secs, 1), "report_seconds": round(secs_report, 2),
               "findings": report.summary["findings"], "example": [vars(f) for f in report.findings[:2]]}
        print(f"\nfreshness on {len(docs)} covidqa_faq articles: {secs_report:.2f} s; findings {report.summary['findings']}")
        return out
    finally:
        kb.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tickets", type=int, default=5000)
    ap.add_argument("--data-dir", type=Path, default=None, help="Reused between runs (default: a temporary folder).")
    ap.add_argument("--models-dir", type=Path, default=None)
    ap.add_argument("--shared", type=Path, default=SHARED)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    root = args.data_dir or Path(tempfile.mkdtemp(prefix="kb-writers-"))
    result = {"gaps": bench_gaps(root / "tickets", args.models_dir, args.tickets, args.shared / "support_tickets"),
              "freshness": bench_freshness(root / "covidqa", args.models_dir, args.shared / "covidqa_faq" / "corpus.jsonl")}
    if args.json:
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=2, default=str))


if __name__ == "__main__":
    main()
