"""Turn ../shared/data/covidqa_faq into a BEIR folder (written outside the repository) so that
`kb eval retrieval` can measure a mixed-language knowledge base: 971 FAQ entries in de, en, it, pl
and sv, queried in English.

Queries are the paraphrases (`question_2`) of the question pairs marked similar; the relevant
documents are every FAQ entry whose question is that pair's `question_1` (some questions occur in
several sources). That gives 240 queries. Usage:

    python -m eval.covidqa_beir ../shared/data/covidqa_faq /tmp/covidqa_beir
    kb eval retrieval /tmp/covidqa_beir --compare dense
"""

from __future__ import annotations

import csv
import json
import sys
from collections import defaultdict
from pathlib import Path


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def convert(source: Path, out: Path) -> tuple[int, int]:
    docs = [json.loads(line) for line in (source / "corpus.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    by_question: dict[str, list[str]] = defaultdict(list)
    for d in docs:
        by_question[_norm(d.get("title") or "")].append(d["_id"])
    relevant: dict[str, set[str]] = defaultdict(set)
    with (source / "eval_question_similarity_en.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["similar"] == "1" and _norm(row["question_1"]) in by_question:
                relevant[row["question_2"].strip()].update(by_question[_norm(row["question_1"])])
    out.mkdir(parents=True, exist_ok=True)
    with (out / "corpus.jsonl").open("w", encoding="utf-8") as fh:
        for d in docs:
            row = {"_id": d["_id"], "title": d.get("title") or "", "text": d["text"], "metadata": {"lang": d["metadata"]["lang"]}}
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    queries = sorted(relevant.items())
    with (out / "queries.jsonl").open("w", encoding="utf-8") as fh:
        for k, (text, _) in enumerate(queries):
            fh.write(json.dumps({"_id": f"cq-q{k:03d}", "text": text, "metadata": {"lang": "en"}}, ensure_ascii=False) + "\n")
    with (out / "qrels.tsv").open("w", encoding="utf-8") as fh:
        fh.write("query-id\tcorpus-id\tscore\n")
        for k, (_, ids) in enumerate(queries):
            for doc_id in sorted(ids):
                fh.write(f"cq-q{k:03d}\t{doc_id}\t1\n")
    return len(docs), len(queries)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python -m eval.covidqa_beir COVIDQA_FOLDER OUT_FOLDER")
    n_docs, n_queries = convert(Path(sys.argv[1]), Path(sys.argv[2]))
    print(f"{n_docs} documents, {n_queries} queries written to {sys.argv[2]}")
