"""Glossary enforcement through the real Apertium engine (English -> Spanish, Debian packages that
`make test` installs)."""

from __future__ import annotations

import pytest

from kb_service.translation.apertium import ApertiumEngine
from kb_service.translation.enforce import Enforcer, fit_case
from kb_service.translation.engines import Segment
from kb_service.translation.glossary import Entry, Glossary, Occurrence
from kb_service.translation.morphology import for_target

ENGINE = ApertiumEngine()
GLOSSARY = Glossary("t", "t", "en", "es", [
    Entry("Fernbook"), Entry("Google Calendar"), Entry("shift", ("turno",)), Entry("pandemic", ("pandemia",)),
    Entry("outbreak", ("epidemia",)), Entry("settings", ("Configuración",)), Entry("time-off request", ("solicitud de ausencia",)),
])


@pytest.fixture(scope="module")
def enforcer() -> Enforcer:
    assert ENGINE.supports("en", "es"), "Apertium with apertium-eng-spa is required (make test installs it)"
    return Enforcer(ENGINE, for_target("es", ENGINE.language_data("en", "es")))


def test_installed_pairs_are_found() -> None:
    assert ("en", "es") in ENGINE.pairs() and ("es", "en") in ENGINE.pairs()
    assert not ENGINE.supports("en", "de")


def test_do_not_translate_terms_survive_that_the_raw_engine_mangles(enforcer: Enforcer) -> None:
    text = "Connect Fernbook to Google Calendar in a few clicks."
    (raw,) = enforcer.translate([text], GLOSSARY, "en", "es", enforce=False)
    assert "Google Calendar" not in raw.text  # the engine alone translates the product name
    assert any(t.found == "Google Calendar" and t.status == "violated" for t in raw.terms)  # and the report says so
    (out,) = enforcer.translate([text], GLOSSARY, "en", "es")
    assert "Fernbook" in out.text and "Google Calendar" in out.text
    assert not out.violations and {t.found for t in out.terms} == {"Fernbook", "Google Calendar"}


def test_mapped_terms_appear_in_their_plural_with_agreeing_determiners(enforcer: Enforcer) -> None:
    (out,) = enforcer.translate(["The outbreak is over. Your shifts and your time-off requests are in Settings."], GLOSSARY, "en", "es")
    assert "La epidemia" in out.text  # 'El brote' from the engine: term replaced, article re-inflected
    assert "turnos" in out.text and "solicitudes de ausencia" in out.text and "Configuración" in out.text
    assert not out.violations
    assert {t.found: t.status for t in out.terms}["outbreak"] == "enforced"


def test_lines_and_numbered_steps_keep_their_shape(enforcer: Enforcer) -> None:
    text = "Change a shift\n\n1. Open the schedule.\n2. Click the shift and press <Save> & close."
    (out,) = enforcer.translate([text], GLOSSARY, "en", "es")
    lines = out.text.split("\n")
    assert len(lines) == 4 and lines[1] == "" and lines[2].startswith("1. ") and lines[3].startswith("2. ")
    assert "<" in lines[3] and ">" in lines[3] and "&lt;" not in out.text  # markup-like text stays text, unescaped
    assert "turno" in lines[0].lower() and "turno" in lines[3]


def test_a_span_the_engine_drops_is_put_back_by_the_placeholder_pass() -> None:
    class Dropping:
        """Apertium, except that it loses the first term's span (as a transfer rule sometimes does)."""
        name = "dropping"

        def __init__(self) -> None:
            self.calls = 0

        def supports(self, s: str, t: str) -> bool:
            return True

        def pairs(self) -> list[tuple[str, str]]:
            return [("en", "es")]

        def translate(self, segments: list[Segment], source: str, target: str, marked: bool) -> list[str]:
            self.calls += 1
            out = ENGINE.translate(segments, source, target, marked)
            return [o.replace('<span id="t0">', "").replace("</span>", "", 1) for o in out] if self.calls == 1 else out

        def revise(self, *args: object) -> None:
            return None

    (out,) = Enforcer(Dropping()).translate(["The pandemic hit Fernbook."], GLOSSARY, "en", "es")
    assert "pandemia" in out.text and "Fernbook" in out.text
    assert {t.found: t.status for t in out.terms}["pandemic"] == "repaired"


def test_case_follows_the_place() -> None:
    occ = Occurrence(0, 5, "acute bronchitis", Entry("acute bronchitis", ("Bronquitis aguda",)), False)
    assert fit_case("Bronquitis aguda", occ, False, "es") == "bronquitis aguda"
    assert fit_case("Bronquitis aguda", occ, True, "es") == "Bronquitis aguda"
    shift = Occurrence(0, 5, "shift", Entry("shift", ("Schicht",)), False)
    assert fit_case("Schicht", shift, False, "de") == "Schicht"  # German nouns keep their capital
    menu = Occurrence(0, 8, "Settings", Entry("settings", ("configuración",)), False)
    assert fit_case("configuración", menu, False, "es") == "Configuración"
    acronym = Occurrence(0, 8, "COVID-19 pandemic", Entry("COVID-19 pandemic", ("pandemia de COVID-19",)), False)
    assert fit_case("pandemia de COVID-19", acronym, False, "es") == "pandemia de COVID-19"


def test_links_addresses_code_and_placeholders_pass_through_untouched(enforcer: Enforcer) -> None:
    text = ("Open app.fernbook.example/system-check or https://help.fernbook.example/articles/cancel-subscription, "
            "write to no-reply@fernbook.example, type `/fernbook link` in Slack; {name} gets a shift.")
    (raw,) = enforcer.translate([text], GLOSSARY, "en", "es", enforce=False)
    assert "help.fernbook.example/articles/cancel-subscription" not in raw.text  # the engine alone mangles them
    (out,) = enforcer.translate([text], GLOSSARY, "en", "es")
    for kept in ("app.fernbook.example/system-check", "https://help.fernbook.example/articles/cancel-subscription",
                 "no-reply@fernbook.example", "`/fernbook link`", "{name}"):
        assert kept in out.text
    assert "turno" in out.text
    assert [t.found for t in out.terms] == ["shift"]  # not the "fernbook" inside the links and code


def test_a_placeholder_written_in_the_text_does_not_confuse_the_repair() -> None:
    class Dropping(ApertiumEngine):
        calls = 0

        def translate(self, segments: list[Segment], source: str, target: str, marked: bool) -> list[str]:
            Dropping.calls += 1
            out = ENGINE.translate(segments, source, target, marked)
            return [o.replace('<span id="t0">', "").replace("</span>", "", 1) for o in out] if Dropping.calls == 1 else out

    (out,) = Enforcer(Dropping()).translate(["Type the code ZXQ0QXZ into the shift field."], GLOSSARY, "en", "es")
    assert "ZXQ0QXZ" in out.text and "turno" in out.text


def test_ui_paths_keep_their_order_and_use_the_glossarys_labels(enforcer: Enforcer) -> None:
    g = Glossary("ui", "ui", "en", "es", [Entry("settings", ("configuración",)), Entry("integrations", ("integraciones",)),
                                           Entry("Slack"), Entry("API token", ("token de API",))])
    text = "1. Go to Settings > Integrations > Slack.\n2. In **Settings > Developer > API tokens**, click Revoke."
    (raw,) = enforcer.translate([text], g, "en", "es", enforce=False)
    assert "Integraciones > de Encuadres" in raw.text  # the engine alone reorders the path (and mistranslates it)
    (out,) = enforcer.translate([text], g, "en", "es")
    assert "Configuración > Integraciones > Slack" in out.text  # label by label, in order
    assert "**Configuración > Developer > " in out.text  # a label without an approved term stays as the product shows it
    assert {(t.found, t.status) for t in out.terms} >= {("Settings", "enforced"), ("Integrations", "enforced"), ("Slack", "kept")}


def test_terms_ending_in_punctuation_are_not_doubled(enforcer: Enforcer) -> None:
    """Apertium keeps only the word of "C++" in its span and puts "++" after it; the fuzzer found the
    enforced text then read "C++++"."""
    g = Glossary("code", "code", "en", "es", [Entry("C++"), Entry("C#"), Entry(".NET"), Entry("F#", ("F sharp",))])
    (out,) = enforcer.translate(["Our SDK is written in C++ and C#, and the plugin in F# on .NET."], g, "en", "es")
    assert "C++++" not in out.text and "C##" not in out.text and "F sharp#" not in out.text
    assert out.text.count("C++") == 1 and out.text.count("C#") == 1 and "F sharp" in out.text and ".NET" in out.text
    assert not out.violations
