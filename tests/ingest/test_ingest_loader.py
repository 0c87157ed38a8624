"""Walking a folder: dispatch by extension, isolate broken files, refuse duplicate ids."""

from __future__ import annotations

import json
from pathlib import Path

from ingest.loader import load_path

HTML = "<html><head><title>{title}</title></head><body><main><h1>{title}</h1><p>Body of {title}.</p></main></body></html>"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_directory_walk(tmp_path: Path) -> None:
    write(tmp_path / "b" / "sso.html", HTML.format(title="SSO"))
    write(tmp_path / "a-reset.htm", HTML.format(title="Reset"))
    write(tmp_path / "notes.md", "---\nid: notes\n---\n# Notes\n\nSome notes.\n")
    write(
        tmp_path / "tickets" / "t.jsonl",
        json.dumps({"id": 1, "subject": "S", "body": "B", "resolution": "R", "status": "solved"}) + "\n"
        + json.dumps({"id": 2, "subject": "S", "body": "B", "status": "open"}) + "\n",
    )
    write(tmp_path / "tickets" / "broken.json", '[{"id": 3, "body": "B", "resolution": "R"}, ')
    write(tmp_path / "readme.txt", "not a source")
    write(tmp_path / ".hidden.md", "# Hidden\n\ntext\n")
    write(tmp_path / ".git" / "x.html", HTML.format(title="Git"))

    result = load_path(tmp_path)

    ids = [d.source_id for d in result.documents]
    assert ids == ["article:a-reset", "article:sso", "article:notes", "ticket:1"]
    for doc in result.documents:
        assert doc.origin is not None and Path(doc.origin).is_absolute() and Path(doc.origin).exists()
    assert result.documents[1].origin == str((tmp_path / "b" / "sso.html").resolve())
    assert result.skipped == [("2", "status 'open' is not resolved (t.jsonl)")]
    assert len(result.errors) == 1
    file, message = result.errors[0]
    assert file.endswith("broken.json") and "invalid JSON" in message
    assert "ticket:3" not in ids
    assert result.ignored == [str((tmp_path / "readme.txt").resolve())]


def test_duplicate_source_id_is_an_error_naming_both_files(tmp_path: Path) -> None:
    first = write(tmp_path / "1" / "reset.html", HTML.format(title="Reset"))
    second = write(tmp_path / "2" / "reset.md", "# Reset\n\nAnother copy.\n")
    result = load_path(tmp_path)
    assert [d.source_id for d in result.documents] == ["article:reset"]
    assert result.documents[0].origin == str(first.resolve())
    assert len(result.errors) == 1
    file, message = result.errors[0]
    assert file == str(second.resolve())
    assert "article:reset" in message and str(first.resolve()) in message and str(second) in message


def test_single_file_and_missing_path(tmp_path: Path) -> None:
    path = write(tmp_path / "one.md", "# One\n\nText.\n")
    result = load_path(path)
    assert [d.source_id for d in result.documents] == ["article:one"]
    assert result.errors == [] and result.ignored == []
    missing = load_path(tmp_path / "nope")
    assert missing.documents == [] and missing.errors == [(str(tmp_path / "nope"), "no such file or directory")]


def test_a_bad_markdown_file_does_not_stop_the_others(tmp_path: Path) -> None:
    write(tmp_path / "a.md", "---\ntitle: [oops\n---\nBody\n")
    write(tmp_path / "b.md", "# B\n\nFine.\n")
    write(tmp_path / "c.html", "<html><body><nav>Only nav</nav></body></html>")
    result = load_path(tmp_path)
    assert [d.source_id for d in result.documents] == ["article:b"]
    assert [Path(f).name for f, _ in result.errors] == ["a.md", "c.html"]
