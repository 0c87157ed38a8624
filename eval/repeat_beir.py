"""Make a large BEIR query set from a small one, to time `kb eval retrieval` at scale: every query
(and its judgements) repeated N times under new ids, the corpus unchanged. Written outside the repo.

    python -m eval.repeat_beir ../shared/data/stackfaq /tmp/stackfaq_x26 26   # 9,880 queries, 219 documents
    time kb eval retrieval /tmp/stackfaq_x26
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path


def repeat(source: Path, out: Path, times: int) -> int:
    out.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source / "corpus.jsonl", out / "corpus.jsonl")
    queries = [json.loads(line) for line in (source / "queries.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    qrels = [line.split("\t") for line in (source / "qrels.tsv").read_text(encoding="utf-8").splitlines()[1:] if line.strip()]
    with (out / "queries.jsonl").open("w", encoding="utf-8") as fq, (out / "qrels.tsv").open("w", encoding="utf-8") as fr:
        fr.write("query-id\tcorpus-id\tscore\n")
        for r in range(times):
            for q in queries:
                fq.write(json.dumps({**q, "_id": f"{q['_id']}-{r}"}, ensure_ascii=False) + "\n")
            for qid, doc_id, score in qrels:
                fr.write(f"{qid}-{r}\t{doc_id}\t{score}\n")
    return len(queries) * times


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit("usage: python -m eval.repeat_beir BEIR_FOLDER OUT_FOLDER TIMES")
    print(f"{repeat(Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]))} queries written to {sys.argv[2]}")
