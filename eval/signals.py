"""Precision and recall of the triage signals (churn, legal, regulator, executive, anger, praise,
outage, vagueness, failed fix) on a labelled JSONL set: {"text", "lang", "signals": [...]}.

    python -m eval.signals tests/data/signals_eval.jsonl            # score the shipped thresholds
    python -m eval.signals tests/data/signals_eval.jsonl --tune     # choose them on even lines, score odd lines

The shipped set is written independently of the reference phrases (different wording, and six
languages the phrases do not use), so it measures transfer, not recall of the phrase list.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kb_service.config import Settings
from kb_service.engines.embed_cache import CachedEmbedder, EmbeddingCache
from kb_service.engines.embedder import get_embedder
from kb_service.triage.signals import SignalDetector, split_sentences


@dataclass
class Scored:
    gold: list[set[str]]
    lang: list[str]
    probs: list[np.ndarray]  # per text: (n_sentences, n_signals) signal probabilities


def load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def embed_all(rows: list[dict], detector: SignalDetector, embed) -> Scored:  # type: ignore[no-untyped-def]
    probs = []
    for r in rows:
        sents = split_sentences(r["text"]) or [r["text"]]
        probs.append(detector.probabilities(embed(sents)))
    return Scored([set(r["signals"]) for r in rows], [r["lang"] for r in rows], probs)


def predict(s: Scored, names: list[str], threshold: float, idx: list[int]) -> list[set[str]]:
    return [{names[j] for j in np.flatnonzero(s.probs[i].max(axis=0) >= threshold)} for i in idx]


def prf(gold: list[set[str]], pred: list[set[str]], names: list[str]) -> dict[str, dict[str, float]]:
    table: dict[str, dict[str, float]] = {}
    tot = defaultdict(int)
    for name in names + ["all"]:
        tp = fp = fn = 0
        for g, p in zip(gold, pred):
            gs, ps = (g, p) if name == "all" else ({name} & g, {name} & p)
            tp += len(gs & ps)
            fp += len(ps - gs)
            fn += len(gs - ps)
        prec = tp / (tp + fp) if tp + fp else 1.0
        rec = tp / (tp + fn) if tp + fn else 1.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        table[name] = {"precision": round(prec, 3), "recall": round(rec, 3), "f1": round(f1, 3), "n": tp + fn}
        tot[name] = tp
    return table


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("file", type=Path)
    ap.add_argument("--tune", action="store_true", help="choose the threshold on even lines, report odd lines")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    settings = Settings()
    cache = EmbeddingCache(settings.embedding_cache_path)
    embedder = CachedEmbedder(get_embedder(settings), cache)
    detector = SignalDetector(embedder)
    names = detector.names
    rows = load(args.file)
    scored = embed_all(rows, detector, embedder.embed_queries)
    all_idx = list(range(len(rows)))
    threshold = detector.set.threshold
    report_idx = all_idx
    if args.tune:
        tune_idx = all_idx[0::2]
        report_idx = all_idx[1::2]
        best = (-1.0, threshold)
        for t in np.arange(0.2, 0.951, 0.05):
            f1 = prf([scored.gold[i] for i in tune_idx], predict(scored, names, float(t), tune_idx), names)["all"]["f1"]
            if f1 > best[0] + 1e-9:
                best = (f1, float(t))
        threshold = best[1]
        print(f"tuned on {len(tune_idx)} even lines: threshold {threshold:.2f}")
    gold = [scored.gold[i] for i in report_idx]
    pred = predict(scored, names, threshold, report_idx)
    table = prf(gold, pred, names)
    none_gold = [i for i, g in enumerate(gold) if not g]
    false_alarm = sum(1 for i in none_gold if pred[i]) / max(1, len(none_gold))
    per_lang: dict[str, list[bool]] = defaultdict(list)
    for i, k in enumerate(report_idx):
        per_lang[scored.lang[k]].append(pred[i] == gold[i])
    print(f"scored {len(report_idx)} texts at threshold {threshold:.2f}")
    print(f"{'signal':<12} {'precision':>9} {'recall':>7} {'f1':>6} {'n':>4}")
    for name, v in table.items():
        print(f"{name:<12} {v['precision']:>9.3f} {v['recall']:>7.3f} {v['f1']:>6.3f} {v['n']:>4}")
    print(f"texts without any signal that got one: {false_alarm:.3f} ({len(none_gold)} texts)")
    print("exact match per language: " + ", ".join(f"{k} {np.mean(v):.2f}" for k, v in sorted(per_lang.items())))
    if args.json:
        args.json.write_text(json.dumps({"threshold": threshold, "signals": table,
                                         "false_alarm_rate": round(false_alarm, 3)}, indent=2) + "\n")
    cache.close()


if __name__ == "__main__":
    main()
