"""Service performance benchmark: the PRODUCT.md budgets measured through the real code paths.

What it measures, on the embedded defaults (embedded Qdrant, offline multilingual-e5-small):

1. Builds a corpus in a temporary folder (never in the repo) from the evaluation data (default
   ../shared/data beside the repo, read at run time): resolved tickets as JSONL (status "solved", the agent
   answer as resolution), FAQ / BEIR corpus documents as Markdown articles with front matter,
   short utterances (clinc150, banking77) grouped into FAQ-style Markdown articles, plus the
   project's sample knowledge base. Sources are mixed in proportion to their size, and documents
   are added until the project's own chunker says the index will hold at least `--chunks` chunks.
2. Ingestion throughput: `kb ingest <corpus>` in a subprocess with a fresh KB_DATA_DIR, timed
   wall clock; chunks per second = chunks indexed / wall time. A `kb ingest` of an empty folder
   (fresh data dir) measures process start + model load, which is also subtracted to report the
   steady-state rate.
3. Cold start: `kb serve --port <free>` until GET /health answers 200 (polled every 50 ms),
   3 times (SIGINT, then wait), median reported. The chunk count is read from /health
   (`kb.index.count()` in the running service).
4. Warm latency through HTTP (httpx, one keep-alive connection, sequential, client-side
   time.perf_counter): 20 warm-up requests, then `--queries` POST /v1/search (top_k 10) and
   `--queries` POST /v1/answer with English questions (stackfaq queries and held-out English
   ticket subjects that are not in the corpus), and separately the cross-lingual questions of
   tests/data/crosslingual_queries.jsonl. p50 / p95 / max in ms, plus the server's own `took_ms`.
5. Resident memory (RSS) of the server process after the latency runs.
6. A Markdown table (metric, measured, budget, pass/fail) on stdout and everything as JSON.

Run (from the repo root; the full run takes several minutes, mostly embedding):

    .venv/bin/python -m eval.bench_service                       # 10,000 chunks, 200 queries
    .venv/bin/python -m eval.bench_service --chunks 1000 --queries 50 --json /tmp/b.json

Options: --data-dir (evaluation data root), --models-dir (prepared models; default
<repo>/data/models), --json (default eval/results/bench_service.json), --keep (keep the temp
folder for inspection). Latency depends on machine load; run it on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import httpx
import numpy as np
import psutil

from ingest.chunking import chunk_document
from ingest.markdown import parse_markdown
from kb_service.config import Settings
from kb_service.knowledge import SAMPLE_DIR

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO.parent / "shared" / "data"  # the evaluation sets beside the repo, read in place
DEFAULT_JSON = REPO / "eval" / "results" / "bench_service.json"
CROSSLINGUAL = REPO / "tests" / "data" / "crosslingual_queries.jsonl"
API_KEY = "bench-agent-key"
CHUNK_MAX_CHARS: int = Settings.model_fields["chunk_max_chars"].default
UTTERANCES_PER_ARTICLE = 6
SEGMENTS_PER_SECTION = 6
WARMUP_REQUESTS = 20

BUDGETS = {
    "ingest_chunks_per_s": 30.0,  # at least
    "cold_start_s": 10.0,  # at most
    "search_p95_ms": 60.0,
    "answer_p95_ms": 150.0,
    "rss_mb": 2048.0,
}


# --------------------------------------------------------------------------- corpus


@dataclass
class Unit:
    """One document to add: an article (Markdown text, chunks counted with the real chunker) or a ticket."""

    source: str
    kind: str  # "article" | "ticket"
    name: str
    payload: Any  # Markdown text, or the ticket record


@dataclass
class SourceStats:
    documents: int = 0
    chunks: int = 0
    available: int = 0
    origin: str = ""


@dataclass
class Corpus:
    root: Path
    chunks: int = 0
    stats: dict[str, SourceStats] = field(default_factory=dict)
    tickets: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))

    def composition(self) -> dict[str, Any]:
        return {k: {"documents": v.documents, "estimated_chunks": v.chunks, "available_documents": v.available,
                    "origin": v.origin} for k, v in self.stats.items() if v.documents}


def _jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def _yaml_str(s: str) -> str:
    return json.dumps(" ".join(s.split()), ensure_ascii=False)  # a JSON string is a valid YAML scalar


def _markdown(doc_id: str, title: str, language: str, body: str, tags: list[str], area: str | None = None) -> str:
    fm = [f"id: {doc_id}", f"title: {_yaml_str(title)}", f"language: {language}"]
    if area:
        fm.append(f"product_area: {area}")
    if tags:
        fm.append("tags: [" + ", ".join(tags) + "]")
    return "---\n" + "\n".join(fm) + "\n---\n# " + " ".join(title.split()) + "\n\n" + body.strip() + "\n"


def _slug(s: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", s.lower()).strip("-")[:60] or "x"


def _ticket_units(path: Path, source: str, keep: Callable[[dict[str, Any]], bool]) -> list[Unit]:
    out = []
    for i, r in enumerate(_jsonl(path)):
        if not keep(r) or not (r.get("body") or "").strip() or not (r.get("answer") or "").strip():
            continue
        tid = f"{source}-{i:05d}"
        out.append(Unit(source, "ticket", tid, {
            "id": tid, "subject": r.get("subject") or "", "body": r["body"], "resolution": r["answer"],
            "language": r.get("lang") or "en", "status": "solved", "queue": r.get("queue"),
            "priority": r.get("priority"), "category": r.get("label"),
        }))
    return out


def _beir_units(path: Path, source: str, tag: str) -> list[Unit]:
    out = []
    for r in _jsonl(path):
        text = (r.get("text") or "").strip()
        if not text:
            continue
        lang = (r.get("metadata") or {}).get("lang") or "en"
        doc_id = f"{source}-{_slug(r['_id'])}"
        title = (r.get("title") or "").strip() or text[:80]
        out.append(Unit(source, "article", doc_id, _markdown(doc_id, title, lang, text, [tag])))
    return out


def _utterance_units(files: list[Path], source: str, domain_of: Callable[[dict[str, Any]], str | None]) -> list[Unit]:
    """Short utterances of one intent grouped, a few at a time, into FAQ-style articles."""
    by_label: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for f in files:
        for r in _jsonl(f):
            if r.get("label") and r["label"] != "oos" and (r.get("text") or "").strip():
                by_label[r["label"]].append(r)
    out = []
    for label in sorted(by_label):
        rows = by_label[label]
        topic = label.replace("_", " ").strip().capitalize()
        for g in range(0, len(rows), UTTERANCES_PER_ARTICLE):
            group = rows[g : g + UTTERANCES_PER_ARTICLE]
            n = g // UTTERANCES_PER_ARTICLE + 1
            doc_id = f"{source}-{_slug(label)}-{n:03d}"
            body = "## How customers ask about it\n\n" + "\n".join(f"- {r['text'].strip()}" for r in group)
            area = domain_of(group[0])
            out.append(Unit(source, "article", doc_id, _markdown(doc_id, f"{topic}: customer questions ({n})", "en", body,
                                                                [source, _slug(label)], area)))
    return out


def _segment_units(path: Path, source: str) -> list[Unit]:
    """Translation-memory source segments (English) grouped by document into articles with sections."""
    docs: dict[str, list[str]] = defaultdict(list)
    for r in _jsonl(path):
        if r.get("src_lang", "en") == "en" and (r.get("source") or "").strip():
            docs[str(r["id"]).rsplit(":", 1)[0]].append(r["source"].strip())
    out = []
    for name in sorted(docs):
        segs = docs[name]
        doc_id = f"{source}-{_slug(name)}"
        parts = []
        for s in range(0, len(segs), SEGMENTS_PER_SECTION):
            parts.append(f"## Part {s // SEGMENTS_PER_SECTION + 1}\n\n" + " ".join(segs[s : s + SEGMENTS_PER_SECTION]))
        out.append(Unit(source, "article", doc_id, _markdown(doc_id, segs[0][:120], "en", "\n\n".join(parts), [source])))
    return out


def candidate_sources(data: Path, held_out_subjects: set[str]) -> dict[str, tuple[str, list[Unit]]]:
    """Every source the corpus can draw from: name -> (origin, units in file order)."""
    st = data / "support_tickets"
    sources: dict[str, tuple[str, list[Unit]]] = {}

    def add(name: str, origin: str, units: list[Unit]) -> None:
        if units:
            sources[name] = (origin, units)

    if (st / "train.jsonl").is_file():
        add("tickets-train", "support_tickets/train.jsonl (JSONL tickets, answer as resolution)",
            _ticket_units(st / "train.jsonl", "tickets-train", lambda r: True))
    if (st / "dev.jsonl").is_file():  # English dev subjects are the held-out questions: keep those tickets out
        add("tickets-dev", "support_tickets/dev.jsonl, non-English only (JSONL tickets)",
            _ticket_units(st / "dev.jsonl", "tickets-dev", lambda r: r.get("lang") != "en"))
    if (data / "covidqa_faq" / "corpus.jsonl").is_file():
        add("covidqa", "covidqa_faq/corpus.jsonl (Markdown articles)", _beir_units(data / "covidqa_faq" / "corpus.jsonl", "covidqa", "covid"))
    if (data / "stackfaq" / "corpus.jsonl").is_file():
        add("stackfaq", "stackfaq/corpus.jsonl (Markdown articles)", _beir_units(data / "stackfaq" / "corpus.jsonl", "stackfaq", "stackexchange"))
    if (data / "xquad_r" / "corpus.jsonl").is_file():
        add("xquad_r", "xquad_r/corpus.jsonl (Markdown articles)", _beir_units(data / "xquad_r" / "corpus.jsonl", "xquad", "wikipedia"))
    if (data / "tico19_en_es" / "segments.jsonl").is_file():
        add("tico19", "tico19_en_es/segments.jsonl English sources, grouped by document (Markdown articles)",
            _segment_units(data / "tico19_en_es" / "segments.jsonl", "tico19"))
    clinc = [p for p in (data / "clinc150" / "train.jsonl", data / "clinc150" / "dev.jsonl") if p.is_file()]
    if clinc:
        add("clinc150", f"clinc150 train+dev utterances, {UTTERANCES_PER_ARTICLE} per FAQ article (Markdown)",
            _utterance_units(clinc, "clinc150", lambda r: r.get("domain")))
    banking = [p for p in (data / "banking77" / "train.jsonl", data / "banking77" / "dev.jsonl") if p.is_file()]
    if banking:
        add("banking77", f"banking77 train+dev utterances, {UTTERANCES_PER_ARTICLE} per FAQ article (Markdown)",
            _utterance_units(banking, "banking77", lambda r: "banking"))
    # never index a question we ask verbatim
    for name in ("tickets-train", "tickets-dev"):
        if name in sources:
            origin, units = sources[name]
            sources[name] = (origin, [u for u in units if u.payload["subject"].strip() not in held_out_subjects])
    return sources


def build_corpus(root: Path, data: Path, target: int, held_out_subjects: set[str]) -> Corpus:
    """Sample KB first, then the sources mixed in proportion to their size until `target` chunks."""
    corpus = Corpus(root)
    root.mkdir(parents=True, exist_ok=True)
    sample_dst = root / "sample"
    shutil.copytree(SAMPLE_DIR, sample_dst)
    from ingest.loader import load_path

    loaded = load_path(sample_dst)
    sample_chunks = sum(len(chunk_document(d, CHUNK_MAX_CHARS)) for d in loaded.documents)
    corpus.stats["sample"] = SourceStats(len(loaded.documents), sample_chunks, len(loaded.documents), "kb_service.knowledge.SAMPLE_DIR")
    corpus.chunks += sample_chunks

    sources = candidate_sources(data, held_out_subjects)
    used = {name: 0 for name in sources}
    for name, (origin, units) in sources.items():
        corpus.stats[name] = SourceStats(available=len(units), origin=origin)
    while corpus.chunks < target:
        open_ = [n for n in sources if used[n] < len(sources[n][1])]
        if not open_:
            break
        name = min(open_, key=lambda n: (used[n] / len(sources[n][1]), n))  # least-used fraction next
        unit = sources[name][1][used[name]]
        used[name] += 1
        st = corpus.stats[name]
        if unit.kind == "ticket":
            corpus.tickets[name].append(unit.payload)
            n_chunks = 1  # the chunker keeps a ticket as one chunk
        else:
            path = root / name / f"{unit.name}.md"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(unit.payload, encoding="utf-8")
            n_chunks = len(chunk_document(parse_markdown(path, unit.payload), CHUNK_MAX_CHARS))
        st.documents += 1
        st.chunks += n_chunks
        corpus.chunks += n_chunks
    for name, rows in corpus.tickets.items():
        (root / name).mkdir(parents=True, exist_ok=True)
        with (root / name / "tickets.jsonl").open("w", encoding="utf-8") as fh:
            for r in rows:
                fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    return corpus


# --------------------------------------------------------------------------- questions


def english_questions(data: Path) -> tuple[list[str], set[str]]:
    """stackfaq queries interleaved with English dev-ticket subjects (held out of the corpus)."""
    stack = [r["text"].strip() for r in _jsonl(data / "stackfaq" / "queries.jsonl")] if (data / "stackfaq" / "queries.jsonl").is_file() else []
    subjects: list[str] = []
    dev = data / "support_tickets" / "dev.jsonl"
    train = data / "support_tickets" / "train.jsonl"
    if dev.is_file():
        train_subjects = {(r.get("subject") or "").strip() for r in _jsonl(train)} if train.is_file() else set()
        seen: set[str] = set()
        for r in _jsonl(dev):
            s = (r.get("subject") or "").strip()
            if r.get("lang") == "en" and len(s) >= 10 and s not in train_subjects and s not in seen:
                seen.add(s)
                subjects.append(s)
    out: list[str] = []
    for i in range(max(len(stack), len(subjects))):
        out.extend(x[i] for x in (stack, subjects) if i < len(x))
    return out, set(subjects)


def take(pool: list[str], start: int, n: int) -> list[str]:
    return [pool[(start + i) % len(pool)] for i in range(n)] if pool else []


# --------------------------------------------------------------------------- processes


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def kb_executable() -> str:
    exe = Path(sys.executable).parent / "kb"
    if exe.is_file():
        return str(exe)
    found = shutil.which("kb")
    if not found:
        raise SystemExit("cannot find the `kb` command next to this Python or on PATH")
    return found


def service_env(data_dir: Path, models_dir: Path | None) -> dict[str, str]:
    """The caller's environment without any KB_* setting (embedded defaults), plus ours."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KB_")}
    env["KB_DATA_DIR"] = str(data_dir)
    if models_dir is not None:
        env["KB_MODELS_DIR"] = str(models_dir)
    env["KB_API_KEYS"] = f"{API_KEY}:admin"
    env["PYTHONUNBUFFERED"] = "1"
    return env


def run_ingest(kb: str, paths: list[Path], env: dict[str, str], timeout: float, log: Path) -> dict[str, Any]:
    """`kb ingest PATHS` timed wall clock; past `timeout` it is interrupted (SIGINT: the journal keeps the
    index consistent) and what was committed so far stays indexed."""
    cmd = [kb, "ingest", *map(str, paths)]
    out_path = log.with_suffix(".out")
    timed_out = False
    start = time.perf_counter()
    with log.open("w") as err, out_path.open("w") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=err, text=True, start_new_session=True)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    wall = time.perf_counter() - start
    stdout = out_path.read_text(errors="replace")
    m = re.search(r"\((\d+) chunks embedded\)", stdout)
    return {
        "command": shlex.join(cmd),
        "wall_s": wall,
        "returncode": proc.returncode,
        "timed_out": timed_out,
        "summary": stdout.strip().splitlines()[0] if stdout.strip() else "",
        "chunks_embedded": int(m.group(1)) if m else None,
        "stderr_tail": log.read_text(errors="replace")[-1500:] if proc.returncode else "",
    }


class Server:
    """`kb serve` as a subprocess; always stopped by `stop()` (SIGINT, then SIGKILL after a grace period)."""

    def __init__(self, kb: str, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self._fh = log.open("w")
        self.proc = subprocess.Popen([kb, "serve", "--host", "127.0.0.1", "--port", str(self.port)], env=env,
                                     stdout=self._fh, stderr=subprocess.STDOUT, start_new_session=True)
        self.started = time.perf_counter()

    def wait_ready(self, timeout: float) -> tuple[float, dict[str, Any]]:
        """Seconds from spawn until GET /health answered 200 (polled every 50 ms), and that answer."""
        with httpx.Client(timeout=2.0) as c:
            while True:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"kb serve exited with {self.proc.returncode}:\n{self.tail()}")
                try:
                    r = c.get(f"{self.url}/health")
                    if r.status_code == 200:
                        return time.perf_counter() - self.started, r.json()
                except httpx.HTTPError:
                    pass
                if time.perf_counter() - self.started > timeout:
                    raise RuntimeError(f"kb serve not ready after {timeout:.0f} s:\n{self.tail()}")
                time.sleep(0.05)

    def rss_mb(self) -> float:
        p = psutil.Process(self.proc.pid)
        return sum(q.memory_info().rss for q in [p, *p.children(recursive=True)]) / 2**20

    def tail(self) -> str:
        self._fh.flush()
        return self.log.read_text(errors="replace")[-2000:]

    def stop(self, grace: float = 20.0) -> float | None:
        """SIGINT, wait; returns seconds to exit (None if it had to be killed)."""
        try:
            if self.proc.poll() is None:
                t = time.perf_counter()
                self.proc.send_signal(signal.SIGINT)
                try:
                    self.proc.wait(grace)
                    return time.perf_counter() - t
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(10)
                    return None
            return 0.0
        finally:
            self._fh.close()


# --------------------------------------------------------------------------- latency


def stats_ms(samples: list[float]) -> dict[str, Any]:
    if not samples:
        return {"n": 0}
    a = np.asarray(samples)
    return {"n": len(samples), "p50": float(np.percentile(a, 50)), "p95": float(np.percentile(a, 95)),
            "max": float(a.max()), "mean": float(a.mean())}


def timed_requests(client: httpx.Client, endpoint: str, questions: list[str]) -> dict[str, Any]:
    """Sequential POSTs; client-side ms per request, server `took_ms` (search) and outcome counts."""
    lat: list[float] = []
    server: list[float] = []
    errors: list[str] = []
    answered = 0
    for q in questions:
        body: dict[str, Any] = {"query": q, "top_k": 10} if endpoint == "search" else {"question": q}
        t = time.perf_counter()
        r = client.post(f"/v1/{endpoint}", json=body)
        dt = (time.perf_counter() - t) * 1000
        if r.status_code != 200:
            errors.append(f"{r.status_code}: {r.text[:200]}")
            continue
        lat.append(dt)
        data = r.json()
        if endpoint == "search" and "took_ms" in data:
            server.append(float(data["took_ms"]))
        if endpoint == "answer" and data.get("answered"):
            answered += 1
    out = {"client_ms": stats_ms(lat), "errors": len(errors), "error_examples": errors[:3]}
    if endpoint == "search":
        out["server_took_ms"] = stats_ms(server)
    else:
        out["answered"] = answered
        out["handoff"] = len(lat) - answered
    return out


# --------------------------------------------------------------------------- report


def fmt(v: float | None, unit: str, digits: int = 1) -> str:
    return "n/a" if v is None else f"{v:.{digits}f} {unit}".strip()


def table(rows: list[tuple[str, str, str, str]]) -> str:
    lines = ["| metric | measured | budget | pass/fail |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    return "\n".join(lines)


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("pass" if ok else "FAIL")


def build_rows(res: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    rows: list[tuple[str, str, str, str]] = []
    ing = res.get("ingest", {})
    target = res["config"]["target_chunks"]
    n = res.get("index_chunks")
    rows.append(("chunks indexed", str(n) if n is not None else "n/a", f">= {target}", verdict(None if n is None else n >= target)))
    rate = ing.get("chunks_per_s")
    cut = " (timed out: partial)" if ing.get("run", {}).get("timed_out") else ""
    rows.append((f"ingestion, wall (incl. start, model load){cut}", fmt(rate, "chunks/s"), ">= 30 chunks/s",
                 verdict(None if rate is None else rate >= BUDGETS["ingest_chunks_per_s"])))
    rate2 = ing.get("chunks_per_s_excl_startup")
    rows.append(("ingestion, excl. start-up", fmt(rate2, "chunks/s"), ">= 30 chunks/s",
                 verdict(None if rate2 is None else rate2 >= BUDGETS["ingest_chunks_per_s"])))
    cs = res.get("cold_start", {}).get("median_s")
    rows.append(("cold start (median of 3, to /health 200)", fmt(cs, "s", 2), "<= 10 s", verdict(None if cs is None else cs <= BUDGETS["cold_start_s"])))
    lat = res.get("latency", {})
    for key, label, budget_key in (("en_search", "search (en)", "search_p95_ms"), ("en_answer", "answer (en)", "answer_p95_ms"),
                                   ("xl_search", "search (cross-lingual)", "search_p95_ms"), ("xl_answer", "answer (cross-lingual)", None)):
        s = lat.get(key, {}).get("client_ms", {})
        if not s.get("n"):
            continue
        if budget_key:
            b = BUDGETS[budget_key]
            rows.append((f"{label} p95", fmt(s["p95"], "ms"), f"<= {b:.0f} ms", verdict(s["p95"] <= b)))
        else:
            rows.append((f"{label} p95", fmt(s["p95"], "ms"), "none (budget is for the KB's own language)", "info"))
        rows.append((f"{label} p50 / max", f"{s['p50']:.1f} / {s['max']:.1f} ms", "", "info"))
    rss = res.get("rss_mb")
    rows.append(("server RSS after latency runs", fmt(rss, "MB", 0), "<= 2048 MB", verdict(None if rss is None else rss <= BUDGETS["rss_mb"])))
    return rows


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--chunks", type=int, default=10_000, help="index at least this many chunks (default 10000)")
    ap.add_argument("--queries", type=int, default=200, help="timed requests per endpoint (default 200)")
    ap.add_argument("--data-dir", type=Path, default=DEFAULT_DATA, help=f"evaluation data root (default {DEFAULT_DATA})")
    ap.add_argument("--models-dir", type=Path, default=REPO / "data" / "models", help="prepared models (KB_MODELS_DIR)")
    ap.add_argument("--json", type=Path, default=DEFAULT_JSON, help=f"write results here (default {DEFAULT_JSON.relative_to(REPO)})")
    ap.add_argument("--crosslingual-repeats", type=int, default=2, help="passes over the cross-lingual questions (default 2)")
    ap.add_argument("--ingest-timeout", type=float, default=1200.0, help="interrupt `kb ingest` after this many seconds (default 1200; keeps the whole run bounded). An interrupted ingest has not trained triage, so the service trains it in the background during the latency runs: their numbers are then not the service's own")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder (corpus, data dir, logs)")
    args = ap.parse_args(argv)

    t_run = time.perf_counter()
    data: Path = args.data_dir.resolve()
    if not data.is_dir():
        ap.error(f"--data-dir {data} is not a folder")
    models_dir: Path | None = args.models_dir.resolve() if args.models_dir and args.models_dir.is_dir() else None
    kb = kb_executable()
    res: dict[str, Any] = {
        "command": shlex.join([sys.executable, "-m", "eval.bench_service", *(argv if argv is not None else sys.argv[1:])]),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {"cpu_count": os.cpu_count(), "cpu_affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
                    "python": platform.python_version(), "platform": platform.platform(), "processor": platform.processor() or platform.machine(),
                    "memory_total_mb": round(psutil.virtual_memory().total / 2**20), "load_avg_at_start": list(os.getloadavg())},
        "config": {"target_chunks": args.chunks, "queries": args.queries, "warmup_requests": WARMUP_REQUESTS,
                   "data_dir": str(data), "models_dir": str(models_dir) if models_dir else None, "chunk_max_chars": CHUNK_MAX_CHARS,
                   "embedded_defaults": "all KB_* variables removed from the environment except KB_DATA_DIR, KB_MODELS_DIR, KB_API_KEYS"},
        "budgets": BUDGETS,
    }
    tmp = Path(tempfile.mkdtemp(prefix="kb-bench-"))
    server: Server | None = None
    status = 0
    try:
        # 1. corpus -------------------------------------------------------------
        t = time.perf_counter()
        en_pool, held_out = english_questions(data)
        corpus = build_corpus(tmp / "corpus", data, args.chunks, held_out)
        res["corpus"] = {"estimated_chunks": corpus.chunks, "sources": corpus.composition(), "build_s": time.perf_counter() - t}
        print(f"corpus: ~{corpus.chunks} chunks from {len(corpus.composition())} sources in {time.perf_counter() - t:.1f} s", file=sys.stderr)
        if corpus.chunks < args.chunks:
            print(f"warning: the data only gives ~{corpus.chunks} chunks, fewer than {args.chunks}", file=sys.stderr)

        # 2. ingestion ----------------------------------------------------------
        (tmp / "empty").mkdir()
        env_empty = service_env(tmp / "data-empty", models_dir)
        print("ingest: empty folder (start-up cost) ...", file=sys.stderr)
        empty = run_ingest(kb, [tmp / "empty"], env_empty, args.ingest_timeout, tmp / "ingest-empty.log")
        env = service_env(tmp / "data", models_dir)
        print(f"ingest: {corpus.chunks} chunks ...", file=sys.stderr)
        main_run = run_ingest(kb, [tmp / "corpus"], env, args.ingest_timeout, tmp / "ingest.log")
        print(f"ingest: {main_run['summary']} in {main_run['wall_s']:.1f} s", file=sys.stderr)
        embedded = main_run["chunks_embedded"] or 0
        startup = empty["wall_s"] if empty["returncode"] == 0 else None
        res["ingest"] = {"run": main_run, "empty_folder_run": empty, "chunks_embedded": main_run["chunks_embedded"],
                         "startup_s": startup, "ok": main_run["returncode"] == 0 and empty["returncode"] == 0}
        if main_run["returncode"] != 0:
            print(f"warning: kb ingest exited with {main_run['returncode']}"
                  f"{' (timed out)' if main_run['timed_out'] else ''}:\n{main_run['stderr_tail']}", file=sys.stderr)

        # 3. cold start (the third server stays up for the latency runs) --------
        times: list[float] = []
        stops: list[float | None] = []
        failures: list[str] = []
        health: dict[str, Any] = {}
        while len(times) < 3:
            server = Server(kb, env, tmp / f"serve-{len(times)}-{len(failures)}.log")
            try:
                took, health = server.wait_ready(timeout=120)
            except RuntimeError as exc:  # one retry per run, e.g. a stray signal; recorded
                server.stop()
                server = None
                failures.append(str(exc))
                print(f"warning: {exc}", file=sys.stderr)
                if len(failures) > 2:
                    raise
                continue
            times.append(took)
            print(f"cold start {len(times)}: {took:.2f} s", file=sys.stderr)
            if "index_chunks" not in res:
                res["index_chunks"] = int(health.get("index", {}).get("chunks", 0))
            if len(times) < 3:
                stops.append(server.stop())
                server = None
        res["cold_start"] = {"runs_s": times, "median_s": statistics.median(times), "stop_s": stops,
                             "failed_starts": failures, "health": health}
        res["index"] = health.get("index")
        assert server is not None
        # chunks per second: what the ingest embedded (or, if it was cut short, what got indexed) / wall time
        done = embedded or (res["index_chunks"] if main_run["timed_out"] else 0)
        res["ingest"]["chunks_per_s"] = done / main_run["wall_s"] if done else None
        if done and startup and main_run["wall_s"] > startup:
            res["ingest"]["chunks_per_s_excl_startup"] = done / (main_run["wall_s"] - startup)

        # 4. warm latency ---------------------------------------------------------
        xl = [json.loads(line)["query"] for line in CROSSLINGUAL.read_text(encoding="utf-8").splitlines() if line.strip()]
        n = args.queries
        warm = take(en_pool, 0, WARMUP_REQUESTS)
        q_search = take(en_pool, WARMUP_REQUESTS, n)
        q_answer = take(en_pool, WARMUP_REQUESTS + n, n)
        reused = len(en_pool) < WARMUP_REQUESTS + 2 * n
        with httpx.Client(base_url=server.url, headers={"X-API-Key": API_KEY}, timeout=60,
                          limits=httpx.Limits(max_connections=1, max_keepalive_connections=1)) as client:
            for i, q in enumerate(warm):
                ep = "search" if i % 2 == 0 else "answer"
                client.post(f"/v1/{ep}", json={"query": q, "top_k": 10} if ep == "search" else {"question": q})
            lat = {
                "en_search": timed_requests(client, "search", q_search),
                "en_answer": timed_requests(client, "answer", q_answer),
                "xl_search": timed_requests(client, "search", xl * args.crosslingual_repeats),
                "xl_answer": timed_requests(client, "answer", xl * args.crosslingual_repeats),
            }
        res["latency"] = lat
        res["questions"] = {"english_pool": len(en_pool), "english_reused": reused, "crosslingual": len(xl),
                            "crosslingual_repeats": args.crosslingual_repeats,
                            "english_origin": "stackfaq/queries.jsonl interleaved with English support_tickets/dev.jsonl subjects "
                                              "(those tickets are not in the corpus)"}
        if any(v["errors"] for v in lat.values()):
            status = 1

        # 5. memory ----------------------------------------------------------------
        res["rss_mb"] = server.rss_mb()
        res["shutdown_s"] = server.stop()
        server = None
    except Exception as exc:  # report what was measured so far, then fail
        res["error"] = f"{type(exc).__name__}: {exc}"
        print(f"error: {res['error']}", file=sys.stderr)
        status = 1
    finally:
        if server is not None:
            server.stop()
        if args.keep:
            res["temp_dir"] = str(tmp)
            print(f"kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    res["elapsed_s"] = time.perf_counter() - t_run
    res["machine"]["load_avg_at_end"] = list(os.getloadavg())
    rows = build_rows(res)
    res["table"] = [dict(zip(("metric", "measured", "budget", "result"), r)) for r in rows]
    res["all_budgets_pass"] = all(r[3] in ("pass", "info") for r in rows) and "error" not in res
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(res, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")

    print(f"\n## Service benchmark: {res.get('index_chunks', 'n/a')} chunks, {args.queries} queries per endpoint\n")
    print(table(rows))
    comp = res.get("corpus", {}).get("sources", {})
    if comp:
        print("\ncorpus: " + ", ".join(f"{k} {v['documents']} docs/~{v['estimated_chunks']} chunks" for k, v in comp.items()))
    print(f"\nmachine: {os.cpu_count()} CPUs, Python {platform.python_version()}; total {res['elapsed_s']:.0f} s; JSON: {args.json}")
    return status if status else (0 if res["all_budgets_pass"] else 2)


if __name__ == "__main__":
    sys.exit(main())
