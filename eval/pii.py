"""Redaction recall on planted personal data, and what redaction destroys that it should keep.

    python -m eval.pii tests/data/pii/pii_tickets.jsonl [--json] [--misses N]

The set (`eval/make_pii_set.py`) holds ticket texts with planted spans (type, text, offsets) and
decoys (order numbers, versions, dates, prices, error codes, ...). Each text goes through the
service's redactor (`ingest.redact.Redactor` with the service's product terms, as ingestion uses
it) on its own, with no names given: what the redactor finds from the text alone.

Which characters of the input survive is read from an alignment of the input with the output in
which every placeholder (`[EMAIL]`, `[NAME]`, ...) is one character that matches nothing, so the
letters of a placeholder never pass for surviving letters of a span. A planted span counts as
*caught* only if nothing that identifies it survives, by type:

* email, IBAN: no letter or digit of it survives, and its full text (any case) is nowhere in the output;
* phone, card: no digit of it survives (a "+" or a bracket may), and its full text is nowhere in the output;
* name: no letter of it survives ("Anna [NAME]" is a miss);
* address: no digit survives (house number, flat, postcode) and no letter of its street name
  survives; the city, region or prefecture named in the span's `keep` may stay ("[ADDRESS] Berlin" is caught).

A decoy is *preserved* only if every character of it survives. Redactions that touch no planted
span at all are counted as spurious (over-redaction in ordinary prose, decoys included).
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from eval.jsonl import read_jsonl

PII_TYPES: tuple[str, ...] = ("email", "phone", "card", "iban", "address", "name")
STRICT_TYPES: tuple[str, ...] = ("email", "phone", "card", "iban")  # the types held to 100% recall
_SENTINEL = "\ue000"  # a private-use character: stands for a placeholder in the aligned output


class PiiSetError(ValueError):
    """The test set cannot be read or a record is inconsistent."""


@dataclass
class Miss:
    id: str
    language: str
    type: str
    format: str
    text: str
    survived: str
    output: str


@dataclass
class Report:
    tickets: int = 0
    planted: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    caught: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    by_language: dict[str, dict[str, list[int]]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(lambda: [0, 0])))
    by_format: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    by_split: dict[str, dict[str, list[int]]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(lambda: [0, 0])))
    decoys: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    decoys_by_language: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    misses: list[Miss] = field(default_factory=list)
    destroyed: list[dict[str, str]] = field(default_factory=list)
    spurious: list[dict[str, str]] = field(default_factory=list)

    def recall(self, kind: str) -> float | None:
        return self.caught[kind] / self.planted[kind] if self.planted[kind] else None

    def as_dict(self) -> dict[str, Any]:
        kept = sum(v[0] for v in self.decoys.values())
        total = sum(v[1] for v in self.decoys.values())
        return {
            "tickets": self.tickets,
            "recall": {t: {"planted": self.planted[t], "caught": self.caught[t], "recall": _round(self.recall(t))}
                       for t in PII_TYPES},
            "recall_by_language": {
                lang: {t: {"caught": v[0], "planted": v[1], "recall": _round(v[0] / v[1] if v[1] else None)}
                       for t, v in sorted(types.items())}
                for lang, types in sorted(self.by_language.items())
            },
            "recall_by_split": {
                split: {t: {"caught": v[0], "planted": v[1], "recall": _round(v[0] / v[1] if v[1] else None)}
                        for t, v in sorted(types.items())}
                for split, types in sorted(self.by_split.items())
            },
            "recall_by_format": {k: {"caught": v[0], "planted": v[1]} for k, v in sorted(self.by_format.items())},
            "decoys": {
                "total": total, "preserved": kept, "over_redaction_rate": _round((total - kept) / total if total else None),
                "by_type": {k: {"preserved": v[0], "total": v[1]} for k, v in sorted(self.decoys.items())},
                "by_language": {k: {"preserved": v[0], "total": v[1]} for k, v in sorted(self.decoys_by_language.items())},
                "destroyed": self.destroyed,
            },
            "spurious_redactions": {"count": len(self.spurious), "examples": self.spurious},
            "misses": [vars(m) for m in self.misses],
        }


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def load(path: Path) -> list[dict[str, Any]]:
    """The records of a test set; PiiSetError if a span's offsets do not point at its text."""
    records = []
    for n, obj in read_jsonl(path, PiiSetError):
        text = obj.get("text")
        if not isinstance(text, str) or not isinstance(obj.get("spans"), list):
            raise PiiSetError(f"{path}:{n}: a record needs 'text' and 'spans'")
        for e in obj["spans"] + obj.get("decoys", []):
            if text[e["start"] : e["end"]] != e["text"]:
                raise PiiSetError(f"{path}:{n}: span {e['text']!r} is not at {e['start']}:{e['end']}")
            if e in obj["spans"] and e["type"] not in PII_TYPES:
                raise PiiSetError(f"{path}:{n}: unknown type {e['type']!r}")
        records.append(obj)
    return records


def survivors(text: str, output: str, placeholders: Iterable[str]) -> list[bool]:
    """For every character of `text`: does it survive into `output` (redaction only replaces
    substrings with placeholders, so the output is the input's surviving characters in order)."""
    aligned = output
    for p in sorted(placeholders, key=len, reverse=True):
        aligned = aligned.replace(p, _SENTINEL)
    kept = [False] * len(text)
    matcher = difflib.SequenceMatcher(None, text, aligned, autojunk=False)
    for a, _, size in matcher.get_matching_blocks():
        for i in range(a, a + size):
            kept[i] = True
    return kept


def _inside(start: int, end: int, parts: Iterable[str], text: str) -> set[int]:
    """Offsets of `text[start:end]` covered by any of `parts` (the address parts that may stay)."""
    covered: set[int] = set()
    span = text[start:end]
    for part in parts:
        i = span.find(part)
        while i >= 0:
            covered.update(range(start + i, start + i + len(part)))
            i = span.find(part, i + 1)
    return covered


def caught(span: dict[str, Any], text: str, output: str, kept: list[bool]) -> tuple[bool, str]:
    """(caught, the characters of the span that survived)."""
    start, end, kind = span["start"], span["end"], span["type"]
    survived = "".join(text[i] if kept[i] else "·" for i in range(start, end))
    if kind in STRICT_TYPES and span["text"].casefold() in output.casefold():
        return False, survived
    if kind in ("email", "iban"):
        bad = [i for i in range(start, end) if kept[i] and text[i].isalnum()]
    elif kind in ("phone", "card"):
        bad = [i for i in range(start, end) if kept[i] and text[i].isdigit()]
    elif kind == "name":
        bad = [i for i in range(start, end) if kept[i] and text[i].isalpha()]
    else:  # address
        allowed = _inside(start, end, span.get("keep", []), text)
        street = span.get("street", "")
        street_at = _inside(start, end, [street], text) if street else set()
        bad = [i for i in range(start, end) if kept[i] and (
            text[i].isdigit() or (i in street_at and i not in allowed and text[i].isalpha()))]
    return not bad, survived


def _removed_runs(kept: list[bool]) -> list[tuple[int, int]]:
    runs, i = [], 0
    while i < len(kept):
        if kept[i]:
            i += 1
            continue
        j = i
        while j < len(kept) and not kept[j]:
            j += 1
        runs.append((i, j))
        i = j
    return runs


def evaluate(records: list[dict[str, Any]], redactor: Any = None) -> Report:
    """Redact every text and score it; `redactor` defaults to the service's (with its product terms)."""
    from ingest.redact import PII_PLACEHOLDERS, Redactor

    if redactor is None:
        from kb_service.config import Settings

        redactor = Redactor(keep_terms=Settings().product_term_list)
    report = Report()
    for r in records:
        text, lang = r["text"], r["language"]
        output = redactor.redact(text)
        kept = survivors(text, output, PII_PLACEHOLDERS)
        report.tickets += 1
        for span in r["spans"]:
            ok, survived = caught(span, text, output, kept)
            kind = span["type"]
            report.planted[kind] += 1
            report.caught[kind] += ok
            report.by_language[lang][kind][0] += ok
            report.by_language[lang][kind][1] += 1
            report.by_split[r.get("split", "all")][kind][0] += ok
            report.by_split[r.get("split", "all")][kind][1] += 1
            fmt = f"{kind}: {span.get('format', '')}".strip()
            report.by_format[fmt][0] += ok
            report.by_format[fmt][1] += 1
            if not ok:
                report.misses.append(Miss(r["id"], lang, kind, span.get("format", ""), span["text"], survived, output))
        for d in r.get("decoys", []):
            intact = all(kept[d["start"] : d["end"]])
            report.decoys[d["type"]][0] += intact
            report.decoys[d["type"]][1] += 1
            report.decoys_by_language[lang][0] += intact
            report.decoys_by_language[lang][1] += 1
            if not intact:
                report.destroyed.append({"id": r["id"], "type": d["type"], "text": d["text"], "output": output})
        planted = [(s["start"], s["end"]) for s in r["spans"]]
        for a, b in _removed_runs(kept):
            if not text[a:b].strip(" \t\n,.;:"):
                continue  # separators merged into a neighbouring placeholder
            if not any(a < e and s < b for s, e in planted):
                report.spurious.append({"id": r["id"], "removed": text[a:b], "output": output})
    return report


def format_table(report: Report, misses: int = 20) -> str:
    lines = [f"{report.tickets} tickets", "", f"{'type':<9}{'planted':>9}{'caught':>9}{'recall':>9}"]
    for t in PII_TYPES:
        rec = report.recall(t)
        lines.append(f"{t:<9}{report.planted[t]:>9}{report.caught[t]:>9}{'' if rec is None else f'{rec:.1%}':>9}")
    if len(report.by_split) > 1:
        lines += ["", "recall by split (caught/planted)", f"{'split':<9}" + "".join(f"{t:>10}" for t in PII_TYPES)]
        for split, row in sorted(report.by_split.items()):
            lines.append(f"{split:<9}" + "".join(f"{f'{row[t][0]}/{row[t][1]}' if row[t][1] else '-':>10}" for t in PII_TYPES))
    langs = sorted(report.by_language)
    lines += ["", "recall by language (caught/planted)", f"{'lang':<7}" + "".join(f"{t:>10}" for t in PII_TYPES)]
    for lang in langs:
        row = report.by_language[lang]
        lines.append(f"{lang:<7}" + "".join(f"{f'{row[t][0]}/{row[t][1]}' if row[t][1] else '-':>10}" for t in PII_TYPES))
    kept = sum(v[0] for v in report.decoys.values())
    total = sum(v[1] for v in report.decoys.values())
    lines += ["", f"decoys preserved: {kept}/{total}"
              + (f" (over-redaction {1 - kept / total:.1%})" if total else "")]
    lines.append("  " + ", ".join(f"{k} {v[0]}/{v[1]}" for k, v in sorted(report.decoys.items())))
    for d in report.destroyed[:misses]:
        lines.append(f"  destroyed {d['id']} {d['type']}: {d['text']!r}")
    lines.append(f"spurious redactions (touching no planted span): {len(report.spurious)}")
    for s in report.spurious[:misses]:
        lines.append(f"  {s['id']}: {s['removed']!r}")
    weak = [(k, v) for k, v in sorted(report.by_format.items()) if v[0] < v[1]]
    if weak:
        lines += ["", "formats with misses (caught/planted)"]
        lines += [f"  {k}: {v[0]}/{v[1]}" for k, v in weak]
    if misses and report.misses:
        lines += ["", f"misses (first {min(misses, len(report.misses))} of {len(report.misses)}; · = removed)"]
        for m in report.misses[:misses]:
            lines.append(f"  {m.id} {m.type} [{m.format}] {m.text!r} -> {m.survived!r}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Redaction recall per type on a planted personal-data set.")
    parser.add_argument("path", type=Path, nargs="?", default=Path("tests/data/pii/pii_tickets.jsonl"))
    parser.add_argument("--json", action="store_true", help="print the full report as JSON")
    parser.add_argument("--misses", type=int, default=20, help="misses and destroyed decoys to list (table only)")
    parser.add_argument("--split", choices=["dev", "holdout"], help="only the records of one template bank")
    args = parser.parse_args(argv)
    try:
        records = load(args.path)
    except PiiSetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.split:
        records = [r for r in records if r.get("split") == args.split]
    report = evaluate(records)
    speed = redaction_speed([str(r["text"]) for r in records])
    if args.json:
        print(json.dumps({**report.as_dict(), "ms_per_1000_texts": speed}, ensure_ascii=False, indent=2))
    else:
        print(format_table(report, args.misses))
        print(f"\nspeed: {speed:.0f} ms per 1,000 texts (median of 5 passes over the set)")
    return 0


def redaction_speed(texts: list[str], passes: int = 5) -> float:
    """Milliseconds to redact 1,000 of these texts, the median of `passes` runs."""
    import statistics
    import time

    from ingest.redact import Redactor

    redactor = Redactor(keep_terms=["Fernbook"])
    runs = []
    for _ in range(passes):
        start = time.perf_counter()
        for t in texts:
            redactor.redact(t)
        runs.append((time.perf_counter() - start) * 1000 * 1000 / max(len(texts), 1))
    return statistics.median(runs)


if __name__ == "__main__":
    sys.exit(main())
