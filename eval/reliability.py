"""The reliability report: the long fuzz, the kill -9 trials and the load test, run one after the
other, summed up in one short report (requests, errors, trials, items lost).

    python -m eval.reliability                      # defaults: 200 fuzz examples, 20+4 trials, 50 clients x 60 s
    python -m eval.reliability --quick              # a smaller run of each, to try the script
    python -m eval.reliability --out eval/results/reliability

Each part is its own script (eval/fuzz.py, eval/crash_trials.py, eval/load.py) with its own options
and detailed report; this one runs them in subprocesses, one at a time (each needs the machine to
itself), and writes `<out>.json` and `<out>.md`. Exit status 0 only when every part passed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent


def _run(name: str, args: list[str], out_json: Path) -> dict[str, Any]:
    print(f"\n=== {name}: {' '.join(args)}", flush=True)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", *args], cwd=REPO)
    seconds = time.perf_counter() - start
    data: dict[str, Any] = {}
    if out_json.is_file():
        data = json.loads(out_json.read_text(encoding="utf-8"))
    return {"exit_code": proc.returncode, "seconds": round(seconds, 1), "report": data, "command": "python -m " + " ".join(args)}


def fuzz_summary(part: dict[str, Any]) -> dict[str, Any]:
    r = part["report"]
    return {
        "operations": f"{r.get('operations_fuzzed')} of {r.get('operations_in_schema')}",
        "requests": r.get("requests"),
        "statuses": r.get("statuses"),
        "server_errors": r.get("server_errors"),
        "failures": len(r.get("failures", [])),
        "failures_by_kind": r.get("failures_by_kind"),
        "checks": r.get("checks"),
        "passed": part["exit_code"] == 0 and bool(r) and not r.get("failures") and not r.get("server_errors"),
    }


def crash_summary(part: dict[str, Any]) -> dict[str, Any]:
    r = part["report"]
    results = r.get("results", [])
    kinds: dict[str, int] = {}
    for t in results:
        if t.get("n", 0) > 0:
            kind = str(t.get("kind", "ingest"))
            kinds[kind] = kinds.get(kind, 0) + 1
    return {
        "trials": r.get("trials"),
        "by_kind": kinds,
        "kills": r.get("kills"),
        "problems": r.get("problems"),
        "items_lost": r.get("items_lost"),
        "passed": part["exit_code"] == 0 and bool(r) and r.get("problems") == 0 and r.get("items_lost") == 0,
    }


def load_summary(part: dict[str, Any]) -> dict[str, Any]:
    r = part["report"]
    s = r.get("load", {})
    v = r.get("verification", {})
    return {
        "clients": (r.get("config") or {}).get("clients", r.get("clients")),
        "seconds": s.get("wall_s"),
        "requests": s.get("requests"),
        "errors": s.get("errors"),
        "per_s": s.get("per_s"),
        "latency_ms": {k: {"requests": row.get("requests"), "errors": row.get("errors"), **(row.get("latency_ms") or {})}
                       for k, row in (s.get("kinds") or {}).items()},
        "writes_acknowledged": v.get("writes_acknowledged"),
        "rss_mb_peak": r.get("rss_mb_peak"),
        "problems": r.get("problems"),
        "passed": part["exit_code"] == 0 and bool(r.get("ok")),
    }


def _ms(v: Any) -> str:
    return f"{v:.0f}" if isinstance(v, (int, float)) else "-"


def markdown(report: dict[str, Any]) -> str:
    f, c, ld = report["fuzz"], report["crash"], report["load"]
    lines = [
        f"# Reliability report, {report['at']}",
        "",
        f"Commit {report['commit']}; {report['cpus']} CPUs; load average at start {report['load_avg_at_start']:.1f}.",
        "",
        "| part | result | figures |",
        "|---|---|---|",
        f"| fuzzing ({report['commands']['fuzz']}) | {'pass' if f['passed'] else 'FAIL'} | {f['requests']} requests over "
        f"{f['operations']} operations x 4 scopes; statuses {f['statuses']}; 5xx {f['server_errors']}; "
        f"schema and other check failures {f['failures']} |",
        f"| kill -9 ({report['commands']['crash']}) | {'pass' if c['passed'] else 'FAIL'} | {c['trials']} trials "
        f"({c['by_kind']}), {c['kills']} killed mid-way; problems {c['problems']}; items lost {c['items_lost']} |",
        f"| load ({report['commands']['load']}) | {'pass' if ld['passed'] else 'FAIL'} | {ld['requests']} requests from "
        f"{ld['clients']} clients in {_ms(ld['seconds'])} s ({ld['per_s'] or 0:.1f}/s); errors {ld['errors']}; writes acknowledged "
        f"{ld['writes_acknowledged']}, problems {len(ld['problems'] or [])}; peak RSS {_ms(ld['rss_mb_peak'])} MB |",
        "",
    ]
    if isinstance(ld.get("latency_ms"), dict):
        lines += ["Load latency per request kind (ms):", "", "| kind | requests | p50 | p95 | p99 | max |", "|---|---|---|---|---|---|"]
        for kind, row in ld["latency_ms"].items():
            if isinstance(row, dict):
                lines.append(f"| {kind} | {row.get('requests')} | {_ms(row.get('p50'))} | {_ms(row.get('p95'))} | "
                             f"{_ms(row.get('p99'))} | {_ms(row.get('max'))} |")
        lines.append("")
    lines.append(f"Overall: {'PASS' if report['passed'] else 'FAIL'}.")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=REPO / "eval" / "results" / "reliability", help="report path, no suffix")
    ap.add_argument("--examples", type=int, default=200, help="fuzz examples per operation and scope")
    ap.add_argument("--trials", type=int, default=20, help="kill -9 trials of `kb ingest`")
    ap.add_argument("--service-trials", type=int, default=4, help="kill -9 trials of the service (PUT article, approval)")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--quick", action="store_true", help="20 examples, 3+2 trials, 20 s of load")
    args = ap.parse_args(argv)
    if args.quick:
        args.examples, args.trials, args.service_trials, args.seconds = 20, 3, 2, 20.0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    parts_dir = args.out.parent

    load_avg = os.getloadavg()[0]
    commands = {
        "fuzz": ["eval.fuzz", "--examples", str(args.examples), "--out", str(parts_dir / "fuzz.json")],
        "crash": ["eval.crash_trials", "--trials", str(args.trials), "--service-trials", str(args.service_trials),
                  "--out", str(parts_dir / "crash_trials")],
        "load": ["eval.load", "--clients", str(args.clients), "--seconds", str(args.seconds), "--out", str(parts_dir / "load.json")],
    }
    fuzz = _run("fuzz", commands["fuzz"], parts_dir / "fuzz.json")
    crash = _run("kill -9 trials", commands["crash"], parts_dir / "crash_trials.json")
    load = _run("load", commands["load"], parts_dir / "load.json")
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout.strip()
    report: dict[str, Any] = {
        "at": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit or "unknown",
        "cpus": os.cpu_count(),
        "load_avg_at_start": load_avg,
        "commands": {k: "python -m " + " ".join(v[:-2]) for k, v in commands.items()},
        "fuzz": fuzz_summary(fuzz) | {"seconds": fuzz["seconds"]},
        "crash": crash_summary(crash) | {"seconds": crash["seconds"]},
        "load": load_summary(load) | {"wall_s": load["seconds"]},
    }
    report["passed"] = all(report[k]["passed"] for k in ("fuzz", "crash", "load"))
    args.out.with_suffix(".json").write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
    text = markdown(report)
    args.out.with_suffix(".md").write_text(text, encoding="utf-8")
    print("\n" + text)
    print(f"written: {args.out.with_suffix('.md')} and .json")
    return 0 if report["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
