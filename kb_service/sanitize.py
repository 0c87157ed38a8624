"""What articles and tickets may carry into the service's outputs.

The service stores and returns plain text: the parsers render HTML and Markdown articles to text
(`ingest/html.py`, `ingest/markdown.py`), and no response holds HTML. Clients still put answers into
web pages and auto-responses into e-mails, so every text must stay inert if somebody inserts it as
HTML, and a link must not reach a customer because a ticket or a hidden part of a page asked for it.

* `strip_markup` renders text that mixes prose and HTML (a Markdown body's inline HTML): comments,
  script-like elements (`<script>`, `<style>`, `<template>`, ...) and hidden elements (`is_hidden`)
  go with everything inside them, other tags go and leave their text. Code spans are kept as written.
* `inert_text` is the guarantee on every text that leaves: a `<` that would open a tag, comment or
  declaration becomes `‹` (U+2039, which no HTML parser reads as markup and NFKC leaves as it is), so
  `<img onerror=...>` reads `‹img onerror=...>`; invisible Unicode tag characters and bidi overrides
  (hidden instructions, "trojan source") are dropped.
* `safe_href` and `safe_article_url`: http, https and mailto links and relative ones, nothing else
  (no `javascript:`, `data:`, `vbscript:`), after removing what browsers ignore in a URL (tabs, line
  breaks, leading control characters: `java&#9;script:` is `javascript:` to a browser).
* `LinkPolicy`: which hosts text written from tickets may link to. A link inside an article is the
  article's own and stays; a link in a ticket (a customer's or an agent's words) reaches a draft or an
  auto-response only when its host is one of the knowledge base's: the host of an article URL (and
  that host's site, `help.fernbook.example` -> `fernbook.example`, unless the site is a shared
  hosting domain such as `zendesk.com`), or a configured host (`KB_LINK_HOSTS`). Any other link is
  replaced by "(link removed)". Links are scheme URLs, `www.` names, pseudo-URLs
  (`javascript:...`), Markdown links and bare host names (`evil.example/login`; without a path only
  with a common top-level domain, so `report.pdf` and `Node.js` are words).
* `clean_document` applies all of it to a parsed article (title, sections, tags, links, URL, language).
"""

from __future__ import annotations

import re
import threading
import time
import weakref
from dataclasses import dataclass
from html import unescape
from typing import TYPE_CHECKING, Any, Iterable
from urllib.parse import urljoin, urlsplit

from ingest.documents import SourceDocument

if TYPE_CHECKING:
    from kb_service.knowledge import KnowledgeBase

DEFANGED_LT = "\u2039"  # ‹
LINK_REMOVED = "(link removed)"

# ------------------------------------------------------------------------------------ inert text
_OPENS_MARKUP = re.compile(r"<(?=[A-Za-z/!?])")
# Unicode tag characters (invisible; they can spell out instructions only a model reads) and the bidi
# embeddings, overrides and isolates that make text display in another order than it is read.
_INVISIBLE = re.compile("[\U000e0000-\U000e007f\u202a-\u202e\u2066-\u2069]")


def inert_text(text: str) -> str:
    """`text` with nothing an HTML parser would read as markup and no invisible instructions."""
    if not text:
        return text
    text = _INVISIBLE.sub("", text)
    return _OPENS_MARKUP.sub(DEFANGED_LT, text) if "<" in text else text


def has_markup(text: str) -> bool:
    """Whether `text` holds anything an HTML parser would read as a tag, comment or declaration."""
    return bool(_OPENS_MARKUP.search(text or ""))


# ------------------------------------------------------------------------------------ hidden content
_HIDDEN_STYLE = re.compile(
    r"(?:^|;)(?:display:none|visibility:(?:hidden|collapse)|opacity:0*\.?0+%?(?:;|$|!)|"
    r"font-size:0*\.?0+(?:px|em|rem|pt|%)?(?:;|$|!)|color:transparent|content-visibility:hidden|"
    r"clip:rect\(0|clip-path:inset\(50%|text-indent:-\d{4,}|(?:left|top):-\d{4,})"
)
_ZERO = r"0*\.?0+(?:px|em|rem|pt|%)?(?:;|$|!)"
_HIDDEN_CLASSES = frozenset({
    "hidden", "d-none", "hide", "invisible", "sr-only", "visually-hidden", "visuallyhidden", "screen-reader-text",
    "is-hidden", "u-hidden", "hidden-text", "offscreen",
})


def is_hidden(attrs: dict[str, Any]) -> bool:
    """Whether an element with these attributes shows nothing on the page: `hidden`,
    `aria-hidden="true"`, a style that hides it (display, visibility, opacity, zero size, off-screen,
    transparent text) or a class that does (`hidden`, `sr-only`, ... unless a responsive variant
    such as `md:block` shows it again)."""
    lowered = {str(k).lower(): v for k, v in attrs.items()}
    if "hidden" in lowered:
        return True
    if str(lowered.get("aria-hidden") or "").strip().lower() == "true":
        return True
    if str(lowered.get("type") or "").strip().lower() == "hidden":
        return True
    style = re.sub(r"\s+", "", unescape(str(lowered.get("style") or ""))).lower()
    if style:
        if _HIDDEN_STYLE.search(style):
            return True
        zero_w = re.search(r"(?:^|;)(?:max-)?width:" + _ZERO, style)
        zero_h = re.search(r"(?:^|;)(?:max-)?height:" + _ZERO, style)
        if (zero_w and zero_h) or ((zero_w or zero_h) and "overflow:hidden" in style):
            return True
    cls = lowered.get("class")
    names = cls if isinstance(cls, (list, tuple)) else str(cls or "").split()
    names = [str(n).lower() for n in names]
    return bool(_HIDDEN_CLASSES.intersection(names)) and not any(":" in n for n in names)


# ------------------------------------------------------------------------------------ markup in text
# Elements whose content is never shown as text (or must not be): dropped whole.
DROP_WITH_CONTENT = frozenset({
    "script", "style", "template", "noscript", "iframe", "object", "embed", "applet", "svg", "math", "textarea",
    "select", "title", "head", "noembed", "noframes", "xmp", "plaintext", "frameset", "frame", "canvas", "audio",
    "video", "dialog", "datalist", "button", "form",
})
VOID_ELEMENTS = frozenset({
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr",
    "keygen", "image",
})
_INLINE_ELEMENTS = frozenset({
    "a", "abbr", "b", "bdi", "bdo", "cite", "code", "data", "del", "dfn", "em", "font", "i", "ins", "kbd", "mark",
    "q", "s", "samp", "small", "span", "strike", "strong", "sub", "sup", "time", "tt", "u", "var", "wbr", "nobr",
})
# possessive and atomic: an unclosed tag with many attributes fails in linear time
_ATTRS = r"""(?:(?>[\s/]+)(?>[^\s=/>"'<]+)(?:\s*=\s*(?>"[^"]*"|'[^']*'|[^\s"'=<>`]+))?)*+"""
_TAG = re.compile(
    r"<(?P<close>/?)(?P<name>[A-Za-z][A-Za-z0-9-]*(?::[A-Za-z][A-Za-z0-9-]*)?)(?P<attrs>" + _ATTRS + r")[\s/]*>", re.S,
)
_ATTR = re.compile(r"""([^\s=/>"'<]+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s"'=<>`]+))?""")
_MARKUP_TOKEN = re.compile(
    r"(?P<code>(?<!`)(?P<ticks>`++)(?:(?!(?P=ticks))(?!\n[ \t]*\n).)+?(?P=ticks)(?!`))"
    r"|(?P<comment><!--.*?(?:-->|\Z))"
    r"|(?P<decl><![^>]*>|<\?[^>]*>)"
    r"|(?P<tag>" + _TAG.pattern + ")",
    re.S,
)


def tag_attributes(raw: str) -> dict[str, str]:
    """The attributes of a tag's attribute text, values unquoted and entity-decoded."""
    out: dict[str, str] = {}
    for m in _ATTR.finditer(raw or ""):
        value = m.group(2) or ""
        if value[:1] in "\"'":
            value = value[1:-1]
        out.setdefault(m.group(1).lower(), unescape(value))
    return out


def strip_markup(text: str, only_html: bool = False) -> str:
    """Text with its HTML rendered away: comments, declarations, script-like and hidden elements
    removed with what they hold (an element left open hides the rest, as in a browser), other tags
    removed leaving their text (block tags leave a space). Code spans (`` `<b>` ``) are kept as
    written: `inert_text` makes them harmless. With `only_html` (plain text such as a ticket) a
    tag-like word that is no HTML element and has no attributes stays (`press <Enter>`)."""
    if "<" not in text:
        return text
    out: list[str] = []
    pos = 0
    hiding: str | None = None  # the name of the element whose content is being dropped
    depth = 0
    for m in _MARKUP_TOKEN.finditer(text):
        if hiding is None:
            out.append(text[pos : m.start()])
        pos = m.end()
        if m.group("code") is not None:
            if hiding is None:
                out.append(m.group(0))
            continue
        if m.group("tag") is None:
            continue  # comments and declarations go
        name, closing = m.group("name").lower(), bool(m.group("close"))
        if only_html and hiding is None and name not in _HTML_ELEMENTS and not m.group("attrs").strip(" \t\n/"):
            out.append(m.group(0))
            continue
        if hiding is not None:
            if name == hiding and name not in VOID_ELEMENTS:
                depth += -1 if closing else 1
                if depth == 0:
                    hiding = None
            continue
        if not closing and name not in VOID_ELEMENTS and (
                name in DROP_WITH_CONTENT or is_hidden(tag_attributes(m.group("attrs")))):
            hiding, depth = name, 1
            continue
        if name not in _INLINE_ELEMENTS:
            out.append(" ")
    if hiding is None:
        out.append(text[pos:])
    return "".join(out)


def markup_tags(text: str) -> set[str]:
    """The markup in `text` that would do something in a page: comments, and tags of HTML elements
    or with attributes (`<Enter>` is a key name, `<img src=x>` is not), as normalised strings."""
    found: set[str] = set()
    for m in _MARKUP_TOKEN.finditer(text or ""):
        if m.group("comment") is not None or m.group("decl") is not None:
            found.add("<!")
        elif m.group("tag") is not None:
            name = m.group("name").lower()
            attrs = tag_attributes(m.group("attrs"))
            if name in _HTML_ELEMENTS or attrs:
                found.add(f"<{'/' if m.group('close') else ''}{name} {' '.join(sorted(attrs))}".strip())
    if re.search(r"(?i)\b(?:javascript|vbscript):", text or ""):
        found.add("javascript:")
    return found


_HTML_ELEMENTS = frozenset("""
a abbr address area article aside audio b base bdi bdo blockquote body br button canvas caption cite code col
colgroup data datalist dd del details dfn dialog div dl dt em embed fieldset figcaption figure font footer form
frame frameset h1 h2 h3 h4 h5 h6 head header hgroup hr html i iframe img image input ins kbd label legend li link
main map mark marquee math menu meta meter nav noembed noframes noscript object ol optgroup option output p param
picture plaintext pre progress q rp rt ruby s samp script search section select slot small source span strike
strong style sub summary sup svg table tbody td template textarea tfoot th thead time title tr track tt u ul var
video wbr xmp applet base basefont bgsound blink center isindex keygen listing nobr
""".split())


# ------------------------------------------------------------------------------------ URLs
_URL_STRIPPED = re.compile(r"[\t\n\r]")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
SAFE_SCHEMES = frozenset({"http", "https", "mailto"})


def _clean_url(url: str) -> str:
    """A URL as a browser reads it: tabs and line breaks anywhere and control characters and spaces
    at the ends ignored, backslashes as slashes, inner spaces percent-encoded."""
    url = _URL_STRIPPED.sub("", url or "").strip("".join(map(chr, range(0x21))) + "\x7f")
    url = "".join(ch for ch in url if ch >= " " and ch != "\x7f")
    return url.replace("\\", "/").replace(" ", "%20")


def safe_href(href: str | None, base: str | None = None) -> str | None:
    """A link target that is safe to show: http(s) with a host, mailto, or relative (resolved against
    `base` when given); None for anything else (`javascript:`, `data:`, `vbscript:`, `file:`, ...)."""
    url = _clean_url(href or "")
    if not url:
        return None
    m = _SCHEME.match(url)
    if m:
        scheme = m.group(1).lower()
        if scheme == "mailto":
            return url
        if scheme not in SAFE_SCHEMES or not _host(url):
            return None
        return url
    if url.startswith("//"):  # protocol-relative: another host
        url = "https:" + url
        return url if _host(url) else None
    if base:
        base_url = safe_article_url(base)
        return urljoin(base_url, url) if base_url else url
    return url


def safe_article_url(url: str | None) -> str | None:
    """An article's own URL: an absolute http or https URL with a host, else None."""
    clean = safe_href(url)
    if not clean or not clean.lower().startswith(("http://", "https://")):
        return None
    return clean


def _host(url: str) -> str | None:
    if url.startswith("//"):
        url = "http:" + url
    elif "://" not in url and _SCHEME.match(url):
        return None  # "javascript:...", "http:foo": no host
    try:
        host = urlsplit(url if "://" in url else "http://" + url).hostname
    except ValueError:
        return None
    return host.rstrip(".").lower() if host else None


def host_of(url: str) -> str | None:
    """The host a URL (or `www.` name, or bare host name) points at, lower case."""
    return _host(_clean_url(url))


def defang_host(host: str) -> str:
    """`evil.example` -> `evil[.]example`: a host named in a note, not a link."""
    return host.replace(".", "[.]")


_SECOND_LEVEL = frozenset({"co", "com", "org", "net", "gov", "ac", "edu", "ne", "or", "go", "gob", "nic", "ltd", "plc",
                           "sch", "mil", "gv", "nom"})
# Domains under which anyone can have a help centre or a site: their hosts count one by one.
SHARED_SITES = frozenset({
    "zendesk.com", "freshdesk.com", "helpscoutdocs.com", "intercom.help", "zohodesk.com", "kayako.com",
    "helpjuice.com", "document360.io", "gitbook.io", "readthedocs.io", "notion.site", "atlassian.net",
    "github.io", "gitlab.io", "netlify.app", "vercel.app", "pages.dev", "herokuapp.com", "web.app",
    "firebaseapp.com", "azurewebsites.net", "cloudfront.net", "amazonaws.com", "blogspot.com", "wordpress.com",
    "wixsite.com", "squarespace.com", "webflow.io", "medium.com", "google.com", "sharepoint.com",
})


def site_of(host: str) -> str:
    """The registrable part of a host, by a rule of thumb (`help.fernbook.example` ->
    `fernbook.example`, `help.fernbook.co.uk` -> `fernbook.co.uk`); an IP address is its own site."""
    host = host.rstrip(".").lower()
    labels = host.split(".")
    if len(labels) <= 2 or re.fullmatch(r"[\d.]+|\[?[0-9a-f:]+\]?", host):
        return host
    if len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


# ------------------------------------------------------------------------------------ links in text
_COMMON_TLDS = frozenset("""
com net org info biz io co app dev ai me us uk de es fr it nl pt br jp eu ch at be se no dk fi pl ru cn in au ca nz
mx ar cl ie cz gr hu ro tr ua za kr tw hk sg il online site xyz shop store cloud tech link click top live help
support page email example test invalid
""".split())
_FILE_EXTENSIONS = frozenset("""
pdf csv txt doc docx xls xlsx ppt pptx json xml html htm js ts css png jpg jpeg gif svg webp ics zip gz tar exe
apk ipa dmg msi log md yaml yml py sh bat ini cfg conf eml msg mp4 mp3 wav avi mov
""".split())
_TRAILING = ".,;:!?'\"”’»)]}*_"
_MD_LINK = re.compile(r"(!?)\[([^\[\]\n]{0,300})\]\(\s*<?([^()\s<>]*(?:\([^()\s]*\)[^()\s<>]*)*)>?(?:\s+[\"'(][^\n]*?[\"')])?\s*\)")
_LINKISH = re.compile(
    r"(?P<url>(?<![\w.+-])[A-Za-z][A-Za-z0-9+.-]*://[^\s<>\"'`]+)"
    r"|(?P<pseudo>(?<![\w.+-])(?:javascript|vbscript|data|file):[^\s<>\"'`]+)"
    r"|(?P<www>(?<![\w.@/-])www\.[^\s<>\"'`]+)"
    r"|(?P<bare>(?<![\w.@/:-])(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+(?P<tld>[a-z]{2,24})"
    r"(?P<path>/[^\s<>\"'`]*)?(?![\w@-]))",
    re.I,
)


@dataclass(frozen=True)
class Link:
    """A link written in plain text: where it is, what it says, the host it points at."""

    start: int
    end: int
    url: str
    host: str | None  # None for a pseudo-URL (javascript:) or one without a host
    safe_scheme: bool


def find_links(text: str) -> list[Link]:
    """The links written in plain text (see the module docstring for what counts), trailing
    punctuation left out."""
    out: list[Link] = []
    for m in _LINKISH.finditer(text or ""):
        raw = m.group(0)
        if m.group("bare") is not None:
            tld = m.group("tld")
            if tld != tld.lower() or tld in _FILE_EXTENSIONS or (m.group("path") is None and tld not in _COMMON_TLDS):
                continue
        while raw and raw[-1] in _TRAILING and not (raw[-1] == ")" and raw.count("(") >= raw.count(")")):
            raw = raw[:-1]
        if not raw:
            continue
        start = m.start()
        if m.group("pseudo") is not None:
            out.append(Link(start, start + len(raw), raw, None, False))
            continue
        scheme = _SCHEME.match(raw)
        safe = scheme is None or scheme.group(1).lower() in {"http", "https"}
        out.append(Link(start, start + len(raw), raw, host_of(raw), safe))
    return out


class LinkPolicy:
    """The hosts text written from tickets may link to (see the module docstring)."""

    def __init__(self, hosts: Iterable[str] = (), sites: Iterable[str] = ()) -> None:
        self.hosts = frozenset(h.strip().rstrip(".").lower() for h in hosts if h and h.strip())
        self.sites = frozenset(s.strip().rstrip(".").lower() for s in sites if s and s.strip())

    @classmethod
    def from_urls(cls, urls: Iterable[str | None], hosts: Iterable[str] = ()) -> "LinkPolicy":
        """The policy of a knowledge base whose articles live at `urls`, plus configured `hosts`."""
        own: set[str] = set()
        sites: set[str] = set()
        for url in urls:
            clean = safe_article_url(url)
            host = _host(clean) if clean else None
            if not host:
                continue
            own.add(host)
            site = site_of(host)
            if site not in SHARED_SITES and site != host:
                sites.add(site)
        return cls([*hosts, *own], sites)

    def with_urls(self, urls: Iterable[str | None]) -> "LinkPolicy":
        more = LinkPolicy.from_urls(urls)
        return LinkPolicy(self.hosts | more.hosts, self.sites | more.sites)

    def allows_host(self, host: str | None) -> bool:
        if not host:
            return False
        host = host.rstrip(".").lower()
        if any(host == h or host.endswith("." + h) for h in self.hosts):
            return True
        return site_of(host) in self.sites

    def allows(self, url: str) -> bool:
        """Whether a link may stay: relative, or http(s) to an allowed host (mailto is an address,
        which redaction handles; it is no site)."""
        clean = _clean_url(url)
        if clean.lower().startswith("mailto:"):
            return True
        m = _SCHEME.match(clean)
        if m is None and not clean.startswith("//") and not find_links(clean):
            return True  # relative: the knowledge base's own
        if m is not None and m.group(1).lower() not in {"http", "https"}:
            return False
        return self.allows_host(host_of(clean))

    def scrub(self, text: str, replacement: str = LINK_REMOVED) -> tuple[str, list[str]]:
        """`text` with every link the policy does not allow replaced (a Markdown link by its label),
        and the hosts that were removed (`javascript:` for a pseudo-URL)."""
        if not text:
            return text, []
        removed: list[str] = []

        def md(m: re.Match[str]) -> str:
            target = unescape(m.group(3))
            if self.allows(target) and safe_href(target) is not None:
                return m.group(0)
            removed.append(host_of(target) or (target.split(":", 1)[0].lower() + ":"))
            return "" if m.group(1) else m.group(2)

        text = _MD_LINK.sub(md, text)
        out: list[str] = []
        pos = 0
        for link in find_links(text):
            if link.safe_scheme and self.allows_host(link.host):
                continue
            out.append(text[pos : link.start])
            out.append(replacement)
            pos = link.end
            removed.append(link.host or (link.url.split(":", 1)[0].lower() + ":"))
        out.append(text[pos:])
        return "".join(out), list(dict.fromkeys(removed))


_POLICIES: "weakref.WeakKeyDictionary[Any, tuple[int, float, LinkPolicy]]" = weakref.WeakKeyDictionary()
_POLICIES_LOCK = threading.Lock()
POLICY_TTL_SECONDS = 60.0


def configured_hosts(settings: Any) -> list[str]:
    """`KB_LINK_HOSTS` (comma-separated host names), when the settings have it."""
    raw = getattr(settings, "link_hosts", None) or ""
    items = raw if isinstance(raw, (list, tuple, set, frozenset)) else str(raw).split(",")
    return [str(h).strip() for h in items if str(h).strip()]


def kb_link_policy(kb: "KnowledgeBase") -> LinkPolicy:
    """The knowledge base's link policy: its articles' URLs and the configured hosts. Read from the
    source store again when the number of articles changed or after `POLICY_TTL_SECONDS`."""
    store = kb.store
    count = store.count("article")
    now = time.monotonic()
    with _POLICIES_LOCK:
        cached = _POLICIES.get(store)
        if cached is not None and cached[0] == count and now - cached[1] < POLICY_TTL_SECONDS:
            return cached[2]
    policy = LinkPolicy.from_urls((s.doc.url for s in store.iter_all("article")), configured_hosts(kb.settings))
    with _POLICIES_LOCK:
        _POLICIES[store] = (count, now, policy)
    return policy


# ------------------------------------------------------------------------------------ documents
_LANGUAGE_TAG = re.compile(r"^[A-Za-z]{1,8}(?:[-_][A-Za-z0-9]{1,8})*$")


def clean_document(doc: SourceDocument) -> SourceDocument:
    """A parsed article (or ticket) made inert in place: every text through `inert_text`, links with
    a safe target only (`safe_href`), the URL an absolute http(s) one or none, the language a
    well-formed language tag or none."""
    doc.title = inert_text(doc.title)
    for s in doc.sections:
        s.heading = inert_text(s.heading)
        s.text = inert_text(s.text)
    doc.tags = [t for t in (inert_text(t) for t in doc.tags) if t]
    doc.product_area = inert_text(doc.product_area) if doc.product_area else doc.product_area
    doc.updated = inert_text(doc.updated) if doc.updated else doc.updated
    doc.language = doc.language if doc.language and _LANGUAGE_TAG.match(doc.language) else None
    doc.url = safe_article_url(doc.url) if doc.url else None
    links: list[dict[str, str]] = []
    for link in doc.links:
        url = safe_href(link.get("url"))
        if url is None:
            continue
        item = {"text": inert_text(link.get("text") or url), "url": url}
        if item not in links:
            links.append(item)
    doc.links = links
    if doc.resolution:
        doc.resolution = inert_text(doc.resolution)
    return doc


__all__ = [
    "DEFANGED_LT", "LINK_REMOVED", "Link", "LinkPolicy", "clean_document", "configured_hosts", "defang_host",
    "find_links", "has_markup", "host_of", "inert_text", "is_hidden", "kb_link_policy", "markup_tags",
    "safe_article_url", "safe_href", "site_of", "strip_markup", "tag_attributes",
]
