"""How long the web pages take to serve, on the sample knowledge base or at help-desk scale.

    python -m eval.bench_pages                                  # the shipped sample
    python -m eval.bench_pages --tickets 5000 --data-dir /tmp/kb-pages   # plus 5,000 real tickets

The sample's articles (and its tickets, or N resolved tickets from ../shared/data/support_tickets)
are ingested through the real pipeline into a data directory (kept and reused with --data-dir). The
real app is served in process (FastAPI's TestClient: no network, the whole request path), a writer
signs in, and each page is fetched: once cold (the first request after start, which computes the
ticket clusters and reports) and then --repeat times warm. Prints the cold time, the median and the
maximum of the warm ones, and the response size; --json writes them.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from eval.bench_writers import write_tickets
from kb_service.config import Settings
from kb_service.knowledge import SAMPLE_DIR, KnowledgeBase

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
WRITER_KEY = "bench-writer-key-0001"
PAGES = ["/widget.js", "/demo", "/desk", "/desk/drafts/{draft}", "/desk/search?q=reset+password", "/reports/gaps",
         "/reports/freshness", "/reports/search", "/reports/eval", "/reports/gaps.csv"]


def prepare(data_dir: Path, models_dir: Path | None, tickets: int, source: Path) -> Settings:
    values: dict[str, Any] = {"data_dir": data_dir, "api_keys": f"{WRITER_KEY}:writer",
                              "answer_rate_per_key": 0, "answer_rate_per_address": 0}
    if models_dir:
        values["models_dir"] = models_dir
    settings = Settings(**values)
    if not (data_dir / "kb.sqlite3").exists():
        kb = KnowledgeBase(settings)
        try:
            paths = [SAMPLE_DIR]
            if tickets:
                tickets_file = data_dir.parent / f"{data_dir.name}-tickets.jsonl"
                write_tickets(tickets_file, tickets, source)
                paths = [SAMPLE_DIR / "articles", tickets_file]
            start = time.perf_counter()
            summary = kb.ingest_paths(paths)
            print(f"ingested {len(summary.added)} sources in {time.perf_counter() - start:.1f} s", flush=True)
        finally:
            kb.close()
    return settings


def run(settings: Settings, repeat: int) -> dict[str, Any]:
    from fastapi.testclient import TestClient

    from kb_service.app import create_app

    results: dict[str, Any] = {}
    with TestClient(create_app(settings), base_url="http://127.0.0.1") as c:
        r = c.post("/signin", data={"key": WRITER_KEY, "next": "/desk"}, follow_redirects=False)
        assert r.status_code == 303, r.text
        draft = ""
        for page in PAGES:
            path = page
            if "{draft}" in page:
                if not draft:  # a draft from the largest cluster, as a writer would make it
                    desk = c.get("/desk").text
                    token = re.search(r'name="csrf" value="([^"]+)"', desk)
                    cluster = re.search(r'name="cluster_id" value="([^"]+)"', desk)
                    assert token and cluster, "no ticket cluster to draft from"
                    made = c.post("/desk/drafts", data={"csrf": token.group(1), "cluster_id": cluster.group(1)},
                                  follow_redirects=False)
                    draft = made.headers["location"].split("/")[3].split("?")[0]
                path = page.format(draft=draft)
            times = []
            size = 0
            for _ in range(repeat + 1):
                start = time.perf_counter()
                resp = c.get(path)
                times.append((time.perf_counter() - start) * 1000)
                assert resp.status_code == 200, (path, resp.status_code, resp.text[:200])
                size = len(resp.content)
            warm = times[1:]
            row = results[page.split("?")[0]] = {
                "cold_ms": round(times[0], 1), "median_ms": round(statistics.median(warm), 1),
                "max_ms": round(max(warm), 1), "bytes": size,
            }
            print(f"{page[:40]:40} cold {row['cold_ms']:8.1f} ms   median {row['median_ms']:8.1f} ms   "
                  f"max {row['max_ms']:8.1f} ms   {size:>8} B", flush=True)
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tickets", type=int, default=0, help="Resolved tickets from support_tickets (0: the sample's own).")
    ap.add_argument("--data-dir", type=Path, help="Kept and reused; default a temporary folder.")
    ap.add_argument("--models-dir", type=Path, default=Path(__file__).resolve().parent.parent / "data" / "models")
    ap.add_argument("--shared", type=Path, default=SHARED)
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="kb-pages-")) / "data"
    settings = prepare(data_dir, args.models_dir, args.tickets, args.shared / "support_tickets")
    out = {"tickets": args.tickets or "sample", "repeat": args.repeat, "pages": run(settings, args.repeat)}
    if args.json:
        args.json.write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
