"""Split a `SourceDocument` into retrieval chunks.

A chunk must make sense on its own when it is retrieved: every article chunk starts
with the article title and its section heading, numbered steps stay together (half a
procedure is a wrong answer), and a ticket stays one chunk with its resolution.
Everything is deterministic so re-ingesting unchanged sources gives the same chunks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.documents import Section, SourceDocument

HEADING_SEPARATOR = " — "
_RE_LIST_LINE = re.compile(r"^\s*(?:\d+[.)]|[-*•])(?:\s|$)")
_RE_TOP_ITEM = re.compile(r"^(?:\d+[.)]|[-*•])(?:\s|$)")
_RE_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s+")


@dataclass
class Chunk:
    text: str
    heading: str  # the section heading(s) the text comes from; "" for intro text and tickets
    index: int
    header: str = ""  # the text's first line when it is a title line (title — heading, a ticket's subject), else ""


def _header(title: str, heading: str) -> str:
    title = title.strip()
    heading = heading.strip()
    if title and heading:
        return f"{title}{HEADING_SEPARATOR}{heading}"
    return title or heading


def _is_list_block(block: str) -> bool:
    lines = [ln for ln in block.split("\n") if ln.strip()]
    return bool(lines) and _RE_TOP_ITEM.match(lines[0].lstrip()) is not None and all(
        _RE_LIST_LINE.match(ln) or ln.startswith((" ", "\t")) for ln in lines
    )


def _list_items(block: str) -> list[str]:
    """Top-level items with their nested/continuation lines attached."""
    items: list[str] = []
    for line in block.split("\n"):
        if items and (line.startswith((" ", "\t")) or not _RE_TOP_ITEM.match(line)):
            items[-1] += "\n" + line
        else:
            items.append(line)
    return items


def _hard_split(text: str, budget: int) -> list[str]:
    """Split prose at sentence ends, then at spaces, so that each piece fits the budget."""
    pieces: list[str] = []
    current = ""
    for sentence in _RE_SENTENCE_END.split(text):
        while len(sentence) > budget:
            cut = sentence.rfind(" ", 0, budget)
            if cut <= budget // 3:
                cut = budget
            head, sentence = sentence[:cut].rstrip(), sentence[cut:].lstrip()
            if current:
                pieces.append(current)
                current = ""
            pieces.append(head)
        if not sentence:
            continue
        candidate = f"{current} {sentence}" if current else sentence
        if len(candidate) <= budget:
            current = candidate
        else:
            if current:
                pieces.append(current)
            current = sentence
    if current:
        pieces.append(current)
    return pieces


def _units(block: str, budget: int) -> list[tuple[str, bool]]:
    """A block as (piece, joins_with_newline) units no larger than the budget where possible."""
    if len(block) <= budget:
        return [(block, False)]
    if _is_list_block(block):
        # A list longer than a whole chunk: split between items, never inside one.
        out: list[tuple[str, bool]] = []
        for item in _list_items(block):
            if len(item) <= budget:
                out.append((item, True))
            else:
                out.extend((p, True) for p in _hard_split(item, budget))
        return out
    lines = block.split("\n")
    if len(lines) > 1:  # tables, code, multi-line text: split between lines
        out = []
        for line in lines:
            out.extend((p, True) for p in ([line] if len(line) <= budget else _hard_split(line, budget)))
        return out
    return [(p, False) for p in _hard_split(block, budget)]


def _split_section(section: Section, budget: int) -> list[str]:
    """Pack a section's paragraphs into bodies of at most `budget` characters."""
    blocks = [b.strip("\n") for b in re.split(r"\n\s*\n", section.text) if b.strip()]
    bodies: list[str] = []
    current = ""
    for block in blocks:
        candidate = f"{current}\n\n{block}" if current else block
        if len(candidate) <= budget:
            current = candidate
            continue
        if current:
            bodies.append(current)
            current = ""
        if len(block) <= budget:
            current = block
            continue
        for unit, newline in _units(block, budget):
            sep = "\n" if newline else " "
            candidate = f"{current}{sep}{unit}" if current else unit
            if len(candidate) <= budget:
                current = candidate
            else:
                if current:
                    bodies.append(current)
                current = unit
        if current:
            bodies.append(current)
            current = ""
    if current:
        bodies.append(current)
    return bodies


def _article_chunks(doc: SourceDocument, max_chars: int) -> list[tuple[str, str, str]]:
    """(heading, header line, text) per chunk: one per section, small neighbours merged, long ones split."""
    small = max_chars // 4
    merged: list[tuple[list[str], str]] = []  # (headings, text without the title line)
    for section in doc.sections:
        if not section.text.strip() and not section.heading.strip():
            continue
        header = _header(doc.title, section.heading)
        budget = max(max_chars - len(header) - 1, 40)
        bodies = _split_section(section, budget) or [""]
        if len(bodies) == 1 and merged:
            prev_headings, prev_text = merged[-1]
            prev_len = len(_header(doc.title, prev_headings[0])) + 1 + len(prev_text)
            addition = f"\n\n{section.heading}\n{bodies[0]}" if section.heading else f"\n\n{bodies[0]}"
            if (prev_len < small or len(bodies[0]) < small) and prev_len + len(addition) <= max_chars:
                merged[-1] = (prev_headings + [section.heading], prev_text + addition)
                continue
        for body in bodies:
            merged.append(([section.heading], body))
    out: list[tuple[str, str, str]] = []
    for headings, body in merged:
        first = headings[0]
        header = _header(doc.title, first)
        text = f"{header}\n{body}".strip()
        heading = " / ".join(h for h in headings if h) if len(headings) > 1 else first
        out.append((heading, header, text))
    return out


def _truncate(text: str, limit: int) -> str:
    """Cut at a sentence or word boundary and mark the cut with an ellipsis."""
    text = text.strip()
    if len(text) <= limit:
        return text
    if limit <= 1:
        return text[:limit]
    window = text[: limit - 1]
    cut = max(window.rfind(". "), window.rfind("\n"), window.rfind("? "), window.rfind("! "), window.rfind("。"))
    if cut >= limit // 2:
        return window[: cut + 1].rstrip() + "…"
    space = window.rfind(" ")
    if space >= limit // 2:
        return window[:space].rstrip() + "…"
    return window + "…"


def _ticket_chunk(doc: SourceDocument, max_chars: int) -> str:
    """`subject\\nbody\\nResolution: ...`; the body is shortened first so the resolution fits."""
    subject = doc.title.strip()
    body = doc.body.strip()
    resolution = (doc.resolution or "").strip()
    head = f"{subject}\n{body}" if subject else body
    if not resolution:
        return _truncate(head, max_chars)
    tail = f"\nResolution: {resolution}"
    if len(head) + len(tail) <= max_chars:
        return head + tail
    # The resolution is the knowledge: keep at least half the chunk for it.
    res_budget = max(max_chars // 2, max_chars - len(head) - len("\nResolution: "))
    res_text = _truncate(resolution, max(res_budget - len("\nResolution: "), 20))
    tail = f"\nResolution: {res_text}"
    head_budget = max_chars - len(tail)
    if subject and len(subject) + 1 >= head_budget:
        head = _truncate(subject, max(head_budget, 10))
    elif subject:
        head = f"{subject}\n{_truncate(body, head_budget - len(subject) - 1)}"
    else:
        head = _truncate(body, head_budget)
    return head + tail


def chunk_document(doc: SourceDocument, max_chars: int = 1200) -> list[Chunk]:
    """Chunks of at most about `max_chars` characters, indexed 0..n-1 in document order."""
    if max_chars < 50:
        raise ValueError("max_chars must be at least 50")
    if doc.kind == "ticket":
        text = _ticket_chunk(doc, max_chars)
        subject = doc.title.strip()
        return [Chunk(text=text, heading="", index=0, header=subject if subject and text.startswith(subject) else "")]
    pieces = _article_chunks(doc, max_chars)
    return [Chunk(text=text, heading=heading, index=i, header=header) for i, (heading, header, text) in enumerate(pieces)]


# --- extra vectors per chunk (see kb_service/retrieval/search.py for how they score) ---------
_RE_SENTENCE_OR_LINE = re.compile(r"(?<![0-9][.])(?<=[.!?。！？])\s+|\n+")  # not after a step number "1."
_RE_QUESTION_END = re.compile(r"[?？؟]\s*$")
_RE_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")


def sentence_windows(chunk: Chunk) -> list[str]:
    """One short passage per sentence (or line) of the chunk body, each under the chunk's title line
    (its title and heading, or a ticket's subject) so that it keeps its context.

    A question usually asks about one sentence of an article; a vector of that sentence matches it
    better than the vector of the whole chunk. A body of one sentence has no windows (the chunk
    vector already is that sentence)."""
    header = chunk.header.strip()
    body = chunk.text[len(chunk.header):] if chunk.header and chunk.text.startswith(chunk.header) else chunk.text
    sentences = [s.strip() for s in _RE_SENTENCE_OR_LINE.split(body) if s and len(s.strip()) > 2]
    if len(sentences) <= 1:
        return []
    return [f"{header}\n{s}" if header else s for s in sentences]


def says_what_it_answers(title: str) -> bool:
    """Whether a title or heading line is worth a vector of its own: a question ("How do I export
    invoices?") or a task or phrase of at least four words ("Export your data as CSV"), not a bare
    topic name ("Normans", "Billing"), which says little about what a passage answers."""
    title = title.strip()
    if not title:
        return False
    if _RE_QUESTION_END.search(title):
        return True
    if _RE_CJK.search(title):
        return len(_RE_CJK.findall(title)) >= 8
    return len(title.split()) >= 4


def title_line(chunk: Chunk) -> str | None:
    """The chunk's title line when it says what the chunk answers, else None."""
    header = chunk.header.strip()
    return header if says_what_it_answers(header) else None
