"""Walk a file or directory and parse every supported source file in it.

One bad file must not stop an ingest of hundreds: its problem is recorded in
`errors` and its documents are left out entirely (never half a file). The walk is
sorted so that results, and which of two duplicates wins, are reproducible.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ingest.documents import ParseError, SourceDocument
from ingest.html import parse_html
from ingest.markdown import parse_markdown
from ingest.redact import Redactor
from ingest.tickets import parse_tickets

ARTICLE_PARSERS: dict[str, Callable[[Path], SourceDocument]] = {
    ".html": parse_html,
    ".htm": parse_html,
    ".md": parse_markdown,
    ".markdown": parse_markdown,
}
TICKET_SUFFIXES = frozenset({".json", ".jsonl", ".csv"})
SUPPORTED_SUFFIXES = frozenset(ARTICLE_PARSERS) | TICKET_SUFFIXES


@dataclass
class LoadResult:
    """What a walk produced: documents, left-out tickets, broken files and unsupported files."""

    documents: list[SourceDocument] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (ticket id or file, reason)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (file, message)
    ignored: list[str] = field(default_factory=list)  # files with an unsupported extension


def _is_hidden(path: Path, root: Path) -> bool:
    try:
        parts = path.relative_to(root).parts
    except ValueError:
        parts = path.parts
    return any(p.startswith(".") for p in parts)


def iter_files(path: Path) -> list[Path]:
    """The files under `path` (or `path` itself), sorted, without hidden files or folders."""
    if path.is_file():
        return [path]
    files = [p for p in path.rglob("*") if p.is_file() and not _is_hidden(p, path)]
    return sorted(files, key=lambda p: p.relative_to(path).as_posix())


def _parse_file(file: Path, redactor: Redactor | None) -> tuple[list[SourceDocument], list[tuple[str, str]]]:
    suffix = file.suffix.lower()
    if suffix in ARTICLE_PARSERS:
        return [ARTICLE_PARSERS[suffix](file)], []
    result = parse_tickets(file, redactor)
    return result.documents, [(tid, f"{reason} ({file.name})") for tid, reason in result.skipped]


def load_path(path: Path, redactor: Redactor | None = None) -> LoadResult:
    """Parse every supported file under `path`; never raises for a single bad file.

    `redactor` carries the deployment's product terms (words that are never names)."""
    root = Path(path).expanduser()
    result = LoadResult()
    if not root.exists():
        result.errors.append((str(root), "no such file or directory"))
        return result
    root = root.resolve()
    first_seen: dict[str, str] = {}
    for file in iter_files(root):
        if file.suffix.lower() not in SUPPORTED_SUFFIXES:
            result.ignored.append(str(file))
            continue
        origin = str(file.resolve())
        try:
            documents, skipped = _parse_file(file, redactor)
        except ParseError as exc:
            result.errors.append((origin, str(exc)))
            continue
        except (OSError, UnicodeError, ValueError, TypeError, AttributeError, KeyError, RecursionError) as exc:
            result.errors.append((origin, f"{file}: malformed content ({type(exc).__name__}: {exc})"))
            continue
        result.skipped.extend(skipped)
        for doc in documents:
            if doc.source_id in first_seen:
                result.errors.append(
                    (origin, f"{file}: duplicate source_id '{doc.source_id}', already loaded from "
                             f"{first_seen[doc.source_id]}; this copy was not loaded")
                )
                continue
            first_seen[doc.source_id] = origin
            doc.origin = origin
            result.documents.append(doc)
    return result
