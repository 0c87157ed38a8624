"""The shapes every parser produces and the pipeline consumes.

A *source* is one knowledge item with a stable id: one help-centre article or one
resolved ticket. Parsers turn files into `SourceDocument`s; the pipeline chunks,
embeds and indexes them, and keeps them in the source store so that an index can be
rebuilt (`kb reindex`) without the original files.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

SourceKind = Literal["article", "ticket"]


class ParseError(ValueError):
    """A file could not be parsed; the message says which file and why, for a person."""


@dataclass
class Section:
    """A heading with the text under it. `text` keeps numbered steps as `1. ...` lines."""

    heading: str
    text: str


@dataclass
class SourceDocument:
    source_id: str  # stable: "article:<slug>" or "ticket:<id>"
    kind: SourceKind
    title: str
    sections: list[Section]
    language: str | None = None  # BCP 47 as written in the source, None when unknown
    url: str | None = None
    updated: str | None = None  # ISO 8601 date or datetime
    tags: list[str] = field(default_factory=list)
    product_area: str | None = None
    links: list[dict[str, str]] = field(default_factory=list)  # {"text":..., "url":...}
    origin: str | None = None  # the file (absolute path) it came from; None for API writes
    # tickets only (all already redacted of personal data)
    resolution: str | None = None
    category: str | None = None
    priority: str | None = None
    queue: str | None = None
    customer: str | None = None  # a customer/organisation id, never a person's name
    created: str | None = None
    resolved: str | None = None
    status: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def body(self) -> str:
        parts = []
        for s in self.sections:
            parts.append(f"{s.heading}\n{s.text}".strip() if s.heading else s.text.strip())
        return "\n\n".join(p for p in parts if p)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "SourceDocument":
        d = dict(d)
        d["sections"] = [Section(**s) for s in d.get("sections", [])]
        return cls(**d)

    def content_hash(self) -> str:
        """Hash of everything that is indexed; the origin path is excluded so a moved file is unchanged."""
        d = self.to_dict()
        d.pop("origin", None)
        blob = json.dumps(d, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def ticket_text(doc: SourceDocument) -> str:
    """A ticket's question, subject and body, as triage and ticket clustering embed it (one text, so
    one cached vector serves both)."""
    return f"{doc.title}\n\n{doc.body}".strip()


def read_source_bytes(path: Path) -> bytes:
    """Read a file for a parser; an unreadable file is a ParseError naming it."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ParseError(f"{path}: cannot read file: {exc.strerror or exc}") from exc


def parse_tags(value: Any) -> list[str]:
    """Tags from a list, or a string separated by '|' (ticket exports) or ',' (front matter, meta keywords)."""
    if value is None:
        return []
    if isinstance(value, str):
        raw = value.split("|") if "|" in value else value.split(",")
    elif isinstance(value, (list, tuple)):
        raw = [str(v) for v in value if v is not None]
    else:
        raw = [str(value)]
    out: list[str] = []
    for t in raw:
        t = " ".join(t.split())
        if t and t not in out:
            out.append(t)
    return out
