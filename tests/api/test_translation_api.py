"""/v1/translate, /v1/glossaries, tickets translated for agents, and answers in the customer's language."""

from __future__ import annotations

from typing import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.conftest import auth


@pytest.fixture
def admin() -> dict[str, str]:
    return auth("admin")


def test_default_glossaries_are_installed(client: TestClient, admin: dict[str, str]) -> None:
    ids = {g["id"]: g for g in client.get("/v1/glossaries", headers=admin).json()}
    assert {"fernbook-en-es", "fernbook-en-de", "fernbook-en-fr", "fernbook-en-pt"} <= set(ids)
    assert ids["fernbook-en-es"]["target_language"] == "es" and ids["fernbook-en-es"]["terms"] > 30


def test_translate_enforces_the_default_glossary_and_reports_it(client: TestClient) -> None:
    text = "Connect Fernbook to Google Calendar. Your shift swap requests appear in the schedule."
    r = client.post("/v1/translate", json={"text": text, "target_language": "es"}, headers=auth("agent"))
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["engine"] == "apertium" and out["source_language"] == "en"
    terms = {t["found"]: t for t in out["compliance"]["terms"]}
    assert {"Fernbook", "Google Calendar", "shift swap"} <= set(terms)
    assert terms["Google Calendar"]["do_not_translate"] and "Google Calendar" in out["translation"]
    assert terms["shift swap"]["output"] in out["translation"]
    assert out["compliance"]["compliant"] and out["compliance"]["glossaries"] == ["fernbook-en-es"]

    raw = client.post("/v1/translate", json={"text": text, "target_language": "es", "enforce": False}, headers=auth("agent")).json()
    assert raw["compliance"]["violations"] > 0 and not raw["compliance"]["compliant"]
    assert any(t["status"] == "violated" and t["output"] is None for t in raw["compliance"]["terms"])


def test_a_pair_without_an_engine_is_a_clear_error(client: TestClient) -> None:
    r = client.post("/v1/translate", json={"text": "Reset your password.", "source_language": "en", "target_language": "de"},
                    headers=auth("agent"))
    assert r.status_code == 422 and "no translation engine covers en->de" in r.json()["message"]
    r = client.post("/v1/translate", json={"text": "Hola", "source_language": "es", "target_language": "xx"}, headers=auth("agent"))
    assert r.status_code == 422 and "unsupported language" in r.json()["message"]


def test_glossary_errors(client: TestClient) -> None:
    body = {"text": "Open the schedule.", "source_language": "en", "target_language": "es"}
    assert client.post("/v1/translate", json={**body, "glossary": "nope"}, headers=auth("agent")).status_code == 404
    r = client.post("/v1/translate", json={**body, "glossary": "fernbook-en-de"}, headers=auth("agent"))
    assert r.status_code == 422 and "en->de" in r.json()["message"]
    assert client.post("/v1/translate", json=body, headers=auth("widget")).status_code == 403


def test_glossary_crud_and_csv_round_trip(fresh_client: TestClient, admin: dict[str, str]) -> None:
    c = fresh_client
    g = {"id": "acme-es", "name": "Acme", "source_language": "en", "target_language": "es",
         "terms": [{"source": "Acme Cloud"}, {"source": "workspace", "targets": ["espacio de trabajo"]}]}
    assert c.post("/v1/glossaries", json=g, headers=auth("agent")).status_code == 403
    r = c.post("/v1/glossaries", json=g, headers=admin)
    assert r.status_code == 201 and r.json()["entries"][0] == {"source": "Acme Cloud", "targets": [], "do_not_translate": True}
    assert r.json()["conflicts"] == []
    assert c.post("/v1/glossaries", json=g, headers=admin).status_code == 409

    csv_text = c.get("/v1/glossaries/acme-es/csv", headers=admin).text
    assert csv_text.splitlines() == ["source_term,target_term", "Acme Cloud,", "workspace,espacio de trabajo"]
    r = c.put("/v1/glossaries/acme-es/csv?mode=merge", content="source_term,target_term\nworkspace,área de trabajo\nticket,incidencia\n",
              headers={**admin, "Content-Type": "text/csv"})
    assert r.status_code == 200, r.text
    assert {e["source"]: e["targets"] for e in r.json()["entries"]}["workspace"] == ["espacio de trabajo", "área de trabajo"]
    r = c.put("/v1/glossaries/acme-es/csv?mode=merge", content="source_term,target_term\nshared workspace,zona común\n",
              headers={**admin, "Content-Type": "text/csv"})
    assert r.json()["conflicts"] == [{"term": "shared workspace", "targets": ["zona común"], "contains": "workspace",
                                      "contains_targets": ["espacio de trabajo", "área de trabajo"]}]
    c.put("/v1/glossaries/acme-es/csv?mode=replace", content="source_term,target_term\nAcme Cloud,\nworkspace,espacio de trabajo\n"
          "ticket,incidencia\n", headers={**admin, "Content-Type": "text/csv"})

    # a bad file names the line and changes nothing
    r = c.put("/v1/glossaries/acme-es/csv", content="source_term,target_term\nok,bien\n,vacío\n", headers={**admin, "Content-Type": "text/csv"})
    assert r.status_code == 422 and "line 3" in r.json()["message"]
    assert c.get("/v1/glossaries/acme-es", headers=admin).json()["terms"] == 3

    out = c.post("/v1/translate", json={"text": "Open your workspace in Acme Cloud.", "target_language": "es", "glossary": "acme-es"},
                 headers=auth("agent")).json()
    assert "Acme Cloud" in out["translation"] and out["compliance"]["compliant"]

    r = c.put("/v1/glossaries/new-one/csv?target_language=fr", content="source_term,target_term\nshift,créneau\n",
              headers={**admin, "Content-Type": "text/csv"})
    assert r.status_code == 200 and r.json()["target_language"] == "fr"
    assert c.put("/v1/glossaries/other/csv", content="source_term,target_term\na,b\n",
                 headers={**admin, "Content-Type": "text/csv"}).status_code == 422  # a new glossary needs its language
    assert c.delete("/v1/glossaries/acme-es", headers=admin).status_code == 204
    assert c.get("/v1/glossaries/acme-es", headers=admin).status_code == 404
    assert c.delete("/v1/glossaries/acme-es", headers=admin).status_code == 404


def test_answer_comes_in_the_customers_language_with_the_citations_unchanged(client: TestClient) -> None:
    en = client.post("/v1/answer", json={"question": "How do I connect Fernbook to Slack?"}, headers=auth("widget")).json()
    es = client.post("/v1/answer", json={"question": "¿Cómo conecto Fernbook con Slack?"}, headers=auth("widget")).json()
    assert es["answered"] and es["question_language"] == "es"
    assert es["citations"] == en["citations"] and es["article_language"] == "en"
    assert es["translated"] and es["answer_language"] == "es" and es["translation_engine"] == "apertium"
    assert es["original_answer"] == en["answer"] and es["answer"] != en["answer"]
    assert "Fernbook" in es["answer"] and "Slack" in es["answer"] and es["compliance"]["compliant"]

    de = client.post("/v1/answer", json={"question": "Wie verbinde ich Fernbook mit Slack?"}, headers=auth("widget")).json()
    assert de["answered"] and not de["translated"] and de["answer_language"] == "en"
    assert "no translation engine covers en->de" in de["language_note"]


def test_a_ticket_is_translated_for_the_agent_with_the_original_beside_it(fresh_client: TestClient) -> None:
    c = fresh_client
    r = c.post("/v1/tickets", json={"id": "TR-1", "subject": "No puedo ver mis turnos",
                                    "body": "Desde ayer no veo mis turnos en la aplicación de Fernbook.", "language": "es"},
               headers=auth("agent"))
    assert r.status_code == 201, r.text
    r = c.post("/v1/tickets/TR-1/translation", json={"target_language": "en"}, headers=auth("agent"))
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["original"]["body"].startswith("Desde ayer") and out["original"]["language"] == "es"
    assert out["translated"]["language"] == "en" and "Fernbook" in out["translated"]["body"]
    assert out["translated"]["body"] != out["original"]["body"]
    assert c.get("/v1/tickets/TR-1", headers=auth("agent")).json()["body"].startswith("Desde ayer")  # nothing stored changed
    assert c.post("/v1/tickets/NOPE/translation", json={"target_language": "en"}, headers=auth("agent")).status_code == 404


def test_languages_lists_the_translation_pairs(client: TestClient) -> None:
    out = client.get("/v1/languages", headers=auth("agent")).json()
    assert out["translation"] == {"apertium": ["en->es", "es->en"]} and "es" in out["languages"]
