"""Redaction recall on the planted personal-data set, measured with `eval/pii.py`.

The set (`tests/data/pii/pii_tickets.jsonl`, written by `eval/make_pii_set.py`) holds ticket texts in
the service's languages with planted e-mail addresses, phone numbers, card numbers, IBANs, postal
addresses and names, and decoys that must survive (order and ticket numbers, versions, dates,
prices, error codes, the product name). E-mail, phone, card and IBAN recall must be complete; names
and addresses have floors a little under what the redactor measures; no decoy may be destroyed.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Callable

import pytest

from eval.make_pii_set import dumps, generate
from eval.pii import PII_TYPES, STRICT_TYPES, Report, evaluate, load, main

SET = Path(__file__).resolve().parent.parent / "data" / "pii" / "pii_tickets.jsonl"
LANGUAGES = {"en", "de", "fr", "es", "pt-PT", "pt-BR", "it", "nl", "ja", "pl", "sv", "tr", "ru"}
# Measured: 100% for both on the whole set; on the held-out bank, as first measured before the
# redactor saw it, names 49% and addresses 83% (see eval/make_pii_set.py). Floors a little under.
FLOORS = {"name": 0.97, "address": 0.97}


@pytest.fixture(scope="module")
def records() -> list[dict[str, Any]]:
    return load(SET)


@pytest.fixture(scope="module")
def report(records: list[dict[str, Any]]) -> Report:
    return evaluate(records)


def _misses(report: Report, kind: str) -> str:
    return "\n".join(f"  {m.id} [{m.format}] {m.text!r} -> {m.survived!r}" for m in report.misses if m.type == kind)


# --------------------------------------------------------------------------- the set
def test_the_set_is_what_its_generator_writes() -> None:
    assert SET.read_text(encoding="utf-8") == dumps(generate()), "regenerate: python -m eval.make_pii_set"


def test_the_set_covers_the_languages_types_and_formats(records: list[dict[str, Any]]) -> None:
    assert len(records) >= 200
    assert {r["language"] for r in records} == LANGUAGES
    spans = [s for r in records for s in r["spans"]]
    for kind in PII_TYPES:
        assert sum(s["type"] == kind for s in spans) >= 40, kind
    for s in spans:
        if s["type"] == "card":
            digits = [int(d) for d in re.sub(r"\D", "", s["text"])]
            assert sum(d if i % 2 == 0 else (2 * d - 9 if d > 4 else 2 * d) for i, d in enumerate(reversed(digits))) % 10 == 0
        if s["type"] == "iban":
            compact = re.sub(r"\W", "", s["text"]).upper()
            assert int("".join(str(int(ch, 36)) for ch in compact[4:] + compact[:4])) % 97 == 1, s["text"]
    formats = {s["format"] for s in spans}
    assert {"plus", "upper"} <= formats  # plus-addressing, capitals
    assert {f for f in formats if f.startswith("DE ")} and {f for f in formats if f.startswith("JP ")}
    decoys = {d["text"] for r in records for d in r["decoys"]}
    assert {"26.10.2", "Fernbook"} <= decoys
    assert {r["split"] for r in records} == {"dev", "holdout"}


# --------------------------------------------------------------------------- recall and precision
@pytest.mark.parametrize("kind", STRICT_TYPES)
def test_recall_is_complete(report: Report, kind: str) -> None:
    assert report.planted[kind] > 0
    assert report.caught[kind] == report.planted[kind], f"{kind} not redacted:\n{_misses(report, kind)}"


@pytest.mark.parametrize("kind", sorted(FLOORS))
def test_recall_floor(report: Report, kind: str) -> None:
    recall = report.recall(kind)
    assert recall is not None and recall >= FLOORS[kind], f"{kind} recall {recall:.1%}:\n{_misses(report, kind)}"


def test_recall_is_complete_in_every_language(report: Report) -> None:
    short = {lang: {k: v for k, v in row.items() if k in STRICT_TYPES and v[0] < v[1]} for lang, row in report.by_language.items()}
    assert not {lang: row for lang, row in short.items() if row}


def test_decoys_survive(report: Report) -> None:
    assert not report.destroyed, "\n".join(f"{d['id']} {d['type']}: {d['text']!r}" for d in report.destroyed)
    assert len(report.spurious) <= 3, report.spurious  # redactions that touch no planted span at all


# --------------------------------------------------------------------------- the measure itself
class FakeRedactor:
    def __init__(self, f: Callable[[str], str]) -> None:
        self.f = f

    def redact(self, text: str) -> str:
        return self.f(text)


def one(text: str, kind: str, value: str, **extra: Any) -> list[dict[str, Any]]:
    start = text.index(value)
    span = {"type": kind, "text": value, "start": start, "end": start + len(value), "format": "", **extra}
    return [{"id": "t", "language": "en", "text": text, "spans": [span], "decoys": []}]


@pytest.mark.parametrize(("kind", "text", "value", "output", "extra", "ok"), [
    ("name", "Regards,\nAnna Berg", "Anna Berg", "Regards,\n[NAME]", {}, True),
    ("name", "Regards,\nAnna Berg", "Anna Berg", "Regards,\nAnna [NAME]", {}, False),
    ("name", "Hi Anna Berg, hi", "Anna Berg", "Hi [NAME], hi", {}, True),
    ("phone", "call +49 30 12345678 now", "+49 30 12345678", "call [PHONE] now", {}, True),
    ("phone", "call +49 30 12345678 now", "+49 30 12345678", "call +49 30 [PHONE] now", {}, False),
    ("phone", "call (030) 1234567 now", "(030) 1234567", "call ([PHONE]) now", {}, True),  # brackets may stay
    ("email", "mail anna.berg@example.com ok", "anna.berg@example.com", "mail anna.berg@[EMAIL] ok", {}, False),
    ("email", "mail ANNA@EXAMPLE.COM ok", "ANNA@EXAMPLE.COM", "mail [EMAIL] ok", {}, True),
    ("card", "card 4111 1111 1111 1111.", "4111 1111 1111 1111", "card [CARD] 1111.", {}, False),
    ("iban", "IBAN DE89 3704 0044 0532 0130 00", "DE89 3704 0044 0532 0130 00", "IBAN [IBAN]", {}, True),
    ("iban", "IBAN DE89 3704 0044 0532 0130 00", "DE89 3704 0044 0532 0130 00", "IBAN DE[IBAN]", {}, False),
    ("address", "at Lindenstraße 5, 10115 Berlin.", "Lindenstraße 5, 10115 Berlin", "at [ADDRESS] Berlin.",
     {"keep": ["Berlin"], "street": "Lindenstraße"}, True),
    ("address", "at Lindenstraße 5, 10115 Berlin.", "Lindenstraße 5, 10115 Berlin", "at Lindenstraße 5, [ADDRESS].",
     {"keep": ["Berlin"], "street": "Lindenstraße"}, False),
    ("address", "at Lindenstraße 5, 10115 Berlin.", "Lindenstraße 5, 10115 Berlin", "at [ADDRESS], 10115 Berlin.",
     {"keep": ["Berlin"], "street": "Lindenstraße"}, False),
])
def test_a_span_is_caught_only_if_nothing_identifying_survives(
    kind: str, text: str, value: str, output: str, extra: dict[str, Any], ok: bool
) -> None:
    out = {text: output}
    report = evaluate(one(text, kind, value, **extra), FakeRedactor(lambda t: out[t]))
    assert report.caught[kind] == int(ok), report.misses


def test_doing_nothing_catches_nothing_and_redacting_every_digit_destroys_the_decoys(records: list[dict[str, Any]]) -> None:
    sample = records[::10]
    idle = evaluate(sample, FakeRedactor(lambda t: t))
    assert all(idle.caught[k] == 0 for k in PII_TYPES) and not idle.destroyed and not idle.spurious
    greedy = evaluate(sample, FakeRedactor(lambda t: re.sub(r"\d+", "[PHONE]", t)))
    assert greedy.caught["card"] == greedy.planted["card"] and greedy.destroyed and greedy.spurious


def test_pii_spans_cover_the_planted_data(records: list[dict[str, Any]]) -> None:
    """`Redactor.spans` says where the data is (translation protects those stretches instead of sending them)."""
    from ingest.redact import Redactor

    redactor = Redactor(keep_terms=["Fernbook"])
    for r in records[::5]:
        covered = {i for a, b, _ in redactor.spans(r["text"]) for i in range(a, b)}
        for s in r["spans"]:
            if s["type"] in STRICT_TYPES:
                missing = [r["text"][i] for i in range(s["start"], s["end"]) if r["text"][i].isalnum() and i not in covered]
                assert not missing, (r["id"], s["text"], "".join(missing))
        assert not any(i in covered for d in r["decoys"] for i in range(d["start"], d["end"])), r["id"]


def test_cli_prints_a_table_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(SET), "--split", "holdout", "--misses", "0"]) == 0
    table = capsys.readouterr().out
    assert "recall by language" in table and "decoys preserved" in table
    assert main([str(SET), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data["recall"]) == set(PII_TYPES) and data["tickets"] == len(load(SET))
    assert data["recall_by_split"]["holdout"]["email"]["planted"] > 0
