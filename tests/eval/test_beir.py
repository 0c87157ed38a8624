"""Reading BEIR folders, and the clear errors for malformed ones."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.beir import BeirFormatError, load_beir


def write_set(folder: Path, corpus: list[dict] | None = None, queries: list[dict] | None = None, qrels: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    corpus = corpus if corpus is not None else [
        {"_id": "d1", "title": "Reset your password", "text": "Click Forgot password.", "metadata": {"lang": "en"}},
        {"_id": "d2", "title": "Refunds", "text": "Refunds take five days."},
    ]
    queries = queries if queries is not None else [
        {"_id": "q1", "text": "Passwort vergessen", "metadata": {"lang": "de"}},
        {"_id": "q2", "text": "when do I get my money back"},
        {"_id": "q3", "text": "unjudged question"},
    ]
    (folder / "corpus.jsonl").write_text("".join(json.dumps(r) + "\n" for r in corpus), encoding="utf-8")
    (folder / "queries.jsonl").write_text("".join(json.dumps(r) + "\n" for r in queries), encoding="utf-8")
    (folder / "qrels.tsv").write_text(qrels if qrels is not None else "query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t1\nq2\td1\t0\n")
    return folder


def test_reads_a_well_formed_set(tmp_path: Path) -> None:
    s = load_beir(write_set(tmp_path / "mini"))
    assert s.name == "mini"
    assert [d.id for d in s.corpus] == ["d1", "d2"]
    assert s.corpus[0].language == "en" and s.corpus[1].language is None
    assert [q.id for q in s.queries] == ["q1", "q2"]  # q3 has no judgement
    assert s.unjudged_queries == 1
    assert s.qrels == {"q1": {"d1": 1}, "q2": {"d2": 1}}  # score 0 is not relevant


def test_the_shared_dev_set_loads() -> None:
    folder = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "xquad_r"
    if not folder.is_dir():
        pytest.skip("../shared/data is not beside the repository")
    s = load_beir(folder)
    assert len(s.corpus) == 50 and len(s.queries) == 2398


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda f: (f / "qrels.tsv").unlink(), "no qrels.tsv"),
        (lambda f: (f / "corpus.jsonl").unlink(), "no corpus.jsonl"),
        (lambda f: (f / "corpus.jsonl").write_text('{"_id": "d1", "text": "x"}\n{"_id": "d2", "text": \n'), "corpus.jsonl:2: not valid JSON"),
        (lambda f: (f / "corpus.jsonl").write_text('{"title": "x", "text": "y"}\n'), "corpus.jsonl:1: missing or empty \"_id\""),
        (lambda f: (f / "corpus.jsonl").write_text('{"_id": "d1", "text": "a"}\n{"_id": "d1", "text": "b"}\n'), "duplicate _id 'd1'"),
        (lambda f: (f / "corpus.jsonl").write_text('[1, 2]\n'), "each line must be a JSON object"),
        (lambda f: (f / "corpus.jsonl").write_text('{"_id": "d1", "text": 5}\n'), "\"text\" must be a string"),
        (lambda f: (f / "corpus.jsonl").write_text(""), "no documents"),
        (lambda f: (f / "queries.jsonl").write_text('{"_id": "q1", "text": "  "}\n'), "empty text"),
        (lambda f: (f / "queries.jsonl").write_bytes(b'{"_id": "q1", "text": "\xff"}\n'), "not UTF-8"),
        (lambda f: (f / "qrels.tsv").write_text("query-id\tcorpus-id\tscore\nq9\td1\t1\n"), "query-id 'q9' is not in queries.jsonl"),
        (lambda f: (f / "qrels.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td9\t1\n"), "corpus-id 'd9' is not in corpus.jsonl"),
        (lambda f: (f / "qrels.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\tyes\n"), "score 'yes' is not a number"),
        (lambda f: (f / "qrels.tsv").write_text("q1 d1 1\n"), "expected 'query-id<TAB>corpus-id<TAB>score'"),
        (lambda f: (f / "qrels.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t0\n"), "no relevant"),
    ],
)
def test_malformed_folders_say_what_is_wrong(tmp_path: Path, mutate, message: str) -> None:  # type: ignore[no-untyped-def]
    folder = write_set(tmp_path / "bad")
    mutate(folder)
    with pytest.raises(BeirFormatError, match=None) as err:
        load_beir(folder)
    assert message in str(err.value)


def test_not_a_folder(tmp_path: Path) -> None:
    with pytest.raises(BeirFormatError, match="not a folder"):
        load_beir(tmp_path / "missing")
