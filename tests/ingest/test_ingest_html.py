"""HTML help pages: chrome removed, structure and metadata kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.documents import ParseError
from ingest.html import clean_title, normalise_date, parse_html, slugify

PAGE = """<!DOCTYPE html>
<html lang="de-DE">
<head>
  <meta charset="utf-8">
  <title>Passwort zurücksetzen | Fernbook Hilfe</title>
  <link rel="canonical" href="https://help.fernbook.example/de/articles/passwort-zuruecksetzen">
  <meta name="keywords" content="passwort, anmeldung , sicherheit">
  <meta name="product-area" content="account">
  <style>.nav { color: red } STYLECODE</style>
  <script>var trackingSecret = "SCRIPTCODE"; gtag('config');</script>
  <noscript>NOSCRIPTTEXT</noscript>
</head>
<body class="has-sidebar">
  <a class="skip-link" href="#content">Zum Inhalt springen SKIPLINK</a>
  <div id="cookie-banner"><p>Wir verwenden Cookies COOKIETEXT.</p><button>OK</button></div>
  <header class="site-header"><a href="/">Fernbook HEADERTEXT</a>
    <nav><ul><li><a href="/de/sections/1">Erste Schritte NAVTEXT</a></li></ul></nav>
  </header>
  <div class="breadcrumbs"><a href="/de">Hilfe</a> › <span>Konto BREADCRUMBTEXT</span></div>
  <div role="navigation"><a href="/x">ROLENAVTEXT</a></div>
  <main id="content">
    <article>
      <h1>Passwort zurücksetzen</h1>
      <p class="meta">Zuletzt aktualisiert: 3. März 2026</p>
      <p>So setzen   Sie Ihr Passwort
         zurück. Mehr dazu unter <a href="/de/articles/anmelden">Anmelden</a>.</p>
      <h2>Schritte</h2>
      <ol>
        <li>Öffnen Sie die <strong>Anmeldeseite</strong>.</li>
        <li>Klicken Sie auf <em>Passwort vergessen</em>.</li>
        <li>Folgen Sie dem Link in der E-Mail.</li>
      </ol>
      <h3>Hinweise</h3>
      <ul><li>Der Link gilt 60 Minuten.</li><li>Prüfen Sie den Spam-Ordner.</li></ul>
      <h2>Limits</h2>
      <table><tr><th>Tarif</th><th>Versuche</th></tr><tr><td>Starter</td><td>3</td></tr></table>
      <div class="article-feedback">War dieser Artikel hilfreich? FEEDBACKTEXT <button>Ja</button></div>
      <section class="related-articles"><h3>Verwandte Artikel</h3>
        <ul><li><a href="/de/articles/x">RELATEDTEXT</a></li></ul></section>
      <form><input name="q"><label>FORMTEXT</label></form>
    </article>
    <aside class="sidebar">ASIDETEXT</aside>
  </main>
  <footer><p>© 2026 Fernbook FOOTERTEXT</p></footer>
  <script>document.write("TRAILINGSCRIPT")</script>
</body>
</html>
"""


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


@pytest.fixture()
def doc(tmp_path: Path):
    return parse_html(write(tmp_path, "page.html", PAGE))


def test_boilerplate_is_removed(doc) -> None:
    everything = doc.title + "\n" + doc.body + repr(doc.links)
    for marker in (
        "STYLECODE", "SCRIPTCODE", "trackingSecret", "NOSCRIPTTEXT", "SKIPLINK", "COOKIETEXT", "HEADERTEXT",
        "NAVTEXT", "BREADCRUMBTEXT", "ROLENAVTEXT", "FEEDBACKTEXT", "hilfreich", "RELATEDTEXT", "FORMTEXT",
        "ASIDETEXT", "FOOTERTEXT", "TRAILINGSCRIPT", "Zuletzt aktualisiert",
    ):
        assert marker not in everything, marker


def test_structure_and_metadata_are_kept(doc) -> None:
    assert doc.kind == "article"
    assert doc.title == "Passwort zurücksetzen"
    assert doc.source_id == "article:passwort-zuruecksetzen"
    assert doc.language == "de-DE"
    assert doc.url == "https://help.fernbook.example/de/articles/passwort-zuruecksetzen"
    assert doc.updated == "2026-03-03"
    assert doc.tags == ["passwort", "anmeldung", "sicherheit"]
    assert doc.product_area == "account"
    headings = [s.heading for s in doc.sections]
    assert headings == ["", "Schritte", "Hinweise", "Limits"]
    assert "Passwort zurücksetzen" not in headings  # the h1 is the title, not a section
    assert doc.sections[0].text == "So setzen Sie Ihr Passwort zurück. Mehr dazu unter Anmelden."
    assert doc.sections[1].text == (
        "1. Öffnen Sie die Anmeldeseite.\n2. Klicken Sie auf Passwort vergessen.\n3. Folgen Sie dem Link in der E-Mail."
    )
    assert doc.sections[2].text == "- Der Link gilt 60 Minuten.\n- Prüfen Sie den Spam-Ordner."
    assert doc.sections[3].text == "Tarif | Versuche\nStarter | 3"
    assert doc.links == [{"text": "Anmelden", "url": "https://help.fernbook.example/de/articles/anmelden"}]
    assert all(s.text.strip() for s in doc.sections)


def test_ordered_list_numbering_honours_start_and_value(tmp_path: Path) -> None:
    html = """<html><body><main><h1>T</h1><h2>Steps</h2>
    <ol start="4"><li>four</li><li>five<ol><li>sub one</li></ol></li><li value="9">nine</li><li>ten</li></ol>
    </main></body></html>"""
    doc = parse_html(write(tmp_path, "steps.html", html))
    assert doc.sections[0].text == "4. four\n5. five\n   1. sub one\n9. nine\n10. ten"


def test_title_falls_back_to_title_tag_and_id_to_file_stem(tmp_path: Path) -> None:
    html = """<html><head><title>Export data | Fernbook Help Center</title></head>
    <body><div class="article-body"><p>Use the export button.</p></div>
    <div class="sidebar">SIDEBAR</div></body></html>"""
    doc = parse_html(write(tmp_path, "Export_Data.html", html))
    assert doc.title == "Export data"
    assert doc.source_id == "article:export-data"
    assert doc.language is None and doc.url is None and doc.updated is None
    assert doc.body == "Use the export button."


def test_meta_id_og_url_time_element_and_content_language(tmp_path: Path) -> None:
    html = """<html><head>
    <meta http-equiv="content-language" content="es">
    <meta property="og:url" content="https://help.example.com/es/articles/123-Cambiar-Plan/">
    </head><body><article><h1>Cambiar plan</h1>
    <p>Publicado <time datetime="2026-01-05T10:00:00+01:00">5 de enero</time></p>
    <p>Vaya a <a href="../billing">Facturación</a>.</p></article></body></html>"""
    doc = parse_html(write(tmp_path, "x.html", html))
    assert doc.language == "es"
    assert doc.url == "https://help.example.com/es/articles/123-Cambiar-Plan/"
    assert doc.source_id == "article:123-cambiar-plan"
    assert doc.updated == "2026-01-05"
    assert doc.links == [{"text": "Facturación", "url": "https://help.example.com/es/articles/billing"}]

    html2 = html.replace("<head>", '<head><meta name="article-id" content="KB 42">')
    assert parse_html(write(tmp_path, "y.html", html2)).source_id == "article:kb-42"


def test_last_updated_meta_wins(tmp_path: Path) -> None:
    html = """<html><head><meta name="last-updated" content="2026-02-03"></head>
    <body><main><p>Mis à jour le 9 mars 2025</p><p>Texte.</p></main></body></html>"""
    doc = parse_html(write(tmp_path, "a.html", html))
    assert doc.updated == "2026-02-03"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Last updated: March 3, 2026", "2026-03-03"),
        ("Zuletzt aktualisiert: 3. März 2026", "2026-03-03"),
        ("Última actualización: 3 de marzo de 2026", "2026-03-03"),
        ("Mis à jour le 3 mars 2026", "2026-03-03"),
        ("2026-03-03T08:00:00Z", "2026-03-03"),
        ("2026年3月3日", "2026-03-03"),
        ("03.04.2026", "2026-04-03"),
        ("no date here", None),
    ],
)
def test_normalise_date(raw: str, expected: str | None) -> None:
    assert normalise_date(raw) == expected


def test_clean_title_and_slugify() -> None:
    assert clean_title("Reset your password | Fernbook Help") == "Reset your password"
    assert clean_title("Reset your password - Fernbook Help Center") == "Reset your password"
    assert clean_title("Step-by-step setup") == "Step-by-step setup"
    assert slugify("Über uns: FAQ!") == "uber-uns-faq"
    assert slugify("パスワード") and all(c in "0123456789abcdef" for c in slugify("パスワード"))


def test_page_without_article_text_raises(tmp_path: Path) -> None:
    html = """<html><head><title>Empty</title><script>var x = 1;</script></head>
    <body><nav><a href="/">Home</a></nav><footer>© 2026</footer></body></html>"""
    path = write(tmp_path, "empty.html", html)
    with pytest.raises(ParseError, match=r"empty\.html: no article text found"):
        parse_html(path)


def test_declared_charset_is_tried_before_utf8(tmp_path: Path) -> None:
    html = '<html><head><meta charset="iso-8859-1"></head><body><main><p>Größe ändern</p></main></body></html>'
    doc = parse_html(write(tmp_path, "latin.html", html.encode("iso-8859-1")))
    assert doc.body == "Größe ändern"


def test_undecodable_bytes_are_replaced(tmp_path: Path) -> None:
    data = b"<html><body><main><p>Caf\xe9 menu \xff ok</p></main></body></html>"
    doc = parse_html(write(tmp_path, "broken.html", data))
    assert doc.body.startswith("Caf") and doc.body.endswith("ok")
    assert "\ufffd" in doc.body


def test_text_argument_is_used_instead_of_the_file(tmp_path: Path) -> None:
    doc = parse_html(tmp_path / "not-written.html", text="<html><body><p>Inline text.</p></body></html>")
    assert doc.source_id == "article:not-written"
    assert doc.body == "Inline text."
