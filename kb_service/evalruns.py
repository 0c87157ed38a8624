"""Stored `kb eval` runs: each run's results as one JSON file in `<data_dir>/eval/runs`
(`Settings.eval_runs_path`), which the evaluation report page and GET /v1/reports/eval read.

A run is written to a temporary file in the same folder and renamed into place, so a reader never
sees half a file; `kb eval` writes nothing else in the data directory and can run while the service
does. A file that is not a run (broken JSON, a missing field, a partial copy) is skipped and named
as skipped, never an error for the page.

File name: `<UTC time>-<kind>-<dataset>[-<profile>].json`, e.g.
`20261122T215653123456Z-retrieval-mini-help-full.json`; names sort by time.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal, cast, get_args

from kb_service import __version__

log = logging.getLogger(__name__)

Kind = Literal["retrieval", "classify", "translate"]
KINDS: tuple[Kind, ...] = get_args(Kind)
FORMAT = 1
MAX_RUNS = 500  # the newest files read; older ones stay on disk
MAX_FILE_BYTES = 5_000_000
_UNSAFE = re.compile(r"[^A-Za-z0-9_.]+")


@dataclass(frozen=True)
class EvalRun:
    id: str  # the file name without .json
    kind: Kind
    dataset: str
    at: str  # when it finished, ISO UTC
    service_version: str
    metrics: dict[str, Any]  # as `kb eval <kind> --json` writes them
    profile: str | None = None  # retrieval: the configuration measured (full, dense, ...)
    top_k: int | None = None
    options: dict[str, Any] = field(default_factory=dict)  # the command's other choices (label field, languages)

    def metric(self, name: str, language: str | None = None) -> float | None:
        """A number from the metrics (overall, or of one language's `per_lang` entry); None if absent."""
        source: Any = self.metrics if language is None else self.per_lang.get(language, {})
        return _number(source.get(name)) if isinstance(source, dict) else None

    @property
    def per_lang(self) -> dict[str, dict[str, Any]]:
        value = self.metrics.get("per_lang")
        return value if isinstance(value, dict) else {}


@dataclass
class RunListing:
    runs: list[EvalRun]  # newest first
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file name, why it is not a run)

    def latest(self, kind: Kind) -> EvalRun | None:
        return next((r for r in self.runs if r.kind == kind), None)

    def of(self, kind: Kind) -> list[EvalRun]:
        return [r for r in self.runs if r.kind == kind]


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def _slug(text: str) -> str:
    return _UNSAFE.sub("-", text).strip("-.")[:60] or "set"


def save_run(directory: Path, kind: Kind, dataset: str, metrics: dict[str, Any], profile: str | None = None,
             top_k: int | None = None, options: dict[str, Any] | None = None, now: datetime | None = None) -> Path:
    """Write one run atomically (a temporary file, flushed to disk, renamed into place); returns its path."""
    if kind not in KINDS:
        raise ValueError(f"unknown evaluation kind {kind!r}; one of {', '.join(KINDS)}")
    now = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    body = {
        "format": FORMAT, "kind": kind, "dataset": dataset, "profile": profile, "top_k": top_k,
        "at": now.strftime("%Y-%m-%dT%H:%M:%SZ"), "service_version": __version__, "options": options or {},
        "metrics": metrics,
    }
    text = json.dumps(body, ensure_ascii=False, indent=2, allow_nan=False) + "\n"
    directory.mkdir(parents=True, exist_ok=True)
    stem = "-".join([now.strftime("%Y%m%dT%H%M%S%fZ"), kind, _slug(dataset)] + ([_slug(profile)] if profile else []))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".run-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        for n in range(1, 1000):
            target = directory / (f"{stem}.json" if n == 1 else f"{stem}-{n}.json")
            if not target.exists():
                break
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def _read(path: Path) -> EvalRun:
    """One run file; ValueError (with why) when it is not one."""
    if path.stat().st_size > MAX_FILE_BYTES:
        raise ValueError(f"larger than {MAX_FILE_BYTES} bytes")
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"not JSON ({exc})") from None
    if not isinstance(body, dict):
        raise ValueError("not a JSON object")
    if body.get("format") != FORMAT:
        raise ValueError(f"unknown format {body.get('format')!r}")
    kind, dataset, at, metrics = body.get("kind"), body.get("dataset"), body.get("at"), body.get("metrics")
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}")
    if not isinstance(dataset, str) or not dataset:
        raise ValueError("no dataset name")
    if not isinstance(at, str):
        raise ValueError("no time")
    try:
        datetime.strptime(at, "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        raise ValueError(f"time {at!r} is not ISO UTC") from None
    if not isinstance(metrics, dict):
        raise ValueError("no metrics")
    per_lang = metrics.get("per_lang")
    if per_lang is not None and not (isinstance(per_lang, dict) and all(isinstance(v, dict) for v in per_lang.values())):
        raise ValueError("per_lang is not a mapping of languages to metrics")
    if kind == "retrieval" and (_number(metrics.get("ndcg@10")) is None or per_lang is None):
        raise ValueError("a retrieval run without ndcg@10 or per_lang")
    profile, top_k, options = body.get("profile"), body.get("top_k"), body.get("options")
    return EvalRun(
        id=path.stem, kind=cast(Kind, kind), dataset=dataset, at=at, service_version=str(body.get("service_version") or ""),
        metrics=metrics, profile=profile if isinstance(profile, str) else None,
        top_k=top_k if isinstance(top_k, int) and not isinstance(top_k, bool) else None,
        options=options if isinstance(options, dict) else {},
    )


def load_runs(directory: Path, kind: Kind | None = None, limit: int = MAX_RUNS) -> RunListing:
    """The newest `limit` run files (of one kind, if given), newest first; files that are not runs are skipped."""
    if not directory.is_dir():
        return RunListing([])
    names = sorted((p for p in directory.iterdir() if p.suffix == ".json" and not p.name.startswith(".")),
                   key=lambda p: p.name, reverse=True)
    runs: list[EvalRun] = []
    skipped: list[tuple[str, str]] = []
    for path in names:
        if len(runs) >= limit:
            break
        try:
            run = _read(path)
        except (OSError, ValueError) as exc:
            log.warning("skipped the evaluation run file %s: %s", path.name, exc)
            skipped.append((path.name, str(exc)))
            continue
        if kind is None or run.kind == kind:
            runs.append(run)
    runs.sort(key=lambda r: (r.at, r.id), reverse=True)
    return RunListing(runs, skipped)


# --- flat rows, for CSV ----------------------------------------------------------------------------

METRIC_COLUMNS = ["n", "ndcg@10", "recall@10", "recall@1", "mrr@10", "accuracy", "macro_f1", "chrf", "bleu", "term_accuracy"]
RUN_COLUMNS = ["run_id", "at", "kind", "dataset", "profile", "top_k", "language"] + METRIC_COLUMNS


def run_rows(runs: list[EvalRun]) -> list[dict[str, Any]]:
    """Per run: a row of its overall metrics (language "all"), then one per language; blank where a
    kind has no such metric."""
    rows = []
    for r in runs:
        base = {"run_id": r.id, "at": r.at, "kind": r.kind, "dataset": r.dataset, "profile": r.profile or "",
                "top_k": "" if r.top_k is None else r.top_k}
        for language in [None, *sorted(r.per_lang)]:
            values = {m: r.metric(m, language) for m in METRIC_COLUMNS}
            rows.append({**base, "language": language or "all",
                         **{m: "" if v is None else (int(v) if m == "n" else v) for m, v in values.items()}})
    return rows
