"""`kb eval classify DIR`: fit the service's ticket classifier on a labelled set and score it.

DIR holds JSONL files of {"text": ..., "<field>": ..., "lang": ...} lines. With a `test.jsonl`,
the classifier fits on `train.jsonl` plus `dev.jsonl` (when present) and is scored on
`test.jsonl`; without one it fits on `train.jsonl` and is scored on `dev.jsonl`. Texts are
embedded through the content-addressed embedding cache, so scoring a second field of the same
set embeds nothing again.
"""

from __future__ import annotations

import json
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from eval.jsonl import read_jsonl
from eval.metrics import percentile
from kb_service.triage.classifier import OOS, TextClassifier


class ClassifyFormatError(ValueError):
    """The folder or one of its files is not a usable classification set; says where and why."""


@dataclass
class Example:
    text: str
    label: str
    lang: str | None
    line: int = 0  # 0-based line number in its file (blank lines count)


@dataclass
class ClassifySet:
    name: str
    field: str
    train: list[Example]
    test: list[Example]
    train_files: list[str]
    test_file: str


@dataclass
class ClassifyResult:
    metrics: dict[str, Any]
    predicted: list[str] = field(default_factory=list)
    confidences: list[float] = field(default_factory=list)


def read_examples(path: Path, label_field: str) -> list[Example]:
    out: list[Example] = []
    for n, obj in read_jsonl(path, ClassifyFormatError):
        text, label = obj.get("text"), obj.get(label_field)
        if not isinstance(text, str) or not text.strip():
            raise ClassifyFormatError(f"{path}:{n}: 'text' must be a non-empty string")
        if isinstance(label, (int, float)) and not isinstance(label, bool):
            label = str(label)
        if not isinstance(label, str) or not label.strip():
            raise ClassifyFormatError(f"{path}:{n}: no label: {label_field!r} must be a non-empty string")
        lang = obj.get("lang")
        out.append(Example(text, label.strip(), lang if isinstance(lang, str) and lang else None, n - 1))
    if not out:
        raise ClassifyFormatError(f"{path}: no examples")
    return out


def load_set(folder: Path, label_field: str = "label") -> ClassifySet:
    if not folder.is_dir():
        raise ClassifyFormatError(f"{folder}: not a folder")
    train_p, dev_p, test_p = folder / "train.jsonl", folder / "dev.jsonl", folder / "test.jsonl"
    if not train_p.is_file():
        raise ClassifyFormatError(f"{folder}: no train.jsonl")
    if test_p.is_file():
        fit_files = [train_p] + ([dev_p] if dev_p.is_file() else [])
        eval_file = test_p
    elif dev_p.is_file():
        fit_files, eval_file = [train_p], dev_p
    else:
        raise ClassifyFormatError(f"{folder}: nothing to evaluate on: no test.jsonl or dev.jsonl")
    train: list[Example] = []
    for p in fit_files:
        train.extend(read_examples(p, label_field))
    if len({e.label for e in train}) < 2:
        raise ClassifyFormatError(f"{folder}: the training files have fewer than two different {label_field!r} labels")
    return ClassifySet(folder.name, label_field, train, read_examples(eval_file, label_field),
                       [p.name for p in fit_files], eval_file.name)


def macro_f1(gold: list[str], pred: list[str]) -> float:
    labels = sorted(set(gold) | set(pred))
    f1s = []
    for lab in labels:
        tp = sum(1 for g, p in zip(gold, pred) if g == lab and p == lab)
        fp = sum(1 for g, p in zip(gold, pred) if g != lab and p == lab)
        fn = sum(1 for g, p in zip(gold, pred) if g == lab and p != lab)
        f1s.append(0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn))
    return float(np.mean(f1s)) if f1s else 0.0


def score(gold: list[str], pred: list[str], langs: list[str | None], has_oos: bool) -> dict[str, Any]:
    n = len(gold)
    correct = [g == p for g, p in zip(gold, pred)]
    per_lang: dict[str, dict[str, float]] = {}
    by: dict[str, list[bool]] = defaultdict(list)
    for lang, ok in zip(langs, correct):
        by[lang or "und"].append(ok)
    for lang in sorted(by):
        per_lang[lang] = {"accuracy": round(float(np.mean(by[lang])), 4), "n": len(by[lang])}
    m: dict[str, Any] = {
        "accuracy": round(float(np.mean(correct)), 4),
        "macro_f1": round(macro_f1(gold, pred), 4),
        "per_lang": per_lang,
        "in_scope_accuracy": None,
        "oos_recall": None,
        "oos_precision": None,
        "n": n,
    }
    if has_oos:
        ins = [ok for g, ok in zip(gold, correct) if g != OOS]
        oos_gold = sum(1 for g in gold if g == OOS)
        oos_pred = sum(1 for p in pred if p == OOS)
        hit = sum(1 for g, p in zip(gold, pred) if g == OOS and p == OOS)
        m["in_scope_accuracy"] = round(float(np.mean(ins)), 4) if ins else None
        m["oos_recall"] = round(hit / oos_gold, 4) if oos_gold else None
        m["oos_precision"] = round(hit / oos_pred, 4) if oos_pred else None
    return m


def run(
    data: ClassifySet,
    embed: Callable[[list[str]], np.ndarray],
    progress: Callable[[str], None] = lambda _: None,
) -> ClassifyResult:
    """Embed (through the cache), fit the service's classifier, predict, score."""
    t0 = time.perf_counter()
    progress(f"embedding {len(data.train) + len(data.test)} texts")
    test_texts = [e.text for e in data.test]
    x_train = embed([e.text for e in data.train])
    x_test = embed(test_texts)
    t1 = time.perf_counter()
    progress("fitting")
    clf = TextClassifier().fit([e.text for e in data.train], x_train, [e.label for e in data.train])
    t2 = time.perf_counter()
    pred = clf.predict(test_texts, x_test)
    t3 = time.perf_counter()
    one = []  # the head alone, one example at a time, as the service calls it
    for i in range(min(200, len(x_test))):
        s = time.perf_counter()
        clf.predict(test_texts[i : i + 1], x_test[i : i + 1])
        one.append((time.perf_counter() - s) * 1000)
    gold = [e.label for e in data.test]
    m = score(gold, pred.labels, [e.lang for e in data.test], OOS in clf.classes)
    m.update({
        "set": data.name, "field": data.field, "fit_files": data.train_files, "test_file": data.test_file,
        "train_n": len(data.train), "labels": len(clf.classes),
        "unseen_test_labels": sorted({g for g in gold} - set(clf.classes)),
        "majority_baseline": round(Counter(gold).most_common(1)[0][1] / len(gold), 4) if gold else None,
        "classifier": clf.describe(),
        "seconds": {"embed": round(t1 - t0, 1), "fit": round(t2 - t1, 1), "predict": round(t3 - t2, 2)},
        "head_ms": {"p50": round(percentile(one, 0.5), 3), "p95": round(percentile(one, 0.95), 3)},
    })
    return ClassifyResult(m, pred.labels, [float(c) for c in pred.confidences])


def write_predictions(path: Path, data: ClassifySet, result: ClassifyResult) -> None:
    with path.open("w", encoding="utf-8") as f:
        for e, p, c in zip(data.test, result.predicted, result.confidences):
            f.write(json.dumps({"index": e.line, "label": e.label, "predicted": p, "confidence": round(c, 4)}, ensure_ascii=False) + "\n")


def format_table(m: dict[str, Any]) -> str:
    lines = [f"{m['set']} / {m['field']}: fit on {' + '.join(m['fit_files'])} ({m['train_n']}), scored on {m['test_file']} ({m['n']})"]
    lines.append(f"  accuracy   {m['accuracy']:.4f}   (majority {m['majority_baseline']:.4f})")
    lines.append(f"  macro-F1   {m['macro_f1']:.4f}")
    if m["in_scope_accuracy"] is not None or m["oos_recall"] is not None:
        def f(v: float | None) -> str:
            return "n/a" if v is None else f"{v:.4f}"
        lines.append(f"  in-scope   {f(m['in_scope_accuracy'])}   oos recall {f(m['oos_recall'])}   oos precision {f(m['oos_precision'])}")
    for lang, v in m["per_lang"].items():
        lines.append(f"  {lang:<8} {v['accuracy']:.4f}  (n={v['n']})")
    s = m["seconds"]
    lines.append(f"  time: embed {s['embed']} s, fit {s['fit']} s; head per ticket p50 {m['head_ms']['p50']} ms, p95 {m['head_ms']['p95']} ms")
    return "\n".join(lines)
