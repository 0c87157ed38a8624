"""`kb eval retrieval`: ingest a BEIR corpus into a fresh index through the real ingest path,
run every query through the search path `/v1/search` uses, and score the rankings.

A *profile* is a named set of settings overrides. `full` is the service as configured (its
defaults are the production path); `dense` switches every retrieval lever off and indexes one
vector per document, the plain dense baseline the issue's table starts from.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from eval.beir import BeirSet, CorpusDoc
from eval.metrics import METRICS, mean_metrics, percentile, query_metrics
from ingest.documents import Section, SourceDocument
from kb_service import languages
from kb_service.config import Settings

# Settings overrides per profile. Keep `dense` free of every quality lever the service adds.
PROFILES: dict[str, dict[str, Any]] = {
    "full": {},
    "dense": {
        "chunk_max_chars": 8000,  # one vector per document (the encoder reads its first 512 tokens)
        "retrieval_windows": False,
        "retrieval_title_weight": 0.0,
        "retrieval_language_shift": 0.0,
        "retrieval_prefer_own_language": False,
        "retrieval_language_prior": False,
    },
    # one lever off at a time, for ablations
    "no-windows": {"retrieval_windows": False},
    "no-titles": {"retrieval_title_weight": 0.0},
    "no-language-shift": {"retrieval_language_shift": 0.0},
    "language-prior": {"retrieval_language_prior": True},  # the older document-side calibration, for comparison
}
WARMUP_QUERIES = 5
SOURCE_PREFIX = "article:"


class UnknownProfile(ValueError):
    pass


def profile_settings(base: Settings, profile: str, data_dir: Path) -> Settings:
    """`base` with the profile's overrides, a fresh embedded index under `data_dir`, the same models."""
    if profile not in PROFILES:
        raise UnknownProfile(f"unknown profile {profile!r}; choose from {', '.join(PROFILES)}")
    values = base.model_dump()
    values.update(PROFILES[profile])
    values.update(data_dir=data_dir, models_dir=base.models_path, qdrant_url=None, qdrant_api_key=None)
    return Settings(**values)


@dataclass
class RunResult:
    profile: str
    dataset: str
    metrics: dict[str, Any]  # the JSON report: ndcg@10, recall@1, recall@10, mrr@10, n, per_lang, latency_ms, ...
    rankings: dict[str, list[tuple[str, float]]] = field(default_factory=dict)  # query id -> (corpus id, score)


def to_document(doc: CorpusDoc) -> SourceDocument:
    return SourceDocument(
        source_id=SOURCE_PREFIX + doc.id,
        kind="article",
        title=doc.title,
        sections=[Section(heading="", text=doc.text)],
        language=doc.language,
    )


def _query_language(declared: str | None, detected: str | None) -> str:
    if declared:
        return languages.normalize_or_none(declared) or declared
    return detected or "und"


def run_profile(
    beir: BeirSet,
    base: Settings,
    profile: str,
    top_k: int = 10,
    progress: Callable[[str, int], Any] | None = None,
) -> RunResult:
    """Evaluate one profile on a fresh temporary index. `progress(stage, total)` returns a callable
    advanced by counts (a tqdm bar's update), or None."""
    from kb_service.knowledge import KnowledgeBase

    with tempfile.TemporaryDirectory(prefix="kb-eval-") as tmp:
        settings = profile_settings(base, profile, Path(tmp))
        kb = KnowledgeBase(settings)
        try:
            docs = [to_document(d) for d in beir.corpus]
            step = progress("ingest", len(docs)) if progress else None
            started = time.perf_counter()
            summary = kb.put_documents(docs, progress=step, atomic=False)
            ingest_s = time.perf_counter() - started
            if summary.errors:
                raise RuntimeError(f"ingest failed: {summary.errors[:3]}")

            for q in beir.queries[:WARMUP_QUERIES]:  # load lazily initialised parts before timing
                kb.searcher.search(q.text, top_k)
            step = progress("search", len(beir.queries)) if progress else None
            rows: dict[str, dict[str, float]] = {}
            langs: dict[str, str] = {}
            latencies: list[float] = []
            rankings: dict[str, list[tuple[str, float]]] = {}
            for q in beir.queries:
                t0 = time.perf_counter()
                result = kb.searcher.search(q.text, top_k)
                latencies.append((time.perf_counter() - t0) * 1000)
                ranking = [(h.source_id.removeprefix(SOURCE_PREFIX), h.score) for h in result.hits]
                rankings[q.id] = ranking
                rows[q.id] = query_metrics([d for d, _ in ranking], beir.qrels[q.id])
                langs[q.id] = _query_language(q.language, result.query_language)
                if step:
                    step(1)
            chunks = kb.index.count()
        finally:
            kb.close()

    per_lang: dict[str, dict[str, float]] = {}
    for lang in sorted(set(langs.values())):
        ids = [qid for qid, l in langs.items() if l == lang]
        per_lang[lang] = {**mean_metrics(rows[i] for i in ids), "n": len(ids)}
    report: dict[str, Any] = {
        "dataset": beir.name,
        "profile": profile,
        **mean_metrics(rows.values()),
        "n": len(rows),
        "per_lang": per_lang,
        "latency_ms": {"p50": round(percentile(latencies, 0.5), 2), "p95": round(percentile(latencies, 0.95), 2)},
        "top_k": top_k,
        "documents": len(beir.corpus),
        "chunks": chunks,
        "unjudged_queries": beir.unjudged_queries,
        "ingest_s": round(ingest_s, 1),
        "settings": {k: v for k, v in PROFILES[profile].items()},
    }
    return RunResult(profile, beir.name, report, rankings)


def write_trec_run(path: Path, result: RunResult, query_order: list[str]) -> None:
    """`query-id Q0 corpus-id rank score tag`, ranks from 1, scores strictly decreasing within a
    query so that tools which sort by score (trec_eval) keep our order."""
    tag = f"kb-{result.profile}"
    lines: list[str] = []
    for qid in query_order:
        previous: float | None = None
        for rank, (doc_id, score) in enumerate(result.rankings.get(qid, []), 1):
            value = round(score, 6)
            if previous is not None and value >= previous:
                value = round(previous - 1e-6, 6)
            previous = value
            lines.append(f"{qid} Q0 {doc_id} {rank} {value:.6f} {tag}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def format_table(results: list[RunResult]) -> str:
    """Metrics side by side (with the difference when there are two), then nDCG@10 per language."""
    names = [r.profile for r in results]
    two = len(results) == 2
    width = max(12, *(len(n) + 2 for n in names))
    delta = f"{names[0]}−{names[1]}" if two else ""
    width = max(width, len(delta) + 2)
    head = f"{'':<14}" + "".join(f"{n:>{width}}" for n in names) + (f"{delta:>{width}}" if two else "")
    out = [f"{results[0].dataset}: {results[0].metrics['n']} queries, {results[0].metrics['documents']} documents", head]

    def row(label: str, values: list[float], digits: int = 3) -> str:
        cells = "".join(f"{v:>{width}.{digits}f}" for v in values)
        if two:
            cells += f"{values[0] - values[1]:>+{width}.{digits}f}"
        return f"{label:<14}{cells}"

    for m in METRICS:
        out.append(row(m, [r.metrics[m] for r in results]))
    out.append(row("latency p50", [r.metrics["latency_ms"]["p50"] for r in results], 1))
    out.append(row("latency p95", [r.metrics["latency_ms"]["p95"] for r in results], 1))
    langs = sorted({l for r in results for l in r.metrics["per_lang"]})
    if len(langs) > 1:
        out.append("nDCG@10 per query language (n)")
    for lang in langs if len(langs) > 1 else []:
        vals = [r.metrics["per_lang"].get(lang, {}).get("ndcg@10", 0.0) for r in results]
        n = results[0].metrics["per_lang"].get(lang, {}).get("n", 0)
        out.append(row(f"  {lang} ({n})", vals))
    return "\n".join(out)
