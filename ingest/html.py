"""Help-centre HTML pages → `SourceDocument` (kind "article").

Exported help pages carry a lot of chrome (navigation, cookie banners, "Was this
article helpful?" widgets, related-article lists). Left in, that text would be
indexed once per page and drown the real answers, so it is removed before the
article is rendered to plain text with its structure (headings, numbered steps,
tables) intact.

What a reader of the page does not see is not article text either: scripts, styles, templates,
comments, and elements hidden by the `hidden` attribute, `aria-hidden`, an inline style or a hiding
class (`kb_service.sanitize.is_hidden`) are removed with everything inside them, so that an
instruction planted where only a machine reads it ("ignore previous instructions ...") is never
indexed, answered or sent to a model. What is left is made inert (`sanitize.clean_document`):
text that looked like markup (`&lt;script&gt;`) cannot become markup again, and only http, https,
mailto and relative links are kept.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import date
from pathlib import Path
from urllib.parse import urlparse

from bs4 import BeautifulSoup, CData, Comment, Declaration, Doctype, NavigableString, ProcessingInstruction, Tag

from ingest.documents import ParseError, Section, SourceDocument, read_source_bytes
from kb_service.sanitize import DROP_WITH_CONTENT, clean_document, inert_text, is_hidden, safe_article_url, safe_href

_NOT_TEXT = (Comment, CData, Doctype, Declaration, ProcessingInstruction)

# ---------------------------------------------------------------- shared helpers


def slugify(value: str) -> str:
    """Lowercase ASCII slug of [a-z0-9-]; a short hash when nothing ASCII is left (e.g. Japanese)."""
    norm = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", norm.lower()).strip("-")
    if slug:
        return slug
    value = value.strip()
    return hashlib.sha1(value.encode("utf-8")).hexdigest()[:12] if value else ""


def id_from_url(url: str | None) -> str | None:
    """Last non-empty path segment of a URL, without a file extension like .html."""
    if not url:
        return None
    segments = [s for s in urlparse(url).path.split("/") if s]
    if not segments:
        return None
    last = re.sub(r"\.(?:html?|php|aspx?|md)$", "", segments[-1], flags=re.IGNORECASE)
    return last or None


_MONTHS: dict[str, int] = {}
for _num, _names in enumerate(
    [
        "january jan januar janv janvier enero ene janeiro",
        "february feb februar febr février fevrier févr fevr febrero fevereiro fev",
        "march mar märz maerz marz mars marzo março marco",
        "april apr avril avr abril abr",
        "may mai mayo maio",
        "june jun juni juin junio junho",
        "july jul juli juillet juil julio julho",
        "august aug août aout agosto ago",
        "september sep sept septembre septiembre setiembre setembro set",
        "october oct oktober okt octobre octubre outubro out",
        "november nov novembre noviembre novembro",
        "december dec dezember dez décembre decembre déc diciembre dic dezembro",
    ],
    start=1,
):
    for _n in _names.split():
        _MONTHS.setdefault(_n, _num)

_MONTH_WORD = r"([A-Za-zÀ-ÿ]{3,10})\.?"
_RE_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(Z|[+-]\d{2}:?\d{2})?)?")
_RE_YMD = re.compile(r"(\d{4})[/.](\d{1,2})[/.](\d{1,2})")
_RE_JA = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_RE_NUMERIC = re.compile(r"(\d{1,2})[./-](\d{1,2})[./-](\d{4})")
_RE_MDY = re.compile(_MONTH_WORD + r"\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})")
_RE_DMY = re.compile(r"(\d{1,2})(?:\.|º|er|st|nd|rd|th)?\s*(?:de\s+)?" + _MONTH_WORD + r"\s*(?:de\s+|,\s*)?(\d{4})")


def _ymd(y: int, m: int, d: int) -> str | None:
    try:
        return date(y, m, d).isoformat()
    except ValueError:
        return None


def normalise_date(value: str | None, language: str | None = None) -> str | None:
    """Best effort ISO date (YYYY-MM-DD) from ISO, numeric and en/de/es/fr/pt/ja written dates."""
    if not value:
        return None
    s = " ".join(str(value).split())
    m = _RE_ISO.search(s)
    if m:
        return _ymd(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    m = _RE_JA.search(s) or _RE_YMD.search(s)
    if m:
        return _ymd(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    m = _RE_MDY.search(s)
    if m and m.group(1).lower() in _MONTHS:
        return _ymd(int(m.group(3)), _MONTHS[m.group(1).lower()], int(m.group(2)))
    m = _RE_DMY.search(s)
    if m and m.group(2).lower() in _MONTHS:
        return _ymd(int(m.group(3)), _MONTHS[m.group(2).lower()], int(m.group(1)))
    m = _RE_NUMERIC.search(s)
    if m:
        a, b, y = int(m.group(1)), int(m.group(2)), int(m.group(3))
        us = (language or "").lower() in {"en-us", "en_us"} or "/" in m.group(0) and (language or "").lower() == "en"
        if a > 12 or (b <= 12 and not us):
            return _ymd(y, b, a)
        return _ymd(y, a, b)
    return None


def normalise_ws(text: str) -> str:
    """Collapse runs of whitespace (incl. non-breaking spaces) to one space."""
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ")).strip()


# ---------------------------------------------------------------- boilerplate rules

_REMOVE_TAGS = [
    "script", "style", "noscript", "template", "iframe", "form", "svg", "nav", "header",
    "footer", "aside", "button", "canvas", "object", "embed", "dialog", "link", "meta",
    "input", "select", "textarea", "title", "applet", "frame", "frameset", "noembed", "noframes", "xmp", "math",
    "audio", "video", "datalist", "plaintext",
]
_BOILERPLATE_TOKENS = {
    "breadcrumb", "breadcrumbs", "crumbs", "nav", "navbar", "navigation", "menu", "menubar", "sidebar",
    "cookie", "cookies", "consent", "gdpr", "banner", "footer", "header", "masthead", "skip", "skiplink",
    "share", "sharing", "social", "feedback", "helpful", "rating", "ratings", "vote", "votes", "related",
    "recommended", "toc", "pagination", "pager", "newsletter", "subscribe", "promo", "advert", "ads",
    "comments", "disqus", "chat", "chatbot", "popup", "modal", "toolbar", "topbar", "onetrust",
}
_BOILERPLATE_ROLES = {
    "navigation", "banner", "contentinfo", "complementary", "search", "menu", "menubar", "dialog",
    "alertdialog", "toolbar",
}
# Inline elements (a span in a sentence) are only removed for unambiguous tokens:
# `<span class="menu-path">Settings › Billing</span>` is content.
_INLINE_TAGS = {"a", "span", "strong", "em", "b", "i", "code", "kbd", "small", "mark", "abbr", "u", "samp", "var"}
_INLINE_SAFE_TOKENS = {
    "menu", "menubar", "toolbar", "header", "footer", "banner", "toc", "chat", "comments", "modal", "popup",
    "nav", "navigation", "related", "rating", "vote", "votes", "ads", "promo",
}
_RE_CLASS_TOKEN = re.compile(r"[-_\s:]+")
_RE_WIDGET_TEXT = re.compile(
    r"^\s*(?:was this (?:article|page|answer) helpful|did this (?:article|page) help|"
    r"war dieser artikel hilfreich|war diese seite hilfreich|¿(?:te|le) (?:ha )?(?:resultado|sido|fue) útil|"
    r"¿este artículo (?:te |le )?(?:ha )?(?:resultado |sido )?útil|cet article (?:vous )?a-t-il été utile|"
    r"cette page vous a-t-elle été utile|este artigo (?:foi )?(?:útil|ajudou)|"
    r"この記事は役に立ちましたか|we use cookies|this (?:web)?site uses cookies|wir verwenden cookies|"
    r"diese website verwendet cookies|utilizamos cookies|usamos cookies|nous utilisons des cookies|"
    r"ce site utilise des cookies|related articles|verwandte artikel|artículos relacionados|"
    r"articles (?:associés|connexes)|artigos relacionados|関連記事|skip to (?:main )?content|"
    r"zum inhalt springen|saltar al contenido|aller au contenu)",
    re.IGNORECASE,
)
_RE_UPDATED_TEXT = re.compile(
    r"(?<!\w)(?:last\s+updated|last\s+modified|updated\s+on|updated(?=\s*:)|zuletzt\s+aktualisiert|"
    r"zuletzt\s+geändert|aktualisiert\s+am|stand(?=\s*:)|última\s+actualización|actualizado\s+el|"
    r"mis\s+à\s+jour|dernière\s+mise\s+à\s+jour|última\s+atualização|atualizado\s+em|最終更新日?|更新日)"
    r"\s*[:：]?\s*(?:le|el|am|on|em)?\s*(?P<date>[^\n|]{6,40})",
    re.IGNORECASE,
)


def _is_updated_line(s: str) -> bool:
    """A short "Last updated: 3 March 2026" line: metadata, not article text."""
    text = normalise_ws(s)
    m = _RE_UPDATED_TEXT.search(text)
    return bool(m and m.start() <= 15 and len(text) <= 90 and normalise_date(m.group("date")))
_RE_CONTENT_CLASS = re.compile(
    r"(?:^|[-_\s])(?:article[-_]?(?:body|content|text)|post[-_]?(?:body|content)|entry[-_]?content|"
    r"main[-_]?content|page[-_]?content|content[-_]?body|markdown[-_]?body|kb[-_]?article)(?:$|[-_\s])",
    re.IGNORECASE,
)
_BLOCK_TAGS = {
    "p", "div", "section", "article", "main", "blockquote", "ul", "ol", "li", "table", "pre", "dl",
    "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6", "figure", "figcaption", "details", "summary",
    "address", "hr", "body", "html", "center", "fieldset", "tr", "td", "th", "thead", "tbody", "tfoot",
    "caption",
}


def _tokens(tag: Tag) -> set[str]:
    values: list[str] = []
    cls = tag.get("class")
    if isinstance(cls, list):
        values.extend(cls)
    elif isinstance(cls, str):
        values.append(cls)
    ident = tag.get("id")
    if isinstance(ident, str):
        values.append(ident)
    out: set[str] = set()
    for v in values:
        out.update(t for t in _RE_CLASS_TOKEN.split(v.lower()) if t)
    return out


def _is_boilerplate(tag: Tag) -> bool:
    role = str(tag.get("role") or "").strip().lower()
    if role in _BOILERPLATE_ROLES:
        return True
    if is_hidden(tag.attrs):
        return True
    hits = _tokens(tag) & _BOILERPLATE_TOKENS
    if tag.name in _INLINE_TAGS:
        hits -= _INLINE_SAFE_TOKENS
    return bool(hits)


# ---------------------------------------------------------------- decoding

_RE_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


def decode_html(data: bytes) -> str:
    """Decode with the BOM or declared charset first, then UTF-8, then UTF-8 with replacement."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    m = _RE_META_CHARSET.search(data[:4096])
    if m:
        charset = m.group(1).decode("ascii", "ignore")
        try:
            return data.decode(charset)
        except (LookupError, UnicodeDecodeError):
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("utf-8", errors="replace")


# ---------------------------------------------------------------- rendering


class _Renderer:
    """Turns the cleaned content tree into (heading level, text) and paragraph blocks."""

    def __init__(self) -> None:
        self.events: list[tuple[str, int, str]] = []  # ("h", level, text) | ("p", 0, text)
        self._inline: list[str] = []

    # inline text -----------------------------------------------------------
    def _flush(self) -> None:
        if not self._inline:
            return
        text = _join_inline(self._inline)
        self._inline = []
        if text:
            self.events.append(("p", 0, text))

    def render(self, node: Tag) -> list[tuple[str, int, str]]:
        self._walk(node)
        self._flush()
        return self.events

    def _walk(self, node: Tag) -> None:
        for child in node.children:
            if isinstance(child, _NOT_TEXT):
                continue
            if isinstance(child, NavigableString):
                self._inline.append(str(child))
                continue
            if not isinstance(child, Tag):
                continue
            name = child.name.lower() if child.name else ""
            if name == "br":
                self._inline.append(_BR)
            elif name in {"h1", "h2", "h3", "h4", "h5", "h6"}:
                self._flush()
                text = inline_text(child)
                if text:
                    self.events.append(("h", int(name[1]), text))
            elif name in {"ul", "ol"}:
                self._flush()
                lines = render_list(child, 0)
                if lines:
                    self.events.append(("p", 0, "\n".join(lines)))
            elif name == "table":
                self._flush()
                rows = render_table(child)
                if rows:
                    self.events.append(("p", 0, "\n".join(rows)))
            elif name == "pre":
                self._flush()
                text = child.get_text().strip("\n").rstrip()
                if text.strip():
                    self.events.append(("p", 0, text))
            elif name == "dl":
                self._flush()
                lines = render_dl(child)
                if lines:
                    self.events.append(("p", 0, "\n".join(lines)))
            elif name == "img":
                continue
            elif name == "hr":
                self._flush()
            elif name in _BLOCK_TAGS:
                self._flush()
                self._walk(child)
                self._flush()
            else:
                self._walk(child)


_BR = "\ue000"  # a <br>: source newlines are just whitespace, only <br> breaks a line


def _join_inline(parts: list[str]) -> str:
    raw = "".join(parts)
    lines = [normalise_ws(line) for line in raw.split(_BR)]
    return "\n".join(line for line in lines if line)


def inline_text(node: Tag) -> str:
    """Text of an element with whitespace normalised; <br> become line breaks."""
    parts: list[str] = []
    for el in node.descendants:
        if isinstance(el, _NOT_TEXT):
            continue
        if isinstance(el, NavigableString):
            parts.append(str(el))
        elif isinstance(el, Tag) and el.name == "br":
            parts.append(_BR)
        elif isinstance(el, Tag) and el.name in _BLOCK_TAGS:
            parts.append(_BR)
    return _join_inline(parts)


def render_list(node: Tag, depth: int) -> list[str]:
    """`1. step` lines for <ol> (honouring start/value/reversed), `- item` for <ul>; nested lists indented."""
    ordered = node.name == "ol"
    number = 1
    if ordered:
        try:
            number = int(str(node.get("start", "1")).strip())
        except ValueError:
            number = 1
    step = -1 if ordered and node.has_attr("reversed") else 1
    indent = "   " * depth
    lines: list[str] = []
    for li in node.find_all("li", recursive=False):
        if ordered and li.get("value"):
            try:
                number = int(str(li.get("value")).strip())
            except ValueError:
                pass
        own: list[str] = []
        nested: list[str] = []
        _list_item_parts(li, own, nested, depth, indent)
        text = normalise_ws("".join(own))
        marker = f"{number}." if ordered else "-"
        if text:
            lines.append(f"{indent}{marker} {text}")
        elif nested:
            lines.append(f"{indent}{marker}")
        lines.extend(nested)
        if ordered:
            number += step
    # Bare content in lists without <li> (broken markup) is kept as text.
    if not lines:
        text = inline_text(node)
        if text:
            lines.append(indent + text)
    return [ln for ln in lines if ln.strip()]


def _list_item_parts(node: Tag, own: list[str], nested: list[str], depth: int, indent: str) -> None:
    """Split an <li> into its own inline text and the nested lists/tables/code under it."""
    for child in node.children:
        if isinstance(child, _NOT_TEXT):
            continue
        if isinstance(child, NavigableString):
            own.append(str(child))
        elif not isinstance(child, Tag):
            continue
        elif child.name in {"ul", "ol"}:
            nested.extend(render_list(child, depth + 1))
        elif child.name == "table":
            nested.extend(indent + "   " + r for r in render_table(child))
        elif child.name == "pre":
            nested.extend(indent + "   " + ln for ln in child.get_text().strip("\n").splitlines())
        elif child.name == "img":
            continue
        else:
            if child.name in _BLOCK_TAGS or child.name == "br":
                own.append(" ")
            _list_item_parts(child, own, nested, depth, indent)
            if child.name in _BLOCK_TAGS:
                own.append(" ")


def render_table(node: Tag) -> list[str]:
    """One `cell | cell` line per row; nested tables are flattened into their cell."""
    rows: list[str] = []
    for tr in node.find_all("tr"):
        if tr.find_parent("table") is not node:
            continue
        cells = [normalise_ws(inline_text(c).replace("\n", " ")) for c in tr.find_all(["th", "td"], recursive=False)]
        if any(cells):
            rows.append(" | ".join(cells))
    caption = node.find("caption")
    if caption and rows:
        cap = normalise_ws(caption.get_text(" "))
        if cap:
            rows.insert(0, cap)
    return rows


def render_dl(node: Tag) -> list[str]:
    lines: list[str] = []
    for child in node.find_all(["dt", "dd"]):
        text = normalise_ws(inline_text(child).replace("\n", " "))
        if not text:
            continue
        if child.name == "dt":
            lines.append(text)
        elif lines:
            lines[-1] = f"{lines[-1]}: {text}" if not lines[-1].endswith(":") else f"{lines[-1]} {text}"
        else:
            lines.append(text)
    return lines


# ---------------------------------------------------------------- metadata


def _meta(soup: BeautifulSoup, *names: str) -> str | None:
    wanted = {n.lower() for n in names}
    for m in soup.find_all("meta"):
        key = str(m.get("name") or m.get("property") or m.get("itemprop") or m.get("http-equiv") or "").strip().lower()
        if key in wanted:
            content = m.get("content")
            if isinstance(content, str) and content.strip():
                return content.strip()
    return None


def _canonical(soup: BeautifulSoup) -> str | None:
    for link in soup.find_all("link"):
        rel = link.get("rel")
        rels = [r.lower() for r in rel] if isinstance(rel, list) else str(rel or "").lower().split()
        href = link.get("href")
        if "canonical" in rels and isinstance(href, str) and href.strip():
            return href.strip()
    return _meta(soup, "og:url")


def _language(soup: BeautifulSoup) -> str | None:
    html = soup.find("html")
    if isinstance(html, Tag):
        lang = html.get("lang") or html.get("xml:lang")
        if isinstance(lang, str) and lang.strip():
            return lang.strip()
    lang = _meta(soup, "content-language", "language", "dc.language", "dcterms.language")
    if lang:
        return lang.split(",")[0].strip()
    locale = _meta(soup, "og:locale")
    if locale:
        return locale.replace("_", "-")
    return None


_RE_TITLE_SUFFIX = re.compile(
    r"\s+[-–—]\s+[^-–—]*(?:help|support|hilfe|ayuda|aide|ajuda|center|centre|docs|documentation|"
    r"knowledge|kb|faq|community|ヘルプ|サポート)[^-–—]*$",
    re.IGNORECASE,
)


def clean_title(raw: str) -> str:
    """`Reset your password | Fernbook Help` → `Reset your password`."""
    title = normalise_ws(raw)
    for sep in (" | ", " · ", " :: ", " — ", " – "):
        if sep in title:
            head = title.split(sep)[0].strip()
            if head:
                title = head
    title = _RE_TITLE_SUFFIX.sub("", title).strip()
    return title


def _find_root(soup: BeautifulSoup) -> Tag:
    main = soup.find("main")
    if isinstance(main, Tag):
        return main
    main = soup.find(attrs={"role": "main"})
    if isinstance(main, Tag):
        return main
    article = soup.find("article")
    if isinstance(article, Tag):
        return article
    for tag in soup.find_all(True):
        cls = tag.get("class")
        values = " ".join(cls) if isinstance(cls, list) else str(cls or "")
        values += " " + str(tag.get("id") or "")
        if _RE_CONTENT_CLASS.search(values):
            return tag
    body = soup.find("body")
    if isinstance(body, Tag):
        return body
    return soup


def _updated(soup: BeautifulSoup, root: Tag, language: str | None) -> str | None:
    raw = _meta(
        soup, "last-updated", "last_updated", "article:modified_time", "dcterms.modified", "dc.date.modified",
        "og:updated_time", "datemodified", "modified", "revised",
    )
    if raw:
        return normalise_date(raw, language) or raw
    times = root.find_all("time")
    preferred = [
        t for t in times
        if str(t.get("itemprop") or "").lower() == "datemodified" or _tokens(t) & {"updated", "modified"}
        or (isinstance(t.parent, Tag) and _tokens(t.parent) & {"updated", "modified"})
    ]
    for t in preferred + [t for t in times if t not in preferred]:
        value = t.get("datetime")
        iso = normalise_date(value if isinstance(value, str) else t.get_text(" "), language)
        if iso:
            return iso
    text = soup.get_text("\n")
    for m in _RE_UPDATED_TEXT.finditer(text):
        iso = normalise_date(m.group("date"), language)
        if iso:
            return iso
    raw = _meta(soup, "article:published_time", "dcterms.created", "date")
    return normalise_date(raw, language) if raw else None


def _contains(ancestor: Tag, node: Tag) -> bool:
    return node is ancestor or any(p is ancestor for p in node.parents)


def _strip_boilerplate(soup: BeautifulSoup, root: Tag) -> None:
    """Remove chrome everywhere, but never the content root or one of its ancestors."""
    for tag in list(soup.find_all(_REMOVE_TAGS)):
        if tag.decomposed or _contains(tag, root):
            continue
        # An article's own <header> (inside the content) holds its h1 and date: keep it.
        if tag.name == "header" and root is not soup.find("body") and _contains(root, tag) and tag.find("h1"):
            continue
        tag.decompose()
    for tag in list(soup.find_all(True)):
        if tag.decomposed or _contains(tag, root):
            continue
        if not _is_boilerplate(tag):
            continue
        if _tokens(tag) & {"header"} and _contains(root, tag) and tag.find("h1") and not _is_role_boilerplate(tag):
            continue
        tag.decompose()
    for s in list(root.find_all(string=_RE_WIDGET_TEXT)):
        if not isinstance(s, NavigableString) or s.parent is None or s.parent.decomposed:
            continue
        block = _enclosing_block(s, root)
        if block is None:
            continue
        if block.name in {"h1", "h2", "h3", "h4", "h5", "h6"}:
            # "Related articles" heading: its list goes with it, up to the next heading.
            level = int(block.name[1])
            for sib in list(block.find_next_siblings()):
                if sib.name in {f"h{i}" for i in range(1, level + 1)}:
                    break
                sib.decompose()
        block.decompose()
    for tag in list(root.find_all(["p", "div", "span", "small", "time", "section", "em", "dd", "li"])):
        if tag.decomposed:
            continue
        text = tag.get_text(" ")
        if len(text) <= 300 and _RE_UPDATED_TEXT.search(normalise_ws(text)) and _is_updated_line(text):
            tag.decompose()


def _is_role_boilerplate(tag: Tag) -> bool:
    return str(tag.get("role") or "").strip().lower() in _BOILERPLATE_ROLES


def _enclosing_block(s: NavigableString, root: Tag, max_chars: int = 400) -> Tag | None:
    """The widest ancestor block (below the root) that is still short, i.e. only the widget."""
    best: Tag | None = None
    node = s.parent
    while isinstance(node, Tag) and node is not root:
        if len(normalise_ws(node.get_text(" "))) > max_chars:
            break
        if node.name in _BLOCK_TAGS or node.name in {"span", "a", "strong", "em", "small"}:
            best = node
        node = node.parent
    return best


def _collect_links(root: Tag, base: str | None) -> list[dict[str, str]]:
    links: list[dict[str, str]] = []
    seen: set[tuple[str, str]] = set()
    for a in root.find_all("a"):
        href = a.get("href")
        if not isinstance(href, str):
            continue
        href = href.strip()
        if not href or href.startswith("#"):
            continue
        url = safe_href(href, base)  # http, https, mailto or relative: never javascript:, data:, ...
        if url is None:
            continue
        text = normalise_ws(a.get_text(" ")) or normalise_ws(str(a.get("title") or "")) or url
        key = (text, url)
        if key not in seen:
            seen.add(key)
            links.append({"text": text, "url": url})
    return links


def _sections(events: list[tuple[str, int, str]]) -> tuple[str | None, list[Section]]:
    """Group rendered blocks under h2/h3 headings; the first h1 is the title, not a section."""
    title: str | None = None
    sections: list[Section] = []
    heading = ""
    blocks: list[str] = []

    def close() -> None:
        text = "\n\n".join(b for b in blocks if b.strip()).strip()
        if text:
            sections.append(Section(heading, text))

    for kind, level, text in events:
        if kind == "h" and level == 1 and title is None:
            title = text
            continue
        if kind == "h" and level <= 3:
            close()
            heading, blocks = text.replace("\n", " "), []
        elif kind == "h":
            blocks.append(text.replace("\n", " "))
        else:
            blocks.append(text)
    close()
    return title, sections


# Deeper nesting is no article or comment (rendering recurses: it stops near 1000 anyway), and the
# boilerplate pass is quadratic in it: a 600 KB page of nested <div>s held an upload for an hour.
MAX_DEPTH = 256


def _depth(soup: BeautifulSoup) -> int:
    """How deep the page's elements nest (iteratively: the page may be deeper than the stack)."""
    deepest, stack = 0, [(soup, 0)]
    while stack:
        node, d = stack.pop()
        deepest = max(deepest, d)
        stack.extend((child, d + 1) for child in node.contents if isinstance(child, Tag))
    return deepest


def fragment_text(markup: str) -> str:
    """The text a reader sees in an HTML fragment (a ticket comment's `html_body`, an e-mail): no
    script-like element, comment or hidden element, blocks and list items as lines; inert."""
    soup = BeautifulSoup(markup, "html.parser")
    depth = _depth(soup)
    if depth > MAX_DEPTH:
        raise ParseError(f"HTML nested {depth} deep; at most {MAX_DEPTH}")
    for tag in list(soup.find_all(True)):
        if tag.decomposed:
            continue
        name = (tag.name or "").lower()
        if name in DROP_WITH_CONTENT or name in {"meta", "link", "input"} or is_hidden(tag.attrs):
            tag.decompose()
    events = _Renderer().render(soup)
    return inert_text("\n\n".join(text for _kind, _level, text in events))


def parse_html(path: Path, text: str | None = None) -> SourceDocument:
    """Parse one help-centre page; raises ParseError when no article text is left."""
    path = Path(path)
    if text is None:
        data = read_source_bytes(path)
        text = decode_html(data)
    soup = BeautifulSoup(text, "html.parser")
    depth = _depth(soup)
    if depth > MAX_DEPTH:
        raise ParseError(f"{path}: elements nested {depth} deep; a help-centre page nests at most {MAX_DEPTH}")

    language = _language(soup)
    canonical = safe_article_url(_canonical(soup))
    title_tag = soup.find("title")
    page_title = clean_title(title_tag.get_text(" ")) if isinstance(title_tag, Tag) else ""
    keywords = _meta(soup, "keywords", "article:tag")
    tags: list[str] = []
    for t in (keywords or "").split(","):
        t = normalise_ws(t)
        if t and t not in tags:
            tags.append(t)
    product_area = _meta(soup, "product-area", "product_area", "productarea")
    article_id = _meta(soup, "article-id", "article_id", "articleid")

    root = _find_root(soup)
    updated = _updated(soup, root, language)
    _strip_boilerplate(soup, root)
    links = _collect_links(root, canonical)
    h1_title, sections = _sections(_Renderer().render(root))

    if not sections:
        raise ParseError(
            f"{path}: no article text found (nothing left after removing navigation, scripts and other "
            "page chrome)"
        )
    title = h1_title or page_title or path.stem
    raw_id = article_id or id_from_url(canonical) or path.stem
    slug = slugify(raw_id)
    return clean_document(SourceDocument(
        source_id=f"article:{slug}",
        kind="article",
        title=title,
        sections=sections,
        language=language,
        url=canonical,
        updated=updated,
        tags=tags,
        product_area=product_area,
        links=links,
    ))
