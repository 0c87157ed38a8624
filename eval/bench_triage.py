"""Latency of POST /v1/classify and /v1/escalate (budget: classification p95 100 ms on 2 cores).

    python -m eval.bench_triage [--n 300] [--data ../shared/data]

Builds the sample knowledge base in a temporary folder, trains the triage classifier on its
labelled tickets, then sends real ticket texts through the API in-process (FastAPI's ASGI stack,
no network): multilingual support tickets (long e-mails) and banking intents (one-line messages).
Reports warm medians and p95 per kind of text, and the training time.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from pathlib import Path

from eval.metrics import percentile

REPO = Path(__file__).resolve().parent.parent


def _texts(data: Path, n: int) -> dict[str, list[dict[str, str]]]:
    rng = random.Random(7)
    tickets = [json.loads(x) for x in (data / "support_tickets" / "dev.jsonl").read_text(encoding="utf-8").splitlines()]
    short = [json.loads(x) for x in (data / "banking77" / "dev.jsonl").read_text(encoding="utf-8").splitlines()]
    rng.shuffle(tickets)
    rng.shuffle(short)
    return {
        "support e-mails (5 languages)": [{"subject": t.get("subject") or "", "body": t.get("body") or t["text"]} for t in tickets[:n]],
        "one-line messages": [{"subject": "", "body": t["text"]} for t in short[:n]],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=300, help="texts per kind")
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()

    from fastapi.testclient import TestClient

    from kb_service.app import create_app
    from kb_service.config import Settings
    from kb_service.knowledge import SAMPLE_DIR, KnowledgeBase

    texts = _texts(args.data, args.n)
    results: dict[str, object] = {}
    with tempfile.TemporaryDirectory(prefix="kb-bench-triage-") as tmp:
        settings = Settings(data_dir=Path(tmp) / "data", models_dir=REPO / "data" / "models", api_keys="bench-agent-key:admin")
        kb = KnowledgeBase(settings)
        kb.ingest_paths([SAMPLE_DIR])
        t0 = time.perf_counter()
        report = kb.triage.train(force=True)
        results["train_seconds"] = round(time.perf_counter() - t0, 2)
        results["trained_on"] = report.per_field
        headers = {"X-API-Key": "bench-agent-key"}
        with TestClient(create_app(settings, kb=kb)) as client:
            for _ in range(10):  # warm-up
                client.post("/v1/classify", json=texts["one-line messages"][0], headers=headers)
            for kind, items in texts.items():
                for route in ("/v1/classify", "/v1/escalate"):
                    lat = []
                    for t in items:
                        body = t if route == "/v1/classify" else {"ticket": t}
                        s = time.perf_counter()
                        r = client.post(route, json=body, headers=headers)
                        lat.append((time.perf_counter() - s) * 1000)
                        assert r.status_code == 200, r.text
                    key = f"{route} {kind}"
                    results[key] = {"n": len(lat), "p50_ms": round(percentile(lat, 0.5), 1), "p95_ms": round(percentile(lat, 0.95), 1)}
                    print(f"{key:<55} n={len(lat):<4} p50 {percentile(lat, 0.5):7.1f} ms   p95 {percentile(lat, 0.95):7.1f} ms", flush=True)
        kb.close()
    print(f"training on the sample's labelled tickets: {results['train_seconds']} s ({results['trained_on']})")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
