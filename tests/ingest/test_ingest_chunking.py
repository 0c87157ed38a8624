"""Chunks stand alone: title + heading first, steps kept together, tickets one chunk."""

from __future__ import annotations

import re

from ingest.chunking import Chunk, chunk_document
from ingest.documents import Section, SourceDocument


def article(sections: list[Section], title: str = "Reset your password") -> SourceDocument:
    return SourceDocument(source_id="article:reset", kind="article", title=title, sections=sections)


STEPS = "\n".join(f"{i}. Step number {i}: do the thing described here carefully." for i in range(1, 8))


def test_one_chunk_per_section_with_title_and_heading() -> None:
    intro = "Intro paragraph. " * 20
    doc = article([Section("", intro.strip()), Section("Steps", STEPS), Section("Troubleshooting", "If it fails, " * 30)])
    chunks = chunk_document(doc, max_chars=600)
    assert [c.index for c in chunks] == list(range(len(chunks)))
    assert [c.heading for c in chunks] == ["", "Steps", "Troubleshooting"]
    assert chunks[0].text.startswith("Reset your password\nIntro paragraph.")
    assert chunks[1].text == "Reset your password — Steps\n" + STEPS
    assert chunks[2].text.startswith("Reset your password — Troubleshooting\nIf it fails,")
    assert all(len(c.text) <= 600 for c in chunks)
    assert chunk_document(doc, max_chars=600) == chunks  # deterministic


def test_steps_are_not_split_from_each_other_when_they_fit() -> None:
    before = "Before you start, check that you are an admin. " * 6
    after = "After the reset you are signed out everywhere. " * 6
    doc = article([Section("Steps", f"{before.strip()}\n\n{STEPS}\n\n{after.strip()}")])
    chunks = chunk_document(doc, max_chars=700)
    assert len(chunks) > 1
    holding = [c for c in chunks if "1. Step number 1" in c.text]
    assert len(holding) == 1 and "7. Step number 7" in holding[0].text
    for c in chunks:
        assert c.text.startswith("Reset your password — Steps\n")
        assert len(c.text) <= 700


def test_a_list_longer_than_a_chunk_is_split_between_items() -> None:
    items = "\n".join(f"{i}. " + "word " * 25 + f"end{i}" for i in range(1, 21))
    doc = article([Section("Steps", items)])
    chunks = chunk_document(doc, max_chars=500)
    assert len(chunks) > 2
    seen: list[int] = []
    for c in chunks:
        assert c.text.startswith("Reset your password — Steps\n")
        assert len(c.text) <= 500
        body = c.text.split("\n", 1)[1]
        for line in body.split("\n"):
            m = re.match(r"(\d+)\. (?:word )+end(\d+)$", line)
            assert m and m.group(1) == m.group(2), line  # every item whole
            seen.append(int(m.group(1)))
    assert seen == list(range(1, 21))


def test_small_sections_are_merged() -> None:
    doc = article([Section("Who can do this", "Admins only."), Section("Cost", "Free."), Section("Steps", STEPS)])
    chunks = chunk_document(doc, max_chars=1200)
    assert len(chunks) == 1
    assert chunks[0].text.startswith("Reset your password — Who can do this\nAdmins only.\n\nCost\nFree.\n\nSteps\n1.")
    assert chunks[0].heading == "Who can do this / Cost / Steps"


def test_long_prose_section_splits_at_paragraphs() -> None:
    paragraphs = [f"Paragraph {i}. " + "Some explanation text. " * 12 for i in range(6)]
    doc = article([Section("Details", "\n\n".join(p.strip() for p in paragraphs))])
    chunks = chunk_document(doc, max_chars=700)
    assert len(chunks) >= 3
    for c in chunks:
        assert len(c.text) <= 700
        body = c.text.split("\n", 1)[1]
        for part in body.split("\n\n"):
            assert part.startswith("Paragraph ")  # never cut mid-paragraph


def ticket(body: str, resolution: str | None) -> SourceDocument:
    return SourceDocument(
        source_id="ticket:1", kind="ticket", title="Sync is late", sections=[Section("", body)], resolution=resolution
    )


def test_ticket_is_one_chunk_with_resolution() -> None:
    chunks = chunk_document(ticket("Outlook shows changes late.", "Reconnected the integration."))
    assert chunks == [
        Chunk(text="Sync is late\nOutlook shows changes late.\nResolution: Reconnected the integration.", heading="", index=0, header="Sync is late")
    ]


def test_long_ticket_body_is_truncated_so_the_resolution_fits() -> None:
    body = "The calendar shows old shifts. " * 80
    chunks = chunk_document(ticket(body, "Reconnect under Settings > Integrations."), max_chars=400)
    assert len(chunks) == 1
    text = chunks[0].text
    assert len(text) <= 400
    assert text.startswith("Sync is late\nThe calendar shows old shifts.")
    assert text.endswith("\nResolution: Reconnect under Settings > Integrations.")
    assert "…" in text


def test_ticket_without_resolution() -> None:
    chunks = chunk_document(ticket("Just a question.", None))
    assert chunks[0].text == "Sync is late\nJust a question."
