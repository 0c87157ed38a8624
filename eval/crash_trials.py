"""Crash trials: the real CLI and the real service killed with SIGKILL mid-write, then checked.

Each trial works on a fresh copy of one pre-built data directory, the base: the shipped sample
articles, a few resolved sample tickets with a trained triage model, generated articles and three
drafts. It is built once in this process (a few minutes) and reused while its recipe is unchanged.

- ingest (`--trials`, default 20): `kb ingest <generated> --sync` in a subprocess changes the
  generated articles all at once (new ones added, changed ones updated from v1 to v2, deleted ones
  removed; two batches and a half with KB_INGEST_BATCH_DOCS=8) and is SIGKILLed. In every five
  trials: one at a random time of the whole run (mostly start-up: imports and the model), two at a
  random time of its work after start-up (parsing, embedding, the index and source-store writes, the
  triage check at the end; these runs are traced, so the stage is known exactly), one as soon as the
  journal holds its first or second batch, one by itself right before or after a chosen write
  (`inject`, below). Random times are seeded and stratified. Before any re-run, every source the
  source store committed must be one whole version, old or new. Then the trials take turns: `kb
  ingest` again (its start-up recovers), or the data directory opened in this process (the start-up
  recovery, then a full check) and the ingest's own steps run here. At the end every source must be
  there exactly once with its new content (the removed ones gone) and nothing orphaned. One
  uninterrupted, traced run first times the ingest; the timing follows the machine's load after.
- service (`--service-trials`, default 4): `kb serve` on a free port; two warm-up writes (the second
  times the request); then PUT /v1/articles/{id} or POST /v1/drafts/{id}/approve, SIGKILLed after a
  random delay (before the request arrives, during it or after the answer) or by itself right after
  the source store committed the write, the moment the source store and the records database
  disagree. After a restart (`kb serve` again, or the knowledge base opened in this process behind
  the same app) the article must be entirely old or entirely new (new if the client was answered)
  with its versions agreeing, the draft approved with its article published once or still
  approvable, and a retry must succeed: 200 (or 409 for a draft that is already approved), never a
  5xx, and the new version recorded exactly once.

Every data directory is checked with kb_service.storage.consistency.check_consistency. "Items lost"
counts sources missing or at the wrong version after the re-run and answered writes not found after
the restart; it must be 0. The JSON and text reports list every trial: where the kill landed, what
the raw data directory held before recovery, and every problem.

Run (from the repo root; about 15 minutes on a loaded 2-core machine with the base built):

    .venv/bin/python -m eval.crash_trials --trials 20
    .venv/bin/python -m eval.crash_trials --trials 5 --service-trials 2 --seed 7 --out /tmp/crash

Options: --seed, --work (work folder, default /tmp/kb-crash-trials; the base is kept there and
reused), --out (report path without suffix; .json and .txt are written; default
eval/results/crash_trials), --new/--changed/--removed/--kept/--tickets (sizes of the generated
corpus), --no-sample (leave the shipped sample articles out of the base), --modes (run these ingest
trials instead of the mix), --keep (keep each trial's data directory). Internal: `python -m
eval.crash_trials inject <before|after>:<Class.method>:<n> -- <kb args>` runs the real CLI and
SIGKILLs itself right before or after the n-th call of that method (`inject trace -- ...` prints
when each ingest stage begins instead).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

REPO = Path(__file__).resolve().parent.parent
MODELS_DIR = REPO / "data" / "models"
WRITER_KEY = "crash-writer-key-0001"
ADMIN_KEY = "crash-admin-key-0001"
API_KEYS = f"{WRITER_KEY}:writer,{ADMIN_KEY}:admin"
ACTOR = "crash-trials"
BASE_FORMAT = "2"  # bump when what the base holds changes

# --------------------------------------------------------------------------- crash injection

# methods a crash can be injected around: name -> (module, class, attribute)
INJECT_TARGETS = {
    "SourceStore.commit": ("kb_service.storage.sources", "SourceStore", "commit"),
    "VectorIndex.add": ("kb_service.engines.vector_index", "VectorIndex", "add"),
    "VectorIndex.delete_source": ("kb_service.engines.vector_index", "VectorIndex", "delete_source"),
    "DraftStore.approve": ("kb_service.storage.drafts", "DraftStore", "approve"),
    "History.finish_publication": ("kb_service.storage.history", "History", "finish_publication"),
}


def install_crash(spec: str) -> None:
    """`before|after:<Class.method>:<n>`: SIGKILL this process right before or after the n-th call."""
    import importlib

    when, target, nth = spec.split(":")
    module, cls_name, attr = INJECT_TARGETS[target]
    cls = getattr(importlib.import_module(module), cls_name)
    original = getattr(cls, attr)
    calls = [0]

    def crashing(self: Any, *args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        hit = calls[0] == int(nth)
        if hit and when == "before":
            os.kill(os.getpid(), signal.SIGKILL)
        out = original(self, *args, **kwargs)
        if hit:
            os.kill(os.getpid(), signal.SIGKILL)
        return out

    setattr(cls, attr, crashing)


TRACE = "CRASH-TRACE"


def install_trace() -> None:
    """Print when each stage of an ingest starts (wall clock), for judging where a kill landed."""
    import atexit
    import importlib

    def mark(event: str) -> None:
        print(f"{TRACE} {event} {time.time():.3f}", file=sys.stderr, flush=True)

    counts: dict[str, int] = {}

    def wrap(module: str, cls_name: str, attr: str, event: str, after: bool = False) -> None:
        cls = getattr(importlib.import_module(module), cls_name)
        original = getattr(cls, attr)

        def traced(self: Any, *args: Any, **kwargs: Any) -> Any:
            counts[event] = counts.get(event, 0) + 1
            if not after:
                mark(f"{event}:{counts[event]}")
            out = original(self, *args, **kwargs)
            if after:
                mark(f"{event}:{counts[event]}")
            return out

        setattr(cls, attr, traced)

    wrap("kb_service.knowledge", "KnowledgeBase", "__init__", "ready", after=True)
    wrap("ingest.pipeline", "Indexer", "apply", "apply")
    wrap("kb_service.engines.vector_index", "VectorIndex", "add", "add")
    wrap("kb_service.storage.sources", "SourceStore", "commit", "commit", after=True)
    wrap("kb_service.triage.engine", "Triage", "train", "triage")
    atexit.register(mark, "exit:1")


def _inject_main(argv: list[str]) -> None:
    spec, rest = argv[0], argv[1:]
    if rest[:1] == ["--"]:
        rest = rest[1:]
    if spec == "trace":
        install_trace()
    else:
        install_crash(spec)
    from kb_service.cli import app

    sys.argv = ["kb", *rest]
    app()


# --------------------------------------------------------------------------- corpus

_SUBJECTS = ["badge printer", "payroll export", "shift swap", "kiosk clock", "holiday calendar", "overtime rule",
             "team chat", "webhook", "report builder", "geofence", "tip pooling", "contract template"]
_VERBS = ["configure", "reset", "connect", "review", "approve", "archive", "rename", "share"]
_PLACES = ["Settings > Integrations", "Settings > Billing", "the Schedule page", "the mobile app", "the Reports tab",
           "Settings > Locations", "the Admin console", "the Time sheet view"]


TRIAL_BATCH_DOCS = 8  # KB_INGEST_BATCH_DOCS of every process here: three batches from 20 generated articles


@dataclass
class CorpusSizes:
    new: int = 8  # generated articles each trial adds
    changed: int = 12  # in the base at v1, each trial updates them to v2 (new + changed: two batches and a half)
    removed: int = 4  # in the base, each trial deletes their files (ingested with --sync)
    kept: int = 4  # in the base, unchanged by the trials (targets of the service trials)
    sample: bool = True  # the shipped sample articles in the base
    tickets: int = 12  # resolved sample tickets in the base (three drafts are written from the first seven)


def _article(aid: str, version: int) -> str:
    """A short help article (one chunk, a few sentences: little to embed) whose every sentence says
    which version it is, so that a mix of versions would show."""
    r = random.Random(aid)  # the same topic in every version
    subject, verb, place = r.choice(_SUBJECTS), r.choice(_VERBS), r.choice(_PLACES)
    n = int(aid[-3:]) if aid[-3:].isdigit() else 0
    tag = f"revision {version}"
    return (
        f"---\nid: {aid}\ntitle: \"How to {verb} the {subject} {n} ({tag})\"\nlanguage: en\nupdated: 2026-0{version}-01\n"
        f"tags:\n  - generated\n  - {subject.replace(' ', '-')}\nproduct_area: testing\n---\n"
        f"# How to {verb} the {subject} {n}\n\n"
        f"An administrator can {verb} the {subject} of a location in {place} ({tag}).\n\n"
        f"1. Open {place}, choose {verb.capitalize()} and save the change ({tag}).\n"
    )


def gen_ids(prefix: str, count: int) -> list[str]:
    return [f"gen-{prefix}{i:03d}" for i in range(count)]


def write_generated(root: Path, sizes: CorpusSizes, trial: bool) -> None:
    """The generated articles as the base has them (`trial` False) or as every trial ingests them."""
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    files: dict[str, int] = {aid: 1 for aid in gen_ids("k", sizes.kept)}
    if trial:
        files |= {aid: 1 for aid in gen_ids("a", sizes.new)} | {aid: 2 for aid in gen_ids("b", sizes.changed)}
    else:
        files |= {aid: 1 for aid in gen_ids("b", sizes.changed)} | {aid: 1 for aid in gen_ids("c", sizes.removed)}
    for aid, version in files.items():
        (root / f"{aid}.md").write_text(_article(aid, version), encoding="utf-8")


def write_tickets(path: Path, count: int) -> list[str]:
    """The first `count` resolved sample tickets as JSONL; returns their ids."""
    from kb_service.knowledge import SAMPLE_DIR

    rows = []
    for line in (SAMPLE_DIR / "tickets" / "tickets.jsonl").read_text(encoding="utf-8").splitlines():
        t = json.loads(line)
        if t.get("resolution") and t.get("status") in ("solved", "closed", "resolved") and len(rows) < count:
            rows.append(t)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(t, ensure_ascii=False) + "\n" for t in rows), encoding="utf-8")
    return [str(t["id"]) for t in rows]


# --------------------------------------------------------------------------- the base


@dataclass
class Base:
    work: Path
    data: Path  # the pre-built data directory every trial copies
    gen: Path  # the generated articles, at the path the base ingested them from
    sizes: CorpusSizes
    drafts: dict[str, str]  # "warm-1", "warm-2" and "trial" -> draft id
    draft: dict[str, str]  # the trial draft's title, body, language
    hashes: dict[str, str]  # source id -> content hash in the base
    build_s: float = 0.0
    reused: bool = False


def settings_for(data: Path) -> Any:
    from kb_service.config import Settings

    return Settings(data_dir=data, models_dir=MODELS_DIR, api_keys=API_KEYS,  # type: ignore[call-arg]
                    ingest_batch_docs=TRIAL_BATCH_DOCS)


def default_sizes() -> CorpusSizes:
    """Two batches and a half of generated articles to write: fewer with small batches (KB_INGEST_BATCH_DOCS),
    36 where that setting is missing and the batch is 32."""
    from ingest.pipeline import BATCH_DOCS

    batch = getattr(settings_for(Path(".")), "ingest_batch_docs", BATCH_DOCS)
    return CorpusSizes() if batch == TRIAL_BATCH_DOCS else CorpusSizes(new=16, changed=20)


def source_hashes(data: Path) -> dict[str, str]:
    """source id -> content hash as committed in a data directory's source store (read-only)."""
    path = data / "kb.sqlite3"
    if not path.exists():
        return {}
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return dict(conn.execute("SELECT source_id, content_hash FROM sources").fetchall())
    finally:
        conn.close()


def pending_rows(data: Path) -> int:
    path = data / "kb.sqlite3"
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    try:
        return int(conn.execute("SELECT COUNT(*) FROM pending").fetchone()[0])
    finally:
        conn.close()


def parsed_hashes(settings: Any, root: Path) -> dict[str, str]:
    """What an ingest of `root` will store: source id -> content hash (parsed as kb ingest parses)."""
    from ingest.loader import load_path
    from ingest.redact import Redactor
    from kb_service.knowledge import normalise_language

    result = load_path(root.resolve(), Redactor(keep_terms=settings.product_term_list))
    return {d.source_id: normalise_language(d).content_hash() for d in result.documents}


def prepare_base(work: Path, sizes: CorpusSizes, log: Callable[[str], None] = print) -> Base:
    """Build the base data directory once (in this process); reused while its recipe is unchanged."""
    from kb_service.knowledge import SAMPLE_DIR, KnowledgeBase

    work.mkdir(parents=True, exist_ok=True)
    data, gen, tickets = work / "base", work / "corpus" / "gen", work / "corpus" / "tickets" / "tickets.jsonl"
    recipe = {"format": BASE_FORMAT, "sizes": asdict(sizes), "article": _article("gen-x001", 1)}
    meta_path = work / "base.json"
    if meta_path.exists() and data.exists():
        meta = json.loads(meta_path.read_text())
        if meta.get("recipe") == recipe:
            write_generated(gen, sizes, trial=True)
            return Base(work, data, gen, sizes, meta["drafts"], meta["draft"], source_hashes(data), meta["build_s"], True)
    start = time.perf_counter()
    if data.exists():
        shutil.rmtree(data)
    meta_path.unlink(missing_ok=True)
    write_generated(gen, sizes, trial=False)
    ticket_ids = write_tickets(tickets, sizes.tickets)
    log(f"building the base in {data} ...")
    kb = KnowledgeBase(settings_for(data))
    try:
        paths = [tickets.parent, gen] + ([SAMPLE_DIR / "articles"] if sizes.sample else [])
        summary = kb.ingest_paths(paths)
        if summary.errors:
            raise RuntimeError(f"base ingest failed: {summary.errors}")
        kb.triage.train()  # so that `kb ingest` in a trial finds nothing to train
        drafts = {}
        for name, ids in (("warm-1", ticket_ids[:2]), ("warm-2", ticket_ids[2:4]), ("trial", ticket_ids[4:7])):
            drafts[name] = kb.desk.create_draft(ACTOR, ticket_ids=ids, engine="extractive").id
        d = kb.drafts.get(drafts["trial"])
        assert d is not None
        draft = {"title": d.title, "body": d.body, "language": d.language}
    finally:
        kb.close()
    write_generated(gen, sizes, trial=True)
    build_s = time.perf_counter() - start
    meta_path.write_text(json.dumps({"recipe": recipe, "drafts": drafts, "draft": draft, "build_s": build_s}))
    return Base(work, data, gen, sizes, drafts, draft, source_hashes(data), build_s, False)


def fresh_copy(base: Base, name: str) -> Path:
    dest = base.work / "trials" / name
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(base.data, dest / "data")
    return dest / "data"


# --------------------------------------------------------------------------- processes


def kb_command(inject: str | None = None) -> list[str]:
    """The real CLI: the `kb` entry point next to this Python, or it run with a crash injected."""
    if inject:
        return [sys.executable, "-m", "eval.crash_trials", "inject", inject, "--"]
    exe = Path(sys.executable).parent / "kb"
    return [str(exe)] if exe.is_file() else [sys.executable, "-c", "from kb_service.cli import app; app()"]


def cli_env(data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KB_")}
    env.update(KB_DATA_DIR=str(data), KB_MODELS_DIR=str(MODELS_DIR), KB_API_KEYS=API_KEYS,
               KB_INGEST_BATCH_DOCS=str(TRIAL_BATCH_DOCS), PYTHONUNBUFFERED="1")
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Proc:
    """A CLI subprocess in its own process group, killed (SIGKILL) or stopped only by its id."""

    def __init__(self, args: list[str], data: Path, log: Path, inject: str | None = None) -> None:
        self.log = log
        self._fh = log.open("w")
        self.started = time.perf_counter()
        self.proc = subprocess.Popen([*kb_command(inject), *args], env=cli_env(data), cwd=REPO, stdout=self._fh,
                                     stderr=subprocess.STDOUT, start_new_session=True)

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> bool:
        """SIGKILL the process group; False when it had already exited."""
        if not self.alive():
            return False
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            return False
        self.proc.wait(30)
        return True

    def wait(self, timeout: float) -> int:
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise RuntimeError(f"{self.log.name}: no exit after {timeout:.0f} s\n{self.tail()}")
        finally:
            self._fh.flush()

    def stop(self, grace: float = 60.0) -> None:
        """SIGINT (uvicorn shuts down and the knowledge base closes), SIGKILL after `grace`."""
        if self.alive():
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(grace)
            except subprocess.TimeoutExpired:
                self.kill()
        self._fh.close()

    def tail(self, n: int = 1500) -> str:
        self._fh.flush()
        return self.log.read_text(errors="replace")[-n:]


class Service(Proc):
    def __init__(self, data: Path, log: Path, inject: str | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        super().__init__(["serve", "--host", "127.0.0.1", "--port", str(self.port)], data, log, inject)

    def wait_ready(self, timeout: float = 300.0) -> float:
        import httpx

        with httpx.Client(timeout=5.0) as c:
            while True:
                if not self.alive():
                    raise RuntimeError(f"kb serve exited with {self.proc.returncode}:\n{self.tail()}")
                try:
                    if c.get(f"{self.url}/health").status_code == 200:
                        return self.elapsed
                except httpx.HTTPError:
                    pass
                if self.elapsed > timeout:
                    raise RuntimeError(f"kb serve not ready after {timeout:.0f} s:\n{self.tail()}")
                time.sleep(0.1)


# --------------------------------------------------------------------------- results


@dataclass
class TrialResult:
    n: int
    kind: str  # ingest, put, approve
    mode: str  # time, journal:k, inject:<spec>
    killed: bool = False  # the process died of SIGKILL (ours or self-inflicted) before it finished
    kill_at_s: float | None = None  # when, after spawn (the planned delay for time mode)
    kill_fraction: float | None = None  # of the ingest's expected duration
    phase: str = ""  # where the kill landed, judged from what was committed
    stage: str = ""  # ingest: the stage it was in (traced runs: exactly; "about": by time, on the calibration run)
    restart: str = ""  # how it was reopened: cli (re-run), in-process, serve
    answered: int | None = None  # service: the HTTP status the client got before the kill
    before_recovery: dict[str, int] = field(default_factory=dict)  # problem kinds in the raw data dir
    problems: list[str] = field(default_factory=list)  # anything wrong after recovery or after the re-run
    lost: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and not self.lost


def _kinds(problems: list[Any]) -> dict[str, int]:
    out: dict[str, int] = {}
    for p in problems:
        out[p.kind] = out.get(p.kind, 0) + 1
    return out


COMMITTED_KINDS = {"unexpected_version", "missing_source", "torn_version", "unreadable_source", "chunk_ids_mismatch",
                   "side_vectors_mismatch", "side_vectors_torn", "torn_version_record", "version_gap",
                   "half_approved", "approval_versions", "approved_without_article"}


# --------------------------------------------------------------------------- ingest trials


@dataclass
class IngestPlan:
    base_hashes: dict[str, str]
    new_hashes: dict[str, str]  # the generated sources as the trial ingest writes them

    def allowed(self, final: bool) -> dict[str, set[str | None]]:
        """Per source, the versions it may have: before the re-run old or new (or absent/present for an
        added/removed one), after it the new only."""
        out: dict[str, set[str | None]] = {}
        gen = {s for s in self.base_hashes.keys() | self.new_hashes.keys() if s.startswith("article:gen-")}
        for sid in self.base_hashes.keys() | self.new_hashes.keys():
            old = self.base_hashes.get(sid)
            new = self.new_hashes.get(sid) if sid in gen else old
            out[sid] = {new} if final else {old, new}
        return out

    def counts(self, committed: dict[str, str]) -> tuple[int, int]:
        """(sources at their new state, sources that change)."""
        changing = [s for s in self.base_hashes.keys() | self.new_hashes.keys()
                    if s.startswith("article:gen-") and self.base_hashes.get(s) != self.new_hashes.get(s)]
        done = sum(1 for s in changing if committed.get(s) == self.new_hashes.get(s))
        return done, len(changing)


def ingest_plan(base: Base) -> IngestPlan:
    return IngestPlan(base.hashes, parsed_hashes(settings_for(base.data), base.gen))


def trace_events(text: str) -> list[tuple[float, str]]:
    """The (wall clock, event) lines `inject trace` printed, in order."""
    out = []
    for line in text.splitlines():
        if line.startswith(TRACE):
            _, event, at = line.split()
            out.append((float(at), event))
    return out


def stage_after(events: list[str], batches: int) -> str:
    """The stage an ingest was in after these trace events (of an ingest that writes `batches` batches)."""
    if not events:
        return "start-up (imports, model, recovery)"
    name, k = events[-1].split(":")
    adds = sum(1 for e in events if e.startswith("add:"))
    if name == "ready":
        return "parsing"
    if name == "apply":
        return "embedding batch 1"
    if name == "add":
        return f"index writes batch {k}"
    if name == "commit":
        if int(k) < batches:
            return f"embedding batch {int(k) + 1}"
        return "removal writes" if int(k) == adds else "after the commits"
    if name == "triage":
        return "triage check"
    return "exit"


@dataclass
class Timeline:
    """When each stage of the uninterrupted, traced trial ingest began, in seconds after the process
    was spawned."""

    events: list[tuple[float, str]]
    total: float

    @classmethod
    def from_log(cls, text: str, spawned_at: float, total: float) -> "Timeline":
        return cls([(at - spawned_at, event) for at, event in trace_events(text)], total)

    @property
    def batches(self) -> int:
        return sum(1 for _, e in self.events if e.startswith("add:"))

    @property
    def work(self) -> float:
        """Seconds from the end of start-up (the knowledge base open) to the exit (the interpreter's
        own teardown left out)."""
        ready = next((t for t, e in self.events if e == "ready:1"), 0.0)
        end = next((t for t, e in self.events if e == "exit:1"), self.total)
        return max(end - ready, 0.1)

    def stage(self, at: float) -> str:
        """The stage `at` seconds after the spawn, on this run's clock (for a kill timed on another
        run: an estimate)."""
        return stage_after([e for t, e in self.events if t < at], self.batches)

    def to_dict(self) -> dict[str, Any]:
        return {"total_s": round(self.total, 2), "events": [(round(t, 2), e) for t, e in self.events]}


@dataclass
class Pace:
    """How long a trial ingest takes now (the machine's load changes): the whole run from the spawn,
    and its work after start-up. Random kills are spread over these."""

    total: float
    work: float

    def saw(self, total: float | None = None, work: float | None = None) -> None:
        if total:
            self.total = total if total < self.total else (self.total + total) / 2
        if work:
            self.work = work if work < self.work else (self.work + work) / 2


def _phase(plan: IngestPlan, data: Path, pending: int, killed: bool) -> str:
    done, total = plan.counts(source_hashes(data))
    if not killed:
        return "finished before the kill"
    if pending:
        return f"mid-write, journal open ({done}/{total} committed)"
    if done == 0:
        return "start-up, parsing or embedding (nothing written yet)"
    if done < total:
        return f"between batches ({done}/{total} committed)"
    return "after the last commit (triage check, exit)"


INGEST_RESTARTS = ("cli", "in-process", "in-process+cli")  # the default run takes turns with the first two


def run_ingest_trial(base: Base, plan: IngestPlan, n: int, mode: str, timeline: Timeline | None = None,
                     restart: str = "cli", keep: bool = False, pace: Pace | None = None) -> TrialResult:
    """One ingest killed by `mode`, checked, re-run and checked again.

    Modes: `time:<f>` (`kb ingest`, SIGKILLed at that fraction of the whole run, `pace.total`: mostly
    start-up), `work:<f>` (the same, traced, SIGKILLed at that fraction of its work after start-up,
    `pace.work`: parsing, embedding, writes), `journal:<k>` (`kb ingest`, SIGKILLed as soon as the
    journal holds the k-th batch) and `inject:<spec>` (see install_crash). A timed kill planned after
    the end (the machine got faster) is tried once more on a fresh copy, timed by that run.
    `restart`: cli (`kb ingest` again: its start-up recovers), in-process (the knowledge base opened
    here: recovery, a full check, then the ingest's own steps, `ingest_paths` and the triage check,
    in this process) or in-process+cli (recovery and the check here, then `kb ingest` again)."""
    from kb_service.storage.consistency import check_consistency

    assert restart in INGEST_RESTARTS, restart
    start = time.perf_counter()
    result = TrialResult(n, "ingest", mode, restart=restart)
    args = ["ingest", str(base.gen), "--sync"]
    kind, _, arg = mode.partition(":")
    if kind in ("time", "work"):
        assert pace is not None or timeline is not None, "a timed kill needs the ingest's pace"
        pace = pace or Pace(timeline.total, timeline.work)  # type: ignore[union-attr]
    inject = arg if kind == "inject" else "trace" if kind == "work" else None
    for attempt in (1, 2):
        data = fresh_copy(base, f"{n:02d}-ingest")
        proc = Proc(args, data, data.parent / "kill-run.log", inject=inject)
        if kind in ("time", "work"):
            assert pace is not None
            fraction = float(arg)
            delay = fraction * (pace.total if kind == "time" else pace.work)
            zero: float | None = 0.0 if kind == "time" else None  # work: from the end of start-up
            while proc.alive():
                if zero is None:
                    if f"{TRACE} ready:1" in proc.log.read_text(errors="replace"):
                        zero = proc.elapsed
                elif proc.elapsed - zero >= delay:
                    break
                time.sleep(0.005)
            result.killed = proc.kill()
            result.kill_at_s, result.kill_fraction = round(proc.elapsed, 2), round(fraction, 3)
            if not result.killed and proc.proc.returncode == 0:
                events = trace_events(proc.log.read_text(errors="replace"))
                work = events[-1][0] - events[0][0] if len(events) > 1 else None
                pace.saw(proc.elapsed, work)
                if attempt == 1:
                    result.notes.append(f"finished in {proc.elapsed:.1f} s, before the kill: tried again, sooner")
                    proc.stop()
                    continue
        elif kind == "journal":
            want, seen, was_open = int(arg), 0, False
            while proc.alive():
                try:
                    is_open = pending_rows(data) > 0
                except sqlite3.Error:
                    is_open = False  # the store is not created yet
                if is_open and not was_open:
                    seen += 1
                    if seen == want:
                        result.killed = proc.kill()
                        result.kill_at_s = round(proc.elapsed, 2)
                        break
                was_open = is_open
                time.sleep(0.005)
        else:
            rc = proc.wait(900)
            result.killed = rc == -signal.SIGKILL
            result.kill_at_s = round(proc.elapsed, 2)
        break
    settings = settings_for(data)
    logs = data.parent
    if not result.killed:
        rc = proc.wait(900)
        if rc != 0:
            result.problems.append(f"the ingest failed on its own (exit {rc}): {proc.tail(600)}")
    proc.stop()
    if result.killed and kind == "work":  # traced: where it was, exactly
        result.stage = stage_after([e for _, e in trace_events(proc.log.read_text(errors="replace"))],
                                   timeline.batches if timeline else len(plan.new_hashes) // TRIAL_BATCH_DOCS + 1)
    elif result.killed and kind == "time" and timeline is not None and pace is not None:
        result.stage = "about: " + timeline.stage(float(arg) * timeline.total)

    # before any re-run: what the source store committed is, per source, one whole version
    raw = check_consistency(settings, plan.allowed(final=False))
    result.before_recovery = _kinds(raw.problems)
    result.phase = _phase(plan, data, raw.pending, result.killed)
    for p in raw.problems:
        if p.kind in COMMITTED_KINDS:
            result.problems.append(f"after the kill: {p}")

    if restart.startswith("in-process"):  # the start-up recovery, then the same checks on the recovered directory
        from kb_service.knowledge import KnowledgeBase

        KnowledgeBase(settings).close()
        recovered = check_consistency(settings, plan.allowed(final=False))
        result.problems += [f"after recovery: {p}" for p in recovered.problems]

    if restart == "in-process":
        from kb_service.knowledge import KnowledgeBase

        kb = KnowledgeBase(settings)
        try:
            summary = kb.ingest_paths([base.gen], sync=True)
            kb.triage.train()
        finally:
            kb.close()
        if summary.errors:
            result.problems.append(f"the re-run failed: {summary.errors}")
    else:
        rerun = Proc(args, data, logs / "re-run.log")
        rc = rerun.wait(900)
        rerun.stop()
        if rc != 0:
            result.problems.append(f"the re-run failed (exit {rc}): {rerun.tail(800)}")
        elif pace is not None and restart == "cli" and result.phase.startswith("start-up"):
            pace.saw(total=rerun.elapsed)  # nothing was committed: the re-run did it all
    final = check_consistency(settings, plan.allowed(final=True))
    result.problems += [f"after the re-run: {p}" for p in final.problems]
    result.lost = sum(1 for p in final.problems if p.kind in ("missing_source", "unexpected_version", "missing_point"))
    result.seconds = round(time.perf_counter() - start, 1)
    if not keep:
        shutil.rmtree(data.parent, ignore_errors=True)
    return result


def calibrate_ingest(base: Base, plan: IngestPlan) -> tuple[Timeline, TrialResult]:
    """One uninterrupted trial ingest, traced: its duration spreads the kill times, its stages name
    where each kill landed, and it must end consistent."""
    from kb_service.storage.consistency import check_consistency

    data = fresh_copy(base, "00-calibration")
    spawned = time.time()
    proc = Proc(["ingest", str(base.gen), "--sync"], data, data.parent / "run.log", inject="trace")
    rc = proc.wait(900)
    seconds = proc.elapsed
    proc.stop()
    timeline = Timeline.from_log(proc.log.read_text(errors="replace"), spawned, seconds)
    result = TrialResult(0, "ingest", "no kill (calibration)", phase="finished", restart="-", seconds=round(seconds, 1))
    if rc != 0:
        result.problems.append(f"the calibration ingest failed (exit {rc}): {proc.tail(800)}")
    final = check_consistency(settings_for(data), plan.allowed(final=True))
    result.problems += [str(p) for p in final.problems]
    shutil.rmtree(data.parent, ignore_errors=True)
    return timeline, result


# --------------------------------------------------------------------------- service trials

KEPT_ARTICLE = "gen-k000"  # in the base, a file-ingested article a service trial replaces


def _new_article(aid: str, n: int) -> dict[str, Any]:
    """The body of a PUT: a new version whose every section says so."""
    return {
        "title": f"Crash trial article {aid} (new version {n})",
        "body": (f"## What changed\n\nThis is the new version {n} of {aid}. Every section of it says so, so a mix of "
                 f"versions would show (new version {n}).\n\n## Steps\n\n1. Open the crash panel (new version {n}).\n"
                 f"2. Press the recover button (new version {n}).\n3. Check that nothing was lost (new version {n}).\n"),
        "language": "en", "updated": "2026-11-20", "tags": ["crash"], "product_area": "testing",
    }


def _doc_state(doc: Any, old: tuple[str, str] | None, new: tuple[str, str]) -> str:
    """'old', 'new', 'absent' or 'mixed', by an article's (title, body)."""
    if doc is None:
        return "absent"
    seen = (doc["title"], doc["body"]) if isinstance(doc, dict) else (doc.title, doc.body)
    if seen == new:
        return "new"
    if old is not None and seen == old:
        return "old"
    return "mixed"


@dataclass
class _Request:
    status: int | None = None
    error: str | None = None
    body: Any = None
    seconds: float = 0.0


def _send(method: str, url: str, payload: dict[str, Any], out: _Request, timeout: float = 300.0) -> None:
    import httpx

    t = time.perf_counter()
    try:
        r = httpx.request(method, url, json=payload, headers={"X-API-Key": WRITER_KEY}, timeout=timeout)
        out.status, out.body = r.status_code, r.json() if r.content else None
    except httpx.HTTPError as exc:
        out.error = f"{type(exc).__name__}: {exc}"
    out.seconds = time.perf_counter() - t



def _api(url: str, method: str = "GET", payload: dict[str, Any] | None = None) -> tuple[int, Any]:
    import httpx

    r = httpx.request(method, url, json=payload, headers={"X-API-Key": WRITER_KEY}, timeout=300.0)
    return r.status_code, r.json() if r.content else None


@dataclass
class _Seen:
    """What a reader finds after the restart: the article, its versions, the draft's status."""

    article: Any  # dict (HTTP) or SourceDocument (in-process), None when absent
    version_hashes: list[str | None]  # content hash per version, oldest first
    version_actions: list[str]
    draft_status: str | None = None


def _seen_http(url: str, aid: str, draft_id: str | None) -> _Seen:
    status, art = _api(f"{url}/v1/articles/{aid}")
    _, versions = _api(f"{url}/v1/articles/{aid}/versions")
    versions = versions if isinstance(versions, list) else []
    draft_status = _api(f"{url}/v1/drafts/{draft_id}")[1]["status"] if draft_id else None
    return _Seen(art if status == 200 else None, [v["content_hash"] for v in versions], [v["action"] for v in versions],
                 draft_status)


def _seen_kb(kb: Any, aid: str, draft_id: str | None) -> _Seen:
    stored = kb.store.get("article:" + aid)
    versions = kb.history.versions(aid)
    draft = kb.drafts.get(draft_id) if draft_id else None
    return _Seen(stored.doc if stored else None, [v.content_hash for v in versions], [v.action for v in versions],
                 draft.status if draft else None)


def run_service_trial(base: Base, n: int, kind: str, mode: str, restart: str, existing: bool,
                      delay_fraction: float = 0.5, keep: bool = False) -> TrialResult:
    """`kind` put or approve; `mode` time (SIGKILL at `delay_fraction` x the warm-up request's duration)
    or inject (the service SIGKILLs itself right after the source store committed the write);
    `restart` serve (a new `kb serve`) or in-process (the knowledge base and the app in this process);
    `existing`: the write replaces an article first ingested from a file, else it creates one."""
    from kb_service.knowledge import KnowledgeBase
    from kb_service.storage.consistency import check_consistency
    from kb_service.writers.desk import article_document

    start = time.perf_counter()
    result = TrialResult(n, kind, mode, restart=restart)
    data = fresh_copy(base, f"{n:02d}-{kind}")
    settings = settings_for(data)
    inject = "after:SourceStore.commit:3" if mode == "inject" else None  # the first two are the warm-ups
    svc = Service(data, data.parent / "serve.log", inject)
    try:
        svc.wait_ready()
        # warm-up: a first write pays for what is built on first use; a second one of the trial's kind
        # times the request, and the kill delays are spread over that time
        first, warm = _Request(), _Request()
        for i, r in enumerate((first, warm), 1):
            if kind == "put":
                _send("PUT", f"{svc.url}/v1/articles/crash-warmup-{i}", _new_article(f"crash-warmup-{i}", 1), r)
            else:
                _send("POST", f"{svc.url}/v1/drafts/{base.drafts[f'warm-{i}']}/approve", {"article_id": f"crash-warmup-{i}"}, r)
        for r in (first, warm):
            if r.status not in (200, 201):
                raise RuntimeError(f"a warm-up request failed: {r.status} {r.error} {r.body}")

        aid = KEPT_ARTICLE if existing else "crash-target-new"  # one first ingested from a file, or a new one
        existed = "article:" + aid in base.hashes
        draft_id = base.drafts["trial"] if kind == "approve" else None
        if kind == "put":
            payload = _new_article(aid, n)
            method, path = "PUT", f"/v1/articles/{aid}"
            new_doc = article_document(aid, payload["title"], payload["body"], payload["language"], None, payload["updated"],
                                       payload["tags"], payload["product_area"])
        else:
            payload = {"article_id": aid, "replace": existed, "tags": ["crash"], "product_area": "testing"}
            method, path = "POST", f"/v1/drafts/{draft_id}/approve"
            d = base.draft
            new_doc = article_document(aid, d["title"], d["body"], d["language"], tags=["crash"], product_area="testing")
        new = (new_doc.title, new_doc.body)
        new_hash = new_doc.content_hash()  # an approval's is dated today, as the service dates it
        old_hash = base.hashes.get("article:" + aid)
        old = _old_title_body(base, aid)

        req = _Request()
        sender = threading.Thread(target=_send, args=(method, svc.url + path, payload, req), daemon=True)
        sent_at = svc.elapsed
        sender.start()
        if mode == "time":
            delay = delay_fraction * warm.seconds
            while svc.alive() and svc.elapsed - sent_at < delay:
                time.sleep(0.002)
            result.killed = svc.kill()
            result.kill_at_s, result.kill_fraction = round(delay, 3), round(delay_fraction, 3)
        else:
            try:
                svc.proc.wait(300)
            except subprocess.TimeoutExpired:
                pass
            result.killed = svc.proc.returncode == -signal.SIGKILL
            result.kill_at_s = round(svc.elapsed - sent_at, 3)
        sender.join(300)
        result.answered = req.status
        result.notes.append(f"warm-up {warm.seconds:.2f} s; the request got {req.status or req.error}")
    finally:
        svc.stop()
    if not result.killed:
        result.notes.append("the service was not killed (it had stopped?)")

    allowed_mid: dict[str, set[str | None]] = {"article:" + aid: {old_hash, new_hash}}
    raw = check_consistency(settings, allowed_mid)
    result.before_recovery = _kinds(raw.problems)
    stored_hash = source_hashes(data).get("article:" + aid)
    result.phase = {new_hash: "the new version committed", old_hash: "nothing committed"}.get(stored_hash, "other")
    if result.answered is None:
        result.phase += ", no answer"
    else:
        result.phase += f", answered {result.answered}"

    # restart, read what a client would see, retry
    retry = _Request()
    if restart == "serve":
        svc2 = Service(data, data.parent / "serve-restart.log")
        try:
            svc2.wait_ready()
            seen = _seen_http(svc2.url, aid, draft_id)
            _send(method, svc2.url + path, payload, retry)
            after = _seen_http(svc2.url, aid, draft_id)
        finally:
            svc2.stop()
    else:
        kb = KnowledgeBase(settings)
        try:
            seen = _seen_kb(kb, aid, draft_id)
        finally:
            kb.close()
        recovered = check_consistency(settings, allowed_mid)
        result.problems += [f"after the restart: {p}" for p in recovered.problems]
        retry, after = _retry_in_process(settings, method, path, payload, aid, draft_id)
    result.problems += _judge(kind, seen, after, retry, result.answered, old, new, old_hash, new_hash)
    result.lost = sum(1 for p in result.problems if p.startswith("lost"))

    final = check_consistency(settings, {"article:" + aid: {new_hash}})
    result.problems += [f"at the end: {p}" for p in final.problems]
    result.lost += sum(1 for p in final.problems if p.kind in ("missing_source", "unexpected_version", "missing_point"))
    result.seconds = round(time.perf_counter() - start, 1)
    if not keep:
        shutil.rmtree(data.parent, ignore_errors=True)
    return result


def _old_title_body(base: Base, aid: str) -> tuple[str, str] | None:
    path = base.data / "kb.sqlite3"
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        row = conn.execute("SELECT doc FROM sources WHERE source_id = ?", ("article:" + aid,)).fetchone()
    finally:
        conn.close()
    if row is None:
        return None
    from ingest.documents import SourceDocument

    doc = SourceDocument.from_dict(json.loads(row[0]))
    return doc.title, doc.body


def _retry_in_process(settings: Any, method: str, path: str, payload: dict[str, Any], aid: str,
                      draft_id: str | None) -> tuple[_Request, _Seen]:
    from fastapi.testclient import TestClient

    from kb_service.app import create_app
    from kb_service.knowledge import KnowledgeBase

    kb = KnowledgeBase(settings)
    out = _Request()
    try:
        with TestClient(create_app(settings, kb=kb), raise_server_exceptions=False) as client:
            t = time.perf_counter()
            r = client.request(method, path, json=payload, headers={"X-API-Key": WRITER_KEY})
            out.status, out.body, out.seconds = r.status_code, r.json() if r.content else None, time.perf_counter() - t
        return out, _seen_kb(kb, aid, draft_id)
    finally:
        kb.close()


def _judge(kind: str, seen: _Seen, after: _Seen, retry: _Request, answered: int | None, old: tuple[str, str] | None,
           new: tuple[str, str], old_hash: str | None, new_hash: str) -> list[str]:
    """What is wrong with what a client sees after the restart and after the retry."""
    problems: list[str] = []
    state = _doc_state(seen.article, old, new)
    acknowledged = answered is not None and 200 <= answered < 300
    if state == "mixed":
        problems.append("after the restart: the article is neither the old nor the new version")
    if acknowledged and state != "new":
        problems.append(f"lost: the client was answered {answered}, the article is {state} after the restart")
    expected_latest = {"new": new_hash, "old": old_hash}.get(state)
    if seen.version_hashes and expected_latest and seen.version_hashes[-1] != expected_latest:
        problems.append(f"after the restart: the article is {state}, its latest version says otherwise "
                        f"(versions {seen.version_actions})")
    if state == "new" and new_hash not in seen.version_hashes:
        problems.append(f"after the restart: the new version is published but not recorded (versions {seen.version_actions})")
    if kind == "approve":
        if seen.draft_status == "approved" and state != "new":
            problems.append(f"after the restart: the draft is approved, its article is {state}")
        if seen.draft_status == "draft" and state == "new":
            problems.append("after the restart: the article is published, its draft not approved")
        if acknowledged and seen.draft_status != "approved":
            problems.append(f"lost: the approval was answered {answered}, the draft is {seen.draft_status}")
        want = (409,) if seen.draft_status == "approved" else (200,)
    else:
        want = (200, 201)
    if retry.status is None or retry.status >= 500 or retry.status not in want:
        problems.append(f"the retry got {retry.status or retry.error} (expected {' or '.join(map(str, want))}): "
                        f"{str(retry.body)[:300]}")
    if _doc_state(after.article, old, new) != "new":
        problems.append("after the retry: the article is not the new version")
    if kind == "approve" and after.draft_status != "approved":
        problems.append(f"after the retry: the draft is {after.draft_status}")
    if after.version_hashes.count(new_hash) != 1 or (after.version_hashes and after.version_hashes[-1] != new_hash):
        problems.append(f"after the retry: the new version is recorded {after.version_hashes.count(new_hash)} times "
                        f"(versions {after.version_actions})")
    return problems


# --------------------------------------------------------------------------- the run

SERVICE_KINDS = [  # (kind, mode, restart, replaces an existing article)
    ("put", "time", "serve", True), ("approve", "time", "in-process", False),
    ("put", "inject", "in-process", False), ("approve", "inject", "serve", True),
]


def ingest_injections(sizes: CorpusSizes) -> list[str]:
    """Crashes at chosen writes of the trial ingest, SIGKILLed by the process itself."""
    return [
        "after:VectorIndex.add:1",  # new points written, old ones still there, nothing committed
        "after:VectorIndex.delete_source:1",  # an old version's points deleted, its new version not committed
        f"after:VectorIndex.delete_source:{sizes.changed + 1}",  # --sync: a removed source's points deleted, not committed
        "after:SourceStore.commit:1",  # the first batch committed, the second not begun
        "before:SourceStore.commit:2",  # the second batch written to the index, not committed
    ]


def ingest_modes(count: int, rng: random.Random, sizes: CorpusSizes) -> list[str]:
    """One trial in five at a random time of the whole run (mostly start-up), two at a random time of
    its work after start-up (parsing, embedding, writes), one as the journal opens (first or second
    batch), one with a crash injected at a chosen write. Random times are stratified and seeded."""
    kinds = [("time", "work", "work", "journal", "inject")[i % 5] for i in range(count)]
    fractions: dict[str, list[float]] = {}
    for kind, low in (("time", 0.02), ("work", 0.0)):
        k = kinds.count(kind)
        fractions[kind] = [low + (1.0 - low) * (j + rng.random()) / max(k, 1) for j in range(k)]
        rng.shuffle(fractions[kind])
    injections = ingest_injections(sizes)
    modes, j, m = [], 0, 0
    for kind in kinds:
        if kind in fractions:
            modes.append(f"{kind}:{fractions[kind].pop():.3f}")
        elif kind == "journal":
            modes.append(f"journal:{1 + j % 2}")
            j += 1
        else:
            modes.append(f"inject:{injections[m % len(injections)]}")
            m += 1
    return modes


def service_plan(count: int, rng: random.Random) -> list[tuple[str, str, str, bool, float]]:
    """(kind, mode, restart, existing, delay fraction): the four combinations in turn (new and existing
    articles swapped every other round), delays from before the request reaches the service to after
    its answer."""
    out = []
    for i in range(count):
        kind, mode, restart, existing = SERVICE_KINDS[i % len(SERVICE_KINDS)]
        out.append((kind, mode, restart, existing != bool((i // len(SERVICE_KINDS)) % 2), round(rng.uniform(0.0, 1.3), 3)))
    return out


def report_text(report: dict[str, Any]) -> str:
    lines = [
        f"crash trials: seed {report['seed']}, {report['trials']} trials, {report['kills']} kills, "
        f"{report['problems']} problems, {report['items_lost']} items lost, {report['seconds']:.0f} s"
        + ("" if report.get("complete", True) else " (so far: the run did not finish)"),
        f"base: {report['base']['sources']} sources, built in {report['base']['build_s']:.0f} s"
        + (" (reused)" if report["base"]["reused"] else "")
        + (f"; uninterrupted trial ingest {report['calibrated_ingest_s']:.1f} s" if report["calibrated_ingest_s"] else ""),
        "",
        f"{'#':>3} {'kind':8} {'mode':44} {'killed':6} {'at s':>7} {'restart':20} result",
    ]
    for t in report["results"]:
        at = "" if t["kill_at_s"] is None else f"{t['kill_at_s']:.2f}"
        verdict = "ok" if not t["problems"] and not t["lost"] else f"{len(t['problems'])} problem(s), {t['lost']} lost"
        lines.append(f"{t['n']:>3} {t['kind']:8} {t['mode'][:44]:44} {str(t['killed']):6} {at:>7} {t['restart'][:20]:20} "
                     f"{verdict} ({t['seconds']:.0f} s)")
        lines.append(f"      landed: {t['stage'] + '; ' if t['stage'] else ''}{t['phase']}")
        if t["before_recovery"]:
            lines.append(f"      before recovery: {t['before_recovery']}")
        for p in t["problems"]:
            lines.append(f"      ! {p}")
    return "\n".join(lines) + "\n"


def _guarded(n: int, kind: str, mode: str, trial: Callable[[], TrialResult]) -> TrialResult:
    """A trial that fails in itself (a service that never starts, say) is reported, and the run goes on."""
    try:
        return trial()
    except Exception as exc:
        return TrialResult(n, kind, mode, problems=[f"the trial itself failed: {type(exc).__name__}: {exc}"[:1500]])


def run(args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(args.seed)
    started = time.perf_counter()
    auto = default_sizes()
    sizes = CorpusSizes(args.new if args.new is not None else auto.new, args.changed if args.changed is not None else auto.changed,
                        args.removed, args.kept, not args.no_sample, args.tickets)
    base = prepare_base(Path(args.work), sizes)
    print(f"base: {len(base.hashes)} sources, {base.build_s:.0f} s{' (reused)' if base.reused else ''}", flush=True)
    plan = ingest_plan(base)
    modes = args.modes.split(",") if args.modes else ingest_modes(args.trials, rng, sizes)
    services = service_plan(args.service_trials, rng)
    results: list[TrialResult] = []
    timeline: Timeline | None = None
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)

    def write(complete: bool) -> dict[str, Any]:
        """The report so far: written after every trial, so an interrupted run keeps what it found."""
        trials = [r for r in results if r.n > 0]
        report = {
            "seed": args.seed,
            "complete": complete,
            "trials": len(trials),
            "kills": sum(1 for r in trials if r.killed),
            "problems": sum(len(r.problems) for r in results),
            "items_lost": sum(r.lost for r in results),
            "seconds": round(time.perf_counter() - started, 1),
            "calibrated_ingest_s": round(timeline.total, 2) if timeline else None,
            "calibration_timeline": timeline.to_dict() if timeline else None,
            "base": {"sources": len(base.hashes), "build_s": round(base.build_s, 1), "reused": base.reused,
                     "sizes": asdict(sizes)},
            "results": [asdict(r) for r in results],
        }
        out.with_suffix(".json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
        out.with_suffix(".txt").write_text(report_text(report))
        return report

    pace = None
    if modes:
        timeline, calibration = calibrate_ingest(base, plan)
        pace = Pace(timeline.total, timeline.work)
        print(f"uninterrupted trial ingest: {timeline.total:.1f} s, {'ok' if calibration.ok else calibration.problems}; "
              f"stages {timeline.to_dict()['events']}", flush=True)
        results.append(calibration)
    for i, mode in enumerate(modes, 1):
        restart = INGEST_RESTARTS[(i - 1) % 2]
        r = _guarded(i, "ingest", mode,
                     lambda: run_ingest_trial(base, plan, i, mode, timeline, restart, keep=args.keep, pace=pace))
        results.append(r)
        write(False)
        print(f"trial {i:2d} ingest  {mode:38} killed={r.killed!s:5} {r.stage[:24]:24} {r.phase[:46]:46} "
              f"{'ok' if r.ok else r.problems[:2]} ({r.seconds:.0f} s)", flush=True)
    for j, (kind, mode, restart, existing, fraction) in enumerate(services, len(modes) + 1):
        r = _guarded(j, kind, mode,
                     lambda: run_service_trial(base, j, kind, mode, restart, existing, fraction, keep=args.keep))
        results.append(r)
        write(False)
        print(f"trial {j:2d} {kind:7} {mode:6} restart={restart:10} killed={r.killed!s:5} {r.phase[:40]:40} "
              f"{'ok' if r.ok else r.problems[:2]} ({r.seconds:.0f} s)", flush=True)
    return write(True)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["inject"]:
        _inject_main(argv[1:])
        return 0
    p = argparse.ArgumentParser(prog="python -m eval.crash_trials", description=__doc__.split("\n\n")[0])
    p.add_argument("--trials", type=int, default=20, help="ingest trials (default 20)")
    p.add_argument("--service-trials", type=int, default=4, help="service trials: PUT and approval, in turn (default 4)")
    p.add_argument("--seed", type=int, default=20261122)
    p.add_argument("--work", default="/tmp/kb-crash-trials", help="work folder; the base is kept and reused there")
    p.add_argument("--out", default=str(REPO / "eval" / "results" / "crash_trials"), help="report path, no suffix")
    p.add_argument("--new", type=int, help="generated articles each trial adds (default: by KB_INGEST_BATCH_DOCS)")
    p.add_argument("--changed", type=int, help="generated articles each trial updates (default: by KB_INGEST_BATCH_DOCS)")
    p.add_argument("--removed", type=int, default=CorpusSizes.removed)
    p.add_argument("--kept", type=int, default=CorpusSizes.kept)
    p.add_argument("--tickets", type=int, default=CorpusSizes.tickets)
    p.add_argument("--no-sample", action="store_true", help="leave the shipped sample articles out of the base")
    p.add_argument("--keep", action="store_true", help="keep every trial's data directory")
    p.add_argument("--modes", help="ingest trials to run instead of the default mix, comma-separated: time:<fraction>, "
                                   "journal:<batch>, inject:<before|after>:<Class.method>:<n>")
    args = p.parse_args(argv)
    report = run(args)
    print()
    print(report_text(report))
    return 0 if report["problems"] == 0 and report["items_lost"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
