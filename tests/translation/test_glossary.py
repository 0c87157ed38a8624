"""Glossary matching, CSV interchange and the term-accuracy rule (pure Python, no engine)."""

from __future__ import annotations

import pytest

from eval.translate import term_accuracy
from kb_service.translation.glossary import (
    Entry, Glossary, GlossaryError, parse_csv, source_present, target_present,
)


def glossary(*entries: Entry, source: str = "en") -> Glossary:
    return Glossary("g", "g", source, "es", list(entries))


def test_longest_term_wins_and_plurals_are_found() -> None:
    g = glossary(Entry("pandemic", ("pandemia",)), Entry("COVID-19 pandemic", ("pandemia de COVID-19",)),
                 Entry("airway", ("vía respiratoria",)))
    found = g.find("The COVID-19 pandemics closed the airways; a pandemic.")
    assert [(o.text, o.entry.source, o.plural) for o in found] == [
        ("COVID-19 pandemics", "COVID-19 pandemic", True), ("airways", "airway", True), ("pandemic", "pandemic", False)]


def test_acronyms_match_only_in_capitals_and_other_terms_in_any_case() -> None:
    g = glossary(Entry("WHO", ("OMS",)), Entry("Fernbook"))
    assert [o.text for o in g.find("who said WHO uses FERNBOOK and fernbook?")] == ["WHO", "FERNBOOK", "fernbook"]
    assert source_present("the WHO said", "WHO") and not source_present("who said", "WHO")
    assert source_present("Coronavirus spreads", "coronavirus") and not source_present("coronaviruses", "coronavirus")


def test_inflected_targets_count_as_the_issue_defines() -> None:
    assert target_present("enfermedades respiratorias agudas", "enfermedad respiratoria aguda")
    assert target_present("síntomas respiratorias", "respiratorio")  # last two letters change, up to three follow
    assert not target_present("la tasas", "tasa")  # words under five letters match exactly
    assert not target_present("respirar", "respiratorio")
    assert target_present("el coronavirus  (COVID-19)", "coronavirus (COVID-19)")


def test_term_accuracy_counts_any_approved_target() -> None:
    g = glossary(Entry("hand sanitizer", ("desinfectante para manos", "alcohol en gel")), Entry("WHO", ("OMS",)))
    acc, found = term_accuracy(["Use hand sanitizer, says the WHO.", "who knows"], ["Use alcohol en gel, dice la OMS.", "x"], g)
    assert (acc, found) == (1.0, 2)
    acc, _ = term_accuracy(["Use hand sanitizer."], ["Use jabón."], g)
    assert acc == 0.0


def test_csv_round_trip_keeps_several_targets_and_do_not_translate() -> None:
    text = 'source_term,target_term\nshift,turno\nshift,guardia\nFernbook,\n"clock in, clock out",fichar\n'
    entries = parse_csv(text)
    assert entries[0] == Entry("shift", ("turno",))
    g = glossary(*entries)
    assert [(e.source, e.targets) for e in g.entries] == [("shift", ("turno", "guardia")), ("Fernbook", ()), ("clock in, clock out", ("fichar",))]
    assert parse_csv(g.to_csv()) and glossary(*parse_csv(g.to_csv())).entries == g.entries


@pytest.mark.parametrize("text, message", [
    ("", "empty"),
    ("term,translation\na,b\n", "header"),
    ("source_term,target_term\n", "no terms"),
    ("source_term,target_term\nok,bien\na,b,c\n", "line 3"),
    ("source_term,target_term\n,vacío\n", "line 2"),
])
def test_bad_csv_names_the_problem(text: str, message: str) -> None:
    with pytest.raises(GlossaryError, match=message):
        parse_csv(text)


def test_conflicts_name_longer_terms_whose_target_leaves_out_a_shorter_one() -> None:
    g = glossary(Entry("covid-19 infection", ("contagio de COVID-19",)), Entry("infection", ("infección",)),
                 Entry("hand sanitizer", ("desinfectante para manos",)),
                 Entry("alcohol-based hand sanitizer", ("desinfectante para manos a base de alcohol",)), Entry("WHO", ("OMS",)),
                 Entry("who said", ("quien dijo",)))
    assert [(a.source, b.source) for a, b in g.conflicts()] == [("covid-19 infection", "infection")]
