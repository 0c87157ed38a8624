"""Latency of translation in the service: `/v1/translate` on help-centre sentences and paragraphs,
and `/v1/answer` for Spanish questions (answered from English articles, translated) against the
same questions in English (no translation).

    .venv/bin/python -m eval.bench_translate

Ingests the sample knowledge base into a temporary data directory, then times warm requests
in-process (FastAPI TestClient): median and p95 in milliseconds.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

from eval.metrics import percentile

QUESTIONS = [
    ("How do I connect Fernbook to Slack?", "¿Cómo conecto Fernbook con Slack?"),
    ("How do I reset my password?", "¿Cómo restablezco mi contraseña?"),
    ("How do I turn on two-factor authentication?", "¿Cómo activo la autenticación de dos factores?"),
    ("How do I request time off?", "¿Cómo solicito un día libre?"),
    ("How do I export timesheets to QuickBooks?", "¿Cómo exporto las hojas de horas a QuickBooks?"),
    ("How do I invite team members?", "¿Cómo invito a miembros del equipo?"),
    ("How do I download my invoices?", "¿Dónde descargo mis facturas?"),
    ("How do I sync my shifts with Google Calendar?", "¿Cómo sincronizo mis turnos con Google Calendar?"),
]


def timed(fn: Callable[[], Any], n: int) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def summary(ms: list[float]) -> dict[str, float]:
    return {"median_ms": round(statistics.median(ms), 1), "p95_ms": round(percentile(ms, 0.95), 1), "n": len(ms)}


def main() -> None:
    from fastapi.testclient import TestClient

    from kb_service.app import create_app
    from kb_service.config import Settings
    from kb_service.knowledge import SAMPLE_DIR, KnowledgeBase

    data = Path(tempfile.mkdtemp(prefix="kb-bench-translate-"))
    settings = Settings(data_dir=data, models_dir=Path("data/models").resolve(), api_keys="bench-key-0001:agent",
                        translation_engines="apertium")
    kb = KnowledgeBase(settings)
    kb.ingest_paths([SAMPLE_DIR / "articles"])
    h = {"X-API-Key": "bench-key-0001"}
    texts = [s.text for src in kb.store.iter_all("article") if src.doc.language == "en" for s in src.doc.sections if s.text.strip()]
    sentences = [t.split(". ")[0] + "." for t in texts][:40]
    paragraphs = [t for t in texts if 400 <= len(t) <= 1200][:20]
    results: dict[str, Any] = {"engine": "apertium", "sentences_chars_median": statistics.median(len(s) for s in sentences),
                               "paragraphs_chars_median": statistics.median(len(p) for p in paragraphs)}
    with TestClient(create_app(settings, kb=kb)) as c:
        post = lambda path, body: c.post(path, json=body, headers=h)  # noqa: E731
        post("/v1/translate", {"text": "warm up", "source_language": "en", "target_language": "es"})
        for q_en, q_es in QUESTIONS:
            post("/v1/answer", {"question": q_en}), post("/v1/answer", {"question": q_es})
        results["translate_sentence"] = summary([m for s in sentences for m in timed(
            lambda s=s: post("/v1/translate", {"text": s, "source_language": "en", "target_language": "es"}), 1)])
        results["translate_paragraph"] = summary([m for p in paragraphs for m in timed(
            lambda p=p: post("/v1/translate", {"text": p, "source_language": "en", "target_language": "es"}), 1)])
        en = [m for q, _ in QUESTIONS for m in timed(lambda q=q: post("/v1/answer", {"question": q}), 5)]
        es = [m for _, q in QUESTIONS for m in timed(lambda q=q: post("/v1/answer", {"question": q}), 5)]
        translated = sum(post("/v1/answer", {"question": q}).json()["translated"] for _, q in QUESTIONS)
        results["answer_en_untranslated"] = summary(en)
        results["answer_es_translated"] = summary(es)
        results["answer_es_translated_count"] = f"{translated}/{len(QUESTIONS)}"
    kb.close()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
