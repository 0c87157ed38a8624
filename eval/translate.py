"""`kb eval translate DIR --target LANG`: translation quality with and without glossary enforcement.

DIR holds `segments.jsonl` ({"id", "source", "reference", "src_lang"?, "tgt_lang"?} lines) and
`glossary.csv` (source_term,target_term). Every segment goes through `Translator.translate`, the
path the service uses, twice: raw (the engine alone, `enforce=False`) and enforced. Scores:
chrF and BLEU (sacrebleu, corpus level) against the references, and term accuracy: of the glossary
source terms found in a source segment (whole words, case-insensitive except all-capital acronyms),
the share whose approved target term (any of them) appears in the output, a target word of five
letters or more allowed an inflected ending (`glossary.target_present`).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval.jsonl import read_jsonl
from kb_service.translation.glossary import Glossary, GlossaryError, parse_csv, source_present, target_present


class TranslateSetError(ValueError):
    pass


@dataclass
class Segment:
    id: str
    source: str
    reference: str
    source_language: str | None


def load_set(folder: Path) -> tuple[list[Segment], list[Any]]:
    seg_path, glossary_path = folder / "segments.jsonl", folder / "glossary.csv"
    for p in (seg_path, glossary_path):
        if not p.is_file():
            raise TranslateSetError(f"{p}: not found (a translation set needs segments.jsonl and glossary.csv)")
    segments: list[Segment] = []
    for n, row in read_jsonl(seg_path, TranslateSetError):
        if not all(isinstance(row.get(k), (str, int)) for k in ("id", "source", "reference")):
            raise TranslateSetError(f"{seg_path}:{n}: expected a JSON object with id, source and reference")
        segments.append(Segment(str(row["id"]), str(row["source"]), str(row["reference"]), row.get("src_lang")))
    if not segments:
        raise TranslateSetError(f"{seg_path}: no segments")
    try:
        entries = parse_csv(glossary_path.read_text(encoding="utf-8"))
    except GlossaryError as exc:
        raise TranslateSetError(f"{glossary_path}: {exc}") from exc
    return segments, entries


def term_accuracy(sources: list[str], outputs: list[str], glossary: Glossary) -> tuple[float, int]:
    found = hit = 0
    for src, out in zip(sources, outputs):
        for e in glossary.entries:
            if source_present(src, e.source):
                found += 1
                hit += any(target_present(out, t) for t in (e.targets or (e.source,)))
    return (hit / found if found else 1.0), found


def run(segments: list[Segment], entries: list[Any], target: str, translator: Any, source: str | None = None) -> tuple[dict[str, Any], list[str], list[str]]:
    import sacrebleu

    source = source or segments[0].source_language or "en"
    glossary = Glossary("eval", "eval", source, target, entries)
    texts = [s.source.replace("\n", " ") for s in segments]
    refs = [s.reference for s in segments]
    t0 = time.perf_counter()
    raw = [r.text for r in translator.translate(texts, target, source, enforce=False, glossary=glossary)]
    t1 = time.perf_counter()
    results = translator.translate(texts, target, source, enforce=True, glossary=glossary)
    t2 = time.perf_counter()
    enforced = [r.text for r in results]
    acc, found = term_accuracy(texts, enforced, glossary)
    raw_acc, _ = term_accuracy(texts, raw, glossary)
    metrics: dict[str, Any] = {
        "chrf": round(sacrebleu.corpus_chrf(enforced, [refs]).score, 2),
        "bleu": round(sacrebleu.corpus_bleu(enforced, [refs]).score, 2),
        "term_accuracy": round(acc, 4),
        "raw_chrf": round(sacrebleu.corpus_chrf(raw, [refs]).score, 2),
        "raw_bleu": round(sacrebleu.corpus_bleu(raw, [refs]).score, 2),
        "raw_term_accuracy": round(raw_acc, 4),
        "engine": results[0].engine if results else None,
        "n": len(segments),
        "source_language": source,
        "target_language": target,
        "glossary_terms": len(glossary.entries),
        "glossary_conflicts": len(glossary.conflicts()),  # longer terms whose target leaves out a shorter term's
        "terms_found": found,
        "violations_reported": sum(len(r.violations) for r in results),
        "raw_seconds": round(t1 - t0, 2),
        "enforced_seconds": round(t2 - t1, 2),
    }
    return metrics, raw, enforced


def make_translator(settings: Any) -> Any:
    """The service's Translator over a throw-away glossary store (the set brings its own glossary)."""
    from kb_service.engines.langdetect import default_detector
    from kb_service.storage.glossaries import GlossaryStore
    from kb_service.translation.service import Translator, build_engines

    store = GlossaryStore(Path(":memory:"))  # SQLite in memory: nothing left behind
    return Translator(store, default_detector(), build_engines(settings))


def format_table(m: dict[str, Any]) -> str:
    lines = [
        f"{m['n']} segments {m['source_language']}->{m['target_language']}, engine {m['engine']}, "
        f"{m['glossary_terms']} glossary terms ({m['terms_found']} found in the source; "
        f"{m['glossary_conflicts']} pairs of terms no output can both satisfy)",
        f"{'':<12}{'chrF':>8}{'BLEU':>8}{'terms':>8}",
        f"{'raw':<12}{m['raw_chrf']:>8.2f}{m['raw_bleu']:>8.2f}{m['raw_term_accuracy']:>8.4f}",
        f"{'enforced':<12}{m['chrf']:>8.2f}{m['bleu']:>8.2f}{m['term_accuracy']:>8.4f}",
        f"time: raw {m['raw_seconds']} s, enforced {m['enforced_seconds']} s; violations reported {m['violations_reported']}",
    ]
    return "\n".join(lines)


def write_output(path: Path, segments: list[Segment], raw: list[str], enforced: list[str]) -> None:
    with path.open("w", encoding="utf-8") as f:
        for s, r, e in zip(segments, raw, enforced):
            f.write(json.dumps({"id": s.id, "translation": e, "raw_translation": r}, ensure_ascii=False) + "\n")
