"""Markdown articles: front matter, sections, steps, links; bad input fails clearly."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.documents import ParseError
from ingest.markdown import parse_markdown

ARTICLE = """---
id: Reset-Password
title: Reset your password
url: https://help.example.com/articles/reset-password
lang: en-GB
updated: 2026-03-01
tags: password, login
product-area: account
---
# Reset your password (heading)

<!-- internal note: INTERNALCOMMENT -->
You can reset your password **yourself** in _two minutes_; see [signing in](/articles/sign-in "Sign in").
This line continues the same paragraph. ![Screenshot of the login page](img/login.png)

## Steps

1. Open the **login** page.
1. Click *Forgot password*.
   - Use your work email.
1. Follow the link in the [email][mail].

Reset links expire after 60 minutes.

### Command line

```bash
kb reset --user someone   # **not bold** here
```

#### Plans

| Plan | Resets |
|------|--------|
| Free | 3 |

[mail]: https://help.example.com/articles/emails
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_front_matter_and_structure(tmp_path: Path) -> None:
    doc = parse_markdown(write(tmp_path, "reset.md", ARTICLE))
    assert doc.kind == "article"
    assert doc.source_id == "article:reset-password"
    assert doc.title == "Reset your password"
    assert doc.url == "https://help.example.com/articles/reset-password"
    assert doc.language == "en-GB"
    assert doc.updated == "2026-03-01"
    assert doc.tags == ["password", "login"]
    assert doc.product_area == "account"
    assert [s.heading for s in doc.sections] == ["", "Steps", "Command line"]
    intro = doc.sections[0].text
    assert intro == (
        "You can reset your password yourself in two minutes; see signing in. "
        "This line continues the same paragraph. Screenshot of the login page"
    )
    assert doc.sections[1].text == (
        "1. Open the login page.\n2. Click Forgot password.\n   - Use your work email.\n"
        "3. Follow the link in the email.\n\nReset links expire after 60 minutes."
    )
    code = doc.sections[2].text
    assert "kb reset --user someone   # **not bold** here" in code
    assert "Plans" in code and "Plan | Resets\nFree | 3" in code
    assert "INTERNALCOMMENT" not in doc.body
    assert doc.links == [
        {"text": "signing in", "url": "https://help.example.com/articles/sign-in"},
        {"text": "email", "url": "https://help.example.com/articles/emails"},
    ]


def test_title_from_first_heading_then_file_stem(tmp_path: Path) -> None:
    doc = parse_markdown(write(tmp_path, "export.md", "# Export data\n\nUse **Export**.\n"))
    assert doc.title == "Export data"
    assert doc.source_id == "article:export"
    assert doc.sections[0].heading == "" and doc.sections[0].text == "Use Export."
    doc2 = parse_markdown(write(tmp_path, "Plain_Note.md", "Just text, no heading.\n"))
    assert doc2.title == "Plain_Note"
    assert doc2.source_id == "article:plain-note"


def test_front_matter_variants(tmp_path: Path) -> None:
    text = """---
language: ja
date: 2026-02-01T10:00:00
tags: [api, tokens]
product_area: integrations
url: https://help.example.com/ja/articles/api-tokens.html
---
## トークン

本文です。
"""
    doc = parse_markdown(write(tmp_path, "x.md", text))
    assert doc.language == "ja"
    assert doc.updated == "2026-02-01"
    assert doc.tags == ["api", "tokens"]
    assert doc.product_area == "integrations"
    assert doc.source_id == "article:api-tokens"
    assert doc.title == "x"
    assert doc.sections[0].heading == "トークン"


def test_ordered_list_keeps_explicit_numbers_and_setext_heading(tmp_path: Path) -> None:
    text = "Title\n=====\n\nSteps\n-----\n\n3. three\n4. four\n\nText.\n\n1. again\n"
    doc = parse_markdown(write(tmp_path, "s.md", text))
    assert doc.title == "Title"
    assert doc.sections[0].heading == "Steps"
    assert doc.sections[0].text == "3. three\n4. four\n\nText.\n\n1. again"


def test_bad_yaml_names_file_and_problem(tmp_path: Path) -> None:
    path = write(tmp_path, "broken.md", "---\ntitle: [unclosed\ntags: a\n---\n# T\n\nBody.\n")
    with pytest.raises(ParseError) as info:
        parse_markdown(path)
    message = str(info.value)
    assert "broken.md" in message
    assert "invalid YAML front matter" in message
    assert "line" in message


def test_front_matter_must_be_a_mapping(tmp_path: Path) -> None:
    path = write(tmp_path, "list.md", "---\n- a\n- b\n---\nBody.\n")
    with pytest.raises(ParseError, match=r"list\.md: front matter must be a YAML mapping"):
        parse_markdown(path)


@pytest.mark.parametrize("text", ["", "---\ntitle: Only metadata\n---\n", "# Just a title\n\n<!-- nothing -->\n"])
def test_empty_body_raises(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, "empty.md", text)
    with pytest.raises(ParseError, match=r"empty\.md: empty document"):
        parse_markdown(path)


def test_inline_markup_is_matched_within_bounds() -> None:
    """Emphasis and links are matched up to 1,000 characters: beyond that a run of openers without
    closers would cost quadratic time (a crafted 40 KB line held the parser for seconds per pattern)."""
    from ingest.markdown import _inline

    assert _inline("**" + "a" * 900 + "**", [], {}, None) == "a" * 900
    long = "**" + "a" * 1500 + "**"
    assert _inline(long, [], {}, None) == long  # left as written: an emphasis is never that long
    links: list[dict[str, str]] = []
    crafted = "[x](http://a/ **b ![c](d) _e_ " * 2000 + "[the guide](https://help.example.com/g)"
    out = _inline(crafted, links, {}, None)
    assert links == [{"text": "the guide", "url": "https://help.example.com/g"}] and out.endswith("the guide")
