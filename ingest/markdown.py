"""Markdown help articles (optional YAML front matter) → `SourceDocument` (kind "article").

Markdown syntax is noise for retrieval (`**`, `[text](url)`, `![alt](img)`), so it is
rendered to the same plain-text shape as HTML articles: sections at `##`/`###`,
numbered steps as `1. ...` lines, links collected separately.

Inline HTML is rendered as a browser would show it (`kb_service.sanitize.strip_markup`, outside code
spans and fenced code): comments, `<script>`/`<style>`-like elements and hidden elements (`hidden`,
`aria-hidden`, `style="display:none"`, ...) go with everything inside them, other tags leave their
text. Only http, https, mailto and relative links are collected (`[x](javascript:...)` keeps its
label and loses its link), and the result is made inert (`sanitize.clean_document`): code that shows
markup (`` `<img onerror=...>` ``) is kept readable but can no longer be read as markup.
"""

from __future__ import annotations

import datetime as _dt
import re
from html import unescape
from pathlib import Path
from typing import Any

import frontmatter
import yaml

from ingest.documents import ParseError, Section, SourceDocument, parse_tags, read_source_bytes
from ingest.html import id_from_url, normalise_date, slugify
from kb_service.sanitize import clean_document, safe_article_url, safe_href, strip_markup

_RE_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_RE_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_RE_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_RE_FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})")
_RE_BULLET = re.compile(r"^([ \t]*)[-*+][ \t]+(.*)$")
_RE_ORDERED = re.compile(r"^([ \t]*)(\d{1,9})[.)][ \t]+(.*)$")
_RE_HR = re.compile(r"^ {0,3}(?:(?:-[ \t]*){3,}|(?:\*[ \t]*){3,}|(?:_[ \t]*){3,})$")
_RE_TABLE_SEP = re.compile(r"^[ \t]*\|?[ \t]*:?-{2,}:?[ \t]*(?:\|[ \t]*:?-{2,}:?[ \t]*)*\|?[ \t]*$")
_RE_REFDEF = re.compile(r"^ {0,3}\[([^\]]+)\]:[ \t]*<?(\S+?)>?(?:[ \t]+[\"'(].*[\"')])?[ \t]*$")
_RE_IMAGE = re.compile(r"!\[([^\]]{0,1000})\]\((?:[^()\s]|\([^)]{0,500}\)){0,2000}(?:[ \t]+[\"'][^\"']{0,500}[\"'])?\)")
_RE_IMAGE_REF = re.compile(r"!\[([^\]]{0,1000})\]\[[^\]]{0,1000}\]")
_RE_LINK = re.compile(r"\[((?:[^\[\]]|\[[^\]]{0,200}\]){0,1000})\]\(\s*<?((?:[^()\s<>]|\([^)]{0,500}\)){0,2000})>?(?:\s+[\"'(][^\"')]{0,500}[\"')])?\s*\)")
_RE_LINK_REF = re.compile(r"\[([^\]]{1,1000})\]\[([^\]]{0,1000})\]")
_RE_AUTOLINK = re.compile(r"<((?:https?|ftp|mailto):[^>\s]+)>")
_RE_EMAIL_AUTOLINK = re.compile(r"<([\w.+-]+@[\w-]+(?:\.[\w-]+)+)>")
_RE_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)")  # whole backtick runs: linear, not cubic
_RE_HTML_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>")
# Every repeat is bounded (an emphasis, a link label or target is never thousands of characters):
# unbounded, a crafted 40 KB line of openers without closers took seconds per pattern (quadratic).
_EMPHASIS = [
    re.compile(r"\*\*(?=\S)(.{1,1000}?)(?<=\S)\*\*"),
    re.compile(r"(?<![\w_])__(?=\S)(.{1,1000}?)(?<=\S)__(?![\w_])"),
    re.compile(r"(?<![\w*])\*(?=[^\s*])(.{1,1000}?)(?<=[^\s*])\*(?![\w*])"),
    re.compile(r"(?<![\w_])_(?=[^\s_])(.{1,1000}?)(?<=[^\s_])_(?![\w_])"),
    re.compile(r"~~(?=\S)(.{1,1000}?)(?<=\S)~~"),
]


def _inline(text: str, links: list[dict[str, str]], refs: dict[str, str], base: str | None) -> str:
    """Strip inline Markdown, collecting links; code spans are kept verbatim."""
    out: list[str] = []
    pos = 0
    for m in _RE_CODE_SPAN.finditer(text):
        out.append(_inline_plain(text[pos : m.start()], links, refs, base))
        out.append(m.group(2).strip())
        pos = m.end()
    out.append(_inline_plain(text[pos:], links, refs, base))
    return "".join(out)


def _add_link(links: list[dict[str, str]], text: str, url: str, base: str | None) -> None:
    url = unescape(url.strip())  # a Markdown renderer decodes entities in a link target: so do we
    if not url or url.startswith("#"):
        return
    safe = safe_href(url, base)  # http, https, mailto or relative: never javascript:, data:, ...
    if safe is None:
        return
    item = {"text": text or safe, "url": safe}
    if item not in links:
        links.append(item)


def _inline_plain(text: str, links: list[dict[str, str]], refs: dict[str, str], base: str | None) -> str:
    text = _RE_IMAGE.sub(lambda m: m.group(1), text)
    text = _RE_IMAGE_REF.sub(lambda m: m.group(1), text)

    def link(m: re.Match[str]) -> str:
        label = _strip_emphasis(m.group(1))
        _add_link(links, label, m.group(2), base)
        return label

    def ref_link(m: re.Match[str]) -> str:
        label = _strip_emphasis(m.group(1))
        key = (m.group(2) or m.group(1)).strip().lower()
        if key in refs:
            _add_link(links, label, refs[key], base)
        return label

    def autolink(m: re.Match[str]) -> str:
        _add_link(links, m.group(1), m.group(1), base)
        return m.group(1)

    text = _RE_LINK.sub(link, text)
    text = _RE_LINK_REF.sub(ref_link, text)
    text = _RE_AUTOLINK.sub(autolink, text)
    text = _RE_EMAIL_AUTOLINK.sub(r"\1", text)
    text = _RE_HTML_TAG.sub("", text)
    text = _strip_emphasis(text)
    return text.replace("\\*", "*").replace("\\_", "_").replace("\\#", "#")


def _strip_emphasis(text: str) -> str:
    for rx in _EMPHASIS:
        text = rx.sub(r"\1", text)
    return text


def _strip_html(body: str) -> str:
    """Inline HTML rendered away outside fenced code (see the module docstring); the fences and
    what is inside them are left as written."""
    if "<" not in body:
        return body
    out: list[str] = []
    prose: list[str] = []
    in_fence: str | None = None
    for line in body.split("\n"):
        fm = _RE_FENCE.match(line)
        if in_fence is None and fm:
            if prose:
                out.append(strip_markup("\n".join(prose)))
            prose = []
            in_fence = fm.group(1)[0]
            out.append(line)
        elif in_fence is not None:
            if fm and fm.group(1)[0] == in_fence:
                in_fence = None
            out.append(line)
        else:
            prose.append(line)
    if prose:
        out.append(strip_markup("\n".join(prose)))
    return "\n".join(out)


def _blocks(body: str, links: list[dict[str, str]], base: str | None) -> list[tuple[str, int, str]]:
    """Render the body into ("h", level, text) and ("p", 0, block) events."""
    lines = body.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    refs: dict[str, str] = {}
    kept: list[str] = []
    in_fence = None
    for line in lines:
        fm = _RE_FENCE.match(line)
        if fm and in_fence is None:
            in_fence = fm.group(1)[0]
        elif fm and in_fence == fm.group(1)[0]:
            in_fence = None
        elif in_fence is None:
            rm = _RE_REFDEF.match(line)
            if rm:
                refs[rm.group(1).strip().lower()] = rm.group(2)
                continue
        kept.append(line)

    events: list[tuple[str, int, str]] = []
    para: list[str] = []
    items: list[str] = []  # current list block (rendered lines)
    counters: dict[int, int] = {}  # indent -> last number written at that level
    stack: list[int] = []  # indents of the open list levels
    fence: list[str] | None = None
    fence_char = ""
    blank_before = False

    def inl(s: str) -> str:
        return " ".join(_inline(s, links, refs, base).split())

    def flush_para() -> None:
        nonlocal para
        if para:
            text = inl(" ".join(p.strip() for p in para))
            if text:
                events.append(("p", 0, text))
        para = []

    def flush_list() -> None:
        nonlocal items
        if items:
            events.append(("p", 0, "\n".join(items)))
        items = []
        counters.clear()
        stack.clear()

    i = 0
    while i < len(kept):
        line = kept[i].expandtabs(4)
        if fence is not None:
            fm = _RE_FENCE.match(line)
            if fm and fm.group(1)[0] == fence_char:
                code = "\n".join(fence).strip("\n")
                if code.strip():
                    if items:
                        items.extend("   " + c for c in code.split("\n"))
                    else:
                        events.append(("p", 0, code))
                fence = None
            else:
                fence.append(line.rstrip())
            i += 1
            continue
        fm = _RE_FENCE.match(line)
        if fm:
            flush_para()
            if not (items and line.startswith((" ", "\t"))):
                flush_list()
            fence, fence_char = [], fm.group(1)[0]
            i += 1
            continue
        if not line.strip():
            flush_para()
            blank_before = True
            i += 1
            continue
        # Setext heading: a paragraph line followed by === or ---.
        nxt = kept[i + 1] if i + 1 < len(kept) else ""
        if not para and not items and line.strip() and _RE_SETEXT.match(nxt) and not _RE_HR.match(line) \
                and not _RE_BULLET.match(line) and not _RE_ORDERED.match(line):
            flush_list()
            events.append(("h", 1 if nxt.strip().startswith("=") else 2, inl(line)))
            i += 2
            blank_before = False
            continue
        hm = _RE_ATX.match(line)
        if hm:
            flush_para()
            flush_list()
            text = inl(hm.group(2) or "")
            if text:
                events.append(("h", len(hm.group(1)), text))
            i += 1
            blank_before = False
            continue
        if _RE_HR.match(line):
            flush_para()
            flush_list()
            i += 1
            continue
        om = _RE_ORDERED.match(line)
        bm = None if om else _RE_BULLET.match(line)
        if om or bm:
            flush_para()
            m = om or bm
            assert m is not None
            indent = len(m.group(1))
            while stack and stack[-1] > indent:
                counters.pop(stack.pop(), None)
            if not stack or stack[-1] < indent:
                stack.append(indent)
            depth = len(stack) - 1
            if om:
                written = int(om.group(2))
                number = counters[indent] + 1 if indent in counters else written
                counters[indent] = number
                items.append("   " * depth + f"{number}. {inl(om.group(3))}")
            else:
                counters.pop(indent, None)
                items.append("   " * depth + f"- {inl(bm.group(2))}")  # type: ignore[union-attr]
            blank_before = False
            i += 1
            continue
        if items and (line.startswith(("  ", "\t")) or not blank_before):
            # Continuation of the last list item (indented or lazy).
            stripped = line.strip()
            if stripped.startswith(">"):
                stripped = stripped.lstrip("> ")
            items[-1] = f"{items[-1]} {inl(stripped)}".rstrip()
            i += 1
            continue
        if items:
            flush_list()
        stripped = line.strip()
        if stripped.startswith("|") or (stripped.count("|") >= 2 and _RE_TABLE_SEP.match(nxt)):
            flush_para()
            rows: list[str] = []
            while i < len(kept) and kept[i].strip() and "|" in kept[i]:
                row = kept[i].strip()
                if not _RE_TABLE_SEP.match(row):
                    cells = [inl(c) for c in row.strip("|").split("|")]
                    rows.append(" | ".join(cells))
                i += 1
            if rows:
                events.append(("p", 0, "\n".join(rows)))
            continue
        if stripped.startswith(">"):
            stripped = re.sub(r"^(?:>[ \t]?)+", "", stripped)
            if not stripped:
                flush_para()
                i += 1
                continue
        para.append(stripped)
        blank_before = False
        i += 1
    if fence is not None:  # unclosed fence: keep what is there
        code = "\n".join(fence).strip("\n")
        if code.strip():
            events.append(("p", 0, code))
    flush_para()
    flush_list()
    return events


def _sections(events: list[tuple[str, int, str]], want_title: bool) -> tuple[str | None, list[Section]]:
    title: str | None = None
    sections: list[Section] = []
    heading = ""
    blocks: list[str] = []
    seen_h1 = False

    def close() -> None:
        text = "\n\n".join(b for b in blocks if b.strip()).strip()
        if text:
            sections.append(Section(heading, text))

    for kind, level, text in events:
        if kind == "h" and level == 1 and not seen_h1 and not sections and not blocks:
            seen_h1 = True
            if want_title:
                title = text
            continue
        if kind == "h" and level <= 3:
            close()
            heading, blocks = text, []
        elif kind == "h":
            blocks.append(text)
        else:
            blocks.append(text)
    close()
    return title, sections


def _str(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (_dt.datetime, _dt.date)):
        return value.isoformat()
    s = str(value).strip()
    return s or None


def _updated(value: Any) -> str | None:
    if isinstance(value, _dt.datetime):
        return value.date().isoformat()
    if isinstance(value, _dt.date):
        return value.isoformat()
    s = _str(value)
    if not s:
        return None
    return normalise_date(s) or s


def _split_front_matter(path: Path, text: str) -> tuple[dict[str, Any], str]:
    """YAML front matter via python-frontmatter's handler, with YAML errors made readable."""
    handler = frontmatter.YAMLHandler()
    if not handler.detect(text):
        return {}, text
    try:
        fm, content = handler.split(text)
    except ValueError as exc:
        raise ParseError(f"{path}: front matter is not closed by a '---' line ({exc})") from exc
    try:
        meta = yaml.safe_load(fm) if fm.strip() else {}
    except yaml.YAMLError as exc:
        problem = " ".join(str(exc).split())
        mark = getattr(exc, "problem_mark", None)
        where = f" (front matter line {mark.line + 2}, column {mark.column + 1})" if mark is not None else ""
        raise ParseError(f"{path}: invalid YAML front matter{where}: {problem}") from exc
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise ParseError(f"{path}: front matter must be a YAML mapping (key: value), got {type(meta).__name__}")
    return {str(k).strip().lower(): v for k, v in meta.items()}, content


def parse_markdown(path: Path, text: str | None = None) -> SourceDocument:
    """Parse one Markdown article; raises ParseError on bad front matter or an empty body."""
    path = Path(path)
    if text is None:
        data = read_source_bytes(path)
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("utf-8", errors="replace")
    text = text.lstrip("\ufeff")
    meta, body = _split_front_matter(path, text)
    body = _strip_html(_RE_COMMENT.sub("", body.replace("\r\n", "\n").replace("\r", "\n")))

    url = safe_article_url(_str(meta.get("url") or meta.get("canonical") or meta.get("canonical_url")))
    links: list[dict[str, str]] = []
    events = _blocks(body, links, url)
    fm_title = _str(meta.get("title"))
    h1_title, sections = _sections(events, want_title=True)
    if not sections:
        raise ParseError(f"{path}: empty document (no text below the title/front matter)")
    title = fm_title or h1_title or path.stem
    raw_id = _str(meta.get("id") or meta.get("slug")) or id_from_url(url) or path.stem
    language = _str(meta.get("language") or meta.get("lang") or meta.get("locale"))
    updated = _updated(
        meta.get("updated") or meta.get("last_updated") or meta.get("last-updated") or meta.get("modified")
        or meta.get("date")
    )
    product_area = _str(meta.get("product_area") or meta.get("product-area") or meta.get("productarea"))
    return clean_document(SourceDocument(
        source_id=f"article:{slugify(raw_id)}",
        kind="article",
        title=title,
        sections=sections,
        language=language,
        url=url,
        updated=updated,
        tags=parse_tags(meta.get("tags") if meta.get("tags") is not None else meta.get("keywords")),
        product_area=product_area,
        links=links,
    ))
