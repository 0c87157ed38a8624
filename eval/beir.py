"""Read a BEIR-format retrieval set: `corpus.jsonl`, `queries.jsonl`, `qrels.tsv` (or `qrels/test.tsv`).

Every problem is reported as a `BeirFormatError` naming the file and line, so that an evaluator
with a hand-made set knows what to fix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from eval.jsonl import read_jsonl


class BeirFormatError(ValueError):
    """The folder is not a usable BEIR set; the message says which file, which line and why."""


@dataclass
class CorpusDoc:
    id: str
    title: str
    text: str
    language: str | None = None


@dataclass
class Query:
    id: str
    text: str
    language: str | None = None


@dataclass
class BeirSet:
    name: str
    corpus: list[CorpusDoc]
    queries: list[Query]  # only queries with at least one relevant document, in file order
    qrels: dict[str, dict[str, int]]  # query id -> corpus id -> graded relevance (> 0)
    unjudged_queries: int = 0  # queries in queries.jsonl without any relevant document (not evaluated)
    notes: list[str] = field(default_factory=list)


def _lines(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    return read_jsonl(path, BeirFormatError)


def _id(row: dict[str, Any], path: Path, number: int) -> str:
    value = row.get("_id")
    if value is None or (isinstance(value, str) and not value.strip()) or isinstance(value, (dict, list, bool)):
        raise BeirFormatError(f"{path}:{number}: missing or empty \"_id\"")
    return str(value)


def _text(row: dict[str, Any], key: str, path: Path, number: int, required: bool) -> str:
    value = row.get(key)
    if value is None:
        if required:
            raise BeirFormatError(f"{path}:{number}: missing \"{key}\"")
        return ""
    if not isinstance(value, str):
        raise BeirFormatError(f"{path}:{number}: \"{key}\" must be a string")
    return value


def _language(row: dict[str, Any]) -> str | None:
    meta = row.get("metadata")
    if isinstance(meta, dict) and isinstance(meta.get("lang"), str) and meta["lang"].strip():
        return str(meta["lang"]).strip()
    return None


def _qrels_path(folder: Path) -> Path:
    for candidate in (folder / "qrels.tsv", folder / "qrels" / "test.tsv"):
        if candidate.is_file():
            return candidate
    raise BeirFormatError(f"{folder}: no qrels.tsv (nor qrels/test.tsv)")


def load_beir(folder: Path) -> BeirSet:
    folder = Path(folder)
    if not folder.is_dir():
        raise BeirFormatError(f"{folder}: not a folder")
    for name in ("corpus.jsonl", "queries.jsonl"):
        if not (folder / name).is_file():
            raise BeirFormatError(f"{folder}: no {name} (a BEIR folder holds corpus.jsonl, queries.jsonl and qrels.tsv)")
    qrels_file = _qrels_path(folder)

    corpus: list[CorpusDoc] = []
    seen: set[str] = set()
    path = folder / "corpus.jsonl"
    for number, row in _lines(path):
        doc_id = _id(row, path, number)
        if doc_id in seen:
            raise BeirFormatError(f"{path}:{number}: duplicate _id {doc_id!r}")
        seen.add(doc_id)
        title = _text(row, "title", path, number, required=False)
        text = _text(row, "text", path, number, required=True)
        if not (title.strip() or text.strip()):
            raise BeirFormatError(f"{path}:{number}: document {doc_id!r} has neither title nor text")
        corpus.append(CorpusDoc(doc_id, title.strip(), text.strip(), _language(row)))
    if not corpus:
        raise BeirFormatError(f"{path}: no documents")

    queries: dict[str, Query] = {}
    path = folder / "queries.jsonl"
    for number, row in _lines(path):
        qid = _id(row, path, number)
        if qid in queries:
            raise BeirFormatError(f"{path}:{number}: duplicate _id {qid!r}")
        text = _text(row, "text", path, number, required=True)
        if not text.strip():
            raise BeirFormatError(f"{path}:{number}: query {qid!r} has empty text")
        queries[qid] = Query(qid, text.strip(), _language(row))
    if not queries:
        raise BeirFormatError(f"{path}: no queries")

    qrels: dict[str, dict[str, int]] = {}
    try:
        raw = qrels_file.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError:
        raise BeirFormatError(f"{qrels_file}: not UTF-8 text") from None
    for number, line in enumerate(raw, 1):
        if not line.strip():
            continue
        cells = line.rstrip("\r\n").split("\t")
        if number == 1 and cells[:2] == ["query-id", "corpus-id"]:
            continue  # the header
        if len(cells) not in (2, 3):  # also accept TREC qrels' four columns: qid 0 docid rel
            if len(cells) == 4:
                cells = [cells[0], cells[2], cells[3]]
            else:
                raise BeirFormatError(f"{qrels_file}:{number}: expected 'query-id<TAB>corpus-id<TAB>score', got {len(cells)} columns")
        qid, doc_id = cells[0].strip(), cells[1].strip()
        try:
            score = int(float(cells[2])) if len(cells) == 3 else 1
        except ValueError:
            raise BeirFormatError(f"{qrels_file}:{number}: score {cells[2]!r} is not a number") from None
        if qid not in queries:
            raise BeirFormatError(f"{qrels_file}:{number}: query-id {qid!r} is not in queries.jsonl")
        if doc_id not in seen:
            raise BeirFormatError(f"{qrels_file}:{number}: corpus-id {doc_id!r} is not in corpus.jsonl")
        if score > 0:
            qrels.setdefault(qid, {})[doc_id] = score
    if not qrels:
        raise BeirFormatError(f"{qrels_file}: no relevant (score > 0) query-document pairs")
    judged = [q for q in queries.values() if q.id in qrels]
    return BeirSet(folder.name, corpus, judged, qrels, unjudged_queries=len(queries) - len(judged))
